"""The ROI template's analysis: the decision it leads with, and the figures behind it.

The roi_analysis notebook's cells are calls into this module:

    parameters = roi.parameters_from(globals())   # the values of the parameters cell
    roi.check_parameters(parameters)            # what `bizml new` and `bizml run` check
    analysis = roi.analyse(parameters)
    analysis.decision                           # the card: text, HTML and the ROI record

then ``analysis.inputs()``, ``central()``, ``cashflow_chart()``, ``spread()``,
``spread_chart()``, ``drivers()``, ``drivers_chart()``, ``maturity()``,
``maturity_chart()`` and ``calculator()``. The numbers are
:mod:`bizml_nb.finance.roi`'s; the cards are :mod:`~bizml_nb.present.analyses.roi_cards`'.
The inputs the template leaves at their defaults are :class:`~bizml_nb.finance.roi.Investment`'s
illustrative ones (:data:`TEMPLATE_DEFAULTS`), the same as ``%bizml roi``'s.

The recommendation follows one stated rule: **fund** when P(NPV > 0) is at least
``required_confidence``; **fund a first stage** (that measures the input that moves the NPV
most) when it is between 50% and that bar; otherwise **do not fund as scoped**.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from bizml_nb.finance.roi import Investment, Triangular, defaults, evaluate, simulate, tornado
from bizml_nb.present.analyses import parts
from bizml_nb.present.analyses.roi_checks import (
    ADDED_LATER,
    BENEFIT,
    PARAMETERS,
    check_parameters,
    observed_figures,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd
    from matplotlib.figure import Figure

    from bizml_nb.finance.roi import Result, Simulation
    from bizml_nb.present.analyses.roi_cards import (
        CentralCard,
        DecisionCard,
        DriversCard,
        InputsCard,
        MaturityCard,
        SpreadCard,
    )
    from bizml_nb.present.widgets.roi_calculator import ROICalculator

#: The template's defaults: its illustrative benefit, then Investment's own defaults
#: (``deploy_days`` None: the Algorithmia 2020 survey prior, Investment's default).
#: A test checks that the template's parameters cell says the same.
TEMPLATE_DEFAULTS: dict[str, Any] = {
    "annual_benefit_low": 60_000.0,
    "annual_benefit_mode": 180_000.0,
    "annual_benefit_high": 450_000.0,
    **{name: value for name, value in defaults().items() if name != "deploy_days"},
    "deploy_days": None,
}

#: Decisions, from the strongest.
FUND, FIRST_STAGE, DO_NOT_FUND = "fund", "fund a first stage", "do not fund as scoped"


def parameters_from(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The template's parameters from a notebook's namespace (``globals()``), by name.

    ``allow_high_discount``, ``run`` and ``benefit_from``, added later, are False, None
    and "given" in a notebook made before them.
    """
    return parts.parameters_from(namespace, PARAMETERS, ADDED_LATER)


def investment_of(parameters: Mapping[str, Any]) -> Investment:
    """The project the parameters describe (benefit a triangular; no time: the survey's)."""
    low, mode, high = (float(parameters[name]) for name in BENEFIT)
    make = Triangular if parameters["benefit_range"] == "ends" else Triangular.from_interval
    deploy = parameters["deploy_days"]
    return Investment(
        annual_benefit=make(low, mode, high),
        data_cost=float(parameters["data_cost"]),
        eng_months=float(parameters["eng_months"]),
        monthly_rate=float(parameters["monthly_rate"]),
        infra_setup=float(parameters["infra_setup"]),
        cloud_per_year=float(parameters["cloud_per_year"]),
        maintenance_share=float(parameters["maintenance_share"]),
        ramp_months=float(parameters["ramp_months"]),
        years=int(parameters["years"]),
        discount=float(parameters["discount"]),
        **({} if deploy is None else {"deploy_days": float(deploy)}),
    )


