"""ROI: cash flows, NPV, ROI, payback and IRR against hand-worked numbers; Monte Carlo; the card.

Every expected number is worked out in the test's docstring (or with numpy_financial),
never by calling the code under test. The common small project, used throughout:

    annual benefit 120,000 (10,000 a month), 2 person-months at 10,000 (engineering
    20,000), data 5,000, infrastructure set-up 3,000, cloud 6,000 a year (500 a month),
    maintenance 30% of engineering a year (6,000 a year, 500 a month), live at once,
    no ramp, one year.

    month 0:      cost 5,000 + 20,000 + 3,000 = 28,000            net -28,000
    months 1-12:  benefit 10,000, cost 500 + 500 = 1,000          net   9,000
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy_financial as npf
import pytest
from scipy import stats

from bizml_nb.core.errors import BizmlError
from bizml_nb.finance.maturity import survey_prior
from bizml_nb.finance.roi import (
    DAYS_PER_MONTH,
    SEED,
    Investment,
    Lognormal,
    ROIError,
    Triangular,
    Uniform,
    evaluate,
    irr,
    simulate,
    tornado,
)
from bizml_nb.present.roi_card import INPUT_WORDS, ROI_MIME, roi
from bizml_nb.projects.project import Projects

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from bizml_nb.core.ledger import Run
    from bizml_nb.projects.project import Project

SMALL = Investment(
    annual_benefit=120_000,
    eng_months=2,
    monthly_rate=10_000,
    data_cost=5_000,
    infra_setup=3_000,
    cloud_per_year=6_000,
    maintenance_share=0.3,
    deploy_days=0,
    ramp_months=0,
    years=1,
    discount=0,
)
SMALL_NET = [-28_000.0] + [9_000.0] * 12


def bare(**inputs: Any) -> Investment:
    """An Investment with no data, infrastructure or cloud cost unless given: the small
    hand-worked cases below add only the costs they name to the illustrative defaults'
    engineering (8 person-months at 15,000 unless given)."""
    return Investment(**{"data_cost": 0, "infra_setup": 0, "cloud_per_year": 0, **inputs})


def column(result: object, name: str) -> list[float]:
    return [float(v) for v in result.cashflows[name]]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- evaluate()


def test_cash_flow_rows_of_the_small_project() -> None:
    """Month 0 carries 28,000 of one-off costs; months 1-12 each 10,000 in, 1,000 out."""
    result = evaluate(SMALL)
    assert list(result.cashflows.columns) == [
        "month",
        "benefit",
        "cost",
        "net",
        "discounted",
        "cumulative",
    ]
    assert column(result, "month") == list(range(13))
    assert column(result, "benefit") == [0.0] + [10_000.0] * 12
    assert column(result, "cost") == pytest.approx([28_000.0] + [1_000.0] * 12)
    assert column(result, "net") == pytest.approx(SMALL_NET)
    assert column(result, "discounted") == pytest.approx(SMALL_NET)  # discount 0
    cumulative = [-28_000, -19_000, -10_000, -1_000, 8_000, 17_000, 26_000, 35_000, 44_000]
    cumulative.extend([53_000, 62_000, 71_000, 80_000])
    assert column(result, "cumulative") == pytest.approx(cumulative)


def test_npv_roi_and_payback_without_discounting() -> None:
    """NPV -28,000 + 12 x 9,000 = 80,000; PV(costs) 28,000 + 12,000 = 40,000, ROI 2.0.

    Cumulative -28,000, -19,000, -10,000, -1,000, +8,000: payback in month 4.
    """
    result = evaluate(SMALL)
    assert result.npv == pytest.approx(80_000)
    assert result.roi == pytest.approx(2.0)
    assert result.payback_month == 4
    assert result.payback_text == "month 4"


def test_npv_with_a_yearly_discount_rate_is_discounted_monthly() -> None:
    """10% a year is v = 1.1 ** (-1/12) a month; the months 1-12 form an annuity.

    sum_{t=1..12} v**t = v (1 - v**12) / (1 - v), with v**12 = 1 / 1.1.
    NPV = -28,000 + 9,000 x that sum; PV(costs) = 28,000 + 1,000 x that sum.
    """
    v = 1.1 ** (-1 / 12)
    annuity = v * (1 - 1 / 1.1) / (1 - v)
    assert annuity == pytest.approx(11.4005, abs=1e-4)  # a little under 12
    result = evaluate(replace(SMALL, discount=0.10))
    assert result.npv == pytest.approx(-28_000 + 9_000 * annuity, rel=1e-12)
    assert result.roi == pytest.approx((-28_000 + 9_000 * annuity) / (28_000 + 1_000 * annuity))
    assert column(result, "discounted") == pytest.approx(
        [-28_000.0] + [9_000 * v**t for t in range(1, 13)]
    )
    assert result.payback_month == 4  # payback is on the undiscounted flows


def test_npv_agrees_with_numpy_financial() -> None:
    """numpy_financial.npv(monthly rate, flows) discounts the first flow at t = 0, as here."""
    project = replace(SMALL, discount=0.07, years=3, deploy_days=61, ramp_months=2)
    result = evaluate(project)
    monthly = 1.07 ** (1 / 12) - 1
    assert result.npv == pytest.approx(npf.npv(monthly, column(result, "net")), rel=1e-12)


def test_a_year_discounts_a_month_12_flow_by_exactly_one_plus_the_rate() -> None:
    """Live at 11 months (334.8 days): only month 12 (midpoint 11.5) earns, 132,000 / 12.

    11,000 / 1.1 = 10,000 (not 11,000 / (1 + 0.1/12)**12); less 5,000 of data: NPV 5,000.
    PV(costs) 5,000, ROI 1.0; cumulative -5,000 until month 12, then +6,000: payback 12.
    """
    project = bare(
        annual_benefit=132_000,
        data_cost=5_000,
        eng_months=0,
        maintenance_share=0,
        deploy_days=11 * DAYS_PER_MONTH,
        ramp_months=0,
        years=1,
        discount=0.10,
    )
    result = evaluate(project)
    assert column(result, "benefit") == [0.0] * 12 + [11_000.0]
    assert result.npv == pytest.approx(5_000, rel=1e-12)
    assert result.roi == pytest.approx(1.0)
    assert result.payback_month == 12


def test_61_days_to_deploy_starts_benefits_and_running_costs_in_month_3() -> None:
    """61 / 30.4375 = 2.004 months: month 2's midpoint 1.5 is before it, month 3's 2.5 after.

    No data or infrastructure: month 0 -20,000; months 1-2 nothing; months 3-12 9,000 each.
    NPV -20,000 + 10 x 9,000 = 70,000; cumulative -20,000 (months 0-2), -11,000, -2,000,
    +7,000: payback in month 5.
    """
    assert DAYS_PER_MONTH == 30.4375  # 365.25 / 12, on which the hand-working rests
    result = evaluate(replace(SMALL, data_cost=0, infra_setup=0, deploy_days=61))
    assert column(result, "benefit") == [0.0, 0.0, 0.0] + [10_000.0] * 10
    assert column(result, "cost") == pytest.approx([20_000.0, 0.0, 0.0] + [1_000.0] * 10)
    assert result.npv == pytest.approx(70_000)
    assert result.payback_month == 5


@pytest.mark.parametrize(
    ("days", "first_month"),
    [(0, 1), (15, 1), (15.3, 2), (45.6, 2), (45.7, 3), (60, 3), (61, 3)],
)
def test_the_month_midpoint_rule(days: float, first_month: int) -> None:
    """Month t earns when its midpoint t - 0.5 is at or after days / 30.4375.

    15 days = 0.493 < 0.5 (month 1); 15.3 = 0.503 (month 2); 45.6 = 1.498 (month 2);
    45.7 = 1.501 (month 3); 60 = 1.971 (month 3).
    """
    result = evaluate(replace(SMALL, deploy_days=days))
    benefit = column(result, "benefit")
    assert benefit.index(10_000.0) == first_month
    assert benefit[:first_month] == [0.0] * first_month


def test_a_two_month_ramp_takes_the_level_at_month_midpoints() -> None:
    """Ramp 2 from month 0: midpoints 0.5, 1.5, 2.5 give 0.25, 0.75, 1.0 of 10,000 a month.

    12,000 of engineering, nothing else: month 0 -12,000, then 2,500, 7,500, 10,000 x 10.
    NPV -12,000 + 10,000 + 100,000 = 98,000; cumulative -12,000, -9,500, -2,000, +8,000:
    payback month 3.
    """
    project = bare(
        annual_benefit=120_000,
        eng_months=1,
        monthly_rate=12_000,
        maintenance_share=0,
        deploy_days=0,
        ramp_months=2,
        years=1,
        discount=0,
    )
    result = evaluate(project)
    assert column(result, "benefit") == pytest.approx([0, 2_500, 7_500] + [10_000] * 10)
    assert result.npv == pytest.approx(98_000)
    assert result.payback_month == 3


def test_a_ramp_after_a_delay_starts_from_the_go_live_date() -> None:
    """Live at 61 days (2.00411 months), ramp 2: month 3 is at (2.5 - 2.00411) / 2 = 0.248,
    month 4 at (3.5 - 2.00411) / 2 = 0.748, then 1.0. Running costs start in month 3 in full.
    """
    live = 61 / 30.4375
    result = evaluate(replace(SMALL, deploy_days=61, ramp_months=2))
    levels = [(2.5 - live) / 2, (3.5 - live) / 2]
    assert levels == pytest.approx([0.24794, 0.74794], abs=1e-5)
    expected = [0.0, 0.0, 0.0, 10_000 * levels[0], 10_000 * levels[1]] + [10_000.0] * 8
    assert column(result, "benefit") == pytest.approx(expected)
    assert column(result, "cost") == pytest.approx([28_000.0, 0.0, 0.0] + [1_000.0] * 10)


def test_payback_is_none_when_the_costs_are_never_recovered() -> None:
    """Benefit 12,000 a year (1,000 a month) against 1,000 a month of running costs and
    28,000 up front: the cumulative stays at -28,000. IRR: the flows never turn, so none."""
    result = evaluate(replace(SMALL, annual_benefit=12_000))
    assert result.npv == pytest.approx(-28_000)
    assert result.payback_month is None
    assert result.payback_text == "not within 1 years"
    assert result.irr is None


def test_payback_is_none_when_running_costs_exceed_the_benefit_without_up_front_costs() -> None:
    """Nothing up front, live at 90 days (month 4), 2,000 a month of cloud against 1,000 of
    benefit: cumulative 0, 0, 0, -1,000, -2,000, ... never back to zero after going live.

    NPV -9 x 1,000 = -9,000. A cumulative of zero before anything happened is not payback.
    """
    project = bare(
        annual_benefit=12_000,
        eng_months=0,
        cloud_per_year=24_000,
        deploy_days=90,
        ramp_months=0,
        years=1,
        discount=0,
    )
    result = evaluate(project)
    assert result.npv == pytest.approx(-9_000)
    assert result.payback_month is None


def test_payback_waits_for_the_cumulative_to_recover_after_a_dip() -> None:
    """Nothing up front; cloud 6,000 a year (500 a month); benefit 120,000 a year ramping over
    4 months from month 0: levels 0.125, 0.375, 0.625, 0.875, then 1 of 10,000 a month.

    Net: 1,250 - 500 = +750 is positive from month 1, so the cumulative never dips: payback
    month 1. With cloud 36,000 a year (3,000 a month) the nets are -1,750, +750, ...:
    cumulative -1,750, -1,000, +2,250: payback month 3.
    """
    base = bare(
        annual_benefit=120_000,
        eng_months=0,
        cloud_per_year=6_000,
        deploy_days=0,
        ramp_months=4,
        years=1,
        discount=0,
    )
    assert evaluate(base).payback_month == 1
    dipping = evaluate(replace(base, cloud_per_year=36_000))
    assert column(dipping, "net")[:4] == pytest.approx([0, -1_750, 750, 3_250])
    assert dipping.payback_month == 3


def test_payback_after_go_live_at_90_days_with_a_ramp_and_cloud() -> None:
    """Nothing up front, live at 90 days (2.957 months), a 4-month ramp to 10,000 a month,
    cloud 36,000 a year (3,000 a month). Months 1-3 (middles 0.5-2.5) are before go-live: net
    0, cumulative 0. Month 4 (middle 3.5): level (3.5 - 2.957) / 4 = 0.1358, net 1,358 - 3,000
    = -1,642; month 5: level 0.3858, net +858, cumulative -784; month 6: level 0.6358, net
    +3,358, cumulative +2,574, and rising from then on: payback month 6. The cumulative of
    zero in months 1-3 is not payback: it dips below zero after."""
    project = bare(
        annual_benefit=120_000,
        eng_months=0,
        cloud_per_year=36_000,
        deploy_days=90,
        ramp_months=4,
        years=1,
        discount=0,
    )
    live = 90 / (365.25 / 12)
    levels = [(m - 0.5 - live) / 4 for m in (4, 5, 6)]
    nets = [10_000 * level - 3_000 for level in levels]
    assert nets == pytest.approx([-1_642, 858, 3_358], abs=1)
    result = evaluate(project)
    assert column(result, "cumulative")[:4] == [0, 0, 0, 0]
    assert column(result, "cumulative")[4:7] == pytest.approx(np.cumsum(nets))
    assert result.payback_month == 6


def test_payback_rule_on_hand_built_cumulative_flows() -> None:
    """The rule: the first month m >= 1 from which the cumulative stays >= 0 to the end.

    cumulative 0, 0, 0, -30, -10, 0, 5, 5: touches zero in months 1-2, dips, recovers
    exactly to zero in month 5 and stays: payback 5 (not 1: it dipped after; not 6:
    exact break-even counts). -100, -50, 0, -20, 10, 10: payback 4 (the zero in month 2
    did not last). -100, -50, 0, 0, 0: exactly even from month 2 to the end: payback 2.
    -100, -50, 0, 0, -1: never.
    """
    from bizml_nb.finance.roi.cashflows import _payback

    rows = [
        ([0, 0, 0, -30, -10, 0, 5, 5], 5),
        ([-100, -50, 0, -20, 10, 10, 10, 10], 4),
        ([-100, -50, 0, 0, 0, 0, 0, 0], 2),
        ([-100, -50, 0, 0, 0, 0, 0, -1], None),
    ]
    cumulative = np.array([r for r, _ in rows], dtype=float)
    found = _payback(cumulative)
    assert [None if np.isnan(m) else int(m) for m in found] == [m for _, m in rows]


def test_exact_break_even_is_paid_back() -> None:
    """3,000 of engineering (3 person-months at 1,000) against 1,000 a month of benefit:
    cumulative -3,000, -2,000, -1,000, 0, +1,000...: paid back in month 3, when it is exactly
    even. 100,000 a year (8,333.33 a month) against 100,000 of data: exactly even in month 12
    although the float sum is -3.6e-12 there; not month 13."""
    even = bare(
        annual_benefit=12_000,
        eng_months=3,
        monthly_rate=1_000,
        maintenance_share=0,
        deploy_days=0,
        ramp_months=0,
        years=1,
        discount=0,
    )
    result = evaluate(even)
    assert column(result, "cumulative")[:5] == [-3_000, -2_000, -1_000, 0, 1_000]
    assert result.payback_month == 3
    rounded = replace(even, annual_benefit=100_000, eng_months=0, data_cost=100_000, years=2)
    assert evaluate(rounded).payback_month == 12
    sim = simulate(replace(rounded, annual_benefit=Uniform(100_000, 100_000)), draws=10)
    assert set(sim.payback.tolist()) == {12.0}


def test_irr_matches_numpy_financial_on_the_same_monthly_flows() -> None:
    """IRR is yearly: (1 + monthly IRR) ** 12 - 1, monthly IRR from numpy_financial.irr."""
    for project in (
        SMALL,
        replace(SMALL, years=3, deploy_days=61, ramp_months=2, annual_benefit=30_000),
        replace(SMALL, years=2, annual_benefit=24_000, cloud_per_year=0),
    ):
        net = column(evaluate(project), "net")
        monthly = npf.irr(net)
        assert math.isfinite(monthly)
        assert evaluate(project).irr == pytest.approx((1 + monthly) ** 12 - 1, rel=1e-8)


def test_irr_of_a_hand_worked_annuity() -> None:
    """-20,000 then 24 x 2,000 (years 2, no running costs): the monthly IRR m solves
    2,000 x (1 - (1+m)**-24) / m = 20,000: m = 8.628% (numpy_financial.rate(24, 2000, -20000, 0)),
    checked also by substituting the answer back."""
    project = replace(
        SMALL, years=2, annual_benefit=24_000, data_cost=0, infra_setup=0, cloud_per_year=0
    )
    project = replace(project, maintenance_share=0)
    yearly = evaluate(project).irr
    assert yearly is not None
    m = (1 + yearly) ** (1 / 12) - 1
    assert 2_000 * (1 - (1 + m) ** -24) / m == pytest.approx(20_000, rel=1e-9)
    assert m == pytest.approx(npf.rate(24, 2_000, -20_000, 0), rel=1e-8)
    assert m == pytest.approx(0.08628, abs=1e-5)


def test_irr_is_none_when_nothing_flows() -> None:
    """All-zero flows have no rate of return (not -100%)."""
    assert irr(np.zeros(13)) is None
    project = Investment(annual_benefit=0, eng_months=0, years=1)
    assert evaluate(project).irr is None


def test_long_horizons_give_the_irr_without_numeric_warnings(
    recwarn: pytest.WarningsRecorder,
) -> None:
    """Twenty years is 241 monthly flows; the IRR still matches numpy_financial, silently."""
    project = replace(SMALL, years=20, annual_benefit=30_000, discount=0.1)
    result = evaluate(project)
    monthly = npf.irr(column(result, "net"))
    assert result.irr == pytest.approx((1 + monthly) ** 12 - 1, rel=1e-8)
    assert [str(w.message) for w in recwarn] == []


def test_roi_of_a_project_without_costs_has_the_sign_of_its_npv() -> None:
    """No costs at all: ROI is unbounded, +inf for a gain and -inf for a loss."""
    free = bare(
        annual_benefit=12_000, eng_months=0, deploy_days=0, ramp_months=0, years=1, discount=0
    )
    assert evaluate(free).npv == pytest.approx(12_000)
    assert evaluate(free).roi == math.inf
    harmful = replace(free, annual_benefit=-12_000)
    assert evaluate(harmful).npv == pytest.approx(-12_000)
    assert evaluate(harmful).roi == -math.inf


def test_the_modes_of_distributions_are_used_by_evaluate() -> None:
    """evaluate() on distributions equals evaluate() on their modes (Uniform: the middle)."""
    uncertain = replace(
        SMALL,
        annual_benefit=Triangular(60_000, 120_000, 300_000),
        cloud_per_year=Uniform(0, 12_000),
        deploy_days=Lognormal(61, 0.7),
    )
    assert evaluate(uncertain).npv == pytest.approx(evaluate(replace(SMALL, deploy_days=61)).npv)
    assert evaluate(uncertain).npv == pytest.approx(-28_000 + 10 * 9_000)  # live from month 3


# --------------------------------------------------------------------------- simulate()


def test_degenerate_distributions_give_the_deterministic_npv_in_every_draw() -> None:
    """Triangular(x, x, x) and Uniform(x, x) are the number x: every draw is the same project.

    With discount 0.1 the NPV is -28,000 + 9,000 x 11.4005 (see the annuity test).
    """
    degenerate = Investment(
        annual_benefit=Triangular(120_000, 120_000, 120_000),
        eng_months=Triangular(2, 2, 2),
        monthly_rate=10_000,
        data_cost=Uniform(5_000, 5_000),
        infra_setup=3_000,
        cloud_per_year=Uniform(6_000, 6_000),
        maintenance_share=Triangular(0.3, 0.3, 0.3),
        deploy_days=Triangular(0, 0, 0),
        ramp_months=0,
        years=1,
        discount=Triangular(0.1, 0.1, 0.1),
    )
    v = 1.1 ** (-1 / 12)
    expected = -28_000 + 9_000 * v * (1 - 1 / 1.1) / (1 - v)
    sim = simulate(degenerate, draws=1_000)
    assert sim.npv.shape == (1_000,)
    assert np.allclose(sim.npv, expected, rtol=1e-12, atol=0)
    assert sim.npv.max() == sim.npv.min()
    assert sim.npv[0] == pytest.approx(evaluate(replace(SMALL, discount=0.1)).npv, rel=1e-12)
    assert set(sim.payback.tolist()) == {4.0}
    assert sim.p_positive == 1.0
    assert sim.npv_percentiles() == pytest.approx((expected, expected, expected))
    assert sim.payback_percentiles() == (4.0, 4.0, 4.0)


def test_plain_numbers_give_the_deterministic_npv_in_every_draw() -> None:
    """No distribution at all: 80,000 in every draw; nothing is uncertain."""
    sim = simulate(SMALL, draws=500)
    assert np.allclose(sim.npv, 80_000, rtol=1e-12, atol=0)
    assert sim.uncertain == ()


def test_p_npv_positive_for_a_uniform_benefit_matches_the_closed_form() -> None:
    """NPV = -40,000 + B (discount 0, one year; costs 28,000 + 12 x 1,000; B / 12 a month).

    B ~ Uniform(30,000, 70,000): P(B > 40,000) = 30,000 / 40,000 = 0.75. With 100,000 draws
    one binomial standard error is sqrt(0.75 x 0.25 / 100,000) = 0.00137.
    P10, P50, P90 of B are 34,000, 50,000, 66,000: NPV -6,000, +10,000, +26,000; a quantile's
    standard error is sqrt(p (1 - p) / n) / density = at most 0.00158 x 40,000 = 63.
    """
    assert evaluate(replace(SMALL, annual_benefit=40_000)).npv == pytest.approx(0, abs=1e-6)
    project = replace(SMALL, annual_benefit=Uniform(30_000, 70_000))
    draws = 100_000
    sim = simulate(project, draws=draws)
    se = math.sqrt(0.75 * 0.25 / draws)
    assert abs(sim.p_positive - 0.75) < 3 * se
    p10, p50, p90 = sim.npv_percentiles()
    assert p10 < p50 < p90
    assert (p10, p50, p90) == pytest.approx((-6_000, 10_000, 26_000), abs=4 * 63)
    assert sim.uncertain == ("annual_benefit",)


def test_p_npv_positive_for_a_triangular_benefit_matches_the_closed_form() -> None:
    """NPV = -40,000 + B, B ~ Triangular(0, 20,000, 100,000).

    Above the mode, P(B > x) = (b - x)**2 / ((b - a)(b - c)), so
    P(B > 40,000) = 60,000**2 / (100,000 x 80,000) = 0.45; SE sqrt(0.45 x 0.55 / 1e5) = 0.00157.
    """
    sim = simulate(replace(SMALL, annual_benefit=Triangular(0, 20_000, 100_000)), draws=100_000)
    assert abs(sim.p_positive - 0.45) < 3 * math.sqrt(0.45 * 0.55 / 100_000)


def test_simulation_is_seeded() -> None:
    """The same seed gives the same draws; another seed other draws; the default is SEED."""
    project = replace(SMALL, annual_benefit=Triangular(60_000, 120_000, 200_000))
    first = simulate(project, draws=2_000, seed=7)
    again = simulate(project, draws=2_000, seed=7)
    other = simulate(project, draws=2_000, seed=8)
    assert np.array_equal(first.npv, again.npv)
    assert np.array_equal(first.payback, again.payback, equal_nan=True)
    assert not np.array_equal(first.npv, other.npv)
    default = simulate(project, draws=2_000)
    assert default.seed == SEED
    assert np.array_equal(default.npv, simulate(project, draws=2_000, seed=SEED).npv)


def test_payback_percentiles_say_none_where_a_share_never_pays_back() -> None:
    """B ~ Uniform(0, 100,000): paying back 28,000 within the year at B / 12 - 1,000 a month
    needs B - 12,000 >= 28,000, i.e. B >= 40,000: 60% of draws; never for the lowest 40%."""
    sim = simulate(replace(SMALL, annual_benefit=Uniform(0, 100_000)), draws=20_000)
    low, mid, high = sim.payback_percentiles()
    assert low is not None
    assert mid is not None
    assert high is None  # P90 of the payback: more than 10% never pay back
    assert 1 <= low <= mid <= 12
    assert np.isnan(sim.payback).mean() == pytest.approx(0.4, abs=0.02)


@pytest.mark.parametrize("draws", [0, -5])
def test_draws_must_be_positive(draws: int) -> None:
    with pytest.raises(ROIError, match="draws must be positive"):
        simulate(SMALL, draws=draws)


# --------------------------------------------------------------------------- tornado()

TORNADO = replace(
    SMALL,
    annual_benefit=Triangular(60_000, 120_000, 240_000),
    eng_months=Triangular(1, 2, 4),
    cloud_per_year=Uniform(0, 12_000),
    deploy_days=Lognormal(30, 0.5),
)


def test_tornado_rows_are_hand_worked_and_sorted_by_swing() -> None:
    """Every input swings from its P10 to its P90, the others at the central case.

    Base: 30 days = 0.986 months, live from month 2 (11 months); -28,000 + 11 x 9,000 = 71,000.
    The NPV as a function of one input (the others central):
    benefit B: 11 x (B / 12 - 1,000) - 28,000;  eng months e: 96,500 - 12,750 e
    (month 0 -(8,000 + 10,000 e), 11 x (10,000 - 500 - 250 e));  cloud c: 76,500 - 11 c / 12.

    benefit triangular(60k, 120k, 240k), F(mode) = 1/3:
        P10 60,000 + sqrt(0.1 x 180,000 x 60,000) = 92,863.4 -> 46,124.7
        P90 240,000 - sqrt(0.1 x 180,000 x 120,000) = 193,524.2 -> 138,397.2
    eng triangular(1, 2, 4): P10 1 + sqrt(0.3) = 1.5477 -> 76,766.5;
        P90 4 - sqrt(0.6) = 3.2254 -> 55,376.1
    cloud uniform(0, 12,000): P10 1,200 -> 75,400; P90 10,800 -> 66,600
    deploy lognormal(30, 0.5): P10 30 e^-0.641 = 15.8 days (0.52 months, still month 2)
        -> 71,000; P90 56.9 days (1.87 months, month 3 on) -> 10 x 9,000 - 28,000 = 62,000
    Swings 92,272.4 > 21,390.4 > 9,000 > 8,800: with the cloud's absolute ends (0, 12,000,
    swing 11,000) it would wrongly come before the time to deploy.
    """
    table = tornado(TORNADO)
    assert list(table["input"]) == ["annual_benefit", "eng_months", "deploy_days", "cloud_per_year"]
    benefit = [60_000 + math.sqrt(0.1 * 180_000 * 60_000), 240_000 - math.sqrt(2_160_000_000)]
    eng = [1 + math.sqrt(0.3), 4 - math.sqrt(0.6)]
    assert list(table["low"]) == pytest.approx([benefit[0], eng[0], 15.8065, 1_200], rel=1e-5)
    assert list(table["high"]) == pytest.approx([benefit[1], eng[1], 56.9386, 10_800], rel=1e-5)
    assert benefit == pytest.approx([92_863.35, 193_524.19])
    at_benefit = [11 * (b / 12 - 1_000) - 28_000 for b in benefit]
    at_eng = [96_500 - 12_750 * e for e in eng]
    assert at_benefit == pytest.approx([46_124.7, 138_397.2], abs=0.1)
    assert at_eng == pytest.approx([76_766.5, 55_376.1], abs=0.1)
    expected_low = [at_benefit[0], at_eng[0], 71_000, 75_400]
    expected_high = [at_benefit[1], at_eng[1], 62_000, 66_600]
    assert list(table["npv_at_low"]) == pytest.approx(expected_low)
    assert list(table["npv_at_high"]) == pytest.approx(expected_high)
    swings = [abs(h - lo) for lo, h in zip(expected_low, expected_high, strict=True)]
    assert list(table["swing"]) == pytest.approx(swings)
    assert swings == pytest.approx([92_272.4, 21_390.4, 9_000, 8_800], abs=0.1)
    assert list(table["base_npv"]) == pytest.approx([71_000] * 4)
    assert list(table["swing"]) == sorted(table["swing"], reverse=True)


def _small_flows(benefit: float, eng: float, cloud: float, first_live: int) -> list[float]:
    """The small project's 13 monthly net flows by hand, live from month ``first_live``."""
    running = benefit / 12 - cloud / 12 - 0.3 * 10_000 * eng / 12
    return [-(8_000 + 10_000 * eng)] + [0.0] * (first_live - 1) + [running] * (13 - first_live)


