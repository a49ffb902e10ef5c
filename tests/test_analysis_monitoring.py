"""present/analyses/monitoring.py: the template's parameters checked together, in one message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from bizml_nb.core.errors import InvalidArguments
from bizml_nb.interfaces import templates
from bizml_nb.interfaces.datasets import DRIFT_KINDS
from bizml_nb.present.analyses import monitoring
from bizml_nb.present.analyses.monitoring import DEFAULTS, PARAMETERS, check_parameters

if TYPE_CHECKING:
    from pathlib import Path


def _refused(**changes: Any) -> InvalidArguments:
    with pytest.raises(InvalidArguments) as caught:
        check_parameters({**DEFAULTS, **changes})
    return caught.value


def _flagged(error: InvalidArguments) -> str:
    """The message as the command line words it (``-p name``)."""
    return error.worded(lambda name: f"-p {name}")


def test_the_defaults_pass_and_match_the_template() -> None:
    """PARAMETERS and DEFAULTS are the template's parameters cell, in its order."""
    check_parameters(DEFAULTS)
    declared = templates.get_template(monitoring.TEMPLATE).parameters
    assert tuple(p.name for p in declared) == PARAMETERS
    assert {p.name: p.default for p in declared} == DEFAULTS
    assert set(monitoring.DRIFT_KINDS) == set(DRIFT_KINDS)


def test_a_missing_parameter_is_named() -> None:
    values = {k: v for k, v in DEFAULTS.items() if k != "chunk_size"}
    with pytest.raises(InvalidArguments) as caught:
        check_parameters(values)
    assert str(caught.value) == "the template's parameters lack chunk_size"


def test_one_path_without_the_other() -> None:
    error = _refused(reference_path="ref.csv")
    assert _flagged(error) == (
        "give both -p reference_path and -p analysis_path (CSV or Parquet files), or neither "
        "to run on generated data"
    )
    assert error.keywords == ("reference_path", "analysis_path")
    assert _refused(analysis_path="recent.csv").keywords == ("reference_path", "analysis_path")


def test_a_path_that_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "ref.csv").write_text("proba,prediction,target\n0.5,1,1\n")
    missing = tmp_path / "recent{x}.csv"  # braces in a user's value stay as typed
    error = _refused(reference_path=str(tmp_path / "ref.csv"), analysis_path=str(missing))
    assert _flagged(error) == (
        f"-p analysis_path is {str(missing)!r}, which is not a file (a relative path is read "
        "from the folder the notebook runs in)"
    )


def test_a_file_without_the_named_column(tmp_path: Path) -> None:
    (tmp_path / "ref.csv").write_text("x0,proba,prediction,label\n1,0.5,1,1\n")
    (tmp_path / "recent.csv").write_text("x0,proba,prediction\n1,0.5,1\n")
    paths = {
        "reference_path": str(tmp_path / "ref.csv"),
        "analysis_path": str(tmp_path / "recent.csv"),
    }
    error = _refused(**paths)
    assert _flagged(error) == (
        "-p reference_path has no column 'target'; name it with -p label_column "
        "(its columns: x0, proba, prediction, label)"
    )
    check_parameters({**DEFAULTS, **paths, "label_column": "label"})
    error = _refused(**paths, label_column="label", proba_column="probability")
    assert _flagged(error) == (
        "-p reference_path has no column 'probability' (did you mean 'proba'?); name it with "
        "-p proba_column (its columns: x0, proba, prediction, label)"
    )


def test_drift_is_one_of_the_generated_cases() -> None:
    assert _flagged(_refused(drift="concpet")) == (
        "-p drift must be one of covariate, concept, none (got 'concpet') (did you mean 'concept'?)"
    )


