"""The scalability_planning template's analysis: the decision first, then what supports it.

:func:`check_parameters` checks the template's parameters (``bizml new`` and ``bizml run``
call it before anything is written, and the template's first cell calls it too);
:func:`analyse` makes every plan the template shows once (today's, each year's, the
next model's, each number format's), and the :class:`CapacityAnalysis` it returns
gives each cell its output: the decision card
(:class:`~bizml_nb.present.analyses.capacity_cards.CapacityDecision`, with the
``application/vnd.bizml.capacity+json`` record), today's plan, where the memory goes,
the number formats, the growth year by year and the next model.

>>> analysis = analyse({**DEFAULTS, "model_name": "ranker"})
>>> print(analysis.decision.title())
ranker: serving costs about $526 a year today, $1.75k a year in 3 years
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.finance.capacity import (
    BYTES_PER_PARAM,
    CapacityError,
    CapacityPlan,
    MemoryAssumptions,
    ServingAssumptions,
    cost_chart,
    cost_curve,
    count,
    plan,
    size,
)
from bizml_nb.present.analyses import parts
from bizml_nb.present.analyses.capacity_cards import (
    CapacityDecision,
    NoPlan,
    PlanDetails,
    Year,
)
from bizml_nb.present.analyses.capacity_checks import (
    DEFAULTS,
    FORMATS,
    HARDWARE_CHOICES,
    MAX_YEARS,
    PARAMETERS,
    check_parameters,
    memory_of,
    serving_of,
)
from bizml_nb.present.analyses.parts import Chart, TextTable

if TYPE_CHECKING:
    from collections.abc import Mapping


def parameters_from(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The template's parameters from a notebook's namespace (``globals()``), by name."""
    return parts.parameters_from(namespace, PARAMETERS)


def analyse(values: Mapping[str, Any]) -> CapacityAnalysis:
    """Every plan the template shows, from checked parameters."""
    check_parameters(values)
    v = dict(values)
    memory, serving = memory_of(v), serving_of(v)
    planner = _Planner(
        memory, serving, None if v["hardware"] == "any" else v["hardware"], v["currency"]
    )
    today = planner.plan(v["params"], v["dtype"], v["rps"], v["latency_ms"])
    if today is None:  # check_parameters refused this already
        raise CapacityError("nothing fits today's model")
    next_params = v["params"] * v["model_growth"]
    next_latency = v["latency_ms"] * v["model_growth"]
    years = []
    for year in range(v["years"] + 1):
        traffic = v["rps"] * (1 + v["traffic_growth"]) ** year
        years.append(
            Year(
                year,
                traffic,
                planner.plan(v["params"], v["dtype"], traffic, v["latency_ms"]),
                planner.plan(next_params, v["dtype"], traffic, next_latency),
            )
        )
    bigger, problem = planner.attempt(next_params, v["dtype"], v["rps"], next_latency)
    formats = {f: planner.plan(v["params"], f, v["rps"], v["latency_ms"]) for f in FORMATS}
    return CapacityAnalysis(v, today, tuple(years), bigger, problem, formats)


@dataclass(frozen=True)
class _Planner:
    memory: MemoryAssumptions
    serving: ServingAssumptions
    hardware: str | None
    currency: str

    def attempt(
        self, params: float, dtype: str, rps: float, latency_ms: float
    ) -> tuple[CapacityPlan | None, str | None]:
        """The plan, or None and why when no instance of the table holds the model."""
        try:
            return plan(
                params,
                dtype,
                rps,
                latency_ms,
                memory=self.memory,
                serving=self.serving,
                hardware=self.hardware,
                currency=self.currency,
            ), None
        except CapacityError as exc:
            if str(exc).startswith("nothing fits"):
                return None, str(exc)
            raise

    def plan(self, params: float, dtype: str, rps: float, latency_ms: float) -> CapacityPlan | None:
        return self.attempt(params, dtype, rps, latency_ms)[0]


