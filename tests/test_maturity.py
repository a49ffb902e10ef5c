"""Maturity: the questionnaire on fixed answer sets, the survey priors, and the history check.

Survey figures (REFERENCE.md, "Adoption maturity and time to deploy"): Algorithmia 2020,
all respondents: 7 days or less 14%, 8-30 days 28%, 31-90 days 22%, over 90 days 18%,
no answer 18%. Per maturity (the seed's two points): 60% of those just starting take over
30 days (40% under); almost 75% of those with models in production over five years
deploy in under 30 days.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from scipy import stats

from bizml_nb.finance.maturity import (
    DEFAULT_ASSUMPTIONS,
    DIMENSIONS,
    LEVEL_NAMES,
    QUESTIONS,
    MaturityAssumptions,
    MaturityError,
    assess,
    by_maturity,
    compare_with_survey,
    deployment_days,
    survey_prior,
    survey_shares,
)
from bizml_nb.finance.roi import Investment, Lognormal, Triangular, evaluate

ANSWERED = 0.82  # 1 - 18% who did not answer
LEVEL_OF_STEP = {q.next_step: q.level for q in QUESTIONS}


def answers_up_to(level: int) -> dict[str, bool]:
    """Yes to every question at or below ``level``, no to the rest."""
    return {q.key: q.level <= level for q in QUESTIONS}


# --------------------------------------------------------------------------- questionnaire


def test_the_questionnaire_covers_the_four_dimensions() -> None:
    """12-20 questions, unique keys, levels 1-4, every dimension asked, each at level 1."""
    assert 12 <= len(QUESTIONS) <= 20
    assert len({q.key for q in QUESTIONS}) == len(QUESTIONS)
    assert {q.dimension for q in QUESTIONS} == set(DIMENSIONS)
    assert all(1 <= q.level <= 4 for q in QUESTIONS)
    for dimension in DIMENSIONS:
        asked = [q for q in QUESTIONS if q.dimension == dimension]
        assert len(asked) >= 3, dimension
        assert any(q.level == 1 for q in asked), f"{dimension} has no level-1 question"
        assert any(q.level == 4 for q in asked), f"{dimension} has no level-4 question"
    assert all(q.text.endswith("?") for q in QUESTIONS)
    assert all(q.next_step.endswith(".") for q in QUESTIONS)


@pytest.mark.parametrize("answers", [{}, answers_up_to(0)])
def test_all_no_is_level_0_everywhere(answers: dict[str, bool]) -> None:
    """No (or no answer) to everything: level 0 in every dimension, Google level 0.

    The next steps are exactly the level-1 questions, one per dimension, in dimension order.
    """
    result = assess(answers)
    assert dict(result.by_dimension) == dict.fromkeys(DIMENSIONS, 0)
    assert (result.level, result.google_level) == (0, 0)
    assert result.name == "No MLOps"
    level_one = [(q.dimension, q.next_step) for q in QUESTIONS if q.level == 1]
    assert [d for d, _ in level_one] == list(DIMENSIONS)
    assert list(result.next_steps) == level_one
    assert result.text().startswith(
        "ML adoption maturity: level 0 (No MLOps) on Microsoft's scale, level 0 on Google's"
    )


def test_all_yes_is_level_4_and_google_level_2() -> None:
    result = assess(answers_up_to(4))
    assert dict(result.by_dimension) == dict.fromkeys(DIMENSIONS, 4)
    assert (result.level, result.google_level) == (4, 2)
    assert result.next_steps == ()
    assert "Next steps" not in result.text()


def test_yes_up_to_level_2_is_level_2_and_google_level_1() -> None:
    """Overall 2 (Automated training), Google 1 (pipeline automation).

    Model creation has no level-3 question: Microsoft describes its level-3 cell as the
    level-2 one (automated training, tracked, versioned), so it passes through to 3; the
    other three dimensions stop at their unanswered level-3 questions.
    """
    result = assess(answers_up_to(2))
    assert (result.level, result.google_level) == (2, 1)
    assert result.name == "Automated training"
    assert dict(result.by_dimension) == {
        "people": 2,
        "model creation": 3,
        "model release": 2,
        "application integration": 2,
    }
    levels = [LEVEL_OF_STEP[step] for _, step in result.next_steps]
    assert levels == [3, 3, 3, 3, 4]  # lowest level first
    assert result.next_steps[-1] == (
        "model creation",
        "Trigger retraining from a drift or performance alert.",
    )


@pytest.mark.parametrize(
    ("overall", "google"),
    [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2)],
)
def test_google_level_follows_the_microsoft_level(overall: int, google: int) -> None:
    """Google 0 is Microsoft 0-1 (manual), 1 is 2 (pipeline automation), 2 is 3-4 (CI/CD)."""
    result = assess(answers_up_to(overall))
    assert result.level == overall
    assert result.google_level == google


@pytest.mark.parametrize("key", [q.key for q in QUESTIONS if q.level == 1])
def test_one_missing_level_1_answer_caps_the_overall_level(key: str) -> None:
    """Yes to everything but one level-1 question: that dimension is 0, so the whole is 0."""
    answers = answers_up_to(4)
    answers[key] = False
    result = assess(answers)
    dimension = next(q.dimension for q in QUESTIONS if q.key == key)
    assert result.by_dimension[dimension] == 0
    assert all(result.by_dimension[d] == 4 for d in DIMENSIONS if d != dimension)
    assert result.level == 0
    assert result.next_steps == ((dimension, next(q.next_step for q in QUESTIONS if q.key == key)),)


def test_a_missing_level_3_answer_caps_at_2() -> None:
    """No A/B testing: model release stops at 2; everything else at 4; overall 2."""
    answers = answers_up_to(4)
    answers["ab_testing_integrated"] = False
    result = assess(answers)
    assert result.by_dimension["model release"] == 2
    assert (result.level, result.google_level) == (2, 1)


def test_next_steps_come_lowest_level_first() -> None:
    """People answered up to 1 only, the rest up to 3: people's level-2 step comes first."""
    answers = answers_up_to(3)
    answers["shared_ownership"] = False
    answers["release_by_engineers"] = False
    result = assess(answers)
    levels = [LEVEL_OF_STEP[step] for _, step in result.next_steps]
    assert levels == sorted(levels)
    assert result.next_steps[0] == (
        "people",
        "Name one owner per production model across the three roles.",
    )
    assert result.by_dimension["people"] == 1
    assert result.level == 1


