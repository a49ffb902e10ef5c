"""A bizml run as an MLflow run: its metrics, value metrics, params, tags and times.

Pure functions (no MLflow import): the push sends what these say. The run record
travels twice: as the artifact ``bizml/run.json`` (always) and, when its compact JSON
fits in MLflow's 8,000-character tag limit, as the tag ``bizml.record``, so that a pull
reads every record from one search instead of one download per run. ML metrics keep
their names where MLflow allows them; a name MLflow refuses (``ndcg@10``) is sent with
each refused character as ``_`` and the tag ``bizml.metric_names`` maps it back (the
run record artifact ``bizml/run.json`` keeps every name and value exactly).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bizml_nb.teams.remote import (
    MAX_ENTITIES_PER_BATCH,
    MAX_KEY_LENGTH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAM_VAL_LENGTH,
    MAX_PARAMS_TAGS_PER_BATCH,
    MAX_TAG_VAL_LENGTH,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

    from bizml_nb.core.observation import Observation
    from bizml_nb.core.run import Run
    from bizml_nb.impact.model import Impact

RUN_ID_TAG = "bizml.run_id"
KPI_TAG = "bizml.kpi"
VERDICT_TAG = "bizml.verdict"
REGISTRY_SHA_TAG = "bizml.registry_sha"
METRIC_NAMES_TAG = "bizml.metric_names"
BASELINE_TAG = "bizml.baseline"  # "true" for the run its KPI's other runs are compared with
#: the run record as compact JSON, when it fits in a tag: a pull reads it from the search
RECORD_TAG = "bizml.record"
#: the SHA-256 (16 hex digits) of that compact JSON, set whether or not the record fits
RECORD_SHA_TAG = "bizml.record_sha"
NOTE_TAG = "mlflow.note.content"  # the run's description in MLflow's UI
ARTIFACT_DIR = "bizml"
ARTIFACT_NAME = "run.json"
#: the value metrics: the predicted KPI change and the yearly value, each low, mid, high
KPI_CHANGE = "bizml.kpi_change"
VALUE_PER_YEAR = "bizml.value_per_year"
#: the realised KPI change of the run's latest observation, low, mid, high, and its day
OBSERVED_CHANGE = "bizml.observed_kpi_change"
OBSERVED_ON_TAG = "bizml.observed_on"
#: the key of a run record's observations (their own records) when a push carries them
OBSERVATIONS = "observations"
_REFUSED = re.compile(r"[^\w.\- :/]")


@dataclass(frozen=True)
class Mapped:
    """What a push sends for one run (MLflow's names and values)."""

    ml_metrics: dict[str, float]
    value_metrics: dict[str, float]
    params: dict[str, str]
    tags: dict[str, str]
    start_ms: int
    end_ms: int | None
    status: str  # FINISHED or FAILED
    record: dict[str, Any] = field(default_factory=dict)


def registry_sha(path: Path) -> str:
    """The SHA-256 of bizml.toml's bytes: the registry a verdict was computed from."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "none"


def mlflow_name(name: str) -> str:
    """``name`` as MLflow accepts it: refused characters become ``_``, at most 250 long."""
    return _REFUSED.sub("_", name)[:MAX_KEY_LENGTH]


def epoch_ms(iso: str) -> int:
    """An ISO 8601 UTC time (``2026-11-28T12:00:00.123Z``) in milliseconds since 1970."""
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def verdict_word(impact: Impact | None) -> str:
    """The ``bizml.verdict`` tag: the verdict's label, ``baseline``, or ``none``."""
    if impact is None:
        return "none"
    if impact.label is not None:
        return str(impact.label.value)
    return "baseline" if impact.is_baseline else "none"


def value_metrics(impact: Impact | None) -> dict[str, float]:
    """``bizml.kpi_change.low/mid/high`` and ``bizml.value_per_year.low/mid/high``."""
    found: dict[str, float] = {}
    if impact is None:
        return found
    for prefix, span in (
        (KPI_CHANGE, impact.business_delta),
        (VALUE_PER_YEAR, impact.value_per_year),
    ):
        if span is not None:
            found.update(
                {f"{prefix}.low": span.low, f"{prefix}.mid": span.mid, f"{prefix}.high": span.high}
            )
    return found


def map_run(
    run: Run,
    impact: Impact | None,
    sha: str,
    *,
    is_kpi_baseline: bool = False,
    observations: Sequence[Observation] = (),
) -> Mapped:
    """Everything a push sends for ``run``, judged by ``impact`` under registry ``sha``;
    ``is_kpi_baseline`` when it is its KPI's baseline run in the pushing ledger;
    ``observations``: what its launch or A/B test measured (records in the run record,
    the latest as ``bizml.observed_kpi_change.*`` metrics and ``bizml.observed_on``)."""
    metrics: dict[str, float] = {}
    renamed: dict[str, str] = {}
    for name, value in run.metrics.items():
        safe = mlflow_name(name)
        if safe in metrics or safe.startswith("bizml."):
            continue  # two names that read alike in MLflow: the record artifact keeps both
        metrics[safe] = float(value)
        if safe != name:
            renamed[safe] = name
    params = {}
    for key, value in run.params.items():
        text = (
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        )
        if len(text) <= MAX_PARAM_VAL_LENGTH:
            params[mlflow_name(str(key))] = text
    tags = {
        RUN_ID_TAG: run.id,
        KPI_TAG: run.target,
        VERDICT_TAG: verdict_word(impact),
        REGISTRY_SHA_TAG: sha,
        BASELINE_TAG: "true" if is_kpi_baseline else "false",
        NOTE_TAG: (run.hypothesis or "")[:MAX_TAG_VAL_LENGTH],
        "mlflow.runName": run.name[:MAX_TAG_VAL_LENGTH],
    }
    names = json.dumps(renamed, ensure_ascii=False, sort_keys=True)
    if renamed and len(names) <= MAX_TAG_VAL_LENGTH:
        tags[METRIC_NAMES_TAG] = names
    start = epoch_ms(run.started_at)
    end = None if run.duration_s is None else start + round(run.duration_s * 1000)
    record = run.to_record()
    if impact is not None:
        record["impact"] = impact.to_record()
    values = value_metrics(impact)
    if observations:
        # without its origin: where the pushing ledger got it says nothing to another
        # (a pull sets mlflow:RUN_ID), and the record's digest stays the same everywhere
        record[OBSERVATIONS] = [replace(obs, origin=None).to_record() for obs in observations]
        last = max(observations, key=lambda obs: obs.key)
        values.update(
            {
                f"{OBSERVED_CHANGE}.low": last.low,
                f"{OBSERVED_CHANGE}.mid": last.kpi_delta,
                f"{OBSERVED_CHANGE}.high": last.high,
            }
        )
        tags[OBSERVED_ON_TAG] = last.observed_on
    compact = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    tags[RECORD_SHA_TAG] = hashlib.sha256(compact.encode()).hexdigest()[:16]
    if len(compact) <= MAX_TAG_VAL_LENGTH:
        tags[RECORD_TAG] = compact
    return Mapped(
        ml_metrics=metrics,
        value_metrics=values,
        params=params,
        tags=tags,
        start_ms=start,
        end_ms=end,
        status="FINISHED" if run.status == "ok" else "FAILED",
        record=record,
    )


def batches(
    metrics: Sequence[Any], params: Sequence[Any], tags: Sequence[Any]
) -> Iterator[tuple[list[Any], list[Any], list[Any]]]:
    """(metrics, params, tags) for successive ``log_batch`` calls, as few as MLflow's
    limits allow: at most 1000 metrics, 100 params and 100 tags, 1000 entities in all.
    Tags go first (a run's KPI and verdict arrive with its first batch)."""
    metrics, params, tags = list(metrics), list(params), list(tags)
    while metrics or params or tags:
        tag_part = tags[:MAX_PARAMS_TAGS_PER_BATCH]
        param_part = params[:MAX_PARAMS_TAGS_PER_BATCH]
        room = min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - len(tag_part) - len(param_part))
        metric_part = metrics[:room]
        yield metric_part, param_part, tag_part
        metrics, params, tags = (
            metrics[len(metric_part) :],
            params[len(param_part) :],
            tags[len(tag_part) :],
        )


def original_names(tags: Mapping[str, str]) -> dict[str, str]:
    """MLflow metric name -> the bizml name it stands for (``bizml.metric_names``)."""
    try:
        names = json.loads(tags.get(METRIC_NAMES_TAG, "{}"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}
