"""The plain-Python API: experiments as context managers, log(), runs(), with no IPython."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

import bizml_nb
from bizml_nb.core.errors import BizmlWarning, ExperimentError, LedgerError, RegistryError

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def declared(project_dir: Path) -> Path:
    """A project with the quickstart's KPI and link, declared from Python."""
    bizml_nb.init("recsys-home", currency="USD")
    bizml_nb.metric(
        "take_rate",
        unit="ratio",
        direction="higher",
        baseline=0.112,
        target=0.12,
        value_per_unit=2.5e9,
    )
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5), source="A/B")
    return project_dir


def test_experiment_records_one_run(declared: Path) -> None:
    """A with-block records one ok run with what was logged, by mapping and by keyword."""
    with bizml_nb.experiment(
        "two-tower v2",
        target="take_rate",
        hypothesis="h",
        expect="+0.3pp",
        tags=["retrieval"],
        params={"lr": 0.01},
    ) as run:
        run.log({"ndcg@10": 0.4125})
        bizml_nb.log(latency_ms=38.0)
    record = bizml_nb.project().run(run.id)
    assert record.status == "ok"
    assert record.metrics == {"ndcg@10": 0.4125, "latency_ms": 38.0}
    assert (record.hypothesis, record.expect, record.tags) == ("h", "+0.3pp", ("retrieval",))
    assert record.params == {"lr": 0.01}
    assert record.duration_s is not None
    assert record.duration_s >= 0


def test_log_merges_and_later_values_win(declared: Path) -> None:
    """log(mapping, **kw) merges both; a name logged twice keeps the last value."""
    with bizml_nb.experiment("x", target="take_rate") as run:
        bizml_nb.log({"a": 1, "b": 2}, b=3)
        bizml_nb.log(a=4)
    assert run.record is not None
    assert dict(run.record.metrics) == {"a": 4.0, "b": 3.0}


def test_numpy_and_0d_values_are_accepted(declared: Path) -> None:
    """NumPy scalars and 0-d arrays are logged as floats."""
    with bizml_nb.experiment("np", target="take_rate") as run:
        run.log(a=np.float32(0.5), b=np.int64(3), c=np.array(0.25))
    assert run.record is not None
    assert dict(run.record.metrics) == {"a": 0.5, "b": 3.0, "c": 0.25}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (float("nan"), "is nan"),
        (float("inf"), "is inf"),
        (np.nan, "is nan"),
        ("0.9", "must be a number (got str '0.9')"),
        (True, "must be a number (got bool True)"),
        (None, "must be a number (got NoneType None)"),
        ([1, 2], "must be a number (got list [1, 2])"),
    ],
)
def test_bad_values_are_refused_by_name(declared: Path, value: object, expected: str) -> None:
    """Each bad value is refused with the metric's name; earlier values stay logged."""
    with bizml_nb.experiment("bad", target="take_rate") as run:
        run.log(good=1.0)
        with pytest.raises(ExperimentError, match="metric 'auc'") as info:
            run.log(auc=value)
        assert expected in str(info.value)
    assert run.record is not None
    assert dict(run.record.metrics) == {"good": 1.0}


def test_log_outside_an_experiment_says_how(declared: Path) -> None:
    """bizml_nb.log() with no active experiment explains where to log."""
    with pytest.raises(ExperimentError, match="no experiment is running"):
        bizml_nb.log(auc=0.9)


def test_experiments_do_not_nest(declared: Path) -> None:
    """Starting an experiment inside another is refused; the outer one still records."""
    with bizml_nb.experiment("outer", target="take_rate") as outer:
        with pytest.raises(ExperimentError, match="still running"):
            bizml_nb.experiment("inner", target="take_rate").__enter__()
        outer.log(a=1)
    assert bizml_nb.project().ledger.count() == 1


