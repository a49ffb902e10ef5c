"""`bizml monitor REFERENCE ANALYSIS`: the command on Parquet files and CSV files it writes itself.

Every figure the command prints or writes is the one `Reference.check` gives from
Python on the same data; a refusal is one `bizml: error:` line with exit status 1
(2 for an argument argparse refuses) and no file; `--fail-on` exits 3 when the typed
decision is at least that urgent.
"""

from __future__ import annotations

import html
import importlib.util
import json
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from bizml_nb.interfaces import cli_monitor
from bizml_nb.interfaces.cli import main
from bizml_nb.interfaces.datasets import classifier_drift
from bizml_nb.monitor import Reference
from bizml_nb.monitor.logs import check_logs, decision_of, page_html, read_csv

if TYPE_CHECKING:
    from pathlib import Path

FEATURES = ["x0", "x1", "x2", "segment"]
VALUE = ["0", "-20", "-100", "60"]
PRICING = {"value_matrix": [[0.0, -20.0], [-100.0, 60.0]], "cases_per_year": 1e6}
PRICE = ["--value", *VALUE, "--cases-per-year", "1e6"]


def _write(folder: Path, drift: str, *, labels: bool = True) -> dict[str, Path]:
    """A reference JSON, the analysis period as two Parquet files and as one CSV file."""
    data = classifier_drift(3_000, 6_000, n_features=3, drift=drift, rows_per_day=1_000, seed=1)
    reference = Reference.fit(
        data.reference,
        features=FEATURES,
        prediction="prediction",
        proba="proba",
        target="target",
    )
    paths = {"reference": reference.save(folder / "reference.json")}
    analysis = data.analysis if labels else data.analysis.drop(columns=["target"])
    (folder / "logs").mkdir()
    # times in microseconds, as Spark reads them (it refuses Parquet's nanoseconds)
    micro = {"coerce_timestamps": "us"}
    analysis.iloc[:2_500].to_parquet(folder / "logs" / "part-1.parquet", **micro)
    analysis.iloc[2_500:].to_parquet(folder / "logs" / "part-2.parquet", **micro)
    analysis.to_csv(folder / "analysis.csv", index=False)
    paths["glob"] = folder / "logs" / "*.parquet"
    paths["csv"] = folder / "analysis.csv"
    return paths


@pytest.fixture(scope="module")
def covariate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _write(tmp_path_factory.mktemp("covariate"), "covariate", labels=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["monitor", *(str(a) for a in argv)])
    out, err = capsys.readouterr()
    return status, out, err


