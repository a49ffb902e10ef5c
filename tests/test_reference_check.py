"""Reference.load checks a saved monitor reference before using it (issue 11, section 4).

Damaged files seen in the issue: ``rows: -5`` loaded and changed the alerts; ``rows: 0``
raised ZeroDivisionError; negative confusion counts changed the priced value; lists
where tables belong raised AttributeError. Each is now refused with a MonitorError
naming the field, and every reference that fit() builds still loads exactly.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from bizml_nb.interfaces.datasets import classifier_drift
from bizml_nb.monitor import MonitorError, Reference

if TYPE_CHECKING:
    from pathlib import Path

    from bizml_nb.interfaces.datasets import ClassifierDrift

HINT = "; rebuild it with Reference.fit(...).save(path)"


@pytest.fixture(scope="module")
def data() -> ClassifierDrift:
    return classifier_drift(1_000, 1_000, n_features=3, seed=1)


@pytest.fixture(scope="module")
def saved(data: ClassifierDrift) -> dict[str, Any]:
    """The reference of 1,000 rows (3 numeric features and a categorical one) as JSON data."""
    ref = Reference.fit(
        data.reference,
        features=["x0", "x1", "x2", "segment"],
        proba="proba",
        prediction="prediction",
        target="target",
    )
    record: dict[str, Any] = json.loads(json.dumps(ref.to_record()))
    return record


def write(tmp_path: Path, record: Any) -> Path:
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def changed(saved: dict[str, Any], *path: str | int, value: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(json.dumps(saved))
    item: Any = record
    for key in path[:-1]:
        item = item[key]
    item[path[-1]] = value
    return record


def test_the_saved_reference_has_the_shape_the_checks_expect(saved: dict[str, Any]) -> None:
    assert saved["rows"] == 1_000
    assert saved["chunk_sizes"] == [100] * 10
    assert sum(saved["confusion"]["tn_fp_fn_tp"]) == 1_000
    assert [c["role"] for c in saved["columns"]] == ["feature"] * 4 + ["proba", "prediction"]


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("rows",), -5, "rows is -5; it must be a whole number from 2 to 1,000,000,000,000,000"),
        (("rows",), 0, "rows is 0; it must be a whole number from 2 to 1,000,000,000,000,000"),
        (("rows",), 999, "confusion.tn_fp_fn_tp adds up to 1,000 rows, not the reference's 999"),
        (("rows",), 1000.0, "rows is 1000.0; it must be a whole number from 2 to "),
        (
            ("confusion", "tn_fp_fn_tp", 1),
            -40,
            "confusion.tn_fp_fn_tp[1] is -40; it must be a whole number from 0 to ",
        ),
        (("metrics",), [1, 2], "metrics is a list of 2 items; it must be a mapping"),
        (("chunk_metrics",), [], "chunk_metrics is an empty list []; it must be a mapping"),
        (("calibration",), [0.5], "calibration is a list of 1 item; it must be a mapping"),
        (("columns",), {}, "columns is an empty mapping {}; it must be a list"),
        (("columns", 0), [1], "columns[0] is a list of 1 item; it must be a mapping"),
        (("chunk_sizes", 0), 0, "chunk_sizes[0] is 0; it must be a whole number from 1 to "),
        (("threshold",), 1.5, "threshold is 1.5; it must be a number from 0 to 1"),
        (("metrics", "accuracy"), 1e400, "metrics.accuracy is Infinity; it must be a finite"),
        (("columns", 0, "counts", 0), -3, "columns[0].counts[0] is -3; it must be a whole number"),
        (("columns", 0, "edges", 1), -1e9, "columns[0].edges[1] is not above the value before it"),
        (("columns", 3, "kind"), "numeric", "columns[3].edges is missing"),
        (("columns", 5, "kind"), "numeric", "columns[5] has kind 'numeric' and role 'prediction'"),
        (("columns", 1, "name"), "x0", "columns summarise 'x0' twice"),
        (("features",), ["x0", "x1"], "columns must summarise each feature, the probability"),
    ],
)
def test_a_damaged_reference_is_refused_naming_the_field(
    tmp_path: Path, saved: dict[str, Any], path: tuple[Any, ...], value: Any, problem: str
) -> None:
    target = write(tmp_path, changed(saved, *path, value=value))
    with pytest.raises(MonitorError) as info:
        Reference.load(target)
    message = str(info.value)
    assert message.startswith(f"{target} is damaged: {problem}")
    assert message.endswith(HINT)


def test_deep_nesting_and_long_integers_are_refused_without_a_crash(
    tmp_path: Path, saved: dict[str, Any]
) -> None:
    path = tmp_path / "reference.json"
    text = json.dumps(changed(saved, "calibration", "extra", value="@@"))
    path.write_text(text.replace('"@@"', "[" * 100_000 + "]" * 100_000), encoding="utf-8")
    with pytest.raises(MonitorError, match=r"cannot read .*: its JSON nests too deeply to read"):
        Reference.load(path)
    path.write_text(text.replace('"@@"', "7" * 5000), encoding="utf-8")
    with pytest.raises(
        MonitorError,
        match=r"is damaged: calibration\.extra is an integer of 5,000 digits; integers must "
        r"lie within \+-9,223,372,036,854,775,807 \(2\*\*63 - 1\); rebuild it",
    ):
        Reference.load(path)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"chunk_size": 150},
        {"chunks": 2, "categorical": ["x2"]},
        {"quantiles": 10},
        {"threshold": 0.3},
    ],
)
def test_every_reference_fit_builds_saves_and_loads_exactly(
    tmp_path: Path, data: ClassifierDrift, options: dict[str, Any]
) -> None:
    """fit() -> save() -> load() gives an equal reference, whatever the options."""
    frame = data.reference.copy()
    frame.loc[frame.index[:7], "x1"] = float("nan")  # missing values are counted
    features = ["x0", "x1", "x2", "segment"]
    prediction = None if "threshold" in options else "prediction"
    ref = Reference.fit(
        frame, features=features, proba="proba", prediction=prediction, target="target", **options
    )
    loaded = Reference.load(ref.save(tmp_path / "ref.json"))
    assert loaded.to_record() == ref.to_record()
    assert loaded == Reference.from_record(json.loads(json.dumps(ref.to_record())))


def test_save_writes_atomically_and_leaves_no_temporary_file(
    tmp_path: Path, saved: dict[str, Any]
) -> None:
    ref = Reference.from_record(saved)
    path = ref.save(tmp_path / "models" / "ref.json")
    assert sorted(p.name for p in path.parent.iterdir()) == ["ref.json"]
    assert Reference.load(path).to_record() == ref.to_record()
