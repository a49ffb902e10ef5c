"""The plain-Python API: the same things the magics do, with no IPython needed.

>>> import bizml_nb                                              # doctest: +SKIP
>>> bizml_nb.metric("take_rate", unit="ratio", direction="higher",
...                 baseline=0.112, value_per_unit=2.5e9)        # doctest: +SKIP
>>> with bizml_nb.experiment("two-tower v2", target="take_rate") as run:  # doctest: +SKIP
...     run.log({"ndcg@10": 0.4125})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.core.registry.links import LINK_ARGUMENTS
from bizml_nb.core.registry.metric import METRIC_KEYS
from bizml_nb.present.cards import run_card  # and a run shows its card: show_runs_with
from bizml_nb.projects.experiments import log, log_predictions
from bizml_nb.projects.project import Outcome, Project, Projects

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date
    from pathlib import Path

    import pandas as pd
    from matplotlib.figure import Figure

    from bizml_nb.core.ledger import Run
    from bizml_nb.core.registry import BusinessMetric, Direction, Link
    from bizml_nb.finance.capacity import CapacityCard
    from bizml_nb.impact.threshold import ThresholdResult
    from bizml_nb.monitor import MonitorResult
    from bizml_nb.present.calibration_card import CalibrationCard
    from bizml_nb.present.cards import Card
    from bizml_nb.present.charts import Audit
    from bizml_nb.present.realised_cards import ImpactCard, ObservationCard
    from bizml_nb.present.roi_card import ROICard
    from bizml_nb.present.widgets import Dashboard
    from bizml_nb.projects.experiments import Experiment

__all__ = [
    "audit",
    "baseline",
    "calibration",
    "compare",
    "dashboard",
    "deployed",
    "evaluate_roi",
    "experiment",
    "init",
    "link",
    "log",
    "log_predictions",
    "metric",
    "monitor_model",
    "observe",
    "plan_capacity",
    "plot",
    "project",
    "realised_impact",
    "runs",
    "show",
    "threshold",
    "tree",
]

_projects = Projects()


def project(path: Path | str | None = None, *, ledger: Path | str | None = None) -> Project:
    """The project that holds ``path`` (default: the current folder): registry and ledger.

    The root is the nearest folder upward with a bizml.toml. The ledger is
    ``ledger`` if given, else ``$BIZML_LEDGER``, else ``ROOT/.bizml/ledger.sqlite``.
    """
    return _projects.get(path, ledger=ledger)


def init(
    name: str | None = None,
    *,
    currency: str | None = None,
    min_annual_value: float | None = None,
    compute_cost_per_hour: float | None = None,
    eng_cost_per_hour: float | None = None,
    calibrate: bool | None = None,
) -> Outcome:
    """Create bizml.toml in the current project (or folder), or update its [project].

    ``calibrate=True`` makes cards apply the haircut learned from observed runs.
    """
    return project().init(
        name,
        currency=currency,
        min_annual_value=min_annual_value,
        compute_cost_per_hour=compute_cost_per_hour,
        eng_cost_per_hour=eng_cost_per_hour,
        calibrate=calibrate,
    )


def metric(
    name: str,
    *,
    unit: str,
    direction: Direction,
    baseline: float | None = None,
    target: float | None = None,
    value_per_unit: float | None = None,
    owner: str | None = None,
    description: str | None = None,
    traffic_per_week: float | None = None,
    test_weeks: float | None = None,
    std: float | None = None,
) -> BusinessMetric:
    """Declare a business metric in bizml.toml (or update the keys given) and return it.

    ``value_per_unit`` is what +1 unit of the metric is worth per year in the
    project currency; negative when lower is better. ``traffic_per_week``,
    ``test_weeks`` and ``std`` let cards say what an A/B test could detect.
    """
    given = locals()  # the keywords are the declared fields of BusinessMetric (METRIC_KEYS)
    return project().metric(name, **{key: given[key] for key in METRIC_KEYS})


def link(
    ml_metric: str,
    business_metric: str,
    *,
    elasticity: float | None = None,
    interval: tuple[float, float] | None = None,
    source: str | None = None,
    ml_baseline: float | None = None,
    fit: pd.DataFrame | str | Path | bool | None = None,
    from_observed: bool | None = None,
    value_matrix: Sequence[float] | Sequence[Sequence[float]] | None = None,
    cases_per_year: float | None = None,
    expr: str | None = None,
    amount_column: str | None = None,
) -> Link:
    """Declare how ``ml_metric`` (or another KPI) moves ``business_metric``.

    ``elasticity=`` (+ ``interval=``): +1 of the ML metric moves the KPI by that many
    units; ``fit=`` a history of past experiments: the elasticity is fitted and graded
    (``from_observed=True``: the KPI's observed runs are points too; ``fit=True``: alone);
    ``value_matrix=[[TN, FP], [FN, TP]]`` + ``cases_per_year=``: a confusion link;
    ``expr=``: a formula over logged quantities. A confusion link's matrix entry may be
    a formula over a per-example amount (``-amount``), named by ``amount_column=``
    (default ``amount``): runs then need their predictions (``log_predictions``).
    """
    given = locals()  # the keywords are LINK_ARGUMENTS
    return project().link(ml_metric, business_metric, **{key: given[key] for key in LINK_ARGUMENTS})


def threshold(ref: str, *, link: str | None = None) -> ThresholdResult:
    """The decision threshold that maximises the yearly value of a run's predictions.

    ``ref`` names a run (id, unique prefix, ``last`` or name) that logged predictions
    with ``proba``; ``link`` names the KPI of the confusion link that prices them (by
    default the run's target). The result shows as a card: the threshold with the range
    bootstrap resamples choose, the yearly value there, and its gain over the run's own
    decisions (paired).
    """
    return threshold_in(project(), ref, link=link)


def threshold_in(here: Project, ref: str, *, link: str | None = None) -> ThresholdResult:
    """:func:`threshold` for the run ``ref`` of the project ``here`` (what the magic calls)."""
    from bizml_nb.core.errors import InvalidArguments
    from bizml_nb.core.predictions import find
    from bizml_nb.impact.links import Skip
    from bizml_nb.impact.threshold import best_threshold

    run = here.run(ref)
    registry = here.registry
    kpi = link if link is not None else run.target
    found = [item for item in registry.ml_links_to(kpi) if item.kind == "confusion"]
    if not found:
        raise InvalidArguments(
            f"no confusion link points at {kpi!r}; declare one with "
            "`%bizml link confusion KPI --value-matrix TN FP FN TP --cases-per-year N`",
            "link",
        )
    predictions = find(run.id)
    if predictions is None:
        raise InvalidArguments(
            f"the run {run.name!r} has no predictions; log them inside its experiment "
            "with bizml_nb.log_predictions(y_true, y_pred, proba=...)",
            "ref",
        )
    try:
        return best_threshold(found[0], predictions, run_name=run.name, currency=registry.currency)
    except Skip as skip:
        raise InvalidArguments(f"{run.name!r}: {skip}", "ref") from None


def baseline(ref: str) -> Run:
    """Make a run (by id, unique prefix, ``last`` or name) the baseline of its KPI."""
    return project().set_baseline(ref)


def experiment(
    name: str,
    *,
    target: str,
    hypothesis: str | None = None,
    expect: str | None = None,
    tags: Iterable[str] = (),
    baseline: bool = False,
    params: Mapping[str, Any] | None = None,
    eng_hours: float | None = None,
) -> Experiment:
    """An experiment against KPI ``target``: ``with experiment(...) as run: run.log(...)``.

    ``eng_hours`` is the engineering time the experiment took; with the project's
    ``eng_cost_per_hour`` it is part of the run's cost on its card.
    """
    return project().experiment(
        name,
        target=target,
        hypothesis=hypothesis,
        expect=expect,
        tags=tags,
        baseline=baseline,
        params=params,
        eng_hours=eng_hours,
    )


VALUE_COLUMNS = ("value_per_year", "value_low", "value_high")


def runs(target: str | None = None) -> pd.DataFrame:
    """The recorded runs of the current project as a DataFrame, oldest first.

    Beside the ledger's columns, each run's yearly value against its KPI's baseline
    run: ``value_per_year`` (the mid) and ``value_low``/``value_high``, the ends of its
    90% range; empty where no link prices the run. A logged metric named like one of
    these (or like a column the runs table reads, such as ``baseline``) is shown as
    ``metric.NAME``, as the ledger does for its own columns. When a tracking server is
    known (``$MLFLOW_TRACKING_URI`` or bizml.toml's ``[sync]`` key), a ``sync`` column says
    ``pending_sync``, ``pushed`` or ``from mlflow`` per run (:mod:`bizml_nb.teams`).
    """
    from bizml_nb.core.ledger_schema import COLUMNS as LEDGER_COLUMNS
    from bizml_nb.present.tables import RECORD_COLUMNS, runs_view, with_sync
    from bizml_nb.present.views import runs_table

    current = project()
    frame = current.runs(target)
    clashes = {
        c: f"metric.{c}"
        for c in frame.columns
        if c in {*RECORD_COLUMNS, *VALUE_COLUMNS} and c not in LEDGER_COLUMNS
    }
    frame = frame.rename(columns=clashes)
    values = runs_table(current, target)
    priced = values[["id", *VALUE_COLUMNS]] if len(values) else None
    if priced is None:
        for column in VALUE_COLUMNS:
            frame[column] = []
        return with_sync(frame, current)
    merged = frame.merge(priced, on="id", how="left", validate="one_to_one")
    # shown in a terminal as the cards word it; a sync column when a tracking server is known
    return with_sync(runs_view(merged, current.registry), current)


def show(ref: str) -> Card:
    """The card of a run: by id, unique id prefix, ``last``, or name."""
    return run_card(project(), ref)


def deployed(ref: str, on: str | None = None) -> Run:
    """Record that a run's model went live on ``on`` (YYYY-MM-DD; default today)."""
    return project().mark_deployed(ref, on)


def compare(target: str | None = None, top: int | None = None) -> pd.DataFrame:
    """Leaderboard of runs by yearly value, with the rank by each linked ML metric beside it."""
    from bizml_nb.present.views import compare as leaderboard

    return leaderboard(project(), target, top)


def tree() -> str:
    """The metric tree as text: links into each KPI, the KPIs it feeds, the best run."""
    from bizml_nb.present.views import tree as draw

    return draw(project())


def plot(target: str | None = None, ml: str | None = None) -> Figure:
    """ML change against predicted KPI change per run, with 90% bars (a matplotlib Figure)."""
    from bizml_nb.present.charts import impact_plot

    return impact_plot(project(), target, ml)


def audit(ml_metric: str, kpi: str) -> Audit:
    """The evidence behind the link from ``ml_metric`` to ``kpi``; ``.figure()`` charts it."""
    from bizml_nb.present.charts import audit as evidence

    return evidence(project(), ml_metric, kpi)


def dashboard(target: str | None = None) -> Dashboard:
    """The dashboard widget: KPI dropdown, leaderboard, plot and a run's card."""
    from bizml_nb.present.widgets import Dashboard

    return Dashboard(project(), target)


def evaluate_roi(
    run: str | None = None,
    *,
    annual_benefit: float | None = None,
    draws: int = 100_000,
    allow_high_discount: bool = False,
    benefit_from: str = "predicted",
    **inputs: Any,
) -> ROICard:
    """The ROI card of deploying ``run`` (its yearly value as the benefit) or a given benefit.

    ``benefit_from="observed"`` takes the run's realised yearly value (at its latest
    observation, recorded with :func:`bizml_nb.observe`) instead of its predicted one.

    Inputs: data_cost, eng_months, monthly_rate, infra_setup, cloud_per_year,
    maintenance_share, deploy_days, ramp_months, years, discount (numbers or
    distributions from :mod:`bizml_nb.finance.roi`). Every input left out takes the
    illustrative default of ``bizml_nb.finance.roi.Investment`` (the same as ``%bizml roi``,
    the ROI calculator and the roi_analysis template) and is stated on the card. A
    discount rate above 1 (100% a year) is refused unless ``allow_high_discount``.
    """
    from bizml_nb.present.roi_card import roi as card

    return card(
        project(),
        run=run,
        annual_benefit=annual_benefit,
        draws=draws,
        allow_high_discount=allow_high_discount,
        benefit_from=benefit_from,
        **inputs,
    )


def plan_capacity(
    params: float,
    dtype: str = "fp32",
    *,
    rps: float,
    latency_ms: float,
    **assumptions: Any,
) -> CapacityCard:
    """Memory, replicas, the cheapest instance and the yearly cost of serving a model.

    Any field of ``bizml_nb.finance.capacity.MemoryAssumptions`` or ``ServingAssumptions``
    may be given by name (``batch_size=8``, ``runtime_gb=1.5``...).
    """
    from bizml_nb.finance.capacity import capacity

    return capacity(params, dtype, rps=rps, latency_ms=latency_ms, **assumptions)


def monitor_model(
    reference: Any,
    analysis: pd.DataFrame,
    *,
    proba: str,
    prediction: str | None = None,
    label: str = "label",
    chunk_size: int | None = None,
    kpi: str | None = None,
) -> MonitorResult:
    """Drift and label-free performance of ``analysis`` against a labelled ``reference``.

    With ``kpi``, each chunk is priced through that KPI's confusion link. For the
    full interface (saved references, drift methods, thresholds), use
    :class:`bizml_nb.monitor.Reference`.
    """
    from bizml_nb.monitor import monitor_frames

    return monitor_frames(
        reference,
        analysis,
        proba=proba,
        prediction=prediction,
        label=label,
        chunk_size=chunk_size,
        project=project() if kpi else None,
        kpi=kpi,
    )


# --------------------------------------------------------------------------- realised value


def observe(
    ref: str,
    kpi_delta: float | None = None,
    interval: Sequence[float] | None = None,
    *,
    source: str,
    on: str | date | None = None,
    level: float = 0.90,
    kpi: str | None = None,
    table: pd.DataFrame | Path | str | None = None,
) -> ObservationCard:
    """Record what run ``ref``'s model really did to its KPI, and show predicted vs realised.

    Either ``kpi_delta`` with its ``interval = (low, high)`` at ``level``, in the KPI's
    own unit (a ratio KPI's +0.21 pp is 0.0021), or ``table``: a DataFrame or CSV path
    with one row per day and columns ``date, control, treatment``, from which the
    change (the mean of the daily differences) and its Student-t interval are computed
    (:func:`bizml_nb.impact.observed.from_table`). ``source`` says where the figure
    comes from; ``on`` is the day the measurement ended (YYYY-MM-DD; default today, or
    the table's last day when it is a date). Each mistake is refused with one message
    naming its keyword (see :func:`bizml_nb.projects.realised.observe`); nothing is
    stored then. Returns the observation card (``card.checked.observation`` is the
    stored observation).
    """
    from bizml_nb.interfaces.api_realised import observe_in

    return observe_in(
        project(),
        ref,
        kpi_delta,
        interval,
        source=source,
        on=on,
        level=level,
        kpi=kpi,
        table=table,
    )


def calibration(target: str | None = None) -> CalibrationCard:
    """Predicted against realised, per KPI (of ``target`` if given): how many runs were
    observed, the share inside their predicted 90% range, the haircut, and a chart."""
    from bizml_nb.present.calibration_card import calibration_card

    return calibration_card(project(), target)


def realised_impact(
    since: str | date | None = None,
    target: str | None = None,
    *,
    today: str | date | None = None,
) -> ImpactCard:
    """What launched runs realised (deployed on or after ``since``, of KPI ``target`` if
    given): money to date (counted to ``today``, default today in UTC) and per year, raw
    and shrunk for the winner's curse, and the launched runs not measured."""
    from bizml_nb.present.realised_cards import impact_card

    return impact_card(project(), since, target, today=today)