def test_each_tornado_row_is_the_npv_at_scipys_p10_and_p90_by_numpy_financial() -> None:
    """Discounted at 10% a year: each end from scipy.stats' ppf, the NPV from
    numpy_financial.npv over flows built by hand (central: benefit 120k, eng 2, cloud 6k,
    30 days to deploy, live from month 2; P10 15.8 days is month 2, P90 56.9 days month 3)."""
    project = replace(TORNADO, discount=0.10)
    rate = 1.1 ** (1 / 12) - 1
    ends = {
        "annual_benefit": stats.triang(c=1 / 3, loc=60_000, scale=180_000),
        "eng_months": stats.triang(c=1 / 3, loc=1, scale=3),
        "cloud_per_year": stats.uniform(loc=0, scale=12_000),
        "deploy_days": stats.lognorm(s=0.5, scale=30),
    }
    central = {"benefit": 120_000.0, "eng": 2.0, "cloud": 6_000.0, "first_live": 2}
    keys = {"annual_benefit": "benefit", "eng_months": "eng", "cloud_per_year": "cloud"}
    table = tornado(project).set_index("input")
    for name, dist in ends.items():
        for q, column_name in ((0.1, "npv_at_low"), (0.9, "npv_at_high")):
            end = float(dist.ppf(q))
            assert table.loc[name, "low" if q == 0.1 else "high"] == pytest.approx(end)
            values = dict(central)
            if name == "deploy_days":
                values["first_live"] = 2 if q == 0.1 else 3
            else:
                values[keys[name]] = end
            flows = _small_flows(**values)  # type: ignore[arg-type]
            expected = npf.npv(rate, flows)
            assert table.loc[name, column_name] == pytest.approx(expected, rel=1e-9)
    assert table["base_npv"].iloc[0] == pytest.approx(npf.npv(rate, _small_flows(**central)))  # type: ignore[arg-type]


