"""The silent_failure_monitoring template on Parquet: its path parameters, chunk_by, time_column.

A Parquet analysis period is checked by the engine out of core; its figures are those
of the same rows given as a CSV file. The new parameters are checked with one message
each, before anything runs, as `bizml new` and `bizml run` check them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import nbformat
import pytest

from bizml_nb.core.errors import InvalidArguments
from bizml_nb.interfaces import templates
from bizml_nb.interfaces.cli import main
from bizml_nb.interfaces.datasets import classifier_drift
from bizml_nb.present.analyses import monitoring
from bizml_nb.present.analyses.monitoring import DEFAULTS, check_parameters

if TYPE_CHECKING:
    from pathlib import Path

NAME = "silent_failure_monitoring"


def _flagged(error: InvalidArguments) -> str:
    return error.worded(lambda name: f"-p {name}")


def _refused(**changes: Any) -> str:
    with pytest.raises(InvalidArguments) as caught:
        check_parameters({**DEFAULTS, **changes})
    return _flagged(caught.value)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same periods as CSV and as Parquet (the analysis in two files), with labels."""
    folder = tmp_path_factory.mktemp("parquet")
    data = classifier_drift(2_000, 4_000, n_features=2, drift="concept", rows_per_day=500, seed=4)
    data.reference.to_csv(folder / "ref.csv", index=False)
    data.reference.to_parquet(folder / "ref.parquet")
    data.analysis.to_csv(folder / "recent.csv", index=False)
    (folder / "logs").mkdir()
    data.analysis.iloc[:1_500].to_parquet(folder / "logs" / "a.parquet")
    data.analysis.iloc[1_500:].to_parquet(folder / "logs" / "b.parquet")
    return folder


def _values(files: Path, reference: str, analysis: str, **more: Any) -> dict[str, Any]:
    return {
        **DEFAULTS,
        "reference_path": str(files / reference),
        "analysis_path": str(files / analysis),
        "chunk_size": 500,
        **more,
    }


def test_a_parquet_analysis_gives_the_figures_of_the_same_rows_as_csv(files: Path) -> None:
    from_csv = monitoring.check(_values(files, "ref.csv", "recent.csv"))
    from_parquet = monitoring.check(_values(files, "ref.parquet", "logs/*.parquet"))
    assert from_parquet.result.text() == from_csv.result.text()
    assert from_parquet.data.text() == from_csv.data.text().replace(
        "ref.csv (reference) and recent.csv", "ref.parquet (reference) and *.parquet"
    )
    csv_record, parquet_record = from_csv.decision.record(), from_parquet.decision.record()
    for key in ("decision", "reason", "chunks", "alerts_per_column", "labels_used"):
        assert parquet_record[key] == csv_record[key], key
    for key in ("estimated_value_change_per_year", "realised_value_change_per_year"):
        assert parquet_record[key] == pytest.approx(csv_record[key], rel=1e-9), key
    assert parquet_record["decision"] == "retrain"  # concept drift: the labels show the loss
    assert parquet_record["labels_used"] is True
    assert parquet_record["chunks"] == 8  # 4,000 rows in chunks of 500


def test_chunk_by_day_cuts_either_file_into_days(files: Path) -> None:
    for analysis in ("recent.csv", "logs/*.parquet"):
        check = monitoring.check(_values(files, "ref.csv", analysis, chunk_by="day"))
        # 500 rows a day from 2026-01-04 (the reference's 2,000 rows take four days first)
        assert list(check.result.chunks) == [f"2026-01-{d:02d}" for d in range(5, 13)]
        assert list(check.result.rows) == [500] * 8
        assert "8 chunks of up to 500 rows" in check.decision.text()
        record = check.decision.record()
        assert record["parameters"]["chunk_by"] == "day"
        assert "time_column" not in record["parameters"]  # left at its default


def test_the_new_parameters_are_checked_one_message_each(files: Path) -> None:
    assert _refused(chunk_by="days") == (
        "-p chunk_by must be empty (chunks of -p chunk_size rows) or one of day, week, month "
        "(got 'days') (did you mean 'day'?)"
    )
    assert _refused(time_column="timestamp") == (
        "-p time_column names the column of times for -p chunk_by day, week or month; leave "
        "it empty for chunks of -p chunk_size rows"
    )
    assert _refused(chunk_by=3) == "-p chunk_by must be text (got 3)"
    paths = _values(files, "ref.csv", "logs/*.parquet")
    assert _refused(**{**paths, "analysis_path": str(files / "recent.json")}) == (
        f"-p analysis_path is {str(files / 'recent.json')!r}: give a CSV file (.csv), or "
        "Parquet (a .parquet or .pq file, or a glob of them)"
    )
    assert _refused(**{**paths, "analysis_path": str(files / "none-*.parquet")}) == (
        f"-p analysis_path is {str(files / 'none-*.parquet')!r}: no file matches (a relative "
        "path is read from the folder the notebook runs in)"
    )
    assert _refused(**{**paths, "reference_path": str(files / "ref.pq")}).startswith(
        f"-p reference_path is {str(files / 'ref.pq')!r}, which is not a file"
    )
    assert _refused(**{**paths, "proba_column": "score"}) == (
        "-p reference_path has no column 'score'; name it with -p proba_column (its columns: "
        "x0, x1, segment, proba, prediction, target, timestamp)"
    )
    assert _refused(**{**paths, "chunk_by": "day", "time_column": "clock"}) == (
        "-p analysis_path has no column 'clock' for -p time_column (its columns: x0, x1, "
        "segment, proba, prediction, target, timestamp)"
    )
    check_parameters({**paths, "chunk_by": "week", "time_column": "timestamp"})


def test_a_notebook_made_before_chunk_by_runs_with_row_chunks() -> None:
    namespace = {k: v for k, v in DEFAULTS.items() if k not in ("chunk_by", "time_column")}
    values = monitoring.parameters_from(namespace)
    assert values["chunk_by"] == ""
    assert values["time_column"] == ""
    check_parameters(namespace)  # what it lacks takes the value it ran with before


def test_bizml_new_refuses_a_bad_chunk_by_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "check.ipynb"
    status = main(["new", NAME, str(dest), "-p", "chunk_by", "hour"])
    assert status == 1
    err = capsys.readouterr().err
    assert "chunk_by must be empty" in err
    assert "'hour'" in err
    assert not dest.exists()


@pytest.mark.slow
def test_the_template_runs_on_a_parquet_glob(files: Path, tmp_path: Path) -> None:
    values = {
        "reference_path": "ref.csv",
        "analysis_path": "logs/*.parquet",
        "chunk_size": 500,
        "chunk_by": "day",
    }
    out = tmp_path / "parquet.ipynb"
    done = templates.run(NAME, values, out, progress=False, cwd=files)
    record = done.record
    assert record is not None
    direct = monitoring.check(_values(files, "ref.csv", "logs/*.parquet", chunk_by="day"))
    expected = direct.decision.record()
    assert record["decision"] == expected["decision"] == "retrain"
    assert record["chunks"] == 8
    assert record["estimated_value_change_per_year"] == pytest.approx(
        expected["estimated_value_change_per_year"], rel=1e-9
    )
    nb = nbformat.read(out, as_version=4)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == []
