"""Hostile input: whatever arguments %bizml gets, only a plain UsageError escapes."""

from __future__ import annotations

import shlex
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError

from bizml_nb.magics import SUBCOMMANDS

FLAGS = [
    "--unit",
    "--direction",
    "--baseline",
    "--target",
    "--value-per-unit",
    "--owner",
    "--description",
    "--elasticity",
    "--interval",
    "--source",
    "--ml-baseline",
    "--project",
    "--currency",
    "--tag",
    "--param",
    "--hypothesis",
    "--expect",
    "-h",
    "--help",
    "--",
]
WORDS = st.one_of(
    st.sampled_from(FLAGS),
    st.sampled_from(["take_rate", "ndcg@10", "higher", "lower", "ratio", "USD", "last"]),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "-0.5", "0", "2.5e9", "a=1", "=", "x=nan"]),
    st.text(min_size=0, max_size=12),
)
LINES = st.lists(WORDS, max_size=8).map(lambda words: " ".join(shlex.quote(w) for w in words))


def only_usage_error(ip: Any, line: str) -> None:
    """Run ``%bizml line``: it may succeed; if it fails, it is a plain UsageError with a message."""
    failure: BaseException | None = None
    try:
        ip.run_line_magic("bizml", line)
    except BaseException as exc:  # the test is about which exceptions escape
        failure = exc
    if failure is not None:
        assert type(failure) is UsageError, f"{type(failure).__name__} escaped: {failure!r}"
        assert str(failure).strip(), "an empty message"


LINE_COMMANDS = [c for c in SUBCOMMANDS if c != "experiment"]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(subcommand=st.sampled_from(LINE_COMMANDS), rest=LINES)
def test_line_magic_only_raises_usage_error(recsys: Any, subcommand: str, rest: str) -> None:
    """Random argument strings for every line subcommand raise nothing but UsageError."""
    only_usage_error(recsys, f"{subcommand} {rest}")


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rest=LINES)
def test_experiment_arguments_only_raise_usage_error(recsys: Any, rest: str) -> None:
    """Random arguments to %%bizml experiment raise nothing but UsageError (the body is valid)."""
    result = recsys.run_cell(f"%%bizml experiment {rest}\nbizml_nb.log(a=1)\n")
    if result.error_in_exec is not None:
        assert type(result.error_in_exec) is UsageError, repr(result.error_in_exec)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.text(max_size=40))
def test_raw_text_after_bizml_only_raises_usage_error(recsys: Any, raw: str) -> None:
    """Arbitrary raw text (unbalanced quotes, control characters) gives UsageError or works."""
    only_usage_error(recsys, raw)
