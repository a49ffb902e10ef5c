"""One schema for a run record, checked wherever a record comes in or a run goes out.

A run record (``application/vnd.bizml.run+json``, a line of ``bizml ledger export
--format json``) is checked field by field before it becomes a
:class:`~bizml_nb.core.run.Run` (:func:`bizml_nb.core.run.validate_record`): by
``bizml ledger import``, by every reader of notebook outputs, and by the ledger before
it writes a run (:func:`check_run`). A record that breaks
a rule is refused with :class:`RecordError`, naming the field (a dotted path such
as ``metrics.ndcg@10``) and what it may hold. The limits are documented in
``docs/formats.md``:

- numbers are finite, never booleans; ML metrics lie within +-:data:`METRIC_LIMIT`
  (so business arithmetic on them stays far from overflowing); integers have at
  most :data:`MAX_INT_DIGITS` digits;
- text is at most :data:`NAME_CHARS` (names, tags, keys) or :data:`TEXT_CHARS`
  characters, with no unpaired surrogate; ``tags`` is a list of strings, ``params``
  a mapping of names to JSON values; timestamps are ISO 8601 with a time zone;
- nesting is at most :data:`MAX_DEPTH` levels, a list or mapping at most
  :data:`MAX_ITEMS` entries; :func:`parse_json` turns JSON nested too deep or
  integers too long into a refusal, never a ``RecursionError`` or ``ValueError``.

>>> from bizml_nb.core.run import Run, validate_record
>>> record = Run.new("baseline", target="take_rate", metrics={"ndcg@10": 0.4}).to_record()
>>> validate_record(record).metrics
{'ndcg@10': 0.4}
>>> record["run"]["metrics"]["ndcg@10"] = float("inf")
>>> validate_record(record, "nb.ipynb, cell 3")
Traceback (most recent call last):
...
bizml_nb.core.schema.RecordError: nb.ipynb, cell 3: malformed run record: metrics.ndcg@10 is Infinity; it must be a finite number from -1e+15 to 1e+15
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import LedgerError

if TYPE_CHECKING:
    from bizml_nb.core.run import Run

METRIC_LIMIT = 1e15  # |ML metric| (and confusion counts); deltas stay below 2e15
DURATION_LIMIT_S = 1e9  # about 31 years
ENG_HOURS_LIMIT = 1e7  # about 1,100 person-years
INT_LIMIT = 2**63 - 1  # |integer| in params and anywhere else in a record
MAX_INT_DIGITS = 19  # digits of the longest integer a record may hold (INT_LIMIT has 19)
ID_CHARS = 64
NAME_CHARS = 1_000  # run and KPI names, tags, metric and parameter names
TEXT_CHARS = 20_000  # hypothesis, expectation, error, paths and other free text
LONG_TEXT_CHARS = 1_000_000  # any other string in a record (e.g. in its impact)
MAX_TAGS = 1_000
MAX_PARAMS = 1_000
MAX_METRICS = 10_000
MAX_ITEMS = 100_000  # entries of any one list or mapping elsewhere in a record
MAX_DEPTH = 32  # levels of nesting of a record (a run record needs 5)
FIRST_YEAR, LAST_YEAR = 1970, 2200  # timestamps outside are refused (pandas reads to 2262)

_SURROGATE = re.compile("[\ud800-\udfff]")
_ID = re.compile(r"[!-~]+")  # printable ASCII, no spaces
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIMESTAMP_EXAMPLE = "2026-11-28T12:00:00.123Z"


class RecordError(LedgerError, ValueError):
    """A run record (or a run about to be written) breaks the schema.

    ``field`` is the dotted path of the first offending field, e.g. ``metrics.auc``.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class Invalid(Exception):
    """One broken rule: ``field`` (a dotted path) and a message that starts with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class LongInt:
    """An integer in JSON text too long to be a number here (kept as its digit count)."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"an integer of {self.digits:,} digits"


class JSONProblem(ValueError):
    """JSON text that cannot be parsed safely; ``detail`` says why, without a prefix."""

    def __init__(self, message: str, detail: str, *, deep: bool = False) -> None:
        super().__init__(message)
        self.detail = detail
        self.deep = deep  # valid JSON, but nested deeper than it can be read


# --------------------------------------------------------------------------- JSON text


def _parse_int(text: str) -> int | LongInt:
    digits = len(text) - (text[0] == "-")
    return LongInt(digits) if digits > MAX_INT_DIGITS else int(text)


