"""Issue 11, section 4: one schema for run records, refusals that name the field, no inf.

Hostile and damaged run records are refused by `bizml ledger import` with the file,
the cell and the field named, and nothing is written; the ledger refuses the same
runs on write; every reader of notebook outputs checks records the same way; an
export is importable; `BIZML_LEDGER=file:x.sqlite` is a file of that name; numbers
that would overflow are refused and no text ever shows inf or nan.
"""

from __future__ import annotations

import doctest
import itertools
import json
import math
import re
import sqlite3
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from bizml_nb.core import run as run_module
from bizml_nb.core import schema, units
from bizml_nb.core.errors import BizmlError, ExperimentError, LedgerError
from bizml_nb.core.ledger import Ledger, Run, default_path
from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.core.run import validate_record
from bizml_nb.core.schema import RecordError
from bizml_nb.finance.roi import Investment, Lognormal, ROIError, evaluate
from bizml_nb.impact.engine import OVERFLOW_NOTE, estimate
from bizml_nb.interfaces.cli import main
from bizml_nb.interfaces.nbimport import (
    cards_in_notebook,
    import_files,
    read_records,
    runs_from_notebook,
)
from bizml_nb.present.cards import RUN_MIME, Card
from bizml_nb.projects.project import Project, Projects

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HOSTILE = "@@HOSTILE@@"
ROI_MIME = "application/vnd.bizml.roi+json"


@pytest.fixture
def project(project_dir: Path) -> Iterator[Project]:
    """A project with take_rate priced at 2.5e9 a unit, ndcg@10 linked at 0.35 [0.2, 0.5],
    a baseline run (ndcg@10 0.40) and a better run (0.41)."""
    projects = Projects()
    proj = projects.get(project_dir)
    proj.init("recsys", currency="USD")
    proj.metric("take_rate", unit="ratio", direction="higher", baseline=0.112, value_per_unit=2.5e9)
    proj.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))
    with proj.experiment("baseline", target="take_rate", baseline=True) as base:
        base.log({"ndcg@10": 0.40})
    with proj.experiment("better", target="take_rate", tags=["a"], params={"lr": 0.01}) as run:
        run.log({"ndcg@10": 0.41})
    yield proj
    projects.close()


def record(**run: Any) -> dict[str, Any]:
    """A valid run record with some fields replaced."""
    base = Run(
        id="01JDZ8W6QG0000000000000001",
        name="two-tower",
        target="take_rate",
        started_at="2026-11-28T12:00:00.123Z",
        metrics={"ndcg@10": 0.43},
    ).to_record()
    base["run"].update(run)
    return base


def bundle(rec: Any, mime: str = RUN_MIME) -> dict[str, Any]:
    return {"text/plain": "a card", mime: rec}


def write_notebook(path: Path, *bundles: dict[str, Any], hostile: str | None = None) -> Path:
    """One code cell per bundle; the string HOSTILE in the JSON text becomes ``hostile``."""
    cells = [
        {
            "cell_type": "code",
            "id": f"c{i}",
            "metadata": {},
            "execution_count": i + 1,
            "source": "",
            "outputs": [{"output_type": "display_data", "data": data, "metadata": {}}],
        }
        for i, data in enumerate(bundles)
    ]
    text = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    if hostile is not None:
        text = text.replace(json.dumps(HOSTILE), hostile)
    path.write_text(text, encoding="utf-8")
    return path