def decide(p_positive: float, required_confidence: float) -> str:
    """The recommendation's rule (the module's docstring)."""
    if p_positive >= required_confidence:
        return FUND
    return FIRST_STAGE if p_positive >= 0.5 else DO_NOT_FUND


def breakeven_benefit(project: Investment) -> float:
    """The yearly benefit at which the central case's NPV is zero (inf: never live).

    NPV is a straight line in the yearly benefit: two evaluations give where it crosses zero.
    """
    central = project.at_mode()
    without = evaluate(replace(central, annual_benefit=0.0)).npv
    per_unit = (evaluate(replace(central, annual_benefit=1e6)).npv - without) / 1e6
    return -without / per_unit if per_unit > 0 else math.inf


@dataclass(frozen=True)
class ROIAnalysis:
    """Everything the ROI template shows, computed once from its parameters."""

    parameters: dict[str, Any]
    project: Investment
    result: Result
    simulation: Simulation
    table: pd.DataFrame  # the tornado: NPV at each uncertain input's P10 and P90
    breakeven: float
    levels: pd.DataFrame  # by_maturity: the project at each maturity level
    step_gain: float | None  # what one level up adds to the median NPV (None at level 4)
    decision_text: str

    @property
    def currency(self) -> str:
        return str(self.parameters["currency"])

    def unchanged(self) -> list[str]:
        """The inputs every value of which is still the template's illustrative default."""
        return [
            item.name
            for item in fields(self.project)
            if all(
                self.parameters[k] == TEMPLATE_DEFAULTS[k]
                for k in (BENEFIT if item.name == "annual_benefit" else (item.name,))
            )
        ]

    # -- what the cells show

    @property
    def decision(self) -> DecisionCard:
        """The decision card: the recommendation, its reasons, and the ROI record."""
        from bizml_nb.present.analyses.roi_cards import DecisionCard

        return DecisionCard(self)

    def inputs(self) -> InputsCard:
        from bizml_nb.present.analyses.roi_cards import InputsCard

        return InputsCard(self)

    def central(self) -> CentralCard:
        from bizml_nb.present.analyses.roi_cards import CentralCard

        return CentralCard(self)

    def spread(self) -> SpreadCard:
        from bizml_nb.present.analyses.roi_cards import SpreadCard

        return SpreadCard(self)

    def drivers(self) -> DriversCard:
        from bizml_nb.present.analyses.roi_cards import DriversCard

        return DriversCard(self)

    def maturity(self) -> MaturityCard:
        from bizml_nb.present.analyses.roi_cards import MaturityCard

        return MaturityCard(self)

    def cashflow_chart(self) -> Figure:
        from bizml_nb.finance.roi import cashflow_chart

        return cashflow_chart(self.result, self.currency)

    def spread_chart(self) -> Figure:
        from bizml_nb.finance.roi import npv_histogram

        return npv_histogram(self.simulation, self.currency)

    def drivers_chart(self) -> Figure:
        from bizml_nb.finance.roi import tornado_chart

        return tornado_chart(self.table, self.currency)

    def maturity_chart(self) -> Figure:
        from bizml_nb.present.analyses.roi_cards import maturity_chart

        return maturity_chart(self)

    def calculator(self, notebook: str = "my_roi.ipynb") -> ROICalculator:
        """The ROI calculator preset with these inputs; its last line is the ``bizml run``
        command that re-runs ``notebook`` with the values its sliders are set to."""
        from bizml_nb.present.widgets.roi_calculator import ROICalculator

        return ROICalculator(
            self.project,
            currency=self.currency,
            reference_level=int(self.parameters["maturity_level"]),
            note="starting values: this notebook's inputs, the benefit at its most likely "
            "value and the time to deploy at its median",
            rerun=lambda investment, level: rerun_command(
                self.parameters, investment, notebook, level
            ),
            allow_high_discount=bool(self.parameters["allow_high_discount"]),
        )