def parse_json(text: str) -> Any:
    """``json.loads`` that never raises ``RecursionError`` or a bare conversion error.

    Integers longer than :data:`MAX_INT_DIGITS` digits come back as :class:`LongInt`
    markers (refused wherever a record holds one); ``NaN``, ``Infinity`` and
    ``1e400`` come back as non-finite floats (refused likewise). Text that is not
    JSON, or nests deeper than Python's parser goes, raises :class:`JSONProblem`.
    """
    try:
        return json.loads(text, parse_int=_parse_int)
    except RecursionError:
        detail = f"its JSON nests too deeply to read (a record may nest {MAX_DEPTH} levels)"
        raise JSONProblem(detail, detail, deep=True) from None
    except ValueError as exc:
        raise JSONProblem(f"invalid JSON: {exc}", str(exc)) from None


# --------------------------------------------------------------------------- values


def show(value: Any) -> str:
    """A short description of ``value`` for a message (never longer than ~80 characters)."""
    if isinstance(value, str):
        text = repr(value[:60]) + ("..." if len(value) > 60 else "")
        return _SURROGATE.sub("\ufffd", text)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping | list | tuple):
        return _show_container(value)
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    if isinstance(value, int | float | LongInt):
        return repr(value)
    return f"a {type(value).__name__} object"


def _show_container(value: Mapping[Any, Any] | list[Any] | tuple[Any, ...]) -> str:
    if isinstance(value, Mapping):
        return "a mapping" if value else "an empty mapping {}"
    if not value:
        return "an empty list []"
    return f"a list of {len(value)} item{'s' if len(value) > 1 else ''}"


def join(path: str, key: str | int) -> str:
    """``path.key`` for a mapping key, ``path[3]`` for a list index."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def text(value: Any, field: str, *, limit: int = TEXT_CHARS, empty: bool = True) -> str:
    """``value`` as text of at most ``limit`` characters (not "" unless ``empty``)."""
    if not isinstance(value, str):
        raise Invalid(field, f"{field} is {show(value)}; it must be a string")
    if len(value) > limit:
        raise Invalid(
            field, f"{field} is {len(value):,} characters long; at most {limit:,} are allowed"
        )
    if not empty and not value:
        raise Invalid(field, f"{field} is an empty string; it must be a non-empty string")
    if not value.isascii() and _SURROGATE.search(value):
        raise Invalid(
            field, f"{field} holds an unpaired surrogate (\\ud800-\\udfff), which is not text"
        )
    return value


def fit_text(value: str, limit: int) -> str:
    """``value`` made storable: unpaired surrogates escaped, cut to ``limit`` characters."""
    if not value.isascii() and _SURROGATE.search(value):
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(value) > limit:
        suffix = f" ... (cut: {len(value):,} characters in all)"
        value = value[: limit - len(suffix)] + suffix
    return value


def optional_text(value: Any, field: str, *, limit: int = TEXT_CHARS) -> str | None:
    return None if value is None else text(value, field, limit=limit)


def number(value: Any, field: str, *, low: float, high: float) -> float:
    """``value`` as a finite float in [low, high]; booleans and text are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(
            field, f"{field} is {show(value)}; it must be a number from {low:g} to {high:g}"
        )
    try:
        result = float(value)
    except OverflowError:
        result = math.inf if value > 0 else -math.inf
    if not math.isfinite(result) or not low <= result <= high:
        finite = "a finite number" if not math.isfinite(result) else "a number"
        raise Invalid(
            field, f"{field} is {show(value)}; it must be {finite} from {low:g} to {high:g}"
        )
    return result


def optional_number(value: Any, field: str, *, low: float, high: float) -> float | None:
    return None if value is None else number(value, field, low=low, high=high)


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(field, f"{field} is {show(value)}; it must be true or false")
    return value


def timestamp(value: Any, field: str) -> str:
    """An ISO 8601 date and time with a time zone, e.g. ``2026-11-28T12:00:00.123Z``."""
    stamp = text(value, field, limit=64)
    moment: datetime | None = None
    if _TIMESTAMP.fullmatch(stamp):
        try:
            moment = datetime.fromisoformat(_six_digits(stamp))
        except ValueError:
            moment = None
    if moment is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise Invalid(
            field,
            f"{field} is {show(value)}; it must be an ISO 8601 time with a time zone between "
            f"{FIRST_YEAR} and {LAST_YEAR}, e.g. {_TIMESTAMP_EXAMPLE}",
        )
    return stamp


