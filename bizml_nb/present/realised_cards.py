"""Cards for realised value: a run's prediction checked, and the realised impact of launches.

Each is a :class:`~bizml_nb.core.card.CardMixin` card over a typed result of
:mod:`bizml_nb.projects.realised_value`, which decides every number; the card words it:

- :class:`ObservationCard` (``application/vnd.bizml.observation+json``): predicted vs
  realised, inside the predicted 90% range or not, the money per year at the realised
  change, its source and date (and how it was computed from a daily table);
- :class:`ImpactCard` (``application/vnd.bizml.realised-impact+json``): realised money
  per year and to date, raw and shrunk, the winner's curse correction, the launched runs
  not measured, the method and its assumptions.

The calibration card is in :mod:`bizml_nb.present.calibration_card`. ``text/plain`` is
deterministic: runs are named with their 12-character short id (longer where runs a
card lists share those 12: :func:`~bizml_nb.core.run.unique_prefixes`), and the only
date not recorded by the user is the ``today`` that money to date is counted to
(``--today`` sets it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core._records import portable
from bizml_nb.core.card import CardMixin, Row, one_line
from bizml_nb.core.notebook_records import OBSERVATION_MIME
from bizml_nb.core.run import unique_prefixes
from bizml_nb.projects.project import short_id
from bizml_nb.projects.realised_value import (
    Checked,
    KpiImpact,
    RealisedImpact,
    checked,
    realised_impact,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from bizml_nb.core.registry import BusinessMetric
    from bizml_nb.core.run import Run
    from bizml_nb.impact.shrinkage import Cumulative
    from bizml_nb.projects.project import Project

IMPACT_MIME = "application/vnd.bizml.realised-impact+json"
OBSERVE_HINT = (
    "`%bizml observed RUN --kpi-delta D --interval LOW HIGH --source TEXT` "
    "(or `--csv FILE` of daily control/treatment figures)"
)
LEVEL = units.level_text(units.RANGE_LEVEL)
#: the line under a prediction made now, not kept with the observation it is judged against
NOT_KEPT = (
    "prediction against the current baseline: this observation was recorded before "
    "predictions were kept with it"
)


def named(run: Run, ids: Mapping[str, str] | None = None) -> str:
    """A run as cards name it: ``"two-tower v2" (id 01JD7Q2XAB3C)``; ``ids`` (from
    :func:`~bizml_nb.core.run.unique_prefixes`) gives the prefix of a run a card lists
    beside others, else its 12-character short id."""
    shown = short_id(run.id) if ids is None else ids.get(run.id, short_id(run.id))
    return f'"{one_line(run.name)}" (id {shown})'


def _money(amount: float | None, currency: str, per: str = "/yr") -> str:
    return "not priced" if amount is None else units.money(amount, currency, signed=True) + per


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True, repr=False)
class ObservationCard(CardMixin):
    """A run's predicted KPI change beside the change that was measured."""

    checked: Checked

    mime_type: ClassVar[str | None] = OBSERVATION_MIME
    css_class: ClassVar[str] = "bizml-observation"
    label_width: ClassVar[int] = 15

    def title(self) -> str:
        run = self.checked.run
        return f"{run.name}  ->  {run.target}: predicted vs realised"

    def rows(self) -> list[Row]:
        c = self.checked
        kpi, obs = c.kpi, c.observation
        rows: list[Row] = [("Run", named(c.run))]
        predicted = c.predicted
        if predicted is None:
            rows.append(("Predicted", _no_prediction(c)))
        else:
            rows.append(("Predicted", _change(predicted.low, predicted.mid, predicted.high, kpi)))
            if c.against_current_baseline:
                rows.append(("", NOT_KEPT))
            value = c.predicted_value
            if value is not None:
                rows.append(
                    (
                        "Predicted value",
                        units.money_range(value.low, value.mid, value.high, c.currency, per="/yr"),
                    )
                )
        if obs is None:
            rows.append(
                (
                    "Realised",
                    f"not measured yet; record it with {OBSERVE_HINT.replace('RUN', short_id(c.run.id), 1)}",
                )
            )
            return rows
        level = units.level_text(obs.level)
        rows.append(("Realised", _change(obs.low, obs.kpi_delta, obs.high, kpi, obs.level)))
        if c.inside is not None and predicted is not None:
            rows.append(("Check", self._check()))
        if c.value_per_year is None:
            rows.append(("Value", f"not priced: declare {kpi.name}'s value_per_unit"))
        else:
            v = c.value_per_year
            rows.append(
                (
                    "Value",
                    "about "
                    + units.money_range(
                        v.low, v.mid, v.high, c.currency, per="/yr", level=obs.level
                    )
                    + " at the realised change",
                )
            )
        rows.append(("Source", f"{obs.source}; measured until {obs.observed_on}"))
        if obs.method is not None:
            days = f"{obs.n_days} days: " if obs.n_days is not None else ""
            rows.append(("Method", f"{days}{obs.method}"))
        elif obs.level != units.RANGE_LEVEL:
            rows.append(("Method", f"the realised interval is {level}, as reported"))
        return rows

    def _check(self) -> str:
        c = self.checked
        obs, predicted = c.observation, c.predicted
        assert obs is not None
        assert predicted is not None
        unit = c.kpi.unit
        if c.inside:
            text = f"inside the predicted {LEVEL} range"
        elif obs.kpi_delta < predicted.low:
            text = (
                f"below the predicted {LEVEL} range: {units.kpi_delta(obs.kpi_delta, unit)} "
                f"under its low end {units.kpi_delta(predicted.low, unit)}"
            )
        else:
            text = (
                f"above the predicted {LEVEL} range: {units.kpi_delta(obs.kpi_delta, unit)} "
                f"over its high end {units.kpi_delta(predicted.high, unit)}"
            )
        ratio = c.ratio
        if ratio is not None:
            text += f"; realised {units.percent(ratio)} of the predicted mid"
        return text

    def record(self) -> dict[str, Any]:
        """The figures as JSON, floats to 10 significant digits (alike on every machine),
        but the observation's own record exactly as stored: ``bizml ledger import``
        brings it back into another ledger unchanged, down to its last digit."""
        figures = portable(self._figures())
        if self.checked.observation is not None:
            figures["observation"] = self.checked.observation.to_record()
        return figures  # type: ignore[no-any-return]

    def _figures(self) -> dict[str, Any]:
        c = self.checked
        value = c.predicted_value
        return {
            "run_id": c.run.id,
            "kpi": c.kpi.name,
            "unit": c.kpi.unit,
            "currency": c.currency,
            "predicted": None if c.predicted is None else c.predicted.to_list(),
            "predicted_value_per_year": None if value is None else value.to_list(),
            "observation": None if c.observation is None else c.observation.to_record(),
            "inside": c.inside,
            "frozen": c.frozen,
            "value_per_year": None if c.value_per_year is None else c.value_per_year.to_list(),
        }


