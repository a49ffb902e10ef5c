"""Price: the runs of an MLflow experiment that bizml_nb never touched, as runs of a KPI.

Runs logged with plain MLflow (``mlflow.log_metric``; no ``bizml.run_id`` tag) are
read, their metrics renamed by a map (``val_ndcg=ndcg@10``: MLflow's name, then the
registry's), and recorded in the ledger as runs of the KPI, each with its origin
``mlflow:RUN_ID`` and MLflow's user. Pricing again records only runs not yet priced.
A ``baseline`` (an MLflow run id or run name) becomes the KPI's baseline run. The
leaderboard by business value is the presentation layer's
(:func:`bizml_nb.present.views.compare`) over the returned run ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bizml_nb.core.run import Run, new_run_id
from bizml_nb.teams.mapping import RUN_ID_TAG
from bizml_nb.teams.mlflow_pull import ORIGIN_PREFIX
from bizml_nb.teams.remote import Remote, SyncError, connect

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from bizml_nb.projects.project import Project

_LIMIT = 1e15  # the run record's bound on a metric (docs/formats.md)


@dataclass(frozen=True)
class PriceResult:
    """What pricing did: the bizml ids of the experiment's runs, in MLflow's order."""

    tracking_uri: str
    experiment: str
    experiment_id: str
    kpi: str
    run_ids: tuple[str, ...]
    recorded: int
    baseline: str | None  # the bizml id of the baseline run, if one was named

    def __str__(self) -> str:
        return (
            f"priced {len(self.run_ids)} runs of the MLflow experiment {self.experiment!r} at "
            f"{self.tracking_uri} as runs of {self.kpi} ({self.recorded} newly recorded)"
        )


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """``["val_ndcg=ndcg@10"]`` -> ``{"val_ndcg": "ndcg@10"}`` (MLflow name -> bizml name)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        mlflow_name, sep, name = pair.partition("=")
        if not sep or not mlflow_name.strip() or not name.strip():
            raise SyncError(
                f"--map {pair!r} must be MLFLOW_METRIC=ML_METRIC, e.g. val_ndcg=ndcg@10"
            )
        mapping[mlflow_name.strip()] = name.strip()
    return mapping


def price(
    project: Project,
    experiment: str,
    *,
    target: str,
    mapping: Mapping[str, str],
    baseline: str | None = None,
    tracking_uri: str | None = None,
) -> PriceResult:
    """Record the plain MLflow runs of ``experiment`` as runs of KPI ``target``."""
    kpi = project.registry.metric(target).name
    remote = connect(project, tracking_uri, experiment, create=False)
    with remote.talking("listing the experiment's runs"):
        found = [r for r in _all_runs(remote) if RUN_ID_TAG not in r.data.tags]
    if not found:
        raise SyncError(
            f"the MLflow experiment {remote.experiment!r} at {remote.tracking_uri} has no runs "
            "logged outside bizml_nb to price; check the experiment's name"
        )
    logged = {name for r in found for name in r.data.metrics}
    missing = sorted(set(mapping) - logged)
    if missing:
        raise SyncError(
            f"--map names {', '.join(missing)}, which no run of {remote.experiment!r} logged; "
            f"its runs logged: {', '.join(sorted(logged)) or 'no metrics'}"
        )
    chosen = _baseline(found, baseline, remote) if baseline else None
    priced = {origin: run_id for run_id, (origin, _) in project.ledger.origins().items()}
    ids: list[str] = []
    new: list[Run] = []
    origins: dict[str, tuple[str, str | None]] = {}
    for mlflow_run in found:
        origin = ORIGIN_PREFIX + str(mlflow_run.info.run_id)
        if origin in priced:
            ids.append(priced[origin])
            continue
        run = _as_run(mlflow_run, kpi, mapping, is_baseline=mlflow_run is chosen)
        new.append(run)
        ids.append(run.id)
        origins[run.id] = (origin, mlflow_run.data.tags.get("mlflow.user") or None)
    written = project.ledger.record_new(new, origins)
    baseline_id = None
    if chosen is not None:
        baseline_id = ids[found.index(chosen)]
        project.ledger.set_baseline(kpi, baseline_id)
    return PriceResult(
        remote.tracking_uri,
        remote.experiment,
        remote.experiment_id,
        kpi,
        tuple(ids),
        len(written),
        baseline_id,
    )


def _all_runs(remote: Remote) -> list[Any]:
    runs: list[Any] = []
    token = None
    while True:
        page = remote.client.search_runs(
            experiment_ids=[remote.experiment_id],
            max_results=1000,
            order_by=["attributes.start_time ASC"],
            page_token=token,
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _baseline(found: Sequence[Any], ref: str, remote: Remote) -> Any:
    """The MLflow run named by ``ref``: its id, or its run name when one run has it."""
    by_id = [r for r in found if r.info.run_id == ref]
    by_name = [r for r in found if r.info.run_name == ref]
    if by_id:
        return by_id[0]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        ids = ", ".join(r.info.run_id for r in by_name)
        raise SyncError(
            f"--baseline {ref!r}: {len(by_name)} runs of {remote.experiment!r} have that name "
            f"({ids}); give the run's id"
        )
    raise SyncError(
        f"--baseline {ref!r} is neither the id nor the name of a run of {remote.experiment!r}"
    )


def _as_run(mlflow_run: Any, kpi: str, mapping: Mapping[str, str], *, is_baseline: bool) -> Run:
    """A plain MLflow run as a bizml run of ``kpi`` (metrics renamed, non-finite ones left out)."""
    info, data = mlflow_run.info, mlflow_run.data
    metrics = {
        mapping.get(name, name): float(value)
        for name, value in data.metrics.items()
        if math.isfinite(value) and abs(value) <= _LIMIT
    }
    start = info.start_time or 0
    failed = info.status in ("FAILED", "KILLED")
    return Run(
        id=new_run_id(),
        name=info.run_name or info.run_id,
        target=kpi,
        started_at=datetime.fromtimestamp(start / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        hypothesis=data.tags.get("mlflow.note.content") or None,
        params=dict(data.params),
        is_baseline=is_baseline,
        status="failed" if failed else "ok",
        error=f"MLflow status {info.status}" if failed else None,
        duration_s=(info.end_time - start) / 1000 if info.end_time and start else None,
        metrics=metrics,
    )
