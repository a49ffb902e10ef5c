"""trackio (local SQLite): record one experiment (median), read 10,000 runs.

Run by benchmarks/.venvs/trackio/bin/python; see benchmarks/bench_peers.py.

Recording uses the public API: ``trackio.init(project, name=..., config=5 params)``,
``trackio.log(10 metrics)``, ``trackio.finish()`` (which waits until the run is
written). trackio has no call that returns runs as a DataFrame, so reading uses its
storage layer in batch: ``SQLiteStorage.get_run_records``, ``get_all_run_configs``
and ``get_logs_batch``, then ``pandas.DataFrame`` (one row a run: name, config,
last logged metrics).

Filling the store to 10,000 runs through ``init``/``log``/``finish`` takes
minutes, so by default the runs past the timed ones are written with
``SQLiteStorage.bulk_log``, the call trackio's own run uses to write its logs
(one call a run, with the config trackio stored for the timed runs). Each call
opens and closes its own connections; one extra connection is held open during
the fill so that SQLite does not checkpoint the WAL at every close (about 5 ms a
run instead of 40 here). ``--full-fill`` records every run through the public API
instead.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from common import (
    PROJECT,
    arguments,
    emit,
    metrics,
    params,
    quiet,
    run_name,
    summary_ms,
    time_each,
    time_reads,
)


def local_only(folder: Path) -> None:
    """Store in ``folder``; no Space, server, dataset or bucket; Hugging Face offline."""
    os.environ["TRACKIO_DIR"] = str(folder / "trackio")
    os.environ["HF_HOME"] = str(folder / "hf")  # no token from the user's cache
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["DO_NOT_TRACK"] = "1"
    for name in (
        "TRACKIO_SPACE_ID",
        "TRACKIO_SERVER_URL",
        "TRACKIO_DATASET_ID",
        "TRACKIO_BUCKET_ID",
        "TRACKIO_WRITE_TOKEN",
        "TRACKIO_WEBHOOK_URL",
        "HF_TOKEN",
        "SPACE_ID",
        "SYSTEM",
    ):
        os.environ.pop(name, None)
    os.chdir(folder)


def record(i: int) -> None:
    import trackio

    trackio.init(project=PROJECT, name=run_name(i), config=params(i))
    trackio.log(metrics(i))
    trackio.finish()


def bulk_fill(start: int, total: int) -> None:
    from trackio.sqlite_storage import SQLiteStorage

    held = sqlite3.connect(SQLiteStorage.get_project_db_path(PROJECT))
    held.execute("SELECT count(*) FROM metrics").fetchone()
    stored = SQLiteStorage.get_all_run_configs(PROJECT)
    template = next(iter(stored.values())) if stored else {}
    extra = {k: v for k, v in template.items() if k.startswith("_")}  # _Username, _Created...
    for i in range(start, total):
        SQLiteStorage.bulk_log(
            PROJECT,
            run_name(i),
            [metrics(i)],
            steps=[0],
            config={**params(i), **extra},
            run_id=uuid.uuid4().hex,
        )
    held.close()


def read_frame() -> Any:
    import pandas as pd
    from trackio.sqlite_storage import SQLiteStorage

    records = SQLiteStorage.get_run_records(PROJECT)
    configs = SQLiteStorage.get_all_run_configs(PROJECT)
    logs = SQLiteStorage.get_logs_batch(
        PROJECT, [{"run": r["name"], "run_id": r["id"]} for r in records]
    )
    rows = []
    for rec, log in zip(records, logs, strict=True):
        last = log["logs"][-1] if log["logs"] else {}
        config = configs.get(rec["id"]) or configs.get(rec["name"]) or {}
        rows.append({"id": rec["id"], "name": rec["name"], **config, **last})
    return pd.DataFrame(rows)


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    folder = Path(args.dir).resolve()
    local_only(folder)
    if args.first:  # a fresh process: import, open the existing store, record one
        t0 = time.perf_counter()
        with quiet():
            import trackio

            record(0)
        print((time.perf_counter() - t0) * 1000)
        return
    with quiet():
        import pandas as pd  # a notebook has pandas loaded already; do not time its import
        import trackio

        del pd
        times = time_each(record, args.records)
        t0 = time.perf_counter()
        if args.full_fill:
            time_each(record, args.runs - args.records, start=args.records)
            fill = "all runs recorded through init/log/finish"
        else:
            bulk_fill(args.records, args.runs)
            fill = (
                f"runs {args.records + 1:,}-{args.runs:,} written with SQLiteStorage.bulk_log, "
                "one call a run (--full-fill records all through init/log/finish)"
            )
        fill_s = time.perf_counter() - t0
        read = time_reads(read_frame)
        written = list((folder / "trackio").glob("*.db"))
    emit(
        {
            "tool": "trackio",
            "version": trackio.__version__,
            "python": sys.version.split()[0],
            "record": summary_ms(times),
            "record_how": "init(name, config=5 params) + log(10 metrics) + finish()",
            "read": read,
            "read_how": "SQLiteStorage get_run_records + get_all_run_configs + get_logs_batch "
            "-> DataFrame (trackio has no runs-to-DataFrame call)",
            "fill": fill,
            "fill_s": fill_s,
            "store": [p.name for p in written],
        }
    )


if __name__ == "__main__":
    main()
