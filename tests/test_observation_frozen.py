"""The prediction kept with an observation: a baseline set later changes no check.

One small project (as tests/test_realised_value.py): a ratio KPI take_rate ($2.5B a
year per unit) and one link, ndcg@10 -> take_rate, elasticity 0.35 [0.2, 0.5]. The
baseline run "popularity" has ndcg@10 0.40, so a run at 0.40 + d is predicted to move
take_rate by 0.35 d, from 0.2 d to 0.5 d:

    run            ndcg@10  against popularity (0.40)       against "new base" (0.43)
    two-tower v2   0.41     0.0035 [0.0020, 0.0050]         -0.0070 [-0.0100, -0.0040]
    cross-encoder  0.42     0.0070 [0.0040, 0.0100]         -0.0035 [-0.0050, -0.0020]

Realised: two-tower v2 +0.0021 [0.0008, 0.0034], cross-encoder +0.0030 [0.0010, 0.0050].
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

from bizml_nb.core.errors import LedgerError
from bizml_nb.core.ledger import Ledger
from bizml_nb.core.ledger_schema import (
    APPLICATION_ID,
    INSERT,
    MIGRATIONS,
    SCHEMA_VERSION,
    statements,
    to_row,
)
from bizml_nb.core.observation import Observation, validate_observation
from bizml_nb.core.run import Run
from bizml_nb.core.schema import RecordError
from bizml_nb.present.calibration_card import calibration_card
from bizml_nb.present.realised_cards import NOT_KEPT, observation_card
from bizml_nb.projects.project import Project
from bizml_nb.projects.realised import observe
from bizml_nb.projects.realised_value import calibration_of, checked
from tests.recsys_project import recsys_project

if TYPE_CHECKING:
    from pathlib import Path

BASE, V2, CROSS, NEW_BASE = (f"01JDA{k}00000000000000000000"[:26] for k in "BCDG")
OBS_ID = "01JDAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    runs = [
        (BASE, "popularity", 0.40, None),
        (V2, "two-tower v2", 0.41, None),
        (CROSS, "cross-encoder", 0.42, None),
    ]
    return recsys_project(tmp_path, runs, baseline=BASE)


def _run(run_id: str, name: str, ndcg: float, *, baseline: bool = False) -> Run:
    return Run(
        id=run_id,
        name=name,
        target="take_rate",
        started_at="2026-01-05T09:00:00.000Z",
        metrics={"ndcg@10": ndcg},
        is_baseline=baseline,
    )


def _new_baseline(project: Project) -> None:
    """A later baseline with another metric: ndcg@10 0.43 instead of 0.40."""
    project.ledger.record(_run(NEW_BASE, "new base", 0.43))
    project.set_baseline(NEW_BASE)


def _observe_both(project: Project) -> None:
    observe(project, V2, 0.0021, (0.0008, 0.0034), source="A/B test", on="2026-02-20")
    observe(project, CROSS, 0.0030, (0.0010, 0.0050), source="A/B test", on="2026-03-20")


def _obs(**changes: Any) -> Observation:
    fields: dict[str, Any] = {
        "id": OBS_ID,
        "run_id": V2,
        "kpi_delta": 0.0021,
        "low": 0.0008,
        "high": 0.0034,
        "source": "A/B test",
        "observed_on": "2026-02-20",
        "recorded_at": "2026-02-21T09:30:00.000Z",
    }
    return Observation(**{**fields, **changes})


FROZEN = {
    "predicted_low": 0.002,
    "predicted_mid": 0.0035,
    "predicted_high": 0.005,
    "baseline_id": BASE,
}


# --------------------------------------------------------------------------- the record


def test_the_kept_prediction_travels_in_the_record_and_reads_back() -> None:
    obs = _obs(**FROZEN)
    assert obs.predicted == (0.002, 0.0035, 0.005)
    record = json.loads(json.dumps(obs.to_record()))
    assert record["version"] == 1
    assert {key: record["observation"][key] for key in FROZEN} == FROZEN
    assert validate_observation(record) == obs


def test_a_record_without_the_new_fields_still_reads_with_none() -> None:
    record = _obs().to_record()
    # left out when None: the record an observation without one had before they existed
    assert not set(FROZEN) & set(record["observation"])
    assert validate_observation(_obs(**dict.fromkeys(FROZEN)).to_record()) == _obs()
    obs = validate_observation(record)
    assert obs == _obs()
    assert (obs.predicted, obs.baseline_id) == (None, None)


def test_whole_numbers_become_floats() -> None:
    obs = _obs(predicted_low=0, predicted_mid=1, predicted_high=2)
    assert obs.predicted == (0.0, 1.0, 2.0)
    assert all(type(x) is float for x in obs.predicted)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"predicted_low": 0.002, "predicted_mid": 0.0035},
            "predicted_high",
            "predicted_high is missing but predicted_low is given; a prediction kept with an "
            "observation has predicted_low, predicted_mid and predicted_high, or none of them",
        ),
        (
            {"predicted_high": 0.005},
            "predicted_low",
            "predicted_low is missing but predicted_high is given",
        ),
        (
            {"predicted_low": 0.004, "predicted_mid": 0.0035, "predicted_high": 0.005},
            "predicted_mid",
            "the predicted range [0.004, 0.005] does not contain its mid 0.0035; give "
            "predicted_low <= predicted_mid <= predicted_high",
        ),
        (
            {"predicted_low": 0.002, "predicted_mid": 0.0035, "predicted_high": float("inf")},
            "predicted_high",
            "predicted_high",
        ),
        (
            {"predicted_low": "0.002", "predicted_mid": 0.0035, "predicted_high": 0.005},
            "predicted_low",
            "predicted_low",
        ),
        ({"baseline_id": BASE}, "baseline_id", "baseline_id is given without a prediction"),
        ({**FROZEN, "baseline_id": "not an id"}, "baseline_id", "a run id is printable ASCII"),
        ({**FROZEN, "baseline_id": ""}, "baseline_id", "baseline_id"),
    ],
)
def test_a_broken_kept_prediction_is_refused_naming_its_field(
    changes: dict[str, Any], field: str, message: str
) -> None:
    record = _obs().to_record()
    record["observation"].update(changes)
    with pytest.raises(RecordError) as info:
        validate_observation(record)
    assert info.value.field == field
    assert message in str(info.value)
    with pytest.raises(RecordError, match="is not valid"):
        _obs(**changes)


def test_the_kept_prediction_survives_the_ledger(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.record(_run(V2, "two-tower v2", 0.41))
    kept, bare = _obs(**FROZEN), _obs(id="01JDAAAAAAAAAAAAAAAAAAAAA2", observed_on="2026-02-27")
    assert ledger.observe_new([kept, bare]) == [kept.id, bare.id]
    ledger.close()
    assert Ledger(tmp_path / "ledger.sqlite").observations() == [kept, bare]


def test_the_table_refuses_a_kept_prediction_the_record_would_refuse(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.record(_run(V2, "two-tower v2", 0.41))
    ledger.close()
    conn = sqlite3.connect(ledger.path)
    insert = (
        "INSERT INTO observations (id, run_id, kpi_delta, low, high, level, source, "
        "observed_on, recorded_at, predicted_low, predicted_mid, predicted_high, baseline_id) "
        "VALUES (?, ?, 0.002, 0.001, 0.003, 0.9, 's', '2026-02-20', '2026-02-21T00:00:00Z', "
        "?, ?, ?, ?)"
    )
    for bad in ((0.004, 0.0035, 0.005, None), (0.002, None, 0.005, None), (None,) * 3 + (BASE,)):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            conn.execute(insert, (OBS_ID, V2, *bad))
    conn.execute(insert, (OBS_ID, V2, 0.002, 0.0035, 0.005, BASE))
    conn.commit()
    conn.close()


# --------------------------------------------------------------------------- schema 7 -> 8

V7_COLUMNS = INSERT.split("(", 1)[1].split(")", 1)[0]


def _schema_7_ledger(path: Path, runs: list[Run]) -> None:
    """A ledger as schema 7 wrote it: its seven migrations, then rows as it put them."""
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:7]:
        for statement in statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 7")
    for run in runs:
        values = to_row(run)
        conn.execute(
            f"INSERT INTO runs ({V7_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values
        )
    conn.execute(
        "INSERT INTO baselines VALUES ('take_rate', ?, '2026-01-06T00:00:00.000Z')", (BASE,)
    )
    conn.execute(
        "INSERT INTO observations (id, run_id, kpi_delta, low, high, level, source, "
        "observed_on, recorded_at, origin, n_days, method) VALUES "
        f"('{OBS_ID}', '{V2}', 0.0021, 0.0008, 0.0034, 0.9, 'A/B test', '2026-02-20', "
        "'2026-02-21T09:30:00.000Z', NULL, NULL, NULL), "
        f"('01JDAAAAAAAAAAAAAAAAAAAAA2', '{CROSS}', 0.003, 0.001, 0.005, 0.95, 'launch', "
        "'2026-03-20', '2026-03-21T09:30:00.000Z', 'notebook', 14, 'daily differences')"
    )
    conn.close()


def test_a_schema_7_ledger_is_upgraded_to_8_keeping_every_observation(tmp_path: Path) -> None:
    path = tmp_path / "v7.sqlite"
    runs = [
        _run(BASE, "popularity", 0.40, baseline=True),
        _run(V2, "two-tower v2", 0.41),
        _run(CROSS, "cross-encoder", 0.42),
    ]
    _schema_7_ledger(path, runs)
    ledger = Ledger(path)
    assert ledger.runs() == runs
    assert ledger.baseline("take_rate") == runs[0]
    assert ledger.observations() == [
        _obs(),
        _obs(
            id="01JDAAAAAAAAAAAAAAAAAAAAA2",
            run_id=CROSS,
            kpi_delta=0.003,
            low=0.001,
            high=0.005,
            level=0.95,
            source="launch",
            observed_on="2026-03-20",
            recorded_at="2026-03-21T09:30:00.000Z",
            origin="notebook",
            n_days=14,
            method="daily differences",
        ),
    ]
    assert all(obs.predicted is None for obs in ledger.observations())
    ledger.observe(_obs(id="01JDAAAAAAAAAAAAAAAAAAAAA3", observed_on="2026-02-27", **FROZEN))
    ledger.close()
    check = sqlite3.connect(path)
    assert SCHEMA_VERSION == 8
    assert check.execute("PRAGMA user_version").fetchone()[0] == 8
    columns = [row[1] for row in check.execute("PRAGMA table_info(observations)")]
    assert columns[-4:] == ["predicted_low", "predicted_mid", "predicted_high", "baseline_id"]
    assert check.execute("SELECT count(*) FROM observations").fetchone()[0] == 3
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()


def test_a_schema_8_ledger_is_refused_by_one_that_reads_up_to_7(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bizml_nb.core import ledger_schema

    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    ledger.record(_run(V2, "two-tower v2", 0.41))
    ledger.close()
    before = path.read_bytes()
    monkeypatch.setattr(ledger_schema, "SCHEMA_VERSION", 7)
    with pytest.raises(LedgerError, match=r"ledger schema 8; this one reads up to 7"):
        Ledger(path).runs()
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- observe


def test_observe_keeps_the_prediction_and_the_baseline_it_was_made_against(
    project: Project,
) -> None:
    obs = observe(project, V2, 0.0021, (0.0008, 0.0034), source="A/B test", on="2026-02-20")
    # 0.35 x 0.01 = 0.0035, from 0.2 x 0.01 = 0.0020 to 0.5 x 0.01 = 0.0050
    assert obs.predicted == pytest.approx((0.0020, 0.0035, 0.0050))
    assert obs.baseline_id == BASE
    assert project.ledger.observations() == [obs]


def test_a_baseline_run_keeps_no_prediction(project: Project) -> None:
    obs = observe(project, BASE, 0.0, (-0.001, 0.001), source="A/A test", on="2026-02-20")
    assert (obs.predicted_low, obs.predicted_mid, obs.predicted_high) == (None, None, None)
    assert obs.baseline_id is None


def test_a_new_baseline_changes_no_check_point_or_inside(project: Project) -> None:
    _observe_both(project)
    before = observation_card(project, V2)
    calibration_before = calibration_of(project)
    _new_baseline(project)
    c = checked(project, V2)
    # today's prediction against "new base": 0.35 x (0.41 - 0.43) = -0.0070 [-0.0100, -0.0040]
    assert c.impact is not None
    assert c.impact.business_delta is not None
    assert c.impact.business_delta.to_list() == pytest.approx([-0.0100, -0.0070, -0.0040])
    # ... but the check is against the prediction kept with the observation
    assert c.frozen is True
    assert c.against_current_baseline is False
    assert c.predicted is not None
    assert c.predicted.to_list() == pytest.approx([0.0020, 0.0035, 0.0050])
    assert c.inside is True  # 0.0020 <= 0.0021 <= 0.0050
    assert c.ratio == pytest.approx(0.6)  # 0.0021 / 0.0035
    # priced at the KPI's value per unit: 0.0035 x 2.5e9 = $8.75M/yr, 0.002 -> $5M, 0.005 -> $12.5M
    assert c.predicted_value is not None
    assert c.predicted_value.to_list() == pytest.approx([5.0e6, 8.75e6, 12.5e6])
    after = observation_card(project, V2)
    assert after.text() == before.text()
    assert NOT_KEPT not in after.text()
    assert after.record()["predicted"] == pytest.approx([0.0020, 0.0035, 0.0050])
    assert after.record()["frozen"] is True

    (kpi,) = calibration_of(project)
    (kpi_before,) = calibration_before
    assert [p.predicted for p in kpi.points] == [p.predicted for p in kpi_before.points]
    assert [p.inside for p in kpi.points] == [True, False]  # 0.0030 < 0.0040, cross's low end
    assert all(p.frozen for p in kpi.points)
    assert kpi.calibration is not None
    assert kpi_before.calibration is not None
    # haircut = sum(p r) / sum(p^2) = (0.0035 x 0.0021 + 0.0070 x 0.0030)
    #         / (0.0035^2 + 0.0070^2) = 2.835e-5 / 6.125e-5 = 0.462857
    assert kpi.calibration.haircut == pytest.approx(0.462857, abs=1e-6)
    assert kpi.calibration.haircut == kpi_before.calibration.haircut
    assert (kpi.calibration.inside, kpi.calibration.n) == (1, 2)


def test_an_observation_recorded_without_a_kept_prediction_falls_back_and_says_so(
    project: Project,
) -> None:
    project.ledger.observe(_obs())  # as an older bizml_nb recorded it: no kept prediction
    c = checked(project, V2)
    assert (c.frozen, c.against_current_baseline, c.inside) == (False, True, True)
    text = observation_card(project, V2).text()
    assert (
        "  Predicted       +0.35 pp take_rate [+0.20, +0.50] (90%)\n"
        f"                  {NOT_KEPT}\n"
        "  Predicted value +$8.75M/yr [+$5M, +$12.5M] (90%)\n"
    ) in text
    _new_baseline(project)
    c = checked(project, V2)
    # now against "new base": -0.0070 [-0.0100, -0.0040]; 0.0021 is above its high end
    assert c.predicted is not None
    assert c.predicted.to_list() == pytest.approx([-0.0100, -0.0070, -0.0040])
    assert (c.frozen, c.inside) == (False, False)
    assert c.ratio == pytest.approx(-0.3)  # 0.0021 / -0.0070
    card = observation_card(project, V2)
    assert NOT_KEPT in card.text()
    assert card.record()["frozen"] is False


def test_calibration_marks_the_points_judged_against_the_current_baseline(
    project: Project,
) -> None:
    observe(project, V2, 0.0021, (0.0008, 0.0034), source="A/B test", on="2026-02-20")
    project.ledger.observe(
        _obs(
            id="01JDAAAAAAAAAAAAAAAAAAAAA2",
            run_id=CROSS,
            kpi_delta=0.003,
            low=0.001,
            high=0.005,
            observed_on="2026-03-20",
        )
    )
    _new_baseline(project)
    (kpi,) = calibration_of(project)
    assert [p.frozen for p in kpi.points] == [True, False]
    # cross-encoder against "new base": -0.0035 [-0.0050, -0.0020]
    assert kpi.points[1].predicted.to_list() == pytest.approx([-0.0050, -0.0035, -0.0020])
    assert [p.inside for p in kpi.points] == [True, False]
    card = calibration_card(project, chart=False)
    assert (
        "              1 of the 2 predictions against the current baseline: their "
        "observations were recorded before predictions were kept with them\n"
    ) in card.text()
    record = card.record()
    assert record is not None
    assert [p["frozen"] for p in record["kpis"][0]["points"]] == [True, False]


def test_a_calibration_whose_predictions_were_all_kept_says_nothing_more(
    project: Project,
) -> None:
    _observe_both(project)
    assert "current baseline" not in calibration_card(project, chart=False).text()


def test_a_prediction_beyond_what_a_record_holds_is_kept_as_none(tmp_path: Path) -> None:
    """A count KPI, elasticity 1e6, an ML change of 1e15: the prediction 1e21 is beyond
    the records' +-1e18. The observation is still stored, keeping no prediction."""
    (tmp_path / "bizml.toml").write_text(
        '[project]\nname = "big"\ncurrency = "USD"\n\n[metrics.orders]\nunit = "count"\n'
        'direction = "higher"\n\n[[links]]\nml_metric = "score"\nbusiness_metric = "orders"\n'
        "elasticity = 1e6\n",
        encoding="utf-8",
    )
    proj = Project.at(tmp_path)
    base, new = BASE, V2
    for run_id, score in ((base, 0.0), (new, 1e15)):
        proj.ledger.record(
            Run(
                id=run_id,
                name=run_id[:6],
                target="orders",
                started_at="2026-01-05T09:00:00.000Z",
                metrics={"score": score},
                is_baseline=run_id == base,
            )
        )
    impact = proj.impact(new)
    assert impact is not None
    assert impact.business_delta is not None
    assert impact.business_delta.mid == pytest.approx(1e21)
    obs = observe(proj, new, 5.0, (1.0, 9.0), source="A/B test", on="2026-02-20")
    assert obs.predicted is None
    assert obs.baseline_id is None
    assert proj.ledger.observations() == [obs]
