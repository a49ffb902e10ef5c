"""Hostile input: whatever arguments %bizml gets, only a plain UsageError escapes.

Every subcommand (``bizml_nb.interfaces.magics.SUBCOMMANDS``, so new ones are covered as they
come) runs at least EXAMPLES distinct argument lists that hypothesis builds from its
own flags, the project's names, numbers at the edges of float, NAME=VALUE pairs,
hostile characters and arbitrary text. One project with two runs (a fixture, made once
per subcommand) serves all of that subcommand's examples.
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from bizml_nb.interfaces.magics import PARSERS, SUBCOMMANDS

if TYPE_CHECKING:
    from collections.abc import Callable

EXAMPLES = 1000
BODY = "bizml_nb.log(a=1)\n"

# Flags of every subcommand (and misspellings), so each parser also sees the others' flags.
OTHER_FLAGS = sorted(
    {flag for make in PARSERS.values() for flag in make().flags() if flag not in ("-h", "--help")}
    | {"--targt", "--tgt", "--Target", "--", "-", "---", "-x", "--=", "--unit=", "-1", "-2e10"}
)
NAMES = [
    "take_rate",
    "ndcg@10",
    "latency_ms",
    "churn",
    "last",
    "base",
    "two-tower v2",
    "higher",
    "lower",
    "ratio",
    "percent",
    "USD",
    "linear",
    "fitted",
    "confusion",
    "formula",
    "history.csv",
    "daily.csv",  # a daily control/treatment table (the fixture writes it)
    "/dev/null",
    "/",
    ".",
    "..",
    "~",
    "mlflow",
    "status",
    "push",
    "pull",
    "http://127.0.0.1:9",  # no server listens there: a push is refused at once
]
NUMBERS = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e999",
    "-1e999",
    "1e-320",
    "-0",
    "0",
    "-0.5",
    "0.5",
    "1",
    "3",
    "2.5e9",
    "-8e8",
    "9" * 40,
    "-" + "9" * 40,
    "1_000",
    "0x10",
    "١٢",
    " 1",
    "+1",
    "1,5",
]
PAIRS = ["a=1", "=", "=1", "a=", "x=nan", "a=1e999", "a==1", "a=1=2", "ndcg@10=0.5", "é=1"]
NASTY = [
    "-h",
    "--help",
    "<script>alert(1)</script>",
    "'",
    '"',
    "\\",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "😀",
    "$HOME",
    "{x}",
    "!ls",
    "%bizml",
    "%%bizml",
    "a b",
    "",
]
TEXT = st.text(max_size=12)


def tokens(subcommand: str) -> list[str]:
    """The fixed words for one subcommand; its own flags (bare and as --flag=VALUE) weigh most."""
    own = []
    if subcommand in PARSERS:
        own = [f for f in PARSERS[subcommand]().flags() if f not in ("-h", "--help")]
    values = ("take_rate", "1", "nan", "", "x y", "http://127.0.0.1:9")
    valued = [f"{flag}={value}" for flag in own for value in values]
    extra = list(SUBCOMMANDS) if subcommand == "help" else []
    return own * 6 + valued + extra + NAMES + NUMBERS + PAIRS + OTHER_FLAGS + NASTY


def lines(subcommand: str) -> st.SearchStrategy[str]:
    """An argument string: up to 7 fixed words and one arbitrary text at a random place,
    shell-quoted (so they arrive as words) or joined raw (so quotes and spaces split them).

    One free text per line rather than per word: hypothesis' time per draw is most of
    this file's run time.
    """

    def join(parts: tuple[list[str], str, int, Callable[[str], str]]) -> str:
        fixed, text, where, quote = parts
        words = [*fixed]
        words.insert(where % (len(words) + 1), text)
        return " ".join(quote(word) for word in words)

    return st.tuples(
        st.lists(st.sampled_from(tokens(subcommand)), max_size=7),
        TEXT,
        st.integers(0, 7),
        st.sampled_from([shlex.quote, str]),
    ).map(join)


def only_usage_error(call: Callable[[], object]) -> None:
    """Run a magic: it may succeed; if it fails, it is a plain UsageError with a message."""
    failure: BaseException | None = None
    try:
        with capture_output():
            call()
    except BaseException as exc:  # the test is about which exceptions escape
        failure = exc
    if failure is not None:
        assert type(failure) is UsageError, f"{type(failure).__name__} escaped: {failure!r}"
        assert str(failure).strip(), "an empty message"


@pytest.fixture
def project_with_runs(recsys: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The quickstart project with a baseline and a better run, so runs, show, compare, plot
    and dashboard have something to work on; no tracking server named by the environment
    (sync may only reach the one the examples name)."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with capture_output():
        for name, flags, ndcg in (("base", "--baseline", 0.40), ("two-tower v2", "", 0.41)):
            result = recsys.run_cell(
                f'%%bizml experiment "{name}" --target take_rate {flags}\n'
                f"bizml_nb.log({{'ndcg@10': {ndcg}, 'latency_ms': 12.0}})\n"
            )
            assert result.success, result.error_in_exec
    # for %bizml observed --csv: four days ending today, as a launch's A/B test would give
    last = datetime.now(UTC).date()
    rows = [f"{last - timedelta(days=3 - i)},0.11{i},0.11{i + 2}" for i in range(4)]
    Path("daily.csv").write_text("date,control,treatment\n" + "\n".join(rows) + "\n")
    return recsys


def argv(line: str) -> tuple[str, ...]:
    """What the magic's parser sees of ``line`` (the line itself when shlex refuses it)."""
    try:
        return tuple(shlex.split(line))
    except ValueError:
        return ("<not splittable>", line)


@pytest.mark.parametrize("subcommand", list(SUBCOMMANDS))
def test_every_subcommand_only_raises_usage_error(project_with_runs: Any, subcommand: str) -> None:
    """At least EXAMPLES distinct argument lists per subcommand raise nothing but UsageError.

    An argument list already tried is not run again (so the few that succeed, which
    for plot, dashboard or roi means drawing a figure or simulating, are run once);
    hypothesis is asked for more examples until EXAMPLES distinct ones have run.
    """
    ip = project_with_runs
    tried: set[tuple[str, ...]] = set()

    def check(rest: str) -> None:
        key = argv(rest)
        if key in tried:
            return
        tried.add(key)
        if subcommand == "experiment":
            only_usage_error(lambda: ip.run_cell_magic("bizml", f"experiment {rest}", BODY))
        else:
            only_usage_error(lambda: ip.run_line_magic("bizml", f"{subcommand} {rest}"))

    for _round in range(5):
        missing = EXAMPLES - len(tried)
        if missing <= 0:
            break
        run = settings(
            max_examples=missing + missing // 20 + 10,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )(given(rest=lines(subcommand))(check))
        run()
    assert len(tried) >= EXAMPLES


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.text(max_size=40))
def test_raw_text_after_bizml_only_raises_usage_error(recsys: Any, raw: str) -> None:
    """Arbitrary raw text (unbalanced quotes, control characters) gives UsageError or works."""
    only_usage_error(lambda: recsys.run_line_magic("bizml", raw))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.text(max_size=40))
def test_raw_text_after_cell_magic_only_raises_usage_error(recsys: Any, raw: str) -> None:
    """Arbitrary raw text on a %%bizml line (the body is valid) gives UsageError or works."""
    only_usage_error(lambda: recsys.run_cell_magic("bizml", raw, BODY))
