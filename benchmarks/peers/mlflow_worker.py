"""MLflow on its SQLite backend: record one experiment (median), read 10,000 runs.

Run by benchmarks/.venvs/mlflow/bin/python; see benchmarks/bench_peers.py.

Recording uses the fluent API a notebook user writes: ``with mlflow.start_run(
run_name=...)``, ``log_params`` (5) and ``log_metrics`` (10). Reading is
``mlflow.search_runs(max_results=...)`` into a pandas DataFrame.

Filling the store to 10,000 runs through the API takes minutes (about 20 ms a
run here), so by default the runs past the timed ones are copies, made in SQL in
one transaction, of the rows MLflow itself wrote for the timed runs (new run ids,
names, seeds and metric values; every table that holds a ``run_uuid``).
``--full-fill`` records every run through the fluent API instead.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
import uuid
from pathlib import Path

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
    """A SQLite store in ``folder``, no telemetry, nothing sent anywhere."""
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["DO_NOT_TRACK"] = "true"
    for name in ("MLFLOW_REGISTRY_URI", "DATABRICKS_HOST", "DATABRICKS_TOKEN"):
        os.environ.pop(name, None)
    os.chdir(folder)  # artifacts, if any, land in the temporary folder


def record(i: int) -> None:
    import mlflow

    with mlflow.start_run(run_name=run_name(i)):
        mlflow.log_params(params(i))
        mlflow.log_metrics(metrics(i))


def clone_fill(db: Path, experiment_id: str, start: int, total: int) -> None:
    """Runs ``start .. total - 1`` as copies of the rows MLflow wrote for the runs so far."""
    conn = sqlite3.connect(db)
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if "run_uuid" in {row[1] for row in conn.execute(f"PRAGMA table_info('{name}')")}
    ]
    tables.sort(key=lambda name: name != "runs")  # runs first: the others refer to it
    templates = [
        uuid_
        for (uuid_,) in conn.execute(
            "SELECT run_uuid FROM runs WHERE experiment_id = ? ORDER BY start_time",
            (int(experiment_id),),
        )
    ]
    rows: dict[str, dict[str, list[dict[str, object]]]] = {}
    for table in tables:
        cursor = conn.execute(f"SELECT * FROM '{table}'")
        columns = [d[0] for d in cursor.description]
        by_run: dict[str, list[dict[str, object]]] = {}
        for values in cursor:
            row = dict(zip(columns, values, strict=True))
            by_run.setdefault(str(row["run_uuid"]), []).append(row)
        rows[table] = by_run
    new_rows: dict[str, list[dict[str, object]]] = {t: [] for t in tables}
    for i in range(start, total):
        template = templates[i % len(templates)]
        new_id, name, seed, values = uuid.uuid4().hex, run_name(i), str(i), metrics(i)
        for table in tables:
            for row in rows[table].get(template, ()):
                copy = {**row, "run_uuid": new_id}
                if table == "runs":
                    copy["name"] = name
                    copy["artifact_uri"] = str(row["artifact_uri"]).replace(template, new_id)
                elif table == "tags" and row["key"] == "mlflow.runName":
                    copy["value"] = name
                elif table == "params" and row["key"] == "seed":
                    copy["value"] = seed
                elif table in ("metrics", "latest_metrics") and row["key"] in values:
                    copy["value"] = values[str(row["key"])]
                new_rows[table].append(copy)
    with conn:
        for table, items in new_rows.items():
            if items:
                columns = list(items[0])
                conn.executemany(
                    f"INSERT INTO '{table}' ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})",
                    [tuple(item[c] for c in columns) for item in items],
                )
    conn.close()


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    folder = Path(args.dir).resolve()
    local_only(folder)
    if args.first:  # a fresh process: import, open the existing store, record one
        t0 = time.perf_counter()
        with quiet():
            import mlflow

            mlflow.set_experiment(PROJECT)
            record(0)
        print((time.perf_counter() - t0) * 1000)
        return
    with quiet():
        import mlflow

        mlflow.set_experiment(PROJECT)  # creates the database (runs its migrations)
        import pandas as pd  # a notebook has pandas loaded already; do not time its import

        del pd
        times = time_each(record, args.records)
        t0 = time.perf_counter()
        if args.full_fill:
            time_each(record, args.runs - args.records, start=args.records)
            fill = "all runs recorded through the fluent API"
        else:
            experiment = mlflow.get_experiment_by_name(PROJECT)
            clone_fill(folder / "mlflow.db", experiment.experiment_id, args.records, args.runs)
            fill = (
                f"runs {args.records + 1:,}-{args.runs:,} copied in SQL from the rows MLflow "
                f"wrote for the first {args.records} (--full-fill records all through the API)"
            )
        fill_s = time.perf_counter() - t0
        experiment_id = mlflow.get_experiment_by_name(PROJECT).experiment_id
        read = time_reads(
            lambda: mlflow.search_runs(experiment_ids=[experiment_id], max_results=args.runs)
        )
    emit(
        {
            "tool": "mlflow",
            "version": mlflow.__version__,
            "python": sys.version.split()[0],
            "record": summary_ms(times),
            "record_how": "start_run(run_name) + log_params(5) + log_metrics(10)",
            "read": read,
            "read_how": f"mlflow.search_runs(max_results={args.runs})",
            "fill": fill,
            "fill_s": fill_s,
        }
    )


if __name__ == "__main__":
    main()
