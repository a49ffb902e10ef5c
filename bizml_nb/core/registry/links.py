"""Links from an ML metric (or a KPI) to a KPI: the kinds, their parameters and checks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import InvalidValue, RegistryError, did_you_mean, known
from bizml_nb.core.limits import shown, yearly_value_problem
from bizml_nb.core.registry.fields import FieldSpec
from bizml_nb.core.registry.metric import check_range

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

LINK_COMMON_KEYS = ("ml_metric", "business_metric", "kind", "source")

#: the keywords that declare a link, after its two metric names, in the order of
#: ``bizml_nb.link(...)``; ``%bizml link`` has a flag for each.
LINK_ARGUMENTS: dict[str, FieldSpec] = {
    "elasticity": FieldSpec(
        "linear link: change of the KPI (in its units) per +1 of the ML metric"
    ),
    "interval": FieldSpec("90% interval of the elasticity", metavar=("LOW", "HIGH")),
    "source": FieldSpec("where the elasticity comes from, e.g. 'A/B tests 2026 Q1'", kind="text"),
    "ml_baseline": FieldSpec("the ML metric in production (used without a baseline run)"),
    "fit": FieldSpec(
        "fitted link: past experiments with columns ml_delta, business_delta (weight, label)",
        kind="text",
        metavar=("HISTORY.csv",),
    ),
    "from_observed": FieldSpec(
        "fitted link: fit from the KPI's observed runs too (alone with a bare --fit)",
        kind="flag",
    ),
    "value_matrix": FieldSpec(
        "confusion link (ML metric 'confusion'): value of one case of each outcome; an "
        "entry may be a formula over the amount column, e.g. -amount",
        metavar=("TN", "FP", "FN", "TP"),
    ),
    "cases_per_year": FieldSpec("confusion link: cases scored a year"),
    "expr": FieldSpec(
        "formula link (ML metric 'formula'): e.g. 'quality_plays / shown'", kind="text"
    ),
    "amount_column": FieldSpec(
        "confusion link: the per-example amount column of logged predictions that "
        "value-matrix formulas name (default amount)",
        kind="text",
    ),
}


@dataclass(frozen=True)
class LinkKind:
    """How one kind of link is declared: its parameters, their types and their checks.

    ``types`` maps each parameter to how it is written in bizml.toml: ``number``,
    ``count`` (a whole number), ``pair`` ([low, high]), ``matrix`` ([[TN, FP], [FN, TP]])
    or ``text``.
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    types: Mapping[str, str]
    validate: Callable[[dict[str, Any]], None]
    chainable: bool = False  # may its source be another KPI?

    @property
    def keys(self) -> tuple[str, ...]:
        return self.required + self.optional


def _validate_linear(params: dict[str, Any]) -> None:
    elasticity = _finite(params, "elasticity")
    _finite(params, "ml_baseline")
    interval = params.get("interval")
    if interval is not None:
        if not isinstance(interval, tuple) or len(interval) != 2:
            raise InvalidValue("interval", "must be two numbers [low, high]")
        low, high = (_finite({"interval": v}, "interval") for v in interval)
        assert low is not None
        assert high is not None
        if low > high:
            raise InvalidValue("interval", f"low {low:g} is above high {high:g}; write [low, high]")
        if elasticity is not None and not low <= elasticity <= high:
            raise InvalidValue(
                "interval", f"does not contain the elasticity {elasticity:g}; widen it or fix one"
            )


