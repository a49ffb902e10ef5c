"""bizml_nb beside its peers (MLflow, trackio) and bare SQLite, doing the same work.

    bash benchmarks/install_peers.sh          # once: a venv per peer in benchmarks/.venvs/
    python -m benchmarks.bench_peers [--records 200] [--runs 10000] [--starts 5] [--full-fill]

The work, for every tool:

1. start-up: a fresh interpreter times its own ``import X`` (``perf_counter``
   around the import, so the interpreter's own start is left out without
   subtracting two noisy wall times), and a fresh process times its import plus
   one experiment recorded into the existing store; medians of ``--starts``
   processes after one warm-up;
2. record one experiment (a name, 5 parameters, 10 metrics) start to end,
   median of ``--records``;
3. read ``--runs`` runs back into a pandas DataFrame (pandas already imported).

bizml_nb is measured in this process through its API; each peer by a worker
script (benchmarks/peers/) run with the peer's own venv interpreter, in its own
temporary folder, with telemetry off and nothing sent anywhere. Ratios are the
peer's time over bizml_nb's. Figures, not pass/fail tests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.peers import common

HERE = Path(__file__).resolve().parent
VENVS = HERE / ".venvs"
WORKERS = HERE / "peers"
INSTALL_HINT = "not installed: run benchmarks/install_peers.sh"
KPI = "take_rate"

Row = tuple[str, str, str]


@dataclass(frozen=True)
class Tool:
    key: str  # venv folder and worker prefix
    label: str
    module: str  # what `import` measures
    goals: dict[str, float] = field(default_factory=dict)  # ratio goals: record, read

    @property
    def python(self) -> Path:
        return VENVS / self.key / "bin" / "python"

    @property
    def worker(self) -> Path:
        return WORKERS / f"{self.key}_worker.py"


PEERS = (
    Tool("mlflow", "MLflow", "mlflow", {"record": 50, "read": 50}),
    Tool("trackio", "trackio", "trackio", {"record": 20}),
)


@dataclass
class Figures:
    """What was measured for one tool (times in ms, reads in s); ``error`` if it failed."""

    label: str
    version: str = ""
    import_ms: float | None = None
    first_ms: float | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def record_ms(self) -> float | None:
        return None if self.error or not self.result else float(self.result["record"]["median_ms"])

    @property
    def read_s(self) -> float | None:
        return None if self.error or not self.result else float(self.result["read"]["median_s"])


def peer_env(folder: Path) -> dict[str, str]:
    """The environment of every subprocess: stores in ``folder``, no telemetry, offline hub."""
    env = dict(os.environ)
    env.pop("BIZML_LEDGER", None)
    env.update(
        MLFLOW_TRACKING_URI=f"sqlite:///{folder / 'mlflow.db'}",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        TRACKIO_DIR=str(folder / "trackio"),
        HF_HOME=str(folder / "hf"),
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        GRADIO_ANALYTICS_ENABLED="False",
        XDG_CONFIG_HOME=str(folder / "config"),
        XDG_CACHE_HOME=str(folder / "cache"),
    )
    for name in ("TRACKIO_SPACE_ID", "TRACKIO_SERVER_URL", "HF_TOKEN", "MLFLOW_REGISTRY_URI"):
        env.pop(name, None)
    return env


IMPORT_PROBE = """import time
t0 = time.perf_counter()
import {module}
print((time.perf_counter() - t0) * 1000)
"""


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> str:
    """The stdout of ``argv``; RuntimeError with the last line of its stderr if it fails."""
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        tail = [line for line in done.stderr.splitlines() if line.strip()]
        raise RuntimeError(tail[-1] if tail else f"exit code {done.returncode}")
    return done.stdout


def probe_ms(argv: list[str], env: dict[str, str], cwd: Path, starts: int) -> float:
    """Median of the milliseconds that fresh processes print last, after one warm-up.

    Each process times itself (``time.perf_counter`` around the work), so the
    interpreter's own start and exit are left out without subtracting noisy figures.
    """
    values = [float(_run(argv, env, cwd).split()[-1]) for _ in range(starts + 1)]
    return statistics.median(values[1:])


def measure_bizml(folder: Path, records: int, runs: int, starts: int) -> Figures:
    """bizml_nb in this process: ``Projects().get(folder).experiment(...)``, then ``runs()``."""
    import pandas  # a notebook has pandas loaded already; do not time its import

    import bizml_nb
    from bizml_nb.projects.project import Projects

    del pandas
    env = peer_env(folder)
    figures = Figures("bizml_nb", bizml_nb.__version__)
    figures.import_ms = probe_ms(
        [sys.executable, "-c", IMPORT_PROBE.format(module="bizml_nb")], env, folder, starts
    )

    projects = Projects()
    project = projects.get(folder)
    with contextlib.redirect_stdout(io.StringIO()):
        project.init("bench", currency="USD")
        project.metric(KPI, unit="ratio", direction="higher", baseline=0.112)

    def record(i: int) -> None:
        with project.experiment(common.run_name(i), target=KPI, params=common.params(i)) as run:
            run.log(common.metrics(i))

    times = common.time_each(record, records)
    t0 = time.perf_counter()
    common.time_each(record, runs - records, start=records)
    fill_s = time.perf_counter() - t0

    def read() -> Any:
        project.ledger.close()  # each read opens the file afresh, as a new kernel would
        return project.runs()

    read_figures = common.time_reads(read)
    projects.close()
    first = (
        "import time\nt0 = time.perf_counter()\nimport bizml_nb\n"
        f"with bizml_nb.project({str(folder)!r}).experiment('first', target={KPI!r}, "
        f"params={common.params(0)!r}) as run:\n"
        f"    run.log({common.metrics(0)!r})\n"
        "print((time.perf_counter() - t0) * 1000)\n"
    )
    figures.first_ms = probe_ms([sys.executable, "-c", first], env, folder, starts)
    figures.result = {
        "record": common.summary_ms(times),
        "record_how": "with Projects().get(dir).experiment(name, target, params=5): run.log(10)",
        "read": read_figures,
        "read_how": "Project.runs()",
        "fill": "all runs recorded through experiment()",
        "fill_s": fill_s,
    }
    return figures


def run_worker(
    python: Path | str, worker: Path, folder: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Run a worker in ``folder``; its result, or RuntimeError with the tail of its stderr."""
    argv = [str(python), str(worker), "--dir", str(folder)]
    argv += ["--records", str(args.records), "--runs", str(args.peer_runs)]
    if args.full_fill:
        argv.append("--full-fill")
    result = common.parse(_run(argv, peer_env(folder), folder))
    if result is None:
        raise RuntimeError(f"{worker.name} printed no result")
    return result


