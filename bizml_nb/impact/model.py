"""The typed results of an impact estimate: ranges, contributions, cost, verdict, impact.

These are plain frozen dataclasses with no behaviour beyond arithmetic on ranges and
their JSON records (:meth:`Impact.to_record`, stored beside each run in notebook
outputs: its format is a contract, so keys, order and values never change).
Everything that *computes* them lives beside: :mod:`bizml_nb.impact.links` (what each
link says), :mod:`bizml_nb.impact.verdict` (the verdict rules) and
:mod:`bizml_nb.impact.engine` (:func:`~bizml_nb.impact.engine.estimate`,
:func:`~bizml_nb.impact.engine.for_run`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bizml_nb.core.registry import BusinessMetric, Link


# --------------------------------------------------------------------------- ranges


@dataclass(frozen=True)
class Range:
    """A central estimate with a low and a high end (low <= mid <= high)."""

    low: float
    mid: float
    high: float

    def __add__(self, other: Range) -> Range:
        return Range(self.low + other.low, self.mid + other.mid, self.high + other.high)

    def scaled(self, factor: float) -> Range:
        """Every end times ``factor``; the ends swap when ``factor`` is negative."""
        low, high = sorted((self.low * factor, self.high * factor))
        return Range(low, self.mid * factor, high)

    def to_list(self) -> list[float]:
        return [self.low, self.mid, self.high]


def all_finite(values: list[float]) -> bool:
    """Whether every number of ``values`` is finite (no inf, no NaN)."""
    return all(math.isfinite(v) for v in values)


# --------------------------------------------------------------------------- parts


@dataclass(frozen=True)
class Contribution:
    """What one link says about a run: the change it implies for its KPI."""

    link: Link
    ml_value: float
    reference: float
    reference_from: str  # "baseline run", "ml_baseline" or "KPI baseline"
    business_delta: Range
    evidence: str | None = None  # fitted links: the evidence in words

    @property
    def ml_delta(self) -> float:
        return self.ml_value - self.reference

    @property
    def no_evidence(self) -> bool:
        """A fitted link whose history shows no reliable relation."""
        return self.link.params.get("grade") == "none"

    def to_record(self) -> dict[str, Any]:
        return {
            "ml_metric": self.link.ml_metric,
            "kind": self.link.kind,
            "ml_value": self.ml_value,
            "reference": self.reference,
            "reference_from": self.reference_from,
            "ml_delta": self.ml_delta,
            "business_delta": self.business_delta.to_list(),
            "grade": self.link.params.get("grade"),
            "source": self.link.source,
        }


@dataclass(frozen=True)
class ChainStep:
    """A KPI further down the metric tree, and how much the run moves it."""

    kpi: BusinessMetric
    path: tuple[str, ...]  # e.g. ("take_rate", "cancellation_rate")
    delta: Range

    def to_record(self) -> dict[str, Any]:
        return {"kpi": self.kpi.name, "path": list(self.path), "delta": self.delta.to_list()}


@dataclass(frozen=True)
class Cost:
    """What a run cost: compute time and engineering time, in the project currency."""

    compute: float | None
    engineering: float | None

    @property
    def total(self) -> float:
        return (self.compute or 0.0) + (self.engineering or 0.0)


# --------------------------------------------------------------------------- verdict


class VerdictLabel(StrEnum):
    """The verdict on a run's value; each value is the word stored in the record's ``label``.

    Whether an A/B test could see the change is a second, separate question
    (:attr:`Verdict.measurable`): a run can be ``material`` and not measurable.
    """

    MATERIAL = "material"
    NOT_MATERIAL = "not material"
    UNCERTAIN = "uncertain"
    HARMFUL = "harmful"

    @classmethod
    def from_record(cls, impact: Mapping[str, Any] | None) -> VerdictLabel | None:
        """The label of an impact record (:meth:`Impact.to_record`); None without a verdict.

        It reads the record's ``verdict.label`` field, never the verdict's text. A label
        that is not one of the four is a ``ValueError`` naming it.

        >>> VerdictLabel.from_record({"verdict": {"label": "not material"}})
        <VerdictLabel.NOT_MATERIAL: 'not material'>
        >>> VerdictLabel.from_record({"verdict": None}) is None
        True
        """
        if impact is None:
            return None
        verdict = impact.get("verdict")
        if verdict is None:
            return None
        if not isinstance(verdict, Mapping):
            raise ValueError(f"an impact record's verdict is an object, not {verdict!r}")
        return cls.parse(verdict.get("label"))

    @classmethod
    def parse(cls, label: object) -> VerdictLabel:
        """``label`` (a record's label field) as a :class:`VerdictLabel`, or ``ValueError``."""
        if isinstance(label, str) and label in cls._value2member_map_:
            return cls(label)
        known = ", ".join(repr(member.value) for member in cls)
        raise ValueError(f"unknown verdict label {label!r}; a label is one of {known}")


#: The name version 0.1 gave the verdict's label type.
Label = VerdictLabel


class VerdictReason(Enum):
    """Why a verdict is what it is: the rule of :func:`~bizml_nb.impact.verdict.verdict` that decided."""

    LOSES_MONEY = "even the high end of the yearly value is below zero"
    WRONG_WAY = "unpriced, and even the high end moves the KPI the wrong way"
    NOT_PRICED = "unpriced: materiality cannot be judged without a value_per_unit"
    CLEARS_BAR = "the whole range is a gain and the mid clears the materiality bar"
    GAIN_WITHOUT_BAR = "the whole range is a gain and no materiality bar is set"
    BELOW_BAR = "even the high end is below the materiality bar"
    SPANS_ZERO = "the range spans zero"
    SPANS_BAR = "the range spans the materiality bar"
    INTERVAL_UNKNOWN = (
        "a link the figure rests on has an unknown 90% interval: its range is a stand-in"
    )


@dataclass(frozen=True)
class Verdict:
    """A plain verdict on a run's value, with whether an A/B test could see it.

    ``label`` and ``reason`` are what code decides on; ``text`` is the sentence a card
    shows (its words may change, the label's never do).
    """

    label: VerdictLabel
    text: str
    measurable: bool | None = None  # None when the KPI declares no traffic
    mde: float | None = None  # in KPI units
    reason: VerdictReason | None = None  # None when read back from a record

    @property
    def title(self) -> str:
        """``material``, or ``not material, not measurable`` and so on."""
        return self.label.value + (", not measurable" if self.measurable is False else "")

    def to_record(self) -> dict[str, Any]:
        return {
            "label": self.label.value,
            "measurable": self.measurable,
            "mde": self.mde,
            "text": self.text,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Verdict:
        """A verdict read back from its record (:meth:`to_record`); the label must be known."""
        mde = record.get("mde")
        measurable = record.get("measurable")
        return cls(
            VerdictLabel.parse(record.get("label")),
            str(record.get("text", "")),
            measurable if isinstance(measurable, bool) else None,
            float(mde) if isinstance(mde, int | float) and not isinstance(mde, bool) else None,
        )


# --------------------------------------------------------------------------- impact


@dataclass(frozen=True)
class Impact:
    """The predicted business effect of one run: on its KPI, down the tree, in money."""

    kpi: BusinessMetric
    currency: str
    contributions: tuple[Contribution, ...] = ()
    notes: tuple[str, ...] = ()
    is_baseline: bool = False
    business_delta: Range | None = None
    chain: tuple[ChainStep, ...] = ()
    value_per_year: Range | None = None
    cost: Cost | None = None
    verdict: Verdict | None = None
    min_annual_value: float = 0.0

    @property
    def label(self) -> VerdictLabel | None:
        """The verdict's label (None for a baseline run or a run with no estimate)."""
        return self.verdict.label if self.verdict is not None else None

    @property
    def relative_delta(self) -> Range | None:
        """The change relative to the KPI's declared baseline (0.05 = 5 %)."""
        delta = self.business_delta
        if delta is None or not self.kpi.baseline:
            return None
        relative = delta.scaled(1 / abs(self.kpi.baseline))
        return relative if all_finite(relative.to_list()) else None

    @property
    def progress(self) -> float | None:
        """The share of the baseline-to-target gap the mid estimate closes (1.0 = reached)."""
        delta, kpi = self.business_delta, self.kpi
        if delta is None or kpi.baseline is None or kpi.target is None:
            return None
        gap = kpi.target - kpi.baseline
        if gap == 0:
            return None
        share = delta.mid / gap
        return share if math.isfinite(share) else None

    def to_record(self) -> dict[str, Any]:
        """The JSON-able summary stored beside the run in notebook outputs."""
        delta, value, relative = self.business_delta, self.value_per_year, self.relative_delta
        return {
            "kpi": self.kpi.name,
            "unit": self.kpi.unit,
            "currency": self.currency,
            "is_baseline": self.is_baseline,
            "contributions": [c.to_record() for c in self.contributions],
            "business_delta": delta.to_list() if delta else None,
            "relative_delta": relative.to_list() if relative else None,
            "chain": [step.to_record() for step in self.chain],
            "value_per_year": value.to_list() if value else None,
            "progress": self.progress,
            "cost": None
            if self.cost is None
            else {"compute": self.cost.compute, "engineering": self.cost.engineering},
            "verdict": None if self.verdict is None else self.verdict.to_record(),
            "min_annual_value": self.min_annual_value,
            "notes": list(self.notes),
        }


__all__ = [
    "ChainStep",
    "Contribution",
    "Cost",
    "Impact",
    "Label",
    "Range",
    "Verdict",
    "VerdictLabel",
    "VerdictReason",
    "all_finite",
]