def test_the_three_columns_differ_and_the_generated_data_has_its_own() -> None:
    assert _flagged(_refused(label_column="proba")) == (
        "-p proba_column, -p prediction_column and -p label_column must name three different "
        "columns (got 'proba', 'prediction', 'proba')"
    )
    assert (
        _flagged(_refused(label_column=" ")) == "-p label_column must name a column (it is empty)"
    )
    assert _flagged(_refused(proba_column="score")) == (
        "the generated data's column for -p proba_column is 'proba', not 'score': leave "
        "-p proba_column at 'proba', or give your data with -p reference_path and -p analysis_path"
    )


def test_chunk_size_is_at_least_100_rows_and_leaves_two_chunks() -> None:
    assert _flagged(_refused(chunk_size=99)) == "-p chunk_size must be at least 100 rows (got 99)"
    check_parameters({**DEFAULTS, "chunk_size": 50_000})
    assert _flagged(_refused(chunk_size=50_001)) == (
        "-p chunk_size must be at most 50,000 rows with generated data, so that its 100,000 rows "
        "make at least 2 chunks to compare (got 50,001)"
    )


def test_values_and_cases_per_year() -> None:
    assert _flagged(_refused(cases_per_year=0.5)) == (
        "-p cases_per_year must lie between 1 and 1e15: cases the model decides on in a year "
        "(got 0.5)"
    )
    assert _flagged(_refused(fn_value=-2e18)) == (
        "-p fn_value is -2e18: a value per case must lie between -1e18 and 1e18"
    )
    error = _refused(fn_value=-1e12, cases_per_year=1e7)
    assert error.keywords == ("fn_value", "cases_per_year")
    assert _flagged(error) == (
        "-p fn_value holds up to 1e12 a case, which times -p cases_per_year (1e7) is 1e19 a "
        "year, above 1e18; check that the matrix holds the value of one case and "
        "-p cases_per_year the cases of one year"
    )


def test_types_and_currency() -> None:
    assert _flagged(_refused(chunk_size=5000.5)) == (
        "-p chunk_size must be a whole number of rows (got 5000.5)"
    )
    assert _flagged(_refused(tp_value=float("nan"))) == (
        "-p tp_value must be a finite number (got nan)"
    )
    assert _flagged(_refused(reference_path=3)) == (
        "-p reference_path must be the path of a CSV or Parquet file (or a glob of Parquet "
        "files), or empty for generated data (got 3)"
    )
    assert _flagged(_refused(currency="US D")).startswith("-p currency is 'US D': a currency is")


def test_empty_or_none_paths_mean_generated_data() -> None:
    """Empty or None paths both mean generated data."""
    assert monitoring.given_path("") is None
    assert monitoring.given_path(None) is None
    assert monitoring.given_path("  ") is None
    assert monitoring.given_path("a.csv") == "a.csv"
    check_parameters({**DEFAULTS, "reference_path": None, "analysis_path": None})


# --------------------------------------------------------------------------- the check and its card

#: the keys of the template's decision record before it led with its card (version 1)
RECORD_KEYS_V1 = (
    "decision",
    "reason",
    "estimated_value_change_per_year",
    "realised_value_change_per_year",
    "currency",
    "estimated_accuracy",
    "estimated_accuracy_se",
    "reference_accuracy",
    "template",
    "format",
    "version",
    "data",
    "generated",
    "drift",
    "chunks",
    "recent_chunks",
    "sustained_at",
    "sustained_alerts",
    "isolated_alerts",
    "alerts_per_column",
    "estimated_value_change_se",
    "reference_value_per_year",
    "realised_accuracy",
    "estimate_missed_a_loss",
    "labels_used",
    "parameters",
    "summary",
)
DEFAULT_CARD = """\
Decision: investigate (inputs or predictions drift, but no loss of value is estimated)
  To do     find out why x0, x1, proba and prediction changed, and compare the estimate with labels as soon as they arrive
  Accuracy  78.7% [78.3%, 79.1%] (90%) estimated without labels over the latest 5 of 20 chunks; 79.2% in the reference
  Value     +$4.71M/yr [+$4.35M, +$5.07M] (90%) against the reference ($5.46M/yr) at 1,000,000 cases a year: no value estimated at risk
  Drift     sustained alerts (in 3 chunks or more) on x0, x1, proba, prediction; isolated alerts, as expected by chance, on x4, x5
  Alerts    drift alerts in 12 of 20 chunks: [5000:9999], [15000:19999], [50000:54999] to [95000:99999]
  Labels    held back in this generated case: realised accuracy 78.4%, value +$4.38M/yr against the reference: the estimate held
  Data      generated data (an illustration): inputs x0 and x1 shift from row 50,000 of the analysis period on (covariate drift); 20 chunks of up to 5,000 rows against a reference of 50,000 rows
  Caution   the estimate assumes P(y | x) is unchanged since the reference: it cannot see concept drift; compare it with labels as they arrive"""


