"""The ROI calculator: sliders for the main inputs, live NPV and payback, and maturity.

It starts from :class:`~bizml_nb.finance.roi.Investment`'s illustrative defaults (the
same as ``%bizml roi`` and the ROI template) unless given an investment. Each slider's
readout is written as people read it ($2.44M, 10%, 29 days) beside it; the slider's own
number box is hidden, since a typed "2,440,000" or "10%" would be misread.

>>> ROICalculator(annual_benefit=2e6)  # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core.errors import InvalidArguments
from bizml_nb.core.figures import figure_png
from bizml_nb.finance.maturity import DEFAULT_ASSUMPTIONS, LEVEL_NAMES, MaturityAssumptions
from bizml_nb.finance.roi import (
    ILLUSTRATIVE,
    MONEY_LIMIT,
    Investment,
    Result,
    cashflow_chart,
    discount_problem,
    evaluate,
    irr_text,
)
from bizml_nb.present.widgets.bundle import with_text

if TYPE_CHECKING:
    from collections.abc import Callable

#: How each slider's value reads: money, a share as percent, or a count with its unit.
READOUTS: dict[str, str] = {
    "annual_benefit": "money",
    "eng_months": "person-months",
    "monthly_rate": "money",
    "cloud_per_year": "money",
    "deploy_days": "days",
    "ramp_months": "months",
    "discount": "percent",
}


def readout(value: float, kind: str, currency: str = "USD") -> str:
    """A slider's value as people read it.

    >>> readout(2_440_000, "money"), readout(0.1, "percent"), readout(28.6, "days")
    ('$2.44M', '10%', '29 days')
    >>> readout(0.125, "percent"), readout(8, "person-months"), readout(1.5, "months")
    ('12.5%', '8 person-months', '1.5 months')
    """
    if kind == "money":
        return units.money(value, currency)
    if kind == "percent":
        return f"{value * 100:.3g}%" if math.isfinite(value) else units.NOT_A_NUMBER
    if kind == "days":
        return f"{value:,.0f} days"
    return f"{value:,.3g} {kind}"


class ROICalculator:
    """Sliders over an :class:`~bizml_nb.finance.roi.Investment` (at its mode), with a live result.

    The sliders describe the project at ``reference_level``. The maturity selector
    re-prices it at another level: time to deploy scales with the ratio of the
    levels' median times to deploy (illustrative priors), engineering and cloud
    with the levels' multipliers. ``note`` says where the starting values come from
    (default: the illustrative defaults, or the investment given); ``rerun``, given the
    investment at the level selected (:attr:`investment`) and that level, returns a line saying how to carry them elsewhere (the ROI template's
    ``bizml run ... -p`` command), shown under the result. A discount rate is checked as
    ``%bizml roi`` checks it: never negative, above 1 only with ``allow_high_discount``.
    """

    def __init__(
        self,
        investment: Investment | None = None,
        *,
        annual_benefit: float = 1_000_000.0,
        currency: str = "USD",
        assumptions: MaturityAssumptions = DEFAULT_ASSUMPTIONS,
        reference_level: int = 2,
        note: str | None = None,
        rerun: Callable[[Investment, int], str] | None = None,
        allow_high_discount: bool = False,
    ) -> None:
        import ipywidgets as w

        base = (investment or Investment(annual_benefit=annual_benefit)).at_mode()
        problem = discount_problem(
            base.discount, allow_high_discount, "pass {allow_high_discount}=True"
        )
        if problem is not None:
            raise InvalidArguments(problem, "discount", "allow_high_discount")
        if note is None:
            note = (
                "starting values: the investment given"
                if investment is not None
                else f"starting values: {ILLUSTRATIVE}"
            )
        self.note = note
        self.rerun = rerun
        self.currency = currency
        self.assumptions = assumptions
        self.reference_level = reference_level
        self.base = base
        style = {"description_width": "190px"}
        layout = w.Layout(width="520px")

        def slider(
            value: float, low: float, high: float, step: float, text: str, *, fmt: str = ".0f"
        ) -> w.FloatSlider:
            # The readout is the label beside the slider (readable money and percent);
            # the slider's own number box would show 2440000 and 0.10, and read a typed
            # "2,440,000" as 2.
            return w.FloatSlider(
                value=value,
                min=min(low, value),
                max=min(max(high, value), MONEY_LIMIT),  # every position is a valid input
                step=step,
                description=text,
                readout=False,
                readout_format=fmt,
                continuous_update=False,
                style=style,
                layout=layout,
            )

        benefit = _num(base.annual_benefit)
        self.sliders: dict[str, Any] = {
            "annual_benefit": slider(
                benefit,
                min(0.0, benefit * 3),
                max(benefit * 3, 0.0) or 1e6,
                abs(benefit) / 100 or 1e4,
                "annual benefit",
            ),
            "eng_months": slider(
                _num(base.eng_months), 0, 36, 0.5, "engineering person-months", fmt=".1f"
            ),
            "monthly_rate": slider(
                _num(base.monthly_rate), 0, 50_000, 500, "cost of a person-month"
            ),
            "cloud_per_year": slider(
                _num(base.cloud_per_year), 0, max(benefit, 1e5), 1_000, "cloud per year"
            ),
            "deploy_days": slider(_num(base.deploy_days), 0, 365, 1, "days to deploy"),
            "ramp_months": slider(_num(base.ramp_months), 0, 24, 1, "months to full benefit"),
            "discount": slider(
                _num(base.discount), 0, 0.3, 0.01, "discount rate per year", fmt=".2f"
            ),
        }
        self.years = w.IntSlider(
            value=base.years,
            min=1,
            max=max(10, base.years),
            description="horizon in years",
            style=style,
            layout=layout,
            continuous_update=False,
        )
        self.level = w.Dropdown(
            options=[(f"{level}: {name}", level) for level, name in LEVEL_NAMES.items()],
            value=reference_level,
            description="maturity level",
            style=style,
            layout=layout,
        )
        self.readouts: dict[str, Any] = {}
        for name in self.sliders:
            self.readouts[name] = w.Label()
            self.readouts[name].add_class("bizml-roi-readout")
        self.summary = w.HTML()
        self.chart = w.Image(format="png", layout=w.Layout(max_width="700px"))
        self.maturity = w.HTML()
        self.command = w.HTML()
        for control in [*self.sliders.values(), self.years]:
            control.observe(lambda _change: self.update(), names="value")
        self.level.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox(
            [
                w.HTML(f"<b>ROI calculator</b> <i>({html.escape(note)})</i>"),
                *(w.HBox([s, self.readouts[name]]) for name, s in self.sliders.items()),
                self.years,
                self.level,
                self.summary,
                self.chart,
                self.maturity,
                self.command,
            ]
        )
        self.widget.add_class("bizml-roi-calculator")
        self.update()

    @property
    def investment(self) -> Investment:
        """The investment the sliders describe, at the selected maturity level."""
        return self._at_level(self.at_reference, self.level.value)

    @property
    def at_reference(self) -> Investment:
        """The investment the sliders describe, at ``reference_level`` (before re-pricing)."""
        values: dict[str, Any] = {name: float(s.value) for name, s in self.sliders.items()}
        return replace(self.base, years=int(self.years.value), **values)

    @property
    def result(self) -> Result:
        return evaluate(self.investment)

    def update(self) -> None:
        """Recompute the result, the chart and the value of moving up a level."""
        result = self.result
        cur = self.currency
        for name, label in self.readouts.items():
            label.value = readout(float(self.sliders[name].value), READOUTS[name], cur)
        self.summary.value = (
            '<table class="bizml-roi-summary">'
            f"<tr><th>NPV</th><td>{html.escape(units.money(result.npv, cur, signed=True))}</td></tr>"
            f"<tr><th>ROI</th><td>{html.escape(_roi_text(result.roi))}</td></tr>"
            f"<tr><th>Payback</th><td>{html.escape(result.payback_text)}</td></tr>"
            f"<tr><th>IRR</th><td>{html.escape(irr_text(result.irr))}</td></tr>"
            "</table>"
        )
        self.chart.value = figure_png(cashflow_chart(result, cur))
        self.maturity.value = self._maturity_html(result)
        if self.rerun is not None:
            self.command.value = (
                f'<p class="bizml-roi-rerun">'
                f"{html.escape(self.rerun(self.investment, int(self.level.value)))}</p>"
            )

    def _at_level(self, investment: Investment, level: int) -> Investment:
        a, ref = self.assumptions, self.reference_level
        if level == ref:
            return investment
        return replace(
            investment,
            deploy_days=_num(investment.deploy_days)
            * a.deploy_prior(level).median
            / a.deploy_prior(ref).median,
            eng_months=_num(investment.eng_months) * a.eng_effort[level] / a.eng_effort[ref],
            cloud_per_year=_num(investment.cloud_per_year)
            * a.cloud_cost[level]
            / a.cloud_cost[ref],
        )

    def _maturity_html(self, result: Result) -> str:
        level = int(self.level.value)
        if level >= 4:
            return "<p>At level 4 there is no level above to move to.</p>"
        up = evaluate(self._at_level(self.at_reference, level + 1))
        gain = up.npv - result.npv
        return (
            f"<p>Moving up to level {level + 1} ({html.escape(LEVEL_NAMES[level + 1])}) is worth "
            f"about <b>{html.escape(units.money(gain, self.currency, signed=True))}</b> of NPV "
            f"(faster deployment, less engineering, a smaller cloud bill; "
            f"{html.escape(self.assumptions.note)}).</p>"
        )

    def text(self) -> str:
        """The result in words, for where the sliders cannot be shown."""
        result = self.result
        irr = irr_text(result.irr)
        return (
            f"ROI calculator at maturity level {self.level.value}: "
            f"NPV {units.money(result.npv, self.currency, signed=True)}, "
            f"ROI {_roi_text(result.roi)}, payback {result.payback_text}, IRR {irr} "
            f"(over {int(self.years.value)} years; sliders in Jupyter)"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_text(self.widget._repr_mimebundle_(**kwargs), self.text())


def _roi_text(roi: float) -> str:
    return f"{roi * 100:,.0f}%" if math.isfinite(roi) else "n/a (no costs)"


def _num(value: Any) -> float:
    """An input as a number (a distribution at its mode)."""
    return float(value) if isinstance(value, int | float) else float(value.mode())
