"""Pull: teammates' runs from an MLflow experiment into the local ledger, idempotent.

Only MLflow runs carrying ``bizml.run_id`` are read, and only once their push has
ended (a run still RUNNING in MLflow is being pushed, or its push stopped half-way: it
is left for the next pull). The record comes from the run's ``bizml.record`` tag, read
by the search itself, or, for a record too long for a tag, from its ``bizml/run.json``
artifact. The observations a record carries (what a launch or an A/B test measured:
:mod:`bizml_nb.core.observation`) are written too, also for a run already here (read
from its tag), each once (by its id). Each record passes the same checks as ``bizml ledger import``
(:func:`bizml_nb.core.run.validate_record`). Every record is checked before any is
written; one bad record refuses the pull, naming the MLflow run, and nothing is
written. A run already in the ledger (same id) is left alone. A pulled run keeps its
origin (``mlflow:RUN_ID`` and the MLflow user who pushed it); so does a pulled
observation (``mlflow:RUN_ID`` of the MLflow run whose record carried it: where this
ledger got it).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.observation import Observation, validate_observation
from bizml_nb.core.run import validate_record
from bizml_nb.core.schema import RecordError
from bizml_nb.teams.mapping import (
    ARTIFACT_DIR,
    ARTIFACT_NAME,
    BASELINE_TAG,
    OBSERVATIONS,
    OBSERVED_ON_TAG,
    RECORD_SHA_TAG,
    RECORD_TAG,
    REGISTRY_SHA_TAG,
    RUN_ID_TAG,
    registry_sha,
)
from bizml_nb.teams.mlflow_push import DONE, judgement, mapped, noted_state, remote_runs
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
    waiting: int = 0  # MLflow runs whose push has not ended: left for the next pull
    observations: int = 0  # realised changes written (of new runs and of runs here already)

    def __str__(self) -> str:
        text = (
            f"pulled from {self.tracking_uri}, experiment {self.experiment!r} "
            f"(id {self.experiment_id}): {self.pulled} new, {self.present} already here"
        )
        if self.waiting:
            text += f", {self.waiting} still being pushed (left for the next pull)"
        if self.observations:
            text += f"; {self.observations} new observations of realised value"
        return text


def pull(
    project: Project, *, tracking_uri: str | None = None, experiment: str | None = None
) -> PullResult:
    """Bring the bizml runs of the MLflow experiment into ``project``'s ledger."""
    remote = connect(project, tracking_uri, experiment, create=False)
    with remote.talking("listing the runs pushed to it"):
        found = remote_runs(remote)
    have = {run.id for run in project.ledger.runs()}
    todo = {bizml_id: mlflow_run for bizml_id, mlflow_run in found.items() if bizml_id not in have}
    # a push still under way, or stopped half-way, has not ended the MLflow run yet
    waiting = {k for k, mlflow_run in todo.items() if mlflow_run.info.status not in DONE}
    runs: list[Run] = []
    origins: dict[str, tuple[str, str | None]] = {}
    observed: list[Observation] = []
    for bizml_id, mlflow_run in found.items():
        remote_id = str(mlflow_run.info.run_id)
        where = f"{remote.tracking_uri}, MLflow run {remote_id}"
        if bizml_id not in todo:  # here already: only what was observed of it since
            tags = mlflow_run.data.tags
            if RECORD_TAG in tags or OBSERVED_ON_TAG in tags:  # else nothing observed
                observed += _observations(_record(remote, mlflow_run), where, remote_id)
            continue
        if bizml_id in waiting:
            continue
        record = _record(remote, mlflow_run)
        try:
            run = validate_record(record, where)
        except RecordError as exc:
            raise SyncError(f"{exc}; nothing was pulled") from None
        observed += _observations(record, where, remote_id)
        if run.id != bizml_id:
            raise SyncError(
                f"{where}: its run record holds run {run.id} but its "
                f"{RUN_ID_TAG} tag says {bizml_id}; nothing was pulled"
            )
        runs.append(run)
        author = mlflow_run.data.tags.get("mlflow.user") or None
        origins[run.id] = (ORIGIN_PREFIX + remote_id, author)
    before = {run.target: project.ledger.baseline(run.target) for run in runs}
    written = project.ledger.record_new(runs, origins)
    new_observations = project.ledger.observe_new(observed)
    for run in runs:  # the pusher's baseline becomes this ledger's, where it had none
        tagged = todo[run.id].data.tags.get(BASELINE_TAG) == "true"
        if tagged and run.id in written and before[run.target] is None and run.status == "ok":
            project.ledger.set_baseline(run.target, run.id)
    _note_what_the_server_holds(project, remote, found)
    return PullResult(
        remote.tracking_uri,
        remote.experiment,
        remote.experiment_id,
        pulled=len(written),
        present=len(found) - len(todo) + len(runs) - len(written),
        waiting=len(waiting),
        observations=len(new_observations),
    )