@pytest.fixture(scope="module")
def defaults() -> monitoring.MonitoringCheck:
    from bizml_nb.interfaces.datasets import classifier_drift

    return monitoring.check(DEFAULTS, generate=classifier_drift)


def test_the_decision_card_says_what_to_do_first(defaults: monitoring.MonitoringCheck) -> None:
    """text/plain: the decision, accuracy and value with their 90% ranges, the columns and
    chunks that alerted, the labels, the data and the caution; no MIME label."""
    card = defaults.decision
    assert card.text() == DEFAULT_CARD
    bundle = card._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "application/vnd.bizml.monitor+json"}
    assert bundle["text/plain"] == DEFAULT_CARD
    assert "application/" not in bundle["text/plain"]
    assert "application/" not in bundle["text/html"]
    assert 'class="bizml-card bizml-monitor bizml-monitor-decision"' in bundle["text/html"]


def test_the_card_figures_are_the_records_worked_again(
    defaults: monitoring.MonitoringCheck,
) -> None:
    """The ranges on the card are mid +- 1.645 SE of the record's figures."""
    from bizml_nb.core import units

    record = defaults.decision.record()
    acc, acc_se = record["estimated_accuracy"], record["estimated_accuracy_se"]
    low, high = acc - 1.6448536269514722 * acc_se, acc + 1.6448536269514722 * acc_se
    assert f"{acc * 100:.1f}% [{low * 100:.1f}%, {high * 100:.1f}%] (90%)" in card_text(defaults)
    mid, se = record["estimated_value_change_per_year"], record["estimated_value_change_se"]
    ends = [
        units.money(mid + z * se, "USD", signed=True)
        for z in (-1.6448536269514722, 1.6448536269514722)
    ]
    assert f"{units.money(mid, 'USD', signed=True)}/yr [{ends[0]}, {ends[1]}] (90%)" in card_text(
        defaults
    )
    assert (
        f"against the reference ({units.money(record['reference_value_per_year'], 'USD')}/yr)"
        in card_text(defaults)
    )


def card_text(check: monitoring.MonitoringCheck) -> str:
    return check.decision.text()


def test_the_record_keeps_every_key_of_version_1(defaults: monitoring.MonitoringCheck) -> None:
    record = defaults.decision.record()
    assert tuple(record)[: len(RECORD_KEYS_V1)] == RECORD_KEYS_V1
    assert record["format"] == "bizml.monitor.decision"
    assert record["version"] == 1
    assert record["template"] == "silent_failure_monitoring"
    assert record["summary"] == DEFAULT_CARD
    as_in_0_2 = {k: v for k, v in DEFAULTS.items() if k not in monitoring.ADDED_LATER}
    assert record["parameters"] == {**as_in_0_2, "reference_path": None, "analysis_path": None}
    assert record["alerted_chunks"][:2] == ["[5000:9999]", "[15000:19999]"]
    assert record["sustained_alerts"] == ["x0", "x1", "proba", "prediction"]
    assert record["drift"] == "covariate"
    assert record["generated"] is True
    assert record["labels_used"] is False
    assert record["estimate_missed_a_loss"] is False


