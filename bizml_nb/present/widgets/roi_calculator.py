"""The ROI calculator: sliders for the main inputs, live NPV and payback, and maturity.

>>> ROICalculator(annual_benefit=2e6)  # doctest: +SKIP
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

from bizml_nb.core import units
from bizml_nb.core.figures import figure_png
from bizml_nb.finance.maturity import DEFAULT_ASSUMPTIONS, LEVEL_NAMES, MaturityAssumptions
from bizml_nb.finance.roi import (
    MONEY_LIMIT,
    Investment,
    Result,
    cashflow_chart,
    evaluate,
    irr_text,
)
from bizml_nb.present.widgets.bundle import with_text


class ROICalculator:
    """Sliders over an :class:`~bizml_nb.finance.roi.Investment` (at its mode), with a live result.

    The sliders describe the project at ``reference_level``. The maturity selector
    re-prices it at another level: time to deploy scales with the ratio of the
    levels' median times to deploy (illustrative priors), engineering and cloud
    with the levels' multipliers.
    """

    def __init__(
        self,
        investment: Investment | None = None,
        *,
        annual_benefit: float = 1_000_000.0,
        currency: str = "USD",
        assumptions: MaturityAssumptions = DEFAULT_ASSUMPTIONS,
        reference_level: int = 2,
    ) -> None:
        import ipywidgets as w

        base = (investment or Investment(annual_benefit=annual_benefit)).at_mode()
        self.currency = currency
        self.assumptions = assumptions
        self.reference_level = reference_level
        self.base = base
        style = {"description_width": "190px"}
        layout = w.Layout(width="520px")

        def slider(
            value: float, low: float, high: float, step: float, text: str, *, fmt: str = ".0f"
        ) -> w.FloatSlider:
            # No thousands separators: a value typed into the readout as "3,500,000"
            # would be read as 0 by the slider.
            return w.FloatSlider(
                value=value,
                min=low,
                max=min(max(high, value), MONEY_LIMIT),  # every position is a valid input
                step=step,
                description=text,
                readout_format=fmt,
                continuous_update=False,
                style=style,
                layout=layout,
            )

        benefit = _num(base.annual_benefit)
        self.sliders: dict[str, Any] = {
            "annual_benefit": slider(
                benefit, 0, benefit * 3 or 1e6, benefit / 100 or 1e4, "annual benefit"
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
            max=10,
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
        self.summary = w.HTML()
        self.chart = w.Image(format="png", layout=w.Layout(max_width="700px"))
        self.maturity = w.HTML()
        for control in [*self.sliders.values(), self.years]:
            control.observe(lambda _change: self.update(), names="value")
        self.level.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox(
            [
                w.HTML("<b>ROI calculator</b>"),
                *self.sliders.values(),
                self.years,
                self.level,
                self.summary,
                self.chart,
                self.maturity,
            ]
        )
        self.widget.add_class("bizml-roi-calculator")
        self.update()

    @property
    def investment(self) -> Investment:
        """The investment the sliders describe, at the selected maturity level."""
        values: dict[str, Any] = {name: float(s.value) for name, s in self.sliders.items()}
        return self._at_level(
            replace(self.base, years=int(self.years.value), **values), self.level.value
        )

    @property
    def result(self) -> Result:
        return evaluate(self.investment)

    def update(self) -> None:
        """Recompute the result, the chart and the value of moving up a level."""
        result = self.result
        cur = self.currency
        self.summary.value = (
            '<table class="bizml-roi-summary">'
            f"<tr><th>NPV</th><td>{html.escape(units.money(result.npv, cur, signed=True))}</td></tr>"
            f"<tr><th>ROI</th><td>{result.roi * 100:,.0f}%</td></tr>"
            f"<tr><th>Payback</th><td>{html.escape(result.payback_text)}</td></tr>"
            f"<tr><th>IRR</th><td>{html.escape(irr_text(result.irr))}</td></tr>"
            "</table>"
        )
        self.chart.value = figure_png(cashflow_chart(result, cur))
        self.maturity.value = self._maturity_html(result)

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
        values: dict[str, Any] = {name: float(s.value) for name, s in self.sliders.items()}
        plain = replace(self.base, years=int(self.years.value), **values)
        up = evaluate(self._at_level(plain, level + 1))
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
            f"ROI {result.roi * 100:,.0f}%, payback {result.payback_text}, IRR {irr} "
            f"(over {int(self.years.value)} years; sliders in Jupyter)"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_text(self.widget._repr_mimebundle_(**kwargs), self.text())


def _num(value: Any) -> float:
    """An input as a number (a distribution at its mode)."""
    return float(value) if isinstance(value, int | float) else float(value.mode())
