"""The Jupyter server extension's REST routes, against a real `jupyter server` subprocess.

The server runs on 127.0.0.1 with a random port and token, its root a temporary folder
holding a small project made with bizml_nb's own API. Expected figures are worked out
by hand: value per year = the KPI's change x its value per unit, and the KPI's change =
the ML metric's change against the baseline run x the link's elasticity (its interval's
ends give the range's ends).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bizml_nb.core.ledger import Ledger
from bizml_nb.core.run import Run
from bizml_nb.projects.project import Project
from tests.lab_browser import _free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

pytest.importorskip("jupyter_server")

REPO = Path(__file__).resolve().parents[1]
XSS = "<img src=x onerror=alert(1)>"
HYPOTHESIS = "<script>alert(1)</script> & more"
EXTENSION = "bizml_nb.interfaces.lab_server"


# --------------------------------------------------------------------------- the server


class Server:
    def __init__(self, url: str, token: str, root: Path, process: subprocess.Popen[bytes]) -> None:
        self.url, self.token, self.root, self.process = url, token, root, process

    def call(
        self,
        route: str,
        query: dict[str, Any] | None = None,
        body: bytes | dict[str, Any] | None = None,
        *,
        token: bool = True,
    ) -> tuple[int, Any, str]:
        """(status, JSON body, content type) of a request to ``/bizml/route``."""
        url = f"{self.url}bizml/{route}"
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        method = "POST" if data is not None else "GET"
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (127.0.0.1)
        if token:
            request.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310 (127.0.0.1)
                raw, status, kind = answer.read(), answer.status, answer.headers["Content-Type"]
        except urllib.error.HTTPError as exc:
            raw, status, kind = exc.read(), exc.code, exc.headers["Content-Type"]
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.decode(errors="replace")
        return status, parsed, kind or ""


def _record(root: Path, name: str, auc: float, **fields: Any) -> Run:
    run = Run.new(name, target="conversion", metrics={"auc": auc}, **fields)
    ledger = Ledger(root / ".bizml" / "ledger.sqlite")
    ledger.record(run)
    ledger.close()
    return run


def _make_project(folder: Path) -> None:
    """conversion (ratio, higher; EUR 1,000,000 a year per +1) <- auc, elasticity 0.1 [0.05, 0.15];
    sessions (count, unpriced) feeds conversion; churn <- recall."""
    folder.mkdir(parents=True)
    project = Project.at(folder)
    project.init("shop", currency="EUR", min_annual_value=800)
    project.metric(
        "conversion",
        unit="ratio",
        direction="higher",
        baseline=0.05,
        target=0.06,
        value_per_unit=1_000_000,
        owner="ana",
    )
    project.metric("sessions", unit="count", direction="higher", owner="bo")
    project.metric("churn", unit="ratio", direction="lower", value_per_unit=-2_000_000)
    project.link("auc", "conversion", elasticity=0.1, interval=(0.05, 0.15))
    project.link("sessions", "conversion", elasticity=1e-6, interval=(0.5e-6, 1.5e-6))
    project.link("recall", "churn", elasticity=-0.2, interval=(-0.3, -0.1))
    project.ledger.close()
    _record(folder, "base", 0.80, is_baseline=True, tags=("prod",))
    _record(folder, "small", 0.81, tags=("fast",))
    _record(folder, "big", 0.83, tags=("fast", "deep"))
    _record(folder, XSS, 0.805, hypothesis=HYPOTHESIS, tags=("deep",))
    _record(folder, "worse", 0.79)
    _record(folder, "crashed", 0.99, status="failed", error="boom")


def _make_large(folder: Path, runs: int) -> None:
    folder.mkdir(parents=True)
    project = Project.at(folder)
    project.init("large", currency="EUR")
    project.metric("conversion", unit="ratio", direction="higher", value_per_unit=1_000_000)
    project.link("auc", "conversion", elasticity=0.1, interval=(0.05, 0.15))
    made = [Run.new("base", target="conversion", metrics={"auc": 0.8}, is_baseline=True)]
    made += [
        Run.new(
            f"run {i}", target="conversion", metrics={"auc": 0.8 + i * 1e-6}, tags=(f"t{i % 7}",)
        )
        for i in range(runs - 1)
    ]
    project.ledger.record_many(made)
    project.ledger.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    outer = tmp_path_factory.mktemp("lab")
    (outer / "bizml.toml").write_text('[project]\nname = "above the root"\n', encoding="utf-8")
    root = (outer / "root").resolve()
    root.mkdir()
    _make_project(root / "shop")
    (root / "shop" / "analysis").mkdir()
    (root / "shop" / "analysis" / "nb.ipynb").write_text("{}", encoding="utf-8")
    (root / "empty").mkdir()
    _make_large(root / "large", 10_000)
    elsewhere = outer / "elsewhere"
    _make_project(elsewhere)
    (root / "escape").symlink_to(elsewhere, target_is_directory=True)
    (root / "linked_toml").mkdir()  # a project folder whose bizml.toml is a link out
    (root / "linked_toml" / "bizml.toml").symlink_to(elsewhere / "bizml.toml")
    (root / "linked_ledger").mkdir()  # a project whose ledger folder is a link out
    Project.at(root / "linked_ledger").init("linked")
    (root / "linked_ledger" / ".bizml").symlink_to(elsewhere / ".bizml", target_is_directory=True)
    for name in ("config", "data", "runtime"):
        (outer / name).mkdir()
    token = os.urandom(16).hex()
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "JUPYTER_CONFIG_DIR": str(outer / "config"),
        "JUPYTER_DATA_DIR": str(outer / "data"),
        "JUPYTER_RUNTIME_DIR": str(outer / "runtime"),
    }
    env.pop("BIZML_LEDGER", None)
    log = (outer / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--ServerApp.jpserver_extensions={EXTENSION}=True",
            "--ServerApp.open_browser=False",
            "--allow-root",
        ],
        cwd=outer,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    started = Server(url, token, root, process)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter server stopped:\n{(outer / 'server.log').read_text()}")
            try:
                status, _, _ = started.call("templates")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter server did not answer:\n{(outer / 'server.log').read_text()}")
            time.sleep(0.3)
        yield started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


# --------------------------------------------------------------------------- the project


def _board(answer: dict[str, Any], kpi: str) -> list[dict[str, Any]]:
    (entry,) = [k for k in answer["kpis"] if k["name"] == kpi]
    board: list[dict[str, Any]] = entry["leaderboard"]
    return board


def test_the_project_of_a_notebook_its_kpis_and_the_leaderboard_by_business_value(
    server: Server,
) -> None:
    status, answer, kind = server.call("project", {"path": "shop/analysis/nb.ipynb"})
    assert status == 200, answer
    assert kind.startswith("application/json")
    assert answer["project"] == {
        "name": "shop",
        "currency": "EUR",
        "root": "shop",
        "registry": "shop/bizml.toml",
        "min_annual_value": 800.0,
    }
    assert answer["root"] == "shop"
    (conversion,) = [k for k in answer["kpis"] if k["name"] == "conversion"]
    assert conversion["unit"] == "ratio"
    assert conversion["direction"] == "higher"
    assert conversion["baseline"] == 0.05
    assert conversion["target"] == 0.06
    assert conversion["owner"] == "ana"
    assert conversion["value_per_unit"] == 1_000_000
    assert conversion["runs"] == 5
    assert conversion["failed_runs"] == 1
    board = conversion["leaderboard"]
    assert [r["name"] for r in board] == ["big", "small", XSS, "worse", "base"]
    assert [r["rank"] for r in board] == [1, 2, 3, 4, None]
    # big: auc +0.03 -> conversion +0.003 [0.0015, 0.0045] -> EUR 3,000 [1,500, 4,500] a year
    expected = {
        "big": ([1500, 3000, 4500], "material"),  # low > 0, mid >= the 800 bar
        "small": ([500, 1000, 1500], "material"),
        XSS: ([250, 500, 750], "not material"),  # even the high end is below 800
        "worse": ([-1500, -1000, -500], "harmful"),
    }
    for row in board[:4]:
        value, label = expected[row["name"]]
        assert row["value_per_year"] == pytest.approx(value)
        assert row["business_delta"] == pytest.approx([v / 1_000_000 for v in value])
        assert row["verdict"]["label"] == label
        assert row["is_baseline"] is False
    base = board[4]
    assert base["is_baseline"] is True
    assert base["value_per_year"] is None
    assert base["verdict"] is None
    big = board[0]
    assert big["tags"] == ["fast", "deep"]
    assert big["metrics"] == {"auc": 0.83}
    assert big["started_at"].endswith("Z")
    assert big["short_id"] == big["id"][:12]
    assert answer["tags"] == ["deep", "fast", "prod"]
    assert answer["version"]


def test_the_leaderboard_ranks_runs_as_the_dashboard_and_the_report_do(server: Server) -> None:
    from bizml_nb.present.views import leaderboard

    project = Project.at(server.root / "shop")
    table, _ = leaderboard(project, "conversion")
    project.ledger.close()
    _, answer, _ = server.call("project", {"path": "shop", "kpi": "conversion"})
    assert [r["id"] for r in _board(answer, "conversion")] == list(table["id"])


def test_the_links_and_the_metric_tree(server: Server) -> None:
    _, answer, _ = server.call("project", {"path": "shop"})
    links = answer["links"]
    assert [(link["from"], link["to"], link["kind"]) for link in links] == [
        ("auc", "conversion", "linear"),
        ("sessions", "conversion", "linear"),
        ("recall", "churn", "linear"),
    ]
    assert links[0]["params"] == {"elasticity": 0.1, "interval": [0.05, 0.15]}
    # sessions feeds conversion, so the roots are sessions and churn
    assert answer["tree"] == [
        {
            "kpi": "sessions",
            "links_in": [],
            "feeds": [{"link": 1, "node": {"kpi": "conversion", "links_in": [0], "feeds": []}}],
        },
        {"kpi": "churn", "links_in": [2], "feeds": []},
    ]
    assert _board(answer, "churn") == []


def test_filters_by_kpi_tag_and_limit(server: Server) -> None:
    _, answer, _ = server.call("project", {"path": "shop", "kpi": "conversion", "tag": "fast"})
    assert [k["name"] for k in answer["kpis"]] == ["conversion"]
    assert [r["name"] for r in _board(answer, "conversion")] == ["big", "small"]
    assert answer["filters"] == {"kpi": "conversion", "tags": ["fast"], "limit": None}
    assert answer["tags"] == ["deep", "fast", "prod"]  # every tag, to choose from

    _, both, _ = server.call("project", {"path": "shop", "tag": ["fast", "deep"]})
    assert [r["name"] for r in _board(both, "conversion")] == ["big"]

    _, top, _ = server.call("project", {"path": "shop", "kpi": "conversion", "limit": "2"})
    (entry,) = top["kpis"]
    assert [r["name"] for r in entry["leaderboard"]] == ["big", "small"]
    assert entry["runs"] == 5

    status, refused, _ = server.call("project", {"path": "shop", "kpi": "convrsion"})
    assert status == 400
    assert "conversion" in refused["message"]  # did you mean
    status, refused, _ = server.call("project", {"path": "shop", "limit": "many"})
    assert status == 400
    assert "limit" in refused["message"]


def test_the_version_changes_when_a_run_is_recorded(server: Server) -> None:
    status, before, _ = server.call("version", {"path": "shop/analysis"})
    assert status == 200
    assert before["root"] == "shop"
    _, again, _ = server.call("version", {"path": "shop/analysis/nb.ipynb"})
    assert again == before
    server.call("project", {"path": "shop"})  # reading the project changes nothing
    _, read, _ = server.call("version", {"path": "shop"})
    assert read == before
    _record(server.root / "shop", "later", 0.82, tags=("later",))
    _, after, _ = server.call("version", {"path": "shop"})
    assert after["version"] != before["version"]
    _, answer, _ = server.call("project", {"path": "shop", "tag": "later"})
    assert answer["version"] == after["version"]
    (row,) = _board(answer, "conversion")
    assert row["value_per_year"] == pytest.approx([1000, 2000, 3000])


def test_names_and_hypotheses_come_back_as_the_plain_text_they_are(server: Server) -> None:
    _, answer, kind = server.call("project", {"path": "shop", "tag": "deep"})
    assert kind.startswith("application/json")
    row = next(r for r in _board(answer, "conversion") if r["name"] == XSS)
    assert row["name"] == XSS  # unescaped: the panel renders it as text, not HTML
    assert row["hypothesis"] == HYPOTHESIS


# --------------------------------------------------------------------------- refusals


def test_every_route_needs_the_token(server: Server) -> None:
    for route, body in [
        ("project", None),
        ("version", None),
        ("templates", None),
        ("new", {"template": "roi_analysis", "folder": "", "name": "x"}),
        ("report", {"path": "shop"}),
    ]:
        status, _, _ = server.call(route, {"path": "shop"}, body, token=False)
        assert status == 403, route
    assert not (server.root / "x.ipynb").exists()


def test_a_browser_post_without_the_xsrf_token_is_refused(server: Server) -> None:
    """Logged in by a cookie, as a browser is: a POST needs the X-XSRFToken header too."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{server.url}login?token={server.token}", timeout=60) as answer:
        answer.read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    assert "_xsrf" in cookies
    assert any(name.startswith("username-") for name in cookies)  # the login cookie
    body = {"template": "roi_analysis", "folder": "", "name": "xsrf"}

    def post(headers: dict[str, str]) -> int:
        request = urllib.request.Request(  # noqa: S310 (127.0.0.1)
            f"{server.url}bizml/new", data=json.dumps(body).encode(), method="POST"
        )
        for name, value in headers.items():
            request.add_header(name, value)
        try:
            with opener.open(request, timeout=120) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    assert post({}) == 403  # the cookies alone: a cross-site form could send them
    assert not (server.root / "xsrf.ipynb").exists()
    assert post({"X-XSRFToken": cookies["_xsrf"] or ""}) == 200  # what JupyterLab sends
    assert (server.root / "xsrf.ipynb").is_file()


