"""Predicted against realised: a run's check, calibration per KPI, and realised impact.

The typed results the realised-value cards word (:mod:`bizml_nb.present.realised_cards`);
each is built from the project's ledger (runs, ``deployed_on`` dates, observations
recorded by :func:`bizml_nb.projects.realised.observe`) and registry, and decides what
the numbers are; a card only words them.

- :func:`checked`: one run, its prediction beside its latest observation, whether the
  realised change fell inside the predicted 90% range, and the money per year at the
  realised change and over its interval;
- :func:`calibration_of`: per KPI, :func:`bizml_nb.impact.observed.calibration` over
  every observed run with a prediction (predicted mid/low/high against realised);
- :func:`realised_impact`: over launched runs, per KPI, the realised effects with
  :func:`bizml_nb.impact.shrinkage.cumulative` (the sum of wins raw and corrected for
  the winner's curse), in money per year and to date; launched runs without an
  observation are listed as not measured, never counted as zero or as their prediction.

The prediction an observation is judged against is the one kept with it when it was
recorded (:func:`judged_against`), so a baseline set later changes no check and no
calibration point. An observation recorded before predictions were kept with
observations (an older ledger) has none: it is judged against the run's prediction
against its KPI's *current* baseline run, and the result says so (``frozen`` False).

Money at a realised change is priced exactly as :func:`bizml_nb.impact.engine.estimate`
prices a predicted one: the change's :class:`~bizml_nb.impact.Range` scaled by the KPI's
money per unit per year (:func:`bizml_nb.impact.links.value_per_unit`).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bizml_nb.core.errors import InvalidValue
from bizml_nb.core.observation import Observation, latest
from bizml_nb.core.units import RANGE_LEVEL
from bizml_nb.impact.links import value_per_unit
from bizml_nb.impact.model import Range
from bizml_nb.impact.observed import MIN_POINTS, Calibration, calibration, se_from_interval
from bizml_nb.impact.shrinkage import Cumulative, cumulative
from bizml_nb.projects.realised import observations

if TYPE_CHECKING:
    from bizml_nb.core.registry import BusinessMetric, Registry
    from bizml_nb.core.run import Run
    from bizml_nb.impact.model import Impact
    from bizml_nb.projects.project import Project

#: Days in a year when money per year becomes money to date.
DAYS_PER_YEAR = 365.25

TO_DATE = (
    "money to date = each launch's money per year x the days from its deployed_on to {today} "
    "/ 365.25; assumes its realised change held every day since launch, at the KPI's "
    "current value per unit"
)
STANDARD_ERRORS = (
    "each effect is the run's latest observation; its standard error is read from the "
    "observation's interval as a normal one, se = (high - low) / (2 z) at its level"
)


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class Checked:
    """One run's prediction beside what was measured.

    ``impact`` is the run's predicted impact against its KPI's current baseline run.
    ``predicted`` is the predicted KPI change with its 90% range that the observation is
    judged against (:func:`judged_against`): the one kept with the observation
    (``frozen``), else the impact's ``business_delta`` (None for a baseline run or a run
    without an estimate); ``predicted_value`` is its money per year. ``inside`` says
    whether the realised change lies in that range (None without both);
    ``value_per_year`` is the money per year at the realised change (mid) and at the
    ends of its interval (low, high), None when unmeasured or unpriced.
    """

    run: Run
    kpi: BusinessMetric
    currency: str
    impact: Impact | None
    observation: Observation | None
    inside: bool | None
    value_per_unit: float | None  # money per year for +1 unit of the KPI
    value_per_year: Range | None
    predicted: Range | None = None
    #: the prediction was kept with the observation when it was recorded (False: none
    #: was, or no observation; ``predicted`` is then against the current baseline run)
    frozen: bool = False
    predicted_value: Range | None = None  # money per year at ``predicted``

    @property
    def against_current_baseline(self) -> bool:
        """An observation judged against a prediction made now, not one kept with it."""
        return self.observation is not None and self.predicted is not None and not self.frozen

    @property
    def ratio(self) -> float | None:
        """Realised over predicted mid (None without both or with a zero prediction)."""
        predicted, obs = self.predicted, self.observation
        if predicted is None or obs is None or predicted.mid == 0:
            return None
        return obs.kpi_delta / predicted.mid


def checked(project: Project, run: str | Run) -> Checked:
    """The run (a :class:`~bizml_nb.core.run.Run` or how ``%bizml show`` names one), its
    predicted impact and its latest observation, checked against each other."""
    from bizml_nb.core.run import Run

    found = run if isinstance(run, Run) else project.run(run)
    registry = project.registry
    kpi = registry.metric(found.target)
    impact = project.impact(found)
    chosen = latest(project.ledger.observations(found.id)).get(found.id)
    predicted, frozen = judged_against(chosen, impact)
    inside = None
    if predicted is not None and chosen is not None:
        inside = predicted.low <= chosen.kpi_delta <= predicted.high
    price = value_per_unit(registry, kpi.name)
    if impact is not None and _same(impact.business_delta, predicted):
        predicted_value = impact.value_per_year  # priced exactly as the run's card prices it
    else:  # a kept prediction the current baseline no longer gives: at today's price
        predicted_value = None if predicted is None or price is None else predicted.scaled(price)
    return Checked(
        run=found,
        kpi=kpi,
        currency=registry.currency,
        impact=impact,
        observation=chosen,
        inside=inside,
        value_per_unit=price,
        value_per_year=None if chosen is None else money_per_year(chosen, price),
        predicted=predicted,
        frozen=frozen,
        predicted_value=predicted_value,
    )


def _same(a: Range | None, b: Range | None) -> bool:
    """Whether two predicted ranges are the same, but for the last digits of a float."""
    if a is None or b is None:
        return a is b
    pairs = zip(a.to_list(), b.to_list(), strict=True)
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-300) for x, y in pairs)


def judged_against(obs: Observation | None, impact: Impact | None) -> tuple[Range | None, bool]:
    """The prediction ``obs`` is judged against, and whether it was kept with it.

    The prediction kept with the observation when it was recorded, else (an observation
    recorded before predictions were kept, or none) ``impact``'s ``business_delta``: the
    run's prediction against its KPI's current baseline run.
    """
    kept = None if obs is None else obs.predicted
    if kept is not None:
        return Range(*kept), True
    return (None if impact is None else impact.business_delta), False


def money_per_year(obs: Observation, price: float | None) -> Range | None:
    """Money per year at the realised change (mid) and its interval's ends (low, high):
    the change priced as a predicted one is (a Range scaled by the value per unit)."""
    if price is None:
        return None
    return Range(obs.low, obs.kpi_delta, obs.high).scaled(price)


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Point:
    """One observed run with a prediction: a point of the calibration chart."""

    run: Run
    predicted: Range
    observation: Observation
    #: kept with the observation when it was recorded (False: against the current baseline)
    frozen: bool = True

    @property
    def inside(self) -> bool:
        return self.predicted.low <= self.observation.kpi_delta <= self.predicted.high


@dataclass(frozen=True)
class KpiCalibration:
    """Predicted against realised for one KPI.

    ``calibration`` is None when it cannot be computed (fewer than 2 points, or every
    prediction 0); ``why_not`` then says why. ``unpredicted`` are observed runs with no
    prediction (a baseline run, a failed run, no link applied): excluded.
    """

    kpi: BusinessMetric
    points: tuple[Point, ...]
    calibration: Calibration | None
    unpredicted: tuple[Run, ...]
    why_not: str | None = None

    @property
    def n(self) -> int:
        return len(self.points)


def calibration_of(project: Project, target: str | None = None) -> list[KpiCalibration]:
    """One :class:`KpiCalibration` per declared KPI with observed runs (of ``target`` if
    given), in the registry's order. Each run's prediction is the one kept with its
    observation, else its impact against its KPI's current baseline run (the point is
    then not ``frozen``); ranges are 90% (``range_level``), intervals 90%."""
    registry = project.registry
    pairs = observations(project, target)
    result = []
    for kpi in registry.metrics.values():
        mine = [(run, obs) for run, obs in pairs if run.target == kpi.name]
        if not mine:
            continue
        points: list[Point] = []
        unpredicted: list[Run] = []
        for run, obs in mine:
            impact = None if obs.predicted is not None else project.impact(run)
            predicted, frozen = judged_against(obs, impact)
            if predicted is None:
                unpredicted.append(run)
            else:
                points.append(Point(run, predicted, obs, frozen))
        fitted, why_not = None, None
        if len(points) < MIN_POINTS:
            why_not = (
                f"needs at least {MIN_POINTS} runs with a prediction and an observation "
                f"(here {len(points)})"
            )
        elif all(p.predicted.mid == 0 for p in points):
            why_not = "every prediction is 0; a haircut (realised / predicted) needs a nonzero one"
        else:
            fitted = calibration(
                [p.predicted.mid for p in points],
                [p.predicted.low for p in points],
                [p.predicted.high for p in points],
                [p.observation.kpi_delta for p in points],
                level=RANGE_LEVEL,
                range_level=RANGE_LEVEL,
            )
        result.append(KpiCalibration(kpi, tuple(points), fitted, tuple(unpredicted), why_not))
    return result


# --------------------------------------------------------------------------- realised impact


@dataclass(frozen=True)
class Launch:
    """A launched run with its observation: its effect, standard error and days live."""

    run: Run
    observation: Observation
    se: float
    shrunk: float  # its empirical Bayes estimate (the raw one when not applied)
    days_live: int  # from its deployed_on to the result's ``today`` (0 if later)
    significant: bool  # one of the cumulative's significant wins


@dataclass(frozen=True)
class KpiImpact:
    """Realised impact of one KPI's launched runs (see :func:`realised_impact`).

    Money is None for an unpriced KPI. ``per_year`` and ``to_date`` are (raw, shrunk)
    over every measured launch; ``wins_per_year`` and ``wins_to_date`` over the
    significant wins only; ``winners_curse`` = raw minus shrunk wins per year.
    """

    kpi: BusinessMetric
    launches: tuple[Launch, ...]
    cumulative: Cumulative | None  # None when no launch of the KPI is measured
    value_per_unit: float | None
    not_measured: tuple[Run, ...]
    no_interval: tuple[Run, ...]  # measured with a zero-width interval: no standard error
    #: +1 when higher is better, -1 when lower is: the cumulative sees effects turned so
    #: that a win is positive; multiply its sums by ``sign`` for the KPI's own change
    sign: int = 1

    def _sum(self, *, shrunk: bool, wins: bool, to_date: bool) -> float | None:
        price = self.value_per_unit
        if price is None:
            return None
        total = 0.0
        for launch in self.launches:
            if wins and not launch.significant:
                continue
            effect = launch.shrunk if shrunk else launch.observation.kpi_delta
            days = launch.days_live / DAYS_PER_YEAR if to_date else 1.0
            total += effect * price * days
        return total

    @property
    def per_year(self) -> tuple[float | None, float | None]:
        return (
            self._sum(shrunk=False, wins=False, to_date=False),
            self._sum(shrunk=True, wins=False, to_date=False),
        )

    @property
    def to_date(self) -> tuple[float | None, float | None]:
        return (
            self._sum(shrunk=False, wins=False, to_date=True),
            self._sum(shrunk=True, wins=False, to_date=True),
        )

    @property
    def wins_per_year(self) -> tuple[float | None, float | None]:
        return (
            self._sum(shrunk=False, wins=True, to_date=False),
            self._sum(shrunk=True, wins=True, to_date=False),
        )

    @property
    def wins_to_date(self) -> tuple[float | None, float | None]:
        return (
            self._sum(shrunk=False, wins=True, to_date=True),
            self._sum(shrunk=True, wins=True, to_date=True),
        )

    @property
    def winners_curse(self) -> float | None:
        """Money per year by which the raw sum of wins overstates the shrunk one."""
        raw, shrunk = self.wins_per_year
        return None if raw is None or shrunk is None else raw - shrunk

    @property
    def method(self) -> str:
        return "" if self.cumulative is None else self.cumulative.method

    @property
    def shrinkage_method(self) -> str:
        return "" if self.cumulative is None else self.cumulative.shrinkage.method


@dataclass(frozen=True)
class RealisedImpact:
    """Realised impact of the launched runs (deployed from ``since`` to ``today``), per KPI."""

    currency: str
    since: str | None
    today: str
    kpis: tuple[KpiImpact, ...]
    assumptions: tuple[str, ...]

    @property
    def not_measured(self) -> tuple[Run, ...]:
        return tuple(run for kpi in self.kpis for run in kpi.not_measured)


def realised_impact(
    project: Project,
    *,
    since: str | date | None = None,
    target: str | None = None,
    today: str | date | None = None,
) -> RealisedImpact:
    """Realised impact over the runs launched (``deployed_on`` set) from ``since`` to ``today``.

    Per KPI (of ``target`` if given): each measured launch's realised change (its latest
    observation) with its standard error (:func:`~bizml_nb.impact.observed.se_from_interval`
    at the observation's level), :func:`~bizml_nb.impact.shrinkage.cumulative` over
    them, money per year raw and shrunk (each change x the KPI's value per unit) and
    money to date (per year x days from ``deployed_on`` to ``today`` / 365.25; ``today``
    defaults to today in UTC). Launched runs without an observation are listed as not
    measured and counted nowhere.
    """
    registry = project.registry
    if target is not None:
        registry.metric(target)
    start = None if since is None else _date(since, "since")
    end = _date(today, "today") if today is not None else datetime.now(UTC).date()
    if start is not None and start > end:
        raise InvalidValue(
            "today", f"is {end.isoformat()}, before since ({start.isoformat()}); give a later day"
        )
    launched = [  # launched from since to today: a launch after today is not live yet
        run
        for run in project.ledger.runs(target)
        if run.deployed_on is not None
        and (start is None or run.deployed_on >= start.isoformat())
        and run.deployed_on <= end.isoformat()
    ]
    chosen = latest(project.ledger.observations(target=target))
    kpis = []
    for kpi in registry.metrics.values():
        mine = [run for run in launched if run.target == kpi.name]
        if mine:
            kpis.append(_kpi_impact(registry, kpi, mine, chosen, end))
    return RealisedImpact(
        currency=registry.currency,
        since=None if start is None else start.isoformat(),
        today=end.isoformat(),
        kpis=tuple(kpis),
        assumptions=(STANDARD_ERRORS, TO_DATE.format(today=end.isoformat())),
    )


def _kpi_impact(
    registry: Registry,
    kpi: BusinessMetric,
    runs: list[Run],
    chosen: dict[str, Observation],
    today: date,
) -> KpiImpact:
    measured: list[tuple[Run, Observation, float]] = []
    not_measured: list[Run] = []
    no_interval: list[Run] = []
    for run in runs:
        obs = chosen.get(run.id)
        if obs is None:
            not_measured.append(run)
        elif obs.high > obs.low:
            measured.append((run, obs, se_from_interval(obs.low, obs.high, obs.level)))
        else:
            no_interval.append(run)
    total = None
    launches: list[Launch] = []
    sign = -1 if kpi.direction == "lower" else 1  # a win is a change the KPI wants
    if measured:
        total = cumulative(
            [sign * obs.kpi_delta for _, obs, _ in measured], [se for *_, se in measured]
        )
        for i, (run, obs, se) in enumerate(measured):
            assert run.deployed_on is not None
            days = (today - date.fromisoformat(run.deployed_on)).days
            shrunk = sign * total.shrinkage.shrunk[i]
            launches.append(Launch(run, obs, se, shrunk, max(days, 0), i in total.wins))
    return KpiImpact(
        kpi=kpi,
        launches=tuple(launches),
        cumulative=total,
        value_per_unit=value_per_unit(registry, kpi.name),
        not_measured=tuple(not_measured),
        no_interval=tuple(no_interval),
        sign=sign,
    )


def _date(value: str | date, keyword: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value)
    raise InvalidValue(keyword, f"is {value!r}, not a date; write it as YYYY-MM-DD")


__all__ = [
    "DAYS_PER_YEAR",
    "Checked",
    "KpiCalibration",
    "KpiImpact",
    "Launch",
    "Point",
    "RealisedImpact",
    "calibration_of",
    "checked",
    "judged_against",
    "money_per_year",
    "realised_impact",
]
