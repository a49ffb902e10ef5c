"""The SQLite ledger: file format, run ids, round-trips, damage handling and concurrent writers."""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import warnings
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizml_nb.core.errors import BizmlWarning, LedgerError
from bizml_nb.core.ledger import (
    APPLICATION_ID,
    RECORD_VERSION,
    RECOVER_HINT,
    SCHEMA_VERSION,
    Ledger,
    Run,
    default_path,
    new_run_id,
    now_iso,
)
from bizml_nb.projects.project import Project

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
HINT = "bizml ledger import"
STRANGE_NAMES = [
    "<script>alert(1)</script>",
    'O\'Brien "x"\nline2',
    "ndcg@10 → 0,41 ✓ 日本語",
    "tab\there; semicolon'); DROP TABLE runs; --",
    "emoji 🚀 and a \\ backslash",
]


def full_run(**changes: object) -> Run:
    """A run with every field set to something other than its default."""
    fields: dict[str, object] = {
        "hypothesis": "better cold-start recall lifts take-rate",
        "expect": "+0.3pp",
        "tags": ("retrieval", "cold-start"),
        "params": {"lr": 0.01, "layers": [64, 32], "optimizer": "adam", "nested": {"a": None}},
        "is_baseline": True,
        "status": "ok",
        "error": None,
        "duration_s": 12.5,
        "metrics": {"ndcg@10": 0.4125, "latency_ms": 38.0},
        "notebook": "notebooks/quickstart.ipynb",
        "cell_id": "a1b2c3",
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "git_dirty": True,
        "python_version": "3.11.9",
        "bizml_version": "0.1.0",
    }
    fields.update(changes)
    return Run.new("two-tower v2", target="take_rate", **fields)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ledger_with_runs(path: Path, count: int, *, hypothesis: str | None = None) -> list[Run]:
    ledger = Ledger(path)
    runs = [
        Run.new(f"run {i}", target="kpi", hypothesis=hypothesis, metrics={"m": i})
        for i in range(count)
    ]
    for run in runs:
        ledger.record(run)
    ledger.close()
    return runs


def every_use(path: Path) -> list[str]:
    """Try every read and write on the ledger at ``path``; return the LedgerError messages."""
    attempts: list[Callable[[Ledger], object]] = [
        lambda led: led.runs(),
        lambda led: led.count(),
        lambda led: led.get("01ABCDEF"),
        lambda led: led.baseline("kpi"),
        lambda led: led.frame(),
        lambda led: led.record(Run.new("new", target="kpi")),
        lambda led: led.record_many([Run.new("new", target="kpi")]),
        lambda led: led.add_metrics("01ABCDEF", {"m": 1.0}),
    ]
    messages = []
    for attempt in attempts:
        ledger = Ledger(path, timeout_s=1.0)
        try:
            with pytest.raises(LedgerError) as info:
                attempt(ledger)
        finally:
            ledger.close()
        messages.append(str(info.value))
    return messages


# --------------------------------------------------------------------------- the file


def test_new_ledger_is_wal_with_schema_version_and_application_id(tmp_path: Path) -> None:
    """A new ledger is in WAL mode and carries the schema version and the bizml application id."""
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    ledger.record(Run.new("a", target="kpi"))
    ledger.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        conn.close()


def test_first_write_creates_the_folder(tmp_path: Path) -> None:
    """The first write creates the .bizml/ folder and the file."""
    path = tmp_path / ".bizml" / "ledger.sqlite"
    ledger = Ledger(path)
    ledger.record(Run.new("a", target="kpi"))
    ledger.close()
    assert path.parent.is_dir()
    assert path.is_file()


def test_reading_a_missing_ledger_returns_nothing_and_creates_nothing(tmp_path: Path) -> None:
    """Reads of a missing ledger return no runs and create neither the file nor its folder."""
    path = tmp_path / ".bizml" / "ledger.sqlite"
    ledger = Ledger(path)
    assert ledger.runs() == []
    assert ledger.runs("kpi", name="x") == []
    assert ledger.count() == 0
    assert ledger.baseline("kpi") is None
    assert ledger.frame().empty
    with pytest.raises(LedgerError, match="no run with id"):
        ledger.get("01ABCDEF")
    assert not path.parent.exists()


def test_an_empty_file_is_initialised_as_a_ledger(tmp_path: Path) -> None:
    """A zero-byte file (e.g. touched by hand) becomes a ledger on first write."""
    path = tmp_path / "ledger.sqlite"
    path.touch()
    ledger = Ledger(path)
    run = Run.new("a", target="kpi")
    ledger.record(run)
    assert ledger.get(run.id) == run
    ledger.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        conn.close()


def test_default_path_is_beside_bizml_toml_unless_bizml_ledger_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """default_path() is ROOT/.bizml/ledger.sqlite, or $BIZML_LEDGER when set."""
    monkeypatch.delenv("BIZML_LEDGER", raising=False)
    assert default_path(tmp_path) == tmp_path / ".bizml" / "ledger.sqlite"
    monkeypatch.setenv("BIZML_LEDGER", str(tmp_path / "elsewhere.sqlite"))
    assert default_path(tmp_path) == tmp_path / "elsewhere.sqlite"