def test_a_90_percent_benefit_range_swings_over_p10_and_p90_not_its_far_ends() -> None:
    """The ROI example's benefit: a 90% range of $1.22M to $7.07M around $3.95M. Its
    triangular reaches past both (-$95k to $8.46M), futures the tornado must not use: the
    bar runs from scipy's P10 to its P90, and the P10 lies above the 5% point $1.22M."""
    benefit = Triangular.from_interval(1.22e6, 3.95e6, 7.07e6)
    a, c, b = benefit.low_, benefit.mode_, benefit.high_
    scipy_benefit = stats.triang(c=(c - a) / (b - a), loc=a, scale=b - a)
    assert scipy_benefit.ppf(0.05) == pytest.approx(1.22e6)
    project = bare(
        annual_benefit=benefit, eng_months=6, deploy_days=0, ramp_months=0, years=1, discount=0
    )
    row = tornado(project).iloc[0]
    assert row["low"] == pytest.approx(scipy_benefit.ppf(0.1))
    assert row["high"] == pytest.approx(scipy_benefit.ppf(0.9))
    assert 1.22e6 < row["low"] < row["high"] < 7.07e6
    # one year live at once: NPV = B - 90,000 of engineering - 12 x 1,500 of maintenance
    assert row["npv_at_low"] == pytest.approx(scipy_benefit.ppf(0.1) - 108_000)
    assert row["npv_at_high"] == pytest.approx(scipy_benefit.ppf(0.9) - 108_000)


