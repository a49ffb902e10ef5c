"""The ROI calculator, the maturity questionnaire widget, and %bizml deployed / maturity / roi."""

from __future__ import annotations

import math
from typing import Any

import numpy_financial as npf
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.finance.maturity import QUESTIONS
from bizml_nb.finance.roi import Investment, evaluate
from bizml_nb.present.widgets import MaturityQuiz, ROICalculator


def test_calculator_shows_the_npv_of_its_sliders() -> None:
    """The summary shows the NPV that evaluate() gives for the slider values."""
    calculator = ROICalculator(Investment(annual_benefit=2e6, deploy_days=60))
    calculator.sliders["eng_months"].value = 12
    expected = evaluate(Investment(annual_benefit=2e6, deploy_days=60, eng_months=12)).npv
    assert calculator.result.npv == pytest.approx(expected)
    # by hand: month 0 pays 12 x 15,000 of engineering + 20,000 of data + 10,000 of set-up
    # (the illustrative defaults); live at 60 days = 1.971 months, so from month 3 (middle
    # 2.5); maintenance 0.2 x 180,000 / 12 = 3,000 a month and cloud 30,000 / 12 = 2,500; the
    # benefit 2e6 / 12 a month ramps over 3 months: levels 0.176, 0.510, 0.843 in months
    # 3-5, then 1
    live = 60 / (365.25 / 12)
    levels = [(m - 0.5 - live) / 3 for m in (3, 4, 5)]
    assert levels == pytest.approx([0.1763, 0.5096, 0.8429], abs=1e-4)
    flows = [-210_000.0, 0.0, 0.0] + [2e6 / 12 * lv - 5_500 for lv in levels]
    flows += [2e6 / 12 - 5_500] * 55
    assert len(flows) == 61
    assert calculator.result.npv == pytest.approx(npf.npv(1.1 ** (1 / 12) - 1, flows), rel=1e-9)
    from bizml_nb.core import units

    assert units.money(expected, "USD", signed=True) in calculator.summary.value
    assert bytes(calculator.chart.value).startswith(b"\x89PNG")


def test_calculator_readouts_read_as_money_and_percent() -> None:
    """Beside each slider, its value as people read it ($2.44M, 10%), not 2440000 and 0.10;
    the slider's own number box, which would misread a typed "2,440,000", is hidden."""
    calculator = ROICalculator(annual_benefit=2e6)
    calculator.sliders["annual_benefit"].value = 2_440_000
    calculator.sliders["discount"].value = 0.12
    shown = {name: label.value for name, label in calculator.readouts.items()}
    assert shown == {
        "annual_benefit": "$2.44M",
        "eng_months": "8 person-months",
        "monthly_rate": "$15k",
        "cloud_per_year": "$30k",
        "deploy_days": "29 days",
        "ramp_months": "3 months",
        "discount": "12%",
    }
    assert not [name for name, s in calculator.sliders.items() if s.readout]
    assert "illustrative" in calculator.widget.children[0].value


def test_calculator_every_slider_end_is_a_valid_input() -> None:
    """A benefit near the 1e15 money limit: each slider at its far end still gives a finite NPV
    (the benefit slider stops at the limit instead of three times the benefit)."""
    calculator = ROICalculator(annual_benefit=5e14)
    assert calculator.sliders["annual_benefit"].max == 1e15
    for slider in calculator.sliders.values():
        slider.value = slider.max
    calculator.years.value = calculator.years.max
    assert "inf" not in calculator.text()
    assert "nan" not in calculator.text().lower()
    assert math.isfinite(calculator.result.npv)


def test_calculator_maturity_levels_move_the_npv_the_right_way() -> None:
    """A project with engineering and cloud costs is worth more at a higher maturity level."""
    calculator = ROICalculator(
        Investment(annual_benefit=2e6, deploy_days=60, cloud_per_year=200_000, eng_months=10)
    )
    npvs = []
    for level in range(5):
        calculator.level.value = level
        npvs.append(calculator.result.npv)
    assert npvs == sorted(npvs)
    calculator.level.value = 2
    assert "Moving up to level 3" in calculator.maturity.value
    calculator.level.value = 4
    assert "no level above" in calculator.maturity.value


