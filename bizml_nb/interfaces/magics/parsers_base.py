"""What every parser of ``%bizml`` is built from: argparse that raises one plain UsageError.

:data:`SUBCOMMANDS` names each subcommand with its one-line description; the
parsers themselves are in :mod:`~bizml_nb.interfaces.magics.parsers` and
:mod:`~bizml_nb.interfaces.magics.parsers_registry`.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.error import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

SUBCOMMANDS: dict[str, str] = {
    "init": "create bizml.toml here (or update its project name and currency)",
    "metric": "declare a business metric (KPI): unit, direction, baseline, target, value",
    "link": "declare how an ML metric moves a KPI (elasticity with an interval)",
    "metrics": "show the KPIs and links of this project",
    "tree": "draw the metric tree: links into each KPI, KPIs it feeds, the best run",
    "experiment": "(cell magic) run the cell as an experiment against a KPI and show its card",
    "log": "log NAME=VALUE metrics to the running experiment, or add them to the last run",
    "runs": "list recorded runs, with their predicted value per year",
    "show": "show the card of a run (by id, id prefix, 'last' or name)",
    "baseline": "make a run the baseline its KPI's other runs are compared with",
    "compare": "leaderboard of runs by yearly value, with ranks by ML metric beside",
    "plot": "chart of ML change against predicted business change, with intervals",
    "audit": "the evidence behind a link: fit, interval, grade, influential points",
    "dashboard": "one panel: KPI dropdown, leaderboard, plot and the selected run's card",
    "roi": "NPV, ROI, payback and P(NPV > 0) of deploying a run (or a given benefit)",
    "maturity": "ML adoption maturity questionnaire, with your time to deploy vs the survey's",
    "deployed": "record that a run's model went live (for your own time to deploy)",
    "capacity": "memory, replicas, cheapest instance and yearly cost of serving a model",
    "monitor": "drift and label-free performance of a deployed model, priced in money",
    "threshold": "the decision threshold worth the most per year, from a run's predictions",
    "predictions": "keep the per-example predictions of the running experiment (array names)",
    "sync": "push runs to an MLflow tracking server (--auto: after each experiment cell)",
    "observed": "record what a run's model really did to its KPI (an A/B test, a launch)",
    "calibration": "predicted vs realised per KPI: coverage of the 90% ranges, the haircut",
    "impact": "realised impact of launched runs, to date and per year, with shrinkage",
    "help": "this overview, or `%bizml help SUBCOMMAND` for one subcommand",
}


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises UsageError, with "did you mean" for unknown flags.

    Negative numbers in scientific notation (``-2e10``) are values, not flags.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        ns, extra = super().parse_known_args(args, namespace)
        for action in self._actions:
            # argparse (3.11) gives a one-value positional an empty list for a "--" after "--"
            positional = action.nargs is None and not action.option_strings
            if positional and isinstance(getattr(ns, action.dest, None), list):
                self.error(
                    f"{action.dest.upper()} is missing (a lone '--' is not a name); "
                    f"`{self.prog.replace('%bizml ', '%bizml help ')}` shows the arguments"
                )
        return ns, extra

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            print(message, file=sys.stderr)
        raise HelpShown

    def flags(self) -> list[str]:
        return [s for action in self._actions for s in action.option_strings]


class HelpShown(Exception):
    """`-h` was given: argparse printed the help, nothing else to do."""


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _matrix_entry(text: str) -> float | str:
    """A value-matrix entry: a number, or a formula over the amount column (``-amount``)."""
    try:
        return _finite(text)
    except argparse.ArgumentTypeError:
        if re.search(r"[A-Za-z_]", text):
            return text
        raise


def _parser(name: str, description: str) -> _ArgumentParser:
    return _ArgumentParser(prog=f"%bizml {name}", description=description, allow_abbrev=False)
