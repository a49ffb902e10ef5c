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


def build_link(
    ml_metric: str,
    business_metric: str,
    *,
    elasticity: float | None = None,
    interval: tuple[float, float] | None = None,
    source: str | None = None,
    ml_baseline: float | None = None,
    fit: pd.DataFrame | str | Path | None = None,
    value_matrix: Sequence[float] | Sequence[Sequence[float]] | None = None,
    cases_per_year: float | None = None,
    expr: str | None = None,
    amount_column: str | None = None,
) -> Link:
    """The link :meth:`~bizml_nb.projects.project.Project.link` declares, built and checked
    (see its docstring for the forms); nothing is written here."""
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
