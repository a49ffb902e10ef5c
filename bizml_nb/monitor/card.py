"""The monitoring result's card: its title, rows and record, shown by the card protocol.

The words of each row (drift alerts, estimates with their band, value per year...)
are here; :class:`~bizml_nb.core.card.CardMixin` turns them into ``text/plain``,
``text/html`` and the ``application/vnd.bizml.monitor+json`` record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core.card import CardMixin
from bizml_nb.monitor.constants import (
    BAND_Z,
    FIXED_THRESHOLDS,
    METRIC_WORDS,
    MONITOR_MIME,
    RECORD_FORMAT,
    json_float,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from bizml_nb.core.card import Row
    from bizml_nb.monitor.result import MonitorResult

CAUTION = (
    "estimates assume P(y | x) is as in the reference: they cannot see concept "
    "drift; only realised labels can"
)


@dataclass(frozen=True, repr=False)
class MonitorCard(CardMixin):
    """A :class:`~bizml_nb.monitor.result.MonitorResult` as a card."""

    mime_type = MONITOR_MIME
    css_class = "bizml-monitor"

    result: MonitorResult

    def title(self) -> str:
        r = self.result
        k = len(r.chunks)
        sizes = sorted({int(s) for s in r.rows})
        size = f"{sizes[0]:,} rows" if len(sizes) == 1 else f"{sizes[0]:,}-{sizes[-1]:,} rows"
        return (
            f"Monitor  {k} chunks of {size}, {int(r.rows.sum()):,} rows against a reference "
            f"of {r.reference_rows:,}"
        )

    def rows(self) -> list[Row]:
        r = self.result
        features = [c for c, role in zip(r.columns, r.roles, strict=True) if role == "feature"]
        preds = [c for c, role in zip(r.columns, r.roles, strict=True) if role != "feature"]
        rows = [
            (
                "Columns",
                f"{_plural(len(features), 'feature')} ({_names_text(features)}); predictions "
                f"{' and '.join(preds)}",
            )
        ]
        rows.extend(("Drift", drift_text(r, method)) for method in r.drift)
        rows.extend(performance_rows(r))
        if r.value is not None:
            rows.append(("Value", value_text(r, len(r.chunks) - 1)))
        unseen = []
        for j, (name, kind) in enumerate(zip(r.columns, r.kinds, strict=True)):
            total = int(r.outside[:, j].sum())
            if total and kind == "categorical":
                unseen.append(f"{name} {total:,} values never seen in the reference")
        if unseen:
            rows.append(("Unseen", "; ".join(unseen)))
        rows.extend(("Note", note) for note in r.notes)
        rows.append(("Caution", CAUTION))
        return rows

    def record(self) -> dict[str, Any]:
        return record(self.result)


def drift_text(result: MonitorResult, method: str) -> str:
    import numpy as np

    d = result.drift[method]
    k = len(result.chunks)
    if method == "chi2":
        rule = f"p < {(result.thresholds or FIXED_THRESHOLDS)['chi2']:g}"
    elif result.thresholds is None:
        rule = "mean + 3 std of the reference chunks, scaled to each chunk's size"
    else:
        rule = "fixed thresholds"
    per_column = d.alerts.sum(axis=0)
    applies = int((~np.isnan(d.values).all(axis=0)).sum())
    if per_column.sum() == 0:
        return f"{method}: no alerts on {_plural(applies, 'column')} ({rule})"
    ranked = sorted(zip(result.columns, per_column, strict=True), key=lambda t: (-t[1], t[0]))
    hits = [f"{name} ({int(n)})" for name, n in ranked if n > 0]
    rest = applies - len(hits)
    chunks_hit = int(d.alerts.any(axis=1).sum())
    return (
        f"{method}: alerts in {chunks_hit} of {_plural(k, 'chunk')} on {_names_text(hits)}"
        + (f"; none on the other {rest} of {applies} columns" if rest else "")
        + f" ({rule})"
    )


def performance_rows(result: MonitorResult) -> list[Row]:
    import numpy as np

    k = len(result.chunks)
    last = k - 1
    shown = ("accuracy", "f1", "roc_auc")
    parts = []
    for name in shown:
        est = result.performance[name]
        low, high = est.band
        parts.append(
            f"{METRIC_WORDS[name]} {_fmt(est.estimate[last])} "
            f"[{_fmt(low[last])}, {_fmt(high[last])}]"
        )
    refs = ", ".join(f"{METRIC_WORDS[n]} {_fmt(result.performance[n].reference)}" for n in shown)
    band = f"bands +-{BAND_Z:g} SE, about 99.7%"
    rows = [
        ("Estimated", f"last chunk ({result.chunks[last]}): " + ", ".join(parts) + f" ({band})"),
        ("Reference", f"{result.reference_rows:,} rows: {refs} (realised)"),
    ]
    alerts = []
    for name, est in result.performance.items():
        count = int(est.alerts.sum())
        if count:
            first = result.chunks[int(np.argmax(est.alerts))]
            alerts.append(f"{METRIC_WORDS[name]} in {_plural(count, 'chunk')} (first {first})")
    rows.append(
        (
            "Alerts",
            "estimates outside the reference range: " + "; ".join(alerts)
            if alerts
            else f"no estimate outside the reference range in {k} chunks",
        )
    )
    with_labels = result.labelled > 0
    if with_labels.any():
        gaps = []
        for name in ("accuracy", "f1"):
            est = result.performance[name]
            gap = np.abs(est.estimate - est.realised)[with_labels]
            gaps.append(f"{METRIC_WORDS[name]} {_fmt(float(np.nanmax(gap)))}")
        acc = result.performance["accuracy"]
        idx = int(np.flatnonzero(with_labels)[-1])
        rows.append(
            (
                "Realised",
                f"labels in {int(with_labels.sum())} of {k} chunks; last labelled "
                f"({result.chunks[idx]}): accuracy {_fmt(acc.realised[idx])} vs estimated "
                f"{_fmt(acc.estimate[idx])}; largest gap {', '.join(gaps)}",
            )
        )
    return rows


def value_text(result: MonitorResult, i: int) -> str:
    """Chunk ``i``'s value per year, and its change against the reference with its 90% range."""
    v = result.value
    assert v is not None
    cur = v.pricing.currency
    cases = v.pricing.cases_per_year
    low, high = v.change_range(v.level)
    change = units.money_range(low[i], v.change_per_year[i], high[i], cur, per="/yr", level=v.level)
    return (
        f"last chunk about {units.money(v.per_year[i], cur)}/yr "
        f"({units.money(v.per_prediction[i], cur)} a prediction, {cases:,.0f} cases/yr); "
        f"{change} vs the reference ({v.pricing.label})"
    )


