"""The KPI registry: business metrics and the links from ML metrics to them.

The registry lives in ``bizml.toml`` at the project root. It is read with the
standard library's ``tomllib`` (fast, used on every cell) and edited with
``tomlkit``, which keeps the user's comments and key order. Every edit holds a
cross-process lock, re-reads the file, is validated as a whole file before it is
written, and is written atomically (``bizml_nb.core._io``), so concurrent edits are
all kept and a failed edit never leaves a broken file.

>>> reg = Registry.from_text('''
... [project]
... name = "recsys-home"
... currency = "USD"
... [metrics.take_rate]
... unit = "ratio"
... direction = "higher"
... value_per_unit = 2.5e9
... ''')
>>> reg.metric("take_rate").value_per_unit
2500000000.0
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, cast

from bizml_nb.core.errors import RegistryError, did_you_mean, known
from bizml_nb.core.limits import (
    LARGEST,
    TOO_LARGE,
    bound,
    out_of_range,
    shown,
    yearly_value_problem,
)
from bizml_nb.core.units import CURRENCY_RULE, is_currency_name

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import tomlkit.toml_document

FILENAME = "bizml.toml"
LOCK_TIMEOUT_S = 30.0  # how long an edit waits for another process's edit to finish
FORMAT_VERSION = 1
DIRECTIONS = ("higher", "lower")
Direction = Literal["higher", "lower"]

PROJECT_KEYS = (
    "name",
    "currency",
    "format",
    "min_annual_value",
    "compute_cost_per_hour",
    "eng_cost_per_hour",
)
SETTING_KEYS = ("min_annual_value", "compute_cost_per_hour", "eng_cost_per_hour")
METRIC_KEYS = (
    "unit",
    "direction",
    "baseline",
    "target",
    "value_per_unit",
    "owner",
    "description",
    "traffic_per_week",
    "test_weeks",
    "std",
)
LINK_COMMON_KEYS = ("ml_metric", "business_metric", "kind", "source")


# --------------------------------------------------------------------------- model


class InvalidValue(RegistryError):
    """A declared value is not valid; ``key`` names it so the file's line can be found."""

    def __init__(self, key: str, problem: str, *, prefix: str = "") -> None:
        super().__init__(f"{prefix}{key} {problem}")
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class BusinessMetric:
    """A business metric (KPI) the team is judged on.

    ``value_per_unit`` is what +1 unit of the metric is worth per year, in the
    project currency. Its sign must agree with ``direction``: when higher is
    better, +1 unit earns money (positive); when lower is better, +1 unit costs
    money (negative).
    """

    name: str
    unit: str
    direction: Direction
    baseline: float | None = None
    target: float | None = None
    value_per_unit: float | None = None
    owner: str | None = None
    description: str | None = None
    traffic_per_week: float | None = None
    test_weeks: float | None = None
    std: float | None = None

    def __post_init__(self) -> None:
        try:
            self._check()
        except InvalidValue as exc:
            raise InvalidValue(exc.key, exc.problem, prefix=f"metric {self.name!r}: ") from None

    def _check(self) -> None:
        if not self.name.strip():
            raise InvalidValue("name", "is empty; give the metric a name such as 'take_rate'")
        if not self.unit.strip():
            raise InvalidValue("unit", "is empty; use e.g. 'ratio', 'USD', 'count' or 'hours'")
        if self.direction not in DIRECTIONS:
            raise InvalidValue(
                "direction",
                f"must be 'higher' or 'lower' (not {self.direction!r}): "
                "which way is better for the business?",
            )
        for key in (
            "baseline",
            "target",
            "value_per_unit",
            "traffic_per_week",
            "test_weeks",
            "std",
        ):
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidValue(key, f"must be a number (not {shown(value)})")
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidValue(key, f"must be a finite number (not {value!r})")
            _check_range(key, value)
        if self.std is not None and self.std <= 0:
            raise InvalidValue("std", f"must be positive (not {self.std:g})")
        self._check_value()
        if self.baseline is not None and self.target is not None:
            worse = (
                self.target < self.baseline
                if self.direction == "higher"
                else self.target > self.baseline
            )
            if worse:
                raise InvalidValue(
                    "target",
                    f"{self.target:g} is worse than baseline {self.baseline:g} "
                    f"for a metric where {self.direction} is better",
                )

    def _check_value(self) -> None:
        vpu = self.value_per_unit
        if vpu is None:
            return
        if vpu == 0:
            raise InvalidValue("value_per_unit", "is 0; omit it when the value is not known")
        if self.direction == "higher" and vpu < 0:
            raise InvalidValue(
                "value_per_unit",
                f"{vpu:g} is negative but higher is better: +1 unit of "
                f"{self.name} should earn money, so use {-vpu:g}",
            )
        if self.direction == "lower" and vpu > 0:
            raise InvalidValue(
                "value_per_unit",
                f"{vpu:g} is positive but lower is better: +1 unit of "
                f"{self.name} costs money, so use {-vpu:g} "
                "(value_per_unit is per year per +1 unit of the metric)",
            )

    @property
    def is_ratio(self) -> bool:
        """Whether the KPI is a proportion between 0 and 1 (shown in percent)."""
        from bizml_nb.core.units import RATIO_UNITS

        return self.unit in RATIO_UNITS

    @property
    def better(self) -> int:
        """+1 when higher is better, -1 when lower is better."""
        return 1 if self.direction == "higher" else -1

    def to_table(self) -> dict[str, Any]:
        """The keys of this metric's ``[metrics.NAME]`` table, in canonical order."""
        table: dict[str, Any] = {}
        for key in METRIC_KEYS:
            value = getattr(self, key)
            if value is not None:
                table[key] = value
        return table


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
    largest = 0.0
    for row in matrix:
        for value in row:
            largest = max(largest, abs(_finite({"value_matrix": value}, "value_matrix") or 0.0))
    cases = _finite(params, "cases_per_year")
    if cases is None:
        raise InvalidValue("cases_per_year", "is needed by a confusion link")
    problem = yearly_value_problem(largest, cases)
    if problem is not None:
        raise InvalidValue("value_matrix", problem)


