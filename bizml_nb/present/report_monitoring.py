"""The report's monitoring section: the decision, the estimates with their ranges, the alerts.

Words a monitoring record (the silent_failure_monitoring template's decision record or
``MonitorResult.record()``) for people: estimated accuracy and the value at risk per
year with their 90% ranges, the columns and the chunks that alerted, and the caution
about concept drift.
"""

from __future__ import annotations

import re
from typing import Any

from bizml_nb.present.report_words import ILLUSTRATION, Z90, Line, User, currency_of, floats


def monitor_lines(record: dict[str, Any], cur: str) -> list[Line]:
    cur = currency_of(record, cur)
    note = f" ({ILLUSTRATION}: generated data)" if record.get("generated") is True else ""
    lines: list[Line] = []
    if isinstance(record.get("decision"), str):
        reason = record.get("reason")
        lines.append(
            ["Decision: ", User(record["decision"])]
            + ([" (", User(reason), ")"] if isinstance(reason, str) else [])
        )
    if isinstance(record.get("data"), str):
        lines.append(["Data: ", User(record["data"])])
    lines += _monitor_estimates(record, cur, note)
    alerted = _alerts(record)
    lines.append(alerted if alerted else ["No drift or performance alert."])
    chunks = _alerted_chunks(record)
    lines += [chunks] if chunks else []
    lines.append(
        [
            "Caution: the estimate assumes that what the model predicts still relates to the "
            "outcome as it did in the reference (no concept drift), which no estimate without "
            "labels can see; compare it with the labels as they arrive."
        ]
    )
    return lines


def _monitor_estimates(record: dict[str, Any], cur: str, note: str) -> list[Line]:
    """Estimated accuracy and the yearly value at risk, each with its 90% range."""
    return _monitor_accuracy(record, note) + _monitor_value(record, cur, note)


def _monitor_accuracy(record: dict[str, Any], note: str) -> list[Line]:
    from bizml_nb.core import units

    lines: list[Line] = []
    performance = record.get("performance")
    accuracy = performance.get("accuracy") if isinstance(performance, dict) else None
    if isinstance(accuracy, dict) and floats(accuracy.get("estimate")):
        estimate = floats(accuracy["estimate"])[-1]
        errors = floats(accuracy.get("sampling_error"))
        text = (
            f"Estimated accuracy, last chunk, without labels: {units.percent(estimate, decimals=1)}"
        )
        text += _share_range(estimate, errors[-1] if errors else None)
        lines.append([text + note])
    elif isinstance(record.get("estimated_accuracy"), int | float):
        estimate, se = record["estimated_accuracy"], record.get("estimated_accuracy_se")
        text = (
            "Estimated accuracy of the latest chunks, without labels: "
            f"{units.percent(estimate, decimals=1)}"
        )
        text += _share_range(estimate, se if isinstance(se, int | float) else None)
        if isinstance(record.get("reference_accuracy"), int | float):
            text += f"; {units.percent(record['reference_accuracy'], decimals=1)} in the reference"
        lines.append([text + note])
    return lines


def _monitor_value(record: dict[str, Any], cur: str, note: str) -> list[Line]:
    from bizml_nb.core import units

    lines: list[Line] = []
    change = record.get("estimated_value_change_per_year")
    value = record.get("value")
    if isinstance(change, int | float):
        se = record.get("estimated_value_change_se")
        if isinstance(se, int | float):
            amount = units.money_range(change - Z90 * se, change, change + Z90 * se, cur, per="/yr")
            amount += "" if "%" in amount else " (90%)"
        else:
            amount = units.money(change, cur, signed=True) + "/yr (no range recorded)"
        lines.append([f"{_at_risk(change)} against the reference: {amount}{note}"])
    elif isinstance(value, dict) and floats(value.get("change_per_year")):
        cur = currency_of(value, cur)
        mid = floats(value["change_per_year"])[-1]
        lows, highs = (
            floats(value.get("change_per_year_low")),
            floats(value.get("change_per_year_high")),
        )
        errors = floats(value.get("sampling_error"))
        cases = value.get("cases_per_year")
        if lows and highs:
            low, high = lows[-1], highs[-1]
        elif errors and isinstance(cases, int | float):
            low, high = mid - Z90 * errors[-1] * cases, mid + Z90 * errors[-1] * cases
        else:
            low = high = mid
        amount = units.money_range(low, mid, high, cur, per="/yr")
        amount += "" if "%" in amount else " (90%)"
        lines.append([f"{_at_risk(mid)} in the last chunk against the reference: {amount}{note}"])
    return lines