# --------------------------------------------------------------------------- run ids


def test_run_id_is_26_crockford_characters() -> None:
    """A run id is 26 characters of Crockford base32 (no I, L, O, U)."""
    for _ in range(200):
        run_id = new_run_id()
        assert len(run_id) == 26
        assert set(run_id) <= CROCKFORD


class Clock:
    """A stand-in for the ledger's millisecond clock: each read returns the next value."""

    def __init__(self, *readings: int) -> None:
        self.readings = list(readings)
        self.last = readings[0]

    def __call__(self) -> int:
        if self.readings:
            self.last = self.readings.pop(0)
        return self.last


def stamp_of(run_id: str) -> int:
    """The milliseconds encoded in a run id's first 10 characters."""
    return _decode(run_id[:10])


def random_of(run_id: str) -> int:
    """The 80-bit random part of a run id (its last 16 characters)."""
    return _decode(run_id[10:])


def _decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(char)
    return value


NOW_MS = 1_795_867_200_123  # 2026-11-28T12:00:00.123Z


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set the ledger's clock to the given readings, with a fresh id sequence (both are
    put back after the test)."""
    monkeypatch.setattr("bizml_nb.core.run._ids.last", 0)

    def set_readings(*readings: int) -> None:
        monkeypatch.setattr("bizml_nb.core.run._now_ms", Clock(*readings))

    return set_readings


def test_run_id_starts_with_its_creation_time_in_milliseconds(clock: Callable[..., None]) -> None:
    """The first 10 characters of a run id encode the clock's milliseconds."""
    clock(NOW_MS)
    assert stamp_of(new_run_id()) == NOW_MS


def test_run_ids_sort_by_creation_time(clock: Callable[..., None]) -> None:
    """Ids made in successive milliseconds carry them and sort in the order they were made."""
    clock(*(NOW_MS + i for i in range(30)))
    ids = [new_run_id() for _ in range(30)]
    assert [stamp_of(run_id) for run_id in ids] == [NOW_MS + i for i in range(30)]
    assert sorted(ids) == ids


def test_run_ids_made_in_one_millisecond_increase_by_one(clock: Callable[..., None]) -> None:
    """Within one millisecond each id is the previous one plus one in its random part (the
    ULID spec's monotonic mode), so ids made in a row sort in the order they were made."""
    clock(NOW_MS)
    ids = [new_run_id() for _ in range(1000)]
    assert {stamp_of(run_id) for run_id in ids} == {NOW_MS}
    first = random_of(ids[0])
    assert [random_of(run_id) for run_id in ids] == [first + i for i in range(1000)]
    assert sorted(ids) == ids