def test_an_unknown_question_is_refused_with_a_suggestion() -> None:
    with pytest.raises(MaturityError, match=r"unknown question 'experiment_tracked'") as info:
        assess({"experiment_tracked": True})
    assert "did you mean 'experiments_tracked'" in str(info.value)


@pytest.mark.parametrize("value", [1, 0, "yes", None])
def test_an_answer_must_be_true_or_false(value: object) -> None:
    with pytest.raises(MaturityError, match=r"answer to 'app_has_tests' must be True or False"):
        assess({"app_has_tests": value})  # type: ignore[dict-item]


def test_the_record_and_mimebundle_carry_the_levels() -> None:
    result = assess(answers_up_to(2))
    record = result.record()
    assert record["level"] == 2
    assert record["google_level"] == 1
    assert record["by_dimension"]["people"] == 2
    bundle = result._repr_mimebundle_()
    assert bundle["application/vnd.bizml.maturity+json"] == record
    assert bundle["text/plain"] == result.text()
    assert LEVEL_NAMES[2] in bundle["text/html"]


def test_the_card_text_is_the_levels_then_the_next_steps() -> None:
    """A card: the title, one row a dimension (labels 24 wide), then the next steps as written."""
    answers = answers_up_to(4)
    answers["rollback_automatic"] = False  # model release stops at level 3
    result = assess(answers)
    assert result.text() == (
        "ML adoption maturity: level 3 (Automated model deployment) on Microsoft's scale, "
        "level 2 on Google's\n"
        "  people                   level 4 (Full MLOps automated operations)\n"
        "  model creation           level 4 (Full MLOps automated operations)\n"
        "  model release            level 3 (Automated model deployment)\n"
        "  application integration  level 4 (Full MLOps automated operations)\n"
        "Next steps:\n"
        "  model release: Automate rollback when the online metric drops below its guardrail."
    )
    assert repr(result) == result.text()
    everything = assess(answers_up_to(4)).text()
    assert "Next steps" not in everything
    assert everything.count("\n") == 4  # the title and four dimensions


