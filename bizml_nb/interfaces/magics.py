"""``%bizml`` and ``%%bizml``: thin parsers over the plain-Python API.

Every mistake in a magic's arguments is one plain ``UsageError`` (no traceback)
that names what was wrong; errors raised by the user's own code inside a
``%%bizml experiment`` cell propagate exactly as in a plain cell.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import math
import re
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import Bool, Unicode

from bizml_nb.core.errors import BizmlError, did_you_mean

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pandas as pd

    from bizml_nb.present.cards import Card
    from bizml_nb.projects.experiments import Experiment
    from bizml_nb.projects.project import Project, Projects

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
    "help": "this overview, or `%bizml help SUBCOMMAND` for one subcommand",
}

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


@magics_class
class BizmlMagics(Magics):
    """The ``%bizml`` line magic and ``%%bizml`` cell magic."""

    ledger = Unicode(
        None,
        allow_none=True,
        help="Path of the ledger file; default $BIZML_LEDGER, else PROJECT/.bizml/ledger.sqlite.",
    ).tag(config=True)
    project_dir = Unicode(
        None,
        allow_none=True,
        help="Project folder to use; default the nearest folder upward with a bizml.toml.",
    ).tag(config=True)
    cards = Bool(True, help="Show an experiment card after each %%bizml experiment cell.").tag(
        config=True
    )

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell, **kwargs)
        self._projects: Projects | None = None  # created on first use: keeps %load_ext fast
        self._last: tuple[Project, str] | None = None

    # -- entry point

    @no_var_expand
    @line_cell_magic
    def bizml(self, line: str, cell: str | None = None) -> Any:
        """Business metrics for ML experiments. `%bizml help` lists the subcommands."""
        __tracebackhide__ = True
        tokens = _split(line)
        if not tokens:
            if cell is not None:
                raise UsageError("%%bizml needs a subcommand: %%bizml experiment NAME --target KPI")
            print(HELP)
            return None
        command, args = tokens[0], tokens[1:]
        if command not in SUBCOMMANDS:
            raise UsageError(
                f"unknown subcommand {command!r}{did_you_mean(command, SUBCOMMANDS)}; "
                "`%bizml help` lists them"
            )
        if cell is not None and command != "experiment":
            raise UsageError(
                f"%%bizml {command} is not a cell magic; write it on one line as %bizml {command}"
            )
        if command == "experiment":
            if cell is None:
                raise UsageError(
                    "experiment is a cell magic: write %%bizml experiment NAME --target KPI "
                    "at the top of the cell, with the experiment's code below it"
                )
            try:
                return self._experiment(args, cell)
            except _HelpShown:
                return None
        handler: Callable[[list[str]], Any] = getattr(self, f"_{command}")
        try:
            return handler(args)
        except _HelpShown:
            return None
        except BizmlError as exc:
            raise UsageError(_worded(exc, command)) from None
        except OSError as exc:
            raise UsageError(f"{command}: {exc}") from None

    # -- declaring

    def _help(self, args: list[str]) -> None:
        if not args:
            print(HELP)
            return
        name = args[0]
        if name not in SUBCOMMANDS:
            raise UsageError(
                f"no subcommand {name!r}{did_you_mean(name, SUBCOMMANDS)}; `%bizml help` lists them"
            )
        print(PARSERS[name]().format_help() if name in PARSERS else SUBCOMMANDS[name])

    def _init(self, args: list[str]) -> None:
        ns = _parse("init", args)
        project = self._project()
        outcome = project.init(
            ns.project,
            currency=ns.currency,
            min_annual_value=ns.min_annual_value,
            compute_cost_per_hour=ns.compute_cost_per_hour,
            eng_cost_per_hour=ns.eng_cost_per_hour,
        )
        registry = project.registry
        print(
            f"{outcome} {_shown_path(project.registry_path)}: project {registry.name!r}, "
            f"currency {registry.currency}"
        )

    def _metric(self, args: list[str]) -> None:
        from bizml_nb.core.registry import METRIC_KEYS, BusinessMetric

        ns = _parse("metric", args)
        project = self._project()
        metric = BusinessMetric(ns.name, **{key: getattr(ns, key) for key in METRIC_KEYS})
        outcome = project.declare(metric)
        print(f"{outcome} business metric {metric.name!r} in {_shown_path(project.registry_path)}")

    def _link(self, args: list[str]) -> None:
        ns = _parse("link", args)
        project = self._project()
        before = {(x.ml_metric, x.business_metric): x for x in project.registry.links}
        link = project.link(
            ns.ml_metric,
            ns.business_metric,
            elasticity=ns.elasticity,
            interval=tuple(ns.interval) if ns.interval else None,
            source=ns.source,
            ml_baseline=ns.ml_baseline,
            fit=ns.fit,
            value_matrix=ns.value_matrix,
            cases_per_year=ns.cases_per_year,
            expr=ns.expr,
        )
        old = before.get((link.ml_metric, link.business_metric))
        outcome = "created" if old is None else ("unchanged" if old == link else "updated")
        print(f"{outcome} {link.kind} link {link.label} in {_shown_path(project.registry_path)}")
        if link.kind == "fitted":
            from bizml_nb.present.charts import audit

            print(audit(project, link.ml_metric, link.business_metric).text())

    def _tree(self, args: list[str]) -> Any:
        from bizml_nb.present.views import tree

        _parse("tree", args)
        print(tree(self._project()))

    def _baseline(self, args: list[str]) -> None:
        ns = _parse("baseline", args)
        run = self._project().set_baseline(ns.run)
        print(f"{run.name!r} is now the baseline for {run.target}")

    def _compare(self, args: list[str]) -> Any:
        from bizml_nb.present.views import compare

        ns = _parse("compare", args)
        return compare(self._project(), ns.target, ns.top)

    def _plot(self, args: list[str]) -> Any:
        from bizml_nb.present.charts import impact_plot

        ns = _parse("plot", args)
        return impact_plot(self._project(), ns.target, ns.ml)

    def _audit(self, args: list[str]) -> None:
        from bizml_nb.present.charts import audit

        ns = _parse("audit", args)
        result = audit(self._project(), ns.ml_metric, ns.kpi)
        _display(result)
        figure = result.figure()
        if figure is not None:
            _display(figure)

    def _dashboard(self, args: list[str]) -> Any:
        from bizml_nb.present.widgets import Dashboard

        ns = _parse("dashboard", args)
        return Dashboard(self._project(), ns.target)

    def _roi(self, args: list[str]) -> Any:
        from bizml_nb.present.roi_card import INPUT_WORDS, roi

        ns = _parse("roi", args)
        inputs = {
            name: getattr(ns, name)
            for name in INPUT_WORDS
            if name != "annual_benefit" and getattr(ns, name) is not None
        }
        return roi(
            self._project(), run=ns.run, annual_benefit=ns.annual_benefit, draws=ns.draws, **inputs
        )

    def _monitor(self, args: list[str]) -> Any:
        from bizml_nb.monitor import monitor_frames

        ns = _parse("monitor", args)
        frames = [self._user_frame(name) for name in (ns.reference, ns.analysis)]
        return monitor_frames(
            frames[0],
            frames[1],
            proba=ns.proba,
            prediction=ns.pred,
            label=ns.label,
            chunk_size=ns.chunk_size,
            project=self._project() if ns.target else None,
            kpi=ns.target,
        )

    def _user_frame(self, name: str) -> Any:
        """A DataFrame (or a saved Reference) named in the notebook; never evaluated as code."""
        namespace = self.shell.user_ns if self.shell is not None else {}
        if name not in namespace:
            raise UsageError(
                f"%bizml monitor: no variable {name!r} in the notebook{did_you_mean(name, namespace)}"
                "; pass the names of DataFrames"
            )
        return namespace[name]

    def _capacity(self, args: list[str]) -> Any:
        from bizml_nb.finance.capacity import capacity

        ns = _parse("capacity", args)
        return capacity(
            ns.params,
            ns.dtype,
            rps=ns.rps,
            latency_ms=ns.latency_ms,
            batch_size=ns.batch_size,
            hardware=None if ns.hardware in (None, "any") else ns.hardware,
        )

    def _deployed(self, args: list[str]) -> None:
        ns = _parse("deployed", args)
        run = self._project().mark_deployed(ns.run, ns.on)
        print(f"{run.name!r} went live on {run.deployed_on}")

    def _maturity(self, args: list[str]) -> Any:
        from bizml_nb.present.widgets import MaturityQuiz

        _parse("maturity", args)
        project = self._project()
        history = project.deployments() if project.ledger.path.exists() else None
        return MaturityQuiz(history)

    def _metrics(self, args: list[str]) -> Any:
        from bizml_nb.present.cards import RegistryView

        _parse("metrics", args)
        return RegistryView(self._project().registry)

    # -- runs

    def _runs(self, args: list[str]) -> pd.DataFrame:
        ns = _parse("runs", args)
        from bizml_nb.present.views import runs_table

        return runs_table(self._project(), ns.target)

    def _show(self, args: list[str]) -> Card:
        ns = _parse("show", args)
        from bizml_nb.present.cards import run_card

        return run_card(self._project(), ns.run)

    def _log(self, args: list[str]) -> None:
        from bizml_nb.projects.experiments import ACTIVE, clean_metrics

        ns = _parse("log", args)
        metrics = clean_metrics(_pairs(ns.metrics, "log", "NAME=VALUE", number=True), {})
        active = ACTIVE.get()
        if active is not None:
            active.log(metrics)
            return
        if self._last is None:
            raise UsageError(
                "no experiment is running and no run was recorded in this session: use "
                "%bizml log inside a %%bizml experiment cell, or after one"
            )
        project, run_id = self._last
        run = project.ledger.add_metrics(run_id, metrics)
        print(f"added {', '.join(metrics)} to run {run.name!r}")
        if self.cards:
            from bizml_nb.present.cards import run_card

            _display(run_card(project, run))

    # -- the experiment cell

    def _experiment(self, args: list[str], cell: str) -> None:
        from bizml_nb.projects.experiments import CELL_ID, is_metric_mapping

        __tracebackhide__ = True
        try:
            ns = _parse("experiment", args)
            params = _pairs(ns.param or [], "experiment --param", "NAME=VALUE")
            project = self._project()
            experiment = project.experiment(
                ns.name,
                target=ns.target,
                hypothesis=ns.hypothesis,
                expect=ns.expect,
                tags=ns.tag or (),
                baseline=ns.baseline,
                params=params,
                eng_hours=ns.eng_hours,
            )
            experiment.cell_id = CELL_ID.get()
            code = self._compile(cell)
        except BizmlError as exc:
            raise UsageError(_worded(exc, "experiment")) from None
        try:
            with experiment:
                value = code.run(self.shell)
                if not experiment.metrics and is_metric_mapping(value):
                    experiment.log(value)
        except BizmlError as exc:  # a bad logged value, or the ledger refused the run
            self._show_card(project, experiment)
            raise UsageError(str(exc)) from None  # raised by Python code: its own words
        except BaseException:
            self._show_card(project, experiment)
            raise
        self._show_card(project, experiment)

    def _compile(self, cell: str) -> _CellCode:
        shell = self.shell
        assert shell is not None, "the magics are registered on a shell"
        transformed = shell.transform_cell(cell)  # type: ignore[no-untyped-call]
        # the running cell's number: IPython has already advanced the counter for the next one
        number = max(shell.execution_count - 1, 0)
        filename = shell.compile.cache(transformed, number, raw_code=cell)
        try:
            tree = ast.parse(transformed, filename=filename)
        except SyntaxError as exc:
            raise UsageError(
                f"the experiment cell has a syntax error (line {exc.lineno}: {exc.msg}); "
                "nothing was run or recorded"
            ) from None
        return _CellCode(tree, filename, quiet=_ends_with_semicolon(cell))

    def _show_card(self, project: Project, experiment: Experiment) -> None:
        if experiment.record is None:
            return
        self._last = (project, experiment.record.id)
        if not self.cards:
            return
        try:
            from bizml_nb.present.cards import run_card

            card = run_card(project, experiment.record)
        except BizmlError as exc:
            print(f"(the run was recorded, but its card cannot be shown: {exc})", file=sys.stderr)
            return
        _display(card)

    # -- configuration

    def _project(self) -> Project:
        if self._projects is None:
            from bizml_nb.projects.project import Projects

            self._projects = Projects()
        path = Path(self.project_dir) if self.project_dir else None
        return self._projects.get(path, ledger=self.ledger or None)

    def pre_run_cell(self, info: Any) -> None:
        """Remember the id of the cell about to run (Jupyter sends it with each request)."""
        from bizml_nb.projects.experiments import CELL_ID

        CELL_ID.set(getattr(info, "cell_id", None))


class _CellCode:
    """The parsed body of an experiment cell, run like a plain cell."""

    def __init__(self, tree: ast.Module, filename: str, *, quiet: bool) -> None:
        self.filename = filename
        self.quiet = quiet
        body = list(tree.body)
        self.last: ast.expr | None = None
        if body and isinstance(body[-1], ast.Expr):
            self.last = body[-1].value
            body.pop()
        self.body = ast.Module(body=body, type_ignores=[])

    def run(self, shell: Any) -> Any:
        """Execute in the user namespace; display and return the last expression's value."""
        __tracebackhide__ = True
        namespace, local = shell.user_global_ns, shell.user_ns
        exec(shell.compile(self.body, self.filename, "exec"), namespace, local)  # noqa: S102
        if self.last is None:
            return None
        expression = ast.Expression(body=self.last)
        value = eval(shell.compile(expression, self.filename, "eval"), namespace, local)  # noqa: S307
        if value is not None and not self.quiet:
            shell.displayhook(value)
        return value


