"""bizml_nb.monitor on prediction logs in Parquet at 1, 10 and 100 million rows, beside pandas,
NannyML and Spark.

    bash benchmarks/install_nannyml.sh     # once, for the NannyML rows (its own venv)
    python -m benchmarks.bench_monitor_scale [--sizes 1000000,10000000,100000000]
        [--features 20] [--reference 100000] [--repeat 3] [--seed 0] [--dir DIR]
        [--memory-limit 1GB] [--no-peer] [--no-spark]

The workload of each size: N rows x ``--features`` numeric features, a probability,
a predicted class, a label and a timestamp (the rows spread over 30 days), written
by this script to Parquet files of 1,000,000 rows, with a known covariate shift (x0
+ 1 and x1 x 1.5 in the second half; P(y | x) unchanged); a reference of
``--reference`` rows of the unshifted model, fitted once (pandas) and saved. With
``--dir`` the data stay there and are used again by the next run with the same
sizes and seed (about 180 MB per million rows).

Each measure runs in a fresh worker process (this file with ``--worker``), so that
its peak resident memory (``ru_maxrss``) is its own:

- 1 million rows: pandas (``pd.read_parquet`` of every file, then
  ``reference.check(df)``) and DuckDB (``reference.check("DIR/*.parquet")``), in
  chunks of 10,000 rows and by day; median of ``--repeat``.
- 10 million rows: DuckDB and NannyML 0.13.1 in chunks of 100,000 rows (100
  chunks): NannyML in its own venv reads the same files with ``pd.read_parquet``,
  then ``CBPE.estimate`` and ``UnivariateDriftCalculator.calculate`` (Jensen-Shannon
  on every feature, the probability and the class) after their ``fit`` on the
  reference rows (not timed, as bizml_nb's fit is not); their estimated accuracy per
  chunk is compared. Then Spark in local mode (``local[2]``, through Ibis) and
  DuckDB by day; the Spark session's start is timed apart. Once each.
- 100 million rows: DuckDB by day and in chunks of 1,000,000 rows, once each.
  pandas is not run: the rows alone would take about 19 GB of memory.

Figures, not pass/fail tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NANNYML_PYTHON = HERE / ".venvs" / "nannyml" / "bin" / "python"
FILE_ROWS = 1_000_000
MILLION = 1_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        default="1000000,10000000,100000000",
        help="rows of logs, comma-separated (1M: pandas vs DuckDB; 10M: NannyML and Spark vs "
        "DuckDB; any other size: DuckDB alone)",
    )
    parser.add_argument("--features", type=int, default=20, help="numeric features")
    parser.add_argument("--reference", type=int, default=100_000, help="reference rows")
    parser.add_argument("--repeat", type=int, default=3, help="timed repeats at 1M (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", help="folder for the Parquet files, kept (default: temporary)")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB's memory limit")
    parser.add_argument("--no-peer", action="store_true", help="skip NannyML")
    parser.add_argument("--no-spark", action="store_true", help="skip Spark")


def options(**changes: Any) -> argparse.Namespace:
    """The command's defaults, with ``changes`` (for ``python -m benchmarks`` and the tests)."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([])
    for name, value in changes.items():
        if not hasattr(args, name):
            raise TypeError(f"bench_monitor_scale has no option {name!r}")
        setattr(args, name, value)
    return args


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "CHUNKS", "DIR"))
    parser.add_argument("--nannyml", nargs=2, metavar=("DIR", "CHUNK_SIZE"))
    args = parser.parse_args(argv)
    if args.nannyml:
        print(json.dumps(nannyml_worker(Path(args.nannyml[0]), int(args.nannyml[1]))))
        return
    if args.worker:
        engine, chunks, folder = args.worker
        print(json.dumps(worker(engine, chunks, Path(folder), args)))
        return
    print_table(run(args))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measure of ``args.sizes``; the data in ``args.dir`` or a temporary folder."""
    if args.dir:
        return measure(args, Path(args.dir))
    with tempfile.TemporaryDirectory(prefix="bizml_scale_") as folder:
        return measure(args, Path(folder))


def sizes(args: argparse.Namespace) -> list[int]:
    return [int(float(s)) for s in str(args.sizes).split(",") if s.strip()]


# --------------------------------------------------------------------------- the data


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
    out["timestamp"] = out["timestamp"].astype("datetime64[us]")  # as Spark reads times
    return out


def dataset(args: argparse.Namespace, folder: Path, rows: int) -> dict[str, Any]:
    """The logs of ``rows`` rows and their reference, written once (a marker file says so)."""
    import numpy as np

    from bizml_nb.monitor import Reference

    spec = {"rows": rows, "features": args.features, "reference": args.reference}
    spec["seed"] = args.seed
    marker = folder / "data.json"
    if marker.is_file() and json.loads(marker.read_text()).get("spec") == spec:
        return dict(json.loads(marker.read_text()))
    started = time.perf_counter()
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.parquet"):
        old.unlink()
    rng = np.random.default_rng(args.seed)
    for i, start in enumerate(range(0, rows, FILE_ROWS)):
        n = min(FILE_ROWS, rows - start)
        part = frame(n, args.features, rng, start=start, total=rows, shift=True)
        part.to_parquet(logs / f"part-{i:05d}.parquet", index=False)
    ref = frame(args.reference, args.features, rng, start=0, total=args.reference, shift=False)
    ref.to_parquet(folder / "reference.parquet", index=False)
    features = [f"x{j}" for j in range(args.features)]
    Reference.fit(
        ref, features=features, proba="proba", prediction="prediction", target="target"
    ).save(folder / "reference.json", force=True)
    made = {
        "spec": spec,
        "generated_s": time.perf_counter() - started,
        "parquet_mb": sum(p.stat().st_size for p in logs.glob("*.parquet")) / 1e6,
    }
    marker.write_text(json.dumps(made))
    return made


# --------------------------------------------------------------------------- measuring


def measure(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"sizes": {}}
    for rows in sizes(args):
        folder = root / f"rows-{rows}"
        folder.mkdir(parents=True, exist_ok=True)
        made = dataset(args, folder, rows)
        runs: list[dict[str, Any]] = []
        if rows == MILLION:
            plan = [("pandas", "rows:10000"), ("duckdb", "rows:10000")]
            plan += [("pandas", "day"), ("duckdb", "day")]
        elif rows == 10 * MILLION:
            plan = [("duckdb", "rows:100000")]
            if not args.no_peer:
                plan.append(("nannyml", "rows:100000"))
            plan.append(("duckdb", "day"))
            if not args.no_spark:
                plan.append(("spark", "day"))
        else:
            plan = [("duckdb", "day"), ("duckdb", f"rows:{max(rows // 100, 10_000)}")]
        for engine, chunks in plan:
            figures = one(
                engine, chunks, folder, args, repeat=args.repeat if rows == MILLION else 1
            )
            runs.append({**figures, "engine": engine, "chunking": chunks})
        out["sizes"][rows] = {**made, "runs": runs}
    return out


def one(engine: str, chunks: str, folder: Path, args: argparse.Namespace, *, repeat: int) -> Any:
    """One measure in a fresh process: its figures, or {"error": ...}."""
    if engine == "nannyml":
        if not NANNYML_PYTHON.exists():
            return {"error": "not installed: run `bash benchmarks/install_nannyml.sh`"}
        command = [str(NANNYML_PYTHON), str(Path(__file__).resolve()), "--nannyml"]
        command += [str(folder), chunks.split(":")[1]]
        env = {**os.environ, "NML_DISABLE_USAGE_LOGGING": "1", "PYTHONWARNINGS": "ignore"}
    else:
        command = [sys.executable, "-m", "benchmarks.bench_monitor_scale", "--worker", engine]
        command += [chunks, str(folder), "--repeat", str(repeat)]
        command += ["--memory-limit", args.memory_limit]
        env = dict(os.environ)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, env=env, timeout=3600
        )
    except subprocess.TimeoutExpired:
        return {"error": "did not finish within an hour"}
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        return {"error": lines[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _how(chunks: str) -> dict[str, Any]:
    if chunks.startswith("rows:"):
        return {"chunk_size": int(chunks.split(":")[1])}
    return {"chunk_by": chunks}


def worker(engine: str, chunks: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    import resource

    import numpy as np
    import pandas as pd

    from bizml_nb.monitor import Reference

    reference = Reference.load(folder / "reference.json")
    files = sorted((folder / "logs").glob("*.parquet"))
    glob = str(folder / "logs" / "*.parquet")
    out: dict[str, Any] = {}
    source: Any = glob
    if engine == "spark":
        from bizml_nb.monitor.spark import local_session, read_parquet

        started = time.perf_counter()
        session = local_session()
        source = read_parquet(glob, session=session)
        out["session_s"] = time.perf_counter() - started
    times: list[float] = []
    result: Any = None
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        if engine == "pandas":
            df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
            result = reference.check(df, **_how(chunks))
            del df
        elif engine == "duckdb":
            result = reference.check(source, memory_limit=args.memory_limit, **_how(chunks))
        else:
            result = reference.check(source, **_how(chunks))
        times.append(time.perf_counter() - started)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    accuracy = result.performance["accuracy"]
    out.update(
        seconds=statistics.median(times),
        all_seconds=times,
        peak_mb=peak_kb / 1024,
        chunks=len(result.chunks),
        accuracy=[float(v) for v in np.asarray(accuracy.estimate)],
        alerted=list(result.alerted_columns()),
    )
    return out


# --------------------------------------------------------------------------- the NannyML worker


def nannyml_worker(folder: Path, chunk_size: int) -> dict[str, Any]:
    """Run in NannyML's venv (no bizml_nb there): fit on the reference rows (not timed), then
    time reading the logs with pandas, CBPE.estimate and UnivariateDriftCalculator.calculate."""
    import importlib.metadata
    import logging
    import resource
    import warnings

    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    import nannyml as nml
    import pandas as pd

    reference = pd.read_parquet(folder / "reference.parquet")
    features = [c for c in reference.columns if c.startswith("x")]
    columns = [*features, "proba", "prediction"]
    estimator = nml.CBPE(
        y_pred_proba="proba",
        y_pred="prediction",
        y_true="target",
        problem_type="classification_binary",
        metrics=["roc_auc", "f1", "accuracy", "precision", "recall"],
        chunk_size=chunk_size,
    ).fit(reference)
    calculator = nml.UnivariateDriftCalculator(
        column_names=columns,
        treat_as_categorical=["prediction"],
        continuous_methods=["jensen_shannon"],
        categorical_methods=["jensen_shannon"],
        chunk_size=chunk_size,
    ).fit(reference)
    started = time.perf_counter()
    files = sorted((folder / "logs").glob("*.parquet"))
    logs = pd.concat([pd.read_parquet(f, columns=columns) for f in files], ignore_index=True)
    read_s = time.perf_counter() - started
    estimated = estimator.estimate(logs)
    cbpe_s = time.perf_counter() - started - read_s
    calculator.calculate(logs)
    total = time.perf_counter() - started
    table = estimated.filter(period="analysis").to_df()
    return {
        "version": importlib.metadata.version("nannyml"),
        "seconds": total,
        "read_s": read_s,
        "cbpe_s": cbpe_s,
        "drift_s": total - read_s - cbpe_s,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "chunks": len(table),
        "accuracy": table[("accuracy", "value")].astype(float).tolist(),
    }


# --------------------------------------------------------------------------- printing


def print_table(figures: dict[str, Any]) -> None:
    print("bizml_nb.monitor on Parquet logs (x 20 features unless --features says otherwise)")
    print(f"{'rows':>12} {'chunks':<14} {'engine':<8} {'seconds':>8} {'peak MB':>8} {'chunks':>7}")
    for rows, size in figures["sizes"].items():
        for run in size["runs"]:
            label = f"{int(rows):>12,} {run['chunking']:<14} {run['engine']:<8}"
            if "error" in run:
                print(f"{label} not measured: {run['error']}")
                continue
            print(f"{label} {run['seconds']:>8.2f} {run['peak_mb']:>8.0f} {run['chunks']:>7}")
    for line in summary(figures):
        print(line)


def summary(figures: dict[str, Any]) -> list[str]:
    """The comparisons the monitor's goals are about, one line each."""
    import numpy as np

    lines: list[str] = []
    for rows, size in figures["sizes"].items():
        found = {(r["engine"], r["chunking"]): r for r in size["runs"] if "error" not in r}
        lines.append(
            f"{int(rows):,} rows: {size['parquet_mb']:,.0f} MB of Parquet "
            f"(generated in {size['generated_s']:.0f} s)"
        )
        for (engine, chunks), run in found.items():
            duck = found.get(("duckdb", chunks))
            if engine == "duckdb" or duck is None:
                continue
            ratio = run["seconds"] / duck["seconds"]
            gap = np.abs(np.array(run["accuracy"]) - np.array(duck["accuracy"]))
            words = f"  {chunks}: {engine} / DuckDB time {ratio:.2f}x"
            if len(gap):
                words += f"; estimated accuracy |{engine} - DuckDB| mean {gap.mean():.1e}"
                words += f", largest {gap.max():.1e}"
            if engine == "nannyml":
                words += f" (read {run['read_s']:.1f} s, CBPE {run['cbpe_s']:.1f} s"
                words += f", drift {run['drift_s']:.1f} s)"
            if engine == "spark":
                words += f" (session start {run['session_s']:.1f} s, not counted)"
            if engine == "pandas":
                same = run["alerted"] == duck["alerted"]
                words += f"; same alerted columns: {same}"
            lines.append(words)
    return lines


if __name__ == "__main__":
    main()
