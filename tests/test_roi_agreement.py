"""The same ROI inputs give the same figures everywhere: the roi_analysis template (run by
papermill), ``%bizml roi`` in a real IPython shell, the ``ROICalculator`` widget and
``bizml_nb.evaluate_roi``; and one set of illustrative defaults serves all four.

The expected figures are worked out here from monthly flows built by hand, with
numpy-financial's ``npv`` and ``irr``, never by the code under test. The defaults they
assume (the illustrative ones of ``Investment``, stated on every card): data and labelling
20,000, 8 person-months at 15,000 and 10,000 of set-up, all in month 0 (150,000); from
going live, cloud 30,000 a year and maintenance 20% of the 120,000 of engineering a year
(4,500 a month); live after the Algorithmia 2020 survey's median, 28.639 days (0.941
months); the benefit ramps over 3 months (its level taken at each month's middle); 5 years
at 10% a year, discounted monthly at 1.1 ** (1/12) - 1.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy_financial as npf
import pytest

import bizml_nb
from bizml_nb.finance.maturity import survey_prior
from bizml_nb.finance.roi import DRAWS, SEED, SURVEY_DEPLOY_DAYS, Investment, defaults
from bizml_nb.interfaces import templates
from bizml_nb.present.analyses.roi import TEMPLATE_DEFAULTS
from bizml_nb.present.roi_card import ROI_MIME
from bizml_nb.present.widgets import ROICalculator

if TYPE_CHECKING:
    from pathlib import Path

MEDIAN_DAYS = 28.63938779888751  # the survey prior's median, from its fit (checked below)
ABOVE = "above 300%/yr (the costs are small next to the benefit; read the NPV and payback)"


def by_hand(annual_benefit: float) -> dict[str, Any]:
    """NPV, ROI, payback month and IRR of the default project with this yearly benefit."""
    live = MEDIAN_DAYS / (365.25 / 12)
    benefit, cost = [0.0], [150_000.0]
    for month in range(1, 61):
        middle = month - 0.5
        level = min(max((middle - live) / 3, 0.0), 1.0)
        benefit.append(annual_benefit / 12 * level)
        cost.append(4_500.0 if middle >= live else 0.0)
    net = np.array(benefit) - np.array(cost)
    monthly_rate = 1.1 ** (1 / 12) - 1
    npv = npf.npv(monthly_rate, net)
    pv_cost = npf.npv(monthly_rate, cost)
    cumulative = np.cumsum(net)
    payback = next(m for m in range(1, 61) if (cumulative[m:] >= 0).all())
    irr = (1 + npf.irr(net)) ** 12 - 1
    return {"npv": npv, "roi": npv / pv_cost, "payback": payback, "irr": irr}


def words(figures: dict[str, Any]) -> dict[str, str]:
    """The figures as every card words them."""
    irr = figures["irr"]
    return {
        "npv": bizml_nb.core.units.money(figures["npv"], "USD", signed=True),
        "roi": f"{figures['roi'] * 100:,.0f}%",
        "payback": f"month {figures['payback']}",
        "irr": ABOVE if irr > 3 else f"{irr * 100:,.0f}%/yr",
    }


CASES = {
    # the issue's case: the IRR is 8,828%/yr, shown as "above 300%/yr" with its reason
    "2M": 2e6,
    # the template's most likely benefit: an IRR of 94%/yr, shown as a number
    "180k": 180_000.0,
}


def test_the_hand_worked_cases_are_what_the_issue_and_the_template_say() -> None:
    """$2M a year: NPV +$7.16M, ROI 1,993%, payback month 4 (the template's figures in the
    issue, now everyone's); 180k: NPV +$318k, ROI 88%, payback month 18, IRR 94%/yr."""
    assert words(by_hand(2e6)) == {
        "npv": "+$7.16M",
        "roi": "1,993%",
        "payback": "month 4",
        "irr": ABOVE,
    }
    assert by_hand(2e6)["irr"] == pytest.approx(88.28, rel=1e-3)
    assert words(by_hand(180_000)) == {
        "npv": "+$318k",
        "roi": "88%",
        "payback": "month 18",
        "irr": "94%/yr",
    }


@pytest.fixture(scope="module")
def template_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The roi_analysis template run by papermill with the benefit as a point (low = mode =
    high) and every other parameter at its default."""
    folder = tmp_path_factory.mktemp("agreement")
    runs = {}
    for label, benefit in CASES.items():
        values = {f"annual_benefit_{end}": benefit for end in ("low", "mode", "high")}
        out = folder / f"roi-{label}.ipynb"
        runs[label] = templates.run("roi_analysis", {**values, "draws": 2_000}, out, progress=False)
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("label", CASES)
def test_template_magic_widget_and_api_agree_with_the_hand_worked_figures(
    label: str, template_runs: dict[str, Any], ip: Any
) -> None:
    benefit = CASES[label]
    expected = by_hand(benefit)
    said = words(expected)

    # (a) the template, run by papermill: its record and its decision card
    record = template_runs[label].record
    card_text = template_runs[label].summary
    # (b) %bizml roi in a real IPython shell
    magic = ip.run_line_magic("bizml", f"roi --annual-benefit {benefit:g} --draws 2000")
    # (c) the calculator, with nothing but the benefit given
    widget = ROICalculator(annual_benefit=benefit)
    # (d) the plain-Python API
    api = bizml_nb.evaluate_roi(annual_benefit=benefit, draws=2_000)

    for npv in (record["npv"], magic.result.npv, widget.result.npv, api.result.npv):
        assert npv == pytest.approx(expected["npv"], rel=1e-9)
    for roi in (record["roi"], magic.result.roi, widget.result.roi, api.result.roi):
        assert roi == pytest.approx(expected["roi"], rel=1e-9)
    paybacks = (record["payback_month"], magic.result.payback_month)
    paybacks += (widget.result.payback_month, api.result.payback_month)
    assert paybacks == (expected["payback"],) * 4
    for irr in (record["irr"], magic.result.irr, widget.result.irr, api.result.irr):
        assert irr == pytest.approx(expected["irr"], rel=1e-6)  # records keep the exact IRR
    # the same draws and seed: the same simulated futures, to the last draw
    chances = (record["p_npv_positive"], magic.simulation.p_positive, api.simulation.p_positive)
    assert chances[1] == chances[2]
    assert chances[0] == pytest.approx(chances[1], abs=1e-9)  # a record keeps 10 digits

    # the same words on every card
    assert (
        f"NPV {said['npv']} over 5 years at 10% a year; payback {said['payback']}; "
        f"ROI {said['roi']}; IRR {said['irr']}"
    ) in card_text
    for text in (magic.text(), api.text()):
        assert f"  NPV         {said['npv']} over 5 years at 10%/yr" in text
        assert f"  ROI         {said['roi']} (NPV over the present value of the costs)" in text
        assert f"  Payback     {said['payback']} (" in text
        assert f"  IRR         {said['irr']}" in text
    assert widget.text().startswith(
        f"ROI calculator at maturity level 2: NPV {said['npv']}, ROI {said['roi']}, "
        f"payback {said['payback']}, IRR {said['irr']} (over 5 years"
    )
    assert "6,585,597" not in card_text + magic.text() + widget.text()


@pytest.mark.slow
def test_the_template_shows_its_decision_first_in_one_output(template_runs: dict[str, Any]) -> None:
    """The first code cell after the parameters shows the decision card: text, HTML and the
    ROI record in one output, no internal label (MIME type, record format) in its text."""
    import nbformat

    nb = nbformat.read(template_runs["2M"].notebook, 4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    first = code[code.index(tags.index(["parameters"])) + 1]
    if "injected-parameters" in tags[first]:
        first = code[code.index(first) + 1]
    (output,) = nb.cells[first].outputs
    assert set(output["data"]) == {"text/plain", "text/html", ROI_MIME}
    shown = output["data"]["text/plain"] + output["data"]["text/html"]
    assert shown.startswith("Decision on churn model: fund\n")
    for label in ("application/", "vnd.bizml", "bizml.roi", "decision record", "json"):
        assert label not in shown
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            assert "vnd.bizml" not in text


# --------------------------------------------------------------------------- one set of defaults


def test_the_survey_prior_written_in_finance_roi_is_the_fitted_one() -> None:
    assert survey_prior() == SURVEY_DEPLOY_DAYS
    assert SURVEY_DEPLOY_DAYS.median == MEDIAN_DAYS
    assert defaults()["deploy_days"] == SURVEY_DEPLOY_DAYS


def test_the_templates_defaults_are_investments_defaults() -> None:
    declared = {p.name: p.default for p in templates.get_template("roi_analysis").parameters}
    for name, value in defaults().items():
        want = None if name == "deploy_days" else value  # None: the survey prior
        assert declared[name] == want, name
        assert TEMPLATE_DEFAULTS[name] == want, name
    assert declared["draws"] == DRAWS  # the template simulates as many futures as the magic
    assert declared["seed"] == SEED
    benefit = {k: v for k, v in declared.items() if k.startswith("annual_benefit_")}
    assert benefit == {k: v for k, v in TEMPLATE_DEFAULTS.items() if k in benefit}


def test_the_magics_help_states_investments_defaults() -> None:
    from bizml_nb.interfaces.magics.parsers import built

    parser = built("roi")
    said = {}
    for action in parser._actions:
        found = re.search(r"\(default ([0-9.]+)", action.help or "")
        if found and action.dest in defaults():
            said[action.dest] = float(found.group(1))
    numbers = {k: float(v) for k, v in defaults().items() if k != "deploy_days"}  # type: ignore[arg-type]
    assert said == numbers
    assert parser.get_default("draws") == DRAWS
    assert inspect.signature(bizml_nb.evaluate_roi).parameters["draws"].default == DRAWS


def test_the_calculator_starts_at_investments_defaults() -> None:
    calculator = ROICalculator(annual_benefit=1e6)
    base = Investment(annual_benefit=1e6).at_mode()
    for name, slider in calculator.sliders.items():
        assert slider.value == pytest.approx(float(getattr(base, name))), name
    assert calculator.sliders["deploy_days"].value == pytest.approx(MEDIAN_DAYS)
    assert calculator.years.value == defaults()["years"]


def test_the_card_labels_its_defaults_illustrative(ip: Any) -> None:
    card = ip.run_line_magic("bizml", "roi --annual-benefit 1e6 --draws 500")
    row = next(line for line in card.text().splitlines() if line.startswith("  Defaults"))
    assert row.startswith("  Defaults    illustrative, replace them: data and labelling")
    assert [f.name for f in fields(Investment)][1:] == list(card.defaults)


def test_new_and_the_template_refuse_what_the_magic_refuses(tmp_path: Path, ip: Any) -> None:
    """A negative rate and a percentage-like one: refused alike by the magic and `bizml new`."""
    from IPython.core.error import UsageError

    for rate in ("-0.5", "5"):
        with pytest.raises(UsageError, match="--discount") as magic:
            ip.run_line_magic("bizml", f"roi --annual-benefit 1e6 --discount {rate}")
        with pytest.raises(templates.TemplateError) as new:
            templates.new("roi_analysis", tmp_path / "x.ipynb", {"discount": float(rate)})
        said = str(magic.value).removeprefix("--").split("; for a rate above")[0]
        assert said in str(new.value)
        assert said.startswith(f"discount is {float(rate):g}")
