"""JupyterLab in Debian's Chromium, for the browser tests (tests/test_browser.py).

`jupyter_lab()` starts a server on 127.0.0.1 with a random token and temporary
root, config, data, runtime, settings and TMPDIR folders, and always stops it and
its kernels; `chromium()` launches Debian's Chromium through Playwright (never a
browser Playwright downloads); `open_and_run()` opens a notebook, clears its saved
outputs, waits for the kernel to be idle, runs all cells and waits until they ran.
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

CHROMIUM = Path(os.environ.get("BIZML_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
STARTUP_S = 120  # server start and kernel start, on a busy 2-core machine
RUN_S = 180  # Run All over a notebook (a few seconds when the machine is idle)


def require_browser() -> None:
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
def jupyter_lab(
    base: Path, settings: dict[str, dict[str, Any]] | None = None, app: str = "jupyterlab"
) -> Iterator[Lab]:
    """Start `jupyter lab` in folders of its own; always stop it and its kernels.

    `settings` are JupyterLab settings by plugin id, over the ones set here: e.g.
    ``{"@jupyterlab/notebook-extension/tracker": {"windowingMode": "full"}}``.
    `app="notebook"` starts Jupyter Notebook 7 (`python -m notebook`) the same way.
    """
    token = os.urandom(16).hex()
    folders = {
        name: base / name for name in ("root", "config", "data", "runtime", "settings", "tmp")
    }
    for folder in folders.values():
        folder.mkdir(parents=True)
    chosen = {plugin: dict(values) for plugin, values in _LAB_SETTINGS.items()}
    for plugin, values in (settings or {}).items():
        chosen.setdefault(plugin, {}).update(values)
    for plugin, values in chosen.items():
        path = folders["settings"] / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
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
    log = base / f"{app}.log"
    command = [
        sys.executable,
        "-m",
        app,
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
            cwd=folders["root"],  # `-m APP` must not find a module of the caller's folder
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


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright; closed on the way out, also on failure."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def lab_with_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Any, Path]]:
    """One JupyterLab server (its base folder) and one Chromium, for a module's fixture
    (`yield from lab_with_browser(tmp_path_factory)`); always stopped."""
    require_browser()
    # A first matplotlib import may build its font cache and warn on stderr while doing it,
    # which would show up as an error output in a cell.
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], check=True)
    base = tmp_path_factory.mktemp("lab")
    with jupyter_lab(base) as server, chromium() as browser:
        yield server, browser, base


@dataclass
class Session:
    """A notebook after Run All, its page, and every problem the browser reported."""

    page: Any
    lab: Lab
    notebook: Path
    problems: list[str] = field(default_factory=list)


def open_and_run(browser: Any, lab: Lab, notebook: Path, shots: Path) -> Session:
    """Open a copy of `notebook`, clear its outputs, wait for Idle, Run All, wait until done.

    On failure a screenshot goes to `shots` and the server's log is printed.
    """
    shutil.copy(notebook, lab.root / notebook.name)
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    session = Session(page, lab, notebook)
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
        _run_all(session)
    except Exception:
        failed = shots / f"{notebook.stem}-failed.png"
        page.screenshot(path=str(failed))
        print(f"screenshot: {failed}\njupyter lab log:\n{lab.log_tail()}")
        raise
    return session


def _run_all(session: Session) -> None:
    page, lab = session.page, session.lab
    cells = json.loads(session.notebook.read_text())["cells"]
    code_cells = sum(cell["cell_type"] == "code" for cell in cells)
    page.set_default_timeout(STARTUP_S * 1000)
    # A workspace per notebook: JupyterLab would otherwise reopen the other notebooks
    # already open in this server, and their cells would be on the page too.
    name = session.notebook.name
    workspace = f"/lab/workspaces/{session.notebook.stem}"
    page.goto(f"http://127.0.0.1:{lab.port}{workspace}/tree/{name}?token={lab.token}")
    page.locator(".jp-Notebook").wait_for()
    # Run All before the kernel is Idle can start a second kernel and kill the first.
    kernel_idle(page).wait_for()
    menu(page, "Edit", "editmenu:clear-all")
    page.wait_for_function(
        """() => document.querySelectorAll('.jp-Notebook .jp-OutputArea-output').length === 0
            && ![...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                .some((p) => /\\d/.test(p.textContent))"""
    )
    menu(page, "Run", "runmenu:run-all")
    # Done when every code cell has its number (JupyterLab sets it once the cell's outputs
    # are all in), or at the first error output, which Run All stops at.
    page.wait_for_function(
        """(expected) => {
            if (document.querySelector(ERROR_OUTPUT)) return true;
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            const done = prompts.filter((p) => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
            return prompts.length === expected && done.length === expected;
        }""".replace("ERROR_OUTPUT", json.dumps(ERROR_OUTPUT)),
        arg=code_cells,
        timeout=RUN_S * 1000,
    )
    errors = page.locator(ERROR_OUTPUT).all_text_contents()
    assert not errors, f"a cell wrote to stderr or failed under Run All: {errors}"
    kernel_idle(page).wait_for(timeout=RUN_S * 1000)


def kernel_idle(page: Any) -> Any:
    """The status bar's kernel item once it reads 'Python 3 (ipykernel) | Idle'."""
    return page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))


def menu(page: Any, title: str, command: str) -> None:
    """Click menu `title` in the menu bar, then its item that runs `command`."""
    page.get_by_role("menuitem", name=title, exact=True).click()
    page.locator(f'li[data-command="{command}"]').click()
