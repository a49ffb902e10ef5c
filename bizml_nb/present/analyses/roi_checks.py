"""The ROI template's parameters checked together, as its run would check them.

``check_parameters`` (re-exported by :mod:`bizml_nb.present.analyses.roi`) is what
``bizml new`` and ``bizml run`` call before anything is written or run, and what the
template's first cell calls: one message naming what is wrong and how to fix it, each
parameter written ``{name}`` (:class:`InvalidArguments`) so that a command line can word
it ``-p name``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core.errors import InvalidArguments
from bizml_nb.finance.roi import MAX_YEARS, MONEY_LIMIT, OTHER_LIMIT, discount_problem
from bizml_nb.present.analyses.parts import braced
from bizml_nb.present.analyses.parts import shown as _shown

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

#: The parameters of the roi_analysis template, in the order of its parameters cell.
PARAMETERS = (
    "project_name",
    "benefit_source",
    "annual_benefit_low",
    "annual_benefit_mode",
    "annual_benefit_high",
    "benefit_range",
    "run",
    "benefit_from",
    "data_cost",
    "eng_months",
    "monthly_rate",
    "infra_setup",
    "cloud_per_year",
    "maintenance_share",
    "deploy_days",
    "ramp_months",
    "years",
    "discount",
    "allow_high_discount",
    "maturity_level",
    "required_confidence",
    "currency",
    "draws",
    "seed",
)
BENEFIT = ("annual_benefit_low", "annual_benefit_mode", "annual_benefit_high")
BENEFIT_RANGES = ("ends", "90%")
#: Where the benefit comes from: the figures given, or a run's realised yearly value.
BENEFIT_FROM = ("given", "observed")
#: Parameters added after the template was first shipped, with the value a notebook made
#: before them has.
ADDED_LATER: dict[str, Any] = {"allow_high_discount": False, "run": None, "benefit_from": "given"}
_MONEY = ("data_cost", "monthly_rate", "infra_setup", "cloud_per_year")
_NON_NEGATIVE = ("eng_months", "maintenance_share", "ramp_months")
MAX_DRAWS = 1_000_000


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_parameters(values: Mapping[str, Any], *, folder: Path | None = None) -> None:
    """InvalidArguments, in one message, when the template's run would refuse ``values``.

    ``values`` holds every parameter of the roi_analysis template (its defaults with
    the user's values applied). Checked: each number is finite and in its range, the
    benefit's low <= most likely <= high, how the benefit range is read, the discount
    rate (never negative; above 1 only with ``allow_high_discount``: 5 is 500% a year,
    0.05 is 5%), the time to deploy, the horizon, the maturity level, the confidence
    bar, the currency, the draws and the seed. With ``benefit_from`` "observed", the
    benefit is ``run``'s realised yearly value (:func:`observed_figures`, the project in
    ``folder``, default the current folder), checked as given figures are.
    """
    missing = [name for name in PARAMETERS if name not in values and name not in ADDED_LATER]
    if missing:
        raise InvalidArguments(
            "the ROI analysis needs every parameter; missing: "
            + ", ".join("{" + name + "}" for name in missing),
            *missing,
        )
    if _benefit_from(values) == "observed":
        values = {**values, **observed_figures(values, folder)}
    _check_amounts(values)
    _check_discount(values["discount"], values.get("allow_high_discount", False))
    _check_choices(values)
    _check_benefit_shape(values)


def _check_amounts(values: Mapping[str, Any]) -> None:
    for name in (*BENEFIT, *_MONEY, *_NON_NEGATIVE, "discount", "required_confidence"):
        if not _is_number(values[name]):
            raise InvalidArguments(
                f"{{{name}}} must be a finite number (got {_shown(values[name])})", name
            )
    _check_benefit(values)
    for name in _MONEY:
        _check_amount(name, values[name], MONEY_LIMIT)
    for name in _NON_NEGATIVE:
        _check_amount(name, values[name], OTHER_LIMIT)
    deploy = values["deploy_days"]
    if deploy is not None:
        if not _is_number(deploy):
            raise InvalidArguments(
                "{deploy_days} is a number of days, or None for the Algorithmia 2020 survey "
                f"prior (got {_shown(deploy)})",
                "deploy_days",
            )
        _check_amount("deploy_days", deploy, OTHER_LIMIT)


def _check_choices(values: Mapping[str, Any]) -> None:
    years = values["years"]
    if not _is_whole(years) or not 1 <= years <= MAX_YEARS:
        raise InvalidArguments(
            f"{{years}} is the horizon in whole years, from 1 to {MAX_YEARS} (got {_shown(years)})",
            "years",
        )
    level = values["maturity_level"]
    if not _is_whole(level) or not 0 <= level <= 4:
        raise InvalidArguments(
            f"{{maturity_level}} runs from 0 to 4 on Microsoft's scale (got {_shown(level)}); "
            "the adoption_maturity template finds it",
            "maturity_level",
        )
    confidence = values["required_confidence"]
    if not 0 < confidence < 1:
        raise InvalidArguments(
            "{required_confidence} is a chance between 0 and 1, such as 0.8 for 80% "
            f"(got {_shown(confidence)})",
            "required_confidence",
        )
    if values["benefit_range"] not in BENEFIT_RANGES:
        raise InvalidArguments(
            '{benefit_range} is "ends" (no future beyond the low and high benefit) or "90%" '
            f"(a 90% range, as a run's card gives) (got {_shown(values['benefit_range'])})",
            "benefit_range",
        )
    if not units.is_currency_name(values["currency"]):
        raise InvalidArguments(
            f"{{currency}} {_shown(values['currency'])} is not a currency: {units.CURRENCY_RULE}",
            "currency",
        )
    draws = values["draws"]
    if not _is_whole(draws) or not 1 <= draws <= MAX_DRAWS:
        raise InvalidArguments(
            f"{{draws}} is a whole number of Monte Carlo draws from 1 to {MAX_DRAWS:,} "
            f"(got {_shown(draws)})",
            "draws",
        )
    seed = values["seed"]
    if not _is_whole(seed) or seed < 0:
        raise InvalidArguments(
            f"{{seed}} is a whole number, 0 or more (got {_shown(seed)})", "seed"
        )
    for name in ("project_name", "benefit_source"):
        if not isinstance(values[name], str):
            raise InvalidArguments(f"{{{name}}} is text (got {_shown(values[name])})", name)


def _check_benefit(values: Mapping[str, Any]) -> None:
    low, mode, high = (float(values[name]) for name in BENEFIT)
    for name in BENEFIT:
        if abs(values[name]) > MONEY_LIMIT:
            raise InvalidArguments(
                f"{{{name}}} is {values[name]:g}, beyond the +-{MONEY_LIMIT:g} the cash flows "
                "can hold; give it in larger units",
                name,
            )
    if low <= mode <= high:
        return
    order = (
        "the benefit needs {annual_benefit_low} <= {annual_benefit_mode} <= {annual_benefit_high}"
    )
    if low > high:
        raise InvalidArguments(
            f"{order}: {{annual_benefit_low}} {units.number(low)} is above "
            f"{{annual_benefit_high}} {units.number(high)}; the pessimistic end comes first",
            *BENEFIT,
        )
    side = "above {annual_benefit_high}" if mode > high else "below {annual_benefit_low}"
    end = high if mode > high else low
    raise InvalidArguments(
        f"{{annual_benefit_mode}} {units.number(mode)} is {side} {units.number(end)}: set "
        "{annual_benefit_low} and {annual_benefit_high} too (the pessimistic and optimistic "
        "yearly benefit), so that low <= most likely <= high "
        f"(got {units.number(low)}, {units.number(mode)}, {units.number(high)})",
        *BENEFIT,
    )


def _check_benefit_shape(values: Mapping[str, Any]) -> None:
    """The benefit's triangular can be built (a 90% range may have none) and stays finite."""
    from bizml_nb.finance.roi import Investment, ROIError, Triangular

    low, mode, high = (float(values[name]) for name in BENEFIT)
    as_range = values["benefit_range"] == "90%"
    try:
        benefit = (Triangular.from_interval if as_range else Triangular)(low, mode, high)
        Investment(annual_benefit=benefit)
    except ROIError:
        how = (
            "as a 90% range, with its most likely value there: widen the range, or read it "
            'as {benefit_range} "ends"'
            if as_range
            else "as the ends of a triangular"
        )
        raise InvalidArguments(
            f"no benefit can be drawn from {units.number(low)}, {units.number(mode)}, "
            f"{units.number(high)} ({{annual_benefit_low}}, {{annual_benefit_mode}}, "
            f"{{annual_benefit_high}}) {how}",
            *BENEFIT,
            "benefit_range",
        ) from None


