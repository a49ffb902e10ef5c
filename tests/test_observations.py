"""Observations: what a run's model really did, as a record, in the ledger (schema 7) and
checked against its project's registry and run.

Every number here is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from bizml_nb.core import ledger_schema
from bizml_nb.core.errors import InvalidValue, LedgerError, UnknownMetric
from bizml_nb.core.ledger import Ledger, Run, new_run_id
from bizml_nb.core.ledger_schema import (
    APPLICATION_ID,
    INSERT,
    MIGRATIONS,
    RECOVER_HINT,
    SCHEMA_VERSION,
    statements,
    to_row,
)
from bizml_nb.core.observation import (
    OBSERVATION_FORMAT,
    OBSERVATION_VERSION,
    Observation,
    latest,
    validate_observation,
)
from bizml_nb.core.schema import RecordError
from bizml_nb.projects.project import Project, short_id
from bizml_nb.projects.realised import observations, observe, unit_problem

if TYPE_CHECKING:
    from pathlib import Path

RUN = "01JD7Q2XAB3C4D5E6F7G8H9J0K"
SOURCE = "A/B test 2026-11, 2 weeks"


def _obs(**changes: Any) -> Observation:
    fields: dict[str, Any] = {
        "id": "01JDAAAAAAAAAAAAAAAAAAAAAA",
        "run_id": RUN,
        "kpi_delta": 0.0021,
        "low": 0.0008,
        "high": 0.0034,
        "source": SOURCE,
        "observed_on": "2026-11-20",
        "recorded_at": "2026-11-21T09:30:00.000Z",
    }
    return Observation(**{**fields, **changes})


def _record(**changes: Any) -> dict[str, Any]:
    record = _obs().to_record()
    record["observation"].update(changes)
    return record


def _counts(path: Path) -> tuple[int, int]:
    """(runs, observations) in the ledger file, read with plain sqlite3."""
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("SELECT count(*) FROM runs").fetchone()[0],
            conn.execute("SELECT count(*) FROM observations").fetchone()[0],
        )
    finally:
        conn.close()


# --------------------------------------------------------------------------- the record


def test_the_record_holds_every_field_and_reads_back_equal_through_json() -> None:
    obs = _obs(level=0.95, origin="notebook", n_days=14, method="daily differences, t")
    record = obs.to_record()
    assert record == {
        "format": "bizml.observation",
        "version": 1,
        "observation": {
            "id": "01JDAAAAAAAAAAAAAAAAAAAAAA",
            "run_id": RUN,
            "kpi_delta": 0.0021,
            "low": 0.0008,
            "high": 0.0034,
            "source": SOURCE,
            "observed_on": "2026-11-20",
            "recorded_at": "2026-11-21T09:30:00.000Z",
            "level": 0.95,
            "origin": "notebook",
            "n_days": 14,
            "method": "daily differences, t",
        },
    }
    assert (OBSERVATION_FORMAT, OBSERVATION_VERSION) == ("bizml.observation", 1)
    assert Observation.from_record(json.loads(json.dumps(record))) == obs


def test_defaults_whole_numbers_and_fields_of_a_later_version() -> None:
    record = _record(kpi_delta=0, low=-1, high=2, later_field={"x": [1, 2]})
    record["card"] = {"text": "predicted vs realised"}  # other top-level keys are allowed
    obs = Observation.from_record(record)
    assert (obs.kpi_delta, obs.low, obs.high) == (0.0, -1.0, 2.0)
    assert all(type(x) is float for x in (obs.kpi_delta, obs.low, obs.high))
    assert (obs.level, obs.origin, obs.n_days, obs.method) == (0.9, None, None, None)
    assert "later_field" not in obs.to_record()["observation"]


def test_new_gives_a_fresh_ulid_and_the_time_now() -> None:
    before = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    first = Observation.new(RUN, 0.0021, 0.0008, 0.0034, source=SOURCE, observed_on="2026-11-20")
    second = Observation.new(RUN, 0.0021, 0.0008, 0.0034, source=SOURCE, observed_on="2026-11-20")
    assert len(first.id) == 26
    assert first.id < second.id
    assert before <= first.recorded_at <= second.recorded_at
    assert first.recorded_at.endswith("Z")
    assert len(first.recorded_at) == 24


BAD = "x.ipynb, cell 4: malformed observation record: "


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"kpi_delta": float("nan")},
            "kpi_delta is NaN; it must be a finite number from -1e+18 to 1e+18",
        ),
        (
            {"high": float("inf")},
            "high is Infinity; it must be a finite number from -1e+18 to 1e+18",
        ),
        ({"low": 2e18}, "low is 2e+18; it must be a number from -1e+18 to 1e+18"),
        ({"kpi_delta": True}, "kpi_delta is true; it must be a number from -1e+18 to 1e+18"),
        (
            {"kpi_delta": 0.004},
            "the interval [0.0008, 0.0034] does not contain its estimate kpi_delta 0.004; "
            "give low <= kpi_delta <= high",
        ),
        (
            {"low": 0.0034, "high": 0.0008},
            "the interval's low end 0.0034 is above its high end 0.0008; give low <= high",
        ),
        (
            {"level": 1.0},
            "level is 1.0; the interval's confidence level lies strictly between 0 and 1 "
            "(0.9 for a 90% interval)",
        ),
        (
            {"level": 0},
            "level is 0; the interval's confidence level lies strictly between 0 and 1 "
            "(0.9 for a 90% interval)",
        ),
        ({"level": 90}, "level is 90; it must be a number from 0 to 1"),
        (
            {"observed_on": "2026-11-31"},
            "observed_on is '2026-11-31'; it must be a date YYYY-MM-DD between 1970 and 2200",
        ),
        (
            {"observed_on": "20/11/2026"},
            "observed_on is '20/11/2026'; it must be a date YYYY-MM-DD between 1970 and 2200",
        ),
        (
            {"recorded_at": "yesterday"},
            "recorded_at is 'yesterday'; it must be an ISO 8601 time with a time zone between "
            "1970 and 2200, e.g. 2026-11-28T12:00:00.123Z",
        ),
        ({"source": ""}, "source is an empty string; it must be a non-empty string"),
        (
            {"source": "  \n"},
            "source is blank; say where the figure comes from, e.g. 'A/B test 2026-11, 2 weeks'",
        ),
        (
            {"source": "x" * 1001},
            "source is 1,001 characters long; at most 1,000 are allowed",
        ),
        ({"source": None}, "source is null; it must be a string"),
        ({"run_id": "a run"}, "run_id is 'a run'; a run id is printable ASCII without spaces"),
        (
            {"n_days": 0},
            "n_days is 0; it must be a whole number of days from 1 to 100,000",
        ),
        (
            {"n_days": 14.0},
            "n_days is 14.0; it must be a whole number of days from 1 to 100,000",
        ),
    ],
)
def test_a_broken_record_is_refused_with_one_message_naming_the_field(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(RecordError) as info:
        validate_observation(_record(**changes), "x.ipynb, cell 4")
    assert str(info.value) == BAD + message


def test_a_missing_field_a_stranger_and_a_newer_version_are_refused() -> None:
    record = _record()
    del record["observation"]["source"]
    with pytest.raises(RecordError) as info:
        Observation.from_record(record)
    assert str(info.value) == (
        "malformed observation record: source is missing; every observation has id, run_id, "
        "kpi_delta, low, high, source, observed_on, recorded_at"
    )
    with pytest.raises(RecordError) as info:
        Observation.from_record({"format": "bizml.run", "version": 1, "run": {}}, "f.json")
    assert str(info.value) == "f.json: not a bizml observation record"
    with pytest.raises(RecordError) as info:
        Observation.from_record({**_record(), "version": 2})
    assert str(info.value) == (
        "observation record version 2 is newer than this bizml_nb reads (1); upgrade bizml_nb"
    )
    with pytest.raises(RecordError) as info:
        Observation.from_record({**_record(), "version": "1"})
    assert str(info.value) == (
        "malformed observation record: version is '1'; it must be a whole number from 1 to 1"
    )


def test_an_observation_made_in_python_is_checked_too() -> None:
    """The dataclass refuses what the record refuses: no invalid Observation exists."""
    with pytest.raises(RecordError) as info:
        _obs(kpi_delta=0.0001)
    assert str(info.value) == (
        f"the observation of run {RUN!r} is not valid: the interval [0.0008, 0.0034] does not "
        "contain its estimate kpi_delta 0.0001; give low <= kpi_delta <= high"
    )
    assert info.value.field == "kpi_delta"
    with pytest.raises(RecordError, match="kpi_delta is NaN"):
        Observation.new(RUN, float("nan"), 0, 1, source=SOURCE, observed_on="2026-11-20")


def test_the_latest_observation_is_the_last_by_observed_on_then_recorded_at() -> None:
    early = _obs(id="01JDAAAAAAAAAAAAAAAAAAAAA1", observed_on="2026-11-20")
    launch = _obs(id="01JDAAAAAAAAAAAAAAAAAAAAA2", observed_on="2027-01-31", kpi_delta=0.0015)
    # recorded later, but measured earlier than the launch: the launch stays the latest
    late_entry = _obs(
        id="01JDAAAAAAAAAAAAAAAAAAAAA3",
        observed_on="2026-12-01",
        recorded_at="2027-02-01T00:00:00.000Z",
    )
    # measured the same day as the launch, recorded after it: the correction wins
    correction = _obs(
        id="01JDAAAAAAAAAAAAAAAAAAAAA0",
        observed_on="2027-01-31",
        recorded_at="2027-02-02T00:00:00.000Z",
        kpi_delta=0.0016,
    )
    other = _obs(id="01JDAAAAAAAAAAAAAAAAAAAAA4", run_id="01JDOTHERRUN00000000000000")
    assert latest([launch, early, late_entry, other]) == {RUN: launch, other.run_id: other}
    assert latest([correction, launch, early])[RUN] == correction


# --------------------------------------------------------------------------- the ledger


def _run(name: str = "two-tower", target: str = "take_rate", day: str = "2026-11-01") -> Run:
    return Run(
        id=new_run_id(),
        name=name,
        target=target,
        started_at=f"{day}T09:00:00.000Z",
        metrics={"ndcg@10": 0.43},
    )


def test_observations_round_trip_through_a_closed_and_reopened_ledger_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    run = _run()
    ledger.record(run)
    obs = Observation.new(
        run.id,
        -0.0005,
        -0.0012,
        0.0002,
        source="launch, 4 weeks",
        observed_on="2026-12-15",
        level=0.95,
        origin="notebook",
        n_days=28,
        method="daily differences",
    )
    ledger.observe(obs)
    ledger.close()
    again = Ledger(path)
    assert again.observations() == [obs]
    assert again.observations(run.id) == [obs]
    assert again.observations(target="take_rate") == [obs]
    assert again.observations(target="churn") == []
    assert again.observations("01JDNOSUCHRUN0000000000000") == []
    again.close()


def test_a_run_keeps_every_observation_oldest_first(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    run, other = _run(), _run("other", target="churn")
    ledger.record(run)
    ledger.record(other)
    launch = Observation.new(
        run.id, 0.0015, 0.0009, 0.0021, source="launch", observed_on="2027-01-31"
    )
    test = Observation.new(run.id, 0.0021, 0.0008, 0.0034, source=SOURCE, observed_on="2026-11-20")
    churn = Observation.new(other.id, -0.01, -0.02, 0.0, source="survey", observed_on="2026-12-01")
    for obs in (launch, test, churn):  # recorded out of order: read back by observed_on
        ledger.observe(obs)
    assert ledger.observations() == [test, churn, launch]
    assert ledger.observations(run.id) == [test, launch]
    assert ledger.observations(target="churn") == [churn]
    assert latest(ledger.observations()) == {run.id: launch, other.id: churn}
    assert _counts(ledger.path) == (2, 3)


def test_an_observation_of_an_unknown_run_writes_nothing(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    run = _run()
    ledger.record(run)
    kept = Observation.new(run.id, 0.0021, 0.0008, 0.0034, source=SOURCE, observed_on="2026-11-20")
    ledger.observe(kept)
    stray = _obs(run_id="01JDNOSUCHRUN0000000000000")
    with pytest.raises(LedgerError) as info:
        ledger.observe(stray)
    assert str(info.value) == (
        f"no run with id '01JDNOSUCHRUN0000000000000' in {ledger.path}; an observation belongs "
        "to a recorded run (record it, or import the notebook that made it, first); nothing "
        "was written"
    )
    with pytest.raises(LedgerError):  # one stray among good ones: none of them is written
        ledger.observe_new([_obs(run_id=run.id), stray])
    with pytest.raises(LedgerError) as info:
        ledger.observe(kept)
    assert str(info.value) == f"an observation with id {kept.id} is already in {ledger.path}"
    assert ledger.observations() == [kept]
    assert _counts(ledger.path) == (1, 1)


def test_observe_new_adds_only_new_ids_in_one_transaction(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    run = _run()
    ledger.record(run)
    first = _obs(run_id=run.id, id="01JDAAAAAAAAAAAAAAAAAAAAA1")
    second = _obs(run_id=run.id, id="01JDAAAAAAAAAAAAAAAAAAAAA2", observed_on="2026-11-27")
    assert ledger.observe_new([first]) == [first.id]
    assert ledger.observe_new([first, second]) == [second.id]  # an import run twice
    assert ledger.observe_new([]) == []
    assert ledger.observations() == [first, second]


def test_reading_a_missing_ledger_gives_no_observations_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none" / "ledger.sqlite"
    assert Ledger(path).observations() == []
    assert not path.parent.exists()


def test_the_table_refuses_a_row_the_record_would_refuse(tmp_path: Path) -> None:
    """The SQL CHECKs back the record's rules for rows written by other means."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    run = _run()
    ledger.record(run)
    ledger.close()
    conn = sqlite3.connect(ledger.path)
    row = (RUN, run.id, 0.004, 0.0008, 0.0034, 0.9, "s", "2026-11-20", "2026-11-21T00:00:00Z")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        conn.execute(
            "INSERT INTO observations (id, run_id, kpi_delta, low, high, level, source, "
            "observed_on, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    conn.close()


# --------------------------------------------------------------------------- schema 6 -> 7

V6_COLUMNS = INSERT.split("(", 1)[1].split(")", 1)[0]


def _schema_6_ledger(path: Path, runs: list[Run]) -> None:
    """A ledger as schema 6 wrote it: its six migrations, then rows as that version put them."""
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:6]:
        for statement in statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 6")
    for run in runs:
        values = to_row(run)
        conn.execute(
            f"INSERT INTO runs ({V6_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values
        )
    conn.execute(
        "UPDATE runs SET origin = 'mlflow:abc', origin_author = 'ana' WHERE id = ?", (runs[1].id,)
    )
    conn.execute(
        "INSERT INTO baselines VALUES ('take_rate', ?, '2026-11-02T00:00:00.000Z')", (runs[0].id,)
    )
    conn.execute(
        "INSERT INTO pushed VALUES (?, 'http://mlflow', '7', 'r1', 'sha', '2026-11-03T00:00:00Z')",
        (runs[0].id,),
    )
    conn.close()


