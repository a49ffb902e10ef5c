"""%bizml observed, calibration and impact in a real IPython shell, and their Python API.

The project is the quickstart's (conftest ``recsys``): a ratio KPI take_rate, baseline
0.112, worth 2.5e9 per unit a year, and the link ndcg@10 -> take_rate with elasticity
0.35 [0.20, 0.50]. "two-tower v2" logs ndcg@10 0.41 against the baseline's 0.40, so it
predicts +0.01 * 0.35 = +0.35 pp [+0.20, +0.50] of take_rate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.core.errors import BizmlError
from bizml_nb.core.notebook_records import OBSERVATION_MIME as CORE_OBSERVATION_MIME
from bizml_nb.present.realised_cards import OBSERVATION_MIME

BASELINE = (
    '%%bizml experiment "popularity baseline" --target take_rate --baseline\n'
    "import bizml_nb\n"
    'bizml_nb.log({"ndcg@10": 0.40})\n'
)
TWO_TOWER = (
    '%%bizml experiment "two-tower v2" --target take_rate\nbizml_nb.log({"ndcg@10": 0.41})\n'
)
BIGGER = '%%bizml experiment "bigger" --target take_rate\nbizml_nb.log({"ndcg@10": 0.42})\n'
OBSERVED = (
    'observed "two-tower v2" --kpi-delta 0.0021 --interval 0.0008 0.0034 '
    '--source "A/B test 2026-11, 2 weeks"'
)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def run_cells(ip: Any, *cells: str) -> None:
    with capture_output():
        for cell in cells:
            result = ip.run_cell(cell)
            assert result.success, result.error_in_exec


def lines(card: Any) -> dict[str, str]:
    """A card's text rows by label (the label is the first word(s) before two spaces)."""
    rows = {}
    for line in card.text().splitlines()[1:]:
        label, _, text = line.strip().partition("  ")
        rows[label] = text.strip()
    return rows


def stored() -> list[tuple[str, float, float, float, str, str]]:
    return [
        (o.run_id, o.kpi_delta, o.low, o.high, o.source, o.observed_on)
        for o in bizml_nb.project().ledger.observations()
    ]


@pytest.fixture
def runs(recsys: Any) -> Any:
    run_cells(recsys, BASELINE, TWO_TOWER)
    return recsys


def test_observed_records_the_change_and_shows_predicted_vs_realised(runs: Any) -> None:
    card = runs.run_line_magic("bizml", OBSERVED + " --on " + today())
    assert card.text().splitlines()[0] == "two-tower v2  ->  take_rate: predicted vs realised"
    rows = lines(card)
    assert rows["Predicted"] == "+0.35 pp take_rate [+0.20, +0.50] (90%)"
    assert rows["Realised"] == "+0.21 pp take_rate [+0.08, +0.34] (90%)"
    # 0.21 / 0.35 = 60% of the predicted mid, inside [0.20, 0.50]
    assert rows["Check"] == "inside the predicted 90% range; realised 60% of the predicted mid"
    # 2.5e9 * 0.0021 = 5.25M, * 0.0008 = 2M, * 0.0034 = 8.5M
    assert rows["Value"] == "about +$5.25M/yr [+$2M, +$8.5M] (90%) at the realised change"
    assert rows["Source"] == f"A/B test 2026-11, 2 weeks; measured until {today()}"
    run = bizml_nb.project().run("two-tower v2")
    assert stored() == [(run.id, 0.0021, 0.0008, 0.0034, "A/B test 2026-11, 2 weeks", today())]
    assert [o.origin for o in bizml_nb.project().ledger.observations()] == ["notebook"]
    bundle = card._repr_mimebundle_()
    assert bundle[OBSERVATION_MIME]["observation"]["observation"]["kpi_delta"] == 0.0021
    assert CORE_OBSERVATION_MIME is OBSERVATION_MIME  # one definition, imported


