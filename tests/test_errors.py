"""Errors speak the caller's language: Python keywords from Python, flags from the magic.

A bad value is a ValueError and an unknown KPI a KeyError (both still BizmlError),
carrying the keyword they are about as ``.keyword``; the magic and the ``bizml``
command show the same error with the flag (``--value-per-unit``).
"""

from __future__ import annotations

import argparse
import math
import pickle
from typing import TYPE_CHECKING, Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.core.errors import (
    BizmlError,
    InvalidArguments,
    InvalidValue,
    RegistryError,
    UnknownMetric,
)
from bizml_nb.core.registry import FILENAME, BusinessMetric, Registry
from bizml_nb.interfaces import cli
from bizml_nb.interfaces.cli import main

if TYPE_CHECKING:
    from pathlib import Path

NOT_FINITE = "metric 'm': value_per_unit must be a finite number (not nan)"


def _usage_error(ip: Any, line: str) -> str:
    with capture_output(), pytest.raises(UsageError) as info:
        ip.run_line_magic("bizml", line)
    return str(info.value)


# --------------------------------------------------------------------------- from Python


def test_a_bad_value_from_python_is_a_value_error_naming_the_keyword(project_dir: Path) -> None:
    bizml_nb.init("p")
    before = (project_dir / FILENAME).read_bytes()
    with pytest.raises(ValueError, match="value_per_unit") as info:
        bizml_nb.metric("m", unit="USD", direction="higher", value_per_unit=float("nan"))
    err = info.value
    assert str(err) == NOT_FINITE
    assert isinstance(err, RegistryError)
    assert isinstance(err, BizmlError)
    assert isinstance(err, InvalidValue)
    assert err.keyword == "value_per_unit"
    assert "--" not in str(err)
    assert (project_dir / FILENAME).read_bytes() == before  # nothing written


def test_a_user_catching_value_error_catches_each_bad_value(project_dir: Path) -> None:
    """Sign against direction, a range, a non-finite elasticity: each a ValueError."""
    bizml_nb.init("p")
    caught: list[tuple[str | None, str]] = []
    attempts = [
        lambda: bizml_nb.metric("m", unit="USD", direction="higher", value_per_unit=-5.0),
        lambda: bizml_nb.metric("m", unit="ratio", direction="higher", test_weeks=1e6),
        lambda: bizml_nb.metric("m", unit="ratio", direction="sideways"),  # type: ignore[arg-type]
    ]
    for attempt in attempts:
        try:
            attempt()
        except ValueError as exc:
            caught.append((getattr(exc, "keyword", None), str(exc)))
            assert isinstance(exc, BizmlError)  # noqa: PT017 - what a user's except sees
    assert [keyword for keyword, _ in caught] == ["value_per_unit", "test_weeks", "direction"]
    assert caught[0][1] == (
        "metric 'm': value_per_unit -5 is negative but higher is better: +1 unit of m should "
        "earn money, so use 5"
    )
    assert caught[1][1].startswith("metric 'm': test_weeks must lie between 0.01 and 520")


def test_a_bad_link_value_from_python_is_a_value_error(project_dir: Path) -> None:
    bizml_nb.init("p")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher")
    with pytest.raises(ValueError, match="elasticity") as info:
        bizml_nb.link("ndcg", "take_rate", elasticity=math.inf)
    assert info.value.keyword == "elasticity"  # type: ignore[attr-defined]
    assert str(info.value) == "link ndcg -> take_rate: elasticity must be a finite number (not inf)"


