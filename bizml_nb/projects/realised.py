"""Recording what a run's model really did: an observation checked against the registry and the run.

``observe(project, "two-tower v2", 0.0021, (0.0008, 0.0034), source="A/B test 2026-11")``
stores the change of the run's KPI that an A/B test or a launch measured
(:class:`~bizml_nb.core.observation.Observation`) in the project's ledger, after
checking it against the run and the registry. Each mistake is refused with one message
naming what to fix, and nothing is stored:

- the run must be recorded (named by id, unique id prefix, ``last`` or name, as
  ``%bizml show`` takes it), and be a run of ``kpi`` when ``kpi`` is given; its KPI
  must be declared in bizml.toml;
- ``on``, the day the measurement ended (default: today in UTC), must be a date
  ``YYYY-MM-DD``, not before the day the run started and not after today;
- the numbers must be finite, ``low <= kpi_delta <= high`` and ``0 < level < 1``
  (:class:`~bizml_nb.core.observation.Observation`'s own checks);
- the change must be possible in the KPI's unit (:func:`unit_problem`): a ratio KPI
  (``unit = "ratio"``, ``"share"``...) lies from 0 to 1, so ``kpi_delta``, ``low`` and
  ``high`` lie from -1 to 1, and with a declared baseline ``b`` (from 0 to 1) the KPI
  after the change, ``b + kpi_delta``, lies from 0 to 1 too. A value that breaks this
  is most often a change in percent points: "0.21 looks like percent points; a ratio
  KPI takes 0.0021". A percent KPI (``unit = "percent"``) follows the same rule on 0 to
  100. Only the estimate is held to the baseline: an interval's end may cross 0 or 1
  (a normal interval of a change near the edge does). A value possible in both units
  (0.21 on a KPI at 11%: 21 pp) is accepted; the card then shows it in percent points.

The observation keeps the run's prediction as it stands when it is recorded (its
predicted KPI change and 90% range against the KPI's current baseline run, and that
run's id), so a baseline set later does not change what it is judged against.

:func:`observations` gives each run that has one with its latest observation, for
calibration and realised impact.
"""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, date, datetime
from numbers import Real
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import InvalidValue, UnknownMetric
from bizml_nb.core.limits import LARGEST, shown
from bizml_nb.core.observation import Observation, latest
from bizml_nb.core.units import PERCENT_UNITS, RANGE_LEVEL, RATIO_UNITS
from bizml_nb.projects.project import describe_run

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.core.registry import BusinessMetric
    from bizml_nb.core.run import Run
    from bizml_nb.projects.project import Project


def observe(
    project: Project,
    run_id: str,
    kpi_delta: float,
    interval: Sequence[float],
    *,
    source: str,
    on: str | date | None = None,
    level: float = RANGE_LEVEL,
    kpi: str | None = None,
    n_days: int | None = None,
    method: str | None = None,
    origin: str | None = "python",
) -> Observation:
    """Record the measured change of a run's KPI, ``kpi_delta`` in ``interval`` (``level``).

    ``run_id`` names the run as ``%bizml show`` does (id, unique prefix, ``last``,
    name); ``kpi_delta`` and ``interval = (low, high)`` are in the KPI's unit (a ratio
    KPI's +0.21 pp is 0.0021); ``source`` says where the figure comes from; ``on`` is
    the day the measurement ended (``YYYY-MM-DD`` or a ``date``, default today in UTC); ``kpi``,
    when given, must be the run's KPI. ``n_days`` and ``method`` say how a figure
    computed from a daily table was made; ``origin`` where it was recorded (``"notebook"``,
    ``"cli"``, ``"python"``). The run's prediction (:meth:`Project.impact
    <bizml_nb.projects.project.Project.impact>`) and its KPI's baseline run are kept with
    it. Returns the stored observation; a mistake
    is refused with one message (see the module's docstring) and nothing is stored.
    """
    registry = project.registry
    if kpi is not None:
        registry.metric(kpi)  # an undeclared KPI is named as such, with a "did you mean"
    run = project.run(run_id)
    if kpi is not None and run.target != kpi:
        raise InvalidValue(
            "kpi",
            f"is {kpi!r}, but run {describe_run(run)} was an experiment against "
            f"{run.target!r}; name a run of {kpi!r}, or give the run's own KPI",
        )
    if run.target not in registry.metrics:
        raise UnknownMetric(
            run.target,
            f"run {describe_run(run)} was an experiment against {run.target!r}, which "
            f"{project.registry_path} does not declare",
        )
    metric = registry.metric(run.target)
    day = _day(on, run)
    low, high = _interval(interval)
    impact = project.impact(run)
    predicted = None if impact is None else impact.business_delta
    if predicted is not None and not all(
        math.isfinite(end) and abs(end) <= LARGEST
        for end in (predicted.low, predicted.mid, predicted.high)
    ):
        predicted = None  # beyond what a record holds (+-1e18): kept as no prediction
    baseline = None if predicted is None else project.ledger.baseline(run.target)
    obs = Observation.new(
        run.id,
        _number(kpi_delta, "kpi_delta"),
        low,
        high,
        source=source,
        observed_on=day,
        level=_number(level, "level"),
        origin=origin,
        n_days=n_days,
        method=method,
        predicted=None
        if predicted is None
        else _kept(predicted.low, predicted.mid, predicted.high),
        baseline_id=None if baseline is None else baseline.id,
    )
    problem = unit_problem(metric, obs.kpi_delta, obs.low, obs.high)
    if problem is not None:
        raise InvalidValue(*problem)
    project.ledger.observe(obs)
    return obs


