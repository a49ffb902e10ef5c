"""Observations in the ledger: the table ``observations`` (schema 7, 8), written and read.

An observation (:class:`~bizml_nb.core.observation.Observation`) belongs to a recorded
run: one for a run the ledger does not hold is refused, naming the run, and nothing is
written. A run may have several observations (a two-week test, then the launch); all
are kept, and the latest by ``observed_on`` then ``recorded_at`` is *the* observation of
the run (:func:`~bizml_nb.core.observation.latest`). Each write is one transaction.
:class:`~bizml_nb.core.ledger.Ledger` exposes these as ``observe``, ``observe_new`` and
``observations``.

>>> import tempfile, pathlib
>>> from bizml_nb.core.ledger import Ledger, Run
>>> ledger = Ledger(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
>>> run = Run.new("two-tower", target="take_rate", metrics={"ndcg@10": 0.43})
>>> ledger.record(run)
>>> ledger.observe(Observation.new(run.id, 0.0021, 0.0008, 0.0034, source="A/B test",
...                                observed_on="2026-11-20"))
>>> [obs.kpi_delta for obs in ledger.observations(run.id)]
[0.0021]
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import LedgerError
from bizml_nb.core.observation import Observation

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.core.ledger import Ledger

#: the columns of ``observations``, in the order of :func:`to_row` and :func:`from_row`.
COLUMNS = (
    "id",
    "run_id",
    "kpi_delta",
    "low",
    "high",
    "level",
    "source",
    "observed_on",
    "recorded_at",
    "origin",
    "n_days",
    "method",
    "predicted_low",
    "predicted_mid",
    "predicted_high",
    "baseline_id",
)
SELECT = f"SELECT {', '.join('o.' + c for c in COLUMNS)} FROM observations o"
INSERT = f"INSERT INTO observations ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
ORDER = " ORDER BY o.observed_on, o.recorded_at, o.id"


def to_row(obs: Observation) -> tuple[Any, ...]:
    """The values of ``obs`` for :data:`INSERT`, in the order of :data:`COLUMNS`."""
    return tuple(getattr(obs, column) for column in COLUMNS)


def from_row(row: Sequence[Any]) -> Observation:
    """The observation stored in a row of :data:`COLUMNS` (checked again as it is made)."""
    return Observation(**dict(zip(COLUMNS, row, strict=True)))


def observe(ledger: Ledger, obs: Observation) -> None:
    """Write ``obs`` in one transaction; LedgerError for an unknown run or a repeated id."""
    with ledger._writing() as conn:
        _known_runs(conn, ledger, [obs])
        try:
            conn.execute(INSERT, to_row(obs))
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" not in str(exc):
                raise LedgerError(f"observation {obs.id} is not valid ({exc})") from None
            raise LedgerError(
                f"an observation with id {obs.id} is already in {ledger.path}"
            ) from None


def observe_new(ledger: Ledger, observations: Sequence[Observation]) -> list[str]:
    """Write the observations not yet present (by id), all in one transaction; their ids.

    Every one must belong to a run the ledger holds: one that does not and nothing is
    written (an import or a pull brings the runs first).
    """
    written: list[str] = []
    if not observations:
        return written
    insert = INSERT.replace("INSERT", "INSERT OR IGNORE", 1)
    with ledger._writing() as conn:
        _known_runs(conn, ledger, observations)
        for obs in observations:
            before = conn.total_changes
            conn.execute(insert, to_row(obs))
            if conn.total_changes > before:
                written.append(obs.id)
    return written


def observations(
    ledger: Ledger, run_id: str | None = None, target: str | None = None
) -> list[Observation]:
    """The observations, oldest first (by observed_on, recorded_at), optionally only those
    of one run (its whole id) or of the runs of one KPI."""
    conn = ledger._reading()
    if conn is None:
        return []
    query, clauses, args = SELECT, [], []
    if target is not None:
        query += " JOIN runs r ON r.id = o.run_id"
        clauses.append("r.target = ?")
        args.append(target)
    if run_id is not None:
        clauses.append("o.run_id = ?")
        args.append(run_id)
    if clauses:
        query += " WHERE " + " AND ".join(clauses)
    with ledger._errors():
        rows = conn.execute(query + ORDER, args).fetchall()
    return [from_row(row) for row in rows]


def _known_runs(conn: sqlite3.Connection, ledger: Ledger, items: Sequence[Observation]) -> None:
    """Refuse observations of runs this ledger does not hold (inside the write's transaction)."""
    for run_id in dict.fromkeys(obs.run_id for obs in items):
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise LedgerError(
                f"no run with id {run_id!r} in {ledger.path}; an observation belongs to a "
                "recorded run (record it, or import the notebook that made it, first); "
                "nothing was written"
            )
