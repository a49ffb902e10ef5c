"""Runs written by earlier versions that break the run record schema, set aside on upgrade.

Before the run record schema (ledger schema 5), ``bizml ledger import`` could write
rows that later broke every reader (a ``started_at`` of ``"yesterday"``, tags that
are numbers, an infinite metric). Every write is checked now, so such rows can only
come from an older ledger. When a ledger is upgraded to schema 5, each existing row
is checked once; a damaged one is moved, whole and as it was, to the table
``set_aside`` (with the problem that was found) and out of ``runs``, so listing,
showing and exporting work again and nothing is deleted. ``bizml ledger import``
of the notebook that made the run brings a good copy back.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Sequence

SET_ASIDE_TABLE = """
CREATE TABLE set_aside (
    run_id   TEXT PRIMARY KEY,
    row      TEXT NOT NULL,
    problem  TEXT NOT NULL,
    set_at   TEXT NOT NULL
) WITHOUT ROWID;
"""


def set_aside_damaged(
    conn: sqlite3.Connection,
    columns: Sequence[str],
    check: Callable[[Sequence[Any]], None],
    now: str,
) -> list[tuple[str, str]]:
    """Move each row of ``runs`` that ``check`` refuses into ``set_aside``.

    Runs inside the caller's transaction. ``check`` raises (any ``Exception``) with
    a message naming the problem. Returns ``(run id, problem)`` for each row moved;
    a baseline designation of a moved run is moved with it (kept in its row's JSON).
    """
    moved: list[tuple[str, str]] = []
    names = ", ".join(columns)
    for row in conn.execute(f"SELECT {names} FROM runs ORDER BY id").fetchall():
        try:
            check(row)
        except Exception as exc:  # any failure to read the row is damage
            moved.append((str(row[0]), str(exc) or type(exc).__name__))
            kept = dict(zip(columns, row, strict=True))
            baseline = conn.execute(
                "SELECT target FROM baselines WHERE run_id = ?", (row[0],)
            ).fetchall()
            kept["baseline_of"] = [target for (target,) in baseline]
            conn.execute(
                "INSERT OR REPLACE INTO set_aside (run_id, row, problem, set_at) "
                "VALUES (?, ?, ?, ?)",
                (row[0], json.dumps(kept, default=str), moved[-1][1], now),
            )
            conn.execute("DELETE FROM baselines WHERE run_id = ?", (row[0],))
            conn.execute("DELETE FROM runs WHERE id = ?", (row[0],))
            conn.execute("DELETE FROM run_order WHERE run_id = ?", (row[0],))
    return moved


def describe(path: object, moved: Sequence[tuple[str, str]]) -> str:
    """One warning for the runs set aside while upgrading the ledger at ``path``."""
    shown = "; ".join(f"{run_id} ({problem})" for run_id, problem in moved[:5])
    more = f"; and {len(moved) - 5} more" if len(moved) > 5 else ""
    return (
        f"{len(moved)} run(s) in {path} broke the run record schema and were set aside in its "
        f"table set_aside (nothing was deleted): {shown}{more}. Import the notebooks that made "
        "them (`bizml ledger import NOTEBOOK.ipynb`) to bring good copies back"
    )
