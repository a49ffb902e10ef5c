"""The quickstart in JupyterLab, in a real Chromium: cards and dashboard work for a user.

A JupyterLab server is started on 127.0.0.1 with a temporary token, root, config,
runtime and settings folders; Playwright drives Debian's Chromium (never a browser
that Playwright downloads). The notebook's saved outputs are cleared first, so what
the assertions see was rendered by this run's kernel.

Without Chromium (``apt-get install chromium chromium-driver``) or Playwright the
tests skip with the reason; with ``BIZML_BROWSER=required`` (set by ``.ci/run``)
they fail instead. ``BIZML_SCREENSHOT_DIR=docs/img`` also writes the screenshot
shown in the README there.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "notebooks" / "quickstart.ipynb"
CHROMIUM = Path(os.environ.get("BIZML_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOT = "quickstart-lab.png"
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
STARTUP_S = 120  # server start and kernel start, on a busy 2-core machine
RUN_S = 180  # Run All over the quickstart (a few seconds when the machine is idle)


def _require_browser() -> None:
    missing = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")
    for module, extra in (("playwright", "Playwright for Python"), ("jupyterlab", "JupyterLab")):
        if importlib.util.find_spec(module) is None:
            missing.append(f'{extra} (pip install -e ".[test]")')
    if not missing:
        return
    reason = "the browser tests need " + " and ".join(missing)
    if os.environ.get("BIZML_BROWSER", "").lower() == "required":
        pytest.fail(f"{reason}; BIZML_BROWSER=required makes this a failure", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- the server


@dataclass
class Lab:
    """A running JupyterLab server and where it lives."""

    port: int
    token: str
    root: Path
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_LAB_SETTINGS = {
    # no "get notified about Jupyter news?" pop-up over the cells
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    # every cell in the DOM, whatever a later JupyterLab's default windowing mode is
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when pytest dies, even by SIGKILL (Linux)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@contextlib.contextmanager
def _jupyter_lab(base: Path) -> Iterator[Lab]:
    """Start `jupyter lab` in folders of its own; always stop it and its kernels."""
    token = os.urandom(16).hex()
    folders = {
        name: base / name for name in ("root", "config", "data", "runtime", "settings", "tmp")
    }
    for folder in folders.values():
        folder.mkdir(parents=True)
    for plugin, settings in _LAB_SETTINGS.items():
        path = folders["settings"] / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "BIZML_"))}
    env.update(
        JUPYTER_CONFIG_DIR=str(folders["config"]),
        JUPYTER_DATA_DIR=str(folders["data"]),
        JUPYTER_RUNTIME_DIR=str(folders["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(folders["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(folders["settings"]),
        IPYTHONDIR=str(folders["config"] / "ipython"),
        TMPDIR=str(folders["tmp"]),  # the quickstart's scratch project lands here
    )
    port = _free_port()
    log = base / "jupyter-lab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={folders['root']}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.shutdown_no_activity_timeout=900",  # a last resort if all else fails
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (no threads are running yet)
        )
    lab = Lab(port, token, folders["root"], log, process)
    try:
        _wait_for_server(lab)
        yield lab
    finally:
        _stop(lab)


def _request(lab: Lab, method: str, path: str) -> int:
    """The HTTP status of one request to the server (OSError when it is not listening)."""
    connection = HTTPConnection("127.0.0.1", lab.port, timeout=5)
    try:
        connection.request(method, path, headers={"Authorization": f"token {lab.token}"})
        return connection.getresponse().status
    finally:
        connection.close()


def _wait_for_server(lab: Lab) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            pytest.fail(f"jupyter lab exited with {lab.process.returncode}:\n{lab.log_tail()}")
        with contextlib.suppress(OSError):  # not listening yet
            if _request(lab, "GET", "/api/status") == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"jupyter lab did not answer within {STARTUP_S} s:\n{lab.log_tail()}")


def _stop(lab: Lab) -> None:
    """Ask the server to shut down (it stops its kernels, which run in sessions of their
    own); SIGTERM, then SIGKILL to its process group, if it does not."""
    process = lab.process
    if process.poll() is None:
        with contextlib.suppress(OSError):
            _request(lab, "POST", "/api/shutdown")
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


# --------------------------------------------------------------------------- the browser


@dataclass
class Session:
    """The quickstart after Run All, the page, and every problem the browser reported."""

    page: Any
    lab: Lab
    shots: Path
    problems: list[str] = field(default_factory=list)
    code_cells: int = 0


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """Open the quickstart, clear its outputs, wait for Idle, Run All, wait until done."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    # A first matplotlib import may build its font cache and warn on stderr while doing it,
    # which would show up as an error output in the dashboard's cell.
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], check=True)
    base = tmp_path_factory.mktemp("lab")
    with _jupyter_lab(base) as lab:
        shutil.copy(QUICKSTART, lab.root / QUICKSTART.name)
        code_cells = sum(
            cell["cell_type"] == "code" for cell in json.loads(QUICKSTART.read_text())["cells"]
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1400})
                session = Session(page, lab, base, code_cells=code_cells)
                page.on(
                    "console",
                    lambda msg: (
                        session.problems.append(f"console {msg.type}: {msg.text}")
                        if msg.type == "error"
                        else None
                    ),
                )
                page.on("pageerror", lambda exc: session.problems.append(f"page error: {exc}"))
                try:
                    _open_and_run(session)
                except Exception:
                    page.screenshot(path=str(base / "failed.png"))
                    print(f"screenshot: {base / 'failed.png'}\njupyter lab log:\n{lab.log_tail()}")
                    raise
                yield session
            finally:
                browser.close()