@pytest.mark.parametrize(
    ("rest", "words"),
    [
        # 0.112 + 0.95 > 1: a change in percent points given to a ratio KPI
        ("--kpi-delta 0.95 --interval 0.9 1.0", ["--kpi-delta", "percent points"]),
        ("--kpi-delta 0.0021 --interval 0.0025 0.0034", ["--kpi-delta", "does not contain"]),
        ("--kpi-delta 0.0021 --interval 0.0034 0.0008", ["--interval", "above its high end"]),
        ("--kpi-delta 0.0021 --interval 0.0008 0.0034 --level 1.5", ["--level", "1.5"]),
        ("--kpi-delta 0.0021", ["--kpi-delta", "--interval", "--csv"]),
        ("--interval 0.0008 0.0034", ["--kpi-delta"]),
        ("--kpi-delta 0.0021 --interval 0.0008 0.0034 --csv ab.csv", ["--csv", "--kpi-delta"]),
        ("--csv ab.csv --interval 0.0008 0.0034", ["--csv", "--interval"]),
        ("--csv missing.csv", ["--csv", "does not exist"]),
        ("--kpi-delta 0.0021 --interval 0.0008 0.0034 --on 2020-01-01", ["--on", "before run"]),
        ("--kpi-delta 0.0021 --interval 0.0008 0.0034 --on 2999-01-01", ["--on", "after today"]),
        ("--kpi-delta 0.0021 --interval 0.0008 0.0034 --on 20-11-2026", ["--on", "YYYY-MM-DD"]),
        ("--kpi-delta 0.0021 --interval 0.0008 0.0034 --kpi churn", ["'churn'"]),
        ("--kpi-delta nan --interval 0.0008 0.0034", ["--kpi-delta", "nan"]),
        ("--kpi-delta 0.0021 --interval 0.0008", ["--interval"]),
    ],
)
def test_every_mistake_is_one_usage_error_and_nothing_is_stored(
    runs: Any, rest: str, words: list[str]
) -> None:
    Path("ab.csv").write_text("date,control,treatment\n2026-11-01,0.1,0.2\n2026-11-02,0.1,0.3\n")
    before = stored()
    with pytest.raises(UsageError) as info:
        runs.run_line_magic("bizml", f'observed "two-tower v2" --source "A/B test" {rest}')
    assert type(info.value) is UsageError
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "\n" not in message.strip()
    assert stored() == before


def test_unknown_run_missing_source_and_bad_csv_are_usage_errors(runs: Any) -> None:
    Path("bad.csv").write_text("day,control\n2026-11-01,0.1\n")
    for line, word in (
        ("observed nope --kpi-delta 0.001 --interval 0 0.002 --source x", "no run"),
        ('observed "two-tower v2" --kpi-delta 0.001 --interval 0 0.002', "--source"),
        ('observed "two-tower v2" --csv bad.csv --source x', "--csv"),
        ('observed "two-tower v2" --kpi-delta 0.001 --interval 0 0.002 --source ""', "--source"),
    ):
        with pytest.raises(UsageError, match=word.replace("-", r"\-")):
            runs.run_line_magic("bizml", line)
    assert stored() == []


def write_table(path: Path, last: datetime) -> None:
    days = [(last - timedelta(days=3 - i)).date().isoformat() for i in range(4)]
    control = [0.110, 0.112, 0.111, 0.113]
    treatment = [0.112, 0.113, 0.114, 0.115]
    pd.DataFrame({"date": days, "control": control, "treatment": treatment}).to_csv(
        path, index=False
    )


def test_observed_from_a_daily_table(runs: Any) -> None:
    # daily differences 0.002, 0.001, 0.003, 0.002: mean 0.002; squared deviations
    # 0 + 1e-6 + 1e-6 + 0 = 2e-6, variance 2e-6 / 3, sd 8.16497e-4, se = sd / 2 =
    # 4.08248e-4; t(3 dof, 0.95) = 2.353363, half width 9.6076e-4:
    # [0.0010392, 0.0029608], i.e. +0.20 pp [+0.10, +0.30]
    now = datetime.now(UTC)
    write_table(Path("ab_result.csv"), now)
    card = runs.run_line_magic(
        "bizml", 'observed "two-tower v2" --csv ab_result.csv --source "A/B test, 4 days"'
    )
    rows = lines(card)
    assert rows["Realised"] == "+0.20 pp take_rate [+0.10, +0.30] (90%)"
    assert rows["Method"].startswith("4 days: mean of 4 daily differences (treatment - control)")
    (obs,) = bizml_nb.project().ledger.observations()
    assert obs.kpi_delta == pytest.approx(0.002, abs=1e-12)
    assert obs.low == pytest.approx(0.0010392, abs=1e-7)
    assert obs.high == pytest.approx(0.0029608, abs=1e-7)
    assert (obs.n_days, obs.observed_on) == (4, today())  # --on: the table's last day
    assert obs.method is not None
    assert "Student-t" in obs.method


def test_a_table_ending_before_the_run_names_csv_and_on(runs: Any) -> None:
    write_table(Path("old.csv"), datetime.now(UTC) - timedelta(days=2))
    with pytest.raises(UsageError) as info:
        runs.run_line_magic("bizml", 'observed "two-tower v2" --csv old.csv --source "A/B"')
    message = str(info.value)
    assert "--csv ends on" in message
    assert "--on" in message
    assert "before run" in message
    assert stored() == []
    # with --on, the measurement's end day is the one given
    runs.run_line_magic(
        "bizml", f'observed "two-tower v2" --csv old.csv --source "A/B" --on {today()}'
    )
    assert [row[5] for row in stored()] == [today()]