@dataclass(frozen=True)
class CapacityAnalysis:
    """The plans of one model: today, year by year, bigger, in other number formats."""

    values: dict[str, Any]  # the template's parameters, checked
    today: CapacityPlan
    years: tuple[Year, ...]  # year 0 (today) to the horizon
    bigger: CapacityPlan | None  # the next model at today's traffic (None: nothing holds it)
    bigger_problem: str | None  # why nothing holds it
    formats: dict[str, CapacityPlan | None]  # today's model in each number format

    @property
    def decision(self) -> CapacityDecision:
        """The decision card, with the template's record."""
        return CapacityDecision(self)

    def money(self, amount: float) -> str:
        return units.money(amount, self.values["currency"])

    def today_card(self) -> PlanDetails:
        """Today's plan: memory, replicas, instances, yearly cost and every assumption."""
        return PlanDetails(self.today)

    def memory_chart(self) -> Chart:
        """The memory of one instance, part by part."""
        import matplotlib.pyplot as plt

        today = self.today
        parts = today.breakdown.parts
        figure, axes = plt.subplots(figsize=(7, 0.45 * len(parts) + 1.2))
        axes.barh([p.label for p in parts][::-1], [p.gb for p in parts][::-1], color="tab:blue")
        for position, part in enumerate(parts[::-1]):
            axes.text(part.gb, position, " " + size(part.gb), va="center", fontsize=8)
        axes.set_xlabel("GB on one machine")
        copies = today.fit.replicas_per_host
        axes.set_title(
            f"{size(today.breakdown.total_gb)} on each {today.fit.instance.name} "
            f"({copies} cop{'y' if copies == 1 else 'ies'})"
        )
        axes.margins(x=0.25)
        figure.tight_layout()
        shares = ", ".join(f"{p.label} {size(p.gb)}" for p in parts)
        return Chart.of(
            figure,
            f"Chart: the memory of one {today.fit.instance.name}, "
            f"{size(today.breakdown.total_gb)}, part by part: {shares}.",
        )

    def formats_table(self) -> TextTable:
        """Today's model in each number format, the latency held fixed."""
        params = self.values["params"]
        rows = []
        for name, option in self.formats.items():
            rows.append(
                (
                    name,
                    size(params * BYTES_PER_PARAM[name] / 1e9),
                    size(option.breakdown.per_copy_gb) if option else "",
                    f"{option.fit.hosts} x {option.fit.instance.name}"
                    if option
                    else "none in the table holds it",
                    self.money(option.yearly_cost) if option else "",
                )
            )
        return TextTable(
            "Smaller number formats, the latency held fixed",
            ("number format", "weights", "memory of one copy", "machines", "yearly cost"),
            tuple(rows),
            right=(1, 2, 4),
            css_class="bizml-capacity-formats",
        )

    def growth_table(self) -> TextTable:
        """Year by year: the traffic, and the machines and cost of today's and the next model."""

        def machines(p: CapacityPlan | None) -> str:
            return f"{p.fit.hosts} x {p.fit.instance.name}" if p else "none holds it"

        def cost(p: CapacityPlan | None) -> str:
            return self.money(p.yearly_cost) if p else ""

        return TextTable(
            f"Year by year at {units.percent(self.values['traffic_growth'], signed=True)} "
            "traffic a year",
            (
                "year",
                "requests/s",
                "today's model",
                "yearly cost",
                f"{self.values['model_growth']:g}x model",
                "yearly cost",
            ),
            tuple(
                (
                    str(y.year),
                    units.number(y.rps),
                    machines(y.today),
                    cost(y.today),
                    machines(y.bigger),
                    cost(y.bigger),
                )
                for y in self.years
            ),
            right=(0, 1, 3, 5),
            css_class="bizml-capacity-growth",
        )

    def cost_chart(self) -> Chart:
        """Yearly cost over a grid of traffic and model sizes (a gap: nothing holds it)."""
        v = self.values
        params_grid = sorted({v["params"] / 10, v["params"], v["params"] * v["model_growth"]})
        rps_grid = sorted({y.rps for y in self.years} | {v["rps"] / 10})
        curve = cost_curve(
            params_grid,
            rps_grid,
            v["dtype"],
            v["latency_ms"],
            latency_params=v["params"],
            memory=self.today.memory,
            serving=self.today.serving,
            hardware=self.today.hardware,
        )
        return Chart.of(
            cost_chart(curve, v["currency"]),
            "Chart: yearly cost against traffic (one line per model size: "
            + ", ".join(count(p) for p in params_grid)
            + ") and against model size, both on log scales.",
        )

    def next_model(self) -> PlanDetails | NoPlan:
        """The next model's plan at today's traffic, or why no instance holds it."""
        if self.bigger is not None:
            return PlanDetails(self.bigger)
        return NoPlan(
            f"The next model ({count(self.values['params'] * self.values['model_growth'])} "
            "parameters)",
            self.bigger_problem or "",
        )

    def record(self) -> dict[str, Any]:
        """The template's record (``application/vnd.bizml.capacity+json``), with its summary."""
        return self.decision.record()


__all__ = [
    "DEFAULTS",
    "FORMATS",
    "HARDWARE_CHOICES",
    "MAX_YEARS",
    "PARAMETERS",
    "CapacityAnalysis",
    "analyse",
    "check_parameters",
    "parameters_from",
]