def test_the_generated_data_is_said_in_plain_words() -> None:
    assert monitoring.generated_words("none", (), 50_000) == (
        "generated data (an illustration) with no drift: the analysis period is drawn like the "
        "reference"
    )
    assert monitoring.generated_words("covariate", ("x0", "x1"), 50_000) == (
        "generated data (an illustration): inputs x0 and x1 shift from row 50,000 of the "
        "analysis period on (covariate drift)"
    )
    assert monitoring.generated_words("concept", (), 50_000) == (
        "generated data (an illustration): from row 50,000 of the analysis period on, the same "
        "inputs lead to other outcomes (concept drift)"
    )
    for drift in DRIFT_KINDS:
        words = monitoring.generated_words(drift, ("x0",), 1_000)
        assert "none drift" not in words
        assert "from analysis row" not in words


def test_the_supporting_views(defaults: monitoring.MonitoringCheck) -> None:
    """Data, the monitor's card without its record, the chart in words, the tables."""
    assert defaults.data.text().splitlines()[1:] == [
        "  Reference 50,000 rows, with labels",
        "  Analysis  100,000 rows",
        "  Inputs    7: x0, x1, x2, x3, x4, x5, segment",
        "  Labels    held back from the check, as they would be in production; shown only at the end",
    ]
    monitor = defaults.monitor._repr_mimebundle_()
    assert set(monitor) == {
        "text/plain",
        "text/html",
    }  # the notebook's one record is the decision's
    assert monitor["text/plain"] == defaults.result.text()
    chart = defaults.chart()._repr_mimebundle_()
    assert set(chart) == {"image/png", "text/plain"}
    assert chart["text/plain"].startswith("Chart, chunk by chunk:")
    chunks = defaults.chunks().text().splitlines()
    assert len(chunks) == 2 + 20
    assert chunks[2].split()[0] == "[0:4999]"
    assert "x0, x1, x4, proba, prediction" in chunks[12]  # [50000:54999]
    labels = defaults.labels().text().splitlines()
    assert labels[0] == "Estimated and realised, chunk by chunk (labels held back from the check)"
    assert len(labels) == 2 + 20


def _write(tmp_path: Path, rows: int, *, labels: bool) -> dict[str, Any]:
    from bizml_nb.interfaces.datasets import classifier_drift

    data = classifier_drift(2_000, rows, n_features=2, drift="concept", seed=4)
    data.reference.to_csv(tmp_path / "ref.csv", index=False)
    analysis = data.analysis if labels else data.analysis.drop(columns=["target"])
    analysis.to_csv(tmp_path / "recent.csv", index=False)
    return {
        **DEFAULTS,
        "reference_path": str(tmp_path / "ref.csv"),
        "analysis_path": str(tmp_path / "recent.csv"),
        "chunk_size": 500,
    }


def test_files_smaller_than_two_chunks_are_refused_when_read(tmp_path: Path) -> None:
    values = {**_write(tmp_path, 900, labels=False)}
    with pytest.raises(InvalidArguments) as caught:
        monitoring.check(values)
    assert _flagged(caught.value) == (
        "-p chunk_size must be at most 450 rows, so that the 900 rows of the analysis period "
        "make at least 2 chunks to compare (got 500)"
    )


def test_files_without_labels_say_so(tmp_path: Path) -> None:
    check = monitoring.check(_write(tmp_path, 2_000, labels=False))
    assert check.truth is None
    assert check.labels().text() == (
        "Labels: none for the analysis period: the realised performance is not known yet"
    )
    lines = dict(line.split(None, 1) for line in check.decision.text().splitlines()[1:])
    assert lines["Labels"] == (
        "none for the latest chunks: the realised accuracy and value are not known yet"
    )
    assert lines["Data"].startswith("the files ref.csv (reference) and recent.csv; 4 chunks")
    record = check.decision.record()
    assert record["generated"] is False
    assert record["drift"] is None
    assert record["realised_accuracy"] is None
    assert record["estimate_missed_a_loss"] is None