def _check_amount(name: str, value: float, limit: float) -> None:
    if value < 0:
        raise InvalidArguments(f"{{{name}}} must not be negative (got {value:g})", name)
    if value > limit:
        raise InvalidArguments(
            f"{{{name}}} is {value:g}, beyond the {limit:g} the cash flows can hold; give it "
            "in larger units",
            name,
        )


def _check_discount(rate: float, allow_high: object) -> None:
    problem = discount_problem(rate, allow_high is True, "set {allow_high_discount} to true")
    if problem is not None:
        raise InvalidArguments(problem, "discount", "allow_high_discount")


def _benefit_from(values: Mapping[str, Any]) -> str:
    """``benefit_from`` checked: "given" or "observed", the latter with a ``run`` named."""
    how = values.get("benefit_from", "given")
    if how not in BENEFIT_FROM:
        raise InvalidArguments(
            '{benefit_from} is "given" (the annual_benefit figures) or "observed" (the '
            "realised yearly value of {run}, recorded with %bizml observed) "
            f"(got {_shown(how)})",
            "benefit_from",
            "run",
        )
    run = values.get("run")
    if run is not None and not (isinstance(run, str) and run.strip()):
        raise InvalidArguments(f"{{run}} is a run's name or id (got {_shown(run)})", "run")
    if how == "observed" and run is None:
        raise InvalidArguments(
            '{benefit_from} "observed" takes the realised value of a run: name it with {run}',
            "run",
            "benefit_from",
        )
    return str(how)


