"""The floor: bare SQLite, no tracker. One WAL insert a run; read all runs into a DataFrame.

Run by any Python with pandas (benchmarks/bench_peers.py uses bizml_nb's own).

One row holds what bizml_nb records for an experiment, with the same settings
(WAL, ``synchronous = NORMAL``, one connection kept open, one ``BEGIN IMMEDIATE``
transaction a run): an id, the name, a timestamp, the 5 parameters and the 10
metrics as JSON text. Nothing is validated and no provenance is collected, so
this is the least any tracker on SQLite can do.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import arguments, emit, metrics, params, run_name, summary_ms, time_each, time_reads

SCHEMA = """CREATE TABLE runs (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, started_at TEXT NOT NULL,
    params TEXT NOT NULL, metrics TEXT NOT NULL
) WITHOUT ROWID"""
INSERT = "INSERT INTO runs (id, name, started_at, params, metrics) VALUES (?, ?, ?, ?, ?)"


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def row(i: int) -> tuple[str, str, str, str, str]:
    return (
        secrets.token_hex(13),
        run_name(i),
        datetime.now(UTC).isoformat(),
        json.dumps(params(i)),
        json.dumps(metrics(i)),
    )


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    path = Path(args.dir).resolve() / "floor.sqlite"
    conn = connect(path)
    conn.execute(SCHEMA)
    import pandas as pd  # a notebook has pandas loaded already; do not time its import

    def record(i: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(INSERT, row(i))
        conn.execute("COMMIT")

    times = time_each(record, args.records)
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(INSERT, [row(i) for i in range(args.records, args.runs)])
    conn.execute("COMMIT")
    fill_s = time.perf_counter() - t0
    conn.close()

    def read() -> Any:
        with sqlite3.connect(path) as reader:
            rows = reader.execute(
                "SELECT id, name, started_at, params, metrics FROM runs"
            ).fetchall()
        base = pd.DataFrame.from_records(rows, columns=["id", "name", "started_at", "params", "m"])
        values = pd.DataFrame.from_records([json.loads(m) for m in base.pop("m")], index=base.index)
        base["params"] = [json.loads(p) for p in base["params"]]
        return pd.concat([base, values], axis=1)

    emit(
        {
            "tool": "sqlite",
            "version": sqlite3.sqlite_version,
            "python": sys.version.split()[0],
            "record": summary_ms(times),
            "record_how": "BEGIN IMMEDIATE + INSERT one row (params, metrics as JSON) + COMMIT",
            "read": time_reads(read),
            "read_how": "SELECT * + json.loads -> DataFrame",
            "fill": f"runs {args.records + 1:,}-{args.runs:,} in one executemany",
            "fill_s": fill_s,
        }
    )


if __name__ == "__main__":
    main()
