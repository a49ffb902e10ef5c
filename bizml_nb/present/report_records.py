"""What the report shows from a notebook's records: a rule for every field it reads, and its words.

The report states figures from the ROI, maturity, monitoring and capacity records of
executed notebooks. A figure is shown only when it means what its field claims: a
probability or a share lies in [0, 1], money within the ``+-1e15`` money limit
(:data:`bizml_nb.finance.roi.MONEY_LIMIT`), a cost is not negative, a count is a whole number
from 0, a level is one of its scale's, a currency a short code or symbol. A record
that breaks a rule is damaged and its notebook is left out of the report.

The report reads the fields in :data:`RULES` (those in :data:`REQUIRED` must be there).
A field without a rule is never shown: its meaning is unknown. :func:`section` words a
record for people: each figure with its unit and range, through the cards' formatting
functions, and "illustration" beside every figure from an illustrative input.

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
from bizml_nb.present.report_words import EXAMPLE_TEAM, ILLUSTRATION, Line, User, currency_of

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
MONEYS = Rule(
    f"three amounts of money (numbers from -{bound(MONEY_LIMIT)} to {bound(MONEY_LIMIT)})",
    lambda value: (
        isinstance(value, list)
        and len(value) == 3
        and all(_number(-MONEY_LIMIT, MONEY_LIMIT)(v) for v in value)
    ),
)
_COMMON = {"format": TEXT, "version": VERSION, "template": TEXT, "summary": TEXT}

# Every field the report reads, by kind of record. Monitoring: the fields of
# MonitorResult.record() and of the silent_failure_monitoring template's decision record;
# capacity: CapacityPlan.record() and the scalability_planning template's record.
RULES: dict[str, dict[str, Rule]] = {
    "roi": {
        "project": TEXT,
        "decision": TEXT,
        "benefit_from": TEXT,
        "npv_p10_p50_p90": MONEYS,
        "npv": MONEY,
        "p_npv_positive": PROBABILITY,
        "payback_month": MONTH,
        "defaults": NAMES,
        "currency": CURRENCY,
    },
    "maturity": {
        "level": LEVEL,
        "google_level": GOOGLE_LEVEL,
        "next_steps": STEPS,
        "level_name": TEXT,
        "organisation": TEXT,
    },
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
        "estimated_accuracy_se": SHARE,
        "reference_accuracy": SHARE,
        "realised_accuracy": SHARE,
        "chunks": COUNT,
        "recent_chunks": COUNT,
        "sustained_at": COUNT,
        "generated": FLAG,
        "labels_used": FLAG,
        "estimate_missed_a_loss": FLAG,
        "sustained_alerts": NAMES,
        "isolated_alerts": NAMES,
        "alerted_chunks": NAMES,
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
        if listing and not _scalar(value) and rule is not NAMES:
            continue  # tables of these records are read only where their shape holds
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


# --------------------------------------------------------------------------- words


def words(name: str) -> str:
    """A field or input name as people read it: ``cloud_per_year`` -> ``cloud per year``."""
    return name.replace("_", " ")


def roi_illustrative(record: dict[str, Any]) -> str:
    """Why an ROI record's figures are an illustration ("" when nothing says they are):
    inputs left at the template's illustrative defaults, or a benefit said to be illustrative."""
    defaults = [words(str(name)) for name in record.get("defaults", [])]
    if defaults:
        return f"{ILLUSTRATION}: inputs left at the template's defaults ({', '.join(defaults)})"
    if "illustrat" in str(record.get("benefit_from", "")).lower():
        return f"{ILLUSTRATION}: the benefit's figures are illustrative"
    return ""


def roi_of_a_run(record: dict[str, Any]) -> bool:
    """Whether an ROI record's benefit was given (a run's value), not the template's example."""
    return "annual_benefit" not in record.get("defaults", [])


def roi_case(record: dict[str, Any], cur: str) -> Line:
    """An ROI record's NPV (with its 10-90% range when recorded) and P(NPV > 0), in the
    record's currency when it names one, with "illustration" beside them when they are."""
    from bizml_nb.core import units

    cur = record.get("currency") or cur
    text, notes = f"NPV {units.money(record['npv'], cur, signed=True)}", []
    spread = record.get("npv_p10_p50_p90")
    if isinstance(spread, list) and len(spread) == 3:
        low, high = (units.money(v, cur, signed=True) for v in (spread[0], spread[2]))
        text, notes = f"{text} [{low}, {high}]", ["10% to 90% of simulated futures"]
    notes += [ILLUSTRATION] if roi_illustrative(record) else []
    text += f" ({'; '.join(notes)})" if notes else ""
    return [text + f", P(NPV > 0) {units.percent(record['p_npv_positive'])}"]