def test_run_ids_keep_increasing_when_the_clock_steps_back(clock: Callable[..., None]) -> None:
    """A clock set back (NTP, a laptop waking up) does not make a later id sort first."""
    clock(NOW_MS, NOW_MS - 5_000, NOW_MS - 4_000, NOW_MS + 1)
    ids = [new_run_id() for _ in range(4)]
    assert sorted(ids) == ids
    assert [stamp_of(run_id) for run_id in ids] == [NOW_MS, NOW_MS, NOW_MS, NOW_MS + 1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_repeat_its_parents_next_id(clock: Callable[..., None]) -> None:
    """A child forked in the same millisecond starts its own sequence: its ids differ from
    the ids the parent goes on to make."""
    clock(NOW_MS)
    new_run_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, " ".join(new_run_id() for _ in range(3)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read().split()
    os.waitpid(pid, 0)
    parent = [new_run_id() for _ in range(3)]
    assert len(child) == 3
    assert not set(child) & set(parent)


def test_run_ids_are_unique() -> None:
    """10,000 ids drawn in a tight loop (many in the same millisecond) are all distinct."""
    ids = [new_run_id() for _ in range(10_000)]
    assert len(set(ids)) == 10_000


def test_run_ids_from_threads_are_unique_and_each_threads_ids_increase() -> None:
    """8 threads drawing 2,000 ids each get 16,000 distinct ids, each thread's in order."""
    made: dict[int, list[str]] = {}
    barrier = threading.Barrier(8)

    def draw(index: int) -> None:
        barrier.wait()
        made[index] = [new_run_id() for _ in range(2000)]

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({run_id for ids in made.values() for run_id in ids}) == 16_000
    assert all(sorted(ids) == ids for ids in made.values())


def test_now_iso_is_utc_with_milliseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """now_iso() is ISO 8601 UTC with milliseconds (truncated) and a Z suffix."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Frozen:
            assert tz is UTC
            return cls(2026, 11, 28, 12, 0, 0, 123_987, tzinfo=UTC)

    monkeypatch.setattr("bizml_nb.core.run.datetime", Frozen)
    assert now_iso() == "2026-11-28T12:00:00.123Z"


# --------------------------------------------------------------------------- record and get


def test_record_and_get_round_trip_every_field(tmp_path: Path) -> None:
    """Every field of a run comes back from the ledger equal, also from a fresh connection."""
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    made = []
    for changes in ({}, {"status": "failed", "error": "ValueError: boom", "git_dirty": False}):
        made.append(full_run(**changes))
        ledger.record(made[-1])
    run, failed = made
    bare = Run.new("bare", target="kpi")
    ledger.record(bare)
    assert ledger.get(run.id) == run
    ledger.close()
    reopened = Ledger(path)
    assert reopened.get(run.id) == run
    assert reopened.get(failed.id) == failed
    assert reopened.get(bare.id) == bare
    assert reopened.get(bare.id).git_dirty is None
    assert reopened.get(run.id).tags == ("retrieval", "cold-start")
    assert reopened.runs() == [run, failed, bare]
    reopened.close()


@pytest.mark.parametrize("text", STRANGE_NAMES)
def test_strange_names_round_trip(tmp_path: Path, text: str) -> None:
    """Names, tags, params and metric names with quotes, HTML, newlines and unicode are kept as is."""
    run = full_run(
        hypothesis=text, tags=(text, "plain"), params={text: text}, metrics={text: 0.5, "ok": 1.0}
    )
    run = Run(**{**run.__dict__, "name": text, "target": text})
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.record(run)
    ledger.close()
    back = Ledger(tmp_path / "ledger.sqlite").get(run.id)
    assert back == run
    assert back.name == text
    assert dict(back.metrics) == {text: 0.5, "ok": 1.0}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(min_size=1, max_size=40),
    tags=st.lists(st.text(min_size=1, max_size=10), max_size=4),
    metrics=st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.floats(min_value=-1e15, max_value=1e15),  # the range a ledger stores
        max_size=6,
    ),
)
def test_any_text_and_finite_metrics_round_trip(
    tmp_path: Path, name: str, tags: list[str], metrics: dict[str, float]
) -> None:
    """Any text as name, tags and metric names, and any metric value it stores, round-trips."""
    ledger = Ledger(tmp_path / "hypothesis.sqlite")
    run = Run.new(name, target=name, tags=tuple(tags), metrics=metrics, params={name: name})
    ledger.record(run)
    assert ledger.get(run.id) == run
    ledger.close()


def test_get_by_unique_prefix(tmp_path: Path) -> None:
    """A unique prefix of 4 or more characters, in either case, finds the run."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    one = Run(id="01AAAA" + "0" * 20, name="one", target="kpi", started_at=now_iso())
    two = Run(id="01BBBB" + "0" * 20, name="two", target="kpi", started_at=now_iso())
    ledger.record(one)
    ledger.record(two)
    assert ledger.get("01AA") == one
    assert ledger.get("01bbbb") == two
    assert ledger.get(two.id) == two


def test_prefix_shorter_than_four_characters_is_not_looked_up(tmp_path: Path) -> None:
    """A prefix under 4 characters raises rather than matching a run."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    run = Run(id="01AAAA" + "0" * 20, name="one", target="kpi", started_at=now_iso())
    ledger.record(run)
    with pytest.raises(LedgerError, match="no run with id '01A'"):
        ledger.get("01A")


def test_ambiguous_prefix_raises(tmp_path: Path) -> None:
    """A prefix shared by two runs raises LedgerError saying it is ambiguous."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    for suffix in ("A", "B"):
        ledger.record(
            Run(id="01AAAA" + "0" * 19 + suffix, name=suffix, target="k", started_at=now_iso())
        )
    with pytest.raises(LedgerError, match="ambiguous"):
        ledger.get("01AAAA")


def test_unknown_id_raises(tmp_path: Path) -> None:
    """An id that matches no run raises LedgerError naming the id."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.record(Run.new("a", target="kpi"))
    with pytest.raises(LedgerError, match=r"no run with id 'ZZZZZZ'"):
        ledger.get("ZZZZZZ")


def test_recording_the_same_id_twice_raises_and_keeps_the_first(tmp_path: Path) -> None:
    """A second run with an existing id raises LedgerError and the first stays as it was."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = Run.new("first", target="kpi", metrics={"m": 1.0})
    ledger.record(first)
    with pytest.raises(LedgerError, match="already in"):
        ledger.record(Run(**{**first.__dict__, "name": "second", "metrics": {"m": 2.0}}))
    assert ledger.get(first.id) == first
    assert ledger.count() == 1


def test_an_invalid_run_is_refused_with_a_message_about_the_run(tmp_path: Path) -> None:
    """A run the schema refuses (unknown status) is not reported as a duplicate id."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    run = Run(**{**Run.new("a", target="kpi").__dict__, "status": "weird"})
    with pytest.raises(LedgerError) as info:
        ledger.record(run)
    assert "already" not in str(info.value)
    assert "status" in str(info.value)
    assert ledger.count() == 0


def test_record_many_adds_only_new_ids(tmp_path: Path) -> None:
    """record_many() skips ids already present and returns how many were added."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    old = Run.new("old", target="kpi", metrics={"m": 1.0})
    ledger.record(old)
    changed_old = old.with_metrics({"m": 9.0})
    new = [Run.new(f"new {i}", target="kpi") for i in range(3)]
    assert ledger.record_many([changed_old, *new]) == 3
    assert ledger.record_many([changed_old, *new]) == 0
    assert ledger.count() == 4
    assert ledger.get(old.id) == old


def test_runs_are_oldest_first_and_filter_by_target_and_name(tmp_path: Path) -> None:
    """runs() returns runs in id order and filters by KPI and by name."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    made = []
    for name, target in [("a", "churn"), ("b", "take"), ("a", "take"), ("a", "churn")]:
        made.append(Run.new(name, target=target))
        ledger.record(made[-1])
    assert ledger.runs() == made
    assert ledger.runs("take") == [made[1], made[2]]
    assert ledger.runs(name="a") == [made[0], made[2], made[3]]
    assert ledger.runs("churn", name="a") == [made[0], made[3]]


# --------------------------------------------------------------------------- metrics and baselines


def test_add_metrics_merges_later_values_win_and_persists(tmp_path: Path) -> None:
    """add_metrics() merges into the recorded run, later values win, and it survives a reopen."""
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    run = Run.new("a", target="kpi", metrics={"auc": 0.8, "loss": 0.3})
    ledger.record(run)
    returned = ledger.add_metrics(run.id, {"auc": 0.85, "ndcg@10": 0.41})
    expected = {"auc": 0.85, "loss": 0.3, "ndcg@10": 0.41}
    assert dict(returned.metrics) == expected
    ledger.close()
    back = Ledger(path).get(run.id)
    assert dict(back.metrics) == expected
    assert back == run.with_metrics({"auc": 0.85, "ndcg@10": 0.41})


def test_add_metrics_to_an_unknown_run_raises(tmp_path: Path) -> None:
    """add_metrics() on an id that is not recorded raises LedgerError and writes nothing."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.record(Run.new("a", target="kpi"))
    with pytest.raises(LedgerError, match="no run"):
        ledger.add_metrics("01NOPE", {"auc": 1.0})
    assert ledger.count() == 1


def test_baseline_is_the_latest_ok_baseline_of_the_target(tmp_path: Path) -> None:
    """baseline(target) is the newest ok run flagged is_baseline for that KPI only."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    old = Run.new("old base", target="take", is_baseline=True)
    ledger.record(old)
    new = Run.new("new base", target="take", is_baseline=True)
    ledger.record(new)
    ledger.record(Run.new("not a baseline", target="take"))
    ledger.record(Run.new("other kpi", target="churn", is_baseline=True))
    assert ledger.baseline("take") == new
    assert ledger.baseline("nothing") is None


def test_a_failed_baseline_is_ignored(tmp_path: Path) -> None:
    """A later baseline run that failed does not replace the last ok baseline."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    good = Run.new("good", target="take", is_baseline=True)
    ledger.record(good)
    ledger.record(Run.new("bad", target="take", is_baseline=True, status="failed", error="E"))
    assert ledger.baseline("take") == good


def test_no_baseline_when_the_only_baseline_failed(tmp_path: Path) -> None:
    """A KPI whose only baseline run failed has no baseline."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.record(Run.new("bad", target="take", is_baseline=True, status="failed", error="E"))
    assert ledger.baseline("take") is None


# --------------------------------------------------------------------------- frame


def test_frame_has_one_row_per_run_and_one_column_per_metric(tmp_path: Path) -> None:
    """frame() has a row per run, a column per metric, and NaN where a run did not log one."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = Run.new("a", target="kpi", metrics={"auc": 0.8}, tags=("x",), params={"lr": 0.1})
    ledger.record(first)
    ledger.record(Run.new("b", target="kpi", metrics={"auc": 0.9, "ndcg@10": 0.4}))
    frame = ledger.frame()
    assert len(frame) == 2
    assert list(frame["name"]) == ["a", "b"]
    assert list(frame["auc"]) == [0.8, 0.9]
    assert math.isnan(frame["ndcg@10"].iloc[0])
    assert frame["ndcg@10"].iloc[1] == 0.4
    assert "metrics" not in frame.columns
    assert frame["tags"].iloc[0] == ("x",)
    assert frame["params"].iloc[0] == {"lr": 0.1}
    assert frame["is_baseline"].dtype == bool


def test_frame_renames_a_metric_that_clashes_with_a_column(tmp_path: Path) -> None:
    """A metric called like a record column ("name", "status") becomes "metric.NAME"."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.record(Run.new("the run", target="kpi", metrics={"name": 1.0, "status": 2.0}))
    frame = ledger.frame()
    assert frame["name"].iloc[0] == "the run"
    assert frame["status"].iloc[0] == "ok"
    assert frame["metric.name"].iloc[0] == 1.0
    assert frame["metric.status"].iloc[0] == 2.0


def test_frame_started_at_is_a_tz_aware_datetime(tmp_path: Path) -> None:
    """frame()'s started_at is a UTC datetime column, equal to the run's start."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    run = Run.new("a", target="kpi")
    ledger.record(run)
    started = ledger.frame()["started_at"]
    assert isinstance(started.dtype, pd.DatetimeTZDtype)
    assert str(started.dt.tz) == "UTC"
    assert started.iloc[0] == pd.Timestamp(run.started_at)


def test_frame_filters_by_target(tmp_path: Path) -> None:
    """frame(target) holds only the runs against that KPI."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.record(Run.new("a", target="take", metrics={"auc": 1.0}))
    ledger.record(Run.new("b", target="churn", metrics={"loss": 1.0}))
    frame = ledger.frame("churn")
    assert list(frame["name"]) == ["b"]
    assert "auc" not in frame.columns
    assert ledger.frame("nothing").empty


# --------------------------------------------------------------------------- damaged files


def test_random_bytes_are_refused_and_left_untouched(tmp_path: Path) -> None:
    """A file of random bytes is 'not a bizml ledger', with the import hint, and stays byte-identical."""
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(random.Random(7).randbytes(16384))
    before = sha256(path)
    for message in every_use(path):
        assert "not a bizml ledger" in message
        assert "left untouched" in message
        assert HINT in message
    assert sha256(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.sqlite"]


def test_a_truncated_ledger_is_damaged_and_left_untouched(tmp_path: Path) -> None:
    """A ledger cut to half its size is reported 'damaged', with the import hint, and not modified."""
    path = tmp_path / "ledger.sqlite"
    ledger_with_runs(path, 30, hypothesis="h" * 500)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    before = sha256(path)
    for message in every_use(path):
        assert "damaged" in message
        assert HINT in message
    assert sha256(path) == before
    assert path.stat().st_size == size // 2


def test_a_ledger_from_a_newer_bizml_is_refused_and_left_untouched(tmp_path: Path) -> None:
    """A ledger whose user_version is newer says to upgrade and is not modified."""
    path = tmp_path / "ledger.sqlite"
    ledger_with_runs(path, 3)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = sha256(path)
    expected = (
        f"{path} was written by a newer bizml_nb (ledger schema {SCHEMA_VERSION + 1}; this one "
        f"reads up to {SCHEMA_VERSION}); it was left untouched. Upgrade with "
        "`pip install -U bizml_nb`, or: Recover by moving it aside and rebuilding the runs "
        "from your executed notebooks: `bizml ledger import NOTEBOOK.ipynb ...`"
    )
    assert every_use(path) == [expected] * 8
    assert sha256(path) == before


def test_another_applications_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    """A SQLite file with its own tables and application_id 0 is 'not a bizml ledger' and unchanged."""
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    conn.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    conn.commit()
    conn.close()
    before = sha256(path)
    for message in every_use(path):
        assert "not a bizml ledger" in message
        assert "left untouched" in message
        assert "BIZML_LEDGER" in message
    assert sha256(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT amount FROM invoices").fetchall() == [(12.5,)]
    finally:
        conn.close()


def test_a_sqlite_file_with_another_application_id_is_refused(tmp_path: Path) -> None:
    """A SQLite file marked with another application_id is refused before it is opened."""
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = sha256(path)
    for message in every_use(path):
        assert "another application" in message
        assert "not a bizml ledger" in message
    assert sha256(path) == before


# --------------------------------------------------------------------------- unwritable places


def test_a_ledger_whose_parent_is_a_file_mentions_bizml_ledger(tmp_path: Path) -> None:
    """A ledger path under a regular file gives LedgerError naming BIZML_LEDGER; the file is kept."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("keep me")
    ledger = Ledger(blocker / "ledger.sqlite")
    with pytest.raises(LedgerError, match="BIZML_LEDGER"):
        ledger.record(Run.new("a", target="kpi"))
    assert blocker.read_text() == "keep me"
    assert ledger.runs() == []


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can create files in: chmod 0555, or `chattr +i` when running as root."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    if _writable(folder):
        folder.chmod(0o755)
        chattr = shutil.which("chattr")
        if chattr is None:
            pytest.skip("cannot make a read-only folder: running as root and no chattr")
        done = subprocess.run([chattr, "+i", str(folder)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make a read-only folder: chattr +i failed ({done.stderr!r})")
        immutable = True
        if _writable(folder):
            subprocess.run([chattr, "-i", str(folder)], check=True)
            pytest.skip("cannot make a read-only folder: chattr +i did not stop writes")
    try:
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def _writable(folder: Path) -> bool:
    probe = folder / "probe"
    try:
        probe.write_text("x")
    except OSError:
        return False
    probe.unlink()
    return True


def test_a_ledger_in_a_read_only_folder_mentions_bizml_ledger(read_only_dir: Path) -> None:
    """Creating a ledger (or its .bizml folder) in a read-only folder names BIZML_LEDGER."""
    for path in (read_only_dir / "ledger.sqlite", read_only_dir / ".bizml" / "ledger.sqlite"):
        with pytest.raises(LedgerError, match="BIZML_LEDGER"):
            Ledger(path).record(Run.new("a", target="kpi"))
    assert list(read_only_dir.iterdir()) == []


# --------------------------------------------------------------------------- concurrency

WRITER = """
import sys
from bizml_nb.core.ledger import Ledger, Run
path, worker = sys.argv[1], sys.argv[2]
ledger = Ledger(path)
print("ready", flush=True)
sys.stdin.readline()
for i in range(500):
    ledger.record(Run.new(f"w{worker}-{i}", target="kpi", metrics={"i": i}))
ledger.close()
"""


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )


def _say(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def _hear(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        _out, err = proc.communicate(timeout=120)
        pytest.fail(f"the writer stopped: {err}")
    return line


def test_four_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """4 processes each recording 500 runs into one new ledger at once: all 2000 are there.

    Each writer says when it is ready and starts when told, so all four write together."""
    path = tmp_path / ".bizml" / "ledger.sqlite"
    procs = [_start(WRITER, str(path), str(worker)) for worker in range(4)]
    assert [_hear(proc) for proc in procs] == ["ready"] * 4
    for proc in procs:
        _say(proc, "go")
    results = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert err == ""
    ledger = Ledger(path)
    runs = ledger.runs()
    assert len(runs) == 2000
    assert len({run.id for run in runs}) == 2000
    for worker in range(4):
        names = {run.name for run in runs if run.name.startswith(f"w{worker}-")}
        assert names == {f"w{worker}-{i}" for i in range(500)}
    ledger.close()


def test_writers_creating_a_new_ledger_at_once_all_succeed(tmp_path: Path) -> None:
    """4 connections that create the same new ledger at the same instant all write (100 tries)."""
    errors: list[str] = []

    def write(path: Path, barrier: threading.Barrier) -> None:
        ledger = Ledger(path)
        barrier.wait()
        try:
            ledger.record(Run.new("x", target="kpi"))
        except LedgerError as exc:
            errors.append(str(exc))
        finally:
            ledger.close()

    for trial in range(100):
        path = tmp_path / str(trial) / "ledger.sqlite"
        barrier = threading.Barrier(4)
        threads = [threading.Thread(target=write, args=(path, barrier)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    for trial in range(100):
        ledger = Ledger(tmp_path / str(trial) / "ledger.sqlite")
        assert ledger.count() == 4
        ledger.close()


# --------------------------------------------------------------------------- the last run


def test_last_is_the_run_recorded_last_not_the_largest_id(tmp_path: Path) -> None:
    """A run started earlier (smaller id) but recorded later is the last run, for the ledger
    and for ``project.run("last")``; the runs list keeps id order."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    started_first = Run.new("long experiment", target="kpi")
    started_second = Run.new("quick experiment", target="kpi")
    assert started_first.id < started_second.id
    assert ledger.last() is None
    ledger.record(started_second)
    ledger.record(started_first)
    assert ledger.last() == started_first
    assert Project.at(tmp_path, ledger=ledger.path).run("last") == started_first
    assert ledger.runs() == [started_first, started_second]


def test_last_of_two_runs_made_in_one_millisecond_is_the_second(
    tmp_path: Path, clock: Callable[..., None]
) -> None:
    """200 pairs of runs made and recorded in the same millisecond: `last` is always the
    second of the pair (the ids of one process increase within a millisecond)."""
    clock(NOW_MS)
    project = Project.at(tmp_path)
    wrong = 0
    for i in range(200):
        project.ledger.record(Run.new(f"first {i}", target="kpi"))
        second = Run.new(f"second {i}", target="kpi")
        project.ledger.record(second)
        wrong += project.run("last") != second
    assert wrong == 0


LATE_WRITER = """
import sys
from bizml_nb.core.ledger import Ledger, Run
ledger = Ledger(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
ledger.record(Run(id=sys.argv[2], name="long experiment", target="kpi", started_at=sys.argv[3]))
print("recorded", flush=True)
"""


def test_last_is_the_run_another_process_recorded_last(tmp_path: Path) -> None:
    """A run made first but recorded by another process after this one recorded its own is
    `last` here, read through this process's open connection."""
    path = tmp_path / "ledger.sqlite"
    mine = Ledger(path)
    early = Run.new("long experiment", target="kpi")
    quick = Run.new("quick experiment", target="kpi")
    writer = _start(LATE_WRITER, str(path), early.id, early.started_at)
    try:
        assert _hear(writer) == "ready"
        mine.record(quick)
        assert Project.at(tmp_path, ledger=path).run("last") == quick
        _say(writer, "go")
        assert _hear(writer) == "recorded"
    finally:
        _out, err = writer.communicate(timeout=120)
    assert (writer.returncode, err) == (0, "")
    assert mine.last() == early
    assert Project.at(tmp_path, ledger=path).run("last") == early
    mine.close()


def test_a_name_means_the_run_of_that_name_recorded_last(tmp_path: Path) -> None:
    """``ledger.last(name=NAME)`` is the latest recorded run of that name, whatever the ids;
    ``project.run(NAME)`` refuses a name two runs share (it lists them and asks for an id)."""
    project = Project.at(tmp_path)
    earlier_id = Run.new("tuned", target="kpi", metrics={"auc": 0.81})
    later_id = Run.new("tuned", target="kpi", metrics={"auc": 0.8})
    project.ledger.record(later_id)
    project.ledger.record(Run.new("other", target="kpi"))
    project.ledger.record(earlier_id)
    project.ledger.record(Run.new("other", target="kpi"))
    with pytest.raises(LedgerError, match='2 runs are named "tuned"'):
        project.run("tuned")
    assert project.ledger.last(name="tuned") == earlier_id
    assert project.ledger.last(name="nothing") is None


def test_last_on_an_empty_or_missing_ledger_says_there_are_no_runs(tmp_path: Path) -> None:
    """``last`` with no runs recorded names the ledger and creates nothing."""
    path = tmp_path / ".bizml" / "ledger.sqlite"
    with pytest.raises(LedgerError) as info:
        Project.at(tmp_path, ledger=path).run("last")
    assert str(info.value) == f"no runs yet in {path}"
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- records


def test_run_record_round_trip() -> None:
    """Run.from_record(run.to_record()) gives back an equal run; the record is plain JSON."""
    run = full_run()
    record = run.to_record()
    assert record["format"] == "bizml.run"
    assert record["version"] == RECORD_VERSION
    assert Run.from_record(json.loads(json.dumps(record))) == run


def test_from_record_of_a_newer_version_raises() -> None:
    """A record with a newer version raises LedgerError asking to upgrade."""
    record = full_run().to_record()
    record["version"] = RECORD_VERSION + 1
    with pytest.raises(LedgerError, match=r"newer.*upgrade bizml_nb"):
        Run.from_record(record)


def test_from_record_of_something_else_raises() -> None:
    """A dict that is not a bizml run record raises LedgerError."""
    with pytest.raises(LedgerError, match="not a bizml run record"):
        Run.from_record({"format": "other", "run": {}})
    with pytest.raises(LedgerError, match="not a bizml run record"):
        Run.from_record({"format": "bizml.run", "version": 1, "run": "x"})


def test_from_record_ignores_unknown_fields() -> None:
    """Fields this version does not know inside the run are dropped, not fatal."""
    run = full_run()
    record = run.to_record()
    record["run"]["future_field"] = 1
    assert Run.from_record(record) == run


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"metrics": {"auc": "high"}}, "malformed"),
        ({"id": None}, "malformed"),
        ({"status": "weird"}, "status"),
        ({"name": None}, "name"),
    ],
)
def test_from_record_of_a_malformed_run_raises(change: dict[str, object], problem: str) -> None:
    """A record with missing or wrong-typed fields raises LedgerError naming the problem."""
    record = full_run().to_record()
    record["run"].update(change)
    with pytest.raises(LedgerError, match=problem):
        Run.from_record(record)


# --------------------------------------------------------------------------- older schemas


V1_SCHEMA = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, target TEXT NOT NULL, hypothesis TEXT,
    expect TEXT, tags TEXT NOT NULL DEFAULT '[]', params TEXT NOT NULL DEFAULT '{}',
    is_baseline INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')), error TEXT,
    started_at TEXT NOT NULL, duration_s REAL, metrics TEXT NOT NULL DEFAULT '{}',
    notebook TEXT, cell_id TEXT, git_commit TEXT, git_dirty INTEGER,
    python_version TEXT, bizml_version TEXT
) WITHOUT ROWID;
CREATE INDEX runs_by_target ON runs (target, id);
"""


def test_a_schema_1_ledger_is_upgraded_in_place_and_keeps_its_runs(tmp_path: Path) -> None:
    """A ledger written by schema 1 opens, gains eng_hours and baselines, and loses nothing."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO runs (id, name, target, is_baseline, status, started_at, metrics) "
        "VALUES ('01OLDRUN0000000000000000AA', 'old base', 'kpi', 1, 'ok', "
        "'2026-01-01T00:00:00.000Z', '{\"auc\": 0.8}')"
    )
    conn.commit()
    conn.close()
    ledger = Ledger(path)
    (run,) = ledger.runs()
    assert (run.name, run.metrics, run.eng_hours, run.deployed_on) == (
        "old base",
        {"auc": 0.8},
        None,
        None,
    )
    assert ledger.baseline("kpi") == run  # the schema-1 rule still finds it
    ledger.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 8
    tables = {row[0] for row in check.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"baselines", "run_order"} <= tables
    check.close()


V3_SCHEMA = (
    V1_SCHEMA
    + """
ALTER TABLE runs ADD COLUMN eng_hours REAL;
CREATE TABLE baselines (
    target TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (id), set_at TEXT NOT NULL
) WITHOUT ROWID;
ALTER TABLE runs ADD COLUMN deployed_on TEXT;
"""
)


def test_a_schema_3_ledger_is_upgraded_and_last_then_follows_what_is_recorded(
    tmp_path: Path,
) -> None:
    """A schema-3 ledger keeps every run and its baseline; its runs count as recorded in id
    order (all it knew), so `last` is its largest id until a new run is recorded."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(V3_SCHEMA)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 3")
    old = [Run.new(f"old {i}", target="kpi", metrics={"auc": 0.5 + i / 10}) for i in range(3)]
    for run in reversed(old):
        conn.execute(
            "INSERT INTO runs (id, name, target, status, started_at, metrics) "
            "VALUES (?, ?, 'kpi', 'ok', ?, ?)",
            (run.id, run.name, run.started_at, json.dumps(dict(run.metrics))),
        )
    conn.execute(
        "INSERT INTO baselines VALUES ('kpi', ?, '2026-01-01T00:00:00.000Z')", (old[0].id,)
    )
    conn.commit()
    conn.close()
    ledger = Ledger(path)
    assert ledger.runs() == old
    assert ledger.baseline("kpi") == old[0]
    assert ledger.last() == old[2]
    earlier = Run.new("earlier id", target="kpi")
    ledger.record(Run.new("later id", target="kpi"))
    ledger.record(earlier)
    assert ledger.last() == earlier
    ledger.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    check.close()


def test_upgrading_sets_aside_rows_an_older_import_damaged_and_deletes_nothing(
    tmp_path: Path,
) -> None:
    """A schema-3 ledger holding rows an older import let through ("yesterday", number tags,
    an infinite metric): the upgrade moves exactly those rows, whole, to set_aside with
    their problem and warns once; every reader works again on the good runs."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(V3_SCHEMA)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 3")
    good = Run.new("good", target="kpi", metrics={"auc": 0.7})
    damaged = {
        "01JDZ8W6QG00000000000000D1": ("yesterday", "[]", '{"auc": 0.8}'),
        "01JDZ8W6QG00000000000000D2": (good.started_at, "[1, 2]", '{"auc": 0.8}'),
        "01JDZ8W6QG00000000000000D3": (good.started_at, "[]", '{"auc": 1e999}'),
    }
    rows = [(good.id, good.started_at, "[]", '{"auc": 0.7}')]
    rows += [(run_id, *values) for run_id, values in damaged.items()]
    for run_id, started, tags, metrics in rows:
        conn.execute(
            "INSERT INTO runs (id, name, target, status, started_at, tags, metrics) "
            "VALUES (?, 'r', 'kpi', 'ok', ?, ?, ?)",
            (run_id, started, tags, metrics),
        )
    conn.execute(
        "INSERT INTO baselines VALUES ('kpi', ?, '2026-01-01T00:00:00.000Z')", (rows[1][0],)
    )
    conn.commit()
    conn.close()
    ledger = Ledger(path)
    with pytest.warns(BizmlWarning) as caught:
        runs = ledger.runs()  # the first use opens, and upgrades, the file
    assert [run.id for run in runs] == [good.id]
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(f"3 run(s) in {path} broke the run record schema and were set aside")
    assert "started_at is 'yesterday'" in message
    assert "tags[0] is 1" in message
    assert "metrics.auc is Infinity" in message
    assert ledger.baseline("kpi") is None  # its baseline was a damaged run
    assert ledger.last() == ledger.get(good.id)
    assert len(ledger.frame()) == 1
    ledger.close()
    check = sqlite3.connect(path)
    kept = dict(check.execute("SELECT run_id, row FROM set_aside").fetchall())
    assert sorted(kept) == sorted(damaged)
    first = json.loads(kept["01JDZ8W6QG00000000000000D1"])
    assert (first["started_at"], first["baseline_of"]) == ("yesterday", ["kpi"])
    assert json.loads(kept["01JDZ8W6QG00000000000000D3"])["metrics"] == '{"auc": 1e999}'
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # opened again: nothing more to set aside, no warning
        Ledger(path).close()


def test_a_failed_upgrade_leaves_the_old_ledger_as_it_was(tmp_path: Path) -> None:
    """When the upgrade cannot finish (here a table already named run_order), the ledger
    keeps its schema version and its runs: the upgrade is one transaction."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(V3_SCHEMA + "CREATE TABLE run_order (x);")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 3")
    run = Run.new("old", target="kpi")
    conn.execute(
        "INSERT INTO runs (id, name, target, status, started_at) VALUES (?, 'old', 'kpi', 'ok', ?)",
        (run.id, run.started_at),
    )
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError) as info:
        Ledger(path).runs()
    assert str(info.value) == (
        f"cannot upgrade the ledger {path} from schema 3 to {SCHEMA_VERSION} (table run_order "
        f"already exists); it was left as it was. {RECOVER_HINT}"
    )
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == 3
    assert check.execute("SELECT id FROM runs").fetchall() == [(run.id,)]
    check.close()


def test_the_latest_designated_baseline_wins(tmp_path: Path) -> None:
    """Recording with baseline=True or calling set_baseline designates; the latest counts."""
    ledger = Ledger(tmp_path / "l.sqlite")
    first = Run.new("first", target="kpi", is_baseline=True, metrics={"auc": 0.7})
    second = Run.new("second", target="kpi", is_baseline=True, metrics={"auc": 0.8})
    third = Run.new("third", target="kpi", metrics={"auc": 0.9})
    for run in (first, second, third):
        ledger.record(run)
    assert ledger.baseline("kpi") == second
    assert ledger.set_baseline("kpi", first.id) == first
    assert ledger.baseline("kpi") == first
    ledger.set_baseline("kpi", third.id)
    assert ledger.baseline("kpi") == third
    with pytest.raises(LedgerError, match="not other"):  # a baseline must share its KPI
        ledger.set_baseline("other", first.id)
