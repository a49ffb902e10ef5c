"""The ROI template's cards: the decision first, then the inputs and figures behind it.

Each card is a :class:`~bizml_nb.core.card.CardMixin` over an
:class:`~bizml_nb.present.analyses.roi.ROIAnalysis`: deterministic ``text/plain`` (seeded
draws, money to 3 significant digits, shares to whole percents), escaped HTML, and for
the decision card the ROI record (``application/vnd.bizml.roi+json``), all in one output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core._records import figure
from bizml_nb.core.card import CardMixin
from bizml_nb.finance.roi import describe, irr_text
from bizml_nb.present.roi_card import ROI_MIME

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from bizml_nb.present.analyses.roi import ROIAnalysis

WORDS = {"annual_benefit": "the yearly benefit", "deploy_days": "the time to deploy"}


def share(p: float) -> str:
    """A probability in words people read: no '100%' for 99.6%, no '0%' for 0.3%.

    >>> share(0.996), share(0.003), share(0.8)
    ('over 99%', 'under 1%', '80%')
    """
    if 0 < p < 0.01:
        return "under 1%"
    if 0.99 < p < 1:
        return "over 99%"
    return f"{p:.0%}"


def rate(x: float) -> str:
    """A yearly rate or share as percent, 3 significant digits: 0.1 -> '10%'."""
    return f"{x * 100:,.3g}%"


def record_figure(x: float | None) -> float | None:
    """A figure for the record: None unless finite, else 10 significant digits (alike on
    every CPU and BLAS)."""
    return figure(x) if x is not None and math.isfinite(x) else None


def _month(value: float | None, years: int) -> str:
    return f"month {value:.0f}" if value is not None else f"not within {years} years"


def _roi(value: float) -> str:
    return f"{value * 100:,.0f}%" if math.isfinite(value) else "not defined (no costs)"


class _AnalysisCard(CardMixin):
    analysis: ROIAnalysis
    css_class: ClassVar[str] = "bizml-roi"

    def money(self, amount: float, *, signed: bool = False) -> str:
        return units.money(amount, self.analysis.currency, signed=signed)

    def text_width(self) -> int:
        return 1 + max((len(label) for label, _ in self.rows()), default=self.label_width)


@dataclass(frozen=True, repr=False)
class DecisionCard(_AnalysisCard):
    """The recommendation and why, the central case, the range, what would change it."""

    mime_type: ClassVar[str | None] = ROI_MIME
    css_class: ClassVar[str] = "bizml-roi bizml-roi-decision"

    analysis: ROIAnalysis

    def title(self) -> str:
        return (
            f"Decision on {self.analysis.parameters['project_name']}: {self.analysis.decision_text}"
        )

    def reason(self) -> str:
        a = self.analysis
        p, bar = a.simulation.p_positive, float(a.parameters["required_confidence"])
        futures = f"{share(p)} of {a.simulation.draws:,} simulated futures"
        if a.decision_text == "fund":
            return f"the NPV is positive in {futures} (the bar is {share(bar)})"
        if a.decision_text == "fund a first stage":
            return (
                f"the NPV is positive in {futures}, short of the {share(bar)} bar: fund a first "
                f"stage that measures {self.top_words()}, then decide on the full build"
            )
        return f"the NPV is positive in only {futures} (the bar is {share(bar)})"

    def top_words(self) -> str:
        table = self.analysis.table
        return WORDS.get(str(table["input"][0]), str(table["input"][0])) if len(table) else "none"

    def rows(self) -> list[tuple[str, str]]:
        a, p = self.analysis, self.analysis.parameters
        res, sim = a.result, a.simulation
        p10, _, p90 = sim.npv_percentiles()
        rows = [
            ("Why", self.reason()),
            (
                "Central case",
                f"NPV {self.money(res.npv, signed=True)} over {p['years']} years at "
                f"{rate(p['discount'])} a year; payback {res.payback_text}; ROI {_roi(res.roi)}; "
                f"IRR {irr_text(res.irr)}",
            ),
            (
                "Range",
                f"1 future in 10 below {self.money(p10, signed=True)}, 1 in 10 above "
                f"{self.money(p90, signed=True)}",
            ),
        ]
        if len(a.table) and float(a.table["swing"][0]) > 0:
            top = a.table.iloc[0]
            below = (
                f"; below {self.money(a.breakeven)} a year of benefit the central case loses money"
                if math.isfinite(a.breakeven) and a.breakeven > 0
                else ""
            )
            rows.append(
                (
                    "What matters",
                    f"{self.top_words()}: NPV {self.money(top['npv_at_low'], signed=True)} at "
                    f"its P10, {self.money(top['npv_at_high'], signed=True)} at its P90 (1 future "
                    f"in 10 lies beyond each){below}",
                )
            )
        if a.step_gain is not None:
            level = int(p["maturity_level"])
            rows.append(
                (
                    "Maturity",
                    f"one level up ({level} to {level + 1}) changes the median NPV by about "
                    f"{self.money(a.step_gain, signed=True)} (illustrative)",
                )
            )
        deploy = p["deploy_days"]
        rows.append(
            (
                "Figures from",
                f"benefit: {p['benefit_source']}; time to deploy: "
                + (
                    "the Algorithmia 2020 survey prior"
                    if deploy is None
                    else f"{float(deploy):g} days (given)"
                ),
            )
        )
        unchanged = a.unchanged()
        if unchanged:
            rows.append(("Defaults", f"illustrative, review them: {', '.join(unchanged)}"))
        return rows

    def record(self) -> dict[str, Any]:
        """The ROI record the report and ``bizml run`` read; its ``summary`` is this card's text."""
        a, p = self.analysis, self.analysis.parameters
        res, sim = a.result, a.simulation
        npv = sim.npv_percentiles()
        return {
            "format": "bizml.roi",
            "version": 1,
            "template": "roi_analysis",
            "project": p["project_name"],
            "currency": a.currency,
            "decision": a.decision_text,
            "required_confidence": p["required_confidence"],
            "npv": record_figure(res.npv),
            "roi": record_figure(res.roi),
            "payback_month": res.payback_month,
            "irr": record_figure(res.irr),
            "p_npv_positive": record_figure(sim.p_positive),
            "npv_p10_p50_p90": [record_figure(v) for v in npv],
            "payback_p10_p50_p90": [record_figure(v) for v in sim.payback_percentiles()],
            "draws": sim.draws,
            "seed": sim.seed,
            "breakeven_annual_benefit": record_figure(a.breakeven),
            "drivers": [
                {
                    "input": row["input"],
                    "npv_at_low": record_figure(row["npv_at_low"]),
                    "npv_at_high": record_figure(row["npv_at_high"]),
                }
                for row in a.table.to_dict("records")
            ],
            "maturity": {
                "level": p["maturity_level"],
                "name": str(a.levels["name"][p["maturity_level"]]),
                "npv_p50_by_level": [record_figure(v) for v in a.levels["npv_p50"]],
                "gain_next_level": record_figure(a.step_gain),
                "illustrative": True,
            },
            "benefit_from": p["benefit_source"],
            "inputs": {f.name: describe(getattr(a.project, f.name)) for f in fields(a.project)},
            "defaults": a.unchanged(),
            "parameters": dict(p),
            "summary": self.text(),
        }