def test_a_schema_6_ledger_is_upgraded_through_7_to_8_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "v6.sqlite"
    base = Run(
        id=new_run_id(),
        name="base",
        target="take_rate",
        started_at="2026-11-01T09:00:00.000Z",
        metrics={"ndcg@10": 0.42},
        is_baseline=True,
    )
    pulled = _run("pulled", day="2026-11-02")
    failed = Run(
        id=new_run_id(),
        name="broken",
        target="take_rate",
        started_at="2026-11-03T09:00:00.000Z",
        status="failed",
        error="ValueError: x",
        deployed_on=None,
        eng_hours=2.5,
    )
    runs = [base, pulled, failed]
    _schema_6_ledger(path, runs)
    ledger = Ledger(path)
    assert ledger.runs() == runs
    assert ledger.baseline("take_rate") == base
    assert ledger.last() == failed
    assert ledger.origins() == {pulled.id: ("mlflow:abc", "ana")}
    assert ledger.pushed("http://mlflow", "7") == {base.id: ("r1", "sha")}
    assert ledger.observations() == []
    obs = Observation.new(pulled.id, 0.001, 0.0, 0.002, source=SOURCE, observed_on="2026-11-20")
    ledger.observe(obs)
    ledger.close()
    check = sqlite3.connect(path)
    assert SCHEMA_VERSION == 8
    assert check.execute("PRAGMA user_version").fetchone()[0] == 8
    assert check.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    columns = [row[1] for row in check.execute("PRAGMA table_info(observations)")]
    assert columns == [
        "id",
        "run_id",
        "kpi_delta",
        "low",
        "high",
        "level",
        "source",
        "observed_on",
        "recorded_at",
        "origin",
        "n_days",
        "method",
        "predicted_low",
        "predicted_mid",
        "predicted_high",
        "baseline_id",
    ]
    assert check.execute("SELECT count(*) FROM runs").fetchone()[0] == 3
    assert check.execute("SELECT count(*) FROM baselines").fetchone()[0] == 1
    assert check.execute("SELECT count(*) FROM pushed").fetchone()[0] == 1
    assert check.execute("SELECT count(*) FROM run_order").fetchone()[0] == 3
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    assert Ledger(path).observations() == [obs]


