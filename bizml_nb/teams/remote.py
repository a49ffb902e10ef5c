"""The MLflow tracking server a team shares: which one, its experiment, and its errors.

The tracking URI is the one given, else ``$MLFLOW_TRACKING_URI``, else
``[sync] mlflow_tracking_uri`` in bizml.toml; the experiment is the one given, else the
project's name. MLflow is imported here only inside functions (``%load_ext bizml_nb``
stays fast), through its public client API (``mlflow.tracking.MlflowClient``). Every
failure of the server (unreachable, refusing, an MLflow error) becomes one
:class:`SyncError` that names the URI and what to check.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import BizmlError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bizml_nb.projects.project import Project

#: MLflow's limits on one ``log_batch`` call (mlflow.utils.validation; a test compares).
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000  # metrics, params and tags together
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_KEY_LENGTH = 250
#: how long one request may take, and how often MLflow retries it, unless the user set these
_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}
_INSTALL = 'pip install "bizml_nb[mlflow]"'


class SyncError(BizmlError):
    """The MLflow tracking server could not be used; nothing local was changed."""


@dataclass(frozen=True)
class Remote:
    """One MLflow experiment on one tracking server, through MLflow's client."""

    tracking_uri: str
    experiment: str
    experiment_id: str
    client: Any  # mlflow.tracking.MlflowClient (imported only when used)

    @contextlib.contextmanager
    def talking(self, doing: str) -> Iterator[None]:
        """Turn any failure of the server while ``doing`` into one :class:`SyncError`."""
        with talking(self.tracking_uri, doing):
            yield


def tracking_uri(project: Project, given: str | None = None) -> str:
    """The tracking URI: ``given``, ``$MLFLOW_TRACKING_URI``, or bizml.toml's [sync] key."""
    if given and given.strip():
        return given.strip()
    env = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if env:
        return env
    if project.has_registry:
        project.registry  # noqa: B018 - a broken bizml.toml is refused here, by file, line and key
        data = tomllib.loads(project.registry_path.read_text(encoding="utf-8"))
        uri = data.get("sync", {}).get("mlflow_tracking_uri", "")
        if isinstance(uri, str) and uri.strip():
            return uri.strip()
    raise SyncError(
        "no MLflow tracking server named: pass --tracking-uri URI (tracking_uri= from "
        'Python), set MLFLOW_TRACKING_URI, or add `mlflow_tracking_uri = "URI"` under '
        f"[sync] in {project.registry_path}"
    )


def experiment_name(project: Project, given: str | None = None) -> str:
    """The MLflow experiment: ``given``, else the project's name, else its folder's name."""
    if given and given.strip():
        return given.strip()
    name = project.registry.name if project.has_registry else None
    return name or project.root.name


def connect(
    project: Project,
    tracking_uri_: str | None = None,
    experiment: str | None = None,
    *,
    create: bool = True,
) -> Remote:
    """The project's MLflow experiment on the server (created when ``create``)."""
    uri = tracking_uri(project, tracking_uri_)
    if not uri.startswith(("http://", "https://")):
        raise SyncError(
            f"the tracking URI {uri!r} is not the address of an MLflow tracking server; "
            "give its http:// or https:// URI, e.g. http://127.0.0.1:5000 (a local path "
            "would make MLflow write a store of its own there)"
        )
    name = experiment_name(project, experiment)
    client = _client(uri)
    _reachable(uri)
    with talking(uri, f"finding the experiment {name!r}"):
        found = client.get_experiment_by_name(name)
        if found is None and not create:
            raise SyncError(
                f"the MLflow tracking server at {uri} has no experiment {name!r}; check "
                "the name (--experiment) and that a teammate pushed to this server"
            )
        if found is None:
            try:
                experiment_id = str(client.create_experiment(name))
            except Exception as exc:  # made meanwhile by another push: use that one
                again = client.get_experiment_by_name(name)
                if again is None:
                    raise exc from None
                experiment_id = str(again.experiment_id)
        else:
            experiment_id = str(found.experiment_id)
    return Remote(uri, name, experiment_id, client)


def _client(uri: str) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise SyncError(f"syncing with MLflow needs the mlflow package: `{_INSTALL}`") from None
    for key, value in _DEFAULTS.items():
        os.environ.setdefault(key, value)  # MLflow reads these on each request
    return MlflowClient(tracking_uri=uri)


def _reachable(uri: str) -> None:
    """Fail at once, and with one message, when an HTTP tracking server does not answer
    (MLflow's own client would retry for minutes)."""
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=10):  # noqa: S310
            return
    except urllib.error.HTTPError:
        return  # it answers; what it says to the API calls is reported by them
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SyncError(
            f"cannot reach the MLflow tracking server at {uri} ({reason}); check that "
            "`mlflow server` is running there and that the URI's host and port are right. "
            "Nothing local was changed."
        ) from None


@contextlib.contextmanager
def talking(uri: str, doing: str) -> Iterator[None]:
    """Turn a failure of the server at ``uri`` while ``doing`` into one :class:`SyncError`."""
    try:
        yield
    except SyncError:
        raise
    except Exception as exc:
        if not _from_mlflow_or_network(exc):
            raise
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SyncError(
            f"the MLflow tracking server at {uri} failed while {doing}: {text[:400]}; check "
            "the URI, that the server is running and reachable, and that it accepts this "
            "client (MLflow 3.x). What was recorded locally is kept; the next push goes on "
            "from here."
        ) from None


def _from_mlflow_or_network(exc: Exception) -> bool:
    if isinstance(exc, OSError):
        return True
    module = type(exc).__module__
    return module.startswith(("mlflow", "requests", "urllib3"))