def test_the_tornado_chart_says_the_bars_run_from_p10_to_p90() -> None:
    from bizml_nb.finance.roi import tornado_chart

    figure = tornado_chart(tornado(TORNADO))
    label = figure.axes[0].get_xlabel()
    assert "from its P10 to its P90" in label


def test_tornado_without_uncertain_inputs_is_empty() -> None:
    table = tornado(SMALL)
    assert table.empty
    assert list(table.columns) == [
        "input",
        "low",
        "high",
        "npv_at_low",
        "npv_at_high",
        "swing",
        "base_npv",
    ]


# --------------------------------------------------------------------------- distributions


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Triangular(3, 2, 1), r"low <= mode <= high \(got 3, 2, 1\)"),
        (lambda: Triangular(1, 5, 4), r"low <= mode <= high \(got 1, 5, 4\)"),
        (lambda: Triangular(0, math.nan, 1), r"finite numbers \(got \(0, nan, 1\)\)"),
        (lambda: Triangular(0, 1, math.inf), r"finite numbers \(got \(0, 1, inf\)\)"),
        (lambda: Uniform(2, 1), r"low <= high \(got 2, 1\)"),
        (lambda: Uniform(math.nan, 1), r"finite .*\(got nan, 1\)"),
        (lambda: Lognormal(0, 1), r"median > 0 and sigma >= 0 \(got 0, 1\)"),
        (lambda: Lognormal(-30, 1), r"median > 0 and sigma >= 0 \(got -30, 1\)"),
        (lambda: Lognormal(30, -0.5), r"median > 0 and sigma >= 0 \(got 30, -0.5\)"),
        (lambda: Lognormal(math.inf, 0), r"finite .*\(got inf, 0\)"),
    ],
)
def test_bad_distributions_are_refused_naming_the_values(make: object, message: str) -> None:
    with pytest.raises(ROIError, match=message) as info:
        make()  # type: ignore[operator]
    assert "\n" not in str(info.value)


