"""What waits to be pushed, read from the ledger alone, and pushes run in the background.

:func:`status` and :func:`sync_states` contact no server: a run is ``pending_sync`` for
a tracking URI until the ledger notes it pushed there; a run pulled or priced from
MLflow is ``from mlflow`` and never pending. :class:`BackgroundPush` pushes on a thread
of its own (for a notebook, through a worker process of its own), so a caller (a
notebook cell) never waits for the server and never fails because of it: a failed push
is kept as :attr:`BackgroundPush.last_error`, the runs stay pending in the ledger, and
the next push sends them. :meth:`BackgroundPush.close` stops it (what ``%bizml sync
mlflow --off`` and unloading the magics do).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bizml_nb.teams.mlflow_push import PushResult, push
from bizml_nb.teams.remote import SyncError, experiment_name
from bizml_nb.teams.remote import tracking_uri as uri_of

if TYPE_CHECKING:
    from bizml_nb.projects.project import Project

#: A run's state against one tracking server, as the runs table's ``sync`` column says it.
PENDING = "pending_sync"
PUSHED = "pushed"
_INSTALL = 'pip install "bizml_nb[mlflow]"'


@dataclass(frozen=True)
class SyncStatus:
    """The runs of the ledger pushed to one tracking server, and those still pending."""

    tracking_uri: str
    pushed: int
    pending: tuple[str, ...]  # run ids, oldest first

    def __str__(self) -> str:
        head = f"{self.tracking_uri}: {self.pushed} runs pushed, {len(self.pending)} pending_sync"
        return "\n".join([head, *(f"  pending_sync {run_id}" for run_id in self.pending)])


def status(project: Project, *, tracking_uri: str | None = None) -> SyncStatus:
    """Which runs wait to be pushed to the tracking server (no server is contacted)."""
    uri = uri_of(project, tracking_uri)
    states = sync_states(project, uri)
    pending = tuple(run_id for run_id, state in states.items() if state == PENDING)
    return SyncStatus(uri, sum(state == PUSHED for state in states.values()), pending)


def sync_states(project: Project, tracking_uri: str) -> dict[str, str]:
    """Each run's state against ``tracking_uri``, oldest run first: ``pending_sync``,
    ``pushed``, or ``from STORE`` for a run another store brought (``from mlflow``)."""
    done = project.ledger.pushed_to(tracking_uri)
    brought = project.ledger.origins()
    states = {}
    for run in project.ledger.runs():
        if run.id in brought:
            states[run.id] = "from " + brought[run.id][0].partition(":")[0]
        else:
            states[run.id] = PUSHED if run.id in done else PENDING
    return states


def known_uri(project: Project, given: str | None = None) -> str | None:
    """The tracking URI (``given``, ``$MLFLOW_TRACKING_URI``, bizml.toml's [sync] key), or
    None when nothing names one. A broken bizml.toml is refused as everywhere."""
    try:
        return uri_of(project, given)
    except SyncError:
        return None  # nothing names a server (a broken bizml.toml raises its own error)


def usable_uri(project: Project, given: str | None = None) -> str:
    """The tracking URI, checked before anything is started: named, a server's http(s)
    address, and MLflow installed (found, not imported: a worker process imports it)."""
    uri = uri_of(project, given)
    if not uri.startswith(("http://", "https://")):
        raise SyncError(
            f"the tracking URI {uri!r} is not the address of an MLflow tracking server; "
            "give its http:// or https:// URI, e.g. http://127.0.0.1:5000"
        )
    if importlib.util.find_spec("mlflow") is None:
        raise SyncError(f"syncing with MLflow needs the mlflow package: `{_INSTALL}`")
    return uri


class BackgroundPush:
    """Pushes requested with :meth:`request` run one after another on a daemon thread.

    With ``worker=True`` the thread hands each push to a process of its own
    (:mod:`bizml_nb.teams.push_worker`, started on the first push and ended by
    :meth:`close`): a kernel's cells then never wait for the push's Python work.
    """

    def __init__(
        self,
        project: Project,
        *,
        tracking_uri: str | None = None,
        experiment: str | None = None,
        worker: bool = False,
    ) -> None:
        self.project = project
        self.tracking_uri = uri_of(project, tracking_uri)
        self.experiment = experiment
        #: push in a process of its own (:mod:`bizml_nb.teams.push_worker`), so the caller's
        #: interpreter lock is never held by a push (what a notebook's --auto uses)
        self.worker = worker
        self._process: subprocess.Popen[str] | None = None
        self.last_error: SyncError | None = None
        self.last_result: PushResult | None = None
        self._requests: queue.Queue[bool] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def experiment_name(self) -> str:
        """The MLflow experiment pushed to (the one given, else the project's name)."""
        return experiment_name(self.project, self.experiment)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def busy(self) -> bool:
        """Whether a push is running or waiting to run."""
        return self._requests.unfinished_tasks > 0

    def request(self) -> None:
        """Ask for a push of every pending run; returns at once (microseconds). Nothing
        happens once :meth:`close` was called."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="bizml-push", daemon=True)
                self._thread.start()
            self._requests.put(True)

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until every requested push has run; whether it did within ``timeout_s``."""
        done = threading.Event()

        def joined() -> None:
            self._requests.join()
            done.set()

        threading.Thread(target=joined, daemon=True).start()
        return done.wait(timeout_s)

    def close(self, timeout_s: float | None = 0.0) -> bool:
        """Stop: no push starts after this (one under way finishes; a server's answer
        cannot be taken back). Waits up to ``timeout_s`` (None: as long as it takes) for
        the thread to end; whether it did."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._requests.put(False)  # wakes the thread, which sees it is closed
        if thread is None:
            self._drain()
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    def __str__(self) -> str:
        where = f"{self.tracking_uri}, experiment {self.experiment_name!r}"
        if self._closed:
            return f"auto push off (was to {where})"
        lines = [f"auto push on: each experiment cell's run goes to {where}"]
        if self.busy:
            lines.append("a push is under way")
        if self.last_error is not None:
            lines.append(
                f"last background push failed: {str(self.last_error).rstrip('.')}; the runs stay "
                "pending_sync and go on the next push"
            )
        elif self.last_result is not None:
            lines.append(f"last background push: {self.last_result}")
        return "\n".join(lines)

    def _drain(self) -> None:
        while True:
            try:
                self._requests.get_nowait()
            except queue.Empty:
                return
            self._requests.task_done()

    def _work(self) -> None:
        from bizml_nb.projects.project import Project

        # a ledger connection of its own: the caller's goes on being used meanwhile
        project = Project.at(self.project.root, ledger=self.project.ledger.path)
        try:
            while True:
                self._requests.get()
                try:
                    if self._closed:
                        return
                    self._drain()  # requests made meanwhile: one push serves them all
                    if self._closed:  # close() came meanwhile
                        return
                    if self.worker:
                        self._push_in_worker()
                    else:
                        self._push(project)
                finally:
                    self._requests.task_done()
        finally:
            project.ledger.close()
            self._drain()  # nobody waits for a push that will not run
            self._end_worker()

    def _push_in_worker(self) -> None:
        """One push by the worker process (started on the first): this thread only
        writes a line and waits for the answer's line, holding no lock meanwhile."""
        process = self._process
        try:
            if process is None or process.poll() is not None:
                process = self._process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bizml_nb.teams.push_worker",
                        str(self.project.root),
                        str(self.project.ledger.path),
                        self.tracking_uri,
                        *([self.experiment] if self.experiment else []),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,  # never printed into a cell
                    text=True,
                    encoding="utf-8",
                )
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.write("push\n")
            process.stdin.flush()
            line = process.stdout.readline()
            if not line:
                raise OSError(f"the push worker stopped (exit code {process.wait()})")
            reply = json.loads(line)
            if reply["ok"]:
                self.last_result = PushResult(**reply["result"])
                self.last_error = None
            else:
                self.last_error = SyncError(str(reply["error"]))
        except Exception as exc:  # a background push never fails a cell
            self.last_error = SyncError(f"a background push to {self.tracking_uri} failed: {exc}")

    def _end_worker(self) -> None:
        """The worker ends at the end of its input (a push under way finishes first)."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout=10)  # idle here: it ends as soon as its input does
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _push(self, project: Project) -> None:
        try:
            self.last_result = push(
                project, tracking_uri=self.tracking_uri, experiment=self.experiment
            )
            self.last_error = None
        except SyncError as exc:  # the server is down: the runs stay pending
            self.last_error = exc
        except Exception as exc:  # a background push never fails a cell
            self.last_error = SyncError(f"a background push to {self.tracking_uri} failed: {exc}")