def _open_and_run(session: Session) -> None:
    page, lab = session.page, session.lab
    page.set_default_timeout(STARTUP_S * 1000)
    page.goto(f"http://127.0.0.1:{lab.port}/lab/tree/{QUICKSTART.name}?token={lab.token}")
    page.locator(".jp-Notebook").wait_for()
    # Run All before the kernel is Idle can start a second kernel and kill the first.
    _kernel_idle(page).wait_for()
    _menu(page, "Edit", "editmenu:clear-all")
    page.wait_for_function(
        """() => document.querySelectorAll('.jp-Notebook .jp-OutputArea-output').length === 0
            && ![...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                .some((p) => /\\d/.test(p.textContent))"""
    )
    _menu(page, "Run", "runmenu:run-all")
    # Done when every code cell has its number (JupyterLab sets it once the cell's outputs
    # are all in), or at the first error output, which Run All stops at.
    page.wait_for_function(
        """(expected) => {
            if (document.querySelector(ERROR_OUTPUT)) return true;
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            const done = prompts.filter((p) => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
            return prompts.length === expected && done.length === expected;
        }""".replace("ERROR_OUTPUT", json.dumps(ERROR_OUTPUT)),
        arg=session.code_cells,
        timeout=RUN_S * 1000,
    )
    errors = page.locator(ERROR_OUTPUT).all_text_contents()
    assert not errors, f"a cell wrote to stderr or failed under Run All: {errors}"
    _kernel_idle(page).wait_for(timeout=RUN_S * 1000)


def _kernel_idle(page: Any) -> Any:
    """The status bar's kernel item once it reads 'Python 3 (ipykernel) | Idle'."""
    return page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))


def _menu(page: Any, menu: str, command: str) -> None:
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.locator(f'li[data-command="{command}"]').click()


def _cards(page: Any) -> list[str]:
    """The text of every experiment card in the notebook (not the dashboard's), in order."""
    texts = page.eval_on_selector_all(
        ".jp-Notebook .jp-OutputArea-output > .bizml-card, "
        ".jp-Notebook .jp-OutputArea-output .jp-RenderedHTMLCommon > .bizml-card",
        "(cards) => cards.map((c) => c.textContent)",
    )
    return [" ".join(text.split()) for text in texts]