def _six_digits(stamp: str) -> str:
    """Python before 3.12 reads 3 or 6 digits of a fraction of a second: pad or cut to 6."""
    head, dot, rest = stamp.partition(".")
    if not dot:
        return stamp
    digits = re.match(r"\d+", rest)
    assert digits is not None
    fraction = digits.group()
    return f"{head}.{(fraction + '000000')[:6]}{rest[len(fraction) :]}"


def day(value: Any, field: str) -> str:
    """An ISO date, YYYY-MM-DD."""
    stamp = text(value, field, limit=16)
    parsed: date | None = None
    if _DATE.fullmatch(stamp):
        try:
            parsed = date.fromisoformat(stamp)
        except ValueError:
            parsed = None
    if parsed is None or not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise Invalid(
            field,
            f"{field} is {show(value)}; it must be a date YYYY-MM-DD between {FIRST_YEAR} "
            f"and {LAST_YEAR}",
        )
    return stamp


def _mapping(value: Any, field: str, limit: int) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise Invalid(field, f"{field} is {show(value)}; it must be a mapping of names to values")
    if len(value) > limit:
        raise Invalid(field, f"{field} has {len(value):,} entries; at most {limit:,} are allowed")
    return value


def _key(key: Any, field: str) -> str:
    if not isinstance(key, str) or not key:
        raise Invalid(field, f"{field} has the key {show(key)}; keys must be non-empty strings")
    return text(key, join(field, key), limit=NAME_CHARS)


def tags(value: Any, field: str = "tags") -> tuple[str, ...]:
    """A list of non-empty strings."""
    if not isinstance(value, list | tuple):
        raise Invalid(field, f"{field} is {show(value)}; it must be a list of strings")
    if len(value) > MAX_TAGS:
        raise Invalid(field, f"{field} has {len(value):,} tags; at most {MAX_TAGS:,} are allowed")
    return tuple(
        text(tag, join(field, index), limit=NAME_CHARS, empty=False)
        for index, tag in enumerate(value)
    )


def params(value: Any, field: str = "params") -> dict[str, Any]:
    """A mapping of names to JSON values (text, finite numbers, true/false, null, and
    lists and mappings of those) within the general limits of :func:`plain`."""
    result: dict[str, Any] = {}
    for key, item in _mapping(value, field, MAX_PARAMS).items():
        name = join(field, _key(key, field))
        plain(item, name)
        result[key] = item
    return result


def metrics(value: Any, field: str = "metrics") -> dict[str, float]:
    """A mapping of ML metric names to finite numbers within +-METRIC_LIMIT."""
    result: dict[str, float] = {}
    for key, item in _mapping(value, field, MAX_METRICS).items():
        # the common case, checked without building the field's name (False for NaN)
        plain_key = type(key) is str and 0 < len(key) <= NAME_CHARS and key.isascii()
        if plain_key and type(item) is float and -METRIC_LIMIT <= item <= METRIC_LIMIT:
            result[key] = item
        else:
            name = _key(key, field)
            result[name] = number(item, join(field, key), low=-METRIC_LIMIT, high=METRIC_LIMIT)
    return result


