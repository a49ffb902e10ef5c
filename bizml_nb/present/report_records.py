"""What the report may show from a notebook's records: a rule for every field it reads.

The report states figures from the ROI, maturity, monitoring and capacity records of
executed notebooks. A figure is shown only when it means what its field claims: a
probability or a share lies in [0, 1], money within the ``+-1e15`` money limit
(:data:`bizml_nb.finance.roi.MONEY_LIMIT`), a cost is not negative, a count is a whole number
from 0, a level is one of its scale's, a currency a short code or symbol. A record
that breaks a rule is damaged and its notebook is left out of the report.

The report reads these fields: of an ROI record ``npv``, ``p_npv_positive``,
``payback_month`` and ``defaults`` (all required: the report states each) and
``currency`` (its money is shown in it); of a maturity record ``level`` and
``google_level`` (required) and ``next_steps``; of monitoring and capacity records
the first :data:`LISTED` fields, among those in :data:`RULES`, whose values are text,
numbers or flags. A field without a rule is never shown: its meaning is unknown.

>>> damage("roi", {"npv": 1e6, "p_npv_positive": 5.0, "payback_month": 7, "defaults": []})
'p_npv_positive is 5.0, not a probability (a number from 0 to 1)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bizml_nb.core.limits import bound, shown
from bizml_nb.core.units import CURRENCY_RULE, is_currency_name
from bizml_nb.finance.roi import MAX_YEARS, MONEY_LIMIT

if TYPE_CHECKING:
    from collections.abc import Callable

LISTED = 8  # fields listed from a monitoring or capacity record
LARGEST = 1e15  # of a count or a quantity: beyond it, a figure in the wrong unit


@dataclass(frozen=True)
class Rule:
    """What a field must be, in words (``what``), and the test of a value (``holds``)."""

    what: str
    holds: Callable[[Any], bool]
    nullable: bool = False  # JSON null is a value the field may hold


def _number(low: float, high: float, *, whole: bool = False) -> Callable[[Any], bool]:
    def holds(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if isinstance(value, float) and not (
            math.isfinite(value) and (value.is_integer() or not whole)
        ):
            return False
        return low <= value <= high

    return holds


def _texts(value: Any, size: int | None = None) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, str) if size is None else _pair(item, size) for item in value
    )


def _pair(item: Any, size: int) -> bool:
    return isinstance(item, list) and len(item) == size and all(isinstance(x, str) for x in item)


PROBABILITY = Rule("a probability (a number from 0 to 1)", _number(0, 1))
SHARE = Rule("a share (a number from 0 to 1)", _number(0, 1))
MONEY = Rule(
    f"an amount of money (a number from -{bound(MONEY_LIMIT)} to {bound(MONEY_LIMIT)})",
    _number(-MONEY_LIMIT, MONEY_LIMIT),
)
COST = Rule(f"an amount of money from 0 to {bound(MONEY_LIMIT)}", _number(0, MONEY_LIMIT))
COUNT = Rule(
    f"a count (a whole number from 0 to {bound(LARGEST)})", _number(0, LARGEST, whole=True)
)
QUANTITY = Rule(f"a quantity (a number from 0 to {bound(LARGEST)})", _number(0, LARGEST))
MONTH = Rule(
    f"a month of the horizon (a whole number from 1 to {12 * MAX_YEARS}) or null",
    _number(1, 12 * MAX_YEARS, whole=True),
    nullable=True,
)
VERSION = Rule("a version (a whole number from 1)", _number(1, LARGEST, whole=True))
TEXT = Rule("text", lambda value: isinstance(value, str))
FLAG = Rule("true or false", lambda value: isinstance(value, bool))
NAMES = Rule("a list of names (text)", _texts)
STEPS = Rule("a list of [dimension, step] pairs of text", lambda value: _texts(value, 2))
CURRENCY = Rule(f"a currency: {CURRENCY_RULE}", is_currency_name)
LEVEL = Rule("a level of Microsoft's scale (a whole number from 0 to 4)", _number(0, 4, whole=True))
GOOGLE_LEVEL = Rule(
    "a level of Google's scale (a whole number from 0 to 2)", _number(0, 2, whole=True)
)
_COMMON = {"format": TEXT, "version": VERSION, "template": TEXT, "summary": TEXT}

# Every field the report reads, by kind of record. Monitoring: the fields of
# MonitorResult.record() and of the silent_failure_monitoring template's decision record;
# capacity: CapacityPlan.record() and the scalability_planning template's record.
RULES: dict[str, dict[str, Rule]] = {
    "roi": {
        "npv": MONEY,
        "p_npv_positive": PROBABILITY,
        "payback_month": MONTH,
        "defaults": NAMES,
        "currency": CURRENCY,
    },
    "maturity": {"level": LEVEL, "google_level": GOOGLE_LEVEL, "next_steps": STEPS},
    "monitor": {
        **_COMMON,
        "reference_rows": COUNT,
        "thresholds": TEXT,
        "decision": TEXT,
        "reason": TEXT,
        "data": TEXT,
        "drift": TEXT,
        "currency": CURRENCY,
        "estimated_value_change_per_year": MONEY,
        "realised_value_change_per_year": MONEY,
        "reference_value_per_year": MONEY,
        "estimated_value_change_se": COST,
        "estimated_accuracy": SHARE,
        "reference_accuracy": SHARE,
        "realised_accuracy": SHARE,
        "chunks": COUNT,
        "recent_chunks": COUNT,
        "sustained_at": COUNT,
        "generated": FLAG,
        "labels_used": FLAG,
        "estimate_missed_a_loss": FLAG,
    },
    "capacity": {
        **_COMMON,
        "model_name": TEXT,
        "prices": TEXT,
        "currency": CURRENCY,
        "memory_per_replica_gb": QUANTITY,
        "in_flight": QUANTITY,
        "replicas": COUNT,
        "hosts": COUNT,
        "replicas_per_host": COUNT,
        "cost_per_hour": COST,
        "yearly_cost": COST,
        "annual_benefit": MONEY,
    },
}
REQUIRED = {
    "roi": ("npv", "p_npv_positive", "payback_month", "defaults"),
    "maturity": ("level", "google_level"),
}


def damage(kind: str, record: Any) -> str:
    """Why ``record`` (of ``kind``: roi, maturity, monitor, capacity) cannot be shown,
    naming the field; "" when it can."""
    if not isinstance(record, dict):
        return f"a {type(record).__name__}, not a JSON object"
    for key in REQUIRED.get(kind, ()):
        if key not in record:
            return f"{key} is missing"
    listing = kind not in REQUIRED
    for key, rule in RULES[kind].items():
        if key not in record:
            continue
        value = record[key]
        if listing and not _scalar(value):
            continue  # lists and tables of these records are not shown
        if value is None and rule.nullable:
            continue
        if not rule.holds(value):
            return f"{key} is {shown(value)}, not {rule.what}"
    return ""


def listed(kind: str, record: dict[str, Any]) -> list[tuple[str, Any]]:
    """The fields a monitoring or capacity record shows: the first :data:`LISTED` that
    have a rule and a value that is text, a number or a flag, in the record's order."""
    rules = RULES[kind]
    return [(k, v) for k, v in record.items() if k in rules and _scalar(v)][:LISTED]


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float)  # a flag is an int; null is not listed