@dataclass(frozen=True, repr=False)
class InputsCard(_AnalysisCard):
    """Every input restated in words, so that a reader can check them first."""

    analysis: ROIAnalysis

    def title(self) -> str:
        return f"What is assumed: {self.analysis.parameters['project_name']}"

    def rows(self) -> list[tuple[str, str]]:
        p, m = self.analysis.parameters, self.money
        eng = p["eng_months"] * p["monthly_rate"]
        ends = (
            "no future beyond them"
            if p["benefit_range"] == "ends"
            else "a 90% range: 5% of futures beyond each"
        )
        if p["deploy_days"] is None:
            prior = self.analysis.project.deploy_days
            live = (
                f"not given, so the survey prior: median {prior.mode():.0f} days, 1 in 10 "  # type: ignore[union-attr]
                f"projects under {prior.low():.0f} days, 1 in 10 over {prior.high():.0f} days "  # type: ignore[union-attr]
                "(a lognormal fitted to Algorithmia 2020)"
            )
        else:
            live = f"{float(p['deploy_days']):g} days"
        rows = [
            (
                "Benefit",
                f"{m(p['annual_benefit_low'])} to {m(p['annual_benefit_high'])} a year at full "
                f"speed ({ends}), most likely {m(p['annual_benefit_mode'])}; source: "
                f"{p['benefit_source']}",
            ),
            (
                "One-off",
                f"{m(p['data_cost'] + eng + p['infra_setup'])} = engineering "
                f"{p['eng_months']:g} person-months x {m(p['monthly_rate'])} + data "
                f"{m(p['data_cost'])} + infrastructure {m(p['infra_setup'])}",
            ),
            (
                "Running",
                f"{m(p['cloud_per_year'] + p['maintenance_share'] * eng)} a year once live = "
                f"cloud {m(p['cloud_per_year'])} + maintenance {rate(p['maintenance_share'])} "
                "of engineering",
            ),
            ("Going live", live),
            ("Ramp-up", f"the full benefit {p['ramp_months']:g} months after going live"),
            ("Horizon", f"{p['years']} years, discounted at {rate(p['discount'])} a year"),
        ]
        unchanged = self.analysis.unchanged()
        if unchanged:
            rows.append(
                ("Defaults", f"illustrative, not measured; replace them: {', '.join(unchanged)}")
            )
        return rows