def _no_prediction(c: Checked) -> str:
    """Why a run has no predicted change (it is then left out of calibration)."""
    if c.impact is None:
        return "none: the run failed, so nothing was predicted"
    if c.impact.is_baseline:
        return f"none: this run is {c.kpi.name}'s baseline, which the others are compared with"
    why = f" ({c.impact.notes[0]})" if c.impact.notes else ""
    return f"none: no link gives this run a change of {c.kpi.name}{why}"


def _change(
    low: float, mid: float, high: float, kpi: BusinessMetric, level: float = units.RANGE_LEVEL
) -> str:
    return (
        f"{units.kpi_delta(mid, kpi.unit)} {kpi.name} "
        f"{units.kpi_interval(low, high, kpi.unit, level=level)}"
    )


def observation_card(project: Project, run: str | Run) -> ObservationCard:
    """The card of a run's prediction against its latest observation."""
    return ObservationCard(checked(project, run))


# --------------------------------------------------------------------------- realised impact


@dataclass(frozen=True, repr=False)
class ImpactCard(CardMixin):
    """What launched runs realised: money to date and per year, raw and shrunk."""

    result: RealisedImpact

    mime_type: ClassVar[str | None] = IMPACT_MIME
    css_class: ClassVar[str] = "bizml-realised-impact"
    label_width: ClassVar[int] = 12

    def title(self) -> str:
        r = self.result
        since = f" since {r.since}" if r.since else ""
        return f"Realised impact of launched runs{since}, to {r.today} ({r.currency})"

    def empty_text(self) -> str:
        return (
            "no launched run yet; mark one with `%bizml deployed RUN --on YYYY-MM-DD` and record "
            f"what it did with {OBSERVE_HINT}"
        )

    def rows(self) -> list[Row]:
        rows: list[Row] = []
        ids = unique_prefixes(
            run.id
            for item in self.result.kpis
            for run in (
                *(launch.run for launch in item.launches),
                *item.not_measured,
                *item.no_interval,
            )
        )
        for item in self.result.kpis:
            rows.extend(self._kpi_rows(item, ids))
        return rows

    def _kpi_rows(self, item: KpiImpact, ids: Mapping[str, str]) -> list[Row]:
        kpi = item.kpi
        n = len(item.launches)
        launched = n + len(item.not_measured) + len(item.no_interval)
        rows: list[Row] = [("KPI", f"{kpi.name}: {launched} launched, {n} measured")]
        total = item.cumulative
        if total is not None:
            rows.extend(self._sums(item, total))
        for launch in item.launches:
            obs = launch.observation
            rows.append(
                (
                    "Launch",
                    f"{named(launch.run, ids)} live since {launch.run.deployed_on}: "
                    f"{units.kpi_delta(obs.kpi_delta, kpi.unit)} realised, "
                    f"{units.kpi_delta(launch.shrunk, kpi.unit)} shrunk"
                    + ("; a significant win" if launch.significant else ""),
                )
            )
        for run in item.not_measured:
            rows.append(
                (
                    "Not measured",
                    f"{named(run, ids)} live since {run.deployed_on}: counted nowhere (not as "
                    f"0, not as its prediction); record it with "
                    f"{OBSERVE_HINT.replace('RUN', ids[run.id], 1)}",
                )
            )
        for run in item.no_interval:
            rows.append(
                (
                    "No interval",
                    f"{named(run, ids)}: its observation has an interval of zero width, so no "
                    "standard error; not counted",
                )
            )
        if total is not None:
            rows.append(("Method", total.method))
        return rows

    def _sums(self, item: KpiImpact, total: Cumulative) -> list[Row]:
        """The rows of a KPI's sums: money (or KPI units when unpriced), wins, shrinkage."""
        cur, kpi, today = self.result.currency, item.kpi, self.result.today
        rows: list[Row] = []
        priced = item.value_per_unit is not None
        if priced:
            (raw, shrunk), (raw_d, shrunk_d) = item.per_year, item.to_date
            rows.append(("Per year", f"raw {_money(raw, cur)}, shrunk {_money(shrunk, cur)}"))
            rows.append(
                (
                    "To date",
                    f"raw {_money(raw_d, cur, '')}, shrunk {_money(shrunk_d, cur, '')} "
                    f"(each launch from its deployed_on to {today})",
                )
            )
        else:
            rows.append(
                (
                    "Value",
                    f"not priced: declare {kpi.name}'s value_per_unit to see money; the sums "
                    f"are in {kpi.name}'s unit",
                )
            )
        rows.append(
            (
                "Effects",
                f"sum {units.kpi_delta(item.sign * total.raw_total, kpi.unit)} raw, "
                f"{units.kpi_delta(item.sign * total.shrunk_total, kpi.unit)} shrunk",
            )
        )
        if not total.n_wins:
            side = "below" if item.sign < 0 else "above"
            rows.append(("Wins", f"none significant (no 90% interval {side} 0)"))
        elif priced:
            wraw, wshrunk = item.wins_per_year
            curse = -(item.winners_curse or 0.0)
            rows.append(
                (
                    "Wins",
                    f"{total.n_wins} significant: raw {_money(wraw, cur)}, shrunk "
                    f"{_money(wshrunk, cur)}" + _curse(total, _money(curse, cur)),
                )
            )
        else:
            rows.append(
                (
                    "Wins",
                    f"{total.n_wins} significant: raw "
                    f"{units.kpi_delta(item.sign * total.raw_wins, kpi.unit)}, "
                    f"shrunk {units.kpi_delta(item.sign * total.shrunk_wins, kpi.unit)}"
                    + _curse(total, units.kpi_delta(-item.sign * total.winners_curse, kpi.unit)),
                )
            )
        shrinkage = total.shrinkage
        if shrinkage.applied:
            low, high = (units.percent(f(shrinkage.factors)) for f in (min, max))
            share = low if low == high else f"from {low} to {high}"
            text = (
                f"applied to {shrinkage.k} effects: each keeps {share} of its distance from "
                f"their mean {units.kpi_delta(item.sign * shrinkage.mu, kpi.unit)} (the noisier, the less)"
            )
        else:
            text = shrinkage.method
        rows.append(("Shrinkage", text))
        return rows

    def notes(self) -> list[str]:
        if not self.result.kpis:
            return []
        return [f"Assumptions: {'; '.join(self.result.assumptions)}."]

    def record(self) -> dict[str, Any]:
        """The figures as JSON, floats to 10 significant digits (alike on every machine)."""
        return portable(self._figures())  # type: ignore[no-any-return]

    def _figures(self) -> dict[str, Any]:
        r = self.result
        return {
            "currency": r.currency,
            "since": r.since,
            "today": r.today,
            "assumptions": list(r.assumptions),
            "kpis": [
                {
                    "kpi": item.kpi.name,
                    "unit": item.kpi.unit,
                    "value_per_unit": item.value_per_unit,
                    "per_year": list(item.per_year),
                    "to_date": list(item.to_date),
                    "wins_per_year": list(item.wins_per_year),
                    "wins_to_date": list(item.wins_to_date),
                    "winners_curse": item.winners_curse,
                    "shrinkage_applied": None
                    if item.cumulative is None
                    else item.cumulative.shrinkage.applied,
                    "launches": [
                        {
                            "run_id": launch.run.id,
                            "deployed_on": launch.run.deployed_on,
                            "days_live": launch.days_live,
                            "realised": launch.observation.kpi_delta,
                            "se": launch.se,
                            "shrunk": launch.shrunk,
                            "significant": launch.significant,
                        }
                        for launch in item.launches
                    ],
                    "not_measured": [run.id for run in item.not_measured],
                    "no_interval": [run.id for run in item.no_interval],
                    "method": item.method,
                    "shrinkage_method": item.shrinkage_method,
                }
                for item in r.kpis
            ],
        }


def _curse(total: Cumulative, correction: str) -> str:
    """The winner's curse correction of a KPI's wins, in words."""
    if not total.shrinkage.applied:
        return "; no winner's curse correction (shrinkage not applied)"
    return f"; winner's curse correction {correction}"


def impact_card(
    project: Project,
    since: str | date | None = None,
    target: str | None = None,
    *,
    today: str | date | None = None,
) -> ImpactCard:
    """The realised impact card of the project's launched runs (see
    :func:`bizml_nb.projects.realised_value.realised_impact`)."""
    return ImpactCard(realised_impact(project, since=since, target=target, today=today))


__all__ = [
    "IMPACT_MIME",
    "NOT_KEPT",
    "OBSERVATION_MIME",
    "OBSERVE_HINT",
    "ImpactCard",
    "ObservationCard",
    "impact_card",
    "named",
    "observation_card",
]
