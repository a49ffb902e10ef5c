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


# --------------------------------------------------------------------------- the analysis


RECORD_KEYS = {  # the ROI template's record before it led with its card: every key kept
    "format", "version", "template", "project", "currency", "decision", "required_confidence",
    "npv", "roi", "payback_month", "irr", "p_npv_positive", "npv_p10_p50_p90",
    "payback_p10_p50_p90", "draws", "seed", "breakeven_annual_benefit", "drivers", "maturity",
    "benefit_from", "inputs", "defaults", "parameters", "summary",
}  # fmt: skip


def small(**changes: Any) -> Any:
    from bizml_nb.present.analyses.roi import analyse

    return analyse(defaults(draws=2_000, **changes))


def test_the_decision_card_is_one_output_with_the_record_and_no_internal_labels() -> None:
    analysis = small()
    bundle = analysis.decision._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "application/vnd.bizml.roi+json"}
    record = bundle["application/vnd.bizml.roi+json"]
    assert set(record) == RECORD_KEYS
    assert record["summary"] == bundle["text/plain"]
    assert record["parameters"]["allow_high_discount"] is False
    for text in (bundle["text/plain"], bundle["text/html"]):
        assert "vnd.bizml" not in text
        assert "bizml.roi" not in text
    assert 'class="bizml-card bizml-roi bizml-roi-decision"' in bundle["text/html"]
    assert bundle["text/plain"] == small().decision.text()  # seeded: the same every time


@pytest.mark.parametrize(
    ("p_positive", "bar", "decision"),
    [(0.8, 0.8, "fund"), (0.79, 0.8, "fund a first stage"), (0.5, 0.8, "fund a first stage"),
     (0.49, 0.8, "do not fund as scoped")],
)  # fmt: skip
def test_the_rule_of_the_recommendation(p_positive: float, bar: float, decision: str) -> None:
    from bizml_nb.present.analyses.roi import decide

    assert decide(p_positive, bar) == decision


def test_the_html_of_every_card_escapes_the_project_name() -> None:
    name = "<script>alert(1)</script>"
    analysis = small(project_name=name, benefit_source="<b>x</b>")
    cards = [analysis.decision, analysis.inputs(), analysis.central(), analysis.spread()]
    cards += [analysis.drivers(), analysis.maturity()]
    for card in cards:
        assert "<script>" not in card.html()
        assert "<b>x</b>" not in card.html()
    assert name in analysis.decision.text()


def test_the_calculator_is_preset_with_the_templates_inputs_and_says_how_to_rerun() -> None:
    """The sliders start at the template's central case; moved, the calculator gives the
    `bizml run -p` line that carries them into the analysis (the benefit's three values
    scaled alike, so that their order holds)."""
    analysis = small(eng_months=10.0, deploy_days=45.0)
    calculator = analysis.calculator()
    assert calculator.sliders["annual_benefit"].value == 180_000
    assert calculator.sliders["eng_months"].value == 10
    assert calculator.sliders["deploy_days"].value == 45
    assert calculator.level.value == 1  # the template's maturity_level
    assert calculator.result.npv == pytest.approx(analysis.result.npv)
    assert "(bizml run my_roi.ipynb)" in calculator.command.value
    calculator.sliders["annual_benefit"].value = 360_000
    calculator.sliders["discount"].value = 0.2
    assert calculator.command.value == (
        '<p class="bizml-roi-rerun">To re-run this analysis with the sliders&#x27; values: '
        "bizml run my_roi.ipynb -p annual_benefit_low 120000 -p annual_benefit_mode 360000 "
        "-p annual_benefit_high 900000 -p discount 0.2</p>"
    )
    check_parameters(
        defaults(annual_benefit_low=120_000.0, annual_benefit_mode=360_000.0,
                 annual_benefit_high=900_000.0, discount=0.2)
    )  # fmt: skip


def test_a_high_discount_rate_is_passed_on_with_its_permission() -> None:
    from dataclasses import replace

    from bizml_nb.present.analyses.roi import rerun_command

    analysis = small()
    moved = replace(analysis.project.at_mode(), discount=1.5)
    assert rerun_command(analysis.parameters, moved, "r.ipynb") == (
        "To re-run this analysis with the sliders' values: bizml run r.ipynb -p discount 1.5 "
        "-p allow_high_discount true"
    )