def measure_peer(tool: Tool, folder: Path, args: argparse.Namespace) -> Figures:
    figures = Figures(tool.label)
    if not tool.python.exists():
        figures.error = INSTALL_HINT
        return figures
    env = peer_env(folder)
    try:
        figures.result = run_worker(tool.python, tool.worker, folder, args)
        figures.version = figures.result["version"]
        python = str(tool.python)
        figures.import_ms = probe_ms(
            [python, "-c", IMPORT_PROBE.format(module=tool.module)], env, folder, args.starts
        )
        figures.first_ms = probe_ms(
            [python, str(tool.worker), "--dir", str(folder), "--first"], env, folder, args.starts
        )
    except (RuntimeError, OSError, ValueError) as exc:
        figures.error = f"failed: {exc}"
    return figures


def measure_floor(folder: Path, args: argparse.Namespace) -> Figures:
    figures = Figures("bare SQLite")
    try:
        figures.result = run_worker(sys.executable, WORKERS / "sqlite_floor.py", folder, args)
        figures.version = figures.result["version"]
    except (RuntimeError, OSError) as exc:
        figures.error = f"failed: {exc}"
    return figures


def measure(args: argparse.Namespace) -> dict[str, Figures]:
    """Every tool's figures, keyed bizml_nb, sqlite, mlflow, trackio; each in its own folder."""
    out: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="bizml-peers-") as tmp:
        root = Path(tmp)
        for key in ("bizml_nb", "sqlite", *(t.key for t in PEERS)):
            (root / key).mkdir()
        out["bizml_nb"] = measure_bizml(
            root / "bizml_nb", args.records, args.peer_runs, args.starts
        )
        out["sqlite"] = measure_floor(root / "sqlite", args)
        for tool in PEERS:
            out[tool.key] = measure_peer(tool, root / tool.key, args)
    return out


# --------------------------------------------------------------------------- the table


def _ms(value: float) -> str:
    if value < 1:
        return f"{value:.3f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    return f"{value:,.0f} ms"


def _s(value: float) -> str:
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"


def _ratio(value: float, base: float) -> str:
    ratio = value / base
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def _name(figures: Figures) -> str:
    return f"{figures.label} {figures.version}".strip()


