"""Observed runs as evidence for a link: each run's ML change beside its observed KPI change.

A run of the KPI with an observation (its latest, as
:func:`bizml_nb.projects.realised.observations` picks it) is a point of the link from
``ml_metric`` to the KPI:

- its ML delta is ``run.metrics[ml_metric] - reference``, as a prediction measures it
  (:mod:`bizml_nb.impact.links`): the reference is the baseline run's value of the ML
  metric, the baseline being the run the observation's prediction was made against
  (its frozen ``baseline_id``) or, for an observation that kept none, the KPI's current
  baseline run; when there is no such run (a prediction kept without a baseline run)
  or it did not log the metric, the link's declared ``ml_baseline``;
- its business delta is the observation's ``kpi_delta``, with its interval.

Left out, each with its reason: a baseline run itself, a run (or a baseline) without
the ML metric, a run whose ML metric did not change, a run with no baseline to compare
with, and an observation with an interval of zero width (it has no standard error, so
no weight). The statistics are in :mod:`bizml_nb.impact.evidence` (``observed_weights``,
``observed_mean``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bizml_nb.core.errors import RegistryError, did_you_mean
from bizml_nb.core.observation import Observation, latest
from bizml_nb.core.registry import FILENAME
from bizml_nb.impact.evidence import ObservedMean, observed_mean, observed_weights
from bizml_nb.impact.observed import se_from_interval

if TYPE_CHECKING:
    from bizml_nb.core.run import Run
    from bizml_nb.projects.project import Project


@dataclass(frozen=True)
class ObservedPoint:
    """One observed run as a point of a link: its ML delta and its observed KPI change."""

    run: Run
    observation: Observation
    baseline: Run | None  # None: the ML change is against the link's ml_baseline
    ml_delta: float
    se: float  # the standard error of kpi_delta, read from its interval as a normal one

    @property
    def kpi_delta(self) -> float:
        return self.observation.kpi_delta

    @property
    def implied(self) -> float:
        """The elasticity this run alone implies: ``kpi_delta / ml_delta``."""
        return self.observation.kpi_delta / self.ml_delta


@dataclass(frozen=True)
class ObservedPoints:
    """The observed runs of ``kpi`` as points of the link from ``ml_metric``, and those left out."""

    ml_metric: str
    kpi: str
    points: tuple[ObservedPoint, ...]
    left_out: tuple[tuple[Run, str], ...]  # (run, why), oldest run first

    @property
    def n(self) -> int:
        return len(self.points)

    def weights(self) -> list[float]:
        """Each point's weight in a fit: inverse variance, scaled to a mean of 1."""
        return observed_weights([p.se for p in self.points])

    def mean(self) -> ObservedMean | None:
        """The observed mean elasticity, None without points."""
        if not self.points:
            return None
        return observed_mean(
            [p.ml_delta for p in self.points],
            [p.kpi_delta for p in self.points],
            [p.se for p in self.points],
        )

    def left_out_text(self) -> str | None:
        """``left out 3 observed runs: without ndcg@10 (2), a baseline run (1)`` (None: none)."""
        if not self.left_out:
            return None
        counts = Counter(why for _, why in self.left_out)
        reasons = ", ".join(f"{why} ({count})" for why, count in counts.items())
        return f"left out {_runs(len(self.left_out))}: {reasons}"


def observed_points(project: Project, ml_metric: str, kpi: str) -> ObservedPoints:
    """The observed runs of ``kpi`` as points of the link from ``ml_metric`` (see the
    module docstring for the rules); an unknown KPI raises
    :class:`~bizml_nb.core.errors.UnknownMetric`."""
    project.registry.metric(kpi)
    ledger = project.ledger
    # the latest observation of each run, as projects.realised.observations picks it
    # (not imported from there: it imports projects.project, which builds links here)
    chosen = latest(ledger.observations(target=kpi))
    runs = {run.id: run for run in ledger.runs(kpi)} if chosen else {}
    current = ledger.baseline(kpi) if chosen else None
    declared = [x for x in project.registry.links_to(kpi) if x.ml_metric == ml_metric]
    ml_baseline = declared[0].params.get("ml_baseline") if declared else None
    points: list[ObservedPoint] = []
    left_out: list[tuple[Run, str]] = []
    for run_id in sorted(chosen):
        run = runs.get(run_id)
        if run is None:
            continue
        obs = chosen[run_id]
        baseline, why = _baseline_of(project, obs, current)
        if run.is_baseline or (baseline is not None and run.id == baseline.id):
            left_out.append((run, "a baseline run"))
            continue
        if ml_metric not in run.metrics:
            left_out.append((run, f"without {ml_metric}"))
            continue
        if baseline is not None and ml_metric in baseline.metrics:
            reference = float(baseline.metrics[ml_metric])
        elif ml_baseline is not None:
            reference, baseline = float(ml_baseline), None  # as a prediction falls back
        elif baseline is None:
            left_out.append((run, why))
            continue
        else:
            left_out.append((run, f"whose baseline has no {ml_metric}"))
            continue
        delta = float(run.metrics[ml_metric]) - reference
        if delta == 0:
            left_out.append((run, f"with no {ml_metric} change"))
            continue
        if not obs.high > obs.low:
            left_out.append((run, "with an interval of zero width (no weight)"))
            continue
        se = se_from_interval(obs.low, obs.high, obs.level)
        points.append(ObservedPoint(run, obs, baseline, delta, se))
    return ObservedPoints(ml_metric, kpi, tuple(points), tuple(left_out))


def _baseline_of(project: Project, obs: Observation, current: Run | None) -> tuple[Run | None, str]:
    """The run an observed run's ML metric is compared with, or None and why not."""
    from bizml_nb.core.errors import LedgerError

    frozen = obs.baseline_id  # kept with the prediction when the observation was recorded
    if frozen:
        try:
            return project.ledger.get(frozen), ""
        except LedgerError:
            return None, "whose baseline run is no longer in the ledger"
    if obs.predicted is not None:  # predicted with no baseline run: against ml_baseline
        return None, "with no baseline run to compare with"
    if current is None:
        return None, "with no baseline run to compare with"
    return current, ""


def observed_fit_error(points: ObservedPoints, needed: int, history_rows: int) -> str:
    """Why a fit from the observed runs cannot be made: how many points there are."""
    kpi, ml = points.kpi, points.ml_metric
    what = f"{_runs(points.n)} of {kpi} with a change of {ml} and an observation"
    if history_rows:
        what += f", and {history_rows} row(s) of history"
    text = f"there are {what}; fitting a link needs at least {needed}"
    left = points.left_out_text()
    if left:
        text += f" ({left})"
    return text


def check_metric_known(project: Project, points: ObservedPoints) -> None:
    """Refuse an ML metric that no run of the KPI logged (a typo), naming those logged."""
    ml, kpi = points.ml_metric, points.kpi
    if points.points:
        return
    logged = sorted({name for run in project.ledger.runs(kpi) for name in run.metrics})
    if ml in logged or ml in project.registry.metrics:
        return
    if not project.ledger.runs(kpi):
        return  # no run at all: the missing observations are the problem to name
    raise RegistryError(
        f"no run of {kpi} logged {ml!r}{did_you_mean(ml, logged)}; its runs logged "
        f"{', '.join(logged) or 'no metrics'} (the link's ML metric, as declared in {FILENAME})"
    )


def _runs(n: int) -> str:
    return f"{n} observed run" + ("" if n == 1 else "s")
