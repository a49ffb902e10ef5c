"""%bizml sync in a real IPython shell: a push now, pushes after each experiment cell
(--auto) to a real MLflow tracking server, a server that is down, --off, unloading, the
runs table's sync column, and every bad input as one UsageError.

The tests that talk to a server start `mlflow server` (tests/mlflow_server.py: SQLite
store, a free port on 127.0.0.1); they skip, saying so, only when the mlflow extra is not
installed. MLflow is read back with its own plain client.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.present.cards import RUN_MIME
from tests.lab_browser import _free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from bizml_nb.teams.status import BackgroundPush
    from tests.mlflow_server import Server

needs_mlflow = pytest.mark.skipif(
    importlib.util.find_spec("mlflow") is None,
    reason='the mlflow extra is not installed (pip install -e ".[mlflow]")',
)
WAIT_S = 120  # a push on 2 shared cores, with MLflow's first requests


def cell(name: str, ndcg: float, flags: str = "") -> str:
    return (
        f'%%bizml experiment "{name}" --target take_rate {flags}\n'
        f'bizml_nb.log({{"ndcg@10": {ndcg}, "latency_ms": 12.0}})\n'
    )


def run_cell(ip: Any, source: str) -> Any:
    """Run a cell; it must succeed and show the run's card and nothing else."""
    with capture_output() as captured:
        result = ip.run_cell(source)
    assert result.success, result.error_in_exec
    assert [RUN_MIME in o.data for o in captured.outputs] == [True]
    assert captured.stdout == captured.stderr == ""
    return result


def say(ip: Any, line: str) -> str:
    """What a line magic prints."""
    with capture_output() as captured:
        ip.run_line_magic("bizml", line)
    assert captured.stderr == ""
    return str(captured.stdout)


def usage_error(ip: Any, line: str) -> str:
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("bizml", line)
    assert type(info.value) is UsageError
    return str(info.value)


def magics(ip: Any) -> Any:
    return ip.magics_manager.registry["BizmlMagics"]


def auto_of(ip: Any) -> BackgroundPush:
    auto = magics(ip)._auto
    assert auto is not None, "--auto is not on"
    return auto  # type: ignore[no-any-return]


def sync_column(ip: Any) -> dict[str, str]:
    frame = ip.run_line_magic("bizml", "runs")
    assert "sync" in frame.columns
    return dict(zip(frame["name"], frame["sync"], strict=True))


