"""The ROI card: NPV, ROI, payback, IRR and P(NPV > 0), stating every input and default.

Like experiment cards, it is one display with deterministic ``text/plain``, escaped
``text/html`` and a JSON record (``application/vnd.bizml.roi+json``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core._records import portable
from bizml_nb.core.card import CardMixin
from bizml_nb.core.errors import BizmlError, InvalidArguments
from bizml_nb.finance.roi import (
    DRAWS,
    SEED,
    Investment,
    Result,
    Simulation,
    Triangular,
    Value,
    describe,
    discount_problem,
    evaluate,
    irr_text,
    simulate,
)

if TYPE_CHECKING:
    from bizml_nb.impact.model import Range
    from bizml_nb.projects.project import Project

ROI_MIME = "application/vnd.bizml.roi+json"
PREDICTED, OBSERVED = "predicted", "observed"
#: Where a run's benefit comes from: its predicted yearly value, or the realised one.
BENEFIT_FROM = (PREDICTED, OBSERVED)
INPUT_WORDS = {
    "annual_benefit": "annual benefit",
    "data_cost": "data and labelling (one-off)",
    "eng_months": "engineering person-months",
    "monthly_rate": "cost of a person-month",
    "infra_setup": "infrastructure set-up (one-off)",
    "cloud_per_year": "cloud per year",
    "maintenance_share": "maintenance, share of engineering per year",
    "deploy_days": "days to deploy",
    "ramp_months": "months to full benefit",
    "years": "horizon in years",
    "discount": "discount rate per year",
}


@dataclass(frozen=True, repr=False)
class ROICard(CardMixin):
    """An ROI evaluation shown as a card."""

    mime_type: ClassVar[str | None] = ROI_MIME
    css_class: ClassVar[str] = "bizml-roi"

    investment: Investment
    result: Result
    simulation: Simulation
    currency: str
    defaults: tuple[str, ...]
    benefit_from: str

    @classmethod
    def build(
        cls,
        investment: Investment,
        *,
        currency: str = "USD",
        defaults: tuple[str, ...] = (),
        benefit_from: str = "given",
        draws: int = DRAWS,
        seed: int = SEED,
    ) -> ROICard:
        return cls(
            investment,
            evaluate(investment),
            simulate(investment, draws=draws, seed=seed),
            currency,
            defaults,
            benefit_from,
        )

    def title(self) -> str:
        return f"ROI ({self.currency})"

    def rows(self) -> list[tuple[str, str]]:
        inv, res, sim, cur = self.investment, self.result, self.simulation, self.currency
        p10, p50, p90 = sim.npv_percentiles()
        b10, b50, b90 = sim.payback_percentiles()
        rows = [
            (
                "NPV",
                f"{units.money(res.npv, cur, signed=True)} over {inv.years} years at "
                f"{_pct(inv.discount)}/yr"
                + (
                    f" (P10 {units.money(p10, cur)}, P50 {units.money(p50, cur)}, "
                    f"P90 {units.money(p90, cur)})"
                    if sim.uncertain
                    else ""
                ),
            ),
            (
                "ROI",
                f"{res.roi * 100:,.0f}% (NPV over the present value of the costs)"
                if math.isfinite(res.roi)
                else "n/a (no costs to relate the NPV to)",
            ),
            (
                "Payback",
                res.payback_text
                + (
                    f" (P10 {_month(b10)}, P50 {_month(b50)}, P90 {_month(b90)})"
                    if sim.uncertain
                    else ""
                ),
            ),
            (
                "IRR",
                irr_text(res.irr),
            ),
            (
                "P(NPV > 0)",
                f"{sim.p_positive * 100:.1f}% over {sim.draws:,} draws (seed {sim.seed})"
                if sim.uncertain
                else f"{100.0 if res.npv > 0 else 0.0:.0f}% (no input is uncertain)",
            ),
            ("Benefit", f"{_input(inv, 'annual_benefit', cur)} a year, {self.benefit_from}"),
        ]
        given = [
            f.name
            for f in fields(inv)
            if f.name not in self.defaults and f.name != "annual_benefit"
        ]
        if given:
            rows.append(("Inputs", "; ".join(_input(inv, name, cur) for name in given)))
        if self.defaults:
            rows.append(
                (
                    "Defaults",
                    "illustrative, replace them: "
                    + "; ".join(_input(inv, name, cur) for name in self.defaults),
                )
            )
        return rows

    def record(self) -> dict[str, Any]:
        """The card's figures as JSON-ready data, floats to 10 significant digits."""
        sim, res = self.simulation, self.result
        record: dict[str, Any] = {
            "format": "bizml.roi",
            "version": 1,
            "currency": self.currency,
            "inputs": {
                f.name: describe(getattr(self.investment, f.name)) for f in fields(self.investment)
            },
            "defaults": list(self.defaults),
            "benefit_from": self.benefit_from,
            "npv": res.npv,
            "roi": res.roi if math.isfinite(res.roi) else None,
            "payback_month": res.payback_month,
            "irr": res.irr,
            "p_npv_positive": sim.p_positive,
            "npv_p10_p50_p90": list(sim.npv_percentiles()),
            "payback_p10_p50_p90": list(sim.payback_percentiles()),
            "draws": sim.draws,
            "seed": sim.seed,
        }
        return portable(record)  # type: ignore[no-any-return]


