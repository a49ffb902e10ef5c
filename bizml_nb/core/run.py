"""A run: one recorded experiment, its id, and its JSON record.

A run is what the ledger (:mod:`bizml_nb.core.ledger`) stores and what a notebook
output carries as ``application/vnd.bizml.run+json``: the record
``{"format": RECORD_FORMAT, "version": RECORD_VERSION, "run": {...}}``. Every record
that comes in is checked by :func:`validate_record` against the field rules of
:mod:`bizml_nb.core.schema`. Run ids are ULIDs (:func:`new_run_id`); times are ISO 8601
UTC with milliseconds (:func:`now_iso`).

>>> run = Run.new("baseline", target="take_rate", metrics={"ndcg@10": 0.4})
>>> Run.from_record(run.to_record()) == run
True
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from bizml_nb.core.schema import (
    Invalid,
    RecordError,
    check_envelope,
    plain,
    run_fields,
    run_id,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

RECORD_FORMAT = "bizml.run"
RECORD_VERSION = 1
#: the MIME type of a run record in a notebook output (an experiment card's record)
RUN_MIME = "application/vnd.bizml.run+json"
Status = Literal["ok", "failed"]


@dataclass(frozen=True)
class Run:
    """One recorded experiment: what was tried, against which KPI, and what it measured."""

    id: str
    name: str
    target: str
    started_at: str
    hypothesis: str | None = None
    expect: str | None = None
    tags: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    is_baseline: bool = False
    status: Status = "ok"
    error: str | None = None
    duration_s: float | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    notebook: str | None = None
    cell_id: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    python_version: str | None = None
    bizml_version: str | None = None
    eng_hours: float | None = None
    deployed_on: str | None = None  # ISO date the run's model went live

    @classmethod
    def new(cls, name: str, *, target: str, **fields: Any) -> Run:
        """A run with a fresh id and the current time as its start."""
        return cls(id=new_run_id(), name=name, target=target, started_at=now_iso(), **fields)

    def with_metrics(self, metrics: Mapping[str, float]) -> Run:
        """A copy of this run with ``metrics`` added (later values win)."""
        return replace(self, metrics={**self.metrics, **metrics})

    def to_record(self) -> dict[str, Any]:
        """The JSON-able record stored in notebooks as ``application/vnd.bizml.run+json``."""
        run = asdict(self)
        run["tags"] = list(self.tags)
        run["params"] = dict(self.params)
        run["metrics"] = dict(self.metrics)
        return {"format": RECORD_FORMAT, "version": RECORD_VERSION, "run": run}

    @classmethod
    def from_record(cls, record: Mapping[str, Any], where: str | None = None) -> Run:
        """Rebuild a run from :meth:`to_record` output; LedgerError if it is not one.

        The record is checked against the run record schema (:func:`validate_record`):
        the error names the field and what it may hold, after ``where`` if given.
        """
        return validate_record(record, where)


def validate_record(record: Any, where: str | None = None) -> Run:
    """The :class:`Run` in a run record; :class:`~bizml_nb.core.schema.RecordError` if it
    breaks the schema. ``where`` (e.g. ``"nb.ipynb, cell 3"``) starts the message."""
    prefix = f"{where}: " if where else ""
    check_envelope(
        record,
        file_format=RECORD_FORMAT,
        body="run",
        kind="run",
        current=RECORD_VERSION,
        prefix=prefix,
    )
    try:
        fields = run_fields(record["run"])
        for key, value in record.items():
            if key not in ("format", "version", "run"):
                plain(value, str(key))
        if record.get("baseline_run") is not None:
            run_id(record["baseline_run"], "baseline_run")
    except Invalid as exc:
        raise RecordError(f"{prefix}malformed run record: {exc.message}", exc.field) from None
    if "params" in fields:
        fields["params"] = dict(fields["params"])
    return Run(**fields)


# --------------------------------------------------------------------------- ids and times

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class _IdSequence:
    """The last id this process made, so that the next one sorts after it."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the last id (in a forked child: start a sequence of its own)."""
        self.last = 0
        self.lock = threading.Lock()

    def after(self, fresh: int) -> int:
        """``fresh``, or the last id plus one when ``fresh`` is not in a later millisecond."""
        with self.lock:
            if fresh >> 80 <= self.last >> 80:
                fresh = self.last + 1
            self.last = fresh
            return fresh


_ids = _IdSequence()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.reset)


def new_run_id() -> str:
    """A 26-character ULID: 48 bits of milliseconds then 80 random bits.

    Ids sort by creation time and are unique across machines without coordination.
    Within a process they are monotonic (the ULID spec's monotonic mode): an id made
    in the same millisecond as the one before it, or after the clock was set back,
    is that id plus one, so a process's ids sort in the order they were made.
    """
    value = _ids.after(_now_ms() << 80 | secrets.randbits(80))
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds, e.g. 2026-11-28T12:00:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def unique_prefixes(ids: Iterable[str], shortest: int = 12) -> dict[str, str]:
    """Each id -> its shortest prefix of at least ``shortest`` characters that no other
    id of ``ids`` starts with (the whole id when another id starts with all of it).

    Cards name runs by a 12-character prefix; two runs made in the same millisecond
    share those (a ULID's first 10 characters are its time), so a card listing several
    runs names each by as many characters as tell it from the others.

    >>> shown = unique_prefixes(["01JDA0000000A1", "01JDA0000000A2", "01JDB0000000ZZ"])
    >>> sorted(shown.values())
    ['01JDA0000000A1', '01JDA0000000A2', '01JDB0000000']
    """
    ordered = sorted(set(ids))
    shared = [0] * len(ordered)  # the longest prefix each shares with a neighbour
    for i in range(len(ordered) - 1):
        a, b = ordered[i], ordered[i + 1]
        common = 0
        while common < min(len(a), len(b)) and a[common] == b[common]:
            common += 1
        shared[i] = max(shared[i], common)
        shared[i + 1] = max(shared[i + 1], common)
    return {
        each: each[: max(shortest, common + 1)]
        for each, common in zip(ordered, shared, strict=True)
    }