def test_calibration_and_impact(runs: Any) -> None:
    run_cells(runs, BIGGER)  # predicts +0.70 pp [+0.40, +1.00]
    with capture_output():
        runs.run_line_magic("bizml", OBSERVED)
        runs.run_line_magic(
            "bizml", 'observed bigger --kpi-delta 0.0012 --interval 0.0001 0.0023 --source "A/B"'
        )
    card = runs.run_line_magic("bizml", "calibration --target take_rate")
    text = card.text()
    assert text.splitlines()[0] == "Calibration: predicted vs realised"
    # two-tower v2: +0.21 pp inside [+0.20, +0.50]; bigger: +0.12 pp below [+0.40, +1.00]
    assert "take_rate: 2 runs with a prediction and an observation" in text
    rows = lines(card)
    assert rows["Coverage"].startswith("1 of 2 inside their predicted 90% range: 50%")
    # through the origin: sum(p*r)/sum(p^2) = (0.0035*0.0021 + 0.007*0.0012)
    # / (0.0035^2 + 0.007^2) = 1.575e-5 / 6.125e-5 = 0.257
    assert rows["Haircut"].startswith("0.26 [")
    with pytest.raises(UsageError, match="nope"):
        runs.run_line_magic("bizml", "calibration --target nope")
    with capture_output():
        runs.run_line_magic("bizml", f'deployed "two-tower v2" --on {today()}')
    impact = runs.run_line_magic("bizml", "impact --since 2026-01-01 --target take_rate")
    assert impact.text().startswith("Realised impact of launched runs")
    rows = lines(impact)
    assert rows["KPI"] == "take_rate: 1 launched, 1 measured"
    assert rows["Per year"].startswith("raw +$5.25M/yr")  # 2.5e9 * 0.0021 a year
    with pytest.raises(UsageError, match="--since"):
        runs.run_line_magic("bizml", "impact --since garbage")


def test_impact_counts_money_to_date_up_to_today_given(runs: Any) -> None:
    """Launched today (the runs were made today), counted to 30 days later."""
    later = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    with capture_output():
        runs.run_line_magic("bizml", OBSERVED)
        runs.run_line_magic("bizml", f'deployed "two-tower v2" --on {today()}')
    card = runs.run_line_magic("bizml", f"impact --today {later}")
    assert card.text().splitlines()[0] == f"Realised impact of launched runs, to {later} (USD)"
    record = card.record()
    assert record["today"] == later
    assert record["kpis"][0]["launches"][0]["days_live"] == 30
    # 0.0021 x 2.5e9 = $5.25M a year, for 30 days: 5.25e6 x 30 / 365.25 = $431,211.5
    assert record["kpis"][0]["to_date"][0] == pytest.approx(431_211.5, abs=0.1)
    assert runs.run_line_magic("bizml", f"impact --today {later}").text() == card.text()
    assert bizml_nb.realised_impact(today=later).text() == card.text()  # the API's today=
    for bad in ("garbage", "2026-02-30"):
        with pytest.raises(UsageError) as info:
            runs.run_line_magic("bizml", f"impact --today {bad}")
        assert str(info.value) == (
            f"%bizml impact: --today is {bad!r}, not a date; write it as YYYY-MM-DD"
        )


def test_help_lists_the_new_subcommands(runs: Any) -> None:
    with capture_output() as captured:
        runs.run_line_magic("bizml", "help")
        runs.run_line_magic("bizml", "help observed")
    for name in ("observed", "calibration", "impact"):
        assert f"  {name} " in captured.stdout
    assert "--kpi-delta" in captured.stdout
    assert "--csv" in captured.stdout


def test_python_api(runs: Any) -> None:
    card = bizml_nb.observe("two-tower v2", 0.0021, (0.0008, 0.0034), source="A/B test")
    assert lines(card)["Realised"] == "+0.21 pp take_rate [+0.08, +0.34] (90%)"
    assert card.checked.observation is not None
    assert card.checked.observation.kpi_delta == 0.0021
    assert card.checked.observation.origin == "python"
    now = datetime.now(UTC)
    days = [(now - timedelta(days=3 - i)).date().isoformat() for i in range(4)]
    frame = pd.DataFrame(
        {
            "date": days,
            "control": [0.110, 0.112, 0.111, 0.113],
            "treatment": [0.112, 0.113, 0.114, 0.115],
        }
    )
    with pytest.raises(BizmlError, match="table"):
        bizml_nb.observe("two-tower v2", 0.0021, (0.0008, 0.0034), source="x", table=frame)
    assert len(stored()) == 1
    card = bizml_nb.observe("two-tower v2", source="daily", table=frame)
    assert lines(card)["Realised"] == "+0.20 pp take_rate [+0.10, +0.30] (90%)"
    assert len(stored()) == 2
    assert bizml_nb.calibration().text().startswith("Calibration: predicted vs realised")
    assert bizml_nb.realised_impact().text().startswith("Realised impact of launched runs")