def test_arguments_that_do_not_go_together_are_a_value_error_naming_keywords(
    project_dir: Path,
) -> None:
    bizml_nb.init("p")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher")
    with pytest.raises(ValueError, match="exactly one of") as info:
        bizml_nb.link("ndcg", "take_rate", elasticity=0.3, expr="a / b")
    err = info.value
    assert isinstance(err, InvalidArguments)
    assert isinstance(err, RegistryError)
    assert err.keywords == ("elasticity", "fit", "value_matrix", "cases_per_year", "expr")
    assert str(err) == (
        "a link needs exactly one of elasticity (linear), fit=HISTORY (fitted), value_matrix "
        "with cases_per_year (confusion) or expr (formula); got elasticity and expr"
    )
    with pytest.raises(ValueError, match="cases_per_year") as info:
        bizml_nb.link("confusion", "take_rate", value_matrix=[[0, -1], [-5, 20]])
    assert str(info.value) == "a confusion link needs cases_per_year"
    with pytest.raises(ValueError, match="value_matrix") as info:
        bizml_nb.link("confusion", "take_rate", value_matrix=[1, 2, 3], cases_per_year=10)
    assert info.value.keyword == "value_matrix"  # type: ignore[attr-defined]


def test_an_unknown_kpi_is_a_key_error_with_a_readable_message(tmp_path: Path) -> None:
    registry = Registry.from_text('[metrics.take_rate]\nunit = "ratio"\ndirection = "higher"\n')
    with pytest.raises(KeyError) as info:
        registry.metric("take_rat")
    err = info.value
    assert isinstance(err, UnknownMetric)
    assert isinstance(err, RegistryError)
    assert err.name == "take_rat"
    # str() is the sentence, not KeyError's quoted repr of it
    assert str(err) == (
        "no business metric 'take_rat' in bizml.toml (did you mean 'take_rate'?); "
        "known: 'take_rate'. Declare it with "
        "`bizml_nb.metric('take_rat', unit=..., direction='higher' or 'lower')`"
    )


def test_an_unknown_kpi_through_the_api_is_a_key_error(project_dir: Path) -> None:
    bizml_nb.init("p")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher")
    with pytest.raises(KeyError, match="no business metric 'churn'"):
        bizml_nb.link("ndcg", "churn", elasticity=0.3)
    with pytest.raises(KeyError, match="no business metric 'churn'"):
        bizml_nb.experiment("x", target="churn")


def test_the_errors_survive_pickling() -> None:
    """Errors cross process boundaries (multiprocessing, papermill) whole."""
    err = InvalidValue("std", "must be positive (not -1)", prefix="metric 'm': ")
    back = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert (type(back), str(back), back.keyword, back.prefix) == (
        InvalidValue,
        str(err),
        "std",
        "metric 'm': ",
    )
    arguments = InvalidArguments("drop {interval} or {fit}", "interval", "fit")
    copy = pickle.loads(pickle.dumps(arguments))  # noqa: S301 - our own bytes
    assert (str(copy), copy.keywords, copy.worded(str.upper)) == (
        "drop interval or fit",
        ("interval", "fit"),
        "drop INTERVAL or FIT",
    )
    mentions = InvalidValue("a", "goes with {b}", prefix="p: ", mentions=("b",))
    again_mentions = pickle.loads(pickle.dumps(mentions))  # noqa: S301 - our own bytes
    assert (str(again_mentions), again_mentions.worded(str.upper)) == (
        "p: a goes with b",
        "p: A goes with B",
    )
    unknown = UnknownMetric("x", "no business metric 'x'")
    again = pickle.loads(pickle.dumps(unknown))  # noqa: S301 - our own bytes
    assert (type(again), str(again), again.name) == (UnknownMetric, str(unknown), "x")


def test_an_error_about_no_keyword_is_worded_as_it_is() -> None:
    err = RegistryError("bizml.toml, line 3: metrics.m.unit must be a string")
    assert err.keyword is None
    assert err.worded(lambda keyword: "--" + keyword) == str(err)


def test_metric_construction_names_the_keyword_from_python() -> None:
    with pytest.raises(ValueError, match="std") as info:
        BusinessMetric("m", "ratio", "higher", std=0.0)
    assert str(info.value) == "metric 'm': std must be positive (not 0)"


