"""Pull: teammates' runs from an MLflow experiment into the local ledger, idempotent.

Only MLflow runs carrying ``bizml.run_id`` are read, from their ``bizml/run.json``
artifact, and each record passes the same checks as ``bizml ledger import``
(:func:`bizml_nb.core.run.validate_record`). Every record is checked before any is
written; one bad record refuses the pull, naming the MLflow run, and nothing is
written. A run already in the ledger (same id) is left alone. A pulled run keeps its
origin (``mlflow:RUN_ID`` and the MLflow user who pushed it).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.run import validate_record
from bizml_nb.core.schema import RecordError
from bizml_nb.teams.mapping import (
    ARTIFACT_DIR,
    ARTIFACT_NAME,
    BASELINE_TAG,
    REGISTRY_SHA_TAG,
    RUN_ID_TAG,
    registry_sha,
)
from bizml_nb.teams.mlflow_push import judgement, remote_runs
from bizml_nb.teams.remote import Remote, SyncError, connect

if TYPE_CHECKING:
    from bizml_nb.core.run import Run
    from bizml_nb.projects.project import Project

#: the prefix of a run's origin when it came from MLflow: ``mlflow:RUN_ID``
ORIGIN_PREFIX = "mlflow:"


@dataclass(frozen=True)
class PullResult:
    """What a pull did: runs written to the ledger, and runs already there."""

    tracking_uri: str
    experiment: str
    experiment_id: str
    pulled: int
    present: int

    def __str__(self) -> str:
        return (
            f"pulled from {self.tracking_uri}, experiment {self.experiment!r} "
            f"(id {self.experiment_id}): {self.pulled} new, {self.present} already here"
        )


def pull(
    project: Project, *, tracking_uri: str | None = None, experiment: str | None = None
) -> PullResult:
    """Bring the bizml runs of the MLflow experiment into ``project``'s ledger."""
    remote = connect(project, tracking_uri, experiment, create=False)
    with remote.talking("listing the runs pushed to it"):
        found = remote_runs(remote)
    have = {run.id for run in project.ledger.runs()}
    todo = {bizml_id: mlflow_run for bizml_id, mlflow_run in found.items() if bizml_id not in have}
    runs: list[Run] = []
    origins: dict[str, tuple[str, str | None]] = {}
    shas: dict[str, tuple[str, str]] = {}
    for bizml_id, mlflow_run in todo.items():
        remote_id = str(mlflow_run.info.run_id)
        record = _record(remote, remote_id)
        where = f"{remote.tracking_uri}, MLflow run {remote_id}"
        try:
            run = validate_record(record, where)
        except RecordError as exc:
            raise SyncError(f"{exc}; nothing was pulled") from None
        if run.id != bizml_id:
            raise SyncError(
                f"{where}: its {ARTIFACT_DIR}/{ARTIFACT_NAME} holds run {run.id} but its "
                f"{RUN_ID_TAG} tag says {bizml_id}; nothing was pulled"
            )
        runs.append(run)
        author = mlflow_run.data.tags.get("mlflow.user") or None
        origins[run.id] = (ORIGIN_PREFIX + remote_id, author)
        shas[run.id] = (remote_id, mlflow_run.data.tags.get(REGISTRY_SHA_TAG, ""))
    before = {run.target: project.ledger.baseline(run.target) for run in runs}
    written = project.ledger.record_new(runs, origins)
    for run in runs:  # the pusher's baseline becomes this ledger's, where it had none
        tagged = todo[run.id].data.tags.get(BASELINE_TAG) == "true"
        if tagged and run.id in written and before[run.target] is None and run.status == "ok":
            project.ledger.set_baseline(run.target, run.id)
    sha = registry_sha(project.registry_path)
    judged, _ = judgement(project, project.ledger.runs(), sha)
    for run_id in written:  # on the server already: judged alike (same bizml.toml), left be
        remote_id, pushed_sha = shas[run_id]
        state = judged if pushed_sha == sha else ""
        project.ledger.note_pushed(
            run_id, remote.tracking_uri, remote.experiment_id, remote_id, state
        )
    return PullResult(
        remote.tracking_uri,
        remote.experiment,
        remote.experiment_id,
        pulled=len(written),
        present=len(found) - len(written),
    )


def _record(remote: Remote, remote_id: str) -> Any:
    """The JSON of a run's ``bizml/run.json`` artifact."""
    where = f"{remote.tracking_uri}, MLflow run {remote_id}"
    doing = f"reading {ARTIFACT_DIR}/{ARTIFACT_NAME} of the run {remote_id}"
    with remote.talking(doing), tempfile.TemporaryDirectory(prefix="bizml-pull-") as folder:
        path = remote.client.download_artifacts(
            remote_id, f"{ARTIFACT_DIR}/{ARTIFACT_NAME}", folder
        )
        text = Path(path).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SyncError(
            f"{where}: {ARTIFACT_DIR}/{ARTIFACT_NAME} is not JSON ({exc}); nothing was pulled"
        ) from None
