"""The ROI template's analysis: its parameters checked together, as `bizml new` and the run do."""

from __future__ import annotations

from typing import Any

import pytest

from bizml_nb.core.errors import InvalidArguments
from bizml_nb.interfaces.template_catalog import get_template
from bizml_nb.present.analyses.roi import PARAMETERS, check_parameters


def defaults(**changes: Any) -> dict[str, Any]:
    values = {p.name: p.default for p in get_template("roi_analysis").parameters}
    values.setdefault("allow_high_discount", False)
    return {**values, **changes}


def refusal(**changes: Any) -> InvalidArguments:
    with pytest.raises(InvalidArguments) as caught:
        check_parameters(defaults(**changes))
    return caught.value


def test_the_template_declares_the_parameters_the_check_reads() -> None:
    declared = [p.name for p in get_template("roi_analysis").parameters]
    assert set(declared) <= set(PARAMETERS)
    assert set(PARAMETERS) - set(declared) <= {"allow_high_discount"}


def test_the_templates_defaults_pass() -> None:
    check_parameters(defaults())


def test_the_readme_example_names_the_other_two_benefit_parameters() -> None:
    """`bizml new roi_analysis my_roi.ipynb -p annual_benefit_mode 2e6` with the template's
    low 60,000 and high 450,000: the mode is above the high end."""
    error = refusal(annual_benefit_mode=2e6)
    worded = error.worded(lambda name: "-p " + name)
    assert "-p annual_benefit_mode 2,000,000 is above -p annual_benefit_high 450,000" in worded
    assert "set -p annual_benefit_low and -p annual_benefit_high too" in worded
    assert "\n" not in worded
    check_parameters(
        defaults(annual_benefit_low=1e6, annual_benefit_mode=2e6, annual_benefit_high=3e6)
    )


def test_a_mode_below_the_low_end_and_reversed_ends_are_refused() -> None:
    assert "below annual_benefit_low 1,000,000" in str(
        refusal(annual_benefit_low=1e6, annual_benefit_high=3e6)
    )
    assert "the pessimistic end comes first" in str(
        refusal(annual_benefit_low=5e5, annual_benefit_mode=3e5, annual_benefit_high=1e5)
    )


def test_a_negative_discount_is_refused() -> None:
    error = refusal(discount=-0.5)
    assert error.keyword == "discount"
    assert "negative discount rate is refused" in str(error)
    check_parameters(defaults(discount=0.0))


def test_a_discount_above_1_asks_whether_a_percentage_was_meant() -> None:
    error = refusal(discount=5.0)
    assert "500% a year: did you mean 0.05 (5%)?" in str(error)
    assert "allow_high_discount" in error.keywords
    check_parameters(defaults(discount=1.0))  # 100% a year is a share, not a percentage
    check_parameters(defaults(discount=5.0, allow_high_discount=True))


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"benefit_range": "80%"}, "benefit_range"),
        ({"required_confidence": 80}, "required_confidence"),
        ({"required_confidence": 1.0}, "required_confidence"),
        ({"maturity_level": 5}, "maturity_level"),
        ({"years": 0}, "years"),
        ({"years": 101}, "years"),
        ({"data_cost": -1.0}, "data_cost"),
        ({"eng_months": float("nan")}, "eng_months"),
        ({"deploy_days": -3.0}, "deploy_days"),
        ({"deploy_days": "soon"}, "deploy_days"),
        ({"currency": "US dollars"}, "currency"),
        ({"draws": 0}, "draws"),
        ({"annual_benefit_high": 1e16}, "annual_benefit_high"),
    ],
)
def test_each_bad_value_is_refused_by_name(changes: dict[str, Any], named: str) -> None:
    error = refusal(**changes)
    assert error.keyword == named
    assert named in str(error)


def test_deploy_days_may_be_none_or_a_number_of_days() -> None:
    check_parameters(defaults(deploy_days=None))
    check_parameters(defaults(deploy_days=45))
    check_parameters(defaults(deploy_days=45.5))


def test_a_missing_parameter_is_named() -> None:
    values = defaults()
    del values["years"]
    with pytest.raises(InvalidArguments, match="missing: years"):
        check_parameters(values)
