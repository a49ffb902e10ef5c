"""The report shows a notebook record's numbers only when they mean what they claim.

A probability lies in [0, 1], money within the +-1e15 money limit, a count is a whole
number from 0, a level is one of its scale's. A record that breaks a rule makes the
report leave its notebook out, with a warning naming the cell and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import bizml_nb
import bizml_nb.core.errors
from bizml_nb.present.report import build_report

ROI = "application/vnd.bizml.roi+json"
MATURITY = "application/vnd.bizml.maturity+json"
MONITOR = "application/vnd.bizml.monitor+json"
CAPACITY = "application/vnd.bizml.capacity+json"
ROOT = Path(__file__).resolve().parent.parent

GOOD = {
    ROI: {"npv": 1_234_000.0, "p_npv_positive": 0.93, "payback_month": 7, "defaults": ["discount"]},
    MATURITY: {"level": 2, "google_level": 1, "next_steps": [["people", "share ownership"]]},
    MONITOR: {
        "chunks": 20,
        "currency": "USD",
        "decision": "investigate",
        "estimated_accuracy": 0.79,
        "estimated_value_change_per_year": 4_706_683.788,
        "generated": True,
    },
    CAPACITY: {
        "cost_per_hour": 0.06,
        "hosts": 3,
        "in_flight": 2.0,
        "memory_per_replica_gb": 1.24,
        "replicas": 3,
        "yearly_cost": 525.6,
    },
}
PROBABILITY = "not a probability (a number from 0 to 1)"
SHARE = "not a share (a number from 0 to 1)"
MONEY = "not an amount of money (a number from -1e15 to 1e15)"
COST = "not an amount of money from 0 to 1e15"
COUNT = "not a count (a whole number from 0 to 1e15)"
QUANTITY = "not a quantity (a number from 0 to 1e15)"
LEVEL = "not a level of Microsoft's scale (a whole number from 0 to 4)"
GOOGLE_LEVEL = "not a level of Google's scale (a whole number from 0 to 2)"
STEPS = "not a list of [dimension, step] pairs of text"
MONTH = "not a month of the horizon (a whole number from 1 to 1200) or null"
CURRENCY = (
    "not a currency: a currency is a code or symbol of 1 to 8 letters or currency signs, "
    "such as USD, EUR, CHF, $ or €, with no spaces, digits or punctuation"
)
DAMAGED = [
    # ROI: every field the report reads
    (ROI, "p_npv_positive", 1e308, f"p_npv_positive is 1e+308, {PROBABILITY}"),
    (ROI, "p_npv_positive", 5.0, f"p_npv_positive is 5.0, {PROBABILITY}"),
    (ROI, "p_npv_positive", -3.0, f"p_npv_positive is -3.0, {PROBABILITY}"),
    (ROI, "p_npv_positive", True, f"p_npv_positive is True, {PROBABILITY}"),
    (ROI, "npv", 1e308, f"npv is 1e+308, {MONEY}"),
    (ROI, "npv", -2e16, f"npv is -2e+16, {MONEY}"),
    (ROI, "npv", "lots", f"npv is 'lots', {MONEY}"),
    (ROI, "payback_month", 0, f"payback_month is 0, {MONTH}"),
    (ROI, "payback_month", 2.5, f"payback_month is 2.5, {MONTH}"),
    (ROI, "payback_month", 1201, f"payback_month is 1201, {MONTH}"),
    (ROI, "defaults", "discount", "defaults is 'discount', not a list of names (text)"),
    (ROI, "defaults", [1, 2], "defaults is [1, 2], not a list of names (text)"),
    (ROI, "currency", "US D", f"currency is 'US D', {CURRENCY}"),
    # maturity
    (MATURITY, "level", 5, f"level is 5, {LEVEL}"),
    (MATURITY, "level", 1.5, f"level is 1.5, {LEVEL}"),
    (MATURITY, "level", "2", f"level is '2', {LEVEL}"),
    (MATURITY, "google_level", 3, f"google_level is 3, {GOOGLE_LEVEL}"),
    (MATURITY, "next_steps", [["people"]], f"next_steps is [['people']], {STEPS}"),
    # monitoring
    (MONITOR, "estimated_accuracy", 1.5, f"estimated_accuracy is 1.5, {SHARE}"),
    (
        MONITOR,
        "realised_value_change_per_year",
        1e300,
        f"realised_value_change_per_year is 1e+300, {MONEY}",
    ),
    (MONITOR, "estimated_value_change_se", -5, f"estimated_value_change_se is -5, {COST}"),
    (MONITOR, "chunks", -1, f"chunks is -1, {COUNT}"),
    (MONITOR, "reference_rows", 2.5, f"reference_rows is 2.5, {COUNT}"),
    (MONITOR, "generated", "yes", "generated is 'yes', not true or false"),
    (MONITOR, "version", 0, "version is 0, not a version (a whole number from 1)"),
    (MONITOR, "decision", 5, "decision is 5, not text"),
    (MONITOR, "currency", "<b>", f"currency is '<b>', {CURRENCY}"),
    # capacity
    (CAPACITY, "yearly_cost", 1e308, f"yearly_cost is 1e+308, {COST}"),
    (CAPACITY, "cost_per_hour", -0.5, f"cost_per_hour is -0.5, {COST}"),
    (CAPACITY, "replicas", -3, f"replicas is -3, {COUNT}"),
    (CAPACITY, "memory_per_replica_gb", -1.0, f"memory_per_replica_gb is -1.0, {QUANTITY}"),
    (CAPACITY, "annual_benefit", 2e16, f"annual_benefit is 2e+16, {MONEY}"),
]


def _notebook(mime: str, record: object) -> str:
    output = {"output_type": "display_data", "data": {mime: record}}
    return json.dumps({"cells": [{"cell_type": "code", "outputs": [output]}]})


@pytest.fixture
def reported(project_dir: Path) -> Path:
    bizml_nb.init("p", currency="USD")
    return project_dir


@pytest.mark.parametrize("case", DAMAGED)
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_record_whose_figure_means_nothing_leaves_its_notebook_out(
    reported: Path, case: tuple[str, str, Any, str], fmt: str
) -> None:
    """P(NPV > 0) of 1e308 is not shown as inf%, nor 5.0 as 500%: the notebook is left out,
    the warning names the cell and the field, and nothing of the record is in the report."""
    mime, key, value, problem = case
    path = reported / "nb.ipynb"
    path.write_text(_notebook(mime, {**GOOD[mime], key: value}))
    with pytest.warns(bizml_nb.core.errors.BizmlWarning) as caught:
        text = build_report(bizml_nb.project(), fmt=fmt, notebooks=[str(path)]).read_text()
    assert [str(w.message) for w in caught] == [
        f"skipped the notebook {path}: cell 1 has a damaged {mime} record: {problem}; "
        "the report was made without it"
    ]
    assert "inf" not in text.lower().replace("info", "")
    assert "500%" not in text
    assert "-300%" not in text


@pytest.mark.parametrize(
    ("mime", "key"), [(ROI, "npv"), (ROI, "p_npv_positive"), (MATURITY, "level")]
)
def test_a_figure_the_report_states_must_be_in_the_record(
    reported: Path, mime: str, key: str
) -> None:
    """Without npv the report would say NPV 0; without a level, "level None"."""
    path = reported / "nb.ipynb"
    path.write_text(_notebook(mime, {k: v for k, v in GOOD[mime].items() if k != key}))
    with pytest.warns(bizml_nb.core.errors.BizmlWarning) as caught:
        build_report(bizml_nb.project(), fmt="md", notebooks=[str(path)])
    assert [str(w.message) for w in caught] == [
        f"skipped the notebook {path}: cell 1 has a damaged {mime} record: {key} is missing; "
        "the report was made without it"
    ]


def test_good_records_are_shown_with_their_figures(reported: Path) -> None:
    """Each kind's good record is shown; a field the report has no rule for is not."""
    for index, mime in enumerate(GOOD):
        record = {**GOOD[mime], "mystery": 1e308} if mime in (MONITOR, CAPACITY) else GOOD[mime]
        (reported / f"{index}.ipynb").write_text(_notebook(mime, record))
    text = build_report(
        bizml_nb.project(), fmt="md", notebooks=[str(reported / "*.ipynb")]
    ).read_text()
    assert "NPV +\\$1.23M (illustration), P(NPV &gt; 0) 93%" in text
    assert "- Payback in month 7" in text
    assert "- Level 2 on Microsoft's 0-4 scale, level 1 on Google's 0-2 scale" in text
    # 0.79 is 79.0%; +$4,706,683.788 rounds to +$4.71M; generated data is an illustration
    assert "without labels: 79.0% (no range recorded) (illustration: generated data)" in text
    assert "Value change per year against the reference: +\\$4.71M/yr (no range recorded)" in text
    assert "- Yearly cost: \\$526/yr" in text  # $525.6 to 3 significant digits
    assert "- Replicas: 3 (about 2 requests in flight at once)" in text
    assert "- Memory per replica: 1.24 GB" in text
    assert "mystery" not in text
    assert "1e+308" not in text


