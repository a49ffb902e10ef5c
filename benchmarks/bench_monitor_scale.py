"""bizml_nb.monitor on logs in Parquet: pandas in memory against DuckDB out of core.

    python -m benchmarks.bench_monitor_scale [--rows 1000000] [--features 20]
        [--chunk-size 10000] [--reference 100000] [--repeat 3] [--seed 0] [--dir DIR]
        [--memory-limit 1GB]

The workload: ``--rows`` rows x ``--features`` numeric features, a probability, a
predicted class, a label and a timestamp (the rows spread over 30 days), written by
this script to Parquet (one file per 1,000,000 rows) with a known covariate shift
(x0 + 1 and x1 x 1.5 in the second half; P(y | x) unchanged). A reference of
``--reference`` rows from the unshifted model is fitted once (pandas) and saved.

Each measure runs in a fresh worker process (this file with ``--worker``), so that
its peak resident memory (``ru_maxrss``) is its own:

- pandas: ``pd.read_parquet`` of every file, then ``reference.check(df, ...)``;
- DuckDB: ``reference.check("DIR/*.parquet", ...)`` (memory limit ``--memory-limit``),

each with row chunks of ``--chunk-size`` and with ``chunk_by="day"``: the time of the
whole call (median of ``--repeat``), the worker's peak memory, and the largest
difference between the two paths' estimated accuracy. Figures, not pass/fail tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FILE_ROWS = 1_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of logs")
    parser.add_argument("--features", type=int, default=20, help="numeric features")
    parser.add_argument("--chunk-size", type=int, default=10_000, help="rows per chunk")
    parser.add_argument("--reference", type=int, default=100_000, help="reference rows")
    parser.add_argument("--repeat", type=int, default=3, help="timed repeats (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", help="folder for the Parquet files (default: a temporary one)")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB's memory limit")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "CHUNKS", "DIR"))
    args = parser.parse_args(argv)
    if args.worker:
        engine, chunks, folder = args.worker
        print(json.dumps(worker(engine, chunks, Path(folder), args)))
        return
    if args.dir:
        print_table(measure(args, Path(args.dir)), args)
        return
    with tempfile.TemporaryDirectory(prefix="bizml_scale_") as folder:
        print_table(measure(args, Path(folder)), args)


def frame(rows: int, features: int, rng: Any, *, start: int, total: int, shift: bool) -> Any:
    """Rows ``start`` .. ``start + rows`` of the logs (shifted in the second half of ``total``)."""
    import numpy as np
    import pandas as pd

    x = rng.standard_normal((rows, features))
    if shift:
        late = np.arange(start, start + rows) >= total // 2
        x[late, 0] += 1.0
        x[late, 1] *= 1.5
    logit = 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] + 0.3 * x[:, 3] - 0.2
    proba = 1.0 / (1.0 + np.exp(-logit))
    out = pd.DataFrame({f"x{j}": x[:, j] for j in range(features)})
    out["proba"] = proba
    out["prediction"] = (proba >= 0.5).astype(np.int64)
    out["target"] = (rng.random(rows) < proba).astype(np.int64)
    seconds = (np.arange(start, start + rows) * (30 * 86_400 / max(total, 1))).astype(np.int64)
    out["timestamp"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(seconds, unit="s")
    return out


def measure(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    import numpy as np

    from bizml_nb.monitor import Reference

    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for i, start in enumerate(range(0, args.rows, FILE_ROWS)):
        n = min(FILE_ROWS, args.rows - start)
        part = frame(n, args.features, rng, start=start, total=args.rows, shift=True)
        part.to_parquet(logs / f"part-{i:05d}.parquet", index=False)
    ref = frame(args.reference, args.features, rng, start=0, total=args.reference, shift=False)
    features = [f"x{j}" for j in range(args.features)]
    Reference.fit(
        ref, features=features, proba="proba", prediction="prediction", target="target"
    ).save(folder / "reference.json", force=True)
    generated = time.perf_counter() - started
    size = sum(p.stat().st_size for p in logs.glob("*.parquet"))
    out: dict[str, Any] = {"generated_s": generated, "parquet_mb": size / 1e6, "runs": {}}
    for chunks in ("rows", "day"):
        for engine in ("pandas", "duckdb"):
            command = [
                sys.executable,
                "-m",
                "benchmarks.bench_monitor_scale",
                "--worker",
                engine,
                chunks,
                str(folder),
                "--chunk-size",
                str(args.chunk_size),
                "--repeat",
                str(args.repeat),
                "--memory-limit",
                args.memory_limit,
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode:
                out["runs"][engine, chunks] = {"error": done.stderr.strip().splitlines()[-1]}
                continue
            out["runs"][engine, chunks] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def worker(engine: str, chunks: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    import resource

    import numpy as np
    import pandas as pd

    from bizml_nb.monitor import Reference

    reference = Reference.load(folder / "reference.json")
    how: dict[str, Any] = (
        {"chunk_size": args.chunk_size} if chunks == "rows" else {"chunk_by": "day"}
    )
    files = sorted((folder / "logs").glob("*.parquet"))
    times: list[float] = []
    result: Any = None
    for _ in range(args.repeat):
        started = time.perf_counter()
        if engine == "pandas":
            df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
            result = reference.check(df, **how)
            del df
        else:
            result = reference.check(
                str(folder / "logs" / "*.parquet"), memory_limit=args.memory_limit, **how
            )
        times.append(time.perf_counter() - started)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    accuracy = result.performance["accuracy"]
    return {
        "seconds": statistics.median(times),
        "all_seconds": times,
        "peak_mb": peak_kb / 1024,
        "chunks": len(result.chunks),
        "accuracy": [float(v) for v in np.asarray(accuracy.estimate)],
        "alerted": list(result.alerted_columns()),
    }


def print_table(figures: dict[str, Any], args: argparse.Namespace) -> None:
    import numpy as np

    print(
        f"{args.rows:,} rows x {args.features} features in Parquet "
        f"({figures['parquet_mb']:.0f} MB, generated in {figures['generated_s']:.1f} s); "
        f"reference {args.reference:,} rows; median of {args.repeat}"
    )
    print(f"{'chunks':<8} {'engine':<8} {'seconds':>8} {'peak MB':>8} {'chunks':>7}")
    runs = figures["runs"]
    for (engine, chunks), run in runs.items():
        if "error" in run:
            print(f"{chunks:<8} {engine:<8} failed: {run['error']}")
            continue
        print(
            f"{chunks:<8} {engine:<8} {run['seconds']:>8.2f} {run['peak_mb']:>8.0f} "
            f"{run['chunks']:>7}"
        )
    for chunks in ("rows", "day"):
        a, b = runs.get(("pandas", chunks), {}), runs.get(("duckdb", chunks), {})
        if "accuracy" in a and "accuracy" in b:
            gap = float(np.max(np.abs(np.array(a["accuracy"]) - np.array(b["accuracy"]))))
            same = a["alerted"] == b["alerted"]
            print(
                f"{chunks}: largest |pandas - DuckDB| estimated accuracy {gap:.1e}; "
                f"same alerted columns: {same}"
            )


if __name__ == "__main__":
    main()
