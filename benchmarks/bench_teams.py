"""Team sync against a local MLflow tracking server: push and pull, beside MLflow's own loop.

    python -m benchmarks.bench_teams [--runs 1000] [--metrics 10]

Needs the ``mlflow`` extra. Starts ``mlflow server`` (SQLite store, local artifacts) on a
free port in a temporary folder, records ``--runs`` runs of ``--metrics`` ML metrics in
a fresh project, and times:

- ``bizml sync mlflow push`` of every run (``bizml_nb.teams.push``): per run, the
  metrics, the ``bizml.*`` value metrics and tags, and the run record as an artifact
  (two runs at once, the default; then again into another experiment one at a time);
- MLflow's own loop for the same runs and metrics: ``create_run``, one ``log_batch``,
  ``set_terminated`` per run (no artifact, no tags beyond the name): the floor a client
  of this server can reach; timed before and after the push (after a warm-up of the
  new server), the push compared with the mean of the two;
- ``bizml sync mlflow pull`` of every run into a second, empty project.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

Row = tuple[str, str, str]

if TYPE_CHECKING:
    from bizml_nb.projects.project import Project


def _project(folder: Path, runs: int, metrics: int) -> Project:
    import bizml_nb

    os.chdir(folder)
    bizml_nb.init("bench-team", currency="USD")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", baseline=0.1, value_per_unit=1e9)
    bizml_nb.link("m0", "take_rate", elasticity=0.3, interval=(0.2, 0.4))
    for i in range(runs):
        with bizml_nb.experiment(f"run {i}", target="take_rate", baseline=i == 0) as run:
            run.log({f"m{k}": 0.4 + (i * 7 + k) % 100 / 1000 for k in range(metrics)})
    return bizml_nb.project()


def _plain_loop(uri: str, runs: int, metrics: int, name: str = "bench-plain") -> float:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment(name)
    start = time.perf_counter()
    for i in range(runs):
        now = int(time.time() * 1000)
        run = client.create_run(experiment, start_time=now, run_name=f"run {i}")
        values = [Metric(f"m{k}", 0.4 + (i * 7 + k) % 100 / 1000, now, 0) for k in range(metrics)]
        client.log_batch(run.info.run_id, metrics=values)
        client.set_terminated(run.info.run_id, end_time=now)
    return time.perf_counter() - start


def measure(runs: int, metrics: int) -> list[Row]:
    from bizml_nb.teams import pull, push
    from tests.mlflow_server import mlflow_server

    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # one line a run
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "a").mkdir()
        (base / "b").mkdir()
        try:
            project_a = _project(base / "a", runs, metrics)
            with mlflow_server(base / "server") as server:
                # a new server answers its first few hundred requests slowly: warm it up,
                # then time MLflow's loop before and after the push (the machine drifts)
                _plain_loop(server.uri, min(runs, 100), metrics, "bench-warm-up")
                plain_before = _plain_loop(server.uri, runs, metrics, "bench-plain-before")
                start = time.perf_counter()
                pushed = push(project_a, tracking_uri=server.uri, experiment="bench")
                push_s = time.perf_counter() - start
                start = time.perf_counter()
                push(project_a, tracking_uri=server.uri, experiment="bench-one", workers=1)
                one_s = time.perf_counter() - start
                plain_after = _plain_loop(server.uri, runs, metrics, "bench-plain-after")
                plain_s = (plain_before + plain_after) / 2
                start = time.perf_counter()
                again = push(project_a, tracking_uri=server.uri, experiment="bench")
                again_s = time.perf_counter() - start
                os.chdir(base / "b")
                (base / "b" / "bizml.toml").write_bytes((base / "a" / "bizml.toml").read_bytes())
                import bizml_nb

                start = time.perf_counter()
                pulled = pull(bizml_nb.project(), tracking_uri=server.uri, experiment="bench")
                pull_s = time.perf_counter() - start
        finally:
            os.chdir(here)
    label = f"{runs:,} runs x {metrics} metrics"
    return [
        (
            f"push {label} ({pushed.created} created)",
            f"{push_s:.1f} s",
            "within 2x of MLflow's loop",
        ),
        (
            f"MLflow's own create_run/log_batch loop, {label}, before and after the push",
            f"{plain_before:.1f} s, {plain_after:.1f} s",
            "",
        ),
        ("push / MLflow's loop (the mean of the two)", f"{push_s / plain_s:.2f}x", "< 2x"),
        (
            f"push with one run at a time (workers=1, sequential as MLflow's loop), {label}",
            f"{one_s:.1f} s, {one_s / plain_s:.2f}x",
            "",
        ),
        (f"push again, nothing changed ({again.unchanged} unchanged)", f"{again_s:.1f} s", ""),
        (f"pull {label} into an empty project ({pulled.pulled} new)", f"{pull_s:.1f} s", "< 10 s"),
    ]


def main(argv: list[str] | None = None) -> None:
    from benchmarks.bench_core import load_average, print_table

    load = load_average()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--metrics", type=int, default=10)
    args = parser.parse_args(argv)
    print_table("bizml_nb team sync", measure(args.runs, args.metrics), load_at_start=load)


if __name__ == "__main__":
    main()