def state(path: Path) -> tuple[int, str, str]:
    """Rows, integrity_check and the whole content (as SQL) of a ledger file."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        content = "\n".join(conn.iterdump())
    finally:
        conn.close()
    return rows, integrity, content


# --------------------------------------------------------------------------- import


SEEN = [
    # (where in the run the hostile JSON goes, the JSON text, the message's end)
    (
        "metrics",
        '{"ndcg@10": Infinity}',
        "metrics.ndcg@10 is Infinity; it must be a finite number from -1e+15 to 1e+15",
    ),
    (
        "metrics",
        '{"ndcg@10": 1e400}',
        "metrics.ndcg@10 is Infinity; it must be a finite number from -1e+15 to 1e+15",
    ),
    (
        "metrics",
        '{"ndcg@10": -1e308}',
        "metrics.ndcg@10 is -1e+308; it must be a number from -1e+15 to 1e+15",
    ),
    (
        "metrics",
        '{"ndcg@10": NaN}',
        "metrics.ndcg@10 is NaN; it must be a finite number from -1e+15 to 1e+15",
    ),
    (
        "metrics",
        '{"ndcg@10": "nan"}',
        "metrics.ndcg@10 is 'nan'; it must be a number from -1e+15 to 1e+15",
    ),
    (
        "metrics",
        '{"ndcg@10": true}',
        "metrics.ndcg@10 is true; it must be a number from -1e+15 to 1e+15",
    ),
    (
        "metrics",
        "[1, 2]",
        "metrics is a list of 2 items; it must be a mapping of names to values",
    ),
    ("is_baseline", '"yes"', "is_baseline is 'yes'; it must be true or false"),
    ("hypothesis", "{}", "hypothesis is an empty mapping {}; it must be a string"),
    (
        "started_at",
        '"yesterday"',
        "started_at is 'yesterday'; it must be an ISO 8601 time with a time zone between "
        "1970 and 2200, e.g. 2026-11-28T12:00:00.123Z",
    ),
    (
        "started_at",
        '"0001-01-01T00:00:00Z"',
        "started_at is '0001-01-01T00:00:00Z'; it must be an ISO 8601 time with a time zone "
        "between 1970 and 2200, e.g. 2026-11-28T12:00:00.123Z",
    ),
    ("duration_s", '"slow"', "duration_s is 'slow'; it must be a number from 0 to 1e+09"),
    ("tags", "[1, 2]", "tags[0] is 1; it must be a string"),
    (
        "metrics",
        '{"auc": ' + "1" * 5000 + "}",
        "metrics.auc is an integer of 5,000 digits; it must be a number from -1e+15 to 1e+15",
    ),
    (
        "params",
        '{"seed": ' + "9" * 5000 + "}",
        "params.seed is an integer of 5,000 digits; integers must lie within "
        "+-9,223,372,036,854,775,807 (2**63 - 1)",
    ),
    (
        "name",
        '"a\\ud800b"',
        "name holds an unpaired surrogate (\\ud800-\\udfff), which is not text",
    ),
    (
        "params",
        '{"deep": ' + "[" * 40 + "]" * 40 + "}",
        "params.deep" + "[0]" * 32 + " nests deeper than 32 levels",
    ),
]


@pytest.mark.parametrize(("key", "hostile", "problem"), SEEN)
def test_import_refuses_a_hostile_record_naming_the_cell_and_field_and_writes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str], key: str, hostile: str, problem: str
) -> None:
    """Each record seen in the issue exits 1 with one line naming the cell and field;
    the ledger keeps its 2 runs, its bytes and a clean integrity_check."""
    good = record(id="01JDZ8W6QG000000000000000A")
    path = write_notebook(
        project.root / "nb.ipynb", bundle(good), bundle(record(**{key: HOSTILE})), hostile=hostile
    )
    before = state(project.ledger.path)
    capsys.readouterr()
    assert main(["ledger", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        f"bizml: error: {path}, cell 2: malformed run record: {problem}. Nothing was imported: "
        "re-run or clear that cell's output (or fix the record), then import again\n",
    )
    project.ledger.close()
    assert state(project.ledger.path) == before
    assert before[:2] == (2, "ok")


def test_import_of_json_nested_past_the_parser_is_refused_not_a_recursion_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """100,000 nested lists in an output: one message, no RecursionError, nothing written."""
    path = write_notebook(
        project.root / "nb.ipynb",
        bundle(record(params={"deep": HOSTILE})),
        hostile="[" * 100_000 + "]" * 100_000,
    )
    before = state(project.ledger.path)
    assert main(["ledger", "import", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: cannot read {path}: its JSON nests too deeply to read "
        "(a record may nest 32 levels)\n"
    )
    project.ledger.close()
    assert state(project.ledger.path) == before


def test_an_accepted_record_is_imported_exactly_and_the_ledger_stays_usable(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record at the limits (a metric of -1e15, an offset time zone, nanoseconds) is
    imported field for field; list, show, export and runs() work afterwards."""
    rec = record(
        metrics={"ndcg@10": -1e15, "n": 3},
        started_at="2026-11-28T12:00:00.123456789+05:30",
        tags=["x"],
        params={"layers": [64, 32], "opt": {"name": "adam"}},
        duration_s=0,
        deployed_on="2026-12-01",
    )
    path = write_notebook(project.root / "nb.ipynb", bundle(rec))
    assert main(["ledger", "import", str(path)]) == 0
    run = project.ledger.get(rec["run"]["id"])
    assert run.to_record()["run"] == {**rec["run"], "metrics": {"ndcg@10": -1e15, "n": 3.0}}
    assert main(["ledger", "show", run.id]) == 0
    assert main(["ledger", "export", "--format", "json", "--out", "out.json"]) == 0
    assert len(project.ledger.frame()) == 3
    capsys.readouterr()


