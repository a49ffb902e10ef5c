"""Predicted against realised: a run's check, calibration, realised impact, and their cards.

One small project: a ratio KPI take_rate (baseline 11.2%, $2.5B a year per unit, so
$25M a year per +1 pp) and one link, ndcg@10 -> take_rate, elasticity 0.35 with the
90% interval [0.2, 0.5]. The baseline run has ndcg@10 0.40, so a run at 0.40 + d is
predicted to move take_rate by 0.35 d, from 0.2 d to 0.5 d:

    run            ndcg@10  d     predicted mid  90% range           launched
    two-tower v2   0.41     0.01  0.0035         [0.0020, 0.0050]    2026-02-01
    cross-encoder  0.42     0.02  0.0070         [0.0040, 0.0100]    2026-03-01
    two-tower v3   0.44     0.04  0.0140         [0.0080, 0.0200]    2026-04-01
    session model  0.43     0.03  (not measured)                     2026-05-01

Every other number is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from bizml_nb.core.errors import InvalidValue
from bizml_nb.core.run import Run
from bizml_nb.core.units import Z90
from bizml_nb.present.calibration_card import CALIBRATION_MIME, calibration_card
from bizml_nb.present.realised_cards import (
    IMPACT_MIME,
    OBSERVATION_MIME,
    impact_card,
    observation_card,
)
from bizml_nb.projects.project import Project
from bizml_nb.projects.realised import observe
from bizml_nb.projects.realised_value import calibration_of, checked, realised_impact
from tests.recsys_project import RECSYS_TOML, recsys_project

if TYPE_CHECKING:
    from pathlib import Path

# run ids whose 12-character short ids differ (cards show those)
BASE, V2, CROSS, V3, SESSION = (f"01JDA{k}00000000000000000000"[:26] for k in "BCDEF")
SE = 0.002  # every observation of the impact tests: se 0.002, so its 90% half-width is Z90 se
HALF = Z90 * SE  # 0.0032897


@pytest.fixture
def project(tmp_path: Path) -> Project:
    runs = [
        (BASE, "popularity", 0.40, None),
        (V2, "two-tower v2", 0.41, "2026-02-01"),
        (CROSS, "cross-encoder", 0.42, "2026-03-01"),
        (V3, "two-tower v3", 0.44, "2026-04-01"),
        (SESSION, "session model", 0.43, "2026-05-01"),
    ]
    return recsys_project(tmp_path, runs, baseline=BASE)


def _three_observed(project: Project, source: str = "A/B test") -> None:
    """Realised 0.0021, 0.0030 and 0.0090, each with se 0.002 (interval x +- Z90 se)."""
    for run_id, x, day in (
        (V2, 0.0021, "2026-02-20"),
        (CROSS, 0.0030, "2026-03-20"),
        (V3, 0.0090, "2026-04-20"),
    ):
        observe(project, run_id, x, (x - HALF, x + HALF), source=source, on=day)


# --------------------------------------------------------------------------- one run


def test_a_run_checked_inside_its_range_with_the_money_at_the_realised_change(
    project: Project,
) -> None:
    observe(project, V2, 0.0021, (0.0008, 0.0034), source="A/B test 2026-02", on="2026-02-20")
    c = checked(project, "two-tower v2")
    # predicted: 0.35 x 0.01 = 0.0035, range 0.2 x 0.01 = 0.0020 to 0.5 x 0.01 = 0.0050
    assert c.predicted is not None
    assert c.predicted.to_list() == pytest.approx([0.0020, 0.0035, 0.0050])
    assert c.inside is True  # 0.0020 <= 0.0021 <= 0.0050
    assert c.ratio == pytest.approx(0.6)  # 0.0021 / 0.0035
    # money: 0.0021 x 2.5e9 = $5.25M/yr; the interval 0.0008 x 2.5e9 = $2M to 0.0034 x 2.5e9 = $8.5M
    assert c.value_per_unit == 2.5e9
    assert c.value_per_year is not None
    assert c.value_per_year.to_list() == pytest.approx([2.0e6, 5.25e6, 8.5e6])
    # priced as the prediction is: 0.0035 x 2.5e9 = $8.75M/yr
    assert c.impact is not None
    assert c.impact.value_per_year is not None
    assert c.impact.value_per_year.mid == pytest.approx(8.75e6)


def test_the_observation_card_says_predicted_realised_inside_money_source(
    project: Project,
) -> None:
    observe(project, V2, 0.0021, (0.0008, 0.0034), source="A/B test 2026-02", on="2026-02-20")
    card = observation_card(project, V2)
    assert card.text() == (
        "two-tower v2  ->  take_rate: predicted vs realised\n"
        '  Run             "two-tower v2" (id 01JDAC000000)\n'
        "  Predicted       +0.35 pp take_rate [+0.20, +0.50] (90%)\n"
        "  Predicted value +$8.75M/yr [+$5M, +$12.5M] (90%)\n"
        "  Realised        +0.21 pp take_rate [+0.08, +0.34] (90%)\n"
        "  Check           inside the predicted 90% range; realised 60% of the predicted mid\n"
        "  Value           about +$5.25M/yr [+$2M, +$8.5M] (90%) at the realised change\n"
        "  Source          A/B test 2026-02; measured until 2026-02-20"
    )
    bundle = card._repr_mimebundle_()
    record = bundle[OBSERVATION_MIME]
    assert OBSERVATION_MIME == "application/vnd.bizml.observation+json"
    assert record["inside"] is True
    assert record["value_per_year"] == pytest.approx([2.0e6, 5.25e6, 8.5e6])
    assert record["observation"]["observation"]["source"] == "A/B test 2026-02"


def test_a_realised_change_below_its_range_from_a_daily_table_says_so_and_how(
    project: Project,
) -> None:
    observe(
        project,
        CROSS,
        0.0030,
        (0.0010, 0.0050),
        source="A/B test 2026-03",
        on="2026-03-20",
        n_days=14,
        method="mean of 14 daily differences (treatment - control)",
    )
    lines = observation_card(project, "cross-encoder").text().splitlines()
    # predicted 0.35 x 0.02 = 0.0070 in [0.0040, 0.0100]; 0.0030 < 0.0040; 0.0030 / 0.0070 = 43%
    assert (
        "  Check           below the predicted 90% range: +0.30 pp under its low end +0.40 pp; "
        "realised 43% of the predicted mid"
    ) in lines
    assert "  Method          14 days: mean of 14 daily differences (treatment - control)" in lines
    # 0.0030 x 2.5e9 = $7.5M/yr, from 0.0010 x 2.5e9 = $2.5M to 0.0050 x 2.5e9 = $12.5M
    assert (
        "  Value           about +$7.5M/yr [+$2.5M, +$12.5M] (90%) at the realised change" in lines
    )


def test_a_hostile_source_is_shown_as_text_and_escaped_in_html(project: Project) -> None:
    hostile = "<script>alert(1)</script> A/B & co"
    observe(project, V2, 0.0021, (0.0008, 0.0034), source=hostile, on="2026-02-20")
    card = observation_card(project, V2)
    assert f"  Source          {hostile}; measured until 2026-02-20" in card.text()
    page = card.html()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; A/B &amp; co" in page
    _three_observed(project, source=hostile)
    for shown in (calibration_card(project, chart=False), impact_card(project, today="2026-07-01")):
        assert "<script>" not in shown.html()


def test_an_unmeasured_run_says_how_to_record_its_observation(project: Project) -> None:
    lines = observation_card(project, V2).text().splitlines()
    assert lines[-1] == (
        "  Realised        not measured yet; record it with `%bizml observed 01JDAC000000 "
        "--kpi-delta D --interval LOW HIGH --source TEXT` (or `--csv FILE` of daily "
        "control/treatment figures)"
    )
    assert checked(project, V2).observation is None
    assert observation_card(project, V2).record()["observation"] is None


# --------------------------------------------------------------------------- calibration


def test_calibration_of_three_runs_coverage_and_haircut_by_hand(project: Project) -> None:
    _three_observed(project)
    observe(project, BASE, 0.0, (-0.001, 0.001), source="A/A test", on="2026-01-20")
    (item,) = calibration_of(project)
    assert [run.id for run in item.unpredicted] == [BASE]  # a baseline run predicts nothing
    assert (
        "  Predicted       none: this run is take_rate's baseline, which the others are "
        "compared with"
    ) in observation_card(project, BASE).text().splitlines()
    cal = item.calibration
    assert cal is not None
    # inside: 0.0021 in [0.0020, 0.0050] yes; 0.0030 in [0.0040, 0.0100] no; 0.0090 in
    # [0.0080, 0.0200] yes: 2 of 3
    assert (cal.n, cal.inside, cal.coverage) == (3, 2, pytest.approx(2 / 3))
    # Wilson 90%, z = 1.644854, z^2 = 2.705543, n = 3, p = 2/3:
    # centre = (p + z^2/6) / (1 + z^2/3) = 1.117590 / 1.901848 = 0.587633
    # half = z / 1.901848 x sqrt(p(1-p)/3 + z^2/36) = 0.864871 x 0.386301 = 0.334100
    assert cal.coverage_low == pytest.approx(0.253534, abs=1e-5)
    assert cal.coverage_high == pytest.approx(0.921734, abs=1e-5)
    # haircut: sum(p r) = 0.0035x0.0021 + 0.007x0.003 + 0.014x0.009 = 1.5435e-4,
    # sum(p^2) = 1.225e-5 + 4.9e-5 + 1.96e-4 = 2.5725e-4, b = 0.6 exactly;
    # residuals 0, -0.0012, +0.0006: s^2 = 1.8e-6 / 2 = 9e-7, se = sqrt(9e-7 / 2.5725e-4)
    # = 0.059148; t(2, 0.95) = 2.919986: 0.6 -+ 0.172713
    assert cal.haircut == pytest.approx(0.6)
    assert cal.haircut_se == pytest.approx(0.059148, abs=1e-6)
    assert (cal.haircut_low, cal.haircut_high) == (
        pytest.approx(0.427287, abs=1e-5),
        pytest.approx(0.772713, abs=1e-5),
    )


def test_the_calibration_card_text_chart_and_record(project: Project) -> None:
    _three_observed(project)
    observe(project, BASE, 0.0, (-0.001, 0.001), source="A/A test", on="2026-01-20")
    card = calibration_card(project)
    assert card.text().splitlines()[:7] == [
        "Calibration: predicted vs realised",
        "  KPI         take_rate: 3 runs with a prediction and an observation",
        '  Excluded    1 observed without a prediction: "popularity" (id 01JDAB000000)',
        "  Coverage    2 of 3 inside their predicted 90% range: 67% [25%, 92%] (90%); it "
        "should be near 90%",
        "              Consistent with 90%: the predicted ranges hold about as often as they claim.",
        "  Haircut     0.60 [0.43, 0.77] (90%), realised per unit predicted",
        "              Launches realised about 60% of what was predicted: predictions of "
        "take_rate are too optimistic; multiply new ones by 0.60.",
    ]
    assert card.text().splitlines()[7].startswith("Method: coverage: share of 3 realised changes")
    assert card.chart is not None
    assert card.chart.startswith(b"\x89PNG")
    assert "data:image/png;base64," in card.html()
    record = card._repr_mimebundle_()[CALIBRATION_MIME]
    assert CALIBRATION_MIME == "application/vnd.bizml.calibration+json"
    (kpi,) = record["kpis"]
    assert [point["inside"] for point in kpi["points"]] == [True, False, True]
    assert kpi["calibration"]["haircut"] == pytest.approx(0.6)
    assert kpi["excluded"] == [BASE]


def test_one_observed_run_is_too_few_for_a_calibration(project: Project) -> None:
    observe(project, V2, 0.0021, (0.0008, 0.0034), source="A/B test", on="2026-02-20")
    (item,) = calibration_of(project)
    assert item.calibration is None
    assert card_lines(calibration_card(project, chart=False))[1:] == [
        "  KPI         take_rate: 1 run with a prediction and an observation",
        "  Calibration not computed: needs at least 2 runs with a prediction and an "
        "observation (here 1)",
    ]


def card_lines(card: object) -> list[str]:
    return str(card).splitlines()


# --------------------------------------------------------------------------- realised impact


def test_realised_impact_shrinks_three_equal_se_effects_in_closed_form(project: Project) -> None:
    _three_observed(project)
    result = realised_impact(project, today="2026-07-01")
    (item,) = result.kpis
    assert [run.id for run in item.not_measured] == [SESSION]  # launched, no observation
    assert [launch.se for launch in item.launches] == pytest.approx([SE] * 3)
    total = item.cumulative
    assert total is not None
    shrinkage = total.shrinkage
    # equal se s = 0.002: tau^2 = sample variance of x - s^2. mean m = 0.0141 / 3 = 0.0047;
    # deviations -0.0026, -0.0017, +0.0043, squares sum 28.14e-6, variance 14.07e-6;
    # tau^2 = 14.07e-6 - 4e-6 = 10.07e-6; B = 10.07 / 14.07 = 0.715707; mu = m
    assert shrinkage.applied
    assert shrinkage.tau2 == pytest.approx(10.07e-6)
    assert shrinkage.mu == pytest.approx(0.0047)
    assert shrinkage.factors == pytest.approx([10.07 / 14.07] * 3)
    # shrunk = m + B (x - m): 0.0047 - 0.715707 x 0.0026 = 0.00283916,
    # 0.0047 - 0.715707 x 0.0017 = 0.00348330, 0.0047 + 0.715707 x 0.0043 = 0.00777754
    assert [launch.shrunk for launch in item.launches] == pytest.approx(
        [0.00283916, 0.00348330, 0.00777754], abs=1e-8
    )
    # a win: x > 1.644854 x 0.002 = 0.0032897: only 0.0090
    assert [launch.significant for launch in item.launches] == [False, False, True]
    # per year: every effect, raw 0.0141 x 2.5e9 = $35.25M; shrunk the same (the B (x - m)
    # sum to 0 with equal se); wins raw 0.0090 x 2.5e9 = $22.5M, shrunk 0.00777754 x 2.5e9
    # = $19.4439M; the winner's curse 0.00122246 x 2.5e9 = $3.05615M a year
    assert item.per_year == (pytest.approx(35.25e6), pytest.approx(35.25e6))
    assert item.wins_per_year == (pytest.approx(22.5e6), pytest.approx(19.44385e6, abs=10))
    assert item.winners_curse == pytest.approx(3.05615e6, abs=10)
    # to 2026-07-01: 150 days since 02-01 (28+31+30+31+30), 122 since 03-01, 91 since 04-01;
    # raw 2.5e9 x (0.0021x150 + 0.003x122 + 0.009x91) / 365.25 = 2.5e9 x 1.5 / 365.25
    # = $10,266,940; shrunk 2.5e9 x (0.425874 + 0.424963 + 0.707756) / 365.25 = $10,667,986
    assert [launch.days_live for launch in item.launches] == [150, 122, 91]
    raw, shrunk = item.to_date
    assert raw == pytest.approx(10_266_940.45, abs=1)
    assert shrunk == pytest.approx(10_667_986, abs=20)
    assert result.assumptions[1].startswith(
        "money to date = each launch's money per year x the days from its deployed_on to "
        "2026-07-01 / 365.25"
    )


def test_the_impact_card_text_with_a_run_not_measured(project: Project) -> None:
    _three_observed(project)
    card = impact_card(project, today="2026-07-01")
    lines = card.text().splitlines()
    assert lines[:7] == [
        "Realised impact of launched runs, to 2026-07-01 (USD)",
        "  KPI          take_rate: 4 launched, 3 measured",
        "  Per year     raw +$35.2M/yr, shrunk +$35.2M/yr",
        "  To date      raw +$10.3M, shrunk +$10.7M (each launch from its deployed_on to 2026-07-01)",
        "  Effects      sum +1.41 pp raw, +1.41 pp shrunk",
        "  Wins         1 significant: raw +$22.5M/yr, shrunk +$19.4M/yr; winner's curse "
        "correction -$3.06M/yr",
        # B = 0.715707 (test above): each keeps 72% of its distance from 0.0047 = +0.47 pp
        "  Shrinkage    applied to 3 effects: each keeps 72% of its distance from their mean "
        "+0.47 pp (the noisier, the less)",
    ]
    assert (
        '  Launch       "two-tower v3" (id 01JDAE000000) live since 2026-04-01: +0.90 pp '
        "realised, +0.78 pp shrunk; a significant win"
    ) in lines
    assert (
        '  Not measured "session model" (id 01JDAF000000) live since 2026-05-01: counted '
        "nowhere (not as 0, not as its prediction); record it with `%bizml observed "
        "01JDAF000000 --kpi-delta D --interval LOW HIGH --source TEXT` (or `--csv FILE` of "
        "daily control/treatment figures)"
    ) in lines
    method = next(line for line in lines if line.startswith("  Method"))
    assert "the winner's curse" in method
    assert "normal-normal empirical Bayes" in method
    assert lines[-1].startswith("Assumptions: each effect is the run's latest observation")
    record = card._repr_mimebundle_()[IMPACT_MIME]
    assert IMPACT_MIME == "application/vnd.bizml.realised-impact+json"
    assert record["kpis"][0]["not_measured"] == [SESSION]
    assert record["kpis"][0]["per_year"] == pytest.approx([35.25e6, 35.25e6])


def test_fewer_than_three_effects_are_not_shrunk_and_the_card_says_so(project: Project) -> None:
    _three_observed(project)
    result = realised_impact(project, since="2026-03-01", today="2026-07-01")
    (item,) = result.kpis
    assert [launch.run.id for launch in item.launches] == [CROSS, V3]  # V2 launched before
    assert item.cumulative is not None
    assert not item.cumulative.shrinkage.applied
    # raw = shrunk: per year (0.003 + 0.009) x 2.5e9 = $30M; wins 0.009 x 2.5e9 = $22.5M;
    # to date 2.5e9 x (0.003x122 + 0.009x91) / 365.25 = 2.5e9 x 1.185 / 365.25 = $8,110,883
    assert item.per_year == (pytest.approx(30e6), pytest.approx(30e6))
    assert item.wins_per_year == (pytest.approx(22.5e6), pytest.approx(22.5e6))
    assert item.to_date[0] == pytest.approx(8_110_882.96, abs=1)
    lines = impact_card(project, since="2026-03-01", today="2026-07-01").text().splitlines()
    assert lines[0] == "Realised impact of launched runs since 2026-03-01, to 2026-07-01 (USD)"
    assert (
        "  Wins         1 significant: raw +$22.5M/yr, shrunk +$22.5M/yr; no winner's curse "
        "correction (shrinkage not applied)"
    ) in lines
    assert (
        "  Shrinkage    not applied: shrinkage needs at least 3 observed effects to estimate "
        "how much true effects vary (here 2); the raw estimates are shown"
    ) in lines


def test_no_observations_at_all_say_what_to_do(project: Project) -> None:
    assert calibration_of(project) == []
    assert calibration_card(project).text() == (
        "Calibration: predicted vs realised: no observed run yet; record what a launched "
        "model did with `%bizml observed RUN --kpi-delta D --interval LOW HIGH --source "
        "TEXT` (or `--csv FILE` of daily control/treatment figures), then calibration "
        "compares it with its prediction"
    )
    # launched runs, none measured: each listed, none counted
    result = realised_impact(project, today="2026-07-01")
    (item,) = result.kpis
    assert item.cumulative is None
    assert item.per_year == (0.0, 0.0)
    assert [run.id for run in result.not_measured] == [V2, CROSS, V3, SESSION]
    lines = impact_card(project, today="2026-07-01").text().splitlines()
    assert lines[1] == "  KPI          take_rate: 4 launched, 0 measured"
    assert sum(line.startswith("  Not measured") for line in lines) == 4
    assert not any(line.startswith(("  Per year", "  Wins")) for line in lines)


def test_no_launched_run_and_a_bad_date(tmp_path: Path) -> None:
    (tmp_path / "bizml.toml").write_text(RECSYS_TOML, encoding="utf-8")
    proj = Project.at(tmp_path)
    assert impact_card(proj, today="2026-07-01").text() == (
        "Realised impact of launched runs, to 2026-07-01 (USD): no launched run yet; mark one "
        "with `%bizml deployed RUN --on YYYY-MM-DD` and record what it did with `%bizml "
        "observed RUN --kpi-delta D --interval LOW HIGH --source TEXT` (or `--csv FILE` of "
        "daily control/treatment figures)"
    )
    with pytest.raises(InvalidValue) as caught:
        realised_impact(proj, since="01/03/2026")
    assert str(caught.value) == "since is '01/03/2026', not a date; write it as YYYY-MM-DD"


def test_a_zero_width_interval_is_listed_not_counted(project: Project) -> None:
    _three_observed(project)
    observe(project, SESSION, 0.001, (0.001, 0.001), source="dashboard", on="2026-05-20")
    (item,) = realised_impact(project, today="2026-07-01").kpis
    assert [run.id for run in item.no_interval] == [SESSION]
    assert item.not_measured == ()
    assert math.isclose(item.per_year[0] or 0.0, 35.25e6)  # the three others only


def test_an_unpriced_kpi_sums_in_its_unit_and_says_it_is_not_priced(tmp_path: Path) -> None:
    unpriced = '\n[metrics.ok_rate]\nunit = "ratio"\ndirection = "higher"\nbaseline = 0.85\n'
    (tmp_path / "bizml.toml").write_text(RECSYS_TOML + unpriced, encoding="utf-8")
    proj = Project.at(tmp_path)
    run = Run(id=V2, name="filter v1", target="ok_rate", started_at="2026-01-05T09:00:00.000Z")
    proj.ledger.record(run)
    proj.ledger.mark_deployed(V2, "2026-02-01")
    observe(proj, V2, 0.02, (0.01, 0.03), source="launch", on="2026-02-20")
    (item,) = realised_impact(proj, target="ok_rate", today="2026-07-01").kpis
    assert item.value_per_unit is None
    assert item.per_year == (None, None)
    assert item.to_date == (None, None)
    # se = 0.02 / (2 x 1.644854) = 0.006080; a win: 0.02 > 1.644854 x 0.006080 = 0.01
    assert [launch.significant for launch in item.launches] == [True]
    lines = impact_card(proj, target="ok_rate", today="2026-07-01").text().splitlines()
    assert lines[1:5] == [
        "  KPI          ok_rate: 1 launched, 1 measured",
        "  Value        not priced: declare ok_rate's value_per_unit to see money; the sums "
        "are in ok_rate's unit",
        "  Effects      sum +2.00 pp raw, +2.00 pp shrunk",
        "  Wins         1 significant: raw +2.00 pp, shrunk +2.00 pp; no winner's curse "
        "correction (shrinkage not applied)",
    ]
    card = observation_card(proj, V2)
    assert "  Value           not priced: declare ok_rate's value_per_unit" in card.text()
    assert card.record()["value_per_year"] is None


def test_a_lower_is_better_kpi_counts_its_falls_as_wins(tmp_path: Path) -> None:
    """churn_rate, lower is better, -$1B a year per unit (-$10M per +1 pp). Three launches,
    each se 0.002: -0.40 pp and -0.60 pp are significant wins; +0.50 pp (costly) is not.

    Turned so that a win is positive, x = 0.004, 0.006, -0.005: mean 0.0016667, sample
    variance (0.0023333^2 + 0.0043333^2 + 0.0066667^2) / 2 = 3.43333e-5, so DL's tau^2
    (equal se) = 3.43333e-5 - 0.002^2 = 3.03333e-5 and B = 3.03333 / 3.43333 = 0.883495.
    Shrunk: 0.0016667 + B 0.0023333 = 0.0037282 and 0.0016667 + B 0.0043333 = 0.0054951,
    so as churn changes -0.0037282 and -0.0054951. Wins a year: raw (0.004 + 0.006) x 1e9
    = $10M, shrunk (0.0037282 + 0.0054951) x 1e9 = $9.2233M.
    """
    (tmp_path / "bizml.toml").write_text(
        '[project]\nname = "churn"\ncurrency = "USD"\n\n[metrics.churn_rate]\nunit = "ratio"\n'
        'direction = "lower"\nbaseline = 0.05\nvalue_per_unit = -1e9\n',
        encoding="utf-8",
    )
    proj = Project.at(tmp_path)
    changes = {"m1": -0.004, "m2": -0.006, "m3": 0.005}
    for name, change in changes.items():
        run = Run.new(name, target="churn_rate", metrics={"auc": 0.8})
        proj.ledger.record(run)
        proj.ledger.mark_deployed(run.id, "2026-01-01")
        observe(proj, run.id, change, (change - HALF, change + HALF), source="A/B test")
    result = realised_impact(proj, today="2026-12-31")
    (churn,) = result.kpis
    wins = {launch.run.name for launch in churn.launches if launch.significant}
    assert wins == {"m1", "m2"}
    shrunk = {launch.run.name: launch.shrunk for launch in churn.launches}
    assert shrunk["m1"] == pytest.approx(-0.0037282, abs=2e-7)
    assert shrunk["m2"] == pytest.approx(-0.0054951, abs=2e-7)
    raw, kept = churn.wins_per_year
    assert raw == pytest.approx(10_000_000)
    assert kept == pytest.approx(9_223_300, rel=1e-4)
    text = str(impact_card(proj, today="2026-12-31"))
    assert "2 significant" in text
    assert "sum -0.50 pp raw" in text  # -0.40 - 0.60 + 0.50


def test_a_launch_after_today_is_not_counted_and_today_before_since_is_refused(
    project: Project,
) -> None:
    """To 2026-03-15, only the launches of 2026-02-01 (V2) and 2026-03-01 (CROSS) are
    live; V3 (2026-04-01) and the unmeasured session model (2026-05-01) are not yet."""
    _three_observed(project)
    result = realised_impact(project, today="2026-03-15")
    (item,) = result.kpis
    assert [launch.run.id for launch in item.launches] == [V2, CROSS]
    assert item.not_measured == ()
    # per year (0.0021 + 0.0030) x 2.5e9 = $12.75M
    assert item.per_year[0] == pytest.approx(12.75e6)
    with pytest.raises(InvalidValue, match=r"^today is 2026-02-01, before since \(2026-03-01\)"):
        realised_impact(project, since="2026-03-01", today="2026-02-01")