def _note_what_the_server_holds(project: Project, remote: Remote, found: dict[str, Any]) -> None:
    """Note as pushed each run the server holds exactly as this ledger would push it (the
    same bizml.toml, the same record digest): a push from here then leaves it be."""
    sha = registry_sha(project.registry_path)
    runs = project.ledger.runs()
    judged, baselines = judgement(project, runs, sha)
    now = mapped(project, runs, sha, baselines)
    noted = project.ledger.pushed(remote.tracking_uri, remote.experiment_id)
    for bizml_id, mlflow_run in found.items():
        here = now.get(bizml_id)
        tags = mlflow_run.data.tags
        if (
            here is None
            or mlflow_run.info.status not in DONE
            or tags.get(REGISTRY_SHA_TAG) != sha
            or tags.get(RECORD_SHA_TAG) != here.tags[RECORD_SHA_TAG]
        ):
            continue
        remote_id, state = str(mlflow_run.info.run_id), noted_state(judged, here)
        if noted.get(bizml_id) != (remote_id, state):
            project.ledger.note_pushed(
                bizml_id, remote.tracking_uri, remote.experiment_id, remote_id, state
            )


def _record(remote: Remote, mlflow_run: Any) -> Any:
    """The run record of an MLflow run: its ``bizml.record`` tag, else (a record too long
    for a tag) the JSON of its ``bizml/run.json`` artifact."""
    remote_id = str(mlflow_run.info.run_id)
    where = f"{remote.tracking_uri}, MLflow run {remote_id}"
    text = mlflow_run.data.tags.get(RECORD_TAG)
    if text is not None:
        return _json(text, where, f"its {RECORD_TAG} tag")
    return _json(_artifact_text(remote, mlflow_run), where, f"{ARTIFACT_DIR}/{ARTIFACT_NAME}")


def _json(text: str, where: str, name: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SyncError(f"{where}: {name} is not JSON ({exc}); nothing was pulled") from None


def _observations(record: Any, where: str, remote_id: str) -> list[Observation]:
    """The observations a run record carries, each checked as ``bizml ledger import``
    checks one, with the origin ``mlflow:REMOTE_ID``; SyncError (nothing pulled) for one
    that breaks a rule or names another run."""
    if not isinstance(record, dict) or not isinstance(record.get(OBSERVATIONS, []), list):
        raise SyncError(
            f"{where}: its run record's {OBSERVATIONS} is not a list; nothing was pulled"
        )
    run = record.get("run")
    run_id = run.get("id") if isinstance(run, dict) else None
    found = []
    for number, each in enumerate(record.get(OBSERVATIONS, []), 1):
        try:
            obs = validate_observation(each, f"{where}, observation {number}")
        except RecordError as exc:
            raise SyncError(f"{exc}; nothing was pulled") from None
        if obs.run_id != run_id:
            raise SyncError(
                f"{where}, observation {number}: it is of run {obs.run_id}, not of the run "
                f"{run_id} that carries it; nothing was pulled"
            )
        found.append(replace(obs, origin=ORIGIN_PREFIX + remote_id))
    return found


def _artifact_text(remote: Remote, mlflow_run: Any) -> str:
    """``bizml/run.json`` of an MLflow run, downloaded from its artifact URI."""
    from mlflow.artifacts import download_artifacts

    remote_id = str(mlflow_run.info.run_id)
    doing = f"reading {ARTIFACT_DIR}/{ARTIFACT_NAME} of the run {remote_id}"
    uri = f"{str(mlflow_run.info.artifact_uri).rstrip('/')}/{ARTIFACT_DIR}/{ARTIFACT_NAME}"
    with remote.talking(doing), tempfile.TemporaryDirectory(prefix="bizml-pull-") as folder:
        path = download_artifacts(
            artifact_uri=uri, dst_path=folder, tracking_uri=remote.tracking_uri
        )
        return Path(path).read_text(encoding="utf-8")