def on_server(uri: str, experiment: str) -> dict[str, dict[str, Any]]:
    """The MLflow runs of an experiment by their bizml.run_id tag, read with MLflow's client."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return {}
    runs = client.search_runs([found.experiment_id], max_results=1000)
    return {r.data.tags["bizml.run_id"]: {"name": r.info.run_name, **r.data.metrics} for r in runs}


@pytest.fixture
def shell(recsys: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The quickstart shell, with no tracking server named by the environment."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return recsys


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from tests.mlflow_server import mlflow_server

    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as running:
        yield running


# --------------------------------------------------------------------------- with a server


@needs_mlflow
def test_auto_pushes_each_experiment_cell_in_the_background(shell: Any, server: Server) -> None:
    run_cell(shell, cell("base", 0.40, "--baseline"))  # recorded before --auto: pending
    out = say(shell, f"sync mlflow --tracking-uri {server.uri} --experiment auto-1 --auto")
    assert out.splitlines() == [
        f"auto push on: each experiment cell's run goes to {server.uri}, experiment "
        "'auto-1', in the background (1 run pending_sync goes now); `%bizml sync status` "
        "shows what waits, `%bizml sync mlflow --off` stops it"
    ]
    auto = auto_of(shell)
    assert auto.wait(WAIT_S)
    run_cell(shell, cell("two-tower", 0.41))
    assert auto.wait(WAIT_S)
    run_cell(shell, cell("three-tower", 0.42))
    assert auto.wait(WAIT_S)
    assert auto.last_error is None

    ids = {r.name: r.id for r in bizml_nb.project().ledger.runs()}
    pushed = on_server(server.uri, "auto-1")
    assert set(pushed) == set(ids.values())  # each run once, found by its bizml.run_id
    assert {pushed[i]["name"] for i in ids.values()} == {"base", "two-tower", "three-tower"}
    # the value pushed is the card's: +0.02 ndcg@10 x 0.35 x 2.5e9 = 17.5M a year
    assert pushed[ids["three-tower"]]["bizml.value_per_year.mid"] == pytest.approx(17.5e6)
    assert sync_column(shell) == dict.fromkeys(ids, "pushed")
    status = say(shell, "sync status")
    assert status.splitlines()[0] == f"{server.uri}: 3 runs pushed, 0 pending_sync"
    assert "auto push on: each experiment cell's run goes to" in status
    assert "last background push: pushed to" in status


@needs_mlflow
def test_a_server_that_hangs_never_holds_a_cell(shell: Any) -> None:
    """A server that takes connections and never answers: the push waits for it on its
    worker process (its probe gives up after 10 s) while the cells run at once, showing
    their cards and nothing else."""
    with socket.socket() as hanging:
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(16)  # connections are taken by the system, never answered
        uri = f"http://127.0.0.1:{hanging.getsockname()[1]}"
        say(shell, f"sync mlflow --tracking-uri {uri} --auto")
        auto = auto_of(shell)
        for number in range(3):
            t0 = time.monotonic()
            run_cell(shell, cell(f"run {number}", 0.40 + number / 100))
            assert time.monotonic() - t0 < 5  # not the push's 10 s
        assert auto.busy
        assert auto.wait(WAIT_S)
    assert auto.last_error is not None
    assert f"cannot reach the MLflow tracking server at {uri}" in str(auto.last_error)
    assert sync_column(shell) == dict.fromkeys(["run 0", "run 1", "run 2"], "pending_sync")


@needs_mlflow
def test_a_server_that_is_down_never_fails_a_cell_and_its_runs_go_on_the_next_push(
    shell: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.mlflow_server import mlflow_server

    port = _free_port()  # nothing listens there yet
    uri = f"http://127.0.0.1:{port}"
    say(shell, f"sync mlflow --tracking-uri {uri} --auto")
    auto = auto_of(shell)
    run_cell(shell, cell("base", 0.40, "--baseline"))
    assert auto.wait(WAIT_S)
    assert auto.last_error is not None
    assert sync_column(shell) == {"base": "pending_sync"}
    (base_id,) = (r.id for r in bizml_nb.project().ledger.runs())
    status = say(shell, "sync status").splitlines()
    assert status[:2] == [f"{uri}: 0 runs pushed, 1 pending_sync", f"  pending_sync {base_id}"]
    assert status[3].startswith(
        f"last background push failed: cannot reach the MLflow tracking server at {uri}"
    )
    assert status[3].endswith("; the runs stay pending_sync and go on the next push")

    with mlflow_server(tmp_path_factory.mktemp("late-mlflow"), port=port) as late:
        assert late.uri == uri
        run_cell(shell, cell("two-tower", 0.41))  # its push sends both runs
        assert auto.wait(WAIT_S)
        assert auto.last_error is None
        ids = {r.name: r.id for r in bizml_nb.project().ledger.runs()}
        assert set(on_server(uri, "recsys-home")) == set(ids.values())
        assert sync_column(shell) == {"base": "pushed", "two-tower": "pushed"}
        assert say(shell, "sync status").splitlines()[0] == f"{uri}: 2 runs pushed, 0 pending_sync"
        say(shell, "sync mlflow --off")


@needs_mlflow
def test_off_stops_the_background_pushes(shell: Any, server: Server) -> None:
    say(shell, f"sync mlflow --tracking-uri {server.uri} --experiment auto-off --auto")
    auto = auto_of(shell)
    run_cell(shell, cell("base", 0.40, "--baseline"))
    assert auto.wait(WAIT_S)
    worker = auto._process
    assert worker is not None
    assert worker.poll() is None  # it waits for the next push
    out = say(shell, "sync mlflow --off")
    assert out.strip() == (
        f"auto push off: nothing more goes to {server.uri} in the background; 0 runs "
        "pending_sync stay in the ledger (`%bizml sync mlflow` pushes them)"
    )
    assert magics(shell)._auto is None
    assert auto.closed
    assert auto._thread is not None
    auto._thread.join(WAIT_S)
    assert not auto._thread.is_alive()
    assert worker.poll() is not None  # the worker process ended with its input
    run_cell(shell, cell("two-tower", 0.41))
    auto.request()  # a closed one starts nothing
    assert not auto._thread.is_alive()
    assert len(on_server(server.uri, "auto-off")) == 1
    # the run made after --off is pending for that server (a tracking URI named here)
    assert say(shell, f"sync status --tracking-uri {server.uri}").splitlines()[0] == (
        f"{server.uri}: 1 runs pushed, 1 pending_sync"
    )
    assert say(shell, "sync mlflow --off").strip() == "auto push was not on"


@needs_mlflow
def test_unloading_the_magics_stops_the_background_pushes(shell: Any, server: Server) -> None:
    say(shell, f"sync mlflow --tracking-uri {server.uri} --experiment auto-unload --auto")
    auto = auto_of(shell)
    assert auto.wait(WAIT_S)
    worker = auto._process
    assert worker is not None
    shell.run_line_magic("unload_ext", "bizml_nb")
    try:
        assert auto.closed
        assert auto._thread is not None
        auto._thread.join(WAIT_S)
        assert not auto._thread.is_alive()
        assert worker.poll() is not None
        auto.request()
        assert not auto._thread.is_alive()
    finally:
        shell.run_line_magic("load_ext", "bizml_nb")
    assert magics(shell)._auto is None  # a fresh kernel state: --auto is off


@needs_mlflow
def test_a_push_now_and_a_pull_show_what_they_did(
    shell: Any, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cell(shell, cell("base", 0.40, "--baseline"))
    run_cell(shell, cell("two-tower", 0.41))
    out = say(shell, f"sync mlflow --tracking-uri {server.uri} --experiment now-1")
    assert out.strip().startswith(f"pushed to {server.uri}, experiment 'now-1' (id ")
    assert out.strip().endswith("2 created, 0 updated, 0 unchanged")
    again = say(shell, f"sync mlflow push --tracking-uri {server.uri} --experiment now-1")
    assert again.strip().endswith("0 created, 0 updated, 2 unchanged")
    # with --auto on for this server, a push now joins the background one (never two at once)
    say(shell, f"sync mlflow --tracking-uri {server.uri} --experiment now-1 --auto")
    run_cell(shell, cell("three-tower", 0.42))
    joined = say(shell, "sync mlflow")
    assert joined.strip().endswith("0 created, 0 updated, 3 unchanged") or joined.strip().endswith(
        "1 created, 0 updated, 2 unchanged"
    )
    assert len(on_server(server.uri, "now-1")) == 3
    say(shell, "sync mlflow --off")

    # a teammate's fresh project with the same bizml.toml pulls them
    teammate = tmp_path / "teammate"
    teammate.mkdir()
    (teammate / "bizml.toml").write_bytes(bizml_nb.project().registry_path.read_bytes())
    monkeypatch.chdir(teammate)
    pulled = say(shell, f"sync mlflow pull --tracking-uri {server.uri} --experiment now-1")
    assert pulled.strip().startswith(f"pulled from {server.uri}, experiment 'now-1' (id ")
    assert pulled.strip().endswith("3 new, 0 already here")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.uri)  # the table's sync column, from here
    assert sync_column(shell) == dict.fromkeys(["base", "two-tower", "three-tower"], "from mlflow")
    # pulled runs are never pending: they came from the server
    assert say(shell, f"sync status --tracking-uri {server.uri}").splitlines() == [
        f"{server.uri}: 0 runs pushed, 0 pending_sync"
    ]


# --------------------------------------------------------------------------- without a server


def test_the_runs_table_is_unchanged_when_no_server_is_named(shell: Any) -> None:
    run_cell(shell, cell("base", 0.40, "--baseline"))
    run_cell(shell, cell("two-tower", 0.41))
    frame = shell.run_line_magic("bizml", "runs")
    assert list(frame.columns) == [
        "id",
        "started_at",
        "name",
        "target",
        "status",
        "baseline",
        "ndcg@10",
        "latency_ms",
        "business_delta",
        "value_per_year",
        "value_low",
        "value_high",
    ]
    assert "sync" not in repr(frame)
    assert "sync" not in bizml_nb.runs().columns


def test_a_named_server_adds_the_sync_column_read_from_the_ledger_alone(
    shell: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From $MLFLOW_TRACKING_URI, then from bizml.toml's [sync] key; nothing is contacted
    (port 9 has no server)."""
    run_cell(shell, cell("base", 0.40, "--baseline"))
    without = shell.run_line_magic("bizml", "runs")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    frame = shell.run_line_magic("bizml", "runs")
    assert list(frame.columns) == [*without.columns[:6], "sync", *without.columns[6:]]
    assert list(frame["sync"]) == ["pending_sync"]
    text = repr(frame).splitlines()
    assert text[0].split()[:6] == ["id", "started", "name", "KPI", "status", "sync"]
    assert text[1].split()[5:7] == ["baseline", "pending_sync"]
    api = bizml_nb.runs()
    assert list(api["sync"]) == ["pending_sync"]
    assert list(api.columns).index("sync") == list(api.columns).index("status") + 1

    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    registry = bizml_nb.project().registry_path
    registry.write_text(
        registry.read_text() + '\n[sync]\nmlflow_tracking_uri = "http://127.0.0.1:9"\n'
    )
    assert list(shell.run_line_magic("bizml", "runs")["sync"]) == ["pending_sync"]


