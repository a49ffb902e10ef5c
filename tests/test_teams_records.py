"""How a run record travels through MLflow, and a push that loses its server half-way.

A record travels as the ``bizml.record`` tag when it fits (a pull reads it from the
search) and always as the ``bizml/run.json`` artifact (a pull downloads it when the
record is too long for a tag). A run whose push has not ended is left for the next pull.
A record changed locally (a deployment date, an observation) is sent again; a pull
writes the observations a record carries once each. A server killed during a
push: the push fails with one message, and the next push, once the server is back,
completes every run without duplicating any.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip(
    "mlflow", reason='the mlflow extra is not installed (pip install -e ".[mlflow]")'
)

from bizml_nb.core.run import Run
from bizml_nb.projects.project import Project
from bizml_nb.teams import SyncError, pull, push
from tests.lab_browser import _free_port
from tests.mlflow_server import Server, mlflow_server, stop
from tests.recsys_project import recsys_project

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as running:
        yield running


def _project(root: Path) -> Project:
    return recsys_project(root)


def _remote(uri: str, experiment: str) -> dict[str, Any]:
    """bizml run id -> MLflow run, read with MLflow's plain client; one MLflow run each."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    by_id: dict[str, list[Any]] = {}
    for run in client.search_runs([found.experiment_id], max_results=1000):
        by_id.setdefault(run.data.tags["bizml.run_id"], []).append(run)
    assert all(len(each) == 1 for each in by_id.values()), "a bizml run pushed twice"
    return {key: each[0] for key, each in by_id.items()}


def test_a_record_too_long_for_a_tag_travels_as_the_artifact(
    server: Server, tmp_path: Path
) -> None:
    a = _project(tmp_path / "a")
    short = Run.new("short", target="take_rate", metrics={"ndcg@10": 0.42}, is_baseline=True)
    # 300 params of 30 characters: about 12,000 characters of JSON, over MLflow's 8,000
    params = {f"p{i:03d}": "x" * 30 for i in range(300)}
    long = Run.new("long", target="take_rate", metrics={"ndcg@10": 0.43}, params=params)
    a.ledger.record(short)
    a.ledger.record(long)
    push(a, tracking_uri=server.uri, experiment="long-record")
    remote = _remote(server.uri, "long-record")
    assert "bizml.record" not in remote[long.id].data.tags
    tagged = json.loads(remote[short.id].data.tags["bizml.record"])
    assert Run.from_record(tagged) == short
    assert tagged["impact"]["is_baseline"] is True

    b = _project(tmp_path / "b")
    assert pull(b, tracking_uri=server.uri, experiment="long-record").pulled == 2
    assert b.ledger.get(long.id) == long  # every param, from the artifact
    assert b.ledger.get(short.id) == short


