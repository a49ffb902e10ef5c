"""Read runs back from executed notebooks: each card carries its whole run record.

The notebook is read as plain JSON (no nbformat import, no execution), through
:func:`bizml_nb.core.schema.parse_json`: nesting too deep and integers too long are
refusals, not crashes. Every run record is checked against the run record schema
(:mod:`bizml_nb.core.schema`) before anything uses it:

- :func:`runs_from_notebook` and :func:`import_files` (``bizml ledger import``)
  refuse a file with a bad record, naming the file, the cell and the field;
  :func:`import_files` checks every record of every file before it writes one
  row, then writes them all in one transaction;
- :func:`cards_in_notebook` gives the checked cards of a notebook;
- :func:`read_records` gives every bizml record of a notebook (runs, ROI,
  maturity, monitoring, capacity) with a list of the records it left out and
  why, for readers such as the report that go on past a bad record;
- :func:`check_record` checks one record by the same rules, for readers that
  find records themselves (:func:`bizml_nb.interfaces.templates.read_record`).

Besides notebooks, the files may be what ``bizml ledger export --format json``
writes: a JSON list of run records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import LedgerError
from bizml_nb.core.run import validate_record
from bizml_nb.core.schema import (
    MAX_ITEMS,
    NAME_CHARS,
    Invalid,
    JSONProblem,
    RecordError,
    parse_json,
    plain,
    show,
    text,
)
from bizml_nb.present.cards import RUN_MIME

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from bizml_nb.core.ledger import Ledger, Run

RECORD_PREFIX = "application/vnd.bizml."
RECORD_SUFFIX = "+json"


@dataclass(frozen=True)
class Found:
    """One bizml record in a notebook's outputs: its cell, type and data.

    ``cell`` is the index in the notebook's list (from 0); messages count from 1.
    """

    cell: int
    mime: str
    record: dict[str, Any]


@dataclass(frozen=True)
class NotebookRecords:
    """The checked bizml records of one notebook, and what was left out and why."""

    path: Path
    records: tuple[Found, ...]
    problems: tuple[str, ...]


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
    data = _read(path)
    runs: dict[str, Run] = {}
    if isinstance(data, list):
        for index, record in enumerate(data):
            run = validate_record(record, f"{path}, record {index}")
            runs[run.id] = run
        return list(runs.values())
    for index, _mime, record in _outputs(data, (RUN_MIME,)):
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


def cards_in_notebook(path: Path | str) -> list[dict[str, Any]]:
    """Every card in the outputs of ``path``, in notebook order, as its display data.

    ``card[RUN_MIME]`` is the whole record (run and impact), checked against the
    run record schema (LedgerError naming the cell and field if one is bad);
    ``card["text/plain"]`` is the text the card showed.
    """
    path = Path(path)
    data = _read(path)
    if isinstance(data, list):
        raise LedgerError(f"{path} is a list of run records, not a notebook with cards")
    cards = []
    for index, output in _bundles(data):
        if RUN_MIME in output:
            validate_record(output[RUN_MIME], f"{path}, cell {index + 1}")
            cards.append(output)
    return cards


def read_records(path: Path | str, mimes: Iterable[str] | None = None) -> NotebookRecords:
    """The bizml records in the outputs of ``path``, checked, and the problems found.

    ``mimes`` picks the record types (default: every ``application/vnd.bizml.*+json``).
    Run records are checked against the run record schema; other records must be
    JSON objects within the same limits (finite numbers, nesting, sizes). A record
    that fails is left out and its problem, naming the cell and the field, is listed;
    a file that cannot be read gives no records and one problem. Never raises for
    a bad file.
    """
    path = Path(path)
    wanted = None if mimes is None else tuple(mimes)
    try:
        data = _read(path)
    except LedgerError as exc:
        return NotebookRecords(path, (), (str(exc),))
    if isinstance(data, list):
        return NotebookRecords(path, (), (f"{path} is a list of run records, not a notebook",))
    found: list[Found] = []
    problems: list[str] = []
    for index, mime, record in _outputs(data, wanted):
        try:
            check_record(record, mime, f"{path}, cell {index + 1}")
        except RecordError as exc:
            problems.append(str(exc))
            continue
        found.append(Found(index, mime, record))
    return NotebookRecords(path, tuple(found), tuple(problems))


def check_record(record: Any, mime: str, where: str = "") -> None:
    """Check one bizml record of type ``mime`` by the rules :func:`read_records` applies.

    A run record (:data:`~bizml_nb.present.cards.RUN_MIME`) must meet the run record
    schema; any other record must be a JSON object within the schema's general
    limits (finite numbers, integers of at most 19 digits, nesting, sizes).
    Raises :class:`~bizml_nb.core.schema.RecordError` whose message starts with
    ``where`` (e.g. ``"nb.ipynb, cell 3"``) and names the field.
    """
    if mime == RUN_MIME:
        validate_record(record, where or None)
        return
    try:
        _check_other(record, mime)
    except Invalid as exc:
        prefix = f"{where}: " if where else ""
        raise RecordError(f"{prefix}{mime}: {exc.message}", exc.field) from None


# --------------------------------------------------------------------------- reading


def _read(path: Path) -> dict[str, Any] | list[Any]:
    """A notebook (a dict with cells) or an export (a list of records); LedgerError otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LedgerError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise LedgerError(f"{path} is a folder; give a notebook file (.ipynb)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read {path}: {exc}") from None
    try:
        data = parse_json(text)
    except JSONProblem as exc:
        if exc.deep:
            raise LedgerError(f"cannot read {path}: {exc.detail}") from None
        raise LedgerError(f"{path} is not a notebook ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("cells"), list):
        return data
    if isinstance(data, list) and (not data or any(_is_run_record(item) for item in data)):
        return data
    if _is_run_record(data):
        return [data]
    raise LedgerError(
        f"{path} is not a Jupyter notebook (no cells), nor a list of run records from "
        "`bizml ledger export --format json`"
    )


def _is_run_record(item: Any) -> bool:
    return isinstance(item, dict) and item.get("format") == "bizml.run"


def _bundles(notebook: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each output's data bundle, with its cell's index; damaged structure is skipped."""
    for index, cell in enumerate(notebook["cells"]):
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        for output in outputs if isinstance(outputs, list) else []:
            data = output.get("data") if isinstance(output, dict) else None
            if isinstance(data, dict):
                yield index, data


def _outputs(
    notebook: dict[str, Any], mimes: tuple[str, ...] | None
) -> Iterator[tuple[int, str, Any]]:
    """(cell index, MIME type, record) of every bizml record of the wanted types."""
    for index, data in _bundles(notebook):
        for mime, record in data.items():
            if mimes is None:
                if not (mime.startswith(RECORD_PREFIX) and mime.endswith(RECORD_SUFFIX)):
                    continue
            elif mime not in mimes:
                continue
            yield index, mime, record


def _check_other(record: Any, mime: str) -> None:
    """A record other than a run's: a JSON object within the schema's general limits."""
    if not isinstance(record, dict):
        raise Invalid(mime, f"the record is {show(record)}, not a JSON object")
    if len(record) > MAX_ITEMS:
        raise Invalid(mime, f"the record has {len(record):,} entries; at most {MAX_ITEMS:,}")
    for key, value in record.items():
        plain(value, text(key, "a key", limit=NAME_CHARS))
