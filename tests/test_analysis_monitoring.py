"""present/analyses/monitoring.py: the template's parameters checked together, in one message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bizml_nb.core.errors import InvalidArguments
from bizml_nb.interfaces import templates
from bizml_nb.interfaces.datasets import DRIFT_KINDS
from bizml_nb.present.analyses import monitoring
from bizml_nb.present.analyses.monitoring import DEFAULTS, PARAMETERS, check_parameters


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
        "give both -p reference_path and -p analysis_path (CSV files), or neither to run on "
        "generated data"
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
    paths = {"reference_path": str(tmp_path / "ref.csv"), "analysis_path": str(tmp_path / "recent.csv")}
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
    assert _flagged(_refused(label_column=" ")) == "-p label_column must name a column (it is empty)"
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
        "-p reference_path must be the path of a CSV file, or empty for generated data (got 3)"
    )
    assert _flagged(_refused(currency="US D")).startswith("-p currency is 'US D': a currency is")


def test_no_parameter_is_given_twice_in_the_doc() -> None:
    """Empty or None paths both mean generated data."""
    assert monitoring.given_path("") is None
    assert monitoring.given_path(None) is None
    assert monitoring.given_path("  ") is None
    assert monitoring.given_path("a.csv") == "a.csv"
    check_parameters({**DEFAULTS, "reference_path": None, "analysis_path": None})
