"""What waits to be pushed, read from the ledger alone, and pushes run in the background.

:func:`status` contacts no server: a run is pending for a tracking URI until the
ledger notes it pushed there (a run pulled or priced from MLflow never is).
:class:`BackgroundPush` pushes on a thread of its own, so a caller (a notebook cell)
never waits for the server and never fails because of it: a failed push is kept as
:attr:`BackgroundPush.last_error`, the runs stay pending in the ledger, and the next
push sends them.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bizml_nb.teams.mlflow_push import PushResult, push
from bizml_nb.teams.remote import SyncError
from bizml_nb.teams.remote import tracking_uri as uri_of

if TYPE_CHECKING:
    from bizml_nb.projects.project import Project


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
    done = project.ledger.pushed_to(uri)
    brought = project.ledger.origins()
    runs = project.ledger.runs()
    pending = tuple(r.id for r in runs if r.id not in done and r.id not in brought)
    return SyncStatus(uri, sum(r.id in done for r in runs), pending)


class BackgroundPush:
    """Pushes requested with :meth:`request` run one after another on a daemon thread."""

    def __init__(
        self, project: Project, *, tracking_uri: str | None = None, experiment: str | None = None
    ) -> None:
        self.project = project
        self.tracking_uri = uri_of(project, tracking_uri)
        self.experiment = experiment
        self.last_error: SyncError | None = None
        self.last_result: PushResult | None = None
        self._requests: queue.Queue[bool] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def request(self) -> None:
        """Ask for a push of every pending run; returns at once (microseconds)."""
        with self._lock:
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

    def _work(self) -> None:
        from bizml_nb.projects.project import Project

        # a ledger connection of its own: the caller's goes on being used meanwhile
        project = Project.at(self.project.root, ledger=self.project.ledger.path)
        while True:
            self._requests.get()
            try:
                while not self._requests.empty():  # requests made meanwhile: one push serves all
                    self._requests.get_nowait()
                    self._requests.task_done()
                self.last_result = push(
                    project, tracking_uri=self.tracking_uri, experiment=self.experiment
                )
                self.last_error = None
            except SyncError as exc:  # the server is down: the runs stay pending
                self.last_error = exc
            except Exception as exc:  # a background push never fails a cell
                self.last_error = SyncError(
                    f"a background push to {self.tracking_uri} failed: {exc}"
                )
            finally:
                self._requests.task_done()
