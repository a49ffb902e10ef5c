"""A real MLflow tracking server for the team-sync tests: started, waited for, always stopped.

`mlflow server` runs on 127.0.0.1 and a free port, with a SQLite backend store and a
local artifact folder under the test's temporary folder, in a process group of its own
(so its workers stop with it) that gets SIGTERM when pytest itself dies
(`PR_SET_PDEATHSIG`, as for the JupyterLab server in lab_browser.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.lab_browser import _die_with_parent, _free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

STARTUP_S = 180  # the first start imports MLflow and creates its tables (slow on 2 cores)


@dataclass(frozen=True)
class Server:
    uri: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def mlflow_server(base: Path, port: int | None = None) -> Iterator[Server]:
    """Start `mlflow server` with its stores in ``base`` (on ``port``, else a free one);
    stop it (and its workers) after."""
    base.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "BIZML_"))}
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{base / 'mlflow.db'}",
        "--artifacts-destination",
        str(base / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    log = base / "mlflow-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=base,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 (no threads are running yet)
        )
    server = Server(f"http://127.0.0.1:{port}", log, process)
    try:
        _wait(server)
        yield server
    finally:
        stop(server)


def _wait(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"mlflow server exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        with (
            contextlib.suppress(OSError),  # not listening yet
            urllib.request.urlopen(server.uri + "/health", timeout=5) as answer,  # noqa: S310
        ):
            if answer.status == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"mlflow server did not answer within {STARTUP_S} s:\n{server.log_tail()}")


def stop(server: Server) -> None:
    """SIGTERM to the server's process group, then SIGKILL if it lingers."""
    process = server.process
    for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait_s)
    with contextlib.suppress(ProcessLookupError):  # workers left in the group
        os.killpg(process.pid, signal.SIGKILL)