def section(kind: str, record: dict[str, Any], cur: str) -> list[Line]:
    """A record's lines for people, in pieces: ROI, maturity, monitoring or capacity."""
    from bizml_nb.present.report_monitoring import monitor_lines

    return {"roi": _roi, "maturity": _maturity, "monitor": monitor_lines, "capacity": _capacity}[
        kind
    ](record, cur)


def _roi(record: dict[str, Any], cur: str) -> list[Line]:
    lines: list[Line] = []
    if isinstance(record.get("project"), str):
        decision = record.get("decision")
        lines.append(
            ["Project ", User(repr(record["project"]))]
            + ([": ", User(decision)] if isinstance(decision, str) else [])
        )
    lines.append(roi_case(record, cur))
    payback = record.get("payback_month")
    lines.append([f"Payback in month {payback}"] if payback else ["No payback within the horizon"])
    if isinstance(record.get("benefit_from"), str):
        lines.append(["Benefit from: ", User(record["benefit_from"])])
    note = roi_illustrative(record)
    lines.append([note[0].upper() + note[1:]] if note else ["Every input was given."])
    return lines


def _maturity(record: dict[str, Any], _cur: str) -> list[Line]:
    name = record.get("level_name")
    team = record.get("organisation")
    level: Line = [f"Level {record['level']}"]
    level += [" (", User(name), ")"] if isinstance(name, str) else []
    level.append(f" on Microsoft's 0-4 scale, level {record['google_level']} on Google's 0-2 scale")
    if isinstance(team, str):
        level += [" for ", User(team)]
    if team == EXAMPLE_TEAM:
        level.append(f" ({ILLUSTRATION}: the template's example team)")
    steps = record.get("next_steps", [])
    return [
        level,
        *(
            ["Next step (", User(str(step[0])), "): ", User(str(step[1]))]
            for step in steps[:3]
            if isinstance(step, list) and len(step) == 2
        ),
    ]


def _capacity(record: dict[str, Any], cur: str) -> list[Line]:
    from bizml_nb.core import units
    from bizml_nb.finance.capacity.words import size

    cur = currency_of(record, cur)
    prices = str(record.get("prices", ""))
    note = (
        f" ({ILLUSTRATION}: the default price table, not quotes)" if "illustrat" in prices else ""
    )
    lines: list[Line] = []
    if isinstance(record.get("model_name"), str):
        lines.append(["Model: ", User(record["model_name"])])
    instance = record.get("instance")
    hosts = record.get("hosts")
    if isinstance(instance, dict) and isinstance(instance.get("name"), str):
        text: Line = [f"Instance: {hosts} x " if isinstance(hosts, int) else "Instance: "]
        text.append(User(instance["name"]))
        if isinstance(instance.get("memory_gb"), int | float):
            text.append(f" ({size(instance['memory_gb'])} of memory")
            if isinstance(instance.get("cost_per_hour"), int | float):
                text.append(f", {units.money(instance['cost_per_hour'], cur)} an hour")
            text.append(")")
        lines.append(text + ([note] if note else []))
    if isinstance(record.get("replicas"), int):
        in_flight = record.get("in_flight")
        lines.append(
            [f"Replicas: {record['replicas']}"]
            + (
                [f" (about {units.number(in_flight)} requests in flight at once)"]
                if isinstance(in_flight, int | float)
                else []
            )
        )
    if isinstance(record.get("memory_per_replica_gb"), int | float):
        lines.append([f"Memory per replica: {size(record['memory_per_replica_gb'])}"])
    if isinstance(record.get("yearly_cost"), int | float):
        lines.append([f"Yearly cost: {units.money(record['yearly_cost'], cur)}/yr{note}"])
    lines.append(
        [
            "Why: the replicas serve the requests in flight at the target utilisation, on the "
            "cheapest instance that holds them"
            + (" in the illustrative default price table" if note else " at the prices given")
            + "."
        ]
    )
    return lines