@pytest.mark.parametrize(
    "path",
    [
        "../..",
        "..",
        "shop/../../elsewhere",
        "/etc",
        "/",
        "escape",
        "escape/bizml.toml",
        "linked_toml",
        "linked_ledger",
    ],
)
def test_paths_outside_the_servers_root_are_forbidden(server: Server, path: str) -> None:
    for route in ("project", "version"):
        status, answer, kind = server.call(route, {"path": path})
        assert status == 403, (route, path, answer)
        assert kind.startswith("application/json")
        assert "root folder" in answer["message"]
        assert str(server.root) not in answer["message"]
    status, _, _ = server.call("report", body={"path": path})
    assert status == 403


def test_no_project_is_a_404_that_says_how_to_make_one(server: Server) -> None:
    # a bizml.toml above the server's root is not read: the project must be inside it
    status, answer, _ = server.call("project", {"path": "empty"})
    assert status == 404
    assert "bizml init" in answer["message"]
    assert answer["status"] == 404
    status, answer, _ = server.call("version", {"path": "no/such/folder"})
    assert status == 404
    assert "no/such/folder" in answer["message"]


def test_bad_json_is_a_400_with_one_message(server: Server) -> None:
    for body in (b"{not json", b"[1, 2]"):
        status, answer, _ = server.call("new", body=body)
        assert status == 400
        assert "JSON" in answer["message"]
        status, _, _ = server.call("report", body=body)
        assert status == 400
    status, answer, _ = server.call("new", body={"template": 3, "folder": "", "name": "x"})
    assert status == 400
    assert "template" in answer["message"]


