"""Core figures of the foundation: %load_ext, cell overhead (also with --auto sync), ledger write and read, data generators.

    python -m benchmarks.bench_core [--runs 10000] [--cells 300]

Prints a table of measured figures beside their goals. Nothing here is a
pass/fail test: machines are shared and noisy, so read the figures, do not
assert on them.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

Row = tuple[str, str, str]

LOAD_EXT_PROBE = """
import sys, time
from IPython.testing.globalipapp import start_ipython
ip = start_ipython()
heavy = ("pandas", "matplotlib", "ipywidgets", "scipy", "numpy", "tomlkit")
before = {m for m in heavy if m in sys.modules}
t0 = time.perf_counter()
ip.run_line_magic("load_ext", "bizml_nb")
elapsed = time.perf_counter() - t0
print(elapsed, ",".join(sorted(m for m in heavy if m in sys.modules and m not in before)))
"""

SETUP = [
    "init --project bench --currency USD",
    "metric take_rate --unit ratio --direction higher --baseline 0.112 --target 0.12 "
    "--value-per-unit 2.5e9",
    "link ndcg@10 take_rate --elasticity 0.35 --interval 0.2 0.5",
]
BARE = 'x = 1\nbizml_log = {"ndcg@10": 0.41, "latency_ms": 38.0}\n'
MAGIC = (
    '%%bizml experiment "bench" --target take_rate\n'
    'x = 1\nbizml_nb.log({"ndcg@10": 0.41, "latency_ms": 38.0})\n'
)


def load_ext_ms(repeats: int = 7) -> tuple[float, str]:
    """Median time of %load_ext bizml_nb in a fresh running IPython, and heavy imports seen."""
    times, heavy = [], set()
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", LOAD_EXT_PROBE], capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]) * 1000)
        if len(out) > 1:
            heavy.update(out[1].split(","))
    return statistics.median(times), ",".join(sorted(heavy)) or "none"


def _shell() -> Any:
    """The IPython shell of this process, with bizml_nb loaded and the quickstart's KPI."""
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    ip = get_ipython() or start_ipython()
    if "bizml_nb" not in ip.extension_manager.loaded:
        ip.run_line_magic("load_ext", "bizml_nb")
    for line in SETUP:
        with contextlib.redirect_stdout(io.StringIO()):
            ip.run_line_magic("bizml", line)
    with contextlib.redirect_stdout(io.StringIO()):
        ip.run_cell(
            '%%bizml experiment "base" --target take_rate --baseline\n'
            'bizml_nb.log({"ndcg@10": 0.40})\n'
        )
    return ip


def _timed_cells(
    ip: Any,
    cells: int,
    bare: list[float],
    magic: list[float],
    before: Callable[[], object] | None = None,
) -> None:
    """Run a bare cell then the same cell under the magic, ``cells`` times; add their ms
    (``before`` is called, untimed, before each magic cell)."""
    sink = io.StringIO()
    for _ in range(cells):
        for source, into in ((BARE, bare), (MAGIC, magic)):
            if before is not None and source is MAGIC:
                before()
            with contextlib.redirect_stdout(sink):
                t0 = time.perf_counter()
                ip.run_cell(source)
                into.append((time.perf_counter() - t0) * 1000)
        sink.seek(0)
        sink.truncate()