def observed_figures(values: Mapping[str, Any], folder: Path | None = None) -> dict[str, Any]:
    """The benefit parameters for ``run``'s realised yearly value, in the project that
    holds ``folder`` (default: the current folder).

    The money per year at the run's latest observed KPI change is the most likely
    benefit; the ends of the observation's interval, taken to 90% as a normal interval
    (unchanged at the default 90% level), are its low and high, read as a 90% range
    (``benefit_range`` "90%"); ``benefit_source`` says where it comes from. Refused,
    naming ``{run}``, when the run is unknown, has no observation, or its KPI no money value.
    """
    from statistics import NormalDist

    from bizml_nb.core.errors import BizmlError
    from bizml_nb.present.roi_card import observed_value
    from bizml_nb.projects.project import Projects

    projects = Projects()
    try:
        project = projects.get(folder)
        currency = project.registry.currency
        if currency != values["currency"]:
            raise InvalidArguments(
                f"{{currency}} is {braced(repr(values['currency']))}, but the project's "
                f"realised values are in {braced(currency)}; set currency to "
                f"{braced(repr(currency))} to take the benefit from run "
                f"{braced(repr(values['run']))}",
                "currency",
            )
        value, level, text = observed_value(
            project,
            str(values["run"]),
            instead=(
                'set benefit_from to "given" and give the benefit figures',
                'set benefit_from to "given" and give the benefit figures',
            ),
        )
    except InvalidArguments:
        raise
    except BizmlError as exc:
        raise InvalidArguments(braced(str(exc)), "run") from None
    finally:
        projects.close()
    scale = NormalDist().inv_cdf(0.95) / NormalDist().inv_cdf((1 + level) / 2)
    return {
        "annual_benefit_low": value.mid - (value.mid - value.low) * scale,
        "annual_benefit_mode": value.mid,
        "annual_benefit_high": value.mid + (value.high - value.mid) * scale,
        "benefit_range": "90%",
        "benefit_source": text,
    }