def test_lognormal_low_and_high_are_its_10th_and_90th_percentiles() -> None:
    """Against scipy: lognorm(s=sigma, scale=median).ppf(0.1) and .ppf(0.9)."""
    for median, sigma in [(30, 1.0), (28.64, 1.48), (5, 0.1)]:
        dist = Lognormal(median, sigma)
        assert dist.low() == pytest.approx(stats.lognorm.ppf(0.1, s=sigma, scale=median))
        assert dist.high() == pytest.approx(stats.lognorm.ppf(0.9, s=sigma, scale=median))
        assert dist.mode() == median
    point = Lognormal(7, 0.0)  # no spread: every percentile is the median
    assert (point.low(), point.mode(), point.high()) == (7, 7, 7)


@pytest.mark.parametrize("q", [0.0, 0.05, 0.1, 1 / 3, 0.5, 0.9, 0.95, 1.0])
def test_ppf_of_each_distribution_matches_scipy(q: float) -> None:
    """Triangular, uniform and lognormal percentiles against scipy.stats' own ppf."""
    assert Triangular(1, 2, 5).ppf(q) == pytest.approx(stats.triang.ppf(q, c=0.25, loc=1, scale=4))
    assert Triangular(0, 0, 10).ppf(q) == pytest.approx(stats.triang.ppf(q, c=0, loc=0, scale=10))
    assert Triangular(0, 10, 10).ppf(q) == pytest.approx(stats.triang.ppf(q, c=1, loc=0, scale=10))
    assert Uniform(-1, 3).ppf(q) == pytest.approx(stats.uniform.ppf(q, loc=-1, scale=4))
    assert Lognormal(30, 0.5).ppf(q) == pytest.approx(stats.lognorm.ppf(q, s=0.5, scale=30))
    assert Triangular(4, 4, 4).ppf(q) == 4
    assert Lognormal(7, 0).ppf(q) == 7


