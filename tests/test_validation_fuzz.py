"""Random damaged run records at `bizml ledger import`, random damaged references at
`Reference.load` (issue 11, section 4).

Each damaged input is either refused with a BizmlError (an exit status of 1 and one
line on stderr for the command; never another exception) or taken exactly as written.
After a refusal the ledger's rows, content and `integrity_check` are unchanged; after
an import the ledger still lists, shows and exports, and every number its cards would
show is finite. Hypothesis runs derandomized, with a bounded number of examples.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import warnings
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizml_nb.core.errors import BizmlError, BizmlWarning
from bizml_nb.core.ledger import Ledger, Run
from bizml_nb.interfaces.cli import main
from bizml_nb.interfaces.datasets import classifier_drift
from bizml_nb.monitor import Reference
from bizml_nb.present.cards import RUN_MIME, Card
from bizml_nb.projects.project import Project, Projects
from tests.test_schema import state

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from bizml_nb.interfaces.datasets import ClassifierDrift

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# JSON text that hostile or careless tools write; put in place of any value.
RAW = [
    "Infinity",
    "-Infinity",
    "NaN",
    "1e400",
    "-1e400",
    "1e308",
    "-1e308",
    "1e16",
    "0",
    "-5",
    "-0.5",
    "0.5",
    "1",
    "2",
    "true",
    "false",
    "null",
    '""',
    '" "',
    '"yes"',
    '"nan"',
    '"yesterday"',
    '"ok"',
    '"failed"',
    '"2026-02-30T00:00:00Z"',
    '"2026-11-28T12:00:00Z"',
    '"0001-01-01T00:00:00+00:00"',
    '"2026-12-01"',
    "[]",
    "{}",
    "[1, 2]",
    '["a", "b"]',
    '{"a": 1}',
    '{"a": {"b": [1, {"c": null}]}}',
    "1" * 5000,
    "-" + "9" * 30,
    "12345678901234567890",
    "[" * 40 + "]" * 40,
    "[" * 5000 + "]" * 5000,
    '"\\ud800"',
    '"' + "x" * 30_000 + '"',
    '"\\u0000\\n\\t<script>"',
]
PLACEHOLDER = "@@RAW{}@@"


def json_values() -> st.SearchStrategy[str]:
    """JSON text of any generated value, non-finite floats included."""
    leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    values = st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=6,
    )
    return values.map(lambda v: json.dumps(v, allow_nan=True))


HOSTILE = st.sampled_from(RAW) | json_values()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``value``'s mappings and lists."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def damage(record: Any, changes: list[tuple[tuple[Any, ...], str | None]]) -> str:
    """``record`` as JSON text with each path set to raw JSON text (or deleted: None)."""
    damaged = copy.deepcopy(record)
    raw: list[str] = []
    for path, text in changes:
        parent = damaged
        for key in path[:-1]:
            inside = (isinstance(parent, dict) and key in parent) or (
                isinstance(parent, list) and isinstance(key, int) and key < len(parent)
            )
            if not inside:
                break
            parent = parent[key]
        else:
            last = path[-1]
            if not isinstance(parent, dict | list) or (
                isinstance(parent, list) and (not isinstance(last, int) or last >= len(parent))
            ):
                continue
            if text is None:
                if isinstance(parent, dict):
                    parent.pop(last, None)
                continue
            parent[last] = PLACEHOLDER.format(len(raw))
            raw.append(text)
    out = json.dumps(damaged)
    for index, text in enumerate(raw):
        out = out.replace(json.dumps(PLACEHOLDER.format(index)), text)
    return out


# --------------------------------------------------------------------------- run records


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    """A full run record with its impact, as a card writes it."""
    from bizml_nb.core.registry import BusinessMetric, Link, Registry

    kpi = BusinessMetric(
        "take_rate", unit="ratio", direction="higher", baseline=0.112, value_per_unit=2.5e9
    )
    link = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.2, 0.5)})
    registry = Registry(metrics={"take_rate": kpi}, links=(link,), min_annual_value=1e6)
    base = Run.new("base", target="take_rate", metrics={"ndcg@10": 0.40}, is_baseline=True)
    run = Run(
        id="01JDZ8W6QG00000000000000FZ",
        name="two-tower v2",
        target="take_rate",
        started_at="2026-11-28T13:02:05.123Z",
        hypothesis="better recall",
        expect="+0.3pp",
        tags=("retrieval", "cold-start"),
        params={"lr": 0.01, "layers": [64, 32]},
        duration_s=0.0123,
        metrics={"ndcg@10": 0.4333, "latency_ms": 38.0},
        notebook="nb.ipynb",
        cell_id="c1",
        git_commit="0123abcd",
        git_dirty=True,
        python_version="3.11.7",
        bizml_version="0.1.0",
        eng_hours=3.0,
        deployed_on="2026-12-01",
    )
    record: dict[str, Any] = json.loads(json.dumps(Card.build(run, registry, base).record()))
    return record


RUN_PATHS = [("run", name) for name in (f.name for f in fields(Run))] + [
    ("format",),
    ("version",),
    ("run",),
    ("impact",),
    ("baseline_run",),
    ("run", "future_field"),
    ("run", "metrics", "new@k"),
    ("run", "params", "new"),
    ("run", "tags", 0),
    ("run", "tags", 1),
    ("run", "metrics", "ndcg@10"),
    ("run", "params", "layers", 0),
    ("impact", "value_per_year", 1),
    ("impact", "contributions", 0, "ml_delta"),
    ("impact", "verdict", "label"),
]
REQUIRED = ("id", "name", "target", "started_at")
RUN_DEFAULTS = {
    key: value
    for key, value in Run(id="x", name="x", target="x", started_at="x").to_record()["run"].items()
    if key not in REQUIRED
}


@pytest.fixture
def project(project_dir: Path) -> Iterator[Project]:
    projects = Projects()
    proj = projects.get(project_dir)
    proj.init("fuzz", currency="USD")
    proj.metric("take_rate", unit="ratio", direction="higher", baseline=0.112, value_per_unit=2.5e9)
    proj.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))
    yield proj
    projects.close()


COUNTER = itertools.count()


@FUZZ
@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(RUN_PATHS),
            st.none() | HOSTILE,
        ),
        min_size=1,
        max_size=3,
    ),
    anywhere=st.lists(st.tuples(st.integers(0, 10_000), HOSTILE), max_size=1),
)
def test_import_refuses_or_takes_exactly_every_damaged_record(
    project: Project,
    good: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    changes: list[tuple[tuple[Any, ...], str | None]],
    anywhere: list[tuple[int, str]],
) -> None:
    all_paths = list(paths(good))
    chosen = changes + [(all_paths[index % len(all_paths)], text) for index, text in anywhere]
    number = next(COUNTER)
    ledger_path = project.root / f"ledger-{number}.sqlite"
    seed = Ledger(ledger_path)
    seed.record(Run.new("seed", target="take_rate", metrics={"ndcg@10": 0.4}))
    seed.close()
    before = state(ledger_path)

    intact = copy.deepcopy(good)
    intact["run"]["id"] = f"01JDZ8W6QG0000000000{number:06d}"
    text = damage(good, chosen)
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": "",
            "outputs": [{"output_type": "display_data", "metadata": {}, "data": {RUN_MIME: data}}],
        }
        for data in (intact, "@@DAMAGED@@")
    ]
    notebook = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    notebook = notebook.replace('"@@DAMAGED@@"', text)
    path = project.root / f"nb-{number}.ipynb"
    path.write_text(notebook, encoding="utf-8")
    capsys.readouterr()

    status = main(["--ledger", str(ledger_path), "ledger", "import", str(path)])
    out, err = capsys.readouterr()
    if status == 1:
        assert out == ""
        assert err.startswith("bizml: error: ")
        assert err.count("\n") == 1
        assert state(ledger_path) == before
        return
    assert status == 0, err
    expected = json.loads(text)  # what was written, read by the standard library
    ledger = Ledger(ledger_path)
    runs = {run.id: run for run in ledger.runs()}
    stored = runs[expected["run"]["id"]].to_record()["run"]
    known = {k: v for k, v in expected["run"].items() if k in RUN_DEFAULTS or k in REQUIRED}
    assert stored == {**RUN_DEFAULTS, **known}
    assert runs[intact["run"]["id"]].to_record()["run"] == intact["run"]
    registry = project.registry
    for run in runs.values():
        impact = Card.build(run, registry, ledger.baseline(run.target)).impact
        if impact is not None and impact.value_per_year is not None:
            assert all(math.isfinite(v) for v in impact.value_per_year.to_list())
    frame = ledger.frame()
    assert len(frame) == before[0] + 2
    ledger.close()
    export = project.root / f"export-{number}.json"
    args = ["--ledger", str(ledger_path), "ledger"]
    assert main([*args, "export", "--format", "json", "--out", str(export)]) == 0
    assert main([*args, "show", intact["run"]["id"]]) == 0
    assert main([*args, "list"]) == 0


# --------------------------------------------------------------------------- references


@pytest.fixture(scope="module")
def drift() -> ClassifierDrift:
    return classifier_drift(600, 600, n_features=2, seed=4)


@pytest.fixture(scope="module")
def reference(drift: ClassifierDrift) -> dict[str, Any]:
    ref = Reference.fit(
        drift.reference,
        features=["x0", "x1", "segment"],
        proba="proba",
        prediction="prediction",
        target="target",
        quantiles=10,
    )
    record: dict[str, Any] = json.loads(json.dumps(ref.to_record()))
    return record


def contains(actual: Any, expected: Any) -> bool:
    """Whether every value given in ``expected`` is in ``actual`` (missing keys aside)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and contains(actual[key], value)
            for key, value in expected.items()
            if key != "written_by"
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected and type(actual) is type(expected)) or (
        isinstance(actual, float) and isinstance(expected, int) and actual == expected
    )


@FUZZ
@given(
    picks=st.lists(
        st.tuples(st.integers(0, 100_000), st.none() | HOSTILE | st.sampled_from(["0", "-1"])),
        min_size=1,
        max_size=2,
    )
)
def test_reference_load_refuses_or_takes_exactly_every_damaged_file(
    tmp_path_factory: pytest.TempPathFactory,
    reference: dict[str, Any],
    drift: ClassifierDrift,
    picks: list[tuple[int, str | None]],
) -> None:
    all_paths = list(paths(reference))
    changes = [(all_paths[index % len(all_paths)], text) for index, text in picks]
    text = damage(reference, changes)
    path = tmp_path_factory.mktemp("ref") / "reference.json"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = Reference.load(path)
    except BizmlError:
        return
    assert contains(loaded.to_record(), json.loads(text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BizmlWarning)
        try:
            result = loaded.check(drift.analysis.iloc[:300], chunks=2)
        except BizmlError:
            return
    assert result.reference_rows == loaded.rows
