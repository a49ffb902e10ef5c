"""The report's "Predicted vs realised" section: how the predictions held up once measured.

Worded from the typed results of :mod:`bizml_nb.projects.realised_value` (which decide
every number): per KPI, :func:`~bizml_nb.projects.realised_value.calibration_of` gives
the runs with both a prediction and an observation, the share of realised changes inside
their predicted 90% range and the haircut (realised per unit predicted) with its 90%
interval; :func:`~bizml_nb.projects.realised_value.realised_impact` gives the money the
launched runs realised per year and to date, raw and shrunk (corrected for the winner's
curse), and the launched runs not measured (listed, never counted).

A project with neither an observation nor a launched run has no such section; one with
launched runs but no observation gets one line saying what to record. The one-screen
summary gets one line per KPI whose predictions were materially too optimistic: the
haircut's 90% interval lies wholly below 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bizml_nb.core import units
from bizml_nb.impact.observed import MIN_POINTS
from bizml_nb.present.report_words import Line, User

if TYPE_CHECKING:
    from datetime import date

    from bizml_nb.projects.project import Project
    from bizml_nb.projects.realised_value import KpiCalibration, KpiImpact

TITLE = "Predicted vs realised"
#: The columns of the section's table, one row per KPI.
COLUMNS = (
    "KPI",
    "runs predicted and measured",
    "inside the predicted 90% range",
    "haircut: realised per unit predicted (90%)",
    "realised per year: raw, shrunk",
    "realised to date: raw, shrunk",
    "launched, not measured",
)


@dataclass
class Realised:
    """The section, worded: ``rows`` (one per KPI, each cell a :data:`Line`), the lines
    under the table (``notes``), and the summary's lines (``optimistic``)."""

    today: str
    rows: list[list[Line]] = field(default_factory=list)
    notes: list[Line] = field(default_factory=list)
    optimistic: list[Line] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows and not self.notes


def realised_section(project: Project, today: str | date | None = None) -> Realised:
    """The section of ``project`` (money to date counted to ``today``, default today UTC)."""
    from bizml_nb.projects.realised_value import calibration_of, realised_impact

    if not project.registry.metrics:  # no KPI: nothing can have been predicted or measured
        return Realised(today="")
    calibrations = {item.kpi.name: item for item in calibration_of(project)}
    realised = realised_impact(project, today=today)
    impacts = {item.kpi.name: item for item in realised.kpis}
    section = Realised(today=realised.today)
    measured = [
        name
        for name in project.registry.metrics
        if name in calibrations or (name in impacts and impacts[name].launches)
    ]
    cur = project.registry.currency
    if not measured:
        waiting = [run for item in impacts.values() for run in item.not_measured]
        if waiting:
            names = ", ".join(repr(run.name) for run in waiting)
            section.notes.append(
                [
                    f"No launch measured yet: {len(waiting)} launched run(s) have no observation (",
                    User(names),
                    "); record each A/B test or launch result with `%bizml observed RUN "
                    "--kpi-delta D --interval LOW HIGH --source S --on DATE`.",
                ]
            )
        return section
    for name in measured:
        cal, impact = calibrations.get(name), impacts.get(name)
        section.rows.append(_row(name, cal, impact, cur))
        section.notes.extend(_notes(name, impact, cur))
        if cal is not None and cal.calibration is not None and cal.calibration.haircut_high < 1:
            section.optimistic.append(_optimistic(name, cal))
    section.notes.append(
        [
            "Haircut: the least-squares slope of realised on predicted change through the "
            "origin; shrunk: each realised change pulled toward its KPI's mean effect (empirical "
            "Bayes), which corrects the winner's curse. Money to date counts each launch from "
            f"its launch day to {section.today}. Launched runs not measured are counted nowhere "
            "(not as 0, not as their prediction)."
        ]
    )
    return section


def _row(name: str, cal: KpiCalibration | None, impact: KpiImpact | None, cur: str) -> list[Line]:
    n = 0 if cal is None else cal.n
    inside = 0 if cal is None else sum(point.inside for point in cal.points)
    share: Line = [f"{inside} of {n} ({units.percent(inside / n)})" if n else "none"]
    if cal is not None and cal.calibration is not None:
        c = cal.calibration
        haircut: Line = [f"{c.haircut:.2f} [{c.haircut_low:.2f}, {c.haircut_high:.2f}]"]
    elif cal is not None and cal.why_not:
        haircut = [cal.why_not]  # e.g. "every prediction is 0; ..."
    else:
        haircut = [f"needs {MIN_POINTS} runs (here {n})"]
    per_year: Line = ["no launch measured"]
    to_date: Line = ["no launch measured"]
    waiting: Line = ["none"]
    if impact is not None:
        if impact.launches:
            if impact.value_per_unit is None:
                per_year = to_date = ["not priced"]
            else:
                per_year = [_pair(impact.per_year, cur, "/yr")]
                to_date = [_pair(impact.to_date, cur, "")]
        if impact.not_measured:
            waiting = [
                f"{len(impact.not_measured)}: ",
                User(", ".join(repr(run.name) for run in impact.not_measured)),
            ]
    return [[User(name)], [str(n)], share, haircut, per_year, to_date, waiting]


def _pair(values: tuple[float | None, float | None], cur: str, per: str) -> str:
    raw, shrunk = values
    assert raw is not None
    assert shrunk is not None
    return (
        f"{units.money(raw, cur, signed=True)}{per}, {units.money(shrunk, cur, signed=True)}{per}"
    )


def _notes(name: str, impact: KpiImpact | None, cur: str) -> list[Line]:
    """The winner's curse of a KPI's significant wins, when it has any and is priced."""
    if impact is None or impact.cumulative is None or not impact.cumulative.n_wins:
        return []
    raw, shrunk = impact.wins_per_year
    if raw is None or shrunk is None:
        return []
    total = impact.cumulative
    if not total.shrinkage.applied:
        return [
            [
                User(name),
                f": {total.n_wins} significant win(s), {units.money(raw, cur, signed=True)}/yr; "
                "too few measured launches (under 3) to correct for the winner's curse.",
            ]
        ]
    return [
        [
            User(name),
            f": {total.n_wins} significant win(s) add up to {units.money(raw, cur, signed=True)}"
            f"/yr as measured, {units.money(shrunk, cur, signed=True)}/yr once shrunk: the "
            f"winner's curse overstates them by {units.money(raw - shrunk, cur)}/yr.",
        ]
    ]


def _optimistic(name: str, cal: KpiCalibration) -> Line:
    c = cal.calibration
    assert c is not None
    return [
        "Predictions of ",
        User(name),
        f" were too optimistic: launches realised {c.haircut:.2f} of the predicted change "
        f"(90%: {c.haircut_low:.2f} to {c.haircut_high:.2f}, over {c.n} runs); scale new "
        "predictions by it before deciding.",
    ]
