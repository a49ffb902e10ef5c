"""Push: every local run to an MLflow experiment, idempotent, and updated when the registry changes.

A bizml run is found in MLflow by its ``bizml.run_id`` tag, so a second push updates
it rather than duplicating it. A run is sent in full when it is new, when an earlier
push stopped half-way (the ledger's ``pushed`` table has no row for it), or when
bizml.toml or a KPI's baseline run changed since it was pushed: its verdict and value
are recomputed, so the tags, the value metrics and ``bizml/run.json`` are sent again;
or when its record changed (a metric logged later, a deployment date, an observation:
the ledger notes the digest of the record each run was pushed with). One push of a
ledger runs at a time (a lock beside the ledger).
The ledger notes each run once MLflow holds all of it; nothing local is changed
otherwise. A run priced from a plain MLflow run (``bizml mlflow price``) is not sent:
MLflow holds it already.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import math
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core._io import WriteError, atomic_write_text, locked
from bizml_nb.teams.mapping import (
    ARTIFACT_DIR,
    ARTIFACT_NAME,
    BASELINE_TAG,
    KPI_CHANGE,
    RECORD_SHA_TAG,
    RECORD_TAG,
    REGISTRY_SHA_TAG,
    RUN_ID_TAG,
    VALUE_PER_YEAR,
    Mapped,
    batches,
    map_run,
    registry_sha,
)
from bizml_nb.teams.remote import Remote, SyncError, connect

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bizml_nb.core.observation import Observation
    from bizml_nb.core.run import Run
    from bizml_nb.projects.project import Project

_VALUE_KEYS = tuple(
    f"{p}.{end}" for p in (KPI_CHANGE, VALUE_PER_YEAR) for end in ("low", "mid", "high")
)
#: the MLflow run statuses of an ended run
DONE = ("FINISHED", "FAILED", "KILLED")
#: runs sent at once: each waits on the server most of its time, so a few overlap well
WORKERS = 2
#: how long a push waits for another push of the same ledger to end
PUSH_WAIT_S = 600.0


@dataclass(frozen=True)
class PushResult:
    """What a push did: runs created in MLflow, updated, and left as they were."""

    tracking_uri: str
    experiment: str
    experiment_id: str
    created: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return (
            f"pushed to {self.tracking_uri}, experiment {self.experiment!r} "
            f"(id {self.experiment_id}): {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


def push(
    project: Project,
    *,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    workers: int = WORKERS,
) -> PushResult:
    """Send every run of ``project``'s ledger to its MLflow experiment (see the module).

    Up to ``workers`` runs are sent at once (each run's requests in order); the ledger
    is written by the calling thread alone, as each run is done.
    """
    remote = connect(project, tracking_uri, experiment)
    with _one_push_at_a_time(project):
        runs = project.ledger.runs()
        sha = registry_sha(project.registry_path)
        judged, baselines = judgement(project, runs, sha)
        noted = project.ledger.pushed(remote.tracking_uri, remote.experiment_id)
        with remote.talking("listing the runs already pushed"):
            existing = remote_runs(remote)
        origins = project.ledger.origins()
        mapped_runs = mapped(project, runs, sha, baselines)
        unchanged = 0
        todo: list[tuple[Run, Mapped, Any]] = []
        for run in runs:
            found = existing.get(run.id)
            if found is None and run.id in origins:  # priced from a plain MLflow run
                unchanged += 1
                continue
            state = noted_state(judged, mapped_runs[run.id])
            if found is not None and _current(
                found, noted.get(run.id), (sha, state), mapped_runs[run.id]
            ):
                unchanged += 1
                continue
            todo.append((run, mapped_runs[run.id], found))
        created = updated = 0
        for run, found, remote_id in _sent(remote, todo, workers):
            state = noted_state(judged, mapped_runs[run.id])
            project.ledger.note_pushed(
                run.id, remote.tracking_uri, remote.experiment_id, remote_id, state
            )
            created, updated = (created + 1, updated) if found is None else (created, updated + 1)
    return PushResult(
        remote.tracking_uri, remote.experiment, remote.experiment_id, created, updated, unchanged
    )


def mapped(
    project: Project, runs: list[Run], sha: str, baselines: dict[str, Run | None]
) -> dict[str, Mapped]:
    """Run id -> what a push of ``project`` sends for it now (its value, observations)."""
    observed: dict[str, list[Observation]] = {}
    for obs in project.ledger.observations():
        observed.setdefault(obs.run_id, []).append(obs)
    found = {}
    for run in runs:
        base = baselines.get(run.target)
        impact = project.impact(run) if project.has_registry else None
        found[run.id] = map_run(
            run,
            impact,
            sha,
            is_kpi_baseline=base is not None and base.id == run.id,
            observations=observed.get(run.id, ()),
        )
    return found


def noted_state(judged: str, mapped_run: Mapped) -> str:
    """What the ledger notes a run was pushed as: the registry and baselines it was
    judged by, and its record's digest (a record changed since is sent again)."""
    return f"{judged}:{mapped_run.tags[RECORD_SHA_TAG]}"


@contextlib.contextmanager
def _one_push_at_a_time(project: Project) -> Iterator[None]:
    """Hold the ledger's push lock: two pushes at once (a terminal and a notebook's
    --auto) would each create the runs the other has not noted yet."""
    if not project.ledger.path.parent.is_dir():  # no ledger yet: nothing to push, no lock
        yield
        return
    try:
        with locked(Path(f"{project.ledger.path}.push"), timeout_s=PUSH_WAIT_S):
            yield
    except WriteError as exc:
        raise SyncError(f"{exc}; nothing more was pushed") from None


def _sent(
    remote: Remote, todo: list[tuple[Run, Mapped, Any]], workers: int
) -> Iterator[tuple[Run, Any, str]]:
    """Send each run on a pool of ``workers`` threads; yield (run, found, MLflow id) as each
    is done. The first failure stops the rest (those not started are not sent) and is
    raised once the runs under way have ended: what was done is yielded first."""

    def send(run: Run, mapped: Mapped, found: Any) -> str:
        with remote.talking(f"pushing the run {run.id}"):
            return _send(remote, run, mapped, found)

    if workers <= 1 or len(todo) <= 1:
        for run, mapped, found in todo:
            yield run, found, send(run, mapped, found)
        return
    failure: BaseException | None = None
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bizml-push")
    try:
        futures = {pool.submit(send, *job): job for job in todo}
        for future in as_completed(futures):
            run, _mapped, found = futures[future]
            try:
                remote_id = future.result()
            except BaseException as exc:  # the first failure is the one reported
                if failure is None:
                    failure = exc
                    for other in futures:
                        other.cancel()
                continue
            yield run, found, remote_id
    finally:  # the caller stopped (Ctrl-C, a ledger error) or all is done: start no more
        pool.shutdown(wait=True, cancel_futures=True)
    if failure is not None:
        raise failure


def remote_runs(remote: Remote) -> dict[str, Any]:
    """bizml run id -> the MLflow run that carries it (the first made, if several do)."""
    found: dict[str, Any] = {}
    token = None
    while True:
        page = remote.client.search_runs(
            experiment_ids=[remote.experiment_id],
            filter_string=f"tags.`{RUN_ID_TAG}` LIKE '%'",
            max_results=1000,
            order_by=["attributes.start_time ASC"],
            page_token=token,
        )
        for mlflow_run in page:
            found.setdefault(mlflow_run.data.tags[RUN_ID_TAG], mlflow_run)
        token = page.token
        if not token:
            return found


def judgement(project: Project, runs: list[Run], sha: str) -> tuple[str, dict[str, Run | None]]:
    """What every run's verdict and value rest on: bizml.toml's hash (``sha``) and each
    KPI's baseline run, as one text (a change re-sends every run), and the baselines."""
    baselines = {kpi: project.ledger.baseline(kpi) for kpi in {run.target for run in runs}}
    ids = sorted((kpi, base.id if base else "") for kpi, base in baselines.items())
    digest = hashlib.sha256(json.dumps(ids).encode()).hexdigest()[:16]
    return f"{sha}:{digest}", baselines


def _current(
    found: Any, noted: tuple[str, str] | None, state: tuple[str, str], mapped: Mapped
) -> bool:
    """Whether MLflow already holds all of a run (its metrics too), judged as ``state`` says."""
    sha, judged = state
    had = found.data.metrics
    return (
        noted == (found.info.run_id, judged)
        and all(had.get(k) == v for k, v in mapped.ml_metrics.items())
        and found.data.tags.get(BASELINE_TAG) == mapped.tags[BASELINE_TAG]
        and found.data.tags.get(RECORD_SHA_TAG) == mapped.tags[RECORD_SHA_TAG]
        and found.data.tags.get(REGISTRY_SHA_TAG) == sha
        and found.info.status in DONE
    )


def _send(remote: Remote, run: Run, mapped: Mapped, found: Any) -> str:
    """Create or complete the MLflow run of ``run``; return its MLflow id.

    A new run is created with its tags (``bizml.run_id`` among them, so an interrupted
    push is found again), then its metrics and params go in as few ``log_batch`` calls
    as MLflow's limits allow, then ``bizml/run.json``, and last its end: four requests
    for a run of up to about 900 metrics.
    """
    from mlflow.entities import Metric, Param, RunTag

    client = remote.client
    if found is None:
        created = client.create_run(
            remote.experiment_id,
            start_time=mapped.start_ms,
            tags={**mapped.tags, "mlflow.user": _user()},  # the author, as MLflow records it
            run_name=run.name,
        )
        remote_id, artifact_uri = str(created.info.run_id), str(created.info.artifact_uri)
        had_params: dict[str, str] = {}
        had_metrics: dict[str, float] = {}
        tags = []
    else:
        remote_id, artifact_uri = str(found.info.run_id), str(found.info.artifact_uri)
        had_params, had_metrics = dict(found.data.params), dict(found.data.metrics)
        tags = [RunTag(k, v) for k, v in mapped.tags.items()]
        if RECORD_TAG in found.data.tags and RECORD_TAG not in mapped.tags:
            client.delete_tag(remote_id, RECORD_TAG)  # the record outgrew a tag: no stale copy
    now = int(time.time() * 1000)  # value metrics: the latest push's values are the latest
    values = dict(mapped.value_metrics)
    values.update(
        {key: math.nan for key in _VALUE_KEYS if key in had_metrics and key not in values}
    )
    metrics = [  # a metric changed since (`%bizml log`) is sent again, as the latest value
        Metric(k, v, mapped.start_ms if k not in had_metrics else now, 0)
        for k, v in mapped.ml_metrics.items()
        if had_metrics.get(k) != v
    ]
    metrics += [Metric(k, v, now, 0) for k, v in values.items()]
    params = [Param(k, v) for k, v in mapped.params.items() if k not in had_params]  # immutable
    for chunk in batches(metrics, params, tags):
        client.log_batch(remote_id, metrics=chunk[0], params=chunk[1], tags=chunk[2])
    text = json.dumps(mapped.record, ensure_ascii=False, indent=1)  # the run's own order
    _upload(remote, artifact_uri, text)
    client.set_terminated(
        remote_id, status=mapped.status, end_time=mapped.end_ms or mapped.start_ms
    )
    return remote_id


def _upload(remote: Remote, artifact_uri: str, text: str) -> None:
    """Write ``text`` as ``bizml/run.json`` under a run's artifact URI: one request (the
    client's ``log_text`` would first ask the server for the URI the push already has)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    repository = get_artifact_repository(artifact_uri, tracking_uri=remote.tracking_uri)
    with tempfile.TemporaryDirectory(prefix="bizml-push-") as folder:
        path = atomic_write_text(Path(folder) / ARTIFACT_NAME, text)
        repository.log_artifact(str(path), ARTIFACT_DIR)  # type: ignore[no-untyped-call]


def _user() -> str:
    """Who pushes: the login name, as MLflow's own fluent API records it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"