def test_an_roi_record_shows_its_money_in_its_own_currency(reported: Path) -> None:
    """An ROI worked out in EUR is not reported in the project's dollars."""
    path = reported / "nb.ipynb"
    path.write_text(_notebook(ROI, {**GOOD[ROI], "currency": "EUR"}))
    text = build_report(bizml_nb.project(), fmt="md", notebooks=[str(path)]).read_text()
    assert "NPV +€1.23M (illustration), P(NPV &gt; 0) 93%" in text
    assert "The ROI case: NPV +€1.23M (illustration), P(NPV &gt; 0) 93%." in text


def _fields_shown(record: dict[str, Any]) -> set[str]:
    return {k for k, v in record.items() if isinstance(v, str | int | float)}


def test_every_field_of_every_record_bizml_writes_has_a_rule_and_passes_it() -> None:
    """The records of the ROI card, the maturity assessment, the capacity plan, the monitor and
    the example notebooks' templates: each field the report reads or lists has a rule, and
    the records bizml_nb writes itself keep every rule."""
    import pandas as pd

    from bizml_nb.finance.capacity import plan
    from bizml_nb.finance.maturity import assess
    from bizml_nb.finance.roi import Investment
    from bizml_nb.monitor import Reference
    from bizml_nb.present.report import RECORD_TYPES
    from bizml_nb.present.report_records import RULES, damage
    from bizml_nb.present.roi_card import ROICard

    frame = pd.DataFrame(
        {
            "x": [float(i % 7) for i in range(400)],
            "proba": [(i % 10) / 10 for i in range(400)],
            "target": [i % 2 for i in range(400)],
        }
    )
    reference = Reference.fit(frame, features=["x"], proba="proba", target="target", chunks=4)
    pricing = {"value_matrix": [[0, -1], [-5, 10]], "cases_per_year": 1000}
    written = [
        (ROI, ROICard.build(Investment(annual_benefit=5e5), draws=200).record()),
        (MATURITY, assess({}).record()),
        (CAPACITY, plan(100e6, "fp16", 50, 40).record()),
        (MONITOR, reference.check(frame, chunks=4, value=pricing).record()),
    ]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                written += [(m, r) for m, r in output.get("data", {}).items() if m in GOOD]
    assert sorted({mime for mime, _ in written}) == sorted(GOOD)
    assert len(written) == 8  # 4 made here; 2 ROI (roi_example, realised_value), 1 capacity
    # and 1 monitor in notebooks/
    for mime, record in written:
        kind = RECORD_TYPES[mime]
        assert damage(kind, record) == "", (mime, record)
        if kind in ("monitor", "capacity"):
            assert _fields_shown(record) <= set(RULES[kind]), (mime, record)