def test_failure_is_recorded_and_propagates(declared: Path) -> None:
    """An exception in the block is recorded as failed and re-raised unchanged."""

    def crash() -> None:
        with bizml_nb.experiment("crash", target="take_rate") as run:
            run.log(a=1)
            raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        crash()
    stored = bizml_nb.project().run("crash")
    assert stored.status == "failed"
    assert stored.error == "KeyError: 'missing'"
    assert stored.metrics == {"a": 1.0}


def test_unknown_target_fails_before_the_work(declared: Path) -> None:
    """An unknown KPI is refused when the experiment is created, with a suggestion."""
    with pytest.raises(RegistryError, match="did you mean 'take_rate'"):
        bizml_nb.experiment("x", target="take-rate")


def test_log_after_the_end_updates_the_recorded_run(declared: Path) -> None:
    """Logging on a finished experiment adds the metric to its row in the ledger."""
    with bizml_nb.experiment("late", target="take_rate") as run:
        run.log(a=1)
    run.log(b=2)
    assert bizml_nb.project().run(run.id).metrics == {"a": 1.0, "b": 2.0}


def test_an_experiment_runs_once(declared: Path) -> None:
    """Re-entering a finished experiment is refused."""
    experiment = bizml_nb.experiment("once", target="take_rate")
    with experiment:
        pass
    with pytest.raises(ExperimentError, match="already run"), experiment:
        pass


def test_ledger_failure_keeps_the_run_for_save(
    declared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the ledger cannot be written, the message holds the metrics and save() retries."""
    blocker = declared / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BIZML_LEDGER", str(blocker / "ledger.sqlite"))
    experiment = bizml_nb.experiment("unsaved", target="take_rate")
    with pytest.raises(LedgerError) as info, experiment:
        experiment.log(auc=0.93)
    assert "'auc': 0.93" in str(info.value)
    assert "save()" in str(info.value)
    assert experiment.pending is not None
    blocker.unlink()
    blocker.mkdir()
    run = experiment.save()
    assert run.metrics == {"auc": 0.93}
    assert experiment.project.ledger.get(run.id).metrics == {"auc": 0.93}


def test_ledger_failure_during_a_failing_block_warns_and_keeps_the_users_error(
    declared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When both the block and the ledger fail, the user's exception wins and a warning names ours."""
    blocker = declared / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BIZML_LEDGER", str(blocker / "ledger.sqlite"))
    with (
        pytest.warns(BizmlWarning, match="was not recorded"),
        pytest.raises(ValueError, match="mine"),
        bizml_nb.experiment("both fail", target="take_rate"),
    ):
        raise ValueError("mine")


def test_runs_returns_a_dataframe(declared: Path) -> None:
    """runs() has one row per run, one column per metric, and filters by KPI."""
    for value in (0.40, 0.41):
        with bizml_nb.experiment(f"n{value}", target="take_rate") as run:
            run.log({"ndcg@10": value})
    frame = bizml_nb.runs()
    assert list(frame["name"]) == ["n0.4", "n0.41"]
    assert frame["ndcg@10"].tolist() == [0.40, 0.41]
    assert len(bizml_nb.runs(target="take_rate")) == 2
    with pytest.raises(RegistryError):
        bizml_nb.runs(target="nope")


def test_card_from_python(declared: Path) -> None:
    """An experiment shows its card in a notebook through _repr_mimebundle_."""
    with bizml_nb.experiment("base", target="take_rate", baseline=True) as base:
        base.log({"ndcg@10": 0.40})
    with bizml_nb.experiment("better", target="take_rate") as run:
        run.log({"ndcg@10": 0.41})
    bundle = run._repr_mimebundle_()
    assert "about +$8.75M/yr [+$5M, +$12.5M]" in bundle["text/plain"]
    assert bizml_nb.show("better").run.id == run.id


def test_metric_returns_what_is_stored(declared: Path) -> None:
    """metric() merges into an existing KPI: keys left out keep their values."""
    stored = bizml_nb.metric("take_rate", unit="ratio", direction="higher", owner="growth PM")
    assert stored.owner == "growth PM"
    assert stored.value_per_unit == 2.5e9