# --------------------------------------------------------------------------- parsing


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
        raise _HelpShown

    def flags(self) -> list[str]:
        return [s for action in self._actions for s in action.option_strings]


class _HelpShown(Exception):
    """`-h` was given: argparse printed the help, nothing else to do."""


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _parser(name: str, description: str) -> _ArgumentParser:
    return _ArgumentParser(prog=f"%bizml {name}", description=description, allow_abbrev=False)


def _init_parser() -> _ArgumentParser:
    p = _parser("init", SUBCOMMANDS["init"])
    p.add_argument("--project", help="project name (default: the folder's name)")
    p.add_argument("--currency", help="currency code for money, e.g. USD (default USD)")
    p.add_argument(
        "--min-annual-value",
        type=_finite,
        help="the yearly value a run must clear to be material (default 0)",
    )
    p.add_argument(
        "--compute-cost-per-hour", type=_finite, help="cost of an hour of experiment compute"
    )
    p.add_argument("--eng-cost-per-hour", type=_finite, help="cost of an engineering hour")
    return p


def _metric_parser() -> _ArgumentParser:
    from bizml_nb.core.registry import BusinessMetric
    from bizml_nb.core.registry.fields import flag, specs

    p = _parser("metric", SUBCOMMANDS["metric"])
    p.add_argument("name", help="the KPI's name, e.g. take_rate")
    for key, spec in specs(BusinessMetric).items():
        p.add_argument(
            flag(key),
            type=_finite if spec.kind == "number" else str,
            required=spec.required,
            choices=spec.choices or None,
            help=spec.help.replace("%", "%%"),
        )
    return p