def roi(
    project: Project | None = None,
    *,
    run: str | None = None,
    annual_benefit: Value | None = None,
    draws: int = DRAWS,
    allow_high_discount: bool = False,
    benefit_from: str = PREDICTED,
    **inputs: Value,
) -> ROICard:
    """The ROI card of a project whose benefit is a run's yearly value or a given amount.

    ``benefit_from="observed"`` (with ``run``) takes the run's *realised* yearly value
    instead of its prediction: the money per year at its latest observed KPI change, the
    observation's interval as the range (:func:`observed_benefit`). It is refused when the
    run has no observation or its KPI has no money value. The default, ``"predicted"``,
    is the prediction described below.

    With ``run``, the benefit is that run's predicted yearly value as a triangular
    distribution peaking at its mid whose central 90% is the run's 90% range
    (:meth:`~bizml_nb.finance.roi.Triangular.from_interval`). Every input left out takes
    :class:`~bizml_nb.finance.roi.Investment`'s illustrative default, stated on the card
    (the time to deploy: the Algorithmia 2020 survey prior). A negative discount rate is
    refused, and one above 1 (100% a year) unless ``allow_high_discount``.

    A run whose value rests on a link with an unknown 90% interval is refused (a
    ``BizmlError`` naming the links): its range is only a stand-in
    (:func:`~bizml_nb.impact.links.elasticity_interval`), so any distribution made from
    it would give NPV percentiles and a P(NPV > 0) that look measured and are not; the
    benefit would be treated as far more certain than anything known about it.
    """
    from bizml_nb.impact.engine import links_with_unknown_interval

    if (run is None) == (annual_benefit is None):
        raise BizmlError("give the benefit either as a run (--run RUN) or as --annual-benefit X")
    _check_benefit_from(benefit_from, run)
    unknown = [name for name in inputs if name not in INPUT_WORDS or name == "annual_benefit"]
    if unknown:
        from bizml_nb.core.errors import did_you_mean

        raise BizmlError(f"unknown ROI input {unknown[0]!r}{did_you_mean(unknown[0], INPUT_WORDS)}")
    if "discount" in inputs:
        problem = discount_problem(
            inputs["discount"], allow_high_discount, "allow it with {allow_high_discount}"
        )
        if problem is not None:
            raise InvalidArguments(problem, "discount", "allow_high_discount")
    currency = "USD"
    benefit: Value
    if run is not None and project is None:
        raise BizmlError("a run's value needs its project")
    if run is not None and benefit_from == OBSERVED:
        assert project is not None
        currency = project.registry.currency
        benefit, benefit_text = observed_benefit(project, run)
    elif run is not None:
        assert project is not None
        recorded = project.run(run)
        impact = project.impact(recorded)
        value = impact.value_per_year if impact else None
        currency = project.registry.currency
        if value is None:
            raise BizmlError(
                f"run {recorded.name!r} has no yearly value (no priced link applies); "
                "pass --annual-benefit instead"
            )
        assert impact is not None
        vague = links_with_unknown_interval(project.registry, impact)
        if vague:
            raise BizmlError(
                f"run {recorded.name!r}'s yearly value is not known well enough to be a "
                f"benefit: the 90% interval of {' and '.join(link.label for link in vague)} "
                "is unknown, so its range is a stand-in. Declare the link's interval (or fit "
                "it from at least 3 past A/B results), or pass --annual-benefit"
            )
        benefit = (
            Triangular.from_interval(value.low, value.mid, value.high)
            if value.low < value.high
            else value.mid
        )
        benefit_text = (
            f"the predicted yearly value of run {recorded.name!r}: a triangular with 5% of "
            f"draws below {units.money(value.low, currency, signed=True)} and 5% above "
            f"{units.money(value.high, currency, signed=True)} (its 90% range)"
        )
    else:
        assert annual_benefit is not None
        benefit, benefit_text = annual_benefit, "given"
        if project is not None and project.has_registry:
            currency = project.registry.currency
    defaults = tuple(
        f.name for f in fields(Investment) if f.name not in inputs and f.name != "annual_benefit"
    )
    investment = Investment(annual_benefit=benefit, **inputs)  # type: ignore[arg-type]
    return ROICard.build(
        investment, currency=currency, defaults=defaults, benefit_from=benefit_text, draws=draws
    )


