"""The parsers of ``%bizml``'s subcommands: argparse that raises one plain UsageError.

The registry's subcommands (``init``, ``metric``, ``link``, ``audit``) are parsed in
:mod:`~bizml_nb.interfaces.magics.parsers_registry`, the parser class and
:data:`SUBCOMMANDS` are in :mod:`~bizml_nb.interfaces.magics.parsers_base`; every
other parser is written here, and :data:`PARSERS` and :func:`parse` hold them all.
:func:`worded` shows a core error with the keyword it names written as the
subcommand's flag.
"""

from __future__ import annotations

import functools
import shlex
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from bizml_nb.core.errors import BizmlError, did_you_mean
from bizml_nb.interfaces.magics.parsers_base import (
    SUBCOMMANDS,
    HelpShown,
    _ArgumentParser,
    _finite,
    _matrix_entry,
    _parser,
)
from bizml_nb.interfaces.magics.parsers_registry import (
    _audit_parser,
    _init_parser,
    _link_parser,
    _metric_parser,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

__all__ = [
    "HELP",
    "PARSERS",
    "SUBCOMMANDS",
    "HelpShown",
    "_ArgumentParser",
    "_finite",
    "_matrix_entry",
    "_parser",
    "built",
    "pairs",
    "parse",
    "split_line",
    "worded",
]

HELP = (
    """\
%bizml: tie each experiment to the business metric it is meant to move.

  %bizml init --project NAME --currency USD
  %bizml metric take_rate --unit ratio --direction higher --baseline 0.112 --target 0.12 \\
                --value-per-unit 2.5e9 --owner "growth PM"
  %bizml link ndcg@10 take_rate --elasticity 0.35 --interval 0.20 0.50 --source "A/B tests"
  %bizml metrics

  %%bizml experiment "two-tower v2" --target take_rate --hypothesis "..." --tag retrieval
  bizml_nb.log({"ndcg@10": 0.4125}, latency_ms=38.0)

  %bizml runs --target take_rate
  %bizml show last
  %bizml log precision=0.91 recall=0.84

Subcommands:
"""
    + "\n".join(f"  {name:<11} {text}" for name, text in SUBCOMMANDS.items())
    + """

Configuration: %config BizmlMagics.ledger = "path/to/ledger.sqlite" (or $BIZML_LEDGER);
%config BizmlMagics.project_dir = "path/to/project". Arguments are taken literally:
{braces} and $names are not expanded.
"""
)


def _experiment_parser() -> _ArgumentParser:
    p = _parser("experiment", SUBCOMMANDS["experiment"])
    p.add_argument("name", help="a short name for what is being tried")
    p.add_argument("--target", required=True, help="the KPI this experiment is meant to move")
    p.add_argument("--hypothesis", help="why it should move the KPI")
    p.add_argument("--expect", help="the expected effect, e.g. '+0.3pp'")
    p.add_argument("--tag", action="append", help="a tag (repeatable)")
    p.add_argument(
        "--baseline", action="store_true", help="this run is the KPI's baseline to compare against"
    )
    p.add_argument(
        "--param", action="append", metavar="NAME=VALUE", help="a parameter (repeatable)"
    )
    p.add_argument("--eng-hours", type=_finite, help="engineering hours the experiment took")
    return p


def _runs_parser() -> _ArgumentParser:
    p = _parser("runs", SUBCOMMANDS["runs"])
    p.add_argument("--target", help="only runs against this KPI")
    return p


def _show_parser() -> _ArgumentParser:
    p = _parser("show", SUBCOMMANDS["show"])
    p.add_argument("run", help="a run id, a unique id prefix, 'last', or a run name")
    return p


def _log_parser() -> _ArgumentParser:
    p = _parser("log", SUBCOMMANDS["log"])
    p.add_argument("metrics", nargs="+", metavar="NAME=VALUE", help="metrics, e.g. recall=0.84")
    return p


def _metrics_parser() -> _ArgumentParser:
    return _parser("metrics", SUBCOMMANDS["metrics"])


def _roi_parser() -> _ArgumentParser:
    p = _parser("roi", SUBCOMMANDS["roi"])
    benefit = p.add_mutually_exclusive_group(required=True)
    benefit.add_argument("--run", help="use this run's predicted yearly value as the benefit")
    benefit.add_argument("--annual-benefit", type=_finite, help="the benefit per year, in money")
    p.add_argument(
        "--benefit-from",
        choices=("predicted", "observed"),
        default="predicted",
        help="with --run: its predicted yearly value (default) or its realised one, measured "
        "by %%bizml observed",
    )
    # defaults: bizml_nb.finance.roi.Investment's, illustrative (a test checks these texts)
    p.add_argument(
        "--data-cost", type=_finite, help="one-off data and labelling cost (default 20000)"
    )
    p.add_argument("--eng-months", type=_finite, help="engineering person-months (default 8)")
    p.add_argument("--monthly-rate", type=_finite, help="cost of a person-month (default 15000)")
    p.add_argument(
        "--infra-setup", type=_finite, help="one-off infrastructure set-up (default 10000)"
    )
    p.add_argument(
        "--cloud-per-year", type=_finite, help="cloud bill per year once live (default 30000)"
    )
    p.add_argument(
        "--maintenance-share",
        type=_finite,
        help="yearly maintenance as a share of engineering (default 0.2)",
    )
    p.add_argument(
        "--deploy-days",
        type=_finite,
        help="days until the model is live (default: the Algorithmia 2020 survey prior)",
    )
    p.add_argument("--ramp-months", type=_finite, help="months to full benefit (default 3)")
    p.add_argument("--years", type=int, help="horizon in years (default 5)")
    p.add_argument("--discount", type=_finite, help="yearly discount rate (default 0.10: 10%%)")
    p.add_argument(
        "--allow-high-discount",
        action="store_true",
        help="take a discount rate above 1 (100%% a year); without it, 5 asks whether 0.05 was meant",
    )
    p.add_argument("--draws", type=int, default=100_000, help="Monte Carlo draws (default 100000)")
    return p


def _monitor_parser() -> _ArgumentParser:
    p = _parser("monitor", SUBCOMMANDS["monitor"])
    p.add_argument(
        "reference", help="a labelled reference DataFrame (or a saved Reference) by name"
    )
    p.add_argument("analysis", help="the DataFrame of production data to check, by name")
    p.add_argument("--proba", required=True, help="column with the probability of class 1")
    p.add_argument("--pred", help="column with the predicted class (default: proba >= 0.5)")
    p.add_argument("--label", default="label", help="column with the true class (default: label)")
    p.add_argument("--target", help="the KPI whose confusion link prices each chunk")
    p.add_argument("--chunk-size", type=int, help="rows per chunk (default: 10 chunks)")
    return p


def _capacity_parser() -> _ArgumentParser:
    p = _parser("capacity", SUBCOMMANDS["capacity"])
    p.add_argument("--params", type=_finite, required=True, help="parameter count, e.g. 1e8")
    p.add_argument("--dtype", default="fp32", help="fp32, fp16, bf16, int8 or int4 (default fp32)")
    p.add_argument("--rps", type=_finite, required=True, help="requests per second at peak")
    p.add_argument("--latency-ms", type=_finite, required=True, help="time to serve one batch")
    p.add_argument("--batch-size", type=int, default=1, help="requests served together (default 1)")
    p.add_argument(
        "--hardware", choices=["any", "cpu", "gpu"], default="any", help="instance kind to consider"
    )
    return p


def _deployed_parser() -> _ArgumentParser:
    p = _parser("deployed", SUBCOMMANDS["deployed"])
    p.add_argument("run", help="a run id, a unique id prefix, 'last', or a run name")
    p.add_argument("--on", help="the date it went live, YYYY-MM-DD (default: today)")
    return p


def _maturity_parser() -> _ArgumentParser:
    return _parser("maturity", SUBCOMMANDS["maturity"])


def _tree_parser() -> _ArgumentParser:
    return _parser("tree", SUBCOMMANDS["tree"])


def _baseline_parser() -> _ArgumentParser:
    p = _parser("baseline", SUBCOMMANDS["baseline"])
    p.add_argument("run", help="a run id, a unique id prefix, 'last', or a run name")
    return p


def _compare_parser() -> _ArgumentParser:
    p = _parser("compare", SUBCOMMANDS["compare"])
    p.add_argument("--target", help="only runs against this KPI")
    p.add_argument("--top", type=int, help="only the best N")
    return p


def _plot_parser() -> _ArgumentParser:
    p = _parser("plot", SUBCOMMANDS["plot"])
    p.add_argument("--target", help="the KPI (default: the first declared)")
    p.add_argument("--ml", help="the ML metric on the x axis (default: the KPI's first link)")
    return p


def _dashboard_parser() -> _ArgumentParser:
    p = _parser("dashboard", SUBCOMMANDS["dashboard"])
    p.add_argument("--target", help="the KPI to show first")
    return p


def _threshold_parser() -> _ArgumentParser:
    p = _parser("threshold", SUBCOMMANDS["threshold"])
    p.add_argument("run", help="a run id, a unique id prefix, 'last', or a run name")
    p.add_argument(
        "--link", help="the KPI of the confusion link that prices it (default: its target)"
    )
    return p


def _predictions_parser() -> _ArgumentParser:
    p = _parser("predictions", SUBCOMMANDS["predictions"])
    p.add_argument("y_true", help="the notebook variable holding the true classes (0, 1)")
    p.add_argument("y_pred", help="the variable holding the decisions (0, 1)")
    p.add_argument("--proba", help="the variable holding the probability of class 1")
    p.add_argument("--amount", help="the variable holding each example's amount")
    p.add_argument("--ids", help="the variable holding each example's id")
    return p


def _sync_parser() -> _ArgumentParser:
    p = _parser("sync", SUBCOMMANDS["sync"])
    p.add_argument("store", metavar="mlflow|status", help="push or pull (mlflow), or the status")
    p.add_argument("action", nargs="?", metavar="push|pull", help="mlflow: push (default) or pull")
    p.add_argument(
        "--tracking-uri", metavar="URI", help="default: $MLFLOW_TRACKING_URI, then [sync]"
    )
    p.add_argument(
        "--experiment", metavar="NAME", help="the MLflow experiment (default: the project's)"
    )
    auto = p.add_mutually_exclusive_group()
    auto.add_argument(
        "--auto", action="store_true", help="push each experiment cell's run, in the background"
    )
    auto.add_argument("--off", action="store_true", help="stop pushing in the background")
    return p


PARSERS: dict[str, Callable[[], _ArgumentParser]] = {
    "init": _init_parser,
    "metric": _metric_parser,
    "link": _link_parser,
    "metrics": _metrics_parser,
    "tree": _tree_parser,
    "roi": _roi_parser,
    "deployed": _deployed_parser,
    "capacity": _capacity_parser,
    "monitor": _monitor_parser,
    "maturity": _maturity_parser,
    "baseline": _baseline_parser,
    "compare": _compare_parser,
    "plot": _plot_parser,
    "audit": _audit_parser,
    "dashboard": _dashboard_parser,
    "experiment": _experiment_parser,
    "runs": _runs_parser,
    "show": _show_parser,
    "log": _log_parser,
    "threshold": _threshold_parser,
    "predictions": _predictions_parser,
    "sync": _sync_parser,
}


@functools.cache
def built(name: str) -> _ArgumentParser:
    """The parser of a subcommand, built once (building costs more than parsing)."""
    return PARSERS[name]()


def parse(name: str, args: Sequence[str]) -> argparse.Namespace:
    parser = built(name)
    ns, extra = parser.parse_known_args(list(args))  # -h raises HelpShown after printing
    if extra:
        unknown = extra[0]
        if unknown.startswith("-"):
            flag = unknown.split("=", 1)[0]
            raise UsageError(
                f"%bizml {name}: unknown flag {flag!r}{did_you_mean(flag, parser.flags())}; "
                f"`%bizml help {name}` lists the flags"
            )
        raise UsageError(
            f"%bizml {name}: unexpected argument {unknown!r}; put names with spaces in quotes"
        )
    return ns


def worded(exc: BizmlError, command: str) -> str:
    """The message of ``exc`` as the magic shows it: a keyword it names as its flag.

    ``value_per_unit`` becomes ``--value-per-unit`` when that is a flag of ``command``
    (a name that is not one, such as a fitted link's ``r2``, stays as it is).
    """
    from bizml_nb.core.registry.fields import flag

    flags = set(built(command).flags()) if command in PARSERS else set()

    def name(keyword: str) -> str:
        return flag(keyword) if flag(keyword) in flags else keyword

    return exc.worded(name)


def pairs(items: Sequence[str], where: str, form: str, *, number: bool = False) -> dict[str, Any]:
    pairs: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.rpartition("=")
        if not sep or not key or not text:
            raise UsageError(f"%bizml {where}: {item!r} is not {form}, e.g. recall=0.84")
        if number:
            try:
                pairs[key] = float(text)
            except ValueError:
                raise UsageError(f"%bizml {where}: {item!r}: {text!r} is not a number") from None
        else:
            pairs[key] = text
    return pairs


def split_line(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%bizml: cannot read the arguments ({exc}); check the quotes") from None
