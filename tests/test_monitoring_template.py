"""templates/silent_failure_monitoring.ipynb: built by its script, run by papermill, its record."""

from __future__ import annotations

import html
import importlib.util
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import pytest

import bizml_nb
from bizml_nb.interfaces import templates
from bizml_nb.interfaces.datasets import classifier_drift
from bizml_nb.interfaces.demo import TEMPLATES as DEMO_TEMPLATES
from bizml_nb.present.report import build_report

ROOT = Path(__file__).resolve().parent.parent
NAME = "silent_failure_monitoring"
MONITOR_MIME = "application/vnd.bizml.monitor+json"


def _build_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", ROOT / "tools" / "build_notebooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The template run by papermill: defaults, concept drift, and CSV files with labels."""
    folder = tmp_path_factory.mktemp("monitoring")
    data = classifier_drift(5_000, 10_000, drift="concept", seed=3)
    data.reference.to_csv(folder / "reference.csv", index=False)
    data.analysis.to_csv(folder / "analysis.csv", index=False)
    runs: dict[str, dict[str, Any] | None] = {
        "defaults": None,  # no parameters, as `bizml demo` runs it
        "concept": {"drift": "concept"},
        "files": {
            "reference_path": str(folder / "reference.csv"),
            "analysis_path": str(folder / "analysis.csv"),
            "chunk_size": 1_000,
            "currency": "EUR",
        },
    }

    def execute(label: str) -> dict[str, Any]:
        out = folder / f"{label}.ipynb"
        done = templates.run(NAME, runs[label], out, progress=False, cwd=folder)
        return {"execution": done, "record": done.record, "notebook": nbformat.read(out, 4)}

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(execute, runs))
    return dict(zip(runs, results, strict=True))


def test_template_is_saved_without_outputs_and_matches_its_build_script() -> None:
    build = _build_script()
    saved = nbformat.read(ROOT / "templates" / f"{NAME}.ipynb", as_version=4)
    for cell in saved.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None
    expected = build.expected(NAME)
    assert [c.source for c in saved.cells] == [c.source for c in expected.cells], (
        f"templates/{NAME}.ipynb is out of date: run python tools/build_notebooks.py {NAME}"
    )
    tags = [c.metadata.get("tags", []) for c in saved.cells]
    assert tags.count(["parameters"]) == 1
    assert tags.count(["decision-summary"]) == 1
    # the decision comes first: parameters, a Markdown cell saying what is decided, the card
    first = tags.index(["parameters"])
    assert saved.cells[first + 1].cell_type == "markdown"
    assert tags[first + 2] == ["decision-summary"]
    assert saved.cells[first + 2].source.splitlines()[-1] == "check.decision"
    code = [c.source for c in saved.cells if c.cell_type == "code"]
    assert all(len(source.splitlines()) <= 8 for source in code[1:]), code


def test_parameters_are_typed_and_commented() -> None:
    params = {p.name: p for p in templates.get_template(NAME).parameters}
    assert list(params)[:3] == ["reference_path", "analysis_path", "drift"]
    assert params["reference_path"].type == "str"
    assert params["reference_path"].default == ""  # empty: generated data
    assert params["chunk_size"].default == 5000
    for name in ("tn_value", "fp_value", "fn_value", "tp_value", "cases_per_year"):
        assert params[name].type == "float"
    assert all(p.comment for p in params.values())


@pytest.mark.slow
def test_the_demo_runs_the_template(executed: dict[str, dict[str, Any]], project_dir: Path) -> None:
    """`bizml demo` runs the template as the fixture's "defaults" run does (by name, with no
    parameters): every code cell of the template runs, and the report the demo builds from
    the executed templates shows the monitoring decision."""
    assert NAME in DEMO_TEMPLATES
    done = executed["defaults"]
    template = nbformat.read(templates.get_template(NAME).path, as_version=4)
    code = [cell for cell in done["notebook"].cells if cell.cell_type == "code"]
    assert [c.source for c in code] == [
        c.source for c in template.cells if c.cell_type == "code"
    ]  # no cell injected: the defaults are the template's own
    assert all(cell.execution_count is not None for cell in code)
    assert done["record"]["template"] == NAME
    assert done["record"]["decision"] == "investigate"

    bizml_nb.init("monitoring demo", currency="USD")
    path = str(done["execution"].notebook)
    report = build_report(bizml_nb.project(), notebooks=[path]).read_text()
    assert "<h2>Monitoring</h2>" in report
    monitoring = report.split("<h2>Monitoring</h2>", 1)[1].split("<h2>", 1)[0]
    assert html.escape(Path(path).name) in monitoring  # named relative to the project's root
    assert "<li>Decision: investigate (" in monitoring


def test_the_example_is_the_template_executed_with_defaults() -> None:
    example = nbformat.read(ROOT / "notebooks" / "monitoring_example.ipynb", as_version=4)
    template = nbformat.read(templates.get_template(NAME).path, as_version=4)
    assert [c.source for c in example.cells[1:]] == [c.source for c in template.cells], (
        "notebooks/monitoring_example.ipynb is out of date: "
        "run python tools/build_notebooks.py monitoring_example"
    )
    record = templates.read_record(example, MONITOR_MIME)
    assert record["decision"] == "investigate"


@pytest.mark.slow
def test_covariate_shift_alerts_on_the_shifted_inputs_and_the_estimate_holds(
    executed: dict[str, dict[str, Any]],
) -> None:
    """Defaults: x0 and x1 shift; their alerts recur, the estimate tracks the realised value."""
    record = executed["defaults"]["record"]
    assert record["template"] == NAME
    assert record["drift"] == "covariate"
    assert {"x0", "x1"} <= set(record["sustained_alerts"])
    assert not {"x2", "x3", "segment"} & set(record["sustained_alerts"])
    assert record["alerts_per_column"]["x0"] >= 8  # shifted in 10 of 20 chunks
    assert record["decision"] == "investigate"
    assert record["estimate_missed_a_loss"] is False
    gap = abs(record["estimated_value_change_per_year"] - record["realised_value_change_per_year"])
    assert gap < 3 * record["estimated_value_change_se"] + 1e-9
    assert abs(record["estimated_accuracy"] - record["realised_accuracy"]) < 0.02
    summary = executed["defaults"]["execution"].summary  # what `bizml run` prints
    assert summary.startswith("Decision: investigate (")
    assert summary == record["summary"]  # the decision card's text
    assert "application/" not in summary


@pytest.mark.slow
def test_concept_drift_is_missed_by_the_label_free_estimate(
    executed: dict[str, dict[str, Any]],
) -> None:
    """Concept drift: the estimate stays near the reference although it is wrong.

    The relation between inputs and outcome flips half-way; the inputs do not move, so no
    alert recurs, and the label-free estimate of accuracy stays at the reference's level
    while the realised accuracy (from the labels held back) collapses. The template's
    label-free decision is therefore "no action": wrong, and its summary says so.
    """
    record = executed["concept"]["record"]
    assert record["sustained_alerts"] == []
    assert abs(record["estimated_accuracy"] - record["reference_accuracy"]) < 0.02  # looks fine
    assert record["realised_accuracy"] < record["reference_accuracy"] - 0.2  # but it is not
    assert record["decision"] == "no action"
    assert record["estimate_missed_a_loss"] is True
    assert record["realised_value_change_per_year"] < -10 * record["estimated_value_change_se"]
    assert "the label-free estimate missed a loss" in record["summary"]


@pytest.mark.slow
def test_csv_files_with_labels_use_them(executed: dict[str, dict[str, Any]]) -> None:
    """Given files whose analysis period holds labels, the realised loss decides: retrain."""
    record = executed["files"]["record"]
    assert record["generated"] is False
    assert record["labels_used"] is True
    assert record["currency"] == "EUR"
    assert record["chunks"] == 10
    assert "timestamp" not in record["alerts_per_column"]  # dates are not inputs
    assert record["decision"] == "retrain"
    assert record["reason"] == "the labels show a loss of value"


@pytest.mark.slow
def test_one_monitor_record_per_notebook_and_no_errors(
    executed: dict[str, dict[str, Any]],
) -> None:
    for label, done in executed.items():
        records = [
            output
            for cell in done["notebook"].cells
            for output in cell.get("outputs", [])
            if MONITOR_MIME in output.get("data", {})
        ]
        assert len(records) == 1, label
        assert not any(
            output.get("output_type") == "error" or output.get("name") == "stderr"
            for cell in done["notebook"].cells
            for output in cell.get("outputs", [])
        ), label
        assert any(
            "image/png" in o.get("data", {})
            for c in done["notebook"].cells
            for o in c.get("outputs", [])
        )
        path = done["execution"].notebook
        assert templates.read_record(path, MONITOR_MIME) == done["record"]
        json.dumps(done["record"], allow_nan=False)