def test_the_card_html_keeps_its_class_and_escapes_the_steps() -> None:
    """The HTML card is classed bizml-maturity and shows each step as text."""
    html = assess({}).html()
    assert 'class="bizml-card bizml-maturity"' in html
    assert "Pair a data scientist" in html
    assert "model&#x27;s release" in html  # the apostrophe escaped
    assert "<pre" not in html


# --------------------------------------------------------------------------- survey priors


def test_survey_shares_are_renormalised_over_those_who_answered() -> None:
    """14/82, 28/82, 22/82, 18/82: 17.07%, 34.15%, 26.83%, 21.95%; they sum to 1."""
    shares = survey_shares()
    assert list(shares) == ["7 days or less", "8-30 days", "31-90 days", "more than 90 days"]
    assert list(shares.values()) == pytest.approx(
        [0.14 / ANSWERED, 0.28 / ANSWERED, 0.22 / ANSWERED, 0.18 / ANSWERED]
    )
    assert list(shares.values()) == pytest.approx([0.1707, 0.3415, 0.2683, 0.2195], abs=1e-4)
    assert sum(shares.values()) == pytest.approx(1.0)
    everyone = survey_shares(include_no_answer=True)
    assert everyone["no answer"] == 0.18
    assert sum(everyone.values()) == pytest.approx(1.0)


def test_survey_prior_reproduces_the_three_cumulative_shares_approximately() -> None:
    """Cumulative shares: 17.07% by 7 days, 51.22% by 30, 78.05% by 90.

    A lognormal has two parameters and there are three points, so a least-squares line
    of ln(days) on the normal quantile of the share cannot go through all three; here
    it comes within a few tenths of a point of each. The fit is repeated with numpy.
    """
    points = {7: 0.14 / ANSWERED, 30: 0.42 / ANSWERED, 90: 0.64 / ANSWERED}
    prior = survey_prior()
    assert isinstance(prior, Lognormal)
    assert "Algorithmia" in prior.label
    for days, share in points.items():
        cdf = stats.lognorm.cdf(days, s=prior.sigma, scale=prior.median)
        assert cdf == pytest.approx(share, abs=0.02), days
    z = stats.norm.ppf(list(points.values()))
    sigma, mu = np.polyfit(z, np.log(list(points)), 1)
    assert prior.sigma == pytest.approx(sigma, rel=1e-9)
    assert prior.median == pytest.approx(math.exp(mu), rel=1e-9)
    assert (prior.median, prior.sigma) == pytest.approx((28.64, 1.4805), abs=1e-3)


@pytest.mark.parametrize("level", range(5))
def test_deploy_prior_puts_the_stated_share_under_30_days(level: int) -> None:
    """P(days < 30) of the level's lognormal is under_30_days[level], checked with scipy."""
    prior = DEFAULT_ASSUMPTIONS.deploy_prior(level)
    share = DEFAULT_ASSUMPTIONS.under_30_days[level]
    assert stats.lognorm.cdf(30, s=prior.sigma, scale=prior.median) == pytest.approx(
        share, abs=1e-12
    )
    assert prior.sigma == DEFAULT_ASSUMPTIONS.sigma
    assert "illustrative" in prior.label