def test_percentile_of_a_number_a_distribution_and_a_sampler_without_ppf() -> None:
    """A number is its own P10; a distribution with only sample() is estimated from seeded
    draws: uniform(0, 100) has P10 10 and P90 90 (within sampling error)."""
    from bizml_nb.finance.roi import percentile

    @dataclass(frozen=True)
    class Sampler:
        def low(self) -> float:
            return 0.0

        def mode(self) -> float:
            return 50.0

        def high(self) -> float:
            return 100.0

        def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
            return rng.uniform(0, 100, size)

    assert percentile(5.0, 0.1) == 5.0
    assert percentile(Uniform(0, 100), 0.1) == pytest.approx(10)
    assert percentile(Sampler(), 0.1) == pytest.approx(10, abs=0.3)
    assert percentile(Sampler(), 0.9) == pytest.approx(90, abs=0.3)
    assert percentile(Sampler(), 0.9) == percentile(Sampler(), 0.9)  # seeded
    with pytest.raises(ROIError, match=r"a percentile is a share between 0 and 1 \(got 10\)"):
        percentile(Uniform(0, 100), 10)


def test_distributions_sample_within_their_support() -> None:
    """Triangular and Uniform draws stay in [low, high]; the lognormal median is its median."""
    rng = np.random.default_rng(1)
    tri = Triangular(1, 2, 5).sample(rng, 10_000)
    assert tri.min() >= 1
    assert tri.max() <= 5
    uni = Uniform(-1, 3).sample(rng, 10_000)
    assert uni.min() >= -1
    assert uni.max() <= 3
    assert Uniform(-1, 3).mode() == 1
    logn = Lognormal(30, 1).sample(rng, 40_000)
    assert np.median(logn) == pytest.approx(30, rel=0.03)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("years", [0, -1, 2.5, True, None])
def test_the_horizon_must_be_a_positive_whole_number_of_years(years: object) -> None:
    with pytest.raises(ROIError, match="positive whole number of years") as info:
        Investment(annual_benefit=1, years=years)  # type: ignore[arg-type]
    assert repr(years) in str(info.value)


@pytest.mark.parametrize(
    ("discount", "shown"),
    [(-1, "-1"), (-1.5, "-1.5"), (Triangular(-1.2, 0.1, 0.2), "-1.2"), (Uniform(-1, 0), "-1")],
)
def test_discount_must_be_above_minus_100_percent(discount: object, shown: str) -> None:
    with pytest.raises(ROIError, match=r"above -100% a year \(got " + shown + r"\)"):
        Investment(annual_benefit=1, discount=discount)  # type: ignore[arg-type]


def test_a_discount_just_above_minus_100_percent_is_accepted() -> None:
    """-99% a year: month 12's flow is worth 1 / 0.01 = 100 times its face value."""
    project = bare(
        annual_benefit=0, data_cost=1, eng_months=0, deploy_days=0, years=1, discount=-0.99
    )
    assert evaluate(project).npv == pytest.approx(-1)


@pytest.mark.parametrize(
    "name",
    [
        "data_cost",
        "eng_months",
        "monthly_rate",
        "infra_setup",
        "cloud_per_year",
        "maintenance_share",
        "deploy_days",
        "ramp_months",
    ],
)
def test_costs_and_times_must_not_be_negative(name: str) -> None:
    with pytest.raises(ROIError, match=rf"^{name} must not be negative \(got -1\)$"):
        Investment(annual_benefit=1, **{name: -1.0})  # type: ignore[arg-type]
    with pytest.raises(ROIError, match=rf"^{name} must not be negative \(got -2\)$"):
        Investment(annual_benefit=1, **{name: Triangular(-2, 0, 1)})  # type: ignore[arg-type]


def test_a_negative_benefit_is_allowed() -> None:
    """A harmful model has a negative benefit: -120,000 - 40,000 of costs = -160,000."""
    assert evaluate(replace(SMALL, annual_benefit=-120_000)).npv == pytest.approx(-160_000)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("name", ["annual_benefit", "data_cost", "discount", "deploy_days"])
def test_non_finite_inputs_are_refused(name: str, value: float) -> None:
    with pytest.raises(ROIError, match=rf"^{name} must be finite \(not {value!r}\)$"):
        Investment(**{"annual_benefit": 1.0, name: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["100", None, [1, 2]])
def test_an_input_that_is_not_a_number_is_refused_by_name(value: object) -> None:
    with pytest.raises(ROIError, match=r"^data_cost must be a number or a distribution"):
        Investment(annual_benefit=1, data_cost=value)  # type: ignore[arg-type]


def test_numpy_numbers_are_accepted_as_inputs() -> None:
    """np.int64(2) person-months and np.float64 are plain numbers: the small project's 80,000."""
    project = replace(SMALL, eng_months=np.int64(2), annual_benefit=np.float64(120_000))
    assert project.uncertain() == []
    assert evaluate(project).npv == pytest.approx(80_000)


# --------------------------------------------------------------------------- the ROI card


@dataclass
class Recsys:
    project: Project
    baseline: Run
    better: Run


@pytest.fixture
def recsys(project_dir: Path) -> Iterator[Recsys]:
    """A KPI worth 2.5e9 a unit, NDCG linked at 0.35 [0.20, 0.50], runs at 0.40 and 0.41."""
    projects = Projects()
    project = projects.get(project_dir)
    project.init("recsys-home", currency="USD")
    project.metric(
        "take_rate", unit="ratio", direction="higher", baseline=0.112, value_per_unit=2.5e9
    )
    project.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5), source="A/B")
    with project.experiment("popularity baseline", target="take_rate", baseline=True) as base:
        base.log({"ndcg@10": 0.40})
    with project.experiment("two-tower v2", target="take_rate") as better:
        better.log({"ndcg@10": 0.41})
    assert base.record is not None
    assert better.record is not None
    yield Recsys(project, base.record, better.record)
    projects.close()