def test_a_metric_named_sync_keeps_its_values_beside_the_sync_column(
    shell: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cell(
        shell,
        '%%bizml experiment "odd" --target take_rate\nbizml_nb.log({"ndcg@10": 0.4, "sync": 3.0})\n',
    )
    assert list(shell.run_line_magic("bizml", "runs")["metric.sync"]) == [3.0]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    frame = shell.run_line_magic("bizml", "runs")
    assert (list(frame["metric.sync"]), list(frame["sync"])) == ([3.0], ["pending_sync"])
    api = bizml_nb.runs()
    assert (list(api["metric.sync"]), list(api["sync"])) == ([3.0], ["pending_sync"])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("sync", "the following arguments are required: mlflow|status"),
        ("sync mlfow", "unknown sync target 'mlfow' (did you mean 'mlflow'?)"),
        ("sync mlflow puhs", "unknown action 'puhs' (did you mean 'push'?)"),
        ("sync mlflow --auto --off", "argument --off: not allowed with argument --auto"),
        ("sync mlflow pull --auto", "--auto is about pushing in the background"),
        ("sync mlflow --off --tracking-uri http://h:1", "--off takes no other argument"),
        ("sync status --experiment x", "takes only --tracking-uri, not '--experiment'"),
        ("sync mlflow --auto", "no MLflow tracking server named: pass --tracking-uri URI"),
        ("sync mlflow", "no MLflow tracking server named: pass --tracking-uri URI"),
        ("sync status", "no MLflow tracking server named"),
        (
            "sync mlflow --tracking-uri mlruns --auto",
            "the tracking URI 'mlruns' is not the address of an MLflow tracking server",
        ),
        ("sync mlflow --tracking-uri http://h:1 --autoo", "unknown flag '--autoo'"),
    ],
)
def test_bad_input_is_one_usage_error_naming_it(shell: Any, line: str, expected: str) -> None:
    assert expected in usage_error(shell, line)
    assert magics(shell)._auto is None