def test_files_with_labels_decide_with_them(tmp_path: Path) -> None:
    """Concept drift from the middle of the analysis period: the labels show the loss."""
    check = monitoring.check(_write(tmp_path, 2_000, labels=True))
    record = check.decision.record()
    assert record["labels_used"] is True
    assert record["decision"] == "retrain"
    assert record["reason"] == "the labels show a loss of value"
    assert (
        check.labels()
        .text()
        .startswith("Estimated and realised, chunk by chunk (labels given with the data)")
    )


def test_generated_data_needs_its_generator() -> None:
    with pytest.raises(InvalidArguments, match="no data: give reference_path and analysis_path"):
        monitoring.check(DEFAULTS)


def test_alerted_chunks_are_named_in_runs() -> None:
    from bizml_nb.present.analyses.monitoring_views import alerted_chunks_text

    keys = [f"c{i}" for i in range(20)]
    assert alerted_chunks_text(keys, []) == "no drift alert in 20 chunks"
    assert alerted_chunks_text(keys, ["c1", "c3", "c4", "c5", "c19"]) == (
        "drift alerts in 5 of 20 chunks: c1, c3 to c5, c19"
    )
    every_other = keys[::2]
    assert alerted_chunks_text(keys, every_other) == (
        "drift alerts in 10 of 20 chunks: c0, c2, c4, c6, c8, c10 and 4 more"
    )


def test_the_card_escapes_what_the_data_names() -> None:
    """Column names and file names come from the user's files: HTML shows them as text."""
    from bizml_nb.monitor.decision import Decision, choose
    from bizml_nb.present.analyses.monitoring_views import DecisionCard

    decision = Decision(
        action="investigate",
        reason="inputs or predictions drift, but no loss of value is estimated",
        chunks=("a", "b", "c", "d"),
        recent=1,
        sustained_at=2,
        alerts_per_column={"<img src=x onerror=alert(1)>": 2, "$x$": 1},
        alerted_chunks=("a", "b"),
        estimated_change=1e6,
        estimated_change_se=1e5,
        estimated_accuracy=0.9,
        estimated_accuracy_se=0.01,
        reference_accuracy=0.9,
        reference_per_year=2e6,
        realised_accuracy=None,
        realised_change=None,
        labels_used=False,
        currency="EUR",
        cases_per_year=1e5,
    )
    assert choose(decision)[0] == decision.action
    card = DecisionCard(
        decision, "the files <a>.csv (reference) and b.csv", False, None, 10, 100, {}
    )
    page = card.html()
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;a&gt;.csv" in page
    assert "To do     find out why <img src=x onerror=alert(1)> changed" in card.text()
    assert (
        "+€1M/yr [+€836k, +€1.16M] (90%) against the reference (€2M/yr) at 100,000" in card.text()
    )


def test_an_analysis_period_too_short_for_two_chunks_is_named(tmp_path: Path) -> None:
    """150 rows cannot make 2 chunks of at least 100: the file is named, not chunk_size."""
    header = "x0,proba,prediction,target\n"
    rows = ["0.1,0.8,1,1\n", "0.2,0.3,0,0\n"]
    (tmp_path / "ref.csv").write_text(header + "".join(rows * 150))
    (tmp_path / "recent.csv").write_text(header + "".join(rows * 75))
    paths = {
        "reference_path": str(tmp_path / "ref.csv"),
        "analysis_path": str(tmp_path / "recent.csv"),
    }
    with pytest.raises(InvalidArguments) as caught:
        monitoring.check({**DEFAULTS, **paths, "chunk_size": 100})
    assert caught.value.keywords == ("analysis_path",)
    assert str(caught.value).startswith(
        "the analysis period has 150 rows; it needs at least 200 to make 2 chunks"
    )