def test_a_schema_8_ledger_is_refused_by_a_bizml_nb_that_reads_up_to_7(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous version's own check (user_version above what it reads) refuses the file
    and leaves it byte for byte as it was."""
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    ledger.record(_run())
    ledger.close()
    before = path.read_bytes()
    monkeypatch.setattr(ledger_schema, "SCHEMA_VERSION", 7)
    with pytest.raises(LedgerError) as info:
        Ledger(path).runs()
    assert str(info.value) == (
        f"{path} was written by a newer bizml_nb (ledger schema 8; this one reads up to 7); "
        f"it was left untouched. Upgrade with `pip install -U bizml_nb`, or: {RECOVER_HINT}"
    )
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- the project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    proj = Project.at(tmp_path)
    proj.init("recsys", currency="USD")
    proj.metric("take_rate", unit="ratio", direction="higher", baseline=0.112, value_per_unit=2.5e9)
    proj.metric("ok_rate", unit="ratio", direction="higher", baseline=0.85)
    proj.metric("uptime", unit="percent", direction="higher", baseline=99.5)
    proj.metric("revenue", unit="USD", direction="higher")
    return proj


def _recorded(project: Project, name: str = "two-tower", target: str = "take_rate") -> Run:
    run = _run(name, target)
    project.ledger.record(run)
    return run


def test_observe_stores_and_returns_the_observation(project: Project) -> None:
    run = _recorded(project)
    obs = observe(project, "two-tower", 0.0021, (0.0008, 0.0034), source=SOURCE, on="2026-11-20")
    assert (obs.run_id, obs.kpi_delta, obs.low, obs.high, obs.level) == (
        run.id,
        0.0021,
        0.0008,
        0.0034,
        0.9,
    )
    assert (obs.source, obs.observed_on, obs.origin) == (SOURCE, "2026-11-20", "python")
    assert project.ledger.observations(run.id) == [obs]
    # by its short id, as cards show it, and by `last`, with the KPI named
    again = observe(
        project,
        short_id(run.id),
        0.0015,
        [0.0009, 0.0021],
        source="launch",
        on="2026-11-30",
        kpi="take_rate",
        level=0.95,
        n_days=14,
        method="daily differences",
    )
    third = observe(
        project, "last", 0.0016, (0.001, 0.0022), source="launch, corrected", on="2026-11-30"
    )
    assert (again.level, again.n_days, again.method) == (0.95, 14, "daily differences")
    assert project.ledger.observations(run.id) == [obs, again, third]
    assert observations(project) == [(run, third)]  # the latest: 11-30, recorded last


def test_the_day_may_be_a_date(project: Project) -> None:
    _recorded(project)
    obs = observe(project, "two-tower", 0.001, (0.0, 0.002), source="test", on=date(2026, 11, 20))
    assert obs.observed_on == "2026-11-20"
    with pytest.raises(InvalidValue) as info:  # a time is not the day a measurement ended
        observe(project, "two-tower", 0.001, (0.0, 0.002), source="t", on=datetime(2026, 11, 20))
    assert str(info.value) == (
        "on is datetime.datetime(2026, 11, 20, 0, 0), not a date; write it as YYYY-MM-DD"
    )


def test_the_day_defaults_to_today_in_utc(project: Project) -> None:
    run = Run(id=new_run_id(), name="today", target="take_rate", started_at="2026-01-01T00:00:00Z")
    project.ledger.record(run)
    before = datetime.now(UTC).date().isoformat()
    obs = observe(project, "today", 0.001, (0.0, 0.002), source="A/B test")
    assert before <= obs.observed_on <= datetime.now(UTC).date().isoformat()


def test_observations_pairs_each_measured_run_with_its_latest(project: Project) -> None:
    first, second = _recorded(project, "a"), _recorded(project, "b")
    ok = _recorded(project, "c", target="ok_rate")
    _recorded(project, "never measured")
    observe(project, "a", 0.002, (0.001, 0.003), source="test", on="2026-11-20")
    later = observe(project, "a", 0.001, (0.0, 0.002), source="launch", on="2026-11-28")
    b = observe(project, "b", -0.001, (-0.002, 0.0), source="test", on="2026-11-21")
    c = observe(project, "c", 0.01, (0.0, 0.02), source="test", on="2026-11-22")
    assert observations(project) == [(first, later), (second, b), (ok, c)]
    assert observations(project, "take_rate") == [(first, later), (second, b)]
    assert observations(project, "revenue") == []
    with pytest.raises(UnknownMetric):
        observations(project, "take_rat")


def _refused(project: Project, error: type[Exception], *args: Any, **kwargs: Any) -> str:
    """Call observe, expect ``error``; the ledger must hold what it held before."""
    before = _counts(project.ledger.path)
    stored = project.ledger.observations()
    with pytest.raises(error) as info:
        observe(project, *args, **kwargs)
    assert _counts(project.ledger.path) == before
    assert project.ledger.observations() == stored
    return str(info.value)


@pytest.fixture
def measured(project: Project) -> Run:
    """A run of take_rate started 2026-11-01, with one observation already stored."""
    run = _recorded(project)
    observe(project, run.id, 0.0021, (0.0008, 0.0034), source=SOURCE, on="2026-11-20")
    return run


def test_an_unknown_run_is_refused(project: Project, measured: Run) -> None:
    message = _refused(project, LedgerError, "01ZZZZZZ", 0.0021, (0.0008, 0.0034), source=SOURCE)
    assert message == (
        f"no run with id '01ZZZZZZ' in {project.ledger.path}; `%bizml runs` or "
        "`bizml ledger list` lists them"
    )


def test_a_run_of_another_kpi_is_refused(project: Project, measured: Run) -> None:
    message = _refused(
        project, InvalidValue, "two-tower", 0.0021, (0.0008, 0.0034), source=SOURCE, kpi="ok_rate"
    )
    assert message == (
        f"kpi is 'ok_rate', but run \"two-tower\" (id {short_id(measured.id)}) was an "
        "experiment against 'take_rate'; name a run of 'ok_rate', or give the run's own KPI"
    )
    message = _refused(
        project, UnknownMetric, "two-tower", 0.0021, (0.0008, 0.0034), source=SOURCE, kpi="take_rat"
    )
    assert message.startswith(
        f"no business metric 'take_rat' in {project.registry_path} (did you mean 'take_rate'?)"
    )


def test_a_run_whose_kpi_is_no_longer_declared_is_refused(project: Project) -> None:
    run = _recorded(project, "ghostly", target="ghost")
    message = _refused(
        project, UnknownMetric, "ghostly", 0.1, (0.0, 0.2), source=SOURCE, on="2026-11-20"
    )
    assert message == (
        f"run \"ghostly\" (id {short_id(run.id)}) was an experiment against 'ghost', which "
        f"{project.registry_path} does not declare. Declare it with "
        "`bizml_nb.metric('ghost', unit=..., direction='higher' or 'lower')`"
    )


@pytest.mark.parametrize(
    ("on", "problem"),
    [
        (
            "2026-10-31",
            'is 2026-10-31, before run "two-tower" (id {id}) started (2026-11-01); '
            "give the day the measurement of its model ended",
        ),
        ("2026-11-31", "is '2026-11-31', not a date; write it as YYYY-MM-DD"),
        ("20.11.2026", "is '20.11.2026', not a date; write it as YYYY-MM-DD"),
        ("2026-11-20T10:00", "is '2026-11-20T10:00', not a date; write it as YYYY-MM-DD"),
    ],
)
def test_a_day_before_the_run_or_not_a_date_is_refused(
    project: Project, measured: Run, on: str, problem: str
) -> None:
    message = _refused(
        project, InvalidValue, "two-tower", 0.0021, (0.0008, 0.0034), source=SOURCE, on=on
    )
    assert message == "on " + problem.format(id=short_id(measured.id))


def test_a_day_in_the_future_is_refused(project: Project, measured: Run) -> None:
    today = max(datetime.now(UTC).date(), date.today())
    later = (today + timedelta(days=2)).isoformat()
    message = _refused(
        project, InvalidValue, "two-tower", 0.0021, (0.0008, 0.0034), source=SOURCE, on=later
    )
    assert message == (
        f"on is {later}, after today ({today.isoformat()}); give the day the measurement ended"
    )


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (
            (float("nan"), (0.0008, 0.0034)),
            RecordError,
            "the observation of run {run} is not valid: kpi_delta is NaN; it must be a finite "
            "number from -1e+18 to 1e+18",
        ),
        (
            (0.0021, (0.0025, 0.0034)),
            RecordError,
            "the observation of run {run} is not valid: the interval [0.0025, 0.0034] does not "
            "contain its estimate kpi_delta 0.0021; give low <= kpi_delta <= high",
        ),
        (
            (0.0021, (0.0008,)),
            InvalidValue,
            "interval needs two numbers, (low, high), around kpi_delta (not [0.0008])",
        ),
        (
            (0.0021, "0.0008 0.0034"),
            InvalidValue,
            "interval needs two numbers, (low, high), around kpi_delta (not '0.0008 0.0034')",
        ),
        (("0.0021", (0.0008, 0.0034)), InvalidValue, "kpi_delta must be a number (not '0.0021')"),
    ],
)
def test_numbers_that_break_the_observation_are_refused(
    project: Project, measured: Run, args: tuple[Any, ...], error: type[Exception], message: str
) -> None:
    said = _refused(project, error, "two-tower", *args, source=SOURCE, on="2026-11-21")
    assert said == message.format(run=repr(measured.id))


def test_a_level_outside_0_to_1_and_a_blank_source_are_refused(
    project: Project, measured: Run
) -> None:
    said = _refused(
        project,
        RecordError,
        "two-tower",
        0.0021,
        (0.0008, 0.0034),
        source=SOURCE,
        on="2026-11-21",
        level=90,
    )
    assert said.endswith("level is 90.0; it must be a number from 0 to 1")
    said = _refused(
        project, RecordError, "two-tower", 0.0021, (0.0008, 0.0034), source=" ", on="2026-11-21"
    )
    assert said.endswith(
        "source is blank; say where the figure comes from, e.g. 'A/B test 2026-11, 2 weeks'"
    )


# The unit rule: a ratio KPI lies from 0 to 1, so a change of it lies from -1 to 1, and with
# a baseline b, b + kpi_delta lies from 0 to 1. Worked by hand: 0.85 + 0.21 = 1.06 > 1;
# 0.112 + 2.1 = 2.212 (and 2.1 > 1 already); 0.112 - 0.21 = -0.098 < 0; 0.21 / 100 = 0.0021.
@pytest.mark.parametrize(
    ("kpi", "args", "keyword", "problem"),
    [
        (
            "ok_rate",
            (0.21, (0.08, 0.34)),
            "kpi_delta",
            "0.21 looks like percent points; a ratio KPI takes 0.0021 (for +0.21 pp): 'ok_rate' is "
            "a ratio from 0 to 1, and its baseline 0.85 plus 0.21 is 1.06",
        ),
        (
            "take_rate",
            (2.1, (0.8, 3.4)),
            "kpi_delta",
            "2.1 looks like percent points; a ratio KPI takes 0.021 (for +2.1 pp): 'take_rate' is a "
            "ratio from 0 to 1, so a change of it lies from -1 to 1",
        ),
        (
            "take_rate",
            (-0.21, (-0.34, -0.08)),
            "kpi_delta",
            "-0.21 looks like percent points; a ratio KPI takes -0.0021 (for -0.21 pp): "
            "'take_rate' is a ratio from 0 to 1, and its baseline 0.112 plus -0.21 is -0.098",
        ),
        (
            "take_rate",
            (0.0021, (0.0008, 3.4)),
            "interval",
            "[0.0008, 3.4] reaches beyond a change of 'take_rate', a ratio from 0 to 1 (a change "
            "lies from -1 to 1); in percent points, a ratio KPI takes [8e-06, 0.034]",
        ),
        # 99.5 + 1.5 = 101 > 100
        (
            "uptime",
            (1.5, (1.0, 2.0)),
            "kpi_delta",
            "1.5 cannot be a change of 'uptime': 'uptime' is a percent from 0 to 100, and its "
            "baseline 99.5 plus 1.5 is 101",
        ),
        (
            "uptime",
            (-150.0, (-200.0, -100.0)),
            "kpi_delta",
            "-150 cannot be a change of 'uptime': 'uptime' is a percent from 0 to 100, so a change "
            "of it lies from -100 to 100",
        ),
    ],
)
def test_a_change_in_the_wrong_unit_is_refused(
    project: Project, kpi: str, args: tuple[Any, ...], keyword: str, problem: str
) -> None:
    run = _recorded(project, "r", target=kpi)
    message = _refused(project, InvalidValue, run.id, *args, source=SOURCE, on="2026-11-20")
    assert message == f"{keyword} {problem}"
    with pytest.raises(InvalidValue) as info:
        observe(project, run.id, *args, source=SOURCE, on="2026-11-20")
    assert info.value.keyword == keyword  # a magic words it as its flag (--kpi-delta)


def test_a_change_possible_in_the_kpis_unit_is_kept(project: Project) -> None:
    """The rule refuses only what cannot be: 0.21 on a ratio at 0.112 reaches 0.322, a
    possible (if large) change, so it is stored; a money KPI has no bounds."""
    _recorded(project, "big")
    assert (
        observe(project, "big", 0.21, (0.08, 0.34), source=SOURCE, on="2026-11-20").kpi_delta
        == 0.21
    )
    # an interval may cross the edge: 0.112 - 0.2 < 0 for the low end only
    assert observe(project, "big", 0.05, (-0.2, 0.3), source=SOURCE, on="2026-11-20").low == -0.2
    _recorded(project, "money", target="revenue")
    assert (
        observe(project, "money", 2.5e6, (1e6, 4e6), source="finance", on="2026-11-20").high == 4e6
    )
    # -0.112 takes take_rate exactly to 0, and 0.888 exactly to 1: both possible
    from bizml_nb.core.registry import BusinessMetric

    metric = BusinessMetric("take_rate", "ratio", "higher", baseline=0.125)
    assert unit_problem(metric, -0.125, -0.2, 0.0) is None
    assert unit_problem(metric, 0.875, 0.5, 1.0) is None
    assert unit_problem(metric, 0.876, 0.5, 1.0) is not None


# --------------------------------------------------------------------------- concurrency

WRITER = """
import sys
from bizml_nb.core.ledger import Ledger
from bizml_nb.core.observation import Observation
path, run_id, worker = sys.argv[1], sys.argv[2], sys.argv[3]
ledger = Ledger(path)
print("ready", flush=True)
sys.stdin.readline()
for i in range(50):
    delta = i / 10_000
    ledger.observe(Observation.new(run_id, delta, delta - 0.001, delta + 0.001,
                                   source=f"w{worker}-{i}", observed_on="2026-11-20"))
ledger.close()
"""


def test_four_processes_observing_at_once_lose_nothing(tmp_path: Path) -> None:
    """4 processes x 50 observations of one run, all at once: the 200 are there."""
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    run = _run()
    ledger.record(run)
    ledger.close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), run.id, str(worker)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "error"},
        )
        for worker in range(4)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.communicate(timeout=120)[1]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert (proc.returncode, err) == (0, "")
    stored = Ledger(path).observations(run.id)
    assert sorted(obs.source for obs in stored) == sorted(
        f"w{w}-{i}" for w in range(4) for i in range(50)
    )
    assert len({obs.id for obs in stored}) == 200
    assert _counts(path) == (1, 200)