def _validate_fitted(params: dict[str, Any]) -> None:
    _validate_linear(
        {k: params[k] for k in ("elasticity", "interval", "ml_baseline") if k in params}
    )
    _finite(params, "intercept")
    n = params["n"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidValue("n", f"must be a whole number of past experiments (not {n!r})")
    r2 = _finite(params, "r2")
    if r2 is not None and not 0 <= r2 <= 1:
        raise InvalidValue("r2", f"must lie between 0 and 1 (not {r2!r})")
    observed = params.get("observed")
    if observed is not None and (
        isinstance(observed, bool) or not isinstance(observed, int) or not 1 <= observed <= n
    ):
        raise InvalidValue(
            "observed",
            f"must be a whole number of observed runs from 1 to n = {n} (not {observed!r})",
        )
    if params["grade"] not in GRADES:
        raise InvalidValue("grade", f"must be one of {', '.join(GRADES)} (not {params['grade']!r})")


def _validate_confusion(params: dict[str, Any]) -> None:
    matrix = params["value_matrix"]
    if (
        not isinstance(matrix, tuple)
        or len(matrix) != 2
        or any(not isinstance(row, tuple) or len(row) != 2 for row in matrix)
    ):
        raise InvalidValue("value_matrix", "must be [[TN, FP], [FN, TP]]: value per case of each")
    column = params.get("amount_column", AMOUNT_COLUMN)
    if not isinstance(column, str) or not column.isidentifier():
        raise InvalidValue("amount_column", f"must be a column name, e.g. amount (not {column!r})")
    largest = 0.0
    for row in matrix:
        for value in row:
            if isinstance(value, str):
                _check_amount_formula(value, column)
                continue
            largest = max(largest, abs(_finite({"value_matrix": value}, "value_matrix") or 0.0))
    cases = _finite(params, "cases_per_year")
    if cases is None:
        raise InvalidValue("cases_per_year", "is needed by a confusion link")
    problem = yearly_value_problem(largest, cases, cases="{cases_per_year}")
    if problem is not None:
        raise InvalidValue("value_matrix", problem, mentions=("cases_per_year",))


def _check_amount_formula(text: str, column: str) -> None:
    """A value-matrix entry written as a formula: over the amount column only."""
    from bizml_nb.core.formula import Formula

    try:
        formula = Formula.parse(text)
    except RegistryError as exc:
        raise InvalidValue("value_matrix", f"entry {text!r} is not allowed: {exc}") from None
    others = [name for name in formula.names if name != column]
    if others:
        raise InvalidValue(
            "value_matrix",
            f"entry {text!r} may name only the amount column {column!r} (not "
            f"{', '.join(others)}); set {{amount_column}} to name another column",
            mentions=("amount_column",),
        )


def has_amounts(link: Link) -> bool:
    """Whether a confusion link's value matrix prices some outcome by a per-example amount."""
    matrix = link.params.get("value_matrix", ())
    return any(isinstance(value, str) for row in matrix for value in row)


def _validate_formula(params: dict[str, Any]) -> None:
    from bizml_nb.core.formula import Formula

    expr = params["expr"]
    if not isinstance(expr, str):
        raise InvalidValue("expr", "must be a string (in quotes)")
    try:
        Formula.parse(expr)
    except RegistryError as exc:
        raise InvalidValue("expr", f"is not allowed: {exc}") from None


def _finite(params: dict[str, Any], key: str) -> float | None:
    value = params.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        raise InvalidValue(key, f"must be a finite number (not {shown(value)})")
    check_range(key, value)
    return float(value)


GRADES = ("strong", "weak", "none")
AMOUNT_COLUMN = "amount"
LINK_KINDS: dict[str, LinkKind] = {
    "linear": LinkKind(
        name="linear",
        required=("elasticity",),
        optional=("interval", "ml_baseline"),
        types={"elasticity": "number", "interval": "pair", "ml_baseline": "number"},
        validate=_validate_linear,
        chainable=True,
    ),
    "fitted": LinkKind(
        name="fitted",
        required=("elasticity", "n", "grade"),
        optional=("interval", "r2", "intercept", "history", "observed", "ml_baseline"),
        types={
            "elasticity": "number",
            "n": "count",
            "grade": "text",
            "interval": "pair",
            "r2": "number",
            "intercept": "number",
            "history": "text",
            "observed": "count",
            "ml_baseline": "number",
        },
        validate=_validate_fitted,
        chainable=True,
    ),
    "confusion": LinkKind(
        name="confusion",
        required=("value_matrix", "cases_per_year"),
        optional=("amount_column",),
        types={"value_matrix": "matrix", "cases_per_year": "number", "amount_column": "text"},
        validate=_validate_confusion,
    ),
    "formula": LinkKind(
        name="formula",
        required=("expr",),
        optional=(),
        types={"expr": "text"},
        validate=_validate_formula,
    ),
}


@dataclass(frozen=True)
class Link:
    """A declared relation from an ML metric to a business metric.

    For a ``linear`` link, ``elasticity`` is the change in the business metric,
    in its own units, per +1 change of the ML metric; ``interval`` is its
    plausible range [low, high]; ``ml_baseline`` is the ML metric's value in
    production, used when the KPI has no baseline run.
    """

    ml_metric: str
    business_metric: str
    kind: str = "linear"
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        if not self.ml_metric.strip():
            raise RegistryError("a link needs the name of an ML metric, such as 'ndcg@10'")
        if self.kind not in LINK_KINDS:
            raise RegistryError(
                f"link {self.label}: unknown kind {self.kind!r}{did_you_mean(self.kind, LINK_KINDS)}"
                f"; {known(LINK_KINDS)}"
            )
        spec = LINK_KINDS[self.kind]
        missing = [k for k in spec.required if k not in self.params]
        if missing:
            raise InvalidValue(
                missing[0], f"is needed by a {self.kind} link", prefix=f"link {self.label}: "
            )
        extra = [k for k in self.params if k not in spec.keys]
        if extra:
            raise InvalidValue(
                extra[0],
                f"is not a parameter of a {self.kind} link"
                f"{did_you_mean(extra[0], spec.keys)}; {known(spec.keys)}",
                prefix=f"link {self.label}: ",
            )
        try:
            spec.validate(dict(self.params))
        except InvalidValue as exc:
            raise exc.with_prefix(f"link {self.label}: ") from None

    @property
    def label(self) -> str:
        """``ml_metric -> business_metric``, as shown to people."""
        return f"{self.ml_metric} -> {self.business_metric}"

    @property
    def elasticity(self) -> float:
        return float(self.params["elasticity"])

    @property
    def interval(self) -> tuple[float, float]:
        """The elasticity's interval; a point interval when none was declared."""
        interval = self.params.get("interval")
        if interval is None:
            return (self.elasticity, self.elasticity)
        return (float(interval[0]), float(interval[1]))

    def to_table(self) -> dict[str, Any]:
        """The keys of this link's ``[[links]]`` table, in canonical order."""
        table: dict[str, Any] = {
            "ml_metric": self.ml_metric,
            "business_metric": self.business_metric,
            "kind": self.kind,
        }
        for key in LINK_KINDS[self.kind].keys:
            if key in self.params:
                table[key] = _plain(self.params[key])
        if self.source is not None:
            table["source"] = self.source
        return table


def _plain(value: Any) -> Any:
    """Tuples (intervals, matrices) as the lists TOML writes."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