def _link_parser() -> _ArgumentParser:
    p = _parser("link", SUBCOMMANDS["link"])
    p.add_argument("ml_metric", help="the ML metric, e.g. ndcg@10")
    p.add_argument("business_metric", help="the KPI it moves, e.g. take_rate")
    p.add_argument(
        "--elasticity",
        type=_finite,
        help="linear link: change of the KPI (in its units) per +1 of the ML metric",
    )
    p.add_argument(
        "--interval",
        type=_finite,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="90%% interval of the elasticity",
    )
    p.add_argument(
        "--fit",
        metavar="HISTORY.csv",
        help="fitted link: past experiments with columns ml_delta, business_delta (weight, label)",
    )
    p.add_argument(
        "--value-matrix",
        type=_finite,
        nargs=4,
        metavar=("TN", "FP", "FN", "TP"),
        help="confusion link (ML metric 'confusion'): value of one case of each outcome",
    )
    p.add_argument("--cases-per-year", type=_finite, help="confusion link: cases scored a year")
    p.add_argument(
        "--expr", help="formula link (ML metric 'formula'): e.g. 'quality_plays / shown'"
    )
    p.add_argument("--source", help="where the elasticity comes from, e.g. 'A/B tests 2026 Q1'")
    p.add_argument(
        "--ml-baseline",
        type=_finite,
        help="the ML metric in production (used without a baseline run)",
    )
    return p


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
    p.add_argument("--data-cost", type=_finite, help="one-off data and labelling cost")
    p.add_argument("--eng-months", type=_finite, help="engineering person-months (default 6)")
    p.add_argument("--monthly-rate", type=_finite, help="cost of a person-month (default 15000)")
    p.add_argument("--infra-setup", type=_finite, help="one-off infrastructure set-up cost")
    p.add_argument("--cloud-per-year", type=_finite, help="cloud bill per year once live")
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
    p.add_argument("--discount", type=_finite, help="yearly discount rate (default 0.10)")
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


