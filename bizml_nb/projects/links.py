"""Building a link from what its declaration gives: one form per call, checked.

:meth:`bizml_nb.projects.project.Project.link` declares the link this builds; the
fitted form asks :mod:`bizml_nb.impact.evidence` for the fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import InvalidArguments, InvalidValue
from bizml_nb.core.registry import Link

if TYPE_CHECKING:
    import pandas as pd

    from bizml_nb.impact.evidence import Fit
    from bizml_nb.projects.link_evidence import ObservedPoints
    from bizml_nb.projects.project import Project


def build_link(
    project: Project,
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
    """The link :meth:`~bizml_nb.projects.project.Project.link` declares, built and checked
    (see its docstring for the forms); nothing is written here.

    A fitted link with ``from_observed`` fits the KPI's observed runs
    (:mod:`bizml_nb.projects.link_evidence`), alone (``fit=True``) or with the rows of
    a history; each observed point weighs its inverse variance, scaled so that the
    observed points' mean weight is 1, like a history row of weight 1.
    """
    _check_observed_form(fit, from_observed)
    given = [
        name
        for name, value in (
            ("elasticity", elasticity),
            ("fit", fit),
            ("value_matrix", value_matrix),
            ("expr", expr),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise InvalidArguments(
            "a link needs exactly one of {elasticity} (linear), {fit}=HISTORY (fitted), "
            "{value_matrix} with {cases_per_year} (confusion) or {expr} (formula)"
            + (f"; got {' and '.join('{' + name + '}' for name in given)}" if given else ""),
            "elasticity",
            "fit",
            "value_matrix",
            "cases_per_year",
            "expr",
        )
    params: dict[str, Any]
    if fit is not None:
        from bizml_nb.impact.evidence import MIN_FIT_POINTS, fit_history, fit_params

        if interval is not None:
            raise InvalidArguments(
                "a fitted link takes its interval from the fit; drop {interval}", "interval"
            )
        history = str(fit) if isinstance(fit, str | Path) else None
        if from_observed:
            return _observed_link(
                project,
                ml_metric,
                business_metric,
                None if isinstance(fit, bool) else fit,
                history_path=history,
                source=source,
                ml_baseline=ml_baseline,
                cases_per_year=cases_per_year,
            )
        assert not isinstance(fit, bool)
        fitted = fit_history(fit)
        if fitted.n < MIN_FIT_POINTS:
            raise InvalidArguments(
                f"the history has {fitted.n} past A/B result(s); fitting a link needs at "
                f"least {MIN_FIT_POINTS} (with fewer, its interval is unknown). Add results, "
                "or declare the link with {elasticity} and an {interval}",
                "fit",
                "elasticity",
                "interval",
            )
        params, kind = fit_params(fitted, history), "fitted"
    elif value_matrix is not None:
        if cases_per_year is None:
            raise InvalidArguments("a confusion link needs {cases_per_year}", "cases_per_year")
        params = {"value_matrix": _matrix(value_matrix), "cases_per_year": cases_per_year}
        params |= {"amount_column": amount_column} if amount_column is not None else {}
        kind = "confusion"
    elif expr is not None:
        params, kind = {"expr": expr}, "formula"
    else:
        params, kind = {"elasticity": elasticity}, "linear"
        if interval is not None:
            params["interval"] = tuple(interval)
    return _finished(
        ml_metric,
        business_metric,
        kind,
        params,
        source=source,
        ml_baseline=ml_baseline,
        cases_per_year=cases_per_year,
    )


def _check_observed_form(fit: object, from_observed: bool | None) -> None:
    """``from_observed`` goes with ``fit``; ``fit=True`` (no history) with ``from_observed``."""
    if from_observed and fit is None:
        raise InvalidArguments(
            "{from_observed} fits the link from the KPI's observed runs, and goes with "
            "{fit}: a history to add them to, or none (`--fit --from-observed`; in Python "
            "fit=True)",
            "from_observed",
            "fit",
        )
    if fit is True and not from_observed:
        raise InvalidArguments(
            "{fit} needs a history of past A/B results (a CSV file or a DataFrame), or "
            "{from_observed} to fit from the KPI's observed runs alone",
            "fit",
            "from_observed",
        )
    if fit is False:
        raise InvalidArguments("{fit} takes a history (or True with {from_observed})", "fit")


def _finished(
    ml_metric: str,
    business_metric: str,
    kind: str,
    params: dict[str, Any],
    *,
    source: str | None,
    ml_baseline: float | None,
    cases_per_year: float | None,
) -> Link:
    """The link, once the keywords every kind shares are checked and added."""
    if ml_baseline is not None:
        if kind not in ("linear", "fitted"):
            raise InvalidArguments(
                f"a {kind} link has no ml_baseline; drop {{ml_baseline}}", "ml_baseline"
            )
        params["ml_baseline"] = ml_baseline
    if cases_per_year is not None and kind != "confusion":
        raise InvalidArguments(
            "{cases_per_year} belongs to a confusion link ({value_matrix})",
            "cases_per_year",
            "value_matrix",
        )
    return Link(ml_metric, business_metric, kind, params, source)


def _observed_link(
    project: Project,
    ml_metric: str,
    business_metric: str,
    history: pd.DataFrame | str | Path | None,
    *,
    history_path: str | None,
    source: str | None,
    ml_baseline: float | None,
    cases_per_year: float | None,
) -> Link:
    """A link fitted from the KPI's observed runs, with the rows of ``history`` if given."""
    from bizml_nb.impact.evidence import MIN_FIT_POINTS, fit_params, read_history
    from bizml_nb.projects.link_evidence import (
        check_metric_known,
        observed_fit_error,
        observed_points,
    )

    frame = read_history(history) if history is not None else None
    observed = observed_points(project, ml_metric, business_metric)
    rows = 0 if frame is None else len(frame)
    if not observed.points and not observed.left_out:
        raise InvalidArguments(
            f"{business_metric} has no observed runs yet: record what a run really did with "
            "`%bizml observed RUN --kpi-delta D --interval LOW HIGH --source S` (Python: "
            "bizml_nb.observe), then fit with {from_observed}",
            "from_observed",
        )
    check_metric_known(project, observed)
    if observed.n + rows < MIN_FIT_POINTS:
        raise InvalidArguments(
            observed_fit_error(observed, MIN_FIT_POINTS, rows)
            + " (with fewer, its interval is unknown). Record more observations, or "
            "declare the link with {elasticity} and an {interval}",
            "from_observed",
            "elasticity",
            "interval",
        )
    fitted = observed_fit(frame, observed)
    params = fit_params(fitted, history_path, observed=observed.n)
    if observed.n == 0:
        params.pop("observed", None)
    return _finished(
        ml_metric,
        business_metric,
        "fitted",
        params,
        source=source,
        ml_baseline=ml_baseline,
        cases_per_year=cases_per_year,
    )