def test_several_notebooks_are_imported_all_or_nothing(project: Project) -> None:
    """A bad record in the second notebook refuses the first notebook's good runs too."""
    first = write_notebook(
        project.root / "a.ipynb", bundle(record(id="01JDZ8W6QG00000000000000AA"))
    )
    second = write_notebook(
        project.root / "b.ipynb", bundle(record(id="01JDZ8W6QG00000000000000BB", tags=[1, 2]))
    )
    before = state(project.ledger.path)
    with pytest.raises(RecordError) as info:
        import_files(project.ledger, [first, second])
    assert str(info.value) == (
        f"{second}, cell 1: malformed run record: tags[0] is 1; it must be a string. Nothing "
        "was imported: re-run or clear that cell's output (or fix the record), then import again"
    )
    assert info.value.field == "tags[0]"
    project.ledger.close()
    assert state(project.ledger.path) == before


def test_several_notebooks_import_in_one_go_and_again_adds_nothing(project: Project) -> None:
    """Two notebooks sharing a run: 3 distinct runs, counted where first seen; twice: 0 new."""
    a, b, c = (record(id=f"01JDZ8W6QG00000000000000{x}X", name=x) for x in "ABC")
    first = write_notebook(project.root / "a.ipynb", bundle(a), bundle(b))
    second = write_notebook(project.root / "b.ipynb", bundle(b), bundle(c))
    done = import_files(project.ledger, [first, second])
    assert [(d.path, d.found, d.imported, d.present) for d in done] == [
        (first, 2, 2, 0),
        (second, 2, 1, 1),
    ]
    assert project.ledger.count() == 5
    again = import_files(project.ledger, [first, second])
    assert [(d.found, d.imported) for d in again] == [(2, 0), (2, 0)]
    assert project.ledger.count() == 5