def _audit_parser() -> _ArgumentParser:
    p = _parser("audit", SUBCOMMANDS["audit"])
    p.add_argument("ml_metric", help="the ML metric (or KPI) the link starts at")
    p.add_argument("kpi", help="the KPI it moves")
    return p


def _dashboard_parser() -> _ArgumentParser:
    p = _parser("dashboard", SUBCOMMANDS["dashboard"])
    p.add_argument("--target", help="the KPI to show first")
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
}


@functools.cache
def _built(name: str) -> _ArgumentParser:
    """The parser of a subcommand, built once (building costs more than parsing)."""
    return PARSERS[name]()


def _parse(name: str, args: Sequence[str]) -> argparse.Namespace:
    parser = _built(name)
    ns, extra = parser.parse_known_args(list(args))  # -h raises _HelpShown after printing
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


def _worded(exc: BizmlError, command: str) -> str:
    """The message of ``exc`` as the magic shows it: a keyword it names as its flag.

    ``value_per_unit`` becomes ``--value-per-unit`` when that is a flag of ``command``
    (a name that is not one, such as a fitted link's ``r2``, stays as it is).
    """
    flags = set(_built(command).flags()) if command in PARSERS else set()

    def flag(keyword: str) -> str:
        option = "--" + keyword.replace("_", "-")
        return option if option in flags else keyword

    return exc.worded(flag)