# --------------------------------------------------------------------------- templates


def test_the_templates_with_their_parameters_and_defaults(server: Server) -> None:
    status, answer, _ = server.call("templates")
    assert status == 200
    names = [t["name"] for t in answer["templates"]]
    assert names == sorted(names)
    assert "roi_analysis" in names
    roi = next(t for t in answer["templates"] if t["name"] == "roi_analysis")
    params = {p["name"]: p for p in roi["parameters"]}
    assert params["years"] == {
        "name": "years",
        "type": "int",
        "kinds": ["int"],
        "default": 5,
        "comment": "horizon of the evaluation, in years",
    }
    assert params["deploy_days"]["default"] is None
    assert params["deploy_days"]["kinds"] == ["float", "None"]
    assert params["discount"]["default"] == 0.1


def test_a_new_notebook_from_a_template_and_no_overwrite(server: Server) -> None:
    body = {
        "template": "roi_analysis",
        "folder": "shop/analysis",
        "name": "my roi",
        "parameters": {"years": 3, "discount": "0.08"},
    }
    status, answer, _ = server.call("new", body=body)
    assert status == 200, answer
    assert answer["path"] == "shop/analysis/my roi.ipynb"
    assert answer["parameters"] == {"years": 3, "discount": 0.08}
    written = json.loads((server.root / answer["path"]).read_text(encoding="utf-8"))
    injected = [
        c for c in written["cells"] if "injected-parameters" in c["metadata"].get("tags", [])
    ]
    assert "years = 3" in "".join(injected[0]["source"])

    before = (server.root / answer["path"]).read_bytes()
    status, refused, _ = server.call("new", body=body)
    assert status == 409
    assert "already exists" in refused["message"]
    assert (server.root / answer["path"]).read_bytes() == before

    for bad, word in [
        ({**body, "name": "other", "parameters": {"years": "many"}}, "years"),
        ({**body, "name": "other", "template": "roi"}, "roi_analysis"),
        ({**body, "name": "../other"}, "file name"),
    ]:
        status, refused, _ = server.call("new", body=bad)
        assert status == 400, bad
        assert word in refused["message"]
    assert not (server.root / "shop" / "analysis" / "other.ipynb").exists()
    status, _, _ = server.call("new", body={**body, "folder": "../..", "name": "x"})
    assert status == 403


