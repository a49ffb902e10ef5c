"""bizml_nb.runs(): the ledger's runs with each run's yearly value and its 90% range."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest

import bizml_nb

if TYPE_CHECKING:
    from pathlib import Path


def _declare() -> None:
    bizml_nb.init("values", currency="USD")
    bizml_nb.metric(
        "take_rate", unit="ratio", direction="higher", baseline=0.112, value_per_unit=2.5e9
    )
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))


def test_runs_carry_the_value_and_the_ends_of_its_90_percent_range(project_dir: Path) -> None:
    """+0.0131 NDCG x elasticity 0.35 [0.2, 0.5] x $2.5B per unit of take-rate:
    mid 0.35 x 0.0131 x 2.5e9 = $11.4625M, ends 0.2 x ... = $6.55M and 0.5 x ... = $16.375M."""
    _declare()
    with bizml_nb.experiment("base", target="take_rate", baseline=True) as run:
        run.log({"ndcg@10": 0.42})
    with bizml_nb.experiment("better", target="take_rate") as run:
        run.log({"ndcg@10": 0.4331})
    frame = bizml_nb.runs()
    assert list(frame["name"]) == ["base", "better"]
    better = frame.iloc[1]
    assert better["value_per_year"] == pytest.approx(0.35 * 0.0131 * 2.5e9)
    assert better["value_low"] == pytest.approx(0.2 * 0.0131 * 2.5e9)
    assert better["value_high"] == pytest.approx(0.5 * 0.0131 * 2.5e9)
    assert better["is_baseline"] == False  # noqa: E712 (a numpy bool)
    base = frame.iloc[0]  # the baseline run is the reference: no value of its own
    assert pd.isna(base["value_per_year"])
    assert pd.isna(base["value_low"])


def test_a_metric_named_like_a_value_column_keeps_its_numbers(project_dir: Path) -> None:
    _declare()
    with bizml_nb.experiment("odd", target="take_rate") as run:
        run.log({"ndcg@10": 0.43, "value_low": 7.0})
    frame = bizml_nb.runs()
    assert frame.iloc[0]["metric.value_low"] == 7.0
    assert pd.isna(frame.iloc[0]["value_low"])  # no baseline run yet: no value


def test_a_metric_named_baseline_does_not_change_which_run_is_the_baseline(
    project_dir: Path,
) -> None:
    """A logged `baseline` or `business_delta` is a metric, never the table's status or
    KPI change: the base run stays the baseline in the text a terminal shows."""
    _declare()
    with bizml_nb.experiment("base", target="take_rate", baseline=True) as run:
        run.log({"ndcg@10": 0.42})
    with bizml_nb.experiment("odd", target="take_rate") as run:
        run.log({"ndcg@10": 0.43, "baseline": 3.0, "business_delta": 7.0})
    frame = bizml_nb.runs()
    assert list(frame["metric.baseline"])[1:] == [3.0]
    assert frame.iloc[1]["metric.business_delta"] == 7.0
    base_row, odd_row = str(frame).splitlines()[1:3]  # id, started, name, KPI, status...
    assert base_row.split()[3:6] == ["base", "take_rate", "baseline"]
    assert odd_row.split()[3:6] == ["odd", "take_rate", "ok"]
    assert "+700" not in str(frame)


def test_an_empty_ledger_has_the_value_columns(project_dir: Path) -> None:
    _declare()
    frame = bizml_nb.runs()
    assert len(frame) == 0
    assert {"value_per_year", "value_low", "value_high"} <= set(frame.columns)