def test_a_run_whose_push_has_not_ended_is_left_for_the_next_pull(
    server: Server, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    a = _project(tmp_path / "a")
    done = Run.new("done", target="take_rate", metrics={"ndcg@10": 0.42})
    a.ledger.record(done)
    push(a, tracking_uri=server.uri, experiment="under-way")
    # what a push leaves when it stops after creating the MLflow run: tags, no end
    later = Run.new("later", target="take_rate", metrics={"ndcg@10": 0.44})
    client = MlflowClient(tracking_uri=server.uri)
    experiment_id = client.get_experiment_by_name("under-way").experiment_id
    client.create_run(
        experiment_id,
        tags={"bizml.run_id": later.id, "bizml.record": json.dumps(later.to_record())},
    )
    b = _project(tmp_path / "b")
    first = pull(b, tracking_uri=server.uri, experiment="under-way")
    assert (first.pulled, first.present, first.waiting) == (1, 0, 1)
    assert str(first).endswith(", 1 still being pushed (left for the next pull)")
    assert [run.id for run in b.ledger.runs()] == [done.id]

    a.ledger.record(later)  # the pusher's next push completes that MLflow run
    assert push(a, tracking_uri=server.uri, experiment="under-way").updated == 1
    second = pull(b, tracking_uri=server.uri, experiment="under-way")
    assert (second.pulled, second.present, second.waiting) == (1, 1, 0)
    assert b.ledger.get(later.id) == later


def test_a_record_changed_locally_is_sent_again(server: Server, tmp_path: Path) -> None:
    a = _project(tmp_path / "a")
    base = Run.new("base", target="take_rate", metrics={"ndcg@10": 0.42}, is_baseline=True)
    tower = Run.new("tower", target="take_rate", metrics={"ndcg@10": 0.4333})
    a.ledger.record(base)
    a.ledger.record(tower)
    push(a, tracking_uri=server.uri, experiment="deployed")
    a.ledger.mark_deployed(tower.id, "2026-11-20")
    again = push(a, tracking_uri=server.uri, experiment="deployed")
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    sent = json.loads(_remote(server.uri, "deployed")[tower.id].data.tags["bizml.record"])
    assert sent["run"]["deployed_on"] == "2026-11-20"
    b = _project(tmp_path / "b")
    pull(b, tracking_uri=server.uri, experiment="deployed")
    assert b.ledger.get(tower.id).deployed_on == "2026-11-20"
    assert push(a, tracking_uri=server.uri, experiment="deployed").unchanged == 2


def _noted(ledger: Path) -> int:
    conn = sqlite3.connect(ledger, timeout=30)
    try:
        return int(conn.execute("SELECT count(*) FROM pushed").fetchone()[0])
    finally:
        conn.close()


def test_a_server_killed_during_a_push_then_restarted_gets_every_run_once(
    tmp_path: Path,
) -> None:
    a = _project(tmp_path / "a")
    runs = [
        Run.new(f"run {i}", target="take_rate", metrics={"ndcg@10": 0.42 + i / 10_000})
        for i in range(60)
    ]
    a.ledger.record_many(runs)
    port = _free_port()
    failures: list[BaseException] = []

    def pushing() -> None:
        try:
            push(Project.at(tmp_path / "a"), tracking_uri=uri, experiment="killed")
        except BaseException as exc:  # what the push raised is what the test looks at
            failures.append(exc)

    with mlflow_server(tmp_path / "server", port=port) as first:
        uri = first.uri
        worker = threading.Thread(target=pushing)
        worker.start()
        deadline = time.monotonic() + 120
        while _noted(a.ledger.path) < 5 and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _noted(a.ledger.path) < len(runs), "the push ended before the server was killed"
        first.process.send_signal(signal.SIGKILL)  # no goodbye: as a crashed host
        stop(first)
        worker.join(timeout=120)
    assert not worker.is_alive()
    assert len(failures) == 1
    assert isinstance(failures[0], SyncError)
    message = str(failures[0])
    assert uri in message
    assert "the next push goes on" in message
    noted = _noted(a.ledger.path)
    assert 5 <= noted < len(runs)
    assert [run.id for run in a.ledger.runs()] == [run.id for run in runs]  # nothing lost

    with mlflow_server(tmp_path / "server", port=port) as second:
        result = push(a, tracking_uri=second.uri, experiment="killed")
        assert result.created + result.updated + result.unchanged == len(runs)
        assert result.unchanged == noted  # what the ledger noted, the server had kept
        remote = _remote(second.uri, "killed")
        assert set(remote) == {run.id for run in runs}
        assert {run.info.status for run in remote.values()} == {"FINISHED"}
        assert all("bizml.record" in run.data.tags for run in remote.values())
        again = push(a, tracking_uri=second.uri, experiment="killed")
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(runs))


def test_observations_travel_with_their_runs_and_arrive_once(
    server: Server, tmp_path: Path
) -> None:
    from bizml_nb.projects.realised import observe

    a = _project(tmp_path / "a")
    base = Run.new("base", target="take_rate", metrics={"ndcg@10": 0.42}, is_baseline=True)
    tower = Run.new("tower", target="take_rate", metrics={"ndcg@10": 0.4333})
    a.ledger.record(base)
    a.ledger.record(tower)
    first = observe(a, tower.id, 0.0021, (0.0008, 0.0034), source="A/B test, 2 weeks")
    push(a, tracking_uri=server.uri, experiment="observed")
    sent = _remote(server.uri, "observed")[tower.id]
    assert sent.data.metrics["bizml.observed_kpi_change.mid"] == pytest.approx(0.0021)
    assert sent.data.metrics["bizml.observed_kpi_change.low"] == pytest.approx(0.0008)
    assert sent.data.metrics["bizml.observed_kpi_change.high"] == pytest.approx(0.0034)
    assert sent.data.tags["bizml.observed_on"] == first.observed_on
    assert "bizml.observed_on" not in _remote(server.uri, "observed")[base.id].data.tags

    b = _project(tmp_path / "b")
    pulled = pull(b, tracking_uri=server.uri, experiment="observed")
    assert (pulled.pulled, pulled.observations) == (2, 1)
    # where B got it: the MLflow run whose record carried it (A's origin is not sent)
    assert first.origin == "python"
    origin = f"mlflow:{sent.info.run_id}"
    assert b.ledger.observations() == [replace(first, origin=origin)]
    assert "origin" not in json.loads(sent.data.tags["bizml.record"])["observations"][0]

    # a later measurement of a run B holds already: the next push and pull bring it alone
    second = observe(a, tower.id, 0.0018, (0.0011, 0.0025), source="launch, 4 weeks")
    assert push(a, tracking_uri=server.uri, experiment="observed").updated == 1
    again = pull(b, tracking_uri=server.uri, experiment="observed")
    assert (again.pulled, again.present, again.observations) == (0, 2, 1)
    assert str(again).endswith("; 1 new observations of realised value")
    assert b.ledger.observations() == [
        replace(first, origin=origin),
        replace(second, origin=origin),
    ]
    assert second.predicted is not None  # the kept prediction travels with it
    assert b.ledger.observations()[1].predicted == second.predicted
    assert b.ledger.observations()[1].baseline_id == base.id
    assert pull(b, tracking_uri=server.uri, experiment="observed").observations == 0
    # B holds what A pushed: its own push (same bizml.toml) sends nothing
    assert push(b, tracking_uri=server.uri, experiment="observed").unchanged == 2