def _validate_formula(params: dict[str, Any]) -> None:
    from bizml_nb.impact.formula import Formula

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
    _check_range(key, value)
    return float(value)


def _check_range(key: str, value: float) -> None:
    """Refuse a number outside the range ``key`` may take (see :mod:`bizml_nb.core.limits`)."""
    problem = out_of_range(key, value)
    if problem is not None:
        raise InvalidValue(key, problem)


GRADES = ("strong", "weak", "none")
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
        optional=("interval", "r2", "intercept", "history", "ml_baseline"),
        types={
            "elasticity": "number",
            "n": "count",
            "grade": "text",
            "interval": "pair",
            "r2": "number",
            "intercept": "number",
            "history": "text",
            "ml_baseline": "number",
        },
        validate=_validate_fitted,
        chainable=True,
    ),
    "confusion": LinkKind(
        name="confusion",
        required=("value_matrix", "cases_per_year"),
        optional=(),
        types={"value_matrix": "matrix", "cases_per_year": "number"},
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
            raise InvalidValue(exc.key, exc.problem, prefix=f"link {self.label}: ") from None

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


@dataclass(frozen=True)
class Registry:
    """The business metrics and links of one project, as read from bizml.toml."""

    path: Path | None = None
    name: str | None = None
    currency: str = "USD"
    metrics: Mapping[str, BusinessMetric] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    min_annual_value: float = 0.0
    compute_cost_per_hour: float | None = None
    eng_cost_per_hour: float | None = None

    def __post_init__(self) -> None:
        check_tree(self.metrics, self.links)

    @classmethod
    def load(cls, path: Path) -> Registry:
        """Read and validate ``path``; raise RegistryError naming file, line and key."""
        return cls.from_text(read_text(path), path)

    @classmethod
    def from_text(cls, text: str, path: Path | None = None) -> Registry:
        """Parse and validate the text of a bizml.toml file."""
        where = str(path) if path is not None else FILENAME
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RegistryError(
                f"{where} is not valid TOML: {exc}; fix that line and try again"
            ) from None
        except ValueError as exc:  # a whole number of thousands of digits
            raise RegistryError(
                f"{where} cannot be read: {exc}; numbers in {FILENAME} must lie between "
                f"-{bound(LARGEST)} and {bound(LARGEST)}"
            ) from None
        return _Parser(text, where, path).registry(data)

    def metric(self, name: str) -> BusinessMetric:
        """The business metric called ``name``; RegistryError with a hint if unknown."""
        try:
            return self.metrics[name]
        except KeyError:
            raise RegistryError(
                f"no business metric {name!r} in {self.path or FILENAME}"
                f"{did_you_mean(name, self.metrics)}; {known(self.metrics)}. "
                f"Declare it with `%bizml metric {name} --unit ... --direction higher|lower`"
            ) from None

    def links_to(self, business_metric: str) -> list[Link]:
        """The links whose business metric is ``business_metric``, in file order."""
        return [link for link in self.links if link.business_metric == business_metric]

    def links_from_kpi(self, kpi: str) -> list[Link]:
        """The links that carry a change of KPI ``kpi`` on to another KPI."""
        return [link for link in self.links if link.ml_metric == kpi and kpi in self.metrics]

    def ml_links_to(self, business_metric: str) -> list[Link]:
        """The links from ML metrics (not from other KPIs) to ``business_metric``."""
        return [
            link for link in self.links_to(business_metric) if link.ml_metric not in self.metrics
        ]

    def downstream(self, kpi: str) -> list[str]:
        """The KPIs a change of ``kpi`` flows on to, nearest first (not ``kpi`` itself)."""
        order: list[str] = []
        frontier = [kpi]
        while frontier:
            current = frontier.pop(0)
            for link in self.links_from_kpi(current):
                if link.business_metric not in order and link.business_metric != kpi:
                    order.append(link.business_metric)
                    frontier.append(link.business_metric)
        return order


def read_text(path: Path) -> str:
    """The text of a bizml.toml; RegistryError saying what to do when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(
            f"{path} does not exist; create it with `%bizml init` or `bizml init`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"cannot read {path}: {exc}") from None


def check_tree(metrics: Mapping[str, BusinessMetric], links: tuple[Link, ...]) -> None:
    """Refuse cycles between KPIs, and money counted twice along a chain of KPIs.

    Value is taken where ``value_per_unit`` is declared; declaring it on a KPI and
    on a KPI downstream of it would count the same money twice.
    """
    for link in links:
        declared = metrics.get(link.business_metric)
        if link.kind == "confusion" and declared is not None and declared.direction != "higher":
            raise RegistryError(
                f"the confusion link into {link.business_metric!r} gives a value (more is "
                f"better), but {link.business_metric!r} is declared lower-is-better; declare it "
                "with --direction higher and money as its unit"
            )
    edges: dict[str, list[str]] = {}
    for link in links:
        if link.ml_metric in metrics:
            edges.setdefault(link.ml_metric, []).append(link.business_metric)

    def reachable(start: str) -> list[str]:
        seen: list[str] = []
        stack = list(edges.get(start, []))
        while stack:
            node = stack.pop()
            if node == start:
                raise RegistryError(
                    f"the links between KPIs form a cycle through {start!r}; a change cannot "
                    "flow back to where it started, so remove one of those links"
                )
            if node not in seen:
                seen.append(node)
                stack.extend(edges.get(node, []))
        return seen

    for kpi in edges:
        below = reachable(kpi)
        if metrics[kpi].value_per_unit is None:
            continue
        priced = [k for k in below if metrics[k].value_per_unit is not None]
        if priced:
            raise RegistryError(
                f"money would be counted twice: {kpi!r} and {priced[0]!r} (downstream of it) "
                "both declare value_per_unit; keep it only where the money is realised "
                f"(usually {priced[0]!r})"
            )


# --------------------------------------------------------------------------- finding


def find_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` that holds a bizml.toml, or None."""
    here = (start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / FILENAME).is_file():
            return folder
    return None


# --------------------------------------------------------------------------- editing


def init_file(
    path: Path,
    *,
    project: str | None = None,
    currency: str | None = None,
    settings: Mapping[str, float] | None = None,
) -> Literal["created", "updated", "unchanged"]:
    """Create bizml.toml at ``path``, or update its [project] with the given values.

    ``settings`` holds project-wide numbers: ``min_annual_value`` (the bar for a
    material result, money per year), ``compute_cost_per_hour`` and ``eng_cost_per_hour``.
    ``currency`` is a code or symbol (:data:`~bizml_nb.core.units.CURRENCY_RULE`).
    """
    unknown = [key for key in settings or {} if key not in SETTING_KEYS]
    if unknown:
        raise RegistryError(f"unknown project setting {unknown[0]!r}; {known(SETTING_KEYS)}")
    if currency is not None and not is_currency_name(currency):
        raise RegistryError(f"currency {currency!r} is not a currency: {CURRENCY_RULE}")

    def mutate(doc: tomlkit.toml_document.TOMLDocument) -> bool:
        import tomlkit

        if "project" not in doc:
            table = tomlkit.table()
            table.add("name", project or path.parent.name)
            table.add("currency", currency or "USD")
            table.add("format", FORMAT_VERSION)
            for key, value in (settings or {}).items():
                table.add(key, value)
            doc.add("project", table)
            return False
        table = doc["project"]
        changes: dict[str, Any] = {"name": project, "currency": currency, **(settings or {})}
        for key, value in changes.items():
            if value is not None and (key not in table or table[key] != value):
                table[key] = value
        return True

    return _edit(path, mutate)


def upsert_metric(path: Path, metric: BusinessMetric) -> Literal["created", "updated", "unchanged"]:
    """Declare ``metric`` in bizml.toml, or update the keys it sets on an existing one.

    Keys the new declaration leaves unset (None) keep their current values.
    """

    def mutate(doc: tomlkit.toml_document.TOMLDocument) -> bool:
        import tomlkit

        if "metrics" not in doc:
            doc.add("metrics", tomlkit.table(is_super_table=True))
        metrics = doc["metrics"]
        if metric.name in metrics:
            table = metrics[metric.name]
            for key, value in metric.to_table().items():
                if key not in table or table[key] != value:
                    table[key] = value
            return True
        table = tomlkit.table()
        for key, value in metric.to_table().items():
            table.add(key, value)
        metrics.add(metric.name, table)
        return False

    return _edit(path, mutate, require_existing=True)


def upsert_link(path: Path, link: Link) -> Literal["created", "updated", "unchanged"]:
    """Declare ``link`` in bizml.toml, replacing an existing link between the same metrics."""

    def mutate(doc: tomlkit.toml_document.TOMLDocument) -> bool:
        import tomlkit

        if "links" not in doc:
            doc.add("links", tomlkit.aot())
        links = doc["links"]
        new = link.to_table()
        for table in links:
            if (
                table.get("ml_metric") == link.ml_metric
                and table.get("business_metric") == link.business_metric
            ):
                for key in [k for k in table if k not in new]:
                    del table[key]
                for key, value in new.items():
                    if key not in table or table[key] != value:
                        table[key] = value
                return True
        table = tomlkit.table()
        for key, value in new.items():
            table.add(key, value)
        links.append(table)
        return False

    return _edit(path, mutate, require_existing=True)


def _edit(
    path: Path,
    mutate: Callable[[tomlkit.toml_document.TOMLDocument], bool],
    *,
    require_existing: bool = False,
) -> Literal["created", "updated", "unchanged"]:
    """Apply ``mutate`` to the file's document, validate the result, write it atomically.

    The whole read-modify-write holds the file's edit lock (``.bizml.toml.lock``
    beside it), so edits by other processes are never lost; a symlinked file is
    edited through its link. ``mutate`` returns whether the item it edits existed.
    """
    import tomlkit
    import tomlkit.exceptions

    from bizml_nb.core._io import WriteError, atomic_write_text, locked, target_of

    folder = target_of(path).parent
    if not folder.is_dir():
        raise WriteError(
            f"cannot write {path}: the folder {folder} does not exist; create it first"
        )
    missing = RegistryError(
        f"no {FILENAME} in {path.parent} or above; run `%bizml init` (or `bizml init`) first"
    )
    if require_existing and not path.exists():
        raise missing  # before taking the lock, which would leave its file behind
    with locked(path, timeout_s=LOCK_TIMEOUT_S):
        if path.exists():
            text = read_text(path)
            Registry.from_text(text, path)  # refuse to edit on top of a broken file
        elif require_existing:
            raise missing
        else:
            text = ""
        try:
            doc = tomlkit.parse(text)
            existed = mutate(doc)
            new_text = tomlkit.dumps(doc)
        except tomlkit.exceptions.TOMLKitError as exc:
            raise RegistryError(f"cannot edit {path}: {exc}") from None
        Registry.from_text(new_text, path)
        if new_text == text:
            return "unchanged"
        atomic_write_text(path, new_text)
    return "updated" if existed else "created"


# --------------------------------------------------------------------------- parsing


class _Parser:
    """Turns the parsed TOML into a Registry, naming file, line and key on errors."""

    def __init__(self, text: str, where: str, path: Path | None) -> None:
        self.lines = text.splitlines()
        self.where = where
        self.path = path

    def registry(self, data: dict[str, Any]) -> Registry:
        for section in data:
            if section not in ("project", "metrics", "links"):
                self.fail(
                    f"unknown section [{section}]{did_you_mean(section, ['project', 'metrics', 'links'])}"
                    "; a bizml.toml holds [project], [metrics.NAME] and [[links]]",
                    header=section,
                    key_line=section,
                )
        project = self.table(data, "project")
        self.check_keys(project, "project", PROJECT_KEYS)
        name = self.string(project, "project", "name", required=False)
        currency = self.string(project, "project", "currency", required=False)
        if currency is not None and not is_currency_name(currency):
            self.fail_key("project", "currency", currency, f"is not a currency: {CURRENCY_RULE}")
        version = project.get("format", FORMAT_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.fail_key("project", "format", version, "must be a whole number such as 1")
        if version > FORMAT_VERSION:
            self.fail_key(
                "project",
                "format",
                version,
                f"this file was written by a newer bizml_nb (format {version}; this one reads "
                f"up to {FORMAT_VERSION}); upgrade with `pip install -U bizml_nb`",
            )
        settings: dict[str, float] = {}
        for key in SETTING_KEYS:
            value = self.number(project, "project", key)
            if value is not None and value < 0:
                self.fail_key("project", key, value, "must not be negative")
            if value is not None:
                settings[key] = value
        metrics = {}
        for metric_name, table in self.table(data, "metrics").items():
            metrics[metric_name] = self.metric(metric_name, table)
        links = self.links(data.get("links", []), metrics)
        try:
            return Registry(self.path, name, currency or "USD", metrics, tuple(links), **settings)
        except RegistryError as exc:
            self.fail(str(exc), header="links")

    def metric(self, name: str, table: Any) -> BusinessMetric:
        section = f"metrics.{_key(name)}"
        if not isinstance(table, dict):
            self.fail(f"metrics.{name} must be a table [metrics.{name}]", header="metrics")
        self.check_keys(table, section, METRIC_KEYS)
        direction = self.string(table, section, "direction")
        if direction not in DIRECTIONS:
            self.fail_key(section, "direction", direction, "must be 'higher' or 'lower'")
        try:
            return BusinessMetric(
                name=name,
                unit=self.string(table, section, "unit"),
                direction=direction,
                baseline=self.number(table, section, "baseline"),
                target=self.number(table, section, "target"),
                value_per_unit=self.number(table, section, "value_per_unit"),
                owner=self.string(table, section, "owner", required=False),
                description=self.string(table, section, "description", required=False),
                traffic_per_week=self.number(table, section, "traffic_per_week"),
                test_weeks=self.number(table, section, "test_weeks"),
                std=self.number(table, section, "std"),
            )
        except InvalidValue as exc:
            self.fail_key(section, exc.key, table.get(exc.key), exc.problem)

    def links(self, raw: Any, metrics: Mapping[str, BusinessMetric]) -> list[Link]:
        if not isinstance(raw, list):
            self.fail("links must be an array of tables, written [[links]]", header="links")
        links: list[Link] = []
        seen: set[tuple[str, str]] = set()
        for index, table in enumerate(raw):
            section = f"links[{index}]"
            if not isinstance(table, dict):
                self.fail(f"{section} must be a table", header="links")
            kind = self.string(table, section, "kind", required=False) or "linear"
            if kind not in LINK_KINDS:
                self.fail_key(
                    section, "kind", kind, f"unknown link kind{did_you_mean(kind, LINK_KINDS)}"
                )
            spec = LINK_KINDS[kind]
            self.check_keys(table, section, LINK_COMMON_KEYS + spec.keys)
            ml_metric = self.string(table, section, "ml_metric")
            business = self.string(table, section, "business_metric")
            if business not in metrics:
                self.fail_key(
                    section,
                    "business_metric",
                    business,
                    f"is not a declared business metric{did_you_mean(business, metrics)}; "
                    f"{known(metrics)}",
                )
            if (ml_metric, business) in seen:
                self.fail_key(
                    section, "ml_metric", ml_metric, f"a second link {ml_metric} -> {business}"
                )
            seen.add((ml_metric, business))
            params = {
                key: self.typed(table, section, key, spec.types[key])
                for key in spec.keys
                if key in table
            }
            if ml_metric in metrics and not spec.chainable:
                self.fail_key(
                    section,
                    "ml_metric",
                    ml_metric,
                    "is a business metric; only linear and fitted links may start at a KPI",
                )
            source = self.string(table, section, "source", required=False)
            try:
                link = Link(ml_metric, business, kind, params, source)
            except InvalidValue as exc:
                problem = f"{exc.problem} (link {ml_metric} -> {business})"
                self.fail_key(section, exc.key, table.get(exc.key), problem)
            except RegistryError as exc:
                self.fail(str(exc), line=self.header_line(section))
            links.append(link)
        return links

    # -- typed accessors

    def table(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.fail(f"{name} must be a table, written [{name}]", key_line=name)
        return cast("dict[str, Any]", value)

    def check_keys(self, table: dict[str, Any], section: str, allowed: tuple[str, ...]) -> None:
        for key, value in table.items():
            if key not in allowed:
                self.fail_key(
                    section,
                    key,
                    value,
                    f"is not a known key{did_you_mean(key, allowed)}; {known(allowed)}",
                )

    def string(
        self, table: dict[str, Any], section: str, key: str, *, required: bool = True
    ) -> Any:
        if key not in table:
            if required:
                self.fail(
                    f"[{section}] needs a {key} key",
                    line=self.header_line(section),
                )
            return None
        value = table[key]
        if not isinstance(value, str):
            self.fail_key(section, key, value, "must be a string (in quotes)")
        return value

    def number(self, table: dict[str, Any], section: str, key: str) -> float | None:
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail_key(section, key, value, "must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            self.fail_key(section, key, value, "must be a finite number")
        if abs(value) > LARGEST:  # before float(), which a huge whole number overflows
            self.fail_key(section, key, value, out_of_range(key, value) or TOO_LARGE)
        return float(value)

    def typed(self, table: dict[str, Any], section: str, key: str, kind: str) -> Any:
        """Read a link parameter written as ``kind`` (see LinkKind.types)."""
        if kind == "pair":
            return self.pair(table, section, key)
        if kind == "matrix":
            value = table[key]
            if not isinstance(value, list) or len(value) != 2:
                self.fail_key(section, key, value, "must be [[TN, FP], [FN, TP]]")
            return tuple(self.pair({key: row}, section, key) for row in value)
        if kind == "count":
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.fail_key(section, key, value, "must be a whole number")
            return value
        if kind == "text":
            return self.string(table, section, key)
        return self.number(table, section, key)

    def pair(self, table: dict[str, Any], section: str, key: str) -> tuple[float, float]:
        value = table[key]
        if (
            not isinstance(value, list)
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value)
        ):
            self.fail_key(section, key, value, "must be two numbers [low, high]")
        if not all(isinstance(v, int) or math.isfinite(v) for v in value):
            self.fail_key(section, key, value, "must be finite numbers")
        largest = max(value, key=abs)
        if abs(largest) > LARGEST:  # before float(), which a huge whole number overflows
            self.fail_key(section, key, value, out_of_range(key, largest) or TOO_LARGE)
        return (float(value[0]), float(value[1]))

    # -- errors with file and line

    def fail(
        self,
        message: str,
        *,
        line: int | None = None,
        header: str | None = None,
        key_line: str | None = None,
    ) -> NoReturn:
        if line is None and header is not None:
            line = self.header_line(header)
        if line is None and key_line is not None:
            line = self.key_line(None, key_line)
        at = f", line {line}" if line else ""
        raise RegistryError(f"{self.where}{at}: {message}")

    def fail_key(self, section: str, key: str, value: Any, problem: str) -> NoReturn:
        line = self.key_line(section, key) or self.header_line(section)
        text = f" = {shown(value)}" if value is not None else ""
        raise RegistryError(f"{self.where}{_at(line)}: {section}.{key}{text} {problem}")

    def header_line(self, section: str) -> int | None:
        target, index = _split_index(section)
        count = -1
        for number, header, is_array in self._headers():
            if index is None and header[: len(target)] == target:
                return number
            if index is not None and is_array and header == target:
                count += 1
                if count == index:
                    return number
        return None

    def key_line(self, section: str | None, key: str) -> int | None:
        """The 1-based line where ``key`` is set inside ``section`` (best effort)."""
        target, index = _split_index(section) if section else ([], None)
        current: list[str] = []
        current_index = -1
        key_re = re.compile(r"^\s*(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))\s*=")
        seen_arrays: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(self.lines, start=1):
            header = _parse_header(line)
            if header is not None:
                current, is_array = header
                if is_array:
                    seen_arrays[tuple(current)] = seen_arrays.get(tuple(current), -1) + 1
                    current_index = seen_arrays[tuple(current)]
                else:
                    current_index = -1
                continue
            if current != target or (index is not None and current_index != index):
                continue
            match = key_re.match(line)
            if match and next(g for g in match.groups() if g is not None) == key:
                return number
        return None

    def _headers(self) -> list[tuple[int, list[str], bool]]:
        found = []
        for number, line in enumerate(self.lines, start=1):
            header = _parse_header(line)
            if header is not None:
                found.append((number, header[0], header[1]))
        return found


_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
_PART_RE = re.compile(r"\"([^\"]*)\"|'([^']*)'|([^.\s\"']+)")


def _parse_header(line: str) -> tuple[list[str], bool] | None:
    match = _HEADER_RE.match(line)
    if not match:
        return None
    parts = [next(g for g in m.groups() if g is not None) for m in _PART_RE.finditer(match[2])]
    return parts, match[1] == "[["


def _section_parts(section: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in _PART_RE.finditer(section)]


def _split_index(section: str) -> tuple[list[str], int | None]:
    """``links[2]`` -> (['links'], 2); any other section -> (its parts, None)."""
    match = re.fullmatch(r"(\w+)\[(\d+)\]", section)
    if match:
        return [match[1]], int(match[2])
    return _section_parts(section), None


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace('"', '\\"') + '"'


def _at(line: int | None) -> str:
    return f", line {line}" if line else ""
