"""A business metric (KPI): its declared fields and their checks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from bizml_nb.core.errors import InvalidValue
from bizml_nb.core.limits import out_of_range, shown
from bizml_nb.core.registry.fields import declared, specs

DIRECTIONS = ("higher", "lower")
Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class BusinessMetric:
    """A business metric (KPI) the team is judged on.

    ``value_per_unit`` is what +1 unit of the metric is worth per year, in the
    project currency. Its sign must agree with ``direction``: when higher is
    better, +1 unit earns money (positive); when lower is better, +1 unit costs
    money (negative).
    """

    name: str
    unit: str = field(
        metadata=declared(
            "ratio, percent, a currency code, or any other word (count, hours...)",
            kind="text",
            required=True,
        )
    )
    direction: Direction = field(
        metadata=declared(
            "which way is better for the business", kind="text", required=True, choices=DIRECTIONS
        )
    )
    baseline: float | None = field(default=None, metadata=declared("the KPI's level today"))
    target: float | None = field(
        default=None,
        metadata=declared("the level the team is asked to reach; not worse than baseline"),
    )
    value_per_unit: float | None = field(
        default=None,
        metadata=declared(
            "money per year for +1 unit of the KPI: positive when higher is better, "
            "negative when lower is better"
        ),
    )
    owner: str | None = field(
        default=None, metadata=declared("who answers for this KPI", kind="text")
    )
    description: str | None = field(
        default=None, metadata=declared("what the KPI measures", kind="text")
    )
    traffic_per_week: float | None = field(
        default=None,
        metadata=declared(
            "units an A/B test can randomise per week, both arms together (each arm gets "
            "half): cards then show what a test can detect"
        ),
    )
    test_weeks: float | None = field(
        default=None, metadata=declared("length of an A/B test in weeks (default 2)")
    )
    std: float | None = field(
        default=None,
        metadata=declared("per-unit standard deviation of a continuous (non-ratio) KPI"),
    )

    def __post_init__(self) -> None:
        try:
            self._check()
        except InvalidValue as exc:
            raise exc.with_prefix(f"metric {self.name!r}: ") from None

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
        for key in NUMBER_KEYS:
            value = getattr(self, key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidValue(key, f"must be a number (not {shown(value)})")
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidValue(key, f"must be a finite number (not {value!r})")
            check_range(key, value)
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


#: the keys of a ``[metrics.NAME]`` table, in canonical order: the declared fields
METRIC_KEYS: tuple[str, ...] = tuple(specs(BusinessMetric))
NUMBER_KEYS: tuple[str, ...] = tuple(
    k for k, s in specs(BusinessMetric).items() if s.kind == "number"
)


def check_range(key: str, value: float) -> None:
    """Refuse a number outside the range ``key`` may take (see :mod:`bizml_nb.core.limits`)."""
    problem = out_of_range(key, value)
    if problem is not None:
        raise InvalidValue(key, problem)