def test_the_ends_of_the_deploy_priors_match_the_seeds_two_points() -> None:
    """Starting (level 0): 60% take over 30 days. Over five years in production (level 4):
    almost 75% under 30 days. With sigma 1: medians 30 e^-z(0.40) = 38.65 and
    30 e^-z(0.75) = 15.28 days."""
    start = DEFAULT_ASSUMPTIONS.deploy_prior(0)
    mature = DEFAULT_ASSUMPTIONS.deploy_prior(4)
    assert stats.lognorm.sf(30, s=start.sigma, scale=start.median) == pytest.approx(0.60)
    assert stats.lognorm.cdf(30, s=mature.sigma, scale=mature.median) == pytest.approx(0.75)
    assert start.median == pytest.approx(30 * math.exp(-stats.norm.ppf(0.40)))
    assert (start.median, mature.median) == pytest.approx((38.65, 15.28), abs=0.01)
    shares = list(DEFAULT_ASSUMPTIONS.under_30_days)
    assert shares == sorted(shares)


def test_a_level_outside_0_to_4_is_refused() -> None:
    for level in (-1, 5, True, 2.0):
        with pytest.raises(MaturityError, match="levels run from 0 to 4"):
            DEFAULT_ASSUMPTIONS.deploy_prior(level)  # type: ignore[arg-type]


def test_assumptions_are_checked() -> None:
    with pytest.raises(MaturityError, match=r"under_30_days needs one value per level 0-4 \(got 3"):
        MaturityAssumptions(under_30_days=(0.4, 0.5, 0.6))
    with pytest.raises(MaturityError, match="under_30_days are shares below 1"):
        MaturityAssumptions(under_30_days=(0.4, 0.5, 0.6, 0.7, 1.0))
    with pytest.raises(MaturityError, match="eng_effort values must be positive"):
        MaturityAssumptions(eng_effort=(1.5, 1.3, 0.0, 0.8, 0.65))
    with pytest.raises(MaturityError, match="sigma must be positive"):
        MaturityAssumptions(sigma=0)


def test_by_maturity_has_a_row_per_level_and_rewards_maturity() -> None:
    """Cloud and engineering costs: each level deploys sooner, spends less, and is worth more.

    At the reference level 2 the multipliers are 1.0 and the NPV at the mode is the
    project's own with its deploy days at that level's median, 30 e^-z(0.55) = 26.46 days.
    """
    project = Investment(
        annual_benefit=Triangular(400_000, 800_000, 1_200_000),
        eng_months=6,
        monthly_rate=15_000,
        cloud_per_year=60_000,
        data_cost=0,  # engineering is the only one-off cost in the hand-worked flows
        infra_setup=0,
        years=3,
    )
    table = by_maturity(project, draws=2_000)
    assert list(table["level"]) == [0, 1, 2, 3, 4]
    assert list(table["name"]) == [LEVEL_NAMES[level] for level in range(5)]
    days = list(table["median_days_to_deploy"])
    assert days == sorted(days, reverse=True)
    assert len(set(days)) == 5
    npv = list(table["npv_at_mode"])
    assert npv == sorted(npv)
    assert len(set(npv)) == 5
    assert list(table["eng_multiplier"]) == pytest.approx([1.5, 1.3, 1.0, 0.8, 0.65])
    assert list(table["cloud_multiplier"]) == pytest.approx([1.3, 1.15, 1.0, 0.9, 0.8])
    assert days[2] == pytest.approx(30 * math.exp(-stats.norm.ppf(0.55)))
    own = evaluate(replace(project, deploy_days=days[2])).npv
    assert npv[2] == pytest.approx(own)
    # by hand: 26.46 days = 0.869 months, so month 1 is before go-live; the benefit
    # 800,000 / 12 a month ramps over 3 months (levels 0.210, 0.544, 0.877 in months 2-4);
    # from month 2, cloud 5,000 + maintenance 0.2 x 90,000 / 12 = 1,500 a month; month 0
    # pays the 90,000 of engineering; 36 months discounted at 1.1 ** (1/12) - 1
    live = days[2] / (365.25 / 12)
    levels = [(m - 0.5 - live) / 3 for m in (2, 3, 4)]
    assert levels == pytest.approx([0.2103, 0.5436, 0.8769], abs=1e-4)
    flows = [-90_000.0, 0.0] + [800_000 / 12 * lv - 6_500 for lv in levels]
    flows += [800_000 / 12 - 6_500] * 32
    assert len(flows) == 37
    assert npv[2] == pytest.approx(npf.npv(1.1 ** (1 / 12) - 1, flows), rel=1e-9)
    assert (table["npv_p10"] <= table["npv_p50"]).all()
    assert (table["npv_p50"] <= table["npv_p90"]).all()
    assert ((table["p_npv_positive"] >= 0) & (table["p_npv_positive"] <= 1)).all()
    assert math.isnan(table["gain_vs_previous_level"].iloc[0])