def _saved_cards() -> list[str]:
    """The text/plain cards in the saved notebook, as nbval checks them, in order."""
    cards = []
    for cell in json.loads(QUICKSTART.read_text())["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.bizml.run+json" in data:
                cards.append("".join(data["text/plain"]))
    return cards


def _value(card_text: str) -> str | None:
    """The card's 'about +$X/yr [low, high]' figure, if it has one."""
    match = re.search(r"about [+-]\$[\d.]+[kMB]?/yr \[[^\]]+\]", card_text)
    return match.group(0) if match else None


# --------------------------------------------------------------------------- the tests


def test_every_experiment_card_renders_with_its_numbers(quickstart: Session) -> None:
    """The cards the saved notebook has, in its order, with the same yearly values."""
    cards = _cards(quickstart.page)
    saved = _saved_cards()
    assert [text.split(" → ")[0] for text in cards] == [text.split("  ->")[0] for text in saved]
    assert [_value(text) for text in cards] == [_value(text) for text in saved]
    assert _value(cards[1]) is not None  # two-tower v2: the value the kernel's NDCG gives
    distilled = cards[-1]
    # 21 ms - 38 ms = -17 ms; x 2e-4 [1e-4, 3e-4] per ms = -0.34 pp [-0.51, -0.17];
    # x -$1.2e9 per unit = +$4.08M [+$2.04M, +$6.12M] a year, above the $1M bar.
    assert "-0.34 pp abandonment [-0.51, -0.17]" in distilled
    assert "about +$4.08M/yr [+$2.04M, +$6.12M]" in distilled
    assert "material" in distilled


def test_dashboard_kpi_dropdown_updates_the_leaderboard(quickstart: Session) -> None:
    """Choosing the second KPI shows its runs and card; choosing the first brings them back."""
    from playwright.sync_api import expect

    wait = {"timeout": RUN_S * 1000}  # each widget update is a message of its own
    dashboard = quickstart.page.locator(".bizml-dashboard")
    dashboard.scroll_into_view_if_needed()
    board = dashboard.locator(".bizml-leaderboard")
    card = dashboard.locator(".bizml-card")
    kpi = dashboard.locator(".widget-dropdown", has_text="KPI").locator("select")
    expect(kpi).to_have_value("take_rate", **wait)
    expect(board).to_contain_text("two-tower v2", **wait)
    expect(board).not_to_contain_text("distilled ranker")
    expect(dashboard.locator("img")).to_have_count(1, **wait)  # the impact plot
    expect(card).to_contain_text("two-tower v2", **wait)  # the best run's card

    kpi.select_option("abandonment")
    expect(board).to_contain_text("distilled ranker", **wait)
    expect(card).to_contain_text("distilled ranker", **wait)  # the card follows the KPI
    rows = board.locator("tbody tr").evaluate_all(
        "(rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim()))"
    )
    # rank by value, rank by latency_ms, run, verdict, value per year (90%)
    assert rows[0] == ["1", "1", "distilled ranker", "material", "+$4.08M [+$2.04M, +$6.12M]"]
    assert rows[1][2:4] == ["full ranker", "baseline"]
    expect(board).not_to_contain_text("two-tower v2")
    _screenshot(quickstart)

    kpi.select_option("take_rate")
    expect(board).to_contain_text("two-tower v2", **wait)
    expect(card).to_contain_text("two-tower v2", **wait)
    assert quickstart.problems == []  # nothing on the console while switching


def test_no_widget_or_browser_errors(quickstart: Session) -> None:
    """No error output, no widget that failed to render, nothing on the console."""
    page = quickstart.page
    assert page.locator(ERROR_OUTPUT).count() == 0
    assert page.locator(".jupyter-widgets-error-widget").count() == 0
    outputs = " ".join(page.locator(".jp-OutputArea-output").all_text_contents())
    for sign in ("Error displaying widget", "Loading widget", "Traceback"):
        assert sign not in outputs
    assert page.locator(".bizml-dashboard .widget-dropdown").count() == 2  # KPI and run
    assert quickstart.problems == []


def _screenshot(session: Session) -> None:
    """The distilled ranker's card above the dashboard showing the second KPI."""
    page = session.page
    page.keyboard.press("Control+b")  # hide the file browser: more room for the cells
    page.locator(".jp-CodeCell", has_text="distilled ranker").first.scroll_into_view_if_needed()
    page.locator(".jp-CodeCell", has_text="distilled ranker").first.evaluate(
        "(cell) => cell.scrollIntoView({block: 'start'})"
    )
    page.mouse.move(1, 1)  # no row highlighted by hover
    path = session.shots / SCREENSHOT
    page.screenshot(path=str(path))
    target = os.environ.get("BIZML_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / SCREENSHOT)
    assert path.stat().st_size > 10_000