@dataclass(frozen=True, repr=False)
class CentralCard(_AnalysisCard):
    """NPV, ROI, payback and IRR with every range at one central value."""

    analysis: ROIAnalysis

    def title(self) -> str:
        return "The central case"

    def rows(self) -> list[tuple[str, str]]:
        a, p = self.analysis, self.analysis.parameters
        res = a.result
        deploy = (
            f"the time to deploy at its median, {a.project.deploy_days.mode():.0f} days"  # type: ignore[union-attr]
            if p["deploy_days"] is None
            else f"the time to deploy {float(p['deploy_days']):g} days"
        )
        return [
            (
                "Taken at",
                f"the yearly benefit at its most likely value, "
                f"{self.money(p['annual_benefit_mode'])}; {deploy}",
            ),
            (
                "NPV",
                f"{self.money(res.npv, signed=True)} over {p['years']} years at "
                f"{rate(p['discount'])} a year",
            ),
            ("ROI", f"{_roi(res.roi)} (NPV over the present value of the costs)"),
            ("Payback", res.payback_text),
            ("IRR", irr_text(res.irr)),
        ]


@dataclass(frozen=True, repr=False)
class SpreadCard(_AnalysisCard):
    """How sure: the chance of a positive NPV, and the NPV and payback across futures."""

    analysis: ROIAnalysis

    def title(self) -> str:
        sim = self.analysis.simulation
        return f"How sure: {sim.draws:,} simulated futures (seed {sim.seed})"

    def rows(self) -> list[tuple[str, str]]:
        sim, years = self.analysis.simulation, int(self.analysis.parameters["years"])
        p10, p50, p90 = sim.npv_percentiles()
        b10, b50, b90 = sim.payback_percentiles()
        m = self.money
        return [
            ("Chance it pays", f"the NPV is above zero in {share(sim.p_positive)} of futures"),
            (
                "NPV",
                f"1 future in 10 below {m(p10, signed=True)}, half below {m(p50, signed=True)}, "
                f"1 in 10 above {m(p90, signed=True)}",
            ),
            (
                "Payback",
                f"{_month(b10, years)} at best (1 in 10), {_month(b50, years)} typically, "
                f"{_month(b90, years)} at worst (1 in 10)",
            ),
        ]


