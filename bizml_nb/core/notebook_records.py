"""The bizml records in a notebook's outputs, read and checked, never executed.

Every cell output of an executed notebook may carry a bizml record: a MIME type
``application/vnd.bizml.NAME+json`` (:data:`RECORD_PREFIX`, :data:`RECORD_SUFFIX`)
beside the text the card showed. A notebook is read as plain JSON (no nbformat
import, no execution), through :func:`bizml_nb.core.schema.parse_json`: nesting too
deep and integers too long are refusals, not crashes. Every record is checked before
anything uses it:

- a run record (:data:`~bizml_nb.core.run.RUN_MIME`) against the run record schema
  (:func:`bizml_nb.core.run.validate_record`);
- an observation card's record (:data:`OBSERVATION_MIME`) must be a JSON object whose
  ``observation``, when not null, is an observation record
  (:func:`bizml_nb.core.observation.validate_observation`);
- any other record (ROI, maturity, monitoring, capacity) must be a JSON object within
  the schema's general limits (finite numbers, integers of at most 19 digits,
  nesting, sizes).

:func:`read_records` gives every record of a notebook with the problems it left out
(for readers such as the report that go on past a bad record);
:func:`cards_in_notebook` the checked cards; :func:`check_record` checks one record,
for readers that find records themselves; :func:`read_notebook_or_export` reads a
notebook, or the JSON list of run records ``bizml ledger export --format json`` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import LedgerError
from bizml_nb.core.nbfile import RECORD_PREFIX, RECORD_SUFFIX
from bizml_nb.core.observation import validate_observation
from bizml_nb.core.run import RUN_MIME, validate_record
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

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "OBSERVATION_MIME",
    "RECORD_PREFIX",
    "RECORD_SUFFIX",
    "Found",
    "NotebookRecords",
    "bundles",
    "cards_in_notebook",
    "check_record",
    "outputs",
    "read_notebook_or_export",
    "read_records",
]

#: the MIME type of an observation card's record (``present.realised_cards`` shows it and
#: imports it from here); its ``observation`` field holds the observation's own record, or null
OBSERVATION_MIME = "application/vnd.bizml.observation+json"


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


def cards_in_notebook(path: Path | str) -> list[dict[str, Any]]:
    """Every card in the outputs of ``path``, in notebook order, as its display data.

    ``card[RUN_MIME]`` is the whole record (run and impact), checked against the
    run record schema (LedgerError naming the cell and field if one is bad);
    ``card["text/plain"]`` is the text the card showed.
    """
    path = Path(path)
    data = read_notebook_or_export(path)
    if isinstance(data, list):
        raise LedgerError(f"{path} is a list of run records, not a notebook with cards")
    cards = []
    for index, output in bundles(data):
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
        data = read_notebook_or_export(path)
    except LedgerError as exc:
        return NotebookRecords(path, (), (str(exc),))
    if isinstance(data, list):
        return NotebookRecords(path, (), (f"{path} is a list of run records, not a notebook",))
    found: list[Found] = []
    problems: list[str] = []
    for index, mime, record in outputs(data, wanted):
        try:
            check_record(record, mime, f"{path}, cell {index + 1}")
        except RecordError as exc:
            problems.append(str(exc))
            continue
        found.append(Found(index, mime, record))
    return NotebookRecords(path, tuple(found), tuple(problems))


def check_record(record: Any, mime: str, where: str = "") -> None:
    """Check one bizml record of type ``mime`` by the rules :func:`read_records` applies.

    A run record (:data:`~bizml_nb.core.run.RUN_MIME`) must meet the run record
    schema; any other record must be a JSON object within the schema's general
    limits (finite numbers, integers of at most 19 digits, nesting, sizes), and an
    observation card's ``observation`` (unless null) the observation record's rules.
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
    if mime == OBSERVATION_MIME and record.get("observation") is not None:
        validate_observation(record["observation"], where or None)


# --------------------------------------------------------------------------- reading


def read_notebook_or_export(path: Path) -> dict[str, Any] | list[Any]:
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


def bundles(notebook: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each output's data bundle, with its cell's index; damaged structure is skipped."""
    for index, cell in enumerate(notebook["cells"]):
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        for output in outputs if isinstance(outputs, list) else []:
            data = output.get("data") if isinstance(output, dict) else None
            if isinstance(data, dict):
                yield index, data


def outputs(
    notebook: dict[str, Any], mimes: tuple[str, ...] | None
) -> Iterator[tuple[int, str, Any]]:
    """(cell index, MIME type, record) of every bizml record of the wanted types."""
    for index, data in bundles(notebook):
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
