"""``bizml ledger import``: read runs back from executed notebooks into the ledger.

Each card in a notebook's outputs carries its whole run record; reading and checking
records is :mod:`bizml_nb.core.notebook_records` (re-exported here: :func:`read_records`,
:func:`cards_in_notebook`, :func:`check_record`...). Every run record is checked
against the run record schema before anything uses it:

- :func:`runs_from_notebook` and :func:`import_files` (``bizml ledger import``)
  refuse a file with a bad record, naming the file, the cell and the field;
  :func:`import_files` checks every record of every file before it writes one
  row, then writes them all in one transaction.

Observation cards (``%bizml observed``) carry their observation's record
(:data:`~bizml_nb.core.notebook_records.OBSERVATION_MIME`): :func:`import_files`
writes them after the runs (:meth:`~bizml_nb.core.ledger.Ledger.observe_new`, so an
observation already present is not added twice), each with the origin
``import:FILE NAME``. An observation of a run that is
neither in the ledger nor in the files imported is left out and reported as a
problem (:attr:`Imported.problems`), not raised.

Besides notebooks, the files may be what ``bizml ledger export --format json``
writes: a JSON list of run records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bizml_nb.core.notebook_records import (
    OBSERVATION_MIME,
    RECORD_PREFIX,
    RECORD_SUFFIX,
    Found,
    NotebookRecords,
    cards_in_notebook,
    check_record,
    outputs,
    read_notebook_or_export,
    read_records,
)
from bizml_nb.core.observation import validate_observation
from bizml_nb.core.run import RUN_MIME, validate_record
from bizml_nb.core.schema import NAME_CHARS, RecordError, fit_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.core.ledger import Ledger, Run
    from bizml_nb.core.observation import Observation

__all__ = [
    "RECORD_PREFIX",
    "RECORD_SUFFIX",
    "Found",
    "Imported",
    "NotebookRecords",
    "cards_in_notebook",
    "check_record",
    "import_files",
    "observations_from_notebook",
    "read_records",
    "runs_from_notebook",
]


#: the prefix of an imported observation's origin: ``import:FILE NAME``
IMPORT_PREFIX = "import:"


@dataclass(frozen=True)
class Imported:
    """What ``bizml ledger import`` did with one file."""

    path: Path
    found: int  # distinct runs in the file
    imported: int  # of those, written now (the others were already in the ledger)
    observations_found: int = 0  # distinct observations in the file
    observations_imported: int = 0  # of those, written now
    problems: tuple[str, ...] = ()  # observations left out, and why

    @property
    def present(self) -> int:
        return self.found - self.imported


def runs_from_notebook(path: Path | str) -> list[Run]:
    """The distinct runs recorded in ``path``, in order; LedgerError on a bad record.

    ``path`` is an executed notebook or a file written by ``bizml ledger export
    --format json``. A run shown twice (e.g. by ``%bizml show``) is returned
    once, with the metrics of its latest card.
    """
    path = Path(path)
    data = read_notebook_or_export(path)
    runs: dict[str, Run] = {}
    if isinstance(data, list):
        for index, record in enumerate(data):
            run = validate_record(record, f"{path}, record {index}")
            runs[run.id] = run
        return list(runs.values())
    for index, _mime, record in outputs(data, (RUN_MIME,)):
        run = validate_record(record, f"{path}, cell {index + 1}")
        runs[run.id] = run
    return list(runs.values())


def observations_from_notebook(path: Path | str) -> list[tuple[int, Observation]]:
    """The distinct observations in the observation cards of ``path``, with the index of
    the cell that showed each (from 0); LedgerError on a bad record. An export (a list
    of run records) holds none."""
    path = Path(path)
    data = read_notebook_or_export(path)
    found: dict[str, tuple[int, Observation]] = {}
    if isinstance(data, list):
        return []
    for index, _mime, record in outputs(data, (OBSERVATION_MIME,)):
        where = f"{path}, cell {index + 1}"
        check_record(record, OBSERVATION_MIME, where)
        if record.get("observation") is not None:
            obs = validate_observation(record["observation"], where)
            found.setdefault(obs.id, (index, obs))
    return list(found.values())


def import_files(ledger: Ledger, paths: Sequence[Path | str]) -> list[Imported]:
    """Import the runs of every file in ``paths`` into ``ledger``: all of them or none.

    Every record of every file is checked first; a bad one refuses the whole
    import (LedgerError naming the file, the cell and the field) and nothing is
    written. The runs are then written in one transaction; runs already in the
    ledger (same id) are left as they are, so importing twice adds nothing. A run
    in several files counts for the first.
    """
    batches: list[tuple[Path, list[Run]]] = []
    seen: list[list[tuple[int, Observation]]] = []
    for path in paths:
        try:
            batches.append((Path(path), runs_from_notebook(path)))
            seen.append(observations_from_notebook(path))
        except RecordError as exc:
            raise RecordError(
                f"{exc}. Nothing was imported: re-run or clear that cell's output (or fix "
                "the record), then import again",
                exc.field,
            ) from None
    owner: dict[str, int] = {}
    todo: list[Run] = []
    for number, (_path, runs) in enumerate(batches):
        for run in runs:
            if run.id not in owner:
                owner[run.id] = number
                todo.append(run)
    written = ledger.record_new(todo)
    counts = [0] * len(batches)
    for run_id in written:
        counts[owner[run_id]] += 1
    known = {run.id for run in ledger.runs()} if any(seen) else set()
    first: dict[str, int] = {}
    ready: list[Observation] = []
    problems: list[list[str]] = [[] for _ in batches]
    for number, ((path, _runs), found) in enumerate(zip(batches, seen, strict=True)):
        for index, obs in found:
            if obs.id in first:
                continue
            if obs.run_id not in known:
                problems[number].append(
                    f"{path}, cell {index + 1}: observation {obs.id} is of run {obs.run_id}, "
                    "which is neither in the ledger nor in the files imported; import the "
                    "notebook that recorded the run, then this one again"
                )
                continue
            first[obs.id] = number
            ready.append(replace(obs, origin=fit_text(IMPORT_PREFIX + path.name, NAME_CHARS)))
    stored = ledger.observe_new(ready)
    observed = [0] * len(batches)
    for obs_id in stored:
        observed[first[obs_id]] += 1
    return [
        Imported(path, len(runs), count, len(found), done, tuple(problem))
        for (path, runs), count, found, done, problem in zip(
            batches, counts, seen, observed, problems, strict=True
        )
    ]
