"""``bizml ledger import``: read runs back from executed notebooks into the ledger.

Each card in a notebook's outputs carries its whole run record; reading and checking
records is :mod:`bizml_nb.core.notebook_records` (re-exported here: :func:`read_records`,
:func:`cards_in_notebook`, :func:`check_record`...). Every run record is checked
against the run record schema before anything uses it:

- :func:`runs_from_notebook` and :func:`import_files` (``bizml ledger import``)
  refuse a file with a bad record, naming the file, the cell and the field;
  :func:`import_files` checks every record of every file before it writes one
  row, then writes them all in one transaction.

Besides notebooks, the files may be what ``bizml ledger export --format json``
writes: a JSON list of run records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bizml_nb.core.notebook_records import (
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
from bizml_nb.core.run import RUN_MIME, validate_record
from bizml_nb.core.schema import RecordError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.core.ledger import Ledger, Run

__all__ = [
    "RECORD_PREFIX",
    "RECORD_SUFFIX",
    "Found",
    "Imported",
    "NotebookRecords",
    "cards_in_notebook",
    "check_record",
    "import_files",
    "read_records",
    "runs_from_notebook",
]


@dataclass(frozen=True)
class Imported:
    """What ``bizml ledger import`` did with one file."""

    path: Path
    found: int  # distinct runs in the file
    imported: int  # of those, written now (the others were already in the ledger)

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


def import_files(ledger: Ledger, paths: Sequence[Path | str]) -> list[Imported]:
    """Import the runs of every file in ``paths`` into ``ledger``: all of them or none.

    Every record of every file is checked first; a bad one refuses the whole
    import (LedgerError naming the file, the cell and the field) and nothing is
    written. The runs are then written in one transaction; runs already in the
    ledger (same id) are left as they are, so importing twice adds nothing. A run
    in several files counts for the first.
    """
    batches: list[tuple[Path, list[Run]]] = []
    for path in paths:
        try:
            batches.append((Path(path), runs_from_notebook(path)))
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
    return [
        Imported(path, len(runs), count)
        for (path, runs), count in zip(batches, counts, strict=True)
    ]
