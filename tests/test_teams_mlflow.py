"""The ledger synced with a real MLflow tracking server: push, pull, idempotence, errors.

One `mlflow server` (SQLite backend, local artifacts, a free port) serves the module;
each test uses an experiment of its own. Expected values are worked out here by hand
from bizml.toml's numbers, and MLflow is read back with its own plain client.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip(
    "mlflow", reason='the mlflow extra is not installed (pip install -e ".[mlflow]")'
)

from bizml_nb.core.run import Run
from bizml_nb.interfaces.cli import main
from bizml_nb.projects.project import Project
from bizml_nb.teams import BackgroundPush, SyncError, price, pull, push, status
from bizml_nb.teams.mapping import batches
from tests.lab_browser import _free_port
from tests.mlflow_server import Server, mlflow_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REGISTRY = """\
[project]
name = "recsys"
currency = "USD"
min_annual_value = 1e7

[metrics.take_rate]
unit = "ratio"
direction = "higher"
baseline = 0.112
value_per_unit = 2.5e9

[[links]]
ml_metric = "ndcg@10"
business_metric = "take_rate"
elasticity = {elasticity}
interval = [{low}, {high}]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as running:
        yield running


def _project(root: Path, elasticity: float = 0.35, low: float = 0.2, high: float = 0.5) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    (root / "bizml.toml").write_text(REGISTRY.format(elasticity=elasticity, low=low, high=high))
    return Project.at(root)


def _three_runs(project: Project) -> list[Run]:
    runs = [
        Run.new("base", target="take_rate", metrics={"ndcg@10": 0.42}, is_baseline=True),
        Run.new(
            "two-tower",
            target="take_rate",
            metrics={"ndcg@10": 0.4333, "latency_ms": 38.0},
            hypothesis="two towers recall more",
            params={"lr": 0.01, "layers": [64, 32]},
            duration_s=12.5,
        ),
        Run.new("crashed", target="take_rate", status="failed", error="ValueError: nan"),
    ]
    for run in runs:
        project.ledger.record(run)
    return runs


def _client(server: Server) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=server.uri)


def _mlflow_runs(server: Server, experiment: str) -> dict[str, Any]:
    """bizml run id -> MLflow run, read with MLflow's plain client; every run must have one."""
    client = _client(server)
    found = client.get_experiment_by_name(experiment)
    runs = client.search_runs([found.experiment_id], max_results=1000)
    by_id: dict[str, Any] = {}
    for run in runs:
        by_id.setdefault(run.data.tags["bizml.run_id"], []).append(run)
    assert all(len(each) == 1 for each in by_id.values()), "a bizml run pushed twice"
    return {key: each[0] for key, each in by_id.items()}


def _cards(project: Project) -> dict[str, str]:
    from bizml_nb.present.cards import run_card

    return {run.id: str(run_card(project, run.id)) for run in project.ledger.runs()}


