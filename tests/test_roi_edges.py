"""The ROI template, its checks and its calculator at the edges: odd text, a horizon past
ten years, a negative benefit, discount rates, a maturity level moved in the calculator."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bizml_nb.core.errors import InvalidArguments
from bizml_nb.finance.roi import Investment, evaluate
from bizml_nb.interfaces.templates import TemplateError, get_template, new
from bizml_nb.present.analyses.roi import analyse, check_parameters
from bizml_nb.present.widgets.roi_calculator import ROICalculator


def defaults(**changes: Any) -> dict[str, Any]:
    values = {p.name: p.default for p in get_template("roi_analysis").parameters}
    return {**values, "draws": 2_000, **changes}


@pytest.mark.parametrize(("name", "value"), [("currency", "{X}"), ("benefit_range", "{90%}")])
def test_text_with_braces_is_refused_in_one_message_not_a_traceback(tmp_path, name, value):
    with pytest.raises(TemplateError) as caught:
        new("roi_analysis", tmp_path / "r.ipynb", {name: value})
    assert name in str(caught.value)
    assert value in str(caught.value)  # shown as given
    assert not (tmp_path / "r.ipynb").exists()


def test_a_90_percent_range_no_triangular_fits_is_refused_before_the_run() -> None:
    with pytest.raises(InvalidArguments) as caught:
        check_parameters(
            defaults(
                annual_benefit_low=99.0,
                annual_benefit_mode=100.0,
                annual_benefit_high=100.0,
                benefit_range="90%",
            )
        )
    assert caught.value.keywords[:3] == (
        "annual_benefit_low",
        "annual_benefit_mode",
        "annual_benefit_high",
    )
    assert '"ends"' in str(caught.value)


def test_the_calculator_keeps_a_horizon_longer_than_ten_years() -> None:
    investment = Investment(annual_benefit=500_000.0, years=20, deploy_days=30.0)
    calculator = ROICalculator(investment)
    assert calculator.years.value == 20
    assert calculator.result.npv == pytest.approx(evaluate(investment).npv, rel=1e-12)


def test_the_calculator_takes_a_negative_benefit() -> None:
    investment = Investment(annual_benefit=-10_000.0, deploy_days=30.0)
    calculator = ROICalculator(investment)
    assert calculator.sliders["annual_benefit"].value == -10_000
    assert calculator.sliders["annual_benefit"].min <= -10_000
    assert calculator.result.npv == pytest.approx(evaluate(investment).npv, rel=1e-12)


@pytest.mark.parametrize(("rate", "said"), [(-0.05, "negative"), (5.0, "0.05")])
def test_the_calculator_checks_a_discount_rate_as_the_magic_does(rate: float, said: str) -> None:
    with pytest.raises(InvalidArguments, match="discount") as caught:
        ROICalculator(Investment(annual_benefit=1e6, discount=rate))
    assert said in str(caught.value)


def test_the_calculator_takes_a_high_rate_when_allowed() -> None:
    calculator = ROICalculator(
        Investment(annual_benefit=1e6, discount=5.0), allow_high_discount=True
    )
    assert calculator.sliders["discount"].value == 5.0


def _options(command: str) -> dict[str, str]:
    return dict(re.findall(r"-p (\w+) (\S+?)(?=</p>| -p |$)", command))


def test_a_level_chosen_in_the_calculator_is_carried_into_the_rerun_line() -> None:
    """Re-run with the line's values, the template's central NPV is the calculator's."""
    analysis = analyse(defaults(deploy_days=40.0))
    calculator = analysis.calculator()
    calculator.level.value = 3
    options = _options(calculator.command.value)
    assert options["maturity_level"] == "3"
    rerun = {
        name: (None if text == "None" else float(text))
        for name, text in options.items()
        if name != "maturity_level"
    }
    again = analyse(defaults(**{"deploy_days": 40.0, "maturity_level": 3, **rerun}))
    assert again.result.npv == pytest.approx(calculator.result.npv, rel=1e-4)  # 6 digits passed


def test_a_notebook_that_allows_a_high_rate_is_not_told_to_allow_it_again() -> None:
    analysis = analyse(defaults(discount=1.5, allow_high_discount=True))
    calculator = analysis.calculator()
    assert "The sliders are at this notebook&#x27;s inputs" in calculator.command.value
