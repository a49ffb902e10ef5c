"""Ledger schema 6: a schema-5 file opens and is upgraded; origins and pushes are kept.

The schema-5 file is built by executing the first five migrations exactly as the
previous version ran them, then filled the way that version wrote rows.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from bizml_nb.core.ledger import Ledger
from bizml_nb.core.ledger_schema import (
    APPLICATION_ID,
    INSERT,
    MIGRATIONS,
    SCHEMA_VERSION,
    statements,
    to_row,
)
from bizml_nb.core.run import Run

if TYPE_CHECKING:
    from pathlib import Path

V5_COLUMNS = INSERT.split("(", 1)[1].split(")", 1)[0]


def _schema_5_ledger(path: Path, runs: list[Run]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:5]:
        for statement in statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 5")
    for run in runs:
        values = to_row(run)
        conn.execute(
            f"INSERT INTO runs ({V5_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values
        )
    conn.execute(
        "INSERT INTO baselines VALUES ('kpi', ?, '2026-01-01T00:00:00.000Z')", (runs[0].id,)
    )
    conn.close()


def test_a_schema_5_ledger_opens_upgraded_to_6_with_every_run_and_its_baseline(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v5.sqlite"
    runs = [
        Run.new("base", target="kpi", metrics={"auc": 0.8}, is_baseline=True),
        Run.new("next", target="kpi", metrics={"auc": 0.83}, tags=("a",), eng_hours=3.0),
    ]
    _schema_5_ledger(path, runs)
    ledger = Ledger(path)
    assert ledger.runs() == runs
    assert ledger.baseline("kpi") == runs[0]
    assert ledger.last() == runs[1]
    assert ledger.origins() == {}
    assert ledger.pushed("http://x", "1") == {}
    ledger.close()
    check = sqlite3.connect(path)
    assert SCHEMA_VERSION == 8  # through 6 and 7
    assert check.execute("PRAGMA user_version").fetchone()[0] == 8
    columns = [row[1] for row in check.execute("PRAGMA table_info(runs)")]
    assert columns[-2:] == ["origin", "origin_author"]
    check.close()


def test_origins_and_pushes_are_kept_and_a_present_run_keeps_its_own(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite")
    mine = Run.new("mine", target="kpi", metrics={"auc": 0.8})
    ledger.record(mine)
    theirs = Run.new("theirs", target="kpi", metrics={"auc": 0.9})
    written = ledger.record_new(
        [mine, theirs], {mine.id: ("mlflow:aaa", "bo"), theirs.id: ("mlflow:bbb", "ana")}
    )
    assert written == [theirs.id]
    assert ledger.origins() == {theirs.id: ("mlflow:bbb", "ana")}  # mine is left alone
    assert ledger.get(theirs.id) == theirs  # the run itself is unchanged
    ledger.note_pushed(mine.id, "http://s", "7", "r1", "sha1")
    ledger.note_pushed(mine.id, "http://s", "7", "r1", "sha2")  # a later push replaces
    ledger.note_pushed(mine.id, "http://other", "7", "r9", "sha1")
    assert ledger.pushed("http://s", "7") == {mine.id: ("r1", "sha2")}
    assert ledger.pushed("http://other", "7") == {mine.id: ("r9", "sha1")}
    assert ledger.pushed("http://s", "8") == {}