def card_row(text: str, label: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith(label):
            return line
    raise AssertionError(f"no {label!r} row in:\n{text}")


def test_every_input_left_out_is_a_stated_default() -> None:
    """Only the benefit given: the ten other inputs are defaults, each named on the card."""
    card = roi(annual_benefit=500_000, draws=1_000)
    names = [n for n in INPUT_WORDS if n != "annual_benefit"]
    assert list(card.defaults) == names
    row = card_row(card.text(), "Defaults")
    for name in names:
        assert INPUT_WORDS[name] in row
    assert "Inputs" not in card.text()
    assert card.benefit_from == "given"


def test_given_inputs_are_not_defaults() -> None:
    card = roi(annual_benefit=500_000, years=3, discount=0.05, deploy_days=45, draws=1_000)
    assert "years" not in card.defaults
    assert "discount" not in card.defaults
    assert "deploy_days" not in card.defaults
    assert "eng_months" in card.defaults
    inputs = card_row(card.text(), "Inputs")
    assert "horizon in years 3" in inputs
    assert "discount rate per year 5%" in inputs
    assert "days to deploy 45" in inputs
    assert "Algorithmia" not in card.text()


def test_a_90_percent_range_becomes_a_triangular_that_keeps_its_tails() -> None:
    """Symmetric case by hand: ends c -+ d with (low - a)^2 / (2 d^2) = 0.05, so
    d = (c - low) / (1 - sqrt(0.1)) = 3 / 0.683772 = 4.387426 around c = 4."""
    t = Triangular.from_interval(1.0, 4.0, 7.0)
    assert (t.low_, t.mode_, t.high_) == pytest.approx((4 - 4.387426, 4.0, 4 + 4.387426))
    draws = t.sample(np.random.default_rng(0), 200_000)
    assert float(np.mean(draws < 1.0)) == pytest.approx(0.05, abs=0.003)
    assert float(np.mean(draws > 7.0)) == pytest.approx(0.05, abs=0.003)
    skewed = Triangular.from_interval(0.0, 0.0, 1.0)  # mode at the low end of the range
    assert skewed.low_ < 0.0
    assert skewed.high_ > 1.0
    assert Triangular.from_interval(2.0, 2.0, 2.0) == Triangular(2.0, 2.0, 2.0)
    with pytest.raises(ROIError, match="low <= mode <= high"):
        Triangular.from_interval(3.0, 1.0, 2.0)
    with pytest.raises(ROIError, match="coverage"):
        Triangular.from_interval(1.0, 2.0, 3.0, coverage=1.0)


def test_the_default_time_to_deploy_is_the_algorithmia_survey_prior() -> None:
    card = roi(annual_benefit=500_000, draws=1_000)
    assert card.investment.deploy_days == survey_prior()
    assert "deploy_days" in card.defaults
    assert "Algorithmia" in card_row(card.text(), "Defaults")


def test_a_runs_yearly_value_range_is_a_triangular_benefit(recsys: Recsys) -> None:
    """NDCG +0.01 x 0.35 [0.20, 0.50] x 2.5e9 = 8.75M [5M, 12.5M] a year: the triangular
    peaks at 8.75M and keeps 5% of its draws below 5M and 5% above 12.5M."""
    from scipy import stats

    card = roi(recsys.project, run="two-tower v2", draws=20_000)
    benefit = card.investment.annual_benefit
    assert isinstance(benefit, Triangular)
    a, c, b = benefit.low_, benefit.mode_, benefit.high_
    assert c == pytest.approx(8_750_000)
    shape = stats.triang(c=(c - a) / (b - a), loc=a, scale=b - a)
    assert shape.ppf([0.05, 0.95]) == pytest.approx([5_000_000, 12_500_000])
    impact = recsys.project.impact("two-tower v2")
    assert impact is not None
    value = impact.value_per_year
    assert value is not None
    assert (value.low, value.mid, value.high) == pytest.approx((5e6, 8.75e6, 12.5e6))
    assert "two-tower v2" in card.benefit_from
    assert "5% of draws below +$5M and 5% above +$12.5M" in card.benefit_from
    assert card.currency == "USD"
    assert card.simulation.uncertain == ("annual_benefit", "deploy_days")


def test_a_run_without_a_yearly_value_is_refused(recsys: Recsys) -> None:
    """The baseline run has no delta to price (it is the reference)."""
    with pytest.raises(BizmlError, match="pass --annual-benefit instead"):
        roi(recsys.project, run="popularity baseline", draws=1_000)


def test_a_run_needs_its_project() -> None:
    with pytest.raises(BizmlError, match="needs its project"):
        roi(run="two-tower v2", draws=1_000)


def test_benefit_is_given_exactly_one_way(recsys: Recsys) -> None:
    with pytest.raises(BizmlError, match="either as a run"):
        roi(recsys.project, run="two-tower v2", annual_benefit=1.0, draws=1_000)
    with pytest.raises(BizmlError, match="either as a run"):
        roi(recsys.project, draws=1_000)


def test_an_unknown_input_is_refused_with_a_suggestion() -> None:
    with pytest.raises(BizmlError, match=r"unknown ROI input 'discount_rate' \(did you mean"):
        roi(annual_benefit=1.0, discount_rate=0.1, draws=1_000)  # type: ignore[arg-type]
    with pytest.raises(BizmlError, match="did you mean 'cloud_per_year'"):
        roi(annual_benefit=1.0, cloud_per_yr=0.1, draws=1_000)  # type: ignore[arg-type]


def test_the_card_text_is_deterministic() -> None:
    """Two separately built cards of the same uncertain project print the same text."""
    inputs = {"annual_benefit": Triangular(100_000, 300_000, 600_000), "draws": 3_000}
    first = roi(**inputs).text()  # type: ignore[arg-type]
    second = roi(**inputs).text()  # type: ignore[arg-type]
    assert first == second
    assert "P(NPV > 0)" in first
    assert "3,000 draws" in first


def test_the_record_holds_the_figures_and_defaults() -> None:
    """The small project, every input given: NPV 80,000, ROI 2.0, payback 4, no defaults."""
    card = roi(
        annual_benefit=120_000,
        eng_months=2,
        monthly_rate=10_000,
        data_cost=5_000,
        infra_setup=3_000,
        cloud_per_year=6_000,
        maintenance_share=0.3,
        deploy_days=0,
        ramp_months=0,
        years=1,
        discount=0,
        draws=500,
    )
    bundle = card._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", ROI_MIME}
    assert ROI_MIME == "application/vnd.bizml.roi+json"
    record = json.loads(json.dumps(bundle[ROI_MIME], allow_nan=False))
    assert record["npv"] == pytest.approx(80_000)
    assert record["roi"] == pytest.approx(2.0)
    assert record["payback_month"] == 4
    assert record["p_npv_positive"] == 1.0
    assert record["defaults"] == []
    assert record["draws"] == 500
    assert "Defaults" not in bundle["text/plain"]
    assert "100% (no input is uncertain)" in bundle["text/plain"]


def test_the_card_text_is_exact() -> None:
    """The small project: 28k up front (2 x 10k + 5k + 3k), then 10k of benefit less 1k of
    cloud and maintenance (6k + 0.3 x 20k a year) a month: NPV 12 x 9k - 28k = 80k, ROI
    80k / 40k = 200%, payback in month 4 (4 x 9k = 36k >= 28k); IRR 31%/month, above 300%/yr.
    """
    card = roi(
        annual_benefit=120_000,
        eng_months=2,
        monthly_rate=10_000,
        data_cost=5_000,
        infra_setup=3_000,
        cloud_per_year=6_000,
        maintenance_share=0.3,
        deploy_days=0,
        ramp_months=0,
        years=1,
        discount=0,
        draws=500,
    )
    assert card.text() == (
        "ROI (USD)\n"
        "  NPV         +$80k over 1 years at 0%/yr\n"
        "  ROI         200% (NPV over the present value of the costs)\n"
        "  Payback     month 4\n"
        "  IRR         above 300%/yr (the costs are small next to the benefit; read the NPV and "
        "payback)\n"
        "  P(NPV > 0)  100% (no input is uncertain)\n"
        "  Benefit     annual benefit $120k a year, given\n"
        "  Inputs      data and labelling (one-off) $5k; engineering person-months 2; cost of a "
        "person-month $10k; infrastructure set-up (one-off) $3k; cloud per year $6k; "
        "maintenance, share of engineering per year 30%; days to deploy 0; months to full "
        "benefit 0; horizon in years 1; discount rate per year 0%"
    )
    assert repr(card) == card.text()
    assert 'class="bizml-card bizml-roi"' in card.html()


def test_the_record_lists_defaults_and_p_npv_positive_for_an_uncertain_benefit() -> None:
    card = roi(annual_benefit=Uniform(0, 1_000_000), draws=2_000)
    record = card.record()
    assert record["defaults"] == [n for n in INPUT_WORDS if n != "annual_benefit"]
    assert 0 < record["p_npv_positive"] < 1
    assert record["inputs"]["annual_benefit"] == "uniform(0, 1e+06)"
    assert "Algorithmia" in record["inputs"]["deploy_days"]


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_escapes_a_run_name(recsys: Recsys) -> None:
    """A run named <script>...</script> shows as text, never as a tag."""
    name = "<script>alert(1)</script>"
    with recsys.project.experiment(name, target="take_rate") as run:
        run.log({"ndcg@10": 0.42})
    card = roi(recsys.project, run=name, draws=1_000)
    parsed = _Parsed()
    parsed.feed(card.html())
    assert "script" not in parsed.tags
    assert set(parsed.tags) <= {
        "div",
        "b",
        "table",
        "tr",
        "th",
        "td",
        "code",
    }  # code: MathJax-free text
    assert name in "".join(parsed.text)


def test_money_charts_label_their_ticks_as_money() -> None:
    """Cash-flow ticks read $1M, -$200k, ... rather than multiples of a 1e6 offset."""
    from bizml_nb.core.figures import money_axis
    from bizml_nb.finance.roi import Investment, cashflow_chart, evaluate

    figure = cashflow_chart(evaluate(Investment(annual_benefit=2e6)), "USD")
    axis = figure.axes[0].yaxis
    formatter = axis.get_major_formatter()
    assert formatter(2_000_000, 0) == r"\$2M"  # escaped: matplotlib would read $...$ as math
    assert formatter(-250_000, 0) == r"-\$250k"
    assert formatter(0, 0) == r"\$0"
    figure.canvas.draw()
    assert axis.get_offset_text().get_text() == ""  # no "1e6" above the axis

    import matplotlib.pyplot as plt

    fig, axes = plt.subplots()
    money_axis(axes.xaxis, "CHF")
    assert axes.xaxis.get_major_formatter()(1.5e6, 0) == "1.5M CHF"
    plt.close(fig)


def test_roi_card_and_by_maturity_take_a_seed() -> None:
    """The same seed gives the same draws; another seed gives other draws."""
    from bizml_nb.finance.maturity import by_maturity
    from bizml_nb.finance.roi import Triangular
    from bizml_nb.present.roi_card import ROICard

    project = Investment(annual_benefit=Triangular(1e5, 3e5, 9e5))
    first = ROICard.build(project, draws=2_000, seed=1).simulation
    assert first.seed == 1
    assert (ROICard.build(project, draws=2_000, seed=1).simulation.npv == first.npv).all()
    assert (ROICard.build(project, draws=2_000, seed=2).simulation.npv != first.npv).any()
    same = by_maturity(project, draws=2_000, seed=1)
    assert same.equals(by_maturity(project, draws=2_000, seed=1))
    assert not same.equals(by_maturity(project, draws=2_000, seed=2))
    assert by_maturity(project, draws=2_000).equals(by_maturity(project, draws=2_000, seed=SEED))


def test_irr_is_found_when_the_flows_turn_far_beyond_the_first_bracket() -> None:
    """$150 of engineering against $100k a month (the issue's example): the flows turn,
    so the IRR exists. numpy-financial finds a monthly rate of 666.65 (hand check:
    -150 + 99,997.5 x sum over 12 months of 1/(1+m)^t is 0 at m = 666.65), far above the
    first bracket's 10; the card says "above 300%/yr", with why, rather than "none" or
    the seven digits of (1 + 666.65) ** 12 - 1."""
    from bizml_nb.finance.roi import irr_text

    project = bare(
        annual_benefit=1_200_000,
        eng_months=0.01,
        deploy_days=0,
        ramp_months=0,
        years=1,
        discount=0,
    )
    result = evaluate(project)
    net = column(result, "net")
    monthly = npf.irr(net)
    assert monthly == pytest.approx(666.65, rel=1e-6)
    assert result.irr == pytest.approx((1 + monthly) ** 12 - 1, rel=1e-6)
    above = "above 300%/yr (the costs are small next to the benefit; read the NPV and payback)"
    assert irr_text(result.irr) == above
    assert irr_text(3.0) == "300%/yr"  # the cut itself is shown
    assert irr_text(3.0001) == above
    assert irr_text(0.2086) == "21%/yr"
    assert irr_text(None) == "none (the flows never turn)"
    from bizml_nb.present.roi_card import ROICard

    card = ROICard.build(project, draws=2_000, seed=1)
    assert card_row(card.text(), "IRR") == f"  IRR         {above}"
    assert card.record()["irr"] == pytest.approx((1 + monthly) ** 12 - 1, rel=1e-6)  # exact
    card = card.text()
    assert "none (the flows never turn)" not in card