def test_a_number_too_large_for_a_parameter_is_a_400_naming_it(server: Server) -> None:
    body = {
        "template": "roi_analysis",
        "folder": "shop/analysis",
        "name": "huge",
        "parameters": {"years": 10**400},
    }
    status, refused, kind = server.call("new", body=body)
    assert status == 400, refused
    assert kind.startswith("application/json")
    assert refused["status"] == 400
    assert "'years'" in refused["message"]
    assert "too large" in refused["message"]
    assert not (server.root / "shop" / "analysis" / "huge.ipynb").exists()


# --------------------------------------------------------------------------- the report


def test_the_report_is_built_and_not_replaced_without_force(server: Server) -> None:
    status, answer, _ = server.call("report", body={"path": "shop/analysis/nb.ipynb"})
    assert status == 200, answer
    assert answer == {"path": "shop/bizml-report.html", "root": "shop"}
    page = (server.root / "shop" / "bizml-report.html").read_text(encoding="utf-8")
    assert "<h1>shop: what the ML work does for the business</h1>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert XSS not in page
    status, refused, _ = server.call("report", body={"path": "shop"})
    assert status == 409
    assert "force" in refused["message"]
    status, answer, _ = server.call("report", body={"path": "shop", "force": True})
    assert status == 200
    status, _, _ = server.call("report", body={"path": "empty"})
    assert status == 404