def test_without_mlflow_auto_names_the_extra(shell: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    message = usage_error(shell, "sync mlflow --tracking-uri http://127.0.0.1:9 --auto")
    assert (
        message == 'syncing with MLflow needs the mlflow package: `pip install "bizml_nb[mlflow]"`'
    )
    assert magics(shell)._auto is None


def test_auto_on_a_server_that_is_down_is_quiet_and_reported_in_the_status(shell: Any) -> None:
    """Port 9 has no server: the cells succeed, showing only their cards."""
    if importlib.util.find_spec("mlflow") is None:
        pytest.skip('the mlflow extra is not installed (pip install -e ".[mlflow]")')
    say(shell, "sync mlflow --tracking-uri http://127.0.0.1:9 --auto")
    run_cell(shell, cell("base", 0.40, "--baseline"))
    assert auto_of(shell).wait(WAIT_S)
    assert "last background push failed: cannot reach" in say(shell, "sync status")
    # a push asked for now says what failed, as one UsageError
    assert "cannot reach the MLflow tracking server at http://127.0.0.1:9" in usage_error(
        shell, "sync mlflow"
    )


def test_help_names_sync(shell: Any) -> None:
    assert "sync" in say(shell, "help")
    text = say(shell, "help sync")
    for part in ("--auto", "--off", "mlflow|status", "push|pull", "--tracking-uri URI"):
        assert part in text