# --------------------------------------------------------------------------- own history

HISTORY = pd.DataFrame(
    {
        "model": ["a", "b", "c", "d"],
        "started": ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-01"],
        "deployed": ["2024-01-06", "2024-01-31", "2024-03-01", "2024-06-01"],
    }
)


def test_deployment_days_are_counted_from_start_to_go_live() -> None:
    """5 days; 30 days; 31 + 29 (2024 is a leap year) = 60; 31+29+31+30+31 = 152."""
    assert list(deployment_days(HISTORY)) == [5, 30, 60, 152]


def test_compare_with_survey_puts_one_model_in_each_bin() -> None:
    """5 <= 7; 7 < 30 <= 30; 30 < 60 <= 90; 152 > 90: a quarter each; shares sum to 1."""
    table = compare_with_survey(deployment_days(HISTORY))
    assert list(table["days"]) == ["7 days or less", "8-30 days", "31-90 days", "more than 90 days"]
    assert list(table["yours"]) == [0.25, 0.25, 0.25, 0.25]
    assert table["yours"].sum() == pytest.approx(1.0)
    assert table["survey"].sum() == pytest.approx(1.0)
    assert list(table["survey"]) == pytest.approx(
        [0.14 / 0.82, 0.28 / 0.82, 0.22 / 0.82, 0.18 / 0.82]
    )


def test_compare_with_survey_bins_at_the_edges() -> None:
    """7 is in the first bin, 7.5 and 30 in the second, 90 in the third, 90.1 in the last."""
    table = compare_with_survey([7, 7.5, 30, 90, 90.1])
    assert list(table["yours"]) == pytest.approx([0.2, 0.4, 0.2, 0.2])


def test_an_unreadable_date_is_refused_by_row() -> None:
    history = HISTORY.assign(deployed=["2024-01-06", "not a date", "2024-03-01", "2024-06-01"])
    with pytest.raises(MaturityError, match="row 2 of the deployment history has a date"):
        deployment_days(history)


def test_a_missing_date_is_refused_by_row() -> None:
    history = HISTORY.assign(started=["2024-01-01", "2024-01-01", None, "2024-01-01"])
    with pytest.raises(MaturityError, match="row 3 "):
        deployment_days(history)


def test_deployed_before_started_is_refused() -> None:
    history = HISTORY.assign(deployed=["2024-01-06", "2024-01-31", "2023-12-31", "2024-06-01"])
    with pytest.raises(MaturityError, match="row 3: deployed before it started"):
        deployment_days(history)


def test_the_history_needs_both_date_columns() -> None:
    with pytest.raises(MaturityError, match=r"\(missing deployed\)"):
        deployment_days(HISTORY.drop(columns="deployed"))


def test_no_deployments_cannot_be_compared() -> None:
    with pytest.raises(MaturityError, match="no deployments"):
        compare_with_survey([])