def test_the_report_is_not_written_through_a_link(server: Server) -> None:
    """Even with force, a report that is a symbolic link (here to a file of the root) is
    refused: the route writes plain files, never where a link points."""
    project = server.root / "linked_report"
    _make_project(project)
    kept = server.root / "kept.html"
    kept.write_text("the user's own page", encoding="utf-8")
    (project / "bizml-report.html").symlink_to(kept)
    status, refused, _ = server.call("report", body={"path": "linked_report", "force": True})
    assert status == 403
    assert "symbolic link" in refused["message"]
    assert kept.read_text(encoding="utf-8") == "the user's own page"
    assert (project / "bizml-report.html").is_symlink()


# --------------------------------------------------------------------------- scale


def test_a_project_of_ten_thousand_runs(server: Server) -> None:
    """Printed, not asserted (the machine is shared): the figure is in docs/jupyterlab.md."""
    started = time.perf_counter()
    status, answer, _ = server.call("project", {"path": "large"})
    first = time.perf_counter() - started
    assert status == 200
    board = _board(answer, "conversion")
    assert len(board) == 10_000
    # the best run: auc +0.009998 -> EUR 999.8 a year
    assert board[0]["name"] == "run 9998"
    assert board[0]["value_per_year"][1] == pytest.approx(999.8)
    started = time.perf_counter()
    server.call("project", {"path": "large"})
    again = time.perf_counter() - started
    started = time.perf_counter()
    status, filtered, _ = server.call("project", {"path": "large", "tag": "t3", "limit": "50"})
    tagged = time.perf_counter() - started
    assert len(_board(filtered, "conversion")) == 50
    started = time.perf_counter()
    server.call("version", {"path": "large"})
    polled = time.perf_counter() - started
    print(
        f"\n/bizml/project on 10,000 runs: {first:.2f} s computed, {again:.2f} s unchanged "
        f"(cached by version), {tagged:.3f} s filtered by tag with limit 50; "
        f"/bizml/version {polled * 1000:.1f} ms"
    )