def test_push_then_pull_into_a_fresh_project_gives_the_same_runs_verdicts_and_values(
    server: Server, tmp_path: Path
) -> None:
    a = _project(tmp_path / "a")
    runs = _three_runs(a)
    first = push(a, tracking_uri=server.uri, experiment="round-trip")
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)

    remote = _mlflow_runs(server, "round-trip")
    assert set(remote) == {run.id for run in runs}
    tower = remote[runs[1].id]
    # by hand: +0.0133 ndcg x 0.35 = +0.004655 take_rate; x 2.5e9 = $11,637,500 a year,
    # the range from the interval's ends 0.2 and 0.5: $6,650,000 to $16,625,000.
    assert tower.data.metrics["ndcg_10"] == pytest.approx(0.4333)
    assert tower.data.metrics["latency_ms"] == 38.0
    assert tower.data.metrics["bizml.kpi_change.mid"] == pytest.approx(0.0133 * 0.35)
    assert tower.data.metrics["bizml.value_per_year.low"] == pytest.approx(6_650_000)
    assert tower.data.metrics["bizml.value_per_year.mid"] == pytest.approx(11_637_500)
    assert tower.data.metrics["bizml.value_per_year.high"] == pytest.approx(16_625_000)
    sha = hashlib.sha256((tmp_path / "a" / "bizml.toml").read_bytes()).hexdigest()
    assert tower.data.tags["bizml.verdict"] == "material"  # low > 0, mid >= $10M
    assert tower.data.tags["bizml.kpi"] == "take_rate"
    assert tower.data.tags["bizml.registry_sha"] == sha
    assert tower.data.tags["mlflow.note.content"] == "two towers recall more"
    assert json.loads(tower.data.tags["bizml.metric_names"]) == {"ndcg_10": "ndcg@10"}
    assert tower.data.params == {"lr": "0.01", "layers": "[64, 32]"}
    assert tower.info.status == "FINISHED"
    assert tower.info.end_time - tower.info.start_time == 12_500
    assert remote[runs[0].id].data.tags["bizml.verdict"] == "baseline"
    assert remote[runs[2].id].info.status == "FAILED"
    assert remote[runs[2].id].data.tags["bizml.verdict"] == "none"

    b = _project(tmp_path / "b")
    pulled = pull(b, tracking_uri=server.uri, experiment="round-trip")
    assert (pulled.pulled, pulled.present) == (3, 0)
    assert b.ledger.runs() == a.ledger.runs()
    cards_b, cards_a = _cards(b), _cards(a)
    for run in runs:  # the same card, and on B the run's origin
        remote_id = remote[run.id].info.run_id
        author = remote[run.id].data.tags["mlflow.user"]
        origin = f"  Origin      mlflow:{remote_id}, by {author}\n"
        assert origin in cards_b[run.id]
        assert cards_b[run.id].replace(origin, "") == cards_a[run.id]
        assert "Origin" not in cards_a[run.id]
    for run in runs:
        impact_a, impact_b = a.impact(run.id), b.impact(run.id)
        assert (impact_a is None) == (impact_b is None)
        if impact_a is not None and impact_b is not None:
            assert impact_b.label == impact_a.label
            assert impact_b.value_per_year == impact_a.value_per_year
    from bizml_nb.present.tables import Wording, runs_text
    from bizml_nb.present.views import runs_table

    table = runs_text(runs_table(b), Wording.of(b.registry), width=300).splitlines()
    assert table[0].split()[5] == "origin"
    assert [line.split()[6] for line in table[1:]] == [  # the start time is two words
        f"mlflow:{remote[run.id].info.run_id}" for run in runs
    ]
    assert "origin" not in runs_text(runs_table(a), Wording.of(a.registry), width=300)
    origins = b.ledger.origins()
    assert origins[runs[1].id][0] == f"mlflow:{tower.info.run_id}"
    assert origins[runs[1].id][1]  # the author MLflow recorded
    assert a.ledger.origins() == {}


def test_pushing_and_pulling_twice_makes_no_duplicates(server: Server, tmp_path: Path) -> None:
    a = _project(tmp_path / "a")
    runs = _three_runs(a)
    push(a, tracking_uri=server.uri, experiment="twice")
    again = push(a, tracking_uri=server.uri, experiment="twice")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert len(_mlflow_runs(server, "twice")) == 3

    b = _project(tmp_path / "b")
    assert pull(b, tracking_uri=server.uri, experiment="twice").pulled == 3
    second = pull(b, tracking_uri=server.uri, experiment="twice")
    assert (second.pulled, second.present) == (0, 3)
    assert len(b.ledger.runs()) == 3
    # the pulled runs are known to be on the server: B's push (same bizml.toml) sends nothing
    from_b = push(b, tracking_uri=server.uri, experiment="twice")
    assert (from_b.created, from_b.updated, from_b.unchanged) == (0, 0, 3)
    # a new run in A goes alone
    a.ledger.record(Run.new("three-tower", target="take_rate", metrics={"ndcg@10": 0.45}))
    third = push(a, tracking_uri=server.uri, experiment="twice")
    assert (third.created, third.updated, third.unchanged) == (1, 0, 3)
    assert len(_mlflow_runs(server, "twice")) == len(runs) + 1


def test_a_registry_change_then_push_updates_the_tags_and_values_of_every_run(
    server: Server, tmp_path: Path
) -> None:
    a = _project(tmp_path / "a")
    runs = _three_runs(a)
    push(a, tracking_uri=server.uri, experiment="registry-change")
    _project(tmp_path / "a", elasticity=0.2, low=0.1, high=0.3)  # a new A/B test said less
    changed = push(a, tracking_uri=server.uri, experiment="registry-change")
    assert (changed.created, changed.updated, changed.unchanged) == (0, 3, 0)
    sha = hashlib.sha256((tmp_path / "a" / "bizml.toml").read_bytes()).hexdigest()
    remote = _mlflow_runs(server, "registry-change")
    assert {run.data.tags["bizml.registry_sha"] for run in remote.values()} == {sha}
    tower = remote[runs[1].id]
    # by hand: 0.0133 x 0.2 x 2.5e9 = $6,650,000 [3,325,000, 9,975,000]: below the $10M bar
    assert tower.data.metrics["bizml.value_per_year.mid"] == pytest.approx(6_650_000)
    assert tower.data.metrics["bizml.value_per_year.high"] == pytest.approx(9_975_000)
    assert tower.data.tags["bizml.verdict"] == "not material"
    assert tower.data.metrics["ndcg_10"] == pytest.approx(0.4333)