def record(result: MonitorResult) -> dict[str, Any]:
    """The whole result as JSON-ready data (``application/vnd.bizml.monitor+json``)."""

    def floats(values: Iterable[Any]) -> list[float | None]:
        return [json_float(float(v)) for v in values]

    r = result
    out: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "version": 1,
        "reference_rows": r.reference_rows,
        "thresholds": "std" if r.thresholds is None else dict(r.thresholds),
        "chunks": [
            {"key": key, "start": s, "end": e, "rows": int(n), "labelled": int(lab)}
            for key, s, e, n, lab in zip(
                r.chunks, r.starts, r.ends, r.rows, r.labelled, strict=True
            )
        ],
        "performance": {
            name: {
                "estimate": floats(est.estimate),
                "sampling_error": floats(est.sampling_error),
                "lower": floats(est.lower),
                "upper": floats(est.upper),
                "alert": [bool(a) for a in est.alerts],
                "realised": floats(est.realised),
                "reference": json_float(est.reference),
            }
            for name, est in r.performance.items()
        },
        "expected_confusion": [floats(row) for row in r.expected],
        "drift": {
            method: {
                name: {
                    "value": floats(d.values[:, j]),
                    "threshold": floats(d.thresholds[:, j]),
                    "alert": [bool(a) for a in d.alerts[:, j]],
                }
                for j, name in enumerate(r.columns)
                if not all(math.isnan(float(v)) for v in d.values[:, j])
            }
            for method, d in r.drift.items()
        },
        "outside": {name: [int(v) for v in r.outside[:, j]] for j, name in enumerate(r.columns)},
        "notes": list(r.notes),
    }
    if r.value is not None:
        v = r.value
        out["value"] = {
            "label": v.pricing.label,
            "currency": v.pricing.currency,
            "value_matrix": [list(row) for row in v.pricing.value_matrix],
            "cases_per_year": v.pricing.cases_per_year,
            "per_prediction": floats(v.per_prediction),
            "sampling_error": floats(v.sampling_error),
            "per_year": floats(v.per_year),
            "change_per_year": floats(v.change_per_year),
            # added in 0.2: the 90% ranges the card shows (the alert band stays +-3 SE)
            "range_level": v.level,
            "per_year_low": floats(v.year_range(v.level)[0]),
            "per_year_high": floats(v.year_range(v.level)[1]),
            "change_per_year_low": floats(v.change_range(v.level)[0]),
            "change_per_year_high": floats(v.change_range(v.level)[1]),
            "reference_per_prediction": json_float(v.reference_per_prediction),
            "realised_per_prediction": floats(v.realised_per_prediction),
        }
    return out


def _fmt(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.3f}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _names_text(names: Sequence[str], limit: int = 8) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