def test_reference_level_is_the_sliders_as_set() -> None:
    """At the reference level the calculator evaluates exactly what the sliders say."""
    investment = Investment(annual_benefit=1e6, deploy_days=45)
    calculator = ROICalculator(investment, reference_level=1)
    assert calculator.level.value == 1
    assert calculator.result.npv == pytest.approx(evaluate(investment).npv)
    # by hand: month 0 pays 8 x 15,000 + 20,000 + 10,000 (the illustrative defaults); live at
    # 45 days = 1.478 months, so from month 2 (middle 1.5); maintenance 0.2 x 120,000 / 12 =
    # 2,000 and cloud 2,500 a month; 1e6 / 12 a month of benefit ramping over 3 months:
    # levels 0.007, 0.341, 0.674 in months 2-4, then 1 to month 60
    live = 45 / (365.25 / 12)
    levels = [(m - 0.5 - live) / 3 for m in (2, 3, 4)]
    assert levels == pytest.approx([0.0072, 0.3405, 0.6739], abs=1e-4)
    flows = [-150_000.0, 0.0] + [1e6 / 12 * lv - 4_500 for lv in levels]
    flows += [1e6 / 12 - 4_500] * 56
    assert len(flows) == 61
    assert calculator.result.npv == pytest.approx(npf.npv(1.1 ** (1 / 12) - 1, flows), rel=1e-9)


def test_quiz_updates_the_level_as_boxes_are_ticked() -> None:
    """Ticking every question up to level 2 moves the gauge to 2 and lists the next steps."""
    quiz = MaturityQuiz()
    assert quiz.gauge.value == 0
    for question in QUESTIONS:
        if question.level <= 2:
            quiz.boxes[question.key].value = True
    assert quiz.gauge.value == 2
    assert "level 1 on Google" in quiz.levels.value
    assert "A/B test" in quiz.steps.value
    bundle = quiz._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["application/vnd.bizml.maturity+json"]["level"] == 2
    assert data["text/plain"].startswith("ML adoption maturity: level 2")


def test_deployed_runs_feed_the_maturity_comparison(recsys: Any) -> None:
    """%bizml deployed records go-live dates; %bizml maturity compares them with the survey."""
    with capture_output():
        recsys.run_cell('%%bizml experiment "m1" --target take_rate\nbizml_nb.log(auc=1)\n')
    run = bizml_nb.project().run("m1")
    with capture_output() as captured:
        recsys.run_line_magic("bizml", "deployed m1 --on 2099-01-01")
    assert "'m1' went live on 2099-01-01" in captured.stdout
    history = bizml_nb.project().deployments()
    assert list(history["model"]) == ["m1"]
    assert history["days"].iloc[0] > 365 * 70
    assert bizml_nb.project().run(run.id).deployed_on == "2099-01-01"
    quiz = recsys.run_line_magic("bizml", "maturity")
    assert "yours" in quiz.deploy.value
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        recsys.run_line_magic("bizml", "deployed m1 --on yesterday")
    with pytest.raises(UsageError, match="cannot have gone live"):
        recsys.run_line_magic("bizml", "deployed m1 --on 2001-01-01")


def test_roi_magic_prices_a_run(recsys: Any) -> None:
    """%bizml roi --run takes the run's yearly value range as the benefit."""
    with capture_output():
        recsys.run_cell(
            '%%bizml experiment base --target take_rate --baseline\nbizml_nb.log({"ndcg@10": 0.4})\n'
        )
        recsys.run_cell(
            '%%bizml experiment better --target take_rate\nbizml_nb.log({"ndcg@10": 0.41})\n'
        )
    card = recsys.run_line_magic("bizml", "roi --run better --eng-months 3 --draws 2000")
    text = card._repr_mimebundle_()["text/plain"]
    # +0.01 NDCG x 0.35 [0.2, 0.5] x $2.5e9 = $8.75M a year [$5M, $12.5M]
    # as a triangular keeping 5% of draws beyond each end of the range: symmetric, so
    # its ends are 8.75M -+ 3.75M / (1 - sqrt(0.1)) = 8.75M -+ 5.484M
    assert "annual benefit triangular($3.27M, $8.75M, $14.2M)" in text
    assert "Defaults" in text
    assert "Algorithmia" in text
    with pytest.raises(UsageError, match="one of the arguments --run --annual-benefit is required"):
        recsys.run_line_magic("bizml", "roi")
    with pytest.raises(UsageError, match="--discount is -2: a negative discount rate is refused"):
        recsys.run_line_magic("bizml", "roi --annual-benefit 1e6 --discount -2")
    with pytest.raises(UsageError, match=r"did you mean 0\.05 \(5%\)\?.*--allow-high-discount"):
        recsys.run_line_magic("bizml", "roi --annual-benefit 1e6 --discount 5")
    high = recsys.run_line_magic(
        "bizml", "roi --annual-benefit 1e6 --discount 5 --allow-high-discount --draws 500"
    )
    assert "at 500%/yr" in high.text()


