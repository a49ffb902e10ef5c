"""Per-example predictions: kept beside the ledger, read back, and priced on the card."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import bizml_nb
from bizml_nb.core import predictions as store
from bizml_nb.core.errors import ExperimentError
from bizml_nb.core.registry import Registry

if TYPE_CHECKING:
    from pathlib import Path

Y = np.array([1] * 5 + [0] * 25)
BASE = np.zeros(30, dtype=int)
NEW = np.array([1, 1, 1, 1, 0] + [1, 1, 1] + [0] * 22)


def _project() -> None:
    bizml_nb.init("fraud", currency="USD")
    bizml_nb.metric("fraud_value", unit="USD", direction="higher", value_per_unit=1)
    bizml_nb.link("confusion", "fraud_value", value_matrix=[0, -20, -100, 0], cases_per_year=1000)


def test_predictions_are_kept_beside_the_ledger_and_read_back(project_dir: Path) -> None:
    _project()
    proba = np.linspace(0, 1, 30)
    ids = [f"tx-{i}" for i in range(30)]
    with bizml_nb.experiment("base", target="fraud_value") as run:
        bizml_nb.log_predictions(Y, BASE, proba=proba, amount=np.arange(30.0), ids=ids)
    path = project_dir / ".bizml" / "predictions" / f"{run.id}.npz"
    assert path.is_file()
    back = store.load(path)
    assert back.ids.tolist() == ids
    assert back.y_true.tolist() == Y.tolist()
    assert back.y_pred.tolist() == BASE.tolist()
    assert back.proba is not None
    assert back.proba.tolist() == proba.tolist()
    assert back.columns["amount"].tolist() == list(range(30))
    # the confusion counts are logged as metrics too
    assert dict(run.record.metrics) == {"tn": 25.0, "fp": 0.0, "fn": 5.0, "tp": 0.0}
    assert store.find(run.id) is not None


def test_two_runs_on_the_same_ids_are_paired_on_the_card(project_dir: Path) -> None:
    _project()
    with bizml_nb.experiment("base", target="fraud_value", baseline=True):
        bizml_nb.log_predictions(Y, BASE)
    with bizml_nb.experiment("new", target="fraud_value"):
        bizml_nb.log_predictions(Y, NEW)
    text = bizml_nb.show("new").text()
    # 4 caught frauds (+100 each) and 3 false alarms (-20 each) over 30 cases, x 1,000
    assert "-> +$11.3k [" in text
    assert "at 1,000 cases/yr; paired over 30 examples" in text


def test_runs_on_other_ids_are_independent_samples(project_dir: Path) -> None:
    _project()
    with bizml_nb.experiment("base", target="fraud_value", baseline=True):
        bizml_nb.log_predictions(Y, BASE, ids=np.arange(30))
    with bizml_nb.experiment("new", target="fraud_value"):
        bizml_nb.log_predictions(Y, NEW, ids=np.arange(100, 130))
    assert "; independent samples" in bizml_nb.show("new").text()


def test_a_baseline_with_counts_only_keeps_the_counts_model(project_dir: Path) -> None:
    _project()
    with bizml_nb.experiment("base", target="fraud_value", baseline=True) as run:
        run.log(tn=25, fp=0, fn=5, tp=0)
    with bizml_nb.experiment("new", target="fraud_value"):
        bizml_nb.log_predictions(Y, NEW)
    text = bizml_nb.show("new").text()
    assert "-> +$11.3k [" in text
    assert "; independent samples" in text


def test_a_value_matrix_over_the_amount(project_dir: Path) -> None:
    bizml_nb.init("fraud", currency="USD")
    bizml_nb.metric("fraud_value", unit="USD", direction="higher", value_per_unit=1)
    bizml_nb.link(
        "confusion",
        "fraud_value",
        value_matrix=[0, -5, "-amount", 0],
        cases_per_year=30,
        amount_column="amount",
    )
    text = (project_dir / "bizml.toml").read_text()
    assert 'value_matrix = [[0.0, -5.0], ["-amount", 0.0]]' in text
    assert 'amount_column = "amount"' in text
    link = Registry.load(project_dir / "bizml.toml").links[0]
    assert link.params["value_matrix"] == ((0.0, -5.0), ("-amount", 0.0))
    amount = np.full(30, 10.0)
    amount[:5] = [250.0, 40.0, 10.0, 1000.0, 75.0]
    with bizml_nb.experiment("base", target="fraud_value", baseline=True):
        bizml_nb.log_predictions(Y, BASE, amount=amount)
    with bizml_nb.experiment("new", target="fraud_value"):
        bizml_nb.log_predictions(Y, NEW, amount=amount)
    # caught 250 + 40 + 10 + 1000, three alarms at 5: +1,285 over 30 cases, x 30 a year
    assert "-> +$1.28k [" in bizml_nb.show("new").text()
    # a run without predictions cannot be priced by amount: a note, not a crash
    with bizml_nb.experiment("counts only", target="fraud_value") as run:
        run.log(tn=25, fp=0, fn=5, tp=0)
    assert "prices by amount" in bizml_nb.show("counts only").text()


def test_a_formula_naming_another_column_is_refused(project_dir: Path) -> None:
    bizml_nb.init("fraud", currency="USD")
    bizml_nb.metric("fraud_value", unit="USD", direction="higher", value_per_unit=1)
    with pytest.raises(ValueError, match="may name only the amount column 'amount'"):
        bizml_nb.link("confusion", "fraud_value", value_matrix=[0, -5, "-amt", 0], cases_per_year=1)
    assert "confusion" not in (project_dir / "bizml.toml").read_text()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_true": [0, 2], "y_pred": [0, 1]}, "y_true must hold the classes 0 and 1"),
        ({"y_true": [0, 1], "y_pred": [0, 1, 1]}, "y_pred has 3 entries; y_true has 2"),
        ({"y_true": [0, 1], "y_pred": [0, 1], "proba": [0.2, 1.5]}, "proba must be finite"),
        ({"y_true": [0, 1], "y_pred": [0, 1], "amount": [1.0, np.nan]}, "amount must be finite"),
        ({"y_true": [0, 1], "y_pred": [0, 1], "ids": [7, 7]}, "ids must not repeat"),
        ({"y_true": [], "y_pred": []}, "y_true is empty"),
    ],
)
def test_bad_predictions_are_one_message(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        store.build(kwargs.pop("y_true"), kwargs.pop("y_pred"), **kwargs)


def test_log_predictions_outside_an_experiment(project_dir: Path) -> None:
    with pytest.raises(ExperimentError, match="no experiment is running"):
        bizml_nb.log_predictions(Y, NEW)


def test_the_magic_keeps_predictions_and_finds_the_threshold(ip: Any, project_dir: Path) -> None:
    ip.run_line_magic("bizml", "init --project fraud --currency USD")
    ip.run_line_magic(
        "bizml", "metric fraud_value --unit USD --direction higher --value-per-unit 1"
    )
    ip.run_line_magic(
        "bizml",
        "link confusion fraud_value --value-matrix 0 -20 -amount 0 --amount-column amount "
        "--cases-per-year 1000",
    )
    ip.user_ns.update(y=Y, pred=NEW, p=np.linspace(1, 0, 30), amount=np.full(30, 100.0))
    ip.run_cell_magic(
        "bizml",
        'experiment "scored" --target fraud_value',
        "%bizml predictions y pred --proba p --amount amount",
    )
    run = bizml_nb.project().run("scored")
    assert store.find(run.id) is not None
    result = ip.run_line_magic("bizml", "threshold scored")
    # scores fall with the index: flagging the first 5 (all the frauds) is worth 0,
    # the best there is; its score is 1 - 4/29
    assert result.threshold == pytest.approx(1 - 4 / 29)
    assert "flag when proba >= 0.8621" in result.text()


def test_old_ledgers_without_predictions_keep_working(project_dir: Path) -> None:
    _project()
    with bizml_nb.experiment("base", target="fraud_value", baseline=True) as run:
        run.log(tn=25, fp=0, fn=5, tp=0)
    with bizml_nb.experiment("new", target="fraud_value") as run:
        run.log(tn=22, fp=3, fn=1, tp=4)
    text = bizml_nb.show("new").text()
    assert "-> +$11.3k [" in text
    assert "independent samples" in text
    assert not (project_dir / ".bizml" / "predictions").exists()