def observed_fit(frame: pd.DataFrame | None, observed: ObservedPoints) -> Fit:
    """The fit over a checked history's rows (if any) and the observed points.

    A history row weighs its ``weight`` (default 1); an observed point its inverse
    variance, scaled so that the observed points' mean weight is 1. Observed points are
    labelled ``observed: RUN NAME`` among the influential points.
    """
    from bizml_nb.core.card import one_line
    from bizml_nb.impact.evidence import fit_points

    xs: list[float] = []
    ys: list[float] = []
    ws: list[float] = []
    labels: list[str] = []
    if frame is not None:
        rows = len(frame)
        xs = [float(v) for v in frame["ml_delta"]]
        ys = [float(v) for v in frame["business_delta"]]
        ws = [float(v) for v in frame["weight"]] if "weight" in frame else [1.0] * rows
        labels = (
            [str(v) for v in frame["label"]]
            if "label" in frame
            else [f"row {i + 1}" for i in range(rows)]
        )
    xs += [p.ml_delta for p in observed.points]
    ys += [p.kpi_delta for p in observed.points]
    ws += observed.weights()
    labels += [f"observed: {one_line(p.run.name)}" for p in observed.points]
    return fit_points(xs, ys, ws, labels)


def _matrix(
    values: Sequence[float] | Sequence[Sequence[float]],
) -> tuple[tuple[float | str, float | str], ...]:
    """TN FP FN TP as four numbers, or [[TN, FP], [FN, TP]], as a 2x2 tuple."""
    flat: list[Any] = []
    for item in values:
        if isinstance(item, Sequence) and not isinstance(item, str):
            flat.extend(item)
        else:
            flat.append(item)
    if len(flat) != 4:
        raise InvalidValue(
            "value_matrix",
            "needs four values, TN FP FN TP (or [[TN, FP], [FN, TP]]), "
            f"the value of one case of each; got {len(flat)}",
        )
    try:
        tn, fp, fn, tp = (v if isinstance(v, str) else float(v) for v in flat)
    except (TypeError, ValueError):
        raise InvalidValue("value_matrix", f"values must be numbers (got {flat!r})") from None
    except OverflowError:  # a whole number too large for a float
        from bizml_nb.core.limits import TOO_LARGE

        raise InvalidValue("value_matrix", TOO_LARGE) from None
    return ((tn, fp), (fn, tp))