def _row(
    f: Figures, value: float | None, base: float, unit: str, *, how: str = "", goal: str = ""
) -> Row:
    """One tool's figure with its ratio to bizml_nb's (``base``), or why there is none."""
    if f.error is not None or value is None:
        return (f"  {f.label}", f.error or "failed", goal)
    shown = _ms(value) if unit == "ms" else _s(value)
    name = f"  {_name(f)}" + (f": {how}" if how else "")
    if f.label == "bizml_nb":
        return (name, shown, goal)
    return (name, f"{shown} ({_ratio(value, base)})", goal)


def rows(figures: dict[str, Figures], args: argparse.Namespace) -> list[Row]:
    """The comparison as (measure, result, goal) rows, each tool under its workload."""
    ours, floor = figures["bizml_nb"], figures["sqlite"]
    peers = [(tool, figures[tool.key]) for tool in PEERS]
    out: list[Row] = []

    base = ours.import_ms or 0
    out.append((f"import in a fresh interpreter (median of {args.starts})", "", ""))
    out.append(_row(ours, ours.import_ms, base, "ms", how="import bizml_nb", goal="< 50 ms"))
    out += [_row(f, f.import_ms, base, "ms", how=f"import {t.module}") for t, f in peers]

    base = ours.first_ms or 0
    out.append(
        (f"first experiment by a fresh process, import included (median of {args.starts})", "", "")
    )
    out += [_row(f, f.first_ms, base, "ms") for f in (ours, *(f for _, f in peers))]

    base = ours.record_ms or 0
    out.append(
        (f"record 1 experiment: name, 5 params, 10 metrics (median of {args.records})", "", "")
    )
    out.append(_row(ours, ours.record_ms, base, "ms"))
    if floor.record_ms is None:
        out.append(_row(floor, None, base, "ms"))
    else:
        out.append(
            (
                f"  {_name(floor)} WAL insert (floor)",
                f"{_ms(floor.record_ms)} (bizml_nb = {base / floor.record_ms:.1f}x floor)",
                "bizml_nb <= 10x floor",
            )
        )
    for tool, f in peers:
        goal = f">= {tool.goals['record']:.0f}x" if "record" in tool.goals else ""
        out.append(_row(f, f.record_ms, base, "ms", goal=goal))

    base = ours.read_s or 0
    out.append((f"read {args.peer_runs:,} runs into a DataFrame", "", ""))
    out.append(_row(ours, ours.read_s, base, "s", how="Project.runs()"))
    for tool, f in peers:
        goal = f">= {tool.goals['read']:.0f}x" if "read" in tool.goals else ""
        how = "search_runs" if tool.key == "mlflow" else "storage batch reads"
        out.append(_row(f, f.read_s, base, "s", how=how, goal=goal))
    out.append(_row(floor, floor.read_s, base, "s", how="SELECT + json.loads"))
    return out


def notes(figures: dict[str, Figures]) -> list[str]:
    """How each tool was driven and how its store was filled: said under the table."""
    out = []
    for key, f in figures.items():
        if f.error is not None:
            continue
        r = f.result
        out.append(
            f"{_name(f)}: record = {r['record_how']}; read = {r['read_how']}; "
            f"fill: {r['fill']} ({r['fill_s']:.1f} s); reads timed {r['read']['n']}x, "
            f"{r['read']['rows']:,} rows x {r['read']['columns']} columns"
            + (f"; first timed record {r['record']['first_ms']:.1f} ms" if key != "sqlite" else "")
        )
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p, standalone=True)
    return p


def add_arguments(p: argparse.ArgumentParser, *, standalone: bool = False) -> None:
    """The options of this benchmark; ``--peer-runs`` rather than ``--runs`` beside bench_core."""
    p.add_argument(
        "--records", type=int, default=common.RECORDS, help="experiments timed one by one"
    )
    p.add_argument(
        "--runs" if standalone else "--peer-runs",
        dest="peer_runs",
        type=int,
        default=common.RUNS,
        help="runs in each store, read back into a DataFrame",
    )
    p.add_argument("--starts", type=int, default=5, help="fresh processes per start-up figure")
    p.add_argument(
        "--full-fill",
        action="store_true",
        help="record every peer run through its public API (MLflow alone takes minutes)",
    )


def main(argv: list[str] | None = None) -> None:
    from benchmarks import bench_core

    args = parser().parse_args(argv)
    load = bench_core.load_average()
    figures = measure(args)
    bench_core.print_table(
        "bizml_nb beside its peers", rows(figures, args), notes(figures), load_at_start=load
    )


if __name__ == "__main__":
    main()