def test_parquet_glob_prints_and_writes_the_figures_of_reference_check(
    covariate: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "monitor.html"
    argv = [covariate["reference"], covariate["glob"], "--chunk-by", "day", *PRICE]
    status, out, err = _run(capsys, *argv, "--out", out_file)
    assert status == 0
    assert err == ""  # stderr is not a terminal: no progress bar
    expected = Reference.load(covariate["reference"]).check(
        str(covariate["glob"]), chunk_by="day", value=PRICING
    )
    assert out.startswith(expected.text() + "\n")
    # 6,000 rows at 1,000 a day: six daily chunks, as the DataFrame cuts them
    assert list(expected.chunks) == [f"2026-01-0{d}" for d in range(4, 10)]
    assert list(expected.rows) == [1_000] * 6
    decision = decision_of(expected)
    assert decision is not None
    assert f"decision: {decision.action} ({decision.reason})\n" in out
    assert out.endswith(f"wrote {out_file}\n")
    page = out_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert expected.html() in page  # the card, figure for figure
    assert f"<b>{decision.action}</b>" in page
    assert "data:image/png;base64," in page  # the chart, embedded: the page needs no network


def test_the_same_rows_as_csv_parquet_in_memory_and_out_of_core_give_the_same_estimates(
    covariate: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    reference = Reference.load(covariate["reference"])
    frame = read_csv(covariate["csv"])
    direct = reference.check(frame, chunk_size=1_500, value=PRICING)
    status, out, _ = _run(
        capsys, covariate["reference"], covariate["csv"], "--chunk-by", "rows",
        "--chunk-size", "1500", *PRICE,
    )  # fmt: skip
    assert status == 0
    assert out.startswith(direct.text() + "\n")
    for engine in ("duckdb", "pandas"):
        status, out, _ = _run(
            capsys, covariate["reference"], covariate["glob"], "--chunk-by", "1500",
            "--engine", engine, *PRICE,
        )  # fmt: skip
        assert status == 0
        result = check_logs(
            covariate["reference"], str(covariate["glob"]), engine=engine, chunk_by=1_500,
            value=PRICING,
        )  # fmt: skip
        assert out.startswith(result.text() + "\n")
        # every figure of every chunk (drift, performance, value), to rounding
        pd.testing.assert_frame_equal(
            result.to_frame(), direct.to_frame(), rtol=1e-9, check_dtype=False
        )


def test_the_default_chunks_are_the_checks_ten_equal_parts(
    covariate: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(capsys, covariate["reference"], covariate["glob"])
    assert status == 0
    assert out.startswith("Monitor  10 chunks of 600 rows, 6,000 rows against a reference of 3,000")
    assert "decision:" not in out  # not priced: no decision


def test_an_existing_out_is_kept_without_force_and_replaced_with_it(
    covariate: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "monitor.html"
    out_file.write_text("mine", encoding="utf-8")
    status, out, err = _run(capsys, covariate["reference"], covariate["csv"], "--out", out_file)
    assert status == 1
    assert out == ""
    assert err == (
        f"bizml: error: {out_file} already exists; nothing was written. "
        "Choose another name, or pass --force to replace it\n"
    )
    assert out_file.read_text(encoding="utf-8") == "mine"
    status, _, _ = _run(
        capsys, covariate["reference"], covariate["csv"], "--out", out_file, "--force"
    )
    assert status == 0
    assert out_file.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["monitor.html"]  # no temporary file left


def _bad_data(folder: Path, covariate: dict[str, Path]) -> dict[str, Path]:
    frame = read_csv(covariate["csv"])
    paths = {
        "no_x1": folder / "no_x1.parquet",
        "text_x0": folder / "text_x0.parquet",
        "not_parquet": folder / "broken.parquet",
        "not_json": folder / "reference.txt.json",
        "not_reference": folder / "other.json",
        "csv_no_x1": folder / "no_x1.csv",
        "csv_text_x0": folder / "text_x0.csv",
    }
    frame.drop(columns=["x1"]).to_csv(paths["csv_no_x1"], index=False)
    frame.assign(x0="a").to_csv(paths["csv_text_x0"], index=False)
    frame.drop(columns=["x1"]).to_parquet(paths["no_x1"])
    frame.assign(x0=frame["x0"].astype(str)).to_parquet(paths["text_x0"])
    paths["not_parquet"].write_text("a,b\n1,2\n", encoding="utf-8")
    paths["not_json"].write_text("{not json", encoding="utf-8")
    paths["not_reference"].write_text(json.dumps({"rows": 3}), encoding="utf-8")
    return paths


@pytest.mark.parametrize(
    ("reference", "analysis", "extra", "words"),
    [
        ("missing", "csv", [], ["missing.json does not exist"]),
        ("not_json", "csv", [], ["reference.txt.json is not valid JSON"]),
        ("not_reference", "csv", [], ["other.json is not a bizml monitor reference"]),
        ("ok", "empty_glob", [], ["the data to check", "no file matches", "nothing-*.parquet"]),
        ("ok", "no_x1", [], ["the data to check", "no_x1.parquet", "lacks the column 'x1'"]),
        ("ok", "text_x0", [], ["text_x0.parquet", "'x0'"]),
        ("ok", "csv_no_x1", [], ["the data to check (", "no_x1.csv) lacks the column 'x1'"]),
        ("ok", "csv_text_x0", [], ["text_x0.csv): column 'x0' must hold numbers"]),
        ("ok", "not_parquet", [], ["broken.parquet", "Parquet"]),
        ("ok", "txt", [], ["logs.txt) is neither Parquet", "nor a CSV file"]),
        ("ok", "csv", ["--engine", "spark"], ["is a CSV file", "spark engine reads Parquet"]),
        ("ok", "csv", ["--chunk-by", "rows"], ["--chunk-by rows needs --chunk-size"]),
        ("ok", "csv", ["--chunk-by", "day", "--chunk-size", "9"], ["--chunk-size goes with"]),
        ("ok", "csv", ["--time-column", "timestamp"], ["--time-column is the column of times"]),
        ("ok", "csv", ["--chunk-by", "nope"], ["'nope'"]),
        ("ok", "csv", ["--fail-on", "retrain"], ["--fail-on decides", "--value", "--kpi"]),
        ("ok", "csv", ["--value", *VALUE], ["--value needs --cases-per-year"]),
        ("ok", "csv", ["--currency", "EUR"], ["--currency goes with --value"]),
        ("ok", "glob", ["--order-by", "x0"], ["--order-by is for data read by an engine"]),
        ("ok", "glob", ["--chunk-by", "0"], ["--chunk-by 0: a chunk needs at least 1 row"]),
    ],
)
def test_bad_input_is_one_line_exit_1_and_nothing_written(  # noqa: PLR0917 - parametrized
    covariate: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    reference: str,
    analysis: str,
    extra: list[str],
    words: list[str],
) -> None:
    bad = _bad_data(tmp_path, covariate)
    refs = {"ok": covariate["reference"], "missing": tmp_path / "missing.json", **bad}
    data = {
        "csv": covariate["csv"],
        "glob": covariate["glob"],
        "empty_glob": tmp_path / "nothing-*.parquet",
        "txt": tmp_path / "logs.txt",
        **bad,
    }
    if analysis == "glob":  # an order for a DataFrame: read in memory, refused by the check
        extra = [*extra, "--engine", "pandas"]
    out_file = tmp_path / "out" / "monitor.html"
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = _run(capsys, refs[reference], data[analysis], *extra, "--out", out_file)
    assert status == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bizml: error: ")
    for word in words:
        assert word in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_the_commands_engines_are_the_monitors_and_its_parser_imports_no_monitor_module() -> None:
    import subprocess
    import sys

    from bizml_nb.monitor import engine, logs

    assert cli_monitor.ENGINES == logs.ENGINES
    assert engine.MEMORY_LIMIT == "1GB"  # --memory-limit's default
    code = (
        "import sys; from bizml_nb.interfaces.cli import _parser; _parser(); "
        "print(sorted(m for m in sys.modules if m.startswith('bizml_nb.monitor')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_unknown_engine_is_refused_by_the_arguments(
    covariate: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _status(covariate["reference"], covariate["csv"], "--engine", "polars") == 2
    assert "invalid choice: 'polars'" in capsys.readouterr().err


def test_a_period_needs_the_time_column_when_there_are_several(
    tmp_path: Path, covariate: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    frame = read_csv(covariate["csv"])
    frame["seen"] = frame["timestamp"] + pd.Timedelta(days=2)
    frame.to_parquet(tmp_path / "two_times.parquet")
    status, _, err = _run(capsys, covariate["reference"], tmp_path / "two_times.parquet",
                          "--chunk-by", "day")  # fmt: skip
    assert status == 1
    assert "needs --time-column COLUMN" in err
    assert "'timestamp', 'seen'" in err
    status, out, _ = _run(capsys, covariate["reference"], tmp_path / "two_times.parquet",
                          "--chunk-by", "day", "--time-column", "seen")  # fmt: skip
    assert status == 0
    expected = Reference.load(covariate["reference"]).check(frame, by="seen", freq="D")
    assert out == expected.text() + "\n"
    assert expected.chunks[0] == "2026-01-06"  # the days of "seen", not of "timestamp"


@pytest.mark.parametrize(
    ("drift", "labels", "action"),
    [
        ("concept", True, "retrain"),  # the labels given with the data show the loss
        ("covariate", False, "investigate"),  # x0 and x1 move; no loss is estimated
        ("none", False, "no action"),
    ],
)
def test_fail_on_exits_3_when_the_decision_is_at_least_that(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], drift: str, labels: bool, action: str
) -> None:
    paths = _write(tmp_path, drift, labels=labels)
    argv = [paths["reference"], paths["glob"], "--chunk-size", "600", *PRICE]
    status, out, _ = _run(capsys, *argv)
    assert status == 0  # without --fail-on, whatever the decision
    assert f"decision: {action} (" in out
    expected = {"retrain": (3, 3), "investigate": (0, 3), "no action": (0, 0)}[action]
    for level, wanted in zip(("retrain", "investigate"), expected, strict=True):
        assert _status(*argv, "--fail-on", level) == wanted, (action, level)


def _status(*argv: object) -> int | str | None:
    """The exit status of ``bizml monitor ARGV``, returned or raised (``SystemExit``)."""
    try:
        return main(["monitor", *(str(a) for a in argv)])
    except SystemExit as exit_:
        return exit_.code


def test_kpi_prices_with_the_projects_confusion_link(
    covariate: dict[str, Path], project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bizml_nb.projects.project import Project

    project = Project.at(project_dir)
    project.init("fraud", currency="EUR")
    project.metric("loss_avoided", unit="EUR", direction="higher")
    project.link(
        "confusion", "loss_avoided", value_matrix=PRICING["value_matrix"], cases_per_year=1e6
    )
    status, out, _ = _run(capsys, covariate["reference"], covariate["csv"], "--kpi", "loss_avoided")
    assert status == 0
    expected = Reference.load(covariate["reference"]).check(
        read_csv(covariate["csv"]), value=project, kpi="loss_avoided"
    )
    assert out.startswith(expected.text() + "\n")
    assert "€" in out
    status, _, err = _run(
        capsys, covariate["reference"], covariate["csv"], "--kpi", "loss_avoided",
        "--cases-per-year", "5",
    )  # fmt: skip
    assert status == 1
    assert "drop --cases-per-year and --currency" in err


def test_the_page_escapes_what_the_user_names(
    covariate: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "<img src=x onerror=alert(1)>"
    folder.mkdir()
    frame = read_csv(covariate["csv"])
    frame.to_csv(folder / "a.csv", index=False)
    out_file = tmp_path / "page.html"
    status, _, _ = _run(capsys, covariate["reference"], folder / "a.csv", "--out", out_file)
    assert status == 0
    page = out_file.read_text(encoding="utf-8")
    assert "<img src=x" not in page
    assert html.escape(str(folder)) in page
    result = check_logs(covariate["reference"], str(folder / "a.csv"))
    assert page_html(result, title="<b>", chart=False).count("&lt;b&gt;") == 2  # title and heading


def test_a_progress_bar_only_on_a_terminal(
    covariate: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setattr(cli_monitor.sys.stderr, "isatty", lambda: True)
    status, _, err = _run(capsys, covariate["reference"], covariate["glob"])
    assert status == 0
    assert "bizml monitor" in err  # the bar, from the engine's queries
    status, _, err = _run(capsys, covariate["reference"], covariate["glob"], "--no-progress")
    assert err == ""


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed (CI installs it)"
)
@pytest.mark.slow
def test_spark_reads_the_parquet_and_gives_the_same_figures(
    covariate: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(capsys, covariate["reference"], covariate["glob"], "--engine", "spark",
                          "--chunk-by", "day", "--no-progress")  # fmt: skip
    assert status == 0
    expected = Reference.load(covariate["reference"]).check(str(covariate["glob"]), chunk_by="day")
    assert out == expected.text() + "\n"
    # row chunks follow the files' order, as with DuckDB: the default 10 equal parts
    status, out, _ = _run(capsys, covariate["reference"], covariate["glob"], "--engine", "spark",
                          "--no-progress")  # fmt: skip
    assert status == 0
    expected = Reference.load(covariate["reference"]).check(str(covariate["glob"]))
    assert out == expected.text() + "\n"