def _quietly(ip: Any, line: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        ip.run_line_magic("bizml", line)


def cell_overhead_ms(cells: int) -> tuple[float, float, float]:
    """Median time of a bare cell, of the same cell under %%bizml experiment, and the gap."""
    ip = _shell()
    bare: list[float] = []
    magic: list[float] = []
    _timed_cells(ip, cells, bare, magic)
    b, m = statistics.median(bare), statistics.median(magic)
    return b, m, m - b


def auto_overhead_ms(cells: int, phases: int = 3) -> tuple[float, float, float] | str:
    """The overhead of %%bizml experiment with `%bizml sync mlflow --auto` on, pushing to
    a local MLflow server (tests/mlflow_server.py), and without it, in the same run.

    Phases alternate, off then on, ``phases`` times, ``cells // phases`` cells each, so
    that both see the machine's load alike. With --auto on, every magic cell asks for a
    push and the pushes run while the next cells do (the cells are timed as the user
    waits for them); before an off phase the pushes asked for are waited for, then
    `--off` stops them. Returns (overhead off, overhead on) in ms and the share of the
    magic cells with --auto on that started while a push was under way, or why it was
    not measured.
    """
    if importlib.util.find_spec("mlflow") is None:
        return 'not measured: the mlflow extra is not installed (pip install -e ".[mlflow]")'
    from tests.mlflow_server import mlflow_server

    os.environ.pop("MLFLOW_TRACKING_URI", None)
    home = Path.cwd()
    bare: dict[bool, list[float]] = {False: [], True: []}
    magic: dict[bool, list[float]] = {False: [], True: []}
    with (
        tempfile.TemporaryDirectory(prefix="bizml-bench-auto-") as folder,
        tempfile.TemporaryDirectory(prefix="bizml-bench-mlflow-") as store,
        mlflow_server(Path(store)) as server,
    ):
        os.chdir(folder)  # a project of its own: only its runs are pushed
        try:
            time.sleep(10)  # the server's workers finish starting (they take CPU meanwhile)
            ip = _shell()
            magics = ip.magics_manager.registry["BizmlMagics"]
            overlapped: list[bool] = []
            for _phase in range(phases):
                for on in (False, True):
                    if on:
                        _quietly(ip, f"sync mlflow --tracking-uri {server.uri} --auto")
                        magics._auto.wait(600)  # the worker started, the runs so far pushed
                    busy = (lambda: overlapped.append(magics._auto.busy)) if on else None
                    _timed_cells(ip, max(cells // phases, 1), bare[on], magic[on], busy)
                    if on:
                        magics._auto.wait(600)
                        _quietly(ip, "sync mlflow --off")
        finally:
            os.chdir(home)
    off, on = (statistics.median(magic[x]) - statistics.median(bare[x]) for x in (False, True))
    return off, on, sum(overlapped) / max(len(overlapped), 1)


def ledger_write_read(n: int) -> tuple[float, float, float]:
    """Seconds to record n runs (one transaction each) and to read them back as a DataFrame."""
    import pandas  # a notebook has pandas loaded already; do not time its import

    from bizml_nb.interfaces import api

    del pandas
    project = api.project()
    names = [f"m{i}" for i in range(10)]
    t0 = time.perf_counter()
    for i in range(n):
        with project.experiment(f"run {i}", target="take_rate", tags=("a", "b")) as run:
            run.log(dict.fromkeys(names, i * 0.001))
    write = time.perf_counter() - t0
    project.ledger.close()
    t0 = time.perf_counter()
    frame = project.runs()
    read = time.perf_counter() - t0
    assert len(frame) >= n
    return write, read, write / n * 1000


def generators_ms(repeats: int = 7) -> float:
    """Median time of the worked examples' generated data at the notebooks' sizes: 500 users
    x 300 items of interactions, the NDCG@10 of a popularity ranking on them, and a history
    of 1,000 A/B tests."""
    import numpy as np

    from bizml_nb.interfaces.datasets import ab_history, ndcg_at_k, recsys_interactions

    ab_history(n=2, seed=0)  # pandas imported before the clock starts
    times = []
    for seed in range(repeats):
        t0 = time.perf_counter()
        data = recsys_interactions(seed=seed)
        popularity = np.broadcast_to(data.train.sum(axis=0), data.train.shape)
        ndcg_at_k(popularity, data.held_out, exclude=data.train)
        ab_history(n=1000, seed=seed)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=10_000, help="runs recorded then read back")
    parser.add_argument(
        "--cells", type=int, default=300, help="cells timed bare and under the magic"
    )


def measure(args: argparse.Namespace) -> list[Row]:
    """The core figures as (measure, result, goal) rows."""
    home = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="bizml-bench-") as tmp:
        os.chdir(tmp)
        ledger = os.environ.pop("BIZML_LEDGER", None)
        try:
            load_ms, heavy = load_ext_ms()
            bare, magic, overhead = cell_overhead_ms(args.cells)
            auto = auto_overhead_ms(args.cells)
            write, read, per_run = ledger_write_read(args.runs)
            generated = generators_ms()
        finally:
            os.chdir(home)
            if ledger is not None:
                os.environ["BIZML_LEDGER"] = ledger

    return [
        ("%load_ext bizml_nb in a running IPython", f"{load_ms:.1f} ms", "< 30 ms"),
        ("heavy modules imported by %load_ext", heavy, "none"),
        ("bare cell (median)", f"{bare:.2f} ms", ""),
        ("same cell under %%bizml experiment (median)", f"{magic:.2f} ms", ""),
        ("overhead of %%bizml experiment", f"{overhead:.2f} ms", "< 2 ms"),
        (
            "overhead with `%bizml sync mlflow --auto` on, pushing to a local MLflow (median)",
            auto
            if isinstance(auto, str)
            else f"{auto[1]:.2f} ms (off: {auto[0]:.2f} ms; {auto[2]:.0%} of cells beside a push)",
            "< 2 ms",
        ),
        (
            f"record {args.runs:,} runs via experiment()",
            f"{write:.2f} s ({per_run:.3f} ms/run)",
            "< 5 s",
        ),
        (f"read {args.runs:,} runs as a DataFrame", f"{read:.3f} s", "< 0.5 s"),
        (
            "generated data: 500x300 interactions, NDCG@10, 1,000 A/B tests (median)",
            f"{generated:.0f} ms",
            "< 1 s",
        ),
    ]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, e.g. ``0.52 0.80 0.91``."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine(load_at_start: str) -> str:
    """The machine, the moment and the load, for the table's heading."""
    return (
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M')}; load average "
        f"{load_at_start} at start, {load_average()} at end"
    )


def print_table(
    title: str, rows: Sequence[Row], notes: Sequence[str] = (), *, load_at_start: str
) -> None:
    """One table: a heading with the machine, then measure, result and goal columns."""
    print(f"{title}: {machine(load_at_start)}")
    width = max(len(r[0]) for r in rows)
    result_width = max(28, *(len(r[1]) for r in rows))
    print(f"{'measure':<{width}}  {'result':<{result_width}}  goal")
    for name, result, goal in rows:
        print(f"{name:<{width}}  {result:<{result_width}}  {goal}".rstrip())
    for note in notes:
        print(f"- {note}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    load = load_average()
    print_table("bizml_nb core benchmarks", measure(args), load_at_start=load)


if __name__ == "__main__":
    main()
