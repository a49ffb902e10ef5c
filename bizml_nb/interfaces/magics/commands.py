"""What each line subcommand of ``%bizml`` does: parse its arguments, call the API, print.

Each command is a function of the magics instance (for its project and its last run)
and the subcommand's arguments; none holds logic a Python user could not call.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from bizml_nb.core.errors import did_you_mean
from bizml_nb.interfaces.magics.parsers import HELP, PARSERS, SUBCOMMANDS, pairs, parse
from bizml_nb.interfaces.magics.realised import calibration, impact, observed
from bizml_nb.interfaces.magics.sync import sync

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from bizml_nb.interfaces.magics.magic import BizmlMagics
    from bizml_nb.present.cards import Card


def _help(magics: BizmlMagics, args: list[str]) -> None:
    if not args:
        print(HELP)
        return
    name = args[0]
    if name not in SUBCOMMANDS:
        raise UsageError(
            f"no subcommand {name!r}{did_you_mean(name, SUBCOMMANDS)}; `%bizml help` lists them"
        )
    print(PARSERS[name]().format_help() if name in PARSERS else SUBCOMMANDS[name])


def _init(magics: BizmlMagics, args: list[str]) -> None:
    ns = parse("init", args)
    project = magics._project()
    outcome = project.init(
        ns.project,
        currency=ns.currency,
        min_annual_value=ns.min_annual_value,
        compute_cost_per_hour=ns.compute_cost_per_hour,
        eng_cost_per_hour=ns.eng_cost_per_hour,
        calibrate=None if ns.calibrate is None else ns.calibrate == "on",
    )
    registry = project.registry
    print(
        f"{outcome} {shown_path(project.registry_path)}: project {registry.name!r}, "
        f"currency {registry.currency}"
        + ("" if ns.calibrate is None else f", calibration {ns.calibrate}")
    )


def _metric(magics: BizmlMagics, args: list[str]) -> None:
    from bizml_nb.core.registry import METRIC_KEYS, BusinessMetric

    ns = parse("metric", args)
    project = magics._project()
    metric = BusinessMetric(ns.name, **{key: getattr(ns, key) for key in METRIC_KEYS})
    outcome = project.declare(metric)
    print(f"{outcome} business metric {metric.name!r} in {shown_path(project.registry_path)}")


def _link(magics: BizmlMagics, args: list[str]) -> None:
    from bizml_nb.core.registry.links import LINK_ARGUMENTS

    ns = parse("link", args)
    project = magics._project()
    before = {(x.ml_metric, x.business_metric): x for x in project.registry.links}
    link = project.link(
        ns.ml_metric, ns.business_metric, **{key: getattr(ns, key) for key in LINK_ARGUMENTS}
    )
    old = before.get((link.ml_metric, link.business_metric))
    outcome = "created" if old is None else ("unchanged" if old == link else "updated")
    print(f"{outcome} {link.kind} link {link.label} in {shown_path(project.registry_path)}")
    if link.kind == "fitted":
        from bizml_nb.present.charts import audit

        print(audit(project, link.ml_metric, link.business_metric).text())


def _tree(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.present.views import tree

    parse("tree", args)
    print(tree(magics._project()))


def _baseline(magics: BizmlMagics, args: list[str]) -> None:
    ns = parse("baseline", args)
    run = magics._project().set_baseline(ns.run)
    print(f"{run.name!r} is now the baseline for {run.target}")


def _compare(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.present.views import compare

    ns = parse("compare", args)
    return compare(magics._project(), ns.target, ns.top)


def _plot(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.present.charts import impact_plot

    ns = parse("plot", args)
    return impact_plot(magics._project(), ns.target, ns.ml)


def _audit(magics: BizmlMagics, args: list[str]) -> None:
    from bizml_nb.present.charts import audit

    ns = parse("audit", args)
    result = audit(magics._project(), ns.ml_metric, ns.kpi)
    show_output(result)
    figure = result.figure()
    if figure is not None:
        show_output(figure)


def _dashboard(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.present.widgets import Dashboard

    ns = parse("dashboard", args)
    return Dashboard(magics._project(), ns.target)


def _roi(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.present.roi_card import INPUT_WORDS, roi

    ns = parse("roi", args)
    inputs = {
        name: getattr(ns, name)
        for name in INPUT_WORDS
        if name != "annual_benefit" and getattr(ns, name) is not None
    }
    return roi(
        magics._project(),
        run=ns.run,
        annual_benefit=ns.annual_benefit,
        draws=ns.draws,
        allow_high_discount=ns.allow_high_discount,
        benefit_from=ns.benefit_from,
        **inputs,
    )


def _monitor(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.monitor import monitor_frames

    ns = parse("monitor", args)
    frames = [_user_frame(magics, name) for name in (ns.reference, ns.analysis)]
    return monitor_frames(
        frames[0],
        frames[1],
        proba=ns.proba,
        prediction=ns.pred,
        label=ns.label,
        chunk_size=ns.chunk_size,
        project=magics._project() if ns.target else None,
        kpi=ns.target,
    )


def _user_frame(magics: BizmlMagics, name: str) -> Any:
    """A DataFrame (or a saved Reference) named in the notebook; never evaluated as code."""
    namespace = magics.shell.user_ns if magics.shell is not None else {}
    if name not in namespace:
        raise UsageError(
            f"%bizml monitor: no variable {name!r} in the notebook{did_you_mean(name, namespace)}"
            "; pass the names of DataFrames"
        )
    return namespace[name]


def _capacity(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.finance.capacity import capacity

    ns = parse("capacity", args)
    return capacity(
        ns.params,
        ns.dtype,
        rps=ns.rps,
        latency_ms=ns.latency_ms,
        batch_size=ns.batch_size,
        hardware=None if ns.hardware in (None, "any") else ns.hardware,
    )


def _deployed(magics: BizmlMagics, args: list[str]) -> None:
    ns = parse("deployed", args)
    run = magics._project().mark_deployed(ns.run, ns.on)
    print(f"{run.name!r} went live on {run.deployed_on}")


def _maturity(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.present.widgets import MaturityQuiz

    parse("maturity", args)
    project = magics._project()
    history = project.deployments() if project.ledger.path.exists() else None
    return MaturityQuiz(history)


def _metrics(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.present.cards import RegistryView

    parse("metrics", args)
    return RegistryView(magics._project().registry)


# -- runs


def _runs(magics: BizmlMagics, args: list[str]) -> pd.DataFrame:
    ns = parse("runs", args)
    from bizml_nb.present.tables import with_sync
    from bizml_nb.present.views import runs_table

    project = magics._project()
    # a sync column (pending_sync, pushed, from mlflow) when a tracking server is known
    auto = magics._auto.tracking_uri if magics._auto is not None else None
    return with_sync(runs_table(project, ns.target), project, auto)


def _show(magics: BizmlMagics, args: list[str]) -> Card:
    ns = parse("show", args)
    from bizml_nb.present.cards import run_card

    return run_card(magics._project(), ns.run)


def _threshold(magics: BizmlMagics, args: list[str]) -> Any:
    from bizml_nb.interfaces.api import threshold_in

    ns = parse("threshold", args)
    return threshold_in(magics._project(), ns.run, link=ns.link)


def _predictions(magics: BizmlMagics, args: list[str]) -> None:
    from bizml_nb.projects.experiments import ACTIVE

    ns = parse("predictions", args)
    active = ACTIVE.get()
    if active is None:
        raise UsageError(
            "%bizml predictions: no experiment is running; use it inside a %%bizml experiment cell"
        )
    namespace = magics.shell.user_ns if magics.shell is not None else {}

    def variable(name: str | None) -> Any:
        if name is None:
            return None
        if name not in namespace:
            raise UsageError(
                f"%bizml predictions: no variable {name!r} in the notebook"
                f"{did_you_mean(name, namespace)}; pass the names of arrays"
            )
        return namespace[name]

    active.log_predictions(
        variable(ns.y_true),
        variable(ns.y_pred),
        proba=variable(ns.proba),
        amount=variable(ns.amount),
        ids=variable(ns.ids),
    )


def _log(magics: BizmlMagics, args: list[str]) -> None:
    from bizml_nb.projects.experiments import ACTIVE, clean_metrics

    ns = parse("log", args)
    metrics = clean_metrics(pairs(ns.metrics, "log", "NAME=VALUE", number=True), {})
    active = ACTIVE.get()
    if active is not None:
        active.log(metrics)
        return
    if magics._last is None:
        raise UsageError(
            "no experiment is running and no run was recorded in this session: use "
            "%bizml log inside a %%bizml experiment cell, or after one"
        )
    project, run_id = magics._last
    run = project.ledger.add_metrics(run_id, metrics)
    print(f"added {', '.join(metrics)} to run {run.name!r}")
    if magics.cards:
        from bizml_nb.present.cards import run_card

        show_output(run_card(project, run))


def show_output(obj: Any) -> None:
    from IPython.display import display

    display(obj)  # type: ignore[no-untyped-call]


def shown_path(path: Path) -> str:
    """A path relative to the current folder when below it, so notebook output is portable."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


COMMANDS: dict[str, Callable[[BizmlMagics, list[str]], Any]] = {
    "help": _help,
    "init": _init,
    "metric": _metric,
    "link": _link,
    "tree": _tree,
    "baseline": _baseline,
    "compare": _compare,
    "plot": _plot,
    "audit": _audit,
    "dashboard": _dashboard,
    "roi": _roi,
    "monitor": _monitor,
    "capacity": _capacity,
    "deployed": _deployed,
    "maturity": _maturity,
    "metrics": _metrics,
    "runs": _runs,
    "show": _show,
    "log": _log,
    "threshold": _threshold,
    "predictions": _predictions,
    "sync": sync,
    "observed": observed,
    "calibration": calibration,
    "impact": impact,
}