def rerun_command(
    parameters: Mapping[str, Any],
    investment: Investment,
    notebook: str,
    level: int | None = None,
) -> str:
    """The ``bizml run`` line that re-runs the analysis with ``investment``'s inputs.

    ``investment`` is the project at maturity ``level`` (the calculator re-prices it
    when its level changes); a level other than the template's is passed as
    ``maturity_level``, so the re-run's maturity table starts from it.
    Only what differs from ``parameters`` is passed. A changed benefit scales the low,
    most likely and high values alike (their order holds); a discount above 100% a year
    also passes ``allow_high_discount`` unless the notebook allows it already.
    """
    central = investment.at_mode()
    options: list[tuple[str, Any]] = []
    benefit = float(central.annual_benefit)  # type: ignore[arg-type]
    mode = float(parameters["annual_benefit_mode"])
    if not math.isclose(benefit, mode, rel_tol=1e-9, abs_tol=1e-9):
        factor = benefit / mode if mode else None
        for name in BENEFIT:
            scaled = benefit if factor is None else float(parameters[name]) * factor
            options.append((name, scaled))
    for name in ("eng_months", "monthly_rate", "cloud_per_year", "ramp_months", "discount"):
        value = float(getattr(central, name))
        if not math.isclose(value, float(parameters[name]), rel_tol=1e-9, abs_tol=1e-9):
            options.append((name, value))
    days = float(central.deploy_days)  # type: ignore[arg-type]
    given = parameters["deploy_days"]
    shown = float(project_deploy_days(given))
    if not math.isclose(days, shown, rel_tol=1e-9, abs_tol=1e-9):
        options.append(("deploy_days", days))
    if central.years != parameters["years"]:
        options.append(("years", central.years))
    if level is not None and level != int(parameters["maturity_level"]):
        options.append(("maturity_level", level))
    if float(central.discount) > 1 and parameters.get("allow_high_discount") is not True:  # type: ignore[arg-type]
        options.append(("allow_high_discount", "true"))
    if not options:
        return f"The sliders are at this notebook's inputs (bizml run {notebook})."
    args = " ".join(f"-p {name} {_arg(value)}" for name, value in options)
    return f"To re-run this analysis with the sliders' values: bizml run {notebook} {args}"


def project_deploy_days(given: float | None) -> float:
    """The central time to deploy: the one given, else the survey prior's median."""
    return float(given) if given is not None else float(defaults()["deploy_days"].mode())  # type: ignore[union-attr]


def _arg(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def analyse(parameters: Mapping[str, Any]) -> ROIAnalysis:
    """The whole analysis of the template's ``parameters`` (checked first). With
    ``benefit_from`` "observed", the benefit is ``run``'s realised yearly value
    (:func:`~bizml_nb.present.analyses.roi_checks.observed_figures`, the project in the
    current folder)."""
    from bizml_nb.finance.maturity import by_maturity

    check_parameters(parameters)
    values = dict(parameters)
    if values.get("benefit_from") == "observed":
        values.update(observed_figures(values))
    project = investment_of(values)
    draws, seed = int(values["draws"]), int(values["seed"])
    simulation = simulate(project, draws=draws, seed=seed)
    level = int(values["maturity_level"])
    levels = by_maturity(project, draws=draws, reference_level=level, seed=seed)
    step_gain = (
        float(levels["npv_p50"][level + 1] - levels["npv_p50"][level]) if level < 4 else None
    )
    return ROIAnalysis(
        values,
        project,
        evaluate(project),
        simulation,
        tornado(project),
        breakeven_benefit(project),
        levels,
        step_gain,
        decide(simulation.p_positive, float(values["required_confidence"])),
    )


__all__ = [
    "DO_NOT_FUND",
    "FIRST_STAGE",
    "FUND",
    "PARAMETERS",
    "TEMPLATE_DEFAULTS",
    "ROIAnalysis",
    "analyse",
    "breakeven_benefit",
    "check_parameters",
    "decide",
    "investment_of",
    "parameters_from",
    "rerun_command",
]
