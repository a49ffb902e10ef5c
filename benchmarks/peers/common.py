"""What every worker shares: the shape of the work, timing helpers and the result line.

Standard library only: this file runs under each peer's own interpreter (imported as
``common`` from the worker's folder) and under bizml_nb's (``benchmarks.peers.common``).

One *experiment* is: a name, 5 parameters and 10 metrics, recorded start to end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

RESULT_PREFIX = "BENCH_RESULT "
RECORDS = 200  # experiments timed one by one; the median is reported
RUNS = 10_000  # runs in the store when it is read back into a DataFrame
READ_REPEATS = 3  # reads of the whole store, stopped early past READ_BUDGET_S
READ_BUDGET_S = 10.0
METRIC_NAMES = tuple(f"metric_{k}" for k in range(10))
PROJECT = "bench"


def run_name(i: int) -> str:
    return f"run {i}"


def params(i: int) -> dict[str, Any]:
    """Five parameters (MLflow stores them as text, the others as JSON)."""
    return {"lr": 0.001, "batch_size": 256, "optimizer": "adam", "epochs": 10, "seed": i}


def metrics(i: int) -> dict[str, float]:
    """Ten metrics, each a float that differs from run to run."""
    return {name: round(0.3 + k * 0.01 + (i % 97) * 1e-4, 6) for k, name in enumerate(METRIC_NAMES)}


def time_each(record: Callable[[int], object], count: int, start: int = 0) -> list[float]:
    """Milliseconds taken by ``record(i)`` for each i in ``start .. start + count - 1``."""
    times = []
    for i in range(start, start + count):
        t0 = time.perf_counter()
        record(i)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def summary_ms(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": statistics.median(ordered),
        "p90_ms": ordered[int(0.9 * (len(ordered) - 1))],
        "first_ms": times[0],
        "n": len(times),
    }


def time_reads(read: Callable[[], Any]) -> dict[str, Any]:
    """Seconds per full read (median), repeated up to READ_REPEATS within READ_BUDGET_S."""
    times, shape = [], (0, 0)
    start = time.perf_counter()
    while len(times) < READ_REPEATS and (not times or time.perf_counter() - start < READ_BUDGET_S):
        t0 = time.perf_counter()
        frame = read()
        times.append(time.perf_counter() - t0)
        shape = tuple(frame.shape)
    return {
        "median_s": statistics.median(times),
        "n": len(times),
        "rows": shape[0],
        "columns": shape[1],
    }


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Send what the tools print to stderr, keeping stdout for the result line."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def emit(result: dict[str, Any]) -> None:
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def parse(result_line: str) -> dict[str, Any] | None:
    """The result a worker printed, from its whole stdout; None if it printed none."""
    for line in reversed(result_line.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return dict(json.loads(line.removeprefix(RESULT_PREFIX)))
    return None


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dir", required=True, help="an empty temporary folder for the store")
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument(
        "--full-fill",
        action="store_true",
        help="record every run up to --runs through the public API (slow for the peers)",
    )
    parser.add_argument(
        "--first",
        action="store_true",
        help="only record one experiment into the store already in --dir, then exit",
    )
    return parser.parse_args()