def observations(project: Project, target: str | None = None) -> list[tuple[Run, Observation]]:
    """Each run that has an observation (of KPI ``target`` if given), oldest run first,
    with its latest observation (by ``observed_on``, then ``recorded_at``).

    Every observation of a run, oldest first: ``project.ledger.observations(run.id)``.
    """
    if target is not None:
        project.registry.metric(target)
    chosen = latest(project.ledger.observations(target=target))
    if not chosen:
        return []
    runs = {run.id: run for run in project.ledger.runs(target)}
    return [(runs[run_id], chosen[run_id]) for run_id in sorted(chosen) if run_id in runs]


def unit_problem(
    metric: BusinessMetric, kpi_delta: float, low: float, high: float
) -> tuple[str, str] | None:
    """Why a change cannot be one of ``metric`` in its unit, as (keyword, problem), or None.

    A ratio KPI lies from 0 to 1 (a percent KPI from 0 to 100): each of ``kpi_delta``,
    ``low`` and ``high`` lies from -1 to 1 (-100 to 100), and with a baseline ``b``
    within the KPI's range, ``b + kpi_delta`` lies within it too. Other units have no
    such bounds and pass.

    >>> from bizml_nb.core.registry import BusinessMetric
    >>> unit_problem(BusinessMetric("ok_rate", "ratio", "higher", baseline=0.85), 0.21, 0.08, 0.34)[1]
    "0.21 looks like percent points; a ratio KPI takes 0.0021 (for +0.21 pp): 'ok_rate' is a ratio from 0 to 1, and its baseline 0.85 plus 0.21 is 1.06"
    """
    if metric.unit in RATIO_UNITS:
        top, kind = 1.0, "a ratio"
    elif metric.unit in PERCENT_UNITS:
        top, kind = 100.0, "a percent"
    else:
        return None
    name, base = metric.name, metric.baseline
    why = ""
    if abs(kpi_delta) > top:
        why = (
            f"{name!r} is {kind} from 0 to {top:g}, so a change of it lies from {-top:g} to {top:g}"
        )
    elif base is not None and 0 <= base <= top and not 0 <= base + kpi_delta <= top:
        why = (
            f"{name!r} is {kind} from 0 to {top:g}, and its baseline {base:g} plus "
            f"{kpi_delta:g} is {base + kpi_delta:g}"
        )
    if why and top == 1.0:
        hint = f"a ratio KPI takes {kpi_delta / 100:.6g} (for {kpi_delta:+g} pp)"
        return "kpi_delta", f"{kpi_delta:g} looks like percent points; {hint}: {why}"
    if why:
        return "kpi_delta", f"{kpi_delta:g} cannot be a change of {name!r}: {why}"
    if max(abs(low), abs(high)) > top:
        scaled = f"[{low / 100:.6g}, {high / 100:.6g}]"
        return "interval", (
            f"[{low:g}, {high:g}] reaches beyond a change of {name!r}, {kind} from 0 to "
            f"{top:g} (a change lies from {-top:g} to {top:g})"
            + (f"; in percent points, a ratio KPI takes {scaled}" if top == 1.0 else "")
        )
    return None


# --------------------------------------------------------------------------- arguments


def _kept(low: float, mid: float, high: float) -> tuple[float, float, float]:
    """A prediction as an observation keeps it: 10 significant digits, as records keep
    floats, so the float noise of its arithmetic (0.0054 computed as
    0.005400000000000005) stays out of records."""
    low, mid, high = (float(f"{end:.10g}") for end in (low, mid, high))
    return low, mid, high


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidValue(key, f"must be a number (not {shown(value)})")
    return float(value)


def _interval(interval: Any) -> tuple[float, float]:
    if isinstance(interval, str) or not hasattr(interval, "__len__") or len(interval) != 2:
        raise InvalidValue(
            "interval", f"needs two numbers, (low, high), around kpi_delta (not {shown(interval)})"
        )
    low, high = (_number(end, "interval") for end in interval)
    return low, high


def _day(on: str | date | None, run: Run) -> str:
    """The day the measurement ended: not before the run started, not after today."""
    now = datetime.now(UTC).date()
    day: date | None = None
    if on is None:
        day = now
    elif isinstance(on, date) and not isinstance(on, datetime):
        day = on
    elif isinstance(on, str) and len(on) == 10:
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(on)
    if day is None:
        raise InvalidValue("on", f"is {shown(on)}, not a date; write it as YYYY-MM-DD")
    started = run.started_at[:10]
    if day.isoformat() < started:
        raise InvalidValue(
            "on",
            f"is {day.isoformat()}, before run {describe_run(run)} started ({started}); "
            "give the day the measurement of its model ended",
        )
    today = max(now, date.today())  # today where the user is, if east of UTC
    if day > today:
        raise InvalidValue(
            "on",
            f"is {day.isoformat()}, after today ({today.isoformat()}); give the day the "
            "measurement ended",
        )
    return day.isoformat()