@dataclass(frozen=True, repr=False)
class DriversCard(_AnalysisCard):
    """Each uncertain input at its P10 and P90, and the break-even benefit."""

    analysis: ROIAnalysis

    def title(self) -> str:
        return "What moves the answer most"

    def rows(self) -> list[tuple[str, str]]:
        a, m = self.analysis, self.money
        rows = []
        for row in a.table.to_dict("records"):
            if row["input"] == "annual_benefit":
                low, high = m(row["low"]), m(row["high"])
            else:
                low, high = f"{row['low']:,.0f} days", f"{row['high']:,.0f} days"
            name = WORDS.get(row["input"], row["input"])
            rows.append(
                (
                    name[0].upper() + name[1:],
                    f"NPV {m(row['npv_at_low'], signed=True)} at its P10 ({low}), "
                    f"{m(row['npv_at_high'], signed=True)} at its P90 ({high})",
                )
            )
        mode = float(a.parameters["annual_benefit_mode"])
        if not math.isfinite(a.breakeven):
            even = f"none; the project is not live within {a.parameters['years']} years"
        elif a.breakeven <= 0:
            even = "the project pays even without any benefit"
        else:
            ratio = mode / a.breakeven
            margin = (
                f"{ratio:,.1f} times that"
                if ratio >= 2
                else f"{abs(ratio - 1):.0%} {'above' if ratio >= 1 else 'below'} that"
            )
            even = (
                f"{m(a.breakeven)} a year of benefit gives an NPV of zero in the central case; "
                f"the most likely benefit, {m(mode)}, is {margin}"
            )
        rows.append(("Break-even", even))
        return rows


@dataclass(frozen=True, repr=False)
class MaturityCard(_AnalysisCard):
    """The project at each maturity level (illustrative priors and multipliers)."""

    analysis: ROIAnalysis

    def title(self) -> str:
        return "This project at each maturity level (illustrative)"

    def rows(self) -> Sequence[tuple[str, str]]:
        a = self.analysis
        today = int(a.parameters["maturity_level"])
        rows = [
            (
                f"Level {row['level']}" + (" (today)" if row["level"] == today else ""),
                f"{row['name']}: median {row['median_days_to_deploy']:.0f} days to deploy, "
                f"engineering x{row['eng_multiplier']:.2f}, cloud x{row['cloud_multiplier']:.2f}; "
                f"median NPV {self.money(row['npv_p50'], signed=True)}, NPV above zero in "
                f"{share(row['p_npv_positive'])}",
            )
            for row in a.levels.to_dict("records")
        ]
        if a.step_gain is None:
            rows.append(("One step up", "none: level 4 is the top"))
        else:
            rows.append(
                (
                    "One step up",
                    f"from level {today} to {today + 1} changes the median NPV by about "
                    f"{self.money(a.step_gain, signed=True)} (illustrative)",
                )
            )
        return rows


def maturity_chart(analysis: ROIAnalysis) -> Figure:
    """The median NPV at each maturity level, today's in orange."""
    import matplotlib.pyplot as plt

    from bizml_nb.core.figures import money_axis

    levels, today = analysis.levels, int(analysis.parameters["maturity_level"])
    figure, axes = plt.subplots(figsize=(7, 3))
    colors = ["tab:orange" if level == today else "tab:blue" for level in levels["level"]]
    axes.bar(levels["level"], levels["npv_p50"], color=colors)
    axes.axhline(0, color="0.5", linewidth=0.8)
    axes.set_xticks(list(levels["level"]))
    axes.set_xlabel("maturity level (orange: today)")
    money_axis(axes.yaxis, analysis.currency)
    axes.set_ylabel(f"median NPV ({analysis.currency})")
    axes.set_title("This project at each maturity level (illustrative)")
    figure.tight_layout()
    plt.close(figure)
    return figure


__all__ = [
    "CentralCard",
    "DecisionCard",
    "DriversCard",
    "InputsCard",
    "MaturityCard",
    "SpreadCard",
    "maturity_chart",
    "rate",
    "share",
]