def _check_benefit_from(benefit_from: str, run: str | None) -> None:
    if benefit_from not in BENEFIT_FROM:
        raise BizmlError(
            "--benefit-from is 'predicted' or 'observed' (a run's realised value), "
            f"not {benefit_from!r}"
        )
    if benefit_from == OBSERVED and run is None:
        raise BizmlError(
            "--benefit-from observed takes the realised value of a run: give it with --run RUN"
        )


def observed_benefit(project: Project, run: str) -> tuple[Value, str]:
    """A run's realised yearly value as an ROI benefit, and the card's words for it.

    A triangular peaking at :func:`observed_value`'s mid whose central share (the
    observation's level, 90% by default) lies between its low and high; a single amount
    when the observation's interval has no width.
    """
    value, level, text = observed_value(project, run, instead=_MAGIC_INSTEAD)
    benefit: Value = (
        Triangular.from_interval(value.low, value.mid, value.high, coverage=level)
        if value.low < value.high
        else value.mid
    )
    return benefit, text


#: What to do instead when a run's realised value cannot be a benefit (%bizml roi's flags).
_MAGIC_INSTEAD = (
    "leave out --benefit-from observed to use its predicted value",
    "pass --annual-benefit",
)


def observed_value(
    project: Project, run: str, *, instead: tuple[str, str] = _MAGIC_INSTEAD
) -> tuple[Range, float, str]:
    """A run's realised yearly value: money per year at its latest observed KPI change and
    at its interval's ends (:func:`bizml_nb.projects.realised_value.checked`'s
    ``value_per_year``), the interval's level, and words saying where it comes from.

    A ``BizmlError`` when the run has no observation, or its KPI no money value; its
    message ends with ``instead``'s first or second words, what to do instead.
    """
    from bizml_nb.projects.realised_value import checked

    found = checked(project, run)
    name, obs, value = found.run.name, found.observation, found.value_per_year
    if obs is None:
        raise BizmlError(
            f"run {name!r} has no observation, so it has no realised value: record what it "
            "did with `%bizml observed RUN --kpi-delta D --interval LOW HIGH --source S`, or "
            f"{instead[0]}"
        )
    if value is None:
        raise BizmlError(
            f"run {name!r}'s KPI {found.kpi.name} has no money value, so its realised change "
            f"cannot be a benefit: declare {found.kpi.name}'s value_per_unit, or {instead[1]}"
        )
    cur = found.currency
    tail = units.percent((1 - obs.level) / 2)
    text = (
        f"realised, from {obs.source} (measured until {obs.observed_on}): the yearly value of "
        f"run {name!r} at its observed change, a triangular with {tail} of draws below "
        f"{units.money(value.low, cur, signed=True)} and {tail} above "
        f"{units.money(value.high, cur, signed=True)} (its {units.level_text(obs.level)} "
        "interval)"
    )
    return value, obs.level, text


MONEY_INPUTS = {"annual_benefit", "data_cost", "monthly_rate", "infra_setup", "cloud_per_year"}


def _input(investment: Investment, name: str, currency: str = "USD") -> str:
    value = getattr(investment, name)
    if name in MONEY_INPUTS and isinstance(value, int | float):
        return f"{INPUT_WORDS[name]} {units.money(value, currency)}"
    if name in MONEY_INPUTS and isinstance(value, Triangular):
        ends = (value.low_, value.mode_, value.high_)
        return (
            f"{INPUT_WORDS[name]} triangular({', '.join(units.money(v, currency) for v in ends)})"
        )
    if name in ("maintenance_share", "discount") and isinstance(value, int | float):
        return f"{INPUT_WORDS[name]} {value * 100:g}%"
    return f"{INPUT_WORDS[name]} {describe(value)}"


def _pct(value: Value) -> str:
    return f"{value * 100:g}%" if isinstance(value, int | float) else describe(value)


def _month(value: float | None) -> str:
    return "never" if value is None else f"{value:.0f}"