def test_capacity_magic_gives_a_card(ip: Any) -> None:
    """%bizml capacity prices a model; a bad dtype is one clear message."""
    card = ip.run_line_magic(
        "bizml", "capacity --params 1e8 --dtype fp16 --rps 100 --latency-ms 50"
    )
    text = card._repr_mimebundle_()["text/plain"]
    assert "weights                0.2 GB  100M params x 2 bytes (fp16)" in text
    assert "ceil(5 / 0.7) = 8" in text  # 100 req/s x 0.05 s in flight over 0.7 per replica
    with pytest.raises(UsageError, match="did you mean 'fp32'"):
        ip.run_line_magic("bizml", "capacity --params 1e8 --dtype fp12 --rps 100 --latency-ms 50")


def test_monitor_magic_checks_named_dataframes(recsys: Any) -> None:
    """%bizml monitor REF ANALYSIS fits on the reference and flags the shifted features."""
    from bizml_nb.interfaces.datasets import classifier_drift

    case = classifier_drift(n_reference=20_000, n_analysis=40_000, seed=3)
    recsys.user_ns["ref"] = case.reference
    recsys.user_ns["prod"] = case.analysis
    result = recsys.run_line_magic(
        "bizml", "monitor ref prod --proba proba --pred prediction --label target --chunk-size 5000"
    )
    alerted = set(result.alerted_columns())
    assert set(case.shifted) <= alerted
    assert "timestamp" not in alerted
    with pytest.raises(UsageError, match="no variable 'prdo'"):
        recsys.run_line_magic("bizml", "monitor ref prdo --proba proba")


def _plain(bundle: Any) -> str:
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data  # still a live widget
    return str(data["text/plain"])


def test_panels_fall_back_to_words_not_widget_reprs(recsys: Any) -> None:
    """Where a widget cannot be shown, text/plain says the result instead of VBox(...)."""
    for name, ndcg, baseline in (("base", 0.40, True), ("better", 0.41, False)):
        with bizml_nb.experiment(name, target="take_rate", baseline=baseline) as run:
            run.log({"ndcg@10": ndcg})
    text = _plain(bizml_nb.present.widgets.Dashboard(bizml_nb.project())._repr_mimebundle_())
    lines = [line.split() for line in text.splitlines()]
    assert text.startswith("bizml dashboard: take_rate\n")
    # +0.01 NDCG x 0.35 [0.2, 0.5] x $2.5e9 per unit = +$8.75M [+$5M, +$12.5M] a year
    assert lines[2] == ["1", "1", "better", "material", "+$8.75M", "[+$5M,", "+$12.5M]"]
    assert lines[3] == ["base", "baseline"]
    calculator = ROICalculator(annual_benefit=2e6)
    result = evaluate(Investment(annual_benefit=2e6).at_mode())
    # by hand: -150,000 in month 0 (the illustrative defaults); live at the survey's median
    # 28.64 days (0.941 months), running costs 4,500 a month from month 2: month 2 brings
    # 2e6 / 12 x (1.5 - 0.941) / 3 - 4,500 = +26,560, month 3 +82,117, month 4 +137,672:
    # cumulative -123,440, -41,323, +96,349
    assert result.payback_text == "month 4"
    text = _plain(calculator._repr_mimebundle_())
    assert text.startswith("ROI calculator at maturity level 2: NPV ")
    assert f"payback {result.payback_text}" in text
    quiz = _plain(MaturityQuiz()._repr_mimebundle_())
    assert "VBox" not in quiz
    assert quiz.startswith("ML adoption maturity: level 0 (No MLOps)")  # nothing answered


def test_a_leaderboard_row_without_a_verdict_shows_none_of_nan(project_dir: Any) -> None:
    """A run with no estimate (its KPI has no link): an empty verdict cell, not "nan"; and a
    board whose verdict column holds NaN (a frame made by hand) shows the same."""
    import pandas as pd

    from bizml_nb.present.widgets.dashboard import leaderboard_cells, leaderboard_html

    bizml_nb.init("p", currency="USD")
    bizml_nb.metric("revenue", unit="USD", direction="higher")
    with bizml_nb.experiment("a", target="revenue", baseline=True) as run:
        run.log({"auc": 0.5})
    with bizml_nb.experiment("b", target="revenue") as run:
        run.log({"auc": 0.6})
    header = ["rank by value", "run", "verdict", "value per year (90%)"]
    rows = [["", "a", "baseline", ""], ["", "b", "", ""]]
    assert leaderboard_cells(bizml_nb.compare(), "USD") == (header, rows)
    by_hand = pd.DataFrame(
        {"name": ["b"], "verdict": [math.nan], "value_mid": [math.nan], "rank_by_value": [None]}
    )
    assert leaderboard_cells(by_hand, "USD") == (header, [["", "b", "", ""]])
    assert "nan" not in leaderboard_html(by_hand, "USD").lower()