def _share_range(estimate: float, se: float | None) -> str:
    """`` [77.1%, 80.4%] (90%)``: the estimate +- Z90 standard errors (or no range)."""
    from bizml_nb.core import units

    if se is None:
        return " (no range recorded)"
    low, high = (units.percent(estimate + z * Z90 * se, decimals=1) for z in (-1, 1))
    return f" [{low}, {high}] (90%)"


def _at_risk(change: float) -> str:
    return "Value at risk per year" if change < 0 else "Value change per year"


def _alerts(record: dict[str, Any]) -> Line:
    """The columns (decision record) or chunks (a monitor result's record) that alerted."""
    per_column = record.get("alerts_per_column")
    chunks = record.get("chunks")
    if isinstance(per_column, dict):
        hits = sorted(
            ((int(n), str(name)) for name, n in per_column.items() if isinstance(n, int) and n > 0),
            key=lambda item: (-item[0], item[1]),
        )
        if not hits:
            return []
        total = f" of {chunks}" if isinstance(chunks, int) else ""
        named = ", ".join(f"{name} ({n}{total} chunks)" for n, name in hits)
        return ["Drift alerts by column: ", User(named)]
    if not isinstance(chunks, list):
        return []
    keys = [str(c.get("key")) if isinstance(c, dict) else str(i) for i, c in enumerate(chunks)]
    flags = [False] * len(keys)
    for group in (record.get("performance"), *(record.get("drift") or {}).values()):
        for item in (group or {}).values() if isinstance(group, dict) else ():
            alert = item.get("alert") if isinstance(item, dict) else None
            if isinstance(alert, list) and len(alert) == len(flags):
                flags = [a or bool(b) for a, b in zip(flags, alert, strict=True)]
    alerted = [key for key, flag in zip(keys, flags, strict=True) if flag]
    if not alerted:
        return []
    return [f"Chunks that alerted ({len(alerted)} of {len(keys)}): ", User(", ".join(alerted))]


def _alerted_chunks(record: dict[str, Any]) -> Line:
    """``Chunks that alerted (12 of 20): rows 5,000 to 9,999; rows 50,000 to 99,999``.

    From a decision record's ``alerted_chunks``. Chunks of rows (``[a:b]``, rows a to b)
    that follow one another are said as one stretch of rows; other chunks by their name.

    >>> _alerted_chunks({"chunks": 5, "alerted_chunks": ["[0:9]", "[20:29]", "[30:39]", "x"]})
    ['Chunks that alerted (4 of 5): ', 'rows 0 to 9; rows 20 to 39; x']
    """
    alerted = record.get("alerted_chunks")
    if not isinstance(alerted, list) or not alerted:
        return []
    stretches: list[tuple[int, int] | str] = []
    for key in map(str, alerted):
        rows = re.fullmatch(r"\[(\d+):(\d+)\]", key)
        if rows is None:
            stretches.append(key)
            continue
        start, end = int(rows.group(1)), int(rows.group(2))
        last = stretches[-1] if stretches else None
        if isinstance(last, tuple) and start == last[1] + 1:
            stretches[-1] = (last[0], end)
        else:
            stretches.append((start, end))
    said = "; ".join(
        f"rows {part[0]:,} to {part[1]:,}" if isinstance(part, tuple) else part
        for part in stretches
    )
    total = record.get("chunks")
    of = f" of {total}" if isinstance(total, int) else ""
    return [f"Chunks that alerted ({len(alerted)}{of}): ", User(said)]