def test_an_observation_of_another_run_refuses_the_pull(server: Server, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    from bizml_nb.projects.realised import observe

    a = _project(tmp_path / "a")
    base = Run.new("base", target="take_rate", metrics={"ndcg@10": 0.42}, is_baseline=True)
    tower = Run.new("tower", target="take_rate", metrics={"ndcg@10": 0.4333})
    a.ledger.record(base)
    a.ledger.record(tower)
    observe(a, tower.id, 0.0021, (0.0008, 0.0034), source="A/B test")
    push(a, tracking_uri=server.uri, experiment="misplaced")
    remote = _remote(server.uri, "misplaced")
    record = json.loads(remote[tower.id].data.tags["bizml.record"])
    moved = json.loads(remote[base.id].data.tags["bizml.record"])
    moved["observations"] = record["observations"]  # the tower's observation on the base
    MlflowClient(tracking_uri=server.uri).set_tag(
        remote[base.id].info.run_id, "bizml.record", json.dumps(moved)
    )
    b = _project(tmp_path / "b")
    with pytest.raises(SyncError, match=f"it is of run {tower.id}, not of the run {base.id}"):
        pull(b, tracking_uri=server.uri, experiment="misplaced")
    assert b.ledger.runs() == []
    assert b.ledger.observations() == []


def test_a_record_that_outgrows_its_tag_leaves_no_stale_copy_and_its_observations_arrive(
    server: Server, tmp_path: Path
) -> None:
    from bizml_nb.projects.realised import observe

    a = _project(tmp_path / "a")
    base = Run.new("base", target="take_rate", metrics={"ndcg@10": 0.42}, is_baseline=True)
    # 130 params of 30 characters: about 5,600 characters of run record, with its impact
    # still inside a tag's 8,000
    params = {f"p{i:03d}": "x" * 30 for i in range(130)}
    wide = Run.new("wide", target="take_rate", metrics={"ndcg@10": 0.43}, params=params)
    a.ledger.record(base)
    a.ledger.record(wide)
    push(a, tracking_uri=server.uri, experiment="outgrown")
    assert "bizml.record" in _remote(server.uri, "outgrown")[wide.id].data.tags
    b = _project(tmp_path / "b")
    pull(b, tracking_uri=server.uri, experiment="outgrown")

    for number in range(8):  # each observation's record adds about 310 characters
        observe(a, wide.id, 0.001 + number / 10_000, (0.0, 0.003), source=f"test {number}")
    assert push(a, tracking_uri=server.uri, experiment="outgrown").updated == 1
    sent = _remote(server.uri, "outgrown")[wide.id]
    assert "bizml.record" not in sent.data.tags  # no stale copy for a pull to trust
    assert sent.data.metrics["bizml.observed_kpi_change.mid"] == pytest.approx(0.0017)
    again = push(a, tracking_uri=server.uri, experiment="outgrown")
    assert (again.updated, again.unchanged) == (0, 2)  # settled

    got = pull(b, tracking_uri=server.uri, experiment="outgrown")
    assert got.observations == 8  # from bizml/run.json, for a run B held already
    origin = f"mlflow:{sent.info.run_id}"
    assert b.ledger.observations() == [
        replace(obs, origin=origin) for obs in a.ledger.observations()
    ]
    # one more, on a record already too long for a tag: sent and pulled all the same
    observe(a, wide.id, 0.002, (0.001, 0.003), source="launch")
    assert push(a, tracking_uri=server.uri, experiment="outgrown").updated == 1
    assert pull(b, tracking_uri=server.uri, experiment="outgrown").observations == 1
    assert push(b, tracking_uri=server.uri, experiment="outgrown").unchanged == 2


def test_two_pushes_of_one_ledger_at_once_create_each_run_once(
    server: Server, tmp_path: Path
) -> None:
    a = _project(tmp_path / "a")
    runs = [
        Run.new(f"run {i}", target="take_rate", metrics={"ndcg@10": 0.42 + i / 10_000})
        for i in range(20)
    ]
    a.ledger.record_many(runs)
    results: list[Any] = []

    def pushing() -> None:  # each as its own process would: a project of its own
        results.append(
            push(Project.at(tmp_path / "a"), tracking_uri=server.uri, experiment="at-once")
        )

    workers = [threading.Thread(target=pushing) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert sorted((r.created, r.unchanged) for r in results) == [(0, 20), (20, 0)]
    assert set(_remote(server.uri, "at-once")) == {run.id for run in runs}  # one each