def _pairs(items: Sequence[str], where: str, form: str, *, number: bool = False) -> dict[str, Any]:
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


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%bizml: cannot read the arguments ({exc}); check the quotes") from None


def _ends_with_semicolon(cell: str) -> bool:
    from IPython.core.displayhook import DisplayHook

    try:
        return bool(DisplayHook.semicolon_at_end_of_expression(cell))  # type: ignore[no-untyped-call]
    except Exception:
        return False


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)  # type: ignore[no-untyped-call]


def _shown_path(path: Path) -> str:
    """A path relative to the current folder when below it, so notebook output is portable."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- loading


def load(ipython: Any) -> None:
    """Register the magics, remember each cell's id, and make ``bizml_nb`` a user name."""
    magics = BizmlMagics(ipython)
    ipython.register_magics(magics)
    ipython.events.register("pre_run_cell", magics.pre_run_cell)
    # so `bizml_nb.log(...)` works in the next cell without an import, as in the quickstart
    ipython.user_ns.setdefault("bizml_nb", sys.modules["bizml_nb"])


def unload(ipython: Any) -> None:
    """Remove the magics and the cell hook (IPython has no unregister call)."""
    manager = ipython.magics_manager
    for kind in ("line", "cell"):
        manager.magics[kind].pop("bizml", None)
    instance = manager.registry.pop("BizmlMagics", None)
    if instance is not None:
        with contextlib.suppress(ValueError):
            ipython.events.unregister("pre_run_cell", instance.pre_run_cell)
        if instance._projects is not None:
            instance._projects.close()