def plain(value: Any, field: str, *, items: int = MAX_ITEMS) -> None:
    """Check any JSON data: nesting, sizes, finite numbers, short integers, real text.

    Lists and mappings hold at most ``items`` entries. Iterative (no recursion), so a
    deeply nested value is refused, not a crash.
    """
    stack: list[tuple[Any, str, int]] = [(value, field, 1)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Invalid(path, f"{path} nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, Mapping):
            if len(item) > items:
                raise Invalid(path, f"{path} has {len(item):,} entries; at most {items:,}")
            for key, child in item.items():
                if not isinstance(key, str):
                    raise Invalid(path, f"{path} has the key {show(key)}; keys must be strings")
                text(key, join(path, key))
                stack.append((child, join(path, key), depth + 1))
        elif isinstance(item, list | tuple):
            if len(item) > items:
                raise Invalid(path, f"{path} has {len(item):,} items; at most {items:,}")
            stack.extend((child, join(path, i), depth + 1) for i, child in enumerate(item))
        else:
            _scalar(item, path)


def _scalar(item: Any, path: str) -> None:
    if isinstance(item, str):
        text(item, path, limit=LONG_TEXT_CHARS)
    elif isinstance(item, LongInt) or (
        isinstance(item, int) and not isinstance(item, bool) and abs(item) > INT_LIMIT
    ):
        raise Invalid(
            path, f"{path} is {show(item)}; integers must lie within +-{INT_LIMIT:,} (2**63 - 1)"
        )
    elif isinstance(item, float) and not math.isfinite(item):
        raise Invalid(path, f"{path} is {show(item)}; it must be a finite number")
    elif item is not None and not isinstance(item, bool | int | float):
        raise Invalid(path, f"{path} is {show(item)}; it must be JSON data")


# --------------------------------------------------------------------------- run records


def _status(value: Any, field: str) -> str:
    if value not in ("ok", "failed"):
        raise Invalid(field, f"{field} is {show(value)}; it must be 'ok' or 'failed'")
    return str(value)


def run_id(value: Any, field: str) -> str:
    """A run id: printable ASCII without spaces, at most :data:`ID_CHARS` characters."""
    checked = text(value, field, limit=ID_CHARS, empty=False)
    if not _ID.fullmatch(checked):
        raise Invalid(
            field, f"{field} is {show(value)}; a run id is printable ASCII without spaces"
        )
    return checked


def _name(value: Any, field: str) -> str:
    return text(value, field, limit=NAME_CHARS, empty=False)


def _duration(value: Any, field: str) -> float | None:
    return optional_number(value, field, low=0.0, high=DURATION_LIMIT_S)


def _eng_hours(value: Any, field: str) -> float | None:
    return optional_number(value, field, low=0.0, high=ENG_HOURS_LIMIT)


def _deployed(value: Any, field: str) -> str | None:
    return None if value is None else day(value, field)


REQUIRED = ("id", "name", "target", "started_at")
_FIELDS: dict[str, Any] = {
    "id": run_id,
    "name": _name,
    "target": _name,
    "started_at": timestamp,
    "hypothesis": optional_text,
    "expect": optional_text,
    "tags": tags,
    "params": params,
    "is_baseline": boolean,
    "status": _status,
    "error": optional_text,
    "duration_s": _duration,
    "metrics": metrics,
    "notebook": optional_text,
    "cell_id": optional_text,
    "git_commit": optional_text,
    "git_dirty": lambda value, field: None if value is None else boolean(value, field),
    "python_version": optional_text,
    "bizml_version": optional_text,
    "eng_hours": _eng_hours,
    "deployed_on": _deployed,
}


def run_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, typed fields of a run (``record["run"]``); Invalid on the first bad one.

    Missing optional fields are left out (the run's defaults apply); fields this
    version does not know are checked as plain JSON and dropped.
    """
    for key in REQUIRED:
        if key not in data:
            raise Invalid(key, f"{key} is missing; every run has {', '.join(REQUIRED)}")
    checked: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise Invalid("run", f"run has the key {show(key)}; keys must be strings")
        check = _FIELDS.get(key)
        if check is None:
            plain(value, key)
            continue
        checked[key] = check(value, key)
    return checked


def check_run(run: Run) -> None:
    """Refuse a run the ledger must not store: :class:`RecordError` naming the field."""
    data = {name: getattr(run, name) for name in run.__dataclass_fields__}
    try:
        run_fields(data)
    except Invalid as exc:
        raise RecordError(
            f"run {show(run.id)} cannot be stored: {exc.message}", exc.field
        ) from None


def check_envelope(
    record: Any, *, file_format: str, body: str, kind: str, current: int, prefix: str = ""
) -> None:
    """Check a record's envelope ``{"format": file_format, "version": N, body: {...}}``:
    :class:`RecordError` for another kind of record or a version that is not a whole
    number from 1 to ``current`` (``kind`` names the record in the message: "run")."""
    if (
        not isinstance(record, Mapping)
        or record.get("format") != file_format
        or not isinstance(record.get(body), Mapping)
    ):
        raise RecordError(f"{prefix}not a bizml {kind} record", "format")
    version = record.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise RecordError(
            f"{prefix}malformed {kind} record: version is {show(version)}; it must be a "
            f"whole number from 1 to {current}",
            "version",
        )
    if version > current:
        raise RecordError(
            f"{prefix}{kind} record version {version!r} is newer than this bizml_nb reads "
            f"({current}); upgrade bizml_nb",
            "version",
        )