# --------------------------------------------------------------------------- from the magic


def test_the_magic_names_the_flag_for_the_same_value(ip: Any, project_dir: Path) -> None:
    ip.run_line_magic("bizml", "init --project p")
    message = _usage_error(ip, "metric m --unit USD --direction higher --value-per-unit -5")
    assert message == (
        "metric 'm': --value-per-unit -5 is negative but higher is better: +1 unit of m should "
        "earn money, so use 5"
    )
    assert "value_per_unit" not in message
    # a value argparse refuses is named by the flag too, in one line
    message = _usage_error(ip, "metric m --unit USD --direction higher --value-per-unit nan")
    assert message == "%bizml metric: argument --value-per-unit: 'nan' is not a finite number"


def test_the_magic_names_the_link_flag(ip: Any, project_dir: Path) -> None:
    ip.run_line_magic("bizml", "init --project p")
    ip.run_line_magic("bizml", "metric take_rate --unit ratio --direction higher")
    message = _usage_error(ip, "link ndcg take_rate --elasticity 0.5 --interval 0.6 0.9")
    assert message == (
        "link ndcg -> take_rate: --interval does not contain the elasticity 0.5; widen it or fix one"
    )


def test_the_magic_names_the_flags_of_arguments_that_do_not_go_together(
    ip: Any, project_dir: Path
) -> None:
    ip.run_line_magic("bizml", "init --project p")
    ip.run_line_magic("bizml", "metric take_rate --unit ratio --direction higher")
    message = _usage_error(ip, "link ndcg take_rate --elasticity 0.3 --expr 'a / b'")
    assert message == (
        "a link needs exactly one of --elasticity (linear), --fit=HISTORY (fitted), "
        "--value-matrix with --cases-per-year (confusion) or --expr (formula); "
        "got --elasticity and --expr"
    )
    message = _usage_error(ip, "link confusion take_rate --value-matrix 0 -1 -5 20")
    assert message == "a confusion link needs --cases-per-year"
    message = _usage_error(ip, "link ndcg take_rate --expr 'a / b' --ml-baseline 0.4")
    assert message == "a formula link has no ml_baseline; drop --ml-baseline"


def test_the_magic_keeps_a_name_that_is_not_a_flag(ip: Any, project_dir: Path) -> None:
    """The KPI's name is a positional NAME, not a flag: it stays `name`."""
    ip.run_line_magic("bizml", "init --project p")
    message = _usage_error(ip, "metric ' ' --unit ratio --direction higher")
    assert message == "metric ' ': name is empty; give the metric a name such as 'take_rate'"


def test_the_magic_says_how_to_declare_an_unknown_kpi(recsys: Any) -> None:
    message = _usage_error(recsys, "runs --target take_rat")
    assert message.startswith("no business metric 'take_rat'")
    assert message.endswith(
        "Declare it with `%bizml metric take_rat --unit ... --direction higher|lower`"
    )
    assert "bizml_nb.metric(" not in message


# --------------------------------------------------------------------------- from the command


def test_the_cli_says_how_to_declare_an_unknown_kpi(
    recsys: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["ledger", "list", "--target", "take_rat"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bizml: error: no business metric 'take_rat'")
    assert err.endswith("`%bizml metric take_rat --unit ... --direction higher|lower`\n")


def test_the_cli_writes_a_keyword_as_its_flag_only_when_it_has_that_flag() -> None:
    parser = cli._parser()
    assert isinstance(parser, argparse.ArgumentParser)
    currency = InvalidValue("currency", "'US D' is not a currency")
    assert cli._worded(currency, parser) == "--currency 'US D' is not a currency"
    r2 = InvalidValue("r2", "must lie between 0 and 1 (not 2)", prefix="link a -> b: ")
    assert cli._worded(r2, parser) == "link a -> b: r2 must lie between 0 and 1 (not 2)"