def test_a_push_stopped_half_way_is_finished_by_the_next_one(
    server: Server, tmp_path: Path
) -> None:
    """What an interrupted push leaves (an MLflow run holding only its bizml.run_id tag,
    nothing noted locally) is completed, not duplicated."""
    a = _project(tmp_path / "a")
    runs = _three_runs(a)
    client = _client(server)
    experiment_id = client.create_experiment("half-way")
    client.create_run(experiment_id, tags={"bizml.run_id": runs[1].id})
    result = push(a, tracking_uri=server.uri, experiment="half-way")
    assert (result.created, result.updated) == (2, 1)
    tower = _mlflow_runs(server, "half-way")[runs[1].id]
    assert tower.data.tags["bizml.verdict"] == "material"
    assert tower.info.status == "FINISHED"
    local = tmp_path / "art"
    path = client.download_artifacts(
        tower.info.run_id, "bizml/run.json", str(local.mkdir() or local)
    )
    with open(path, encoding="utf-8") as handle:
        assert Run.from_record(json.load(handle)) == runs[1]


def test_more_metrics_than_one_batch_holds_all_arrive(server: Server, tmp_path: Path) -> None:
    a = _project(tmp_path / "a")
    metrics = {f"m{i:04d}": i / 7 for i in range(1234)}
    run = Run.new("wide", target="take_rate", metrics=metrics)
    a.ledger.record(run)
    push(a, tracking_uri=server.uri, experiment="wide")
    pushed = _mlflow_runs(server, "wide")[run.id]
    assert {k: v for k, v in pushed.data.metrics.items() if not k.startswith("bizml.")} == (
        pytest.approx(metrics)
    )


def test_batches_keep_within_mlflows_limits() -> None:
    from mlflow.utils import validation

    assert validation.MAX_METRICS_PER_BATCH == 1000
    assert validation.MAX_PARAMS_TAGS_PER_BATCH == 100
    assert validation.MAX_ENTITIES_PER_BATCH == 1000
    sizes = [
        tuple(map(len, chunk))
        for chunk in batches(list(range(2500)), list(range(250)), list(range(7)))
    ]
    # 7 tags + 100 params leave room for 893 metrics; then 100 params + 900; then 50 + 707
    assert sizes == [(893, 100, 7), (900, 100, 0), (707, 50, 0)]


