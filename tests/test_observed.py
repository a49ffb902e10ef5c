"""What launched models really did: realised changes, shrinkage, winner's curse, calibration.

Expected numbers are worked out by hand in the comments (quantiles from printed tables:
Student's t and the standard normal), never by calling the code under test. The
simulations use fixed seeds of numpy's default_rng, with tolerances wide enough to
hold on any CPU or BLAS.
"""

from __future__ import annotations

import datetime as dt
import doctest
import math
import subprocess
import sys
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from bizml_nb.core.errors import BizmlError, InvalidArguments, InvalidValue
from bizml_nb.impact import observed, shrinkage
from bizml_nb.impact.observed import (
    calibration,
    daily_difference,
    from_table,
    se_from_interval,
)
from bizml_nb.impact.shrinkage import cumulative, shrink

if TYPE_CHECKING:
    from pathlib import Path

DAYS = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
CONTROL = [0.110, 0.112, 0.111, 0.113]
TREATMENT = [0.112, 0.113, 0.114, 0.115]
# differences 0.002, 0.001, 0.003, 0.002: mean 0.002; deviations 0, -0.001, 0.001, 0,
# squares sum 2e-6, variance 2e-6 / 3 = 6.6667e-7, sd 8.1650e-4, se = sd / sqrt(4) = 4.0825e-4
SD = 8.1650e-4
SE = 4.0825e-4


# --- daily_difference -----------------------------------------------------------------


def test_four_days_give_the_mean_difference_and_a_t_interval() -> None:
    """Hand-worked: t(3 df, 0.95) = 2.3534 (table), half-width 2.3534 * 4.0825e-4 = 9.6077e-4."""
    result = daily_difference(DAYS, CONTROL, TREATMENT)
    assert result.estimate == pytest.approx(0.002, abs=1e-12)
    assert result.sd == pytest.approx(SD, abs=1e-8)
    assert result.se == pytest.approx(SE, abs=1e-8)
    assert result.low == pytest.approx(0.002 - 9.6077e-4, abs=1e-7)  # 0.0010392
    assert result.high == pytest.approx(0.002 + 9.6077e-4, abs=1e-7)  # 0.0029608
    assert (result.level, result.n_days) == (0.90, 4)
    assert (result.first_day, result.last_day) == ("2026-11-01", "2026-11-04")
    assert "mean of 4 daily differences" in result.method
    assert "90% Student-t interval with 3 degrees of freedom" in result.method


def test_the_level_sets_the_t_quantile() -> None:
    """95%: t(3 df, 0.975) = 3.1824 (table), half-width 3.1824 * 4.0825e-4 = 1.2992e-3."""
    result = daily_difference(DAYS, CONTROL, TREATMENT, level=0.95)
    assert result.low == pytest.approx(0.002 - 1.2992e-3, abs=1e-7)
    assert result.high == pytest.approx(0.002 + 1.2992e-3, abs=1e-7)
    assert "95% Student-t" in result.method


def test_two_days_use_one_degree_of_freedom() -> None:
    """Differences 1 and 3: mean 2, sd sqrt(2), se 1; t(1 df, 0.95) = 6.3138: [-4.3138, 8.3138]."""
    result = daily_difference(["a", "b"], [10.0, 10.0], [11.0, 13.0])
    assert result.estimate == pytest.approx(2.0)
    assert result.se == pytest.approx(1.0)
    assert result.low == pytest.approx(2 - 6.3138, abs=1e-4)
    assert result.high == pytest.approx(2 + 6.3138, abs=1e-4)
    assert "interval with 1 degree of freedom;" in result.method
    assert "97.5% Student-t" in daily_difference(["a", "b"], [1, 1], [2, 3], level=0.975).method