def test_the_json_export_imports_into_an_empty_ledger(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml ledger export --format json` then `bizml ledger import` of that file gives
    back the same runs."""
    out = project.root / "runs.json"
    assert main(["ledger", "export", "--format", "json", "--out", str(out)]) == 0
    empty = project.root / "rebuilt.sqlite"
    capsys.readouterr()
    assert main(["--ledger", str(empty), "ledger", "import", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: 2 runs found, 2 imported, 0 already present\n"
    rebuilt = Ledger(empty)
    assert rebuilt.runs() == project.ledger.runs()
    rebuilt.close()


def test_a_damaged_export_names_the_record(project: Project) -> None:
    """An export list with a bad record is refused naming its position and field."""
    path = project.root / "runs.json"
    path.write_text(json.dumps([record(), record(duration_s=-1)]), encoding="utf-8")
    with pytest.raises(RecordError, match=r"runs\.json, record 1: malformed run record: "):
        runs_from_notebook(path)
    with pytest.raises(
        RecordError, match=r"duration_s is -1; it must be a number from 0 to 1e\+09"
    ):
        runs_from_notebook(path)


def test_bizml_ledger_import_of_several_notebooks_is_all_or_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command: a bad second notebook exits 1 and the first one's good run is not written."""
    first = write_notebook(
        project.root / "a.ipynb", bundle(record(id="01JDZ8W6QG00000000000000AA"))
    )
    second = write_notebook(
        project.root / "b.ipynb", bundle(record(id="01JDZ8W6QG00000000000000BB", tags=[1, 2]))
    )
    before = state(project.ledger.path)
    capsys.readouterr()
    assert main(["ledger", "import", str(first), str(second)]) == 1
    assert capsys.readouterr().err.startswith(
        f"bizml: error: {second}, cell 1: malformed run record: tags[0] is 1"
    )
    project.ledger.close()
    assert state(project.ledger.path) == before
    assert main(["ledger", "import", str(first)]) == 0
    assert capsys.readouterr().out == f"{first}: 1 runs found, 1 imported, 0 already present\n"


# --------------------------------------------------------------------------- readers


def test_cards_in_notebook_checks_the_records_it_returns(tmp_path: Path) -> None:
    """The card reader used by the build tools refuses what import refuses."""
    good = write_notebook(tmp_path / "good.ipynb", bundle(record()))
    assert [card[RUN_MIME]["run"]["name"] for card in cards_in_notebook(good)] == ["two-tower"]
    bad = write_notebook(
        tmp_path / "bad.ipynb", bundle(record(metrics={"x": HOSTILE})), hostile="NaN"
    )
    with pytest.raises(RecordError, match=r"bad\.ipynb, cell 1: malformed run record: metrics\.x"):
        cards_in_notebook(bad)


def test_read_records_keeps_the_good_records_and_lists_the_bad(tmp_path: Path) -> None:
    """For readers that go on past a bad record (the report): good records in order,
    one problem per bad one with its cell and field."""
    roi = {"format": "bizml.roi", "version": 1, "npv": 1.5e6}
    path = write_notebook(
        tmp_path / "nb.ipynb",
        bundle(roi, ROI_MIME),
        bundle({**roi, "npv": HOSTILE}, ROI_MIME),
        bundle(record(is_baseline="yes")),
        bundle(record()),
        bundle([1, 2], ROI_MIME),
        hostile="Infinity",
    )
    found = read_records(path)
    assert [(r.cell, r.mime) for r in found.records] == [(0, ROI_MIME), (3, RUN_MIME)]
    assert found.records[0].record == roi
    assert found.problems == (
        f"{path}, cell 2: {ROI_MIME}: npv is Infinity; it must be a finite number",
        f"{path}, cell 3: malformed run record: is_baseline is 'yes'; it must be true or false",
        f"{path}, cell 5: {ROI_MIME}: the record is a list of 2 items, not a JSON object",
    )
    assert [r.cell for r in read_records(path, [ROI_MIME]).records] == [0]


def test_read_records_of_an_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text("{", encoding="utf-8")
    found = read_records(path)
    assert found.records == ()
    assert found.problems == (
        f"{path} is not a notebook (invalid JSON: Expecting property name enclosed in double "
        "quotes: line 1 column 2 (char 1))",
    )


# --------------------------------------------------------------------------- ledger writes


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"metrics": {"auc": float("inf")}}, "metrics.auc is Infinity"),
        ({"metrics": {"auc": 1e308}}, "metrics.auc is 1e+308"),
        ({"tags": (1, 2)}, "tags[0] is 1"),
        ({"started_at": "yesterday"}, "started_at is 'yesterday'"),
        ({"duration_s": -0.5}, "duration_s is -0.5"),
        ({"params": {"x": float("nan")}}, "params.x is NaN"),
        ({"hypothesis": {}}, "hypothesis is an empty mapping {}"),
    ],
)
def test_the_ledger_refuses_to_write_a_run_that_breaks_the_schema(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    """record() and record_many() refuse before writing: the file keeps its one run."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.record(Run.new("ok", target="k", metrics={"auc": 0.5}))
    bad = replace(Run.new("bad", target="k"), **change)
    with pytest.raises(RecordError, match=re.escape(f"run '{bad.id}' cannot be stored: {problem}")):
        ledger.record(bad)
    with pytest.raises(RecordError, match="cannot be stored"):
        ledger.record_many([Run.new("fine", target="k"), bad])
    assert [run.name for run in ledger.runs()] == ["ok"]
    ledger.close()


def test_add_metrics_refuses_an_overflowing_metric_and_keeps_the_run(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    run = Run.new("ok", target="k", metrics={"auc": 0.5})
    ledger.record(run)
    with pytest.raises(RecordError, match=r"metrics\.loss is 1e\+308"):
        ledger.add_metrics(run.id, {"loss": 1e308})
    assert ledger.get(run.id).metrics == {"auc": 0.5}
    ledger.close()


def test_bizml_ledger_file_colon_is_a_file_of_that_name(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BIZML_LEDGER=file:x.sqlite?mode=ro writes the file of exactly that name, nothing else."""
    monkeypatch.setenv("BIZML_LEDGER", "file:x.sqlite?mode=ro")
    path = default_path(project_dir)
    ledger = Ledger(path)
    ledger.record(Run.new("a", target="k"))
    ledger.close()
    assert sorted(p.name for p in project_dir.iterdir()) == ["file:x.sqlite?mode=ro"]
    assert Ledger(path).count() == 1


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("value", [1e308, -1e308, 1e16, float("inf")])
def test_logging_a_metric_that_would_overflow_is_refused_by_name(
    project: Project, value: float
) -> None:
    """log() refuses it naming the metric; the experiment records only what it had."""
    with project.experiment("huge", target="take_rate") as run:
        run.log(auc=0.9)
        with pytest.raises(ExperimentError, match="metric 'ndcg@10' is"):
            run.log({"ndcg@10": value})
    assert run.record is not None
    assert project.ledger.get(run.record.id).metrics == {"auc": 0.9}


def test_a_metric_of_1e15_is_accepted_and_its_card_is_finite(project: Project) -> None:
    """At the limit the card is computed: (1e15 - 0.40) x 0.35 x 2.5e9 = 8.75e23 a year."""
    with project.experiment("limit", target="take_rate") as run:
        run.log({"ndcg@10": 1e15})
    card = run.card()
    assert card.impact is not None
    assert card.impact.value_per_year is not None
    assert card.impact.value_per_year.mid == pytest.approx((1e15 - 0.40) * 0.35 * 2.5e9)
    assert "inf" not in card.text().lower()
    assert "nan" not in card.text().lower()


def test_experiment_params_are_checked_before_the_work_starts(project: Project) -> None:
    """A NaN parameter stops the experiment before its body runs; NumPy values are stored
    as plain numbers and lists."""
    import numpy as np

    ran = []
    with (
        pytest.raises(ExperimentError, match=r"^params\.lr is NaN; it must be a finite number$"),
        project.experiment("nan", target="take_rate", params={"lr": float("nan")}),
    ):
        ran.append(1)
    assert ran == []
    params = {"lr": np.float32(0.5), "layers": np.array([64, 32]), "seed": np.int64(7)}
    with project.experiment("np", target="take_rate", params=params) as run:
        run.log(auc=0.5)
    assert run.record is not None
    assert project.ledger.get(run.record.id).params == {"lr": 0.5, "layers": [64, 32], "seed": 7}


def test_percent_bizml_log_refuses_an_overflowing_metric_by_name(recsys: Any) -> None:
    """`%bizml log ndcg@10=1e308` after a cell is refused; the run keeps its metrics."""
    from IPython.core.error import UsageError

    recsys.run_cell_magic("bizml", 'experiment "a" --target take_rate', "bizml_nb.log(auc=0.5)")
    with pytest.raises(UsageError, match=r"metric 'ndcg@10' is 1e\+308, beyond the \+-1e\+15"):
        recsys.run_line_magic("bizml", "log ndcg@10=1e308")
    ledger = Projects().get(None).ledger
    assert [run.metrics for run in ledger.runs()] == [{"auc": 0.5}]
    ledger.close()


def test_a_failed_runs_error_text_is_stored_even_when_long_or_not_text(project: Project) -> None:
    """An exception whose text holds a lone surrogate and 50,000 characters still gives a
    failed run: the text escaped and cut to 20,000 characters."""
    with pytest.raises(ValueError, match="bad"), project.experiment("x", target="take_rate"):
        raise ValueError("bad \ud800 " + "y" * 50_000)
    run = project.ledger.runs(name="x")[0]
    assert run.status == "failed"
    assert run.error is not None
    assert len(run.error) == 20_000
    assert run.error.startswith("ValueError: bad \\ud800 yyy")
    assert run.error.endswith(" ... (cut: 50,023 characters in all)")


def test_params_of_other_types_are_stored_as_their_text(project: Project) -> None:
    """As before, a parameter that is not JSON data (a path, an object) is stored as str()."""
    from pathlib import PurePosixPath

    params = {"data": PurePosixPath("/d/x.csv"), "shape": (2, 3), "opts": {"k": None}}
    with project.experiment("p", target="take_rate", params=params) as run:
        run.log(auc=0.5)
    assert run.record is not None
    stored = project.ledger.get(run.record.id).params
    assert stored == {"data": "/d/x.csv", "shape": [2, 3], "opts": {"k": None}}


def test_an_overflowing_estimate_shows_no_value_and_no_verdict() -> None:
    """A metric tree of 17 KPIs, each link x1e18: the change overflows float; the card has
    a note instead of inf, and no verdict."""
    names = [f"k{i}" for i in range(18)]
    metrics = {n: BusinessMetric(n, unit="count", direction="higher") for n in names[:-1]}
    metrics[names[-1]] = BusinessMetric(
        names[-1], unit="count", direction="higher", value_per_unit=1.0
    )
    links = [Link("m", "k0", params={"elasticity": 1e18})]
    links += [Link(a, b, params={"elasticity": 1e18}) for a, b in itertools.pairwise(names)]
    registry = Registry(metrics=metrics, links=tuple(links), min_annual_value=1e6)
    impact = estimate(registry, {"m": 2e15}, {"m": 0.0}, target="k0")
    assert (impact.business_delta, impact.value_per_year, impact.verdict) == (None, None, None)
    assert impact.notes == (OVERFLOW_NOTE,)
    run = Run.new("x", target="k0", metrics={"m": 2e15})
    text = Card.build(run, registry, Run.new("b", target="k0", metrics={"m": 0.0})).text()
    assert "inf" not in text.lower().replace("info", "")
    assert OVERFLOW_NOTE in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (units.money(float("inf"), "USD", signed=True), "n/a"),
        (units.money(float("nan"), "EUR"), "n/a"),
        (units.number(float("-inf")), "n/a"),
        (units.kpi_delta(float("inf"), "ratio"), "n/a"),
        (units.kpi_delta(1e307, "ratio"), "n/a"),  # x 100 overflows
        (units.kpi_value(float("nan"), "USD"), "n/a"),
        (units.kpi_interval(float("-inf"), 0.01, "ratio"), "[n/a, +1.00] (90%)"),
        (units.percent(float("inf")), "n/a"),
        (units.money(2.5e12, "USD"), "$2.5T"),
        (units.money(3e18, "USD", signed=True), "+$3e+18"),
    ],
)
def test_formatters_never_write_inf_or_nan(text: str, expected: str) -> None:
    assert text == expected


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"annual_benefit": 1e308}, "annual_benefit is 1e+308, beyond the +-1e+15"),
        ({"cloud_per_year": 1e16}, "cloud_per_year is 1e+16, beyond the +-1e+15"),
        ({"data_cost": 1e16}, "data_cost is 1e+16, beyond the +-1e+15"),
        ({"eng_months": 1e7}, "eng_months is 1e+07, beyond the +-1e+06"),
        (
            {"eng_months": Lognormal(6, 50)},
            f"eng_months is {6 * math.exp(1.2815515655446004 * 50):g}, beyond",
        ),
        ({"deploy_days": Lognormal(90, 6)}, "deploy_days is a lognormal with sigma 6"),
        ({"years": 101}, "years must be at most 100"),
        ({"discount": -0.9999999999, "years": 100}, "discount -0.9999999999 over 100 years"),
    ],
)
def test_roi_inputs_whose_cash_flows_would_overflow_are_refused_by_name(
    inputs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ROIError, match="^" + re.escape(message)):
        Investment(**{"annual_benefit": 1.0, **inputs})


def test_roi_at_every_limit_stays_finite() -> None:
    """Every input at its bound over 100 years at -99% a year: a finite NPV."""
    result = evaluate(
        Investment(
            annual_benefit=1e15,
            data_cost=1e15,
            eng_months=1e6,
            monthly_rate=1e15,
            infra_setup=1e15,
            cloud_per_year=1e15,
            maintenance_share=1e6,
            deploy_days=0,
            ramp_months=0,
            years=100,
            discount=-0.99,
        )
    )
    assert -1e300 < result.npv < 0


def test_the_module_examples_hold() -> None:
    for module in (run_module, schema, units):
        assert doctest.testmod(module).failed == 0


def test_record_errors_are_bizml_errors_and_value_errors() -> None:
    with pytest.raises(RecordError) as info:
        validate_record(record(status="exploded"))
    assert isinstance(info.value, LedgerError)
    assert isinstance(info.value, BizmlError)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == (
        "malformed run record: status is 'exploded'; it must be 'ok' or 'failed'"
    )