def test_an_unreachable_server_gives_one_message_and_changes_nothing_local(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _project(tmp_path / "a")
    _three_runs(a)
    a.ledger.close()
    ledger = tmp_path / "a" / ".bizml" / "ledger.sqlite"
    before = _ledger_content(ledger)
    uri = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    with pytest.raises(SyncError, match="cannot reach the MLflow tracking server at") as caught:
        push(a, tracking_uri=uri)
    assert uri in str(caught.value)
    assert main(["-C", str(tmp_path / "a"), "sync", "mlflow", "push", "--tracking-uri", uri]) == 1
    assert main(["-C", str(tmp_path / "a"), "sync", "mlflow", "pull", "--tracking-uri", uri]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert all(
        line.startswith(f"bizml: error: cannot reach the MLflow tracking server at {uri} ")
        for line in err
    )
    assert "check that `mlflow server` is running there" in err[0]
    assert _ledger_content(ledger) == before


def test_no_tracking_uri_anywhere_names_the_three_ways_to_give_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    a = _project(tmp_path / "a")
    with pytest.raises(
        SyncError, match=r"pass --tracking-uri URI .* set MLFLOW_TRACKING_URI, or add"
    ):
        push(a)


def test_the_uri_comes_from_the_environment_then_bizml_toml(
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a = _project(tmp_path / "a")
    run = Run.new("base", target="take_rate", metrics={"ndcg@10": 0.42}, is_baseline=True)
    a.ledger.record(run)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with (tmp_path / "a" / "bizml.toml").open("a") as toml:
        toml.write(f'\n[sync]\nmlflow_tracking_uri = "{server.uri}"\n')
    assert main(["-C", str(tmp_path / "a"), "sync", "mlflow", "push"]) == 0
    assert capsys.readouterr().out == (
        f"pushed to {server.uri}, experiment 'recsys' (id "
        f"{_client(server).get_experiment_by_name('recsys').experiment_id}): 1 created, 0 updated, 0 unchanged\n"
    )
    monkeypatch.setenv(
        "MLFLOW_TRACKING_URI", f"http://127.0.0.1:{_free_port()}"
    )  # wins, and is down
    assert main(["-C", str(tmp_path / "a"), "sync", "mlflow", "push"]) == 1
    assert "cannot reach" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["tag", "artifact"])
def test_a_pull_of_a_broken_record_refuses_the_whole_pull(
    server: Server, tmp_path: Path, where: str
) -> None:
    a = _project(tmp_path / "a")
    runs = _three_runs(a)
    push(a, tracking_uri=server.uri, experiment=f"broken-{where}")
    client = _client(server)
    tower = _mlflow_runs(server, f"broken-{where}")[runs[1].id]
    record = runs[1].to_record()
    record["run"]["started_at"] = "yesterday"
    if where == "tag":
        client.set_tag(tower.info.run_id, "bizml.record", json.dumps(record))
    else:  # a record too long for a tag travels as the artifact alone
        client.delete_tag(tower.info.run_id, "bizml.record")
        client.log_text(tower.info.run_id, json.dumps(record), "bizml/run.json")
    b = _project(tmp_path / "b")
    with pytest.raises(SyncError, match=f"MLflow run {tower.info.run_id}: malformed run record"):
        pull(b, tracking_uri=server.uri, experiment=f"broken-{where}")
    assert b.ledger.runs() == []


def _ledger_content(path: Path) -> list[Any]:
    conn = sqlite3.connect(path)
    try:
        return [
            conn.execute("SELECT * FROM runs ORDER BY id").fetchall(),
            conn.execute("SELECT * FROM pushed").fetchall(),
        ]
    finally:
        conn.close()


def test_plain_mlflow_runs_are_priced_and_ranked_by_value_as_worked_out_by_hand(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = _client(server)
    experiment_id = client.create_experiment("plain")
    logged = {"base": 0.42, "a": 0.4333, "b": 0.45, "c": 0.41}
    mlflow_ids = {}
    for name, ndcg in logged.items():
        run = client.create_run(experiment_id, run_name=name)
        client.log_metric(run.info.run_id, "val_ndcg", ndcg)
        client.log_metric(run.info.run_id, "latency_ms", 40.0)
        client.set_terminated(run.info.run_id)
        mlflow_ids[name] = run.info.run_id
    c = _project(tmp_path / "c")
    argv = ["-C", str(tmp_path / "c"), "mlflow", "price", "plain", "--target", "take_rate"]
    argv += ["--map", "val_ndcg=ndcg@10", "--baseline", "base", "--tracking-uri", server.uri]
    assert main([*argv, "--map", "val_ndc=x"]) == 1  # a metric no run logged: one message
    assert "--map names val_ndc, which no run of 'plain' logged" in capsys.readouterr().err
    assert c.ledger.runs() == []
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert main(argv) == 0  # priced again: nothing new
    assert "(0 newly recorded)" in capsys.readouterr().out

    runs = {run.name: run for run in c.ledger.runs()}
    assert len(runs) == 4
    assert runs["a"].metrics == {"ndcg@10": 0.4333, "latency_ms": 40.0}
    assert c.ledger.baseline("take_rate") == runs["base"]
    origins = c.ledger.origins()
    assert {name: origins[run.id][0] for name, run in runs.items()} == {
        name: f"mlflow:{mlflow_id}" for name, mlflow_id in mlflow_ids.items()
    }
    # by hand: (ndcg - 0.42) x 0.35 x 2.5e9 a year, the range at elasticities 0.2 and 0.5
    by_hand = {n: (v - 0.42) * 2.5e9 for n, v in logged.items() if n != "base"}
    order = sorted(by_hand, key=lambda n: -by_hand[n])
    assert order == ["b", "a", "c"]
    for name in order:
        impact = c.impact(runs[name])
        assert impact is not None
        assert impact.value_per_year is not None
        assert impact.value_per_year.mid == pytest.approx(by_hand[name] * 0.35)
        assert impact.value_per_year.low == pytest.approx(
            min(by_hand[name] * 0.2, by_hand[name] * 0.5)
        )
    lines = [line.split() for line in out.splitlines()[2:5]]
    assert [(line[0], line[1]) for line in lines] == [("1", "b"), ("2", "a"), ("3", "c")]
    assert [line[2] for line in lines] == [mlflow_ids[n][:12] for n in order]
    assert "+$26.3M [+$15M, +$37.5M]" in out.splitlines()[2]  # 0.03 x 2.5e9 x 0.35, 0.2, 0.5
    assert "harmful" in out  # c: the whole range is a loss


def test_a_push_leaves_priced_runs_where_they_are(server: Server, tmp_path: Path) -> None:
    client = _client(server)
    experiment_id = client.create_experiment("priced-then-pushed")
    plain = client.create_run(experiment_id, run_name="plain")
    client.log_metric(plain.info.run_id, "val_ndcg", 0.43)
    client.set_terminated(plain.info.run_id)
    c = _project(tmp_path / "c")
    price(
        c,
        "priced-then-pushed",
        target="take_rate",
        mapping={"val_ndcg": "ndcg@10"},
        tracking_uri=server.uri,
    )
    result = push(c, tracking_uri=server.uri, experiment="priced-then-pushed")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert len(client.search_runs([experiment_id])) == 1


def test_status_and_background_pushes_keep_runs_pending_while_the_server_is_down(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _project(tmp_path / "a")
    runs = _three_runs(a)
    down = f"http://127.0.0.1:{_free_port()}"
    background = BackgroundPush(a, tracking_uri=down, experiment="background")
    background.request()  # returns at once; the push fails on its thread, not here
    assert background.wait(60)
    assert isinstance(background.last_error, SyncError)
    assert down in str(background.last_error)
    assert status(a, tracking_uri=down).pending == tuple(run.id for run in runs)

    assert main(["-C", str(tmp_path / "a"), "sync", "status", "--tracking-uri", server.uri]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{server.uri}: 0 runs pushed, 3 pending_sync"
    )
    up = BackgroundPush(a, tracking_uri=server.uri, experiment="background")
    up.request()
    up.request()
    assert up.wait(120)
    assert up.last_error is None
    assert up.last_result is not None
    assert status(a, tracking_uri=server.uri).pending == ()
    assert status(a, tracking_uri=server.uri).pushed == 3
    assert len(_mlflow_runs(server, "background")) == 3


def test_a_baseline_chosen_later_travels_with_the_runs(server: Server, tmp_path: Path) -> None:
    a = _project(tmp_path / "a")
    runs = _three_runs(a)
    push(a, tracking_uri=server.uri, experiment="baseline-later")
    a.set_baseline(runs[1].id)  # `%bizml baseline two-tower`: the registry is unchanged
    moved = push(a, tracking_uri=server.uri, experiment="baseline-later")
    assert (moved.created, moved.updated, moved.unchanged) == (0, 3, 0)  # every value changed
    remote = _mlflow_runs(server, "baseline-later")
    assert {run.id: remote[run.id].data.tags["bizml.baseline"] for run in runs} == {
        runs[0].id: "false",
        runs[1].id: "true",
        runs[2].id: "false",
    }
    b = _project(tmp_path / "b")
    pull(b, tracking_uri=server.uri, experiment="baseline-later")
    assert b.ledger.baseline("take_rate") == runs[1]
    cards_b = _cards(b)
    for run_id, card in _cards(a).items():  # the same cards (B's also say where runs came from)
        lines = [line for line in cards_b[run_id].splitlines() if not line.startswith("  Origin")]
        assert lines == card.splitlines()
    assert "harmful" in cards_b[runs[0].id]  # the old baseline, now against two-tower


def test_a_new_baseline_re_sends_every_runs_value(server: Server, tmp_path: Path) -> None:
    a = _project(tmp_path / "a")
    runs = _three_runs(a)
    push(a, tracking_uri=server.uri, experiment="new-baseline")
    a.ledger.record(Run.new("better base", target="take_rate", metrics={"ndcg@10": 0.43}))
    a.set_baseline("better base")
    result = push(a, tracking_uri=server.uri, experiment="new-baseline")
    assert (result.created, result.updated, result.unchanged) == (1, 3, 0)
    tower = _mlflow_runs(server, "new-baseline")[runs[1].id]
    # by hand: (0.4333 - 0.43) x 0.35 x 2.5e9 = $2,887,500 a year: no longer material
    assert tower.data.metrics["bizml.value_per_year.mid"] == pytest.approx(2_887_500)
    assert tower.data.tags["bizml.verdict"] != "material"