def test_days_may_be_dates_timestamps_or_text_in_any_order() -> None:
    """The first and last day are the earliest and latest, written as ISO dates."""
    as_dates = [dt.date(2026, 11, 3), dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
    stamps = pd.to_datetime(["2026-11-03", "2026-11-01", "2026-11-02"])
    for days in (
        as_dates,
        list(stamps),
        stamps.to_numpy(),
        ["2026-11-03", "2026-11-01", " 2026-11-02"],
    ):
        result = daily_difference(days, [1.0, 1.0, 1.0], [2.0, 2.0, 2.0])
        assert (result.first_day, result.last_day) == ("2026-11-01", "2026-11-03")
        # equal differences: sd 0, an interval of zero width
        assert (result.low, result.estimate, result.high) == pytest.approx((1.0, 1.0, 1.0))


def test_a_table_or_its_csv_gives_the_same_result(tmp_path: Path) -> None:
    """Columns date, control, treatment in any order; others ignored; spaces after commas."""
    frame = pd.DataFrame({"treatment": TREATMENT, "note": "x", "date": DAYS, "control": CONTROL})
    path = tmp_path / "ab.csv"
    path.write_text(
        "date, control, treatment\n"
        + "".join(f"{d}, {c}, {t}\n" for d, c, t in zip(DAYS, CONTROL, TREATMENT, strict=True))
    )
    for table in (frame, path, str(path)):
        result = from_table(table)
        assert result.estimate == pytest.approx(0.002, abs=1e-12)
        assert result.low == pytest.approx(0.002 - 9.6077e-4, abs=1e-7)
        assert result.n_days == 4
    assert from_table(frame, level=0.95).high == pytest.approx(0.002 + 1.2992e-3, abs=1e-7)


@pytest.mark.parametrize(
    ("call", "kind", "words"),
    [
        (
            lambda: daily_difference(["d1"], [1.0], [2.0]),
            InvalidValue,
            ["days", "1 day", "at least 2"],
        ),
        (lambda: daily_difference([], [], []), InvalidValue, ["0 days", "at least 2"]),
        (
            lambda: daily_difference(DAYS, CONTROL, [0.1, math.nan, 0.1, 0.1]),
            InvalidValue,
            ["treatment", "2026-11-02", "nan", "not a finite number"],
        ),
        (
            lambda: daily_difference(DAYS, [0.1, 0.1, math.inf, 0.1], TREATMENT),
            InvalidValue,
            ["control", "2026-11-03", "inf"],
        ),
        (
            lambda: daily_difference(DAYS, CONTROL, TREATMENT[:3]),
            InvalidArguments,
            ["one entry per day", "4 days", "4 control", "3 treatment"],
        ),
        (
            lambda: daily_difference(
                ["2026-11-01", "2026-11-02", "2026-11-01"], [1, 2, 3], [1, 2, 3]
            ),
            InvalidValue,
            ["2026-11-01 twice", "positions 1 and 3", "one row per day"],
        ),
        (
            lambda: daily_difference([dt.date(2026, 11, 1), "2026-11-01"], [1, 2], [1, 2]),
            InvalidValue,
            ["2026-11-01 twice"],
        ),
        (
            lambda: daily_difference(["a", None], [1, 2], [1, 2]),
            InvalidValue,
            ["no day at position 2"],
        ),
        (
            lambda: daily_difference(DAYS, CONTROL, TREATMENT, level=90),
            InvalidValue,
            ["level", "between 0 and 1", "write 0.9"],
        ),
        (
            lambda: daily_difference(DAYS, "0.1", TREATMENT),
            InvalidValue,
            ["control", "list of numbers"],
        ),
        (
            lambda: daily_difference(DAYS, CONTROL, ["a", "b", "c", "d"]),
            InvalidValue,
            ["treatment", "list of numbers"],
        ),
    ],
)
def test_bad_daily_figures_are_refused_by_name(call: object, kind: type, words: list[str]) -> None:
    with pytest.raises(kind) as caught:
        call()  # type: ignore[operator]
    assert isinstance(caught.value, BizmlError)
    assert isinstance(caught.value, ValueError)
    for word in words:
        assert word in str(caught.value)


def test_a_table_without_a_column_or_with_text_is_refused_by_name(tmp_path: Path) -> None:
    frame = pd.DataFrame({"date": DAYS, "control": CONTROL})
    with pytest.raises(InvalidValue, match=r"missing treatment \(it has date, control\)"):
        from_table(frame)
    with pytest.raises(InvalidValue, match="missing date, control, treatment"):
        from_table(pd.DataFrame({"day": DAYS}))
    text = frame.assign(treatment=[0.1, "n/a", 0.1, 0.1])
    with pytest.raises(
        InvalidValue, match=r"column treatment holds 'n/a' in row 2 \(day 2026-11-02\)"
    ):
        from_table(text)
    with pytest.raises(InvalidValue, match="does not exist"):
        from_table(tmp_path / "absent.csv")
    (tmp_path / "short.csv").write_text("date,control\n2026-11-01,0.1\n")
    with pytest.raises(InvalidValue, match=r"short.csv needs the columns .* missing treatment"):
        from_table(tmp_path / "short.csv")
    (tmp_path / "gap.csv").write_text(
        "date,control,treatment\n2026-11-01,0.1,0.2\n2026-11-02,,0.2\n"
    )
    with pytest.raises(InvalidValue, match="control on day 2026-11-02 is nan"):
        from_table(tmp_path / "gap.csv")
    with pytest.raises(InvalidValue, match="DataFrame or the path of a CSV"):
        from_table([1, 2, 3])  # type: ignore[arg-type]


# --- se_from_interval -----------------------------------------------------------------


def test_the_se_behind_a_normal_interval() -> None:
    """90%: z = 1.64485 (table), se = 0.0026 / (2 * 1.64485) = 7.9034e-4; 95%: z = 1.9600, se = 2 / 3.92."""
    assert se_from_interval(0.0008, 0.0034) == pytest.approx(7.9034e-4, abs=1e-8)
    assert se_from_interval(1.0, 3.0, 0.95) == pytest.approx(2 / 3.92, abs=1e-4)
    assert se_from_interval(np.float32(1.0), np.float64(3.0), 0.95) == pytest.approx(
        2 / 3.92, abs=1e-4
    )
    with pytest.raises(InvalidArguments, match=r"low must be below high \(got 3.0 and 1.0\)"):
        se_from_interval(3.0, 1.0)
    with pytest.raises(InvalidArguments, match="low must be below high"):
        se_from_interval(1.0, 1.0)
    with pytest.raises(InvalidValue, match="high must be a finite number"):
        se_from_interval(1.0, math.nan)
    with pytest.raises(InvalidValue, match="level must lie strictly between 0 and 1"):
        se_from_interval(1.0, 2.0, 1.0)


# --- shrinkage ------------------------------------------------------------------------


def test_shrinkage_of_three_effects_with_equal_standard_errors() -> None:
    """x = 1, 2, 6, every se = 1 (worked by hand).

    Equal se s: w_i = 1/s^2, sum(w) - sum(w^2)/sum(w) = (k - 1)/s^2 and Q = sum((x - mean)^2)/s^2,
    so DL's tau^2 = max(0, sample variance - s^2). Mean 3, deviations -2, -1, 3, squares
    4 + 1 + 9 = 14 = Q, sample variance 7, tau^2 = 6; mu = 3 (equal weights); B = 6/7;
    shrunk = 3 + 6/7 * (-2, -1, 3) = 9/7, 15/7, 39/7 = 1.285714, 2.142857, 5.571429;
    var(mu) = (tau^2 + s^2)/k = 7/3; posterior var = B s^2 + (1 - B)^2 var(mu)
    = 6/7 + (1/49)(7/3) = 18/21 + 1/21 = 19/21, sd 0.951190.
    """
    result = shrink([1.0, 2.0, 6.0], [1.0, 1.0, 1.0])
    assert result.applied
    assert result.k == 3
    assert result.q == pytest.approx(14.0)
    assert result.tau2 == pytest.approx(6.0)
    assert result.mu == pytest.approx(3.0)
    assert result.mu_se == pytest.approx(math.sqrt(7 / 3))
    assert result.factors == pytest.approx((6 / 7,) * 3)
    assert result.shrunk == pytest.approx((1.285714, 2.142857, 5.571429), abs=1e-6)
    assert result.posterior_sd == pytest.approx((0.951190,) * 3, abs=1e-6)
    assert result.estimates == (1.0, 2.0, 6.0)
    assert result.standard_errors == (1.0, 1.0, 1.0)
    assert "DerSimonian-Laird" in result.method
    assert "truncated at 0" in result.method


def test_shrinkage_with_unequal_standard_errors() -> None:
    """x = 0, 2, 4 with se = 1, 1, 2 (worked by hand).

    w = 1, 1, 1/4; sum(w) = 9/4; fixed mean = (0 + 2 + 1)/(9/4) = 4/3.
    Q = (16/9) + (4/9) + (1/4)(64/9) = 36/9 = 4. sum(w^2) = 33/16, sum(w^2)/sum(w) = 11/12,
    scale = 9/4 - 11/12 = 4/3; tau^2 = (4 - 2)/(4/3) = 1.5.
    w* = 1/2.5, 1/2.5, 1/5.5 = 0.4, 0.4, 2/11; sum(w*) = 54/55; mu = (0.8 + 8/11)/(54/55) = 14/9.
    B = 1.5/2.5, 1.5/2.5, 1.5/5.5 = 0.6, 0.6, 3/11.
    shrunk = 14/9 + 0.6 (0 - 14/9) = 28/45 = 0.622222; 14/9 + 0.6 (4/9) = 16.4/9 = 1.822222;
    14/9 + (3/11)(22/9) = 20/9 = 2.222222.
    var(mu) = 55/54; posterior var = 0.6 + 0.16 * 55/54 = 0.762963 (sd 0.873478),
    and 12/11 + (64/121)(55/54) = 44/27 = 1.629630 (sd 1.276569).
    """
    result = shrink(np.array([0.0, 2.0, 4.0]), (1.0, 1.0, 2.0))
    assert result.q == pytest.approx(4.0)
    assert result.tau2 == pytest.approx(1.5)
    assert result.mu == pytest.approx(14 / 9)
    assert result.mu_se == pytest.approx(math.sqrt(55 / 54))
    assert result.factors == pytest.approx((0.6, 0.6, 3 / 11))
    assert result.shrunk == pytest.approx((0.622222, 1.822222, 2.222222), abs=1e-6)
    assert result.posterior_sd == pytest.approx((0.873478, 0.873478, 1.276569), abs=1e-6)


def test_tau2_is_truncated_at_zero_and_every_effect_goes_to_the_mean() -> None:
    """x = 1, 2, 3, se = 2: Q = 2/4 = 0.5 < k - 1 = 2, so tau^2 = 0 and B = 0.

    Everything shrinks to mu = 2; posterior var = var(mu) = s^2/k = 4/3, sd 1.154701.
    """
    result = shrink([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    assert result.q == pytest.approx(0.5)
    assert result.tau2 == 0.0
    assert result.factors == (0.0, 0.0, 0.0)
    assert result.shrunk == pytest.approx((2.0, 2.0, 2.0))
    assert result.posterior_sd == pytest.approx((1.154701,) * 3, abs=1e-6)


@pytest.mark.parametrize("k", [1, 2])
def test_fewer_than_three_effects_are_not_shrunk_and_say_so(k: int) -> None:
    """With 1 or 2 effects tau^2 cannot be estimated: the raw figures, marked not applied.

    x = 1, 3 with se 1, 2: inverse-variance mean (1 + 3/4)/(1 + 1/4) = 1.4, se sqrt(1/1.25).
    """
    x, se = [1.0, 3.0][:k], [1.0, 2.0][:k]
    result = shrink(x, se)
    assert not result.applied
    assert result.shrunk == tuple(x)
    assert result.posterior_sd == tuple(se)
    assert result.factors == (1.0,) * k
    assert result.tau2 is None
    assert result.q is None
    assert "not applied" in result.method
    assert "at least 3" in result.method
    if k == 2:
        assert result.mu == pytest.approx(1.4)
        assert result.mu_se == pytest.approx(math.sqrt(1 / 1.25))


@pytest.mark.parametrize(
    ("estimates", "ses", "kind", "words"),
    [
        ([], [], InvalidValue, ["estimates", "empty"]),
        (
            [1.0, 2.0, 3.0],
            [1.0, 0.0, 1.0],
            InvalidValue,
            ["standard_errors", "effect 2", "positive"],
        ),
        ([1.0, 2.0, 3.0], [1.0, 1.0, -1.0], InvalidValue, ["effect 3 is -1", "positive"]),
        ([1.0, math.nan, 3.0], [1.0, 1.0, 1.0], InvalidValue, ["estimates", "effect 2 is nan"]),
        ([1.0, 2.0, 3.0], [1.0, 1.0], InvalidArguments, ["3 estimates and 2 standard errors"]),
        (5.0, 1.0, InvalidValue, ["estimates", "a single number"]),
    ],
)
def test_bad_effects_are_refused_by_name(
    estimates: object, ses: object, kind: type, words: list[str]
) -> None:
    for call in (shrink, cumulative):
        with pytest.raises(kind) as caught:
            call(estimates, ses)
        assert isinstance(caught.value, ValueError)
        for word in words:
            assert word in str(caught.value)


# --- the winner's curse ---------------------------------------------------------------


def test_the_sum_of_significant_wins_raw_and_shrunk() -> None:
    """x = 1, 2, 6, se 1 (shrunk 9/7, 15/7, 39/7 above), alpha 0.10: z = 1.6449 (table).

    Wins: 2 > 1.6449 and 6 > 1.6449; 1 is not. Raw wins 2 + 6 = 8; shrunk 15/7 + 39/7 =
    54/7 = 7.714286. Totals: raw 9, shrunk 63/7 = 9 (equal se: the total is unchanged).
    alpha 0.02: z = 2.3263, only 6 wins: raw 6, shrunk 39/7 = 5.571429.
    """
    result = cumulative([1.0, 2.0, 6.0], [1.0, 1.0, 1.0])
    assert result.wins == (1, 2)
    assert (result.n_wins, result.n_effects) == (2, 3)
    assert result.raw_wins == pytest.approx(8.0)
    assert result.shrunk_wins == pytest.approx(54 / 7)
    assert result.winners_curse == pytest.approx(8 - 54 / 7)
    assert result.raw_total == pytest.approx(9.0)
    assert result.shrunk_total == pytest.approx(9.0)
    assert result.shrinkage.tau2 == pytest.approx(6.0)
    assert "estimate > 1.645 se" in result.method
    assert "winner's curse" in result.method
    strict = cumulative([1.0, 2.0, 6.0], [1.0, 1.0, 1.0], alpha=0.02)
    assert strict.wins == (2,)
    assert (strict.raw_wins, strict.shrunk_wins) == pytest.approx((6.0, 39 / 7))


def test_a_significant_loss_is_not_a_win() -> None:
    """x = -5, 1, 2, 6 with se 1: -5 excludes 0 but is below it; wins are 2 and 6 (raw 8)."""
    result = cumulative([-5.0, 1.0, 2.0, 6.0], [1.0] * 4)
    assert result.wins == (2, 3)
    assert result.raw_wins == pytest.approx(8.0)
    assert result.raw_total == pytest.approx(4.0)


def test_two_effects_sum_raw_and_say_shrinkage_was_not_applied() -> None:
    result = cumulative([1.0, 2.0], [1.0, 1.0])
    assert result.wins == (1,)
    assert result.shrunk_wins == result.raw_wins == 2.0
    assert result.shrunk_total == result.raw_total == 3.0
    assert not result.shrinkage.applied
    assert "shrinkage not applied" in result.method


def test_alpha_must_lie_between_0_and_1() -> None:
    with pytest.raises(
        InvalidValue, match=r"alpha must lie strictly between 0 and 1, e.g. 0.10 \(not 10\)"
    ):
        cumulative([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], alpha=10)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_shrinkage_beats_raw_estimates_when_the_true_effects_are_known(seed: int) -> None:
    """400 true effects from N(0.001, 0.001^2), each seen with a known se in [0.0005, 0.002].

    Shrunk estimates have a lower mean squared error than raw ones (the expected ratio is
    the mean of B_i, about 0.4 here; asserted below 0.75); the raw sum of significant wins
    overstates their true total and the shrunk sum is closer to it (the winner's curse).
    """
    rng = np.random.default_rng(seed)
    k, mu, tau = 400, 0.001, 0.001
    se = rng.uniform(0.0005, 0.002, k)
    truth = rng.normal(mu, tau, k)
    seen = rng.normal(truth, se)
    result = cumulative(seen, se)
    shrunk = np.array(result.shrinkage.shrunk)
    raw_mse = float(np.mean((seen - truth) ** 2))
    shrunk_mse = float(np.mean((shrunk - truth) ** 2))
    assert shrunk_mse < 0.75 * raw_mse
    assert 0.5 * tau**2 < result.shrinkage.tau2 < 2 * tau**2  # type: ignore[operator]
    assert result.shrinkage.mu == pytest.approx(mu, abs=0.0003)
    true_wins = float(truth[list(result.wins)].sum())
    assert result.n_wins > 20
    assert result.raw_wins > true_wins
    assert abs(result.shrunk_wins - true_wins) < abs(result.raw_wins - true_wins)


# --- calibration ----------------------------------------------------------------------


def test_calibration_worked_by_hand() -> None:
    """Predicted 1, 2, 3 with ranges [0, 2], [1, 3], [2, 4]; realised 0.5, 1.5, 1.

    Coverage: 0.5 and 1.5 inside, 1 not: 2/3. Wilson at 90%, z = 1.6449, z^2 = 2.7055,
    z^2/n = 0.90185: centre (0.66667 + 2.7055/6)/1.90185 = 0.58763; half-width
    (1.6449/1.90185) sqrt(0.66667 * 0.33333/3 + 2.7055/36) = 0.86488 * 0.38630 = 0.33411:
    [0.25353, 0.92174].
    Haircut: sum(p r) = 0.5 + 3 + 3 = 6.5, sum(p^2) = 14, b = 6.5/14 = 0.464286.
    Residuals r - b p = 0.035714, 0.571429, -0.392857; squares 0.0012755 + 0.3265306 +
    0.1543367 = 0.4821429; s^2 = 0.4821429/2 = 0.2410714; se = sqrt(0.2410714/14) = 0.131223;
    t(2 df, 0.95) = 2.9200 (table): half-width 0.383171, interval [0.081115, 0.847457].
    """
    result = calibration([1, 2, 3], [0, 1, 2], [2, 3, 4], [0.5, 1.5, 1.0])
    assert (result.n, result.inside) == (3, 2)
    assert result.coverage == pytest.approx(2 / 3)
    assert result.coverage_low == pytest.approx(0.25353, abs=5e-5)
    assert result.coverage_high == pytest.approx(0.92174, abs=5e-5)
    assert result.haircut == pytest.approx(0.464286, abs=1e-6)
    assert result.haircut_se == pytest.approx(0.131223, abs=1e-6)
    assert result.haircut_low == pytest.approx(0.081115, abs=1e-5)
    assert result.haircut_high == pytest.approx(0.847457, abs=1e-5)
    assert (result.level, result.range_level) == (0.90, 0.90)
    assert "Wilson" in result.method
    assert "through the origin" in result.method
    assert "Multiply new predictions by the haircut" in result.method


def test_every_realised_value_inside_gives_a_wilson_interval_below_one() -> None:
    """4 of 4 inside: Wilson at 90% is [n/(n + z^2), 1] = [4/6.7055, 1] = [0.59653, 1].

    Realised exactly on the prediction: haircut 1 with se 0.
    """
    result = calibration([1, 2, 3, 4], [0, 1, 2, 3], [2, 3, 4, 5], [1, 2, 3, 4])
    assert result.coverage == 1.0
    assert result.coverage_low == pytest.approx(0.59653, abs=5e-5)
    assert result.coverage_high == pytest.approx(1.0)
    assert (result.haircut, result.haircut_se) == pytest.approx((1.0, 0.0))


@pytest.mark.parametrize(
    ("args", "kind", "words"),
    [
        (([1.0], [0.0], [2.0], [1.0]), InvalidValue, ["realised", "1 run", "at least 2"]),
        (
            ([0.0, 0.0], [-1.0, -1.0], [1.0, 1.0], [0.5, 0.2]),
            InvalidValue,
            ["predicted_mid", "0 for every run"],
        ),
        (
            ([1.0, 2.0], [0.0, 2.5], [2.0, 3.0], [1.0, 2.0]),
            InvalidValue,
            ["predicted_low of run 2", "above its mid", "[2.5, 3]", "low <= mid <= high"],
        ),
        (
            ([1.0, 2.0], [0.0, 1.0], [0.5, 3.0], [1.0, 2.0]),
            InvalidValue,
            ["predicted_high of run 1", "below its mid"],
        ),
        (
            ([1.0, 2.0], [0.0, 1.0], [2.0, 3.0], [1.0, math.nan]),
            InvalidValue,
            ["realised", "run 2 is nan"],
        ),
        (
            ([1.0, 2.0], [0.0, 1.0], [2.0, 3.0], [1.0]),
            InvalidArguments,
            ["one value per run", "2 predicted_mid", "1 realised"],
        ),
    ],
)
def test_bad_calibration_input_is_refused_by_name(
    args: tuple[list[float], ...], kind: type, words: list[str]
) -> None:
    with pytest.raises(kind) as caught:
        calibration(*args)
    assert isinstance(caught.value, ValueError)
    for word in words:
        assert word in str(caught.value)


def test_calibration_levels_are_checked() -> None:
    with pytest.raises(InvalidValue, match="range_level must lie strictly between 0 and 1"):
        calibration([1, 2], [0, 1], [2, 3], [1, 2], range_level=0)


def _simulated_predictions(seed: int, inflation: float) -> tuple[np.ndarray, ...]:
    """2,000 predictions p in [0.5, 3] with sd 0.3 p and a 90% range p +- 1.6449 * 0.3 p.

    The true change is p / inflation; the realised change scatters around it with the
    sd the prediction stated, scaled alike (0.3 p / inflation).
    """
    rng = np.random.default_rng(seed)
    n = 2000
    mid = rng.uniform(0.5, 3.0, n)
    sd = 0.3 * mid
    realised = rng.normal(mid / inflation, sd / inflation)
    z = 1.6448536
    return mid, mid - z * sd, mid + z * sd, realised


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_well_calibrated_predictions_cover_90_percent_with_no_haircut(seed: int) -> None:
    """Realised drawn from the predicted distribution: coverage 0.90 (sd sqrt(0.09/2000) =
    0.0067, asserted within 0.05) and a haircut near 1 (its se is about 0.007)."""
    result = calibration(*_simulated_predictions(seed, inflation=1.0))
    assert result.n == 2000
    assert abs(result.coverage - 0.90) < 0.05
    assert abs(result.haircut - 1.0) < 0.05
    assert result.coverage_low < result.coverage < result.coverage_high


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_predictions_inflated_twice_show_low_coverage_and_a_haircut_of_one_half(seed: int) -> None:
    """Predicted twice the truth: r/p ~ N(0.5, 0.15^2), inside when r/p > 1 - 1.6449 * 0.3 =
    0.5065, i.e. z > 0.04: coverage about 0.48, far below 0.90; haircut about 0.5."""
    result = calibration(*_simulated_predictions(seed, inflation=2.0))
    assert result.coverage < 0.60
    assert result.coverage_high < 0.80
    assert abs(result.haircut - 0.5) < 0.05
    assert result.haircut_high < 0.6


# --- the package --------------------------------------------------------------------


def test_the_docstring_examples_hold() -> None:
    attempted = 0
    for module in (observed, shrinkage):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted >= 5


def test_importing_the_modules_loads_no_numpy_scipy_or_pandas() -> None:
    """``%load_ext bizml_nb`` stays fast: the heavy imports happen inside the functions."""
    code = (
        "import sys, bizml_nb.impact.observed, bizml_nb.impact.shrinkage\n"
        "print(sorted(m for m in ('numpy', 'scipy', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_three_effects_gain_on_average_when_true_effects_vary_like_their_noise() -> None:
    """k = 3, se = 1, 4,000 seeded replications (shrink's docstring quotes the measure).

    tau = 1: the shrunk squared error is about 78% of the raw one (asserted below 90%);
    tau = 5: shrinkage costs at most a few percent (about 103%; asserted below 110%).
    """
    rng = np.random.default_rng(7)
    se = np.ones(3)
    for tau, bound in ((1.0, 0.90), (5.0, 1.10)):
        raw = shrunk = 0.0
        for _ in range(4000):
            truth = rng.normal(0.0, tau, 3)
            seen = rng.normal(truth, se)
            raw += float(np.sum((seen - truth) ** 2))
            shrunk += float(np.sum((np.array(shrink(seen, se).shrunk) - truth) ** 2))
        assert shrunk / raw < bound, tau
