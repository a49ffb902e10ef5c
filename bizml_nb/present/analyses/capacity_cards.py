"""The scalability_planning template's cards: the decision it leads with, and the plans below it.

:class:`CapacityDecision` words a
:class:`~bizml_nb.present.analyses.capacity.CapacityAnalysis` through the card protocol,
with the template's record under ``application/vnd.bizml.capacity+json``;
:class:`PlanDetails` is a plan's card without a record of its own (the decision card
carries the notebook's record), and :class:`NoPlan` says why no instance holds a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core._records import figure
from bizml_nb.core.card import CardMixin, Row
from bizml_nb.finance.capacity import CAPACITY_MIME, CapacityCard, count, size

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.finance.capacity import CapacityPlan
    from bizml_nb.present.analyses.capacity import CapacityAnalysis

TEMPLATE = "scalability_planning"
NOTHING_HOLDS_IT = "no machine in the table holds it"


@dataclass(frozen=True)
class Year:
    """One year of the horizon: its traffic, and the plans of today's and the next model."""

    year: int
    rps: float
    today: CapacityPlan | None  # None: no instance of the table holds the model
    bigger: CapacityPlan | None


@dataclass(frozen=True, repr=False)
class CapacityDecision(CardMixin):
    """What serving the model costs, now and as traffic and the model grow: the lead card."""

    mime_type: ClassVar[str | None] = CAPACITY_MIME
    css_class: ClassVar[str] = "bizml-capacity bizml-decision"
    label_width: ClassVar[int] = 14

    analysis: CapacityAnalysis

    def title(self) -> str:
        a = self.analysis
        v = a.values
        return (
            f"{v['model_name']}: serving costs about {a.money(a.today.yearly_cost)} a year "
            f"today, {self._cost(a.years[-1].today)} a year in {_years(v['years'])}"
        )

    def rows(self) -> Sequence[Row]:
        a = self.analysis
        v, today = a.values, a.today
        copies = f"{today.replicas} cop{'y' if today.replicas == 1 else 'ies'}"
        weights_gb = v["params"] * today.bytes_per_param / 1e9
        per_copy = today.breakdown.per_copy_gb
        final = a.years[-1]
        next_params = v["params"] * v["model_growth"]
        rows: list[Row] = [
            (
                "Today",
                f"{count(v['params'])} parameters in {today.dtype} at {units.number(v['rps'])} "
                f"requests/s need {copies} of the model on {today.fit.hosts} x "
                f"{today.fit.instance.name}: about {a.money(today.yearly_cost)} a year",
            ),
            (
                "Memory",
                f"one copy needs {size(per_copy)}, of which the weights are {size(weights_gb)} "
                f"({units.percent(weights_gb / per_copy)}); the rest is the runtime, the "
                "working memory and the requests in flight",
            ),
            (
                f"In {_years(v['years'])}",
                f"{self._cost(final.today)} a year at "
                f"{units.percent(v['traffic_growth'], signed=True)} traffic a year "
                f"({units.number(final.rps)} requests/s)",
            ),
            (
                "Larger model",
                f"{v['model_growth']:g}x ({count(next_params)} parameters): "
                + (
                    f"{a.money(a.bigger.yearly_cost)} a year today, "
                    f"{self._cost(final.bigger)} a year in {_years(v['years'])}"
                    if a.bigger is not None
                    else NOTHING_HOLDS_IT
                ),
            ),
        ]
        benefit = v["annual_benefit"]
        if benefit is not None and benefit > 0:
            rows.append(
                (
                    "Benefit",
                    f"today's bill is {units.number(100 * today.yearly_cost / benefit)}% "
                    f"of the benefit of {a.money(benefit)} a year",
                )
            )
        rows += [
            (
                "Prices",
                "the illustrative default table (round prices, not quotes): replace them with "
                "your provider's"
                if today.default_table
                else "the table given",
            ),
            (
                "To change it",
                "the latency measured on the machines chosen, real prices, and the "
                "activations at your batch size",
            ),
        ]
        return rows

    def _cost(self, plan: CapacityPlan | None) -> str:
        return NOTHING_HOLDS_IT if plan is None else self.analysis.money(plan.yearly_cost)

    def record(self) -> dict[str, Any]:
        """Today's plan's record with the template's figures and the card's text."""
        a = self.analysis
        v = a.values
        return {
            **a.today.record(),
            "template": TEMPLATE,
            "model_name": v["model_name"],
            "growth": [
                {
                    "year": y.year,
                    "rps": _figure(round(y.rps, 1)),
                    "yearly_cost": _figure(y.today.yearly_cost if y.today else None),
                    "next_model_yearly_cost": _figure(y.bigger.yearly_cost if y.bigger else None),
                }
                for y in a.years
            ],
            "next_model": {
                "params": v["params"] * v["model_growth"],
                "latency_ms": v["latency_ms"] * v["model_growth"],
                "yearly_cost": _figure(a.bigger.yearly_cost if a.bigger else None),
                "problem": a.bigger_problem,
            },
            "annual_benefit": v["annual_benefit"],
            "parameters": dict(v),
            "summary": self.text(),
        }


@dataclass(frozen=True, repr=False)
class PlanDetails(CapacityCard):
    """A plan's card, its figures left to the decision card's record."""

    mime_type: ClassVar[str | None] = None


@dataclass(frozen=True, repr=False)
class NoPlan(CardMixin):
    """Why no instance of the table holds a model."""

    css_class: ClassVar[str] = "bizml-capacity"

    what: str
    problem: str

    def title(self) -> str:
        return f"{self.what}: {NOTHING_HOLDS_IT}"

    def rows(self) -> Sequence[Row]:
        return []

    def notes(self) -> list[str]:
        text = self.problem.removeprefix("nothing fits: ")  # the title says so
        return [text[0].upper() + text[1:]] if text else []


def _years(n: int) -> str:
    return f"{n} year{'' if n == 1 else 's'}"


def _figure(x: float | None) -> float | None:
    """A figure for the record: None unless finite, else 10 significant digits."""
    return figure(x) if x is not None and math.isfinite(x) else None


__all__ = ["TEMPLATE", "CapacityDecision", "NoPlan", "PlanDetails", "Year"]
