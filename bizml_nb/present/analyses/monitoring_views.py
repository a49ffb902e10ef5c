"""The monitoring template's cards and tables: the decision it leads with, and what supports it.

:class:`DecisionCard` words a :class:`~bizml_nb.monitor.decision.Decision` (what to do,
the estimated accuracy and the value per year with their 90% ranges, the columns and
chunks that alerted, what the labels showed, the caution about concept drift) and
carries the template's decision record under ``application/vnd.bizml.monitor+json``,
which ``bizml run``, ``bizml report`` and :mod:`bizml_nb.present.report_records` read.
Its text rounds every figure (three significant digits of money, a tenth of a percent),
so it reads the same on every CPU and BLAS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core._records import figure
from bizml_nb.core.card import CardMixin, text_html
from bizml_nb.monitor.card import MonitorCard
from bizml_nb.monitor.constants import MONITOR_MIME
from bizml_nb.monitor.decision import INVESTIGATE, RETRAIN

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from bizml_nb.core.card import Row
    from bizml_nb.monitor.decision import Decision
    from bizml_nb.monitor.pricing import Value
    from bizml_nb.monitor.result import MonitorResult
    from bizml_nb.present.analyses.parts import TextTable

TEMPLATE = "silent_failure_monitoring"
RECORD_FORMAT = "bizml.monitor.decision"
CAUTION = (
    "the estimate assumes P(y | x) is unchanged since the reference: it cannot see concept "
    "drift; compare it with labels as they arrive"
)
SHOWN_CHUNKS = 6  # runs of alerted chunks named on the card; the rest are counted


@dataclass(frozen=True, repr=False)
class DecisionCard(CardMixin):
    """The decision on a checked period, in words, with the template's decision record."""

    mime_type: ClassVar[str | None] = MONITOR_MIME
    css_class: ClassVar[str] = "bizml-monitor bizml-monitor-decision"
    label_width: ClassVar[int] = 9

    decision: Decision
    data: str  # what the data is, in words
    generated: bool
    drift: str | None  # the generated case; None for the user's files
    reference_rows: int
    chunk_size: int
    parameters: Mapping[str, Any]  # the template's parameters as run

    def title(self) -> str:
        return f"Decision: {self.decision.action} ({self.decision.reason})"

    def title_html(self) -> str:
        """The action in bold, its reason after it."""
        d = self.decision
        return f"<b>{text_html(f'Decision: {d.action}')}</b> {text_html(f'({d.reason})')}"

    def rows(self) -> list[Row]:
        d = self.decision
        return [
            ("To do", self._todo()),
            ("Accuracy", self._accuracy()),
            ("Value", self._value()),
            ("Drift", self._drift()),
            ("Alerts", alerted_chunks_text(d.chunks, d.alerted_chunks)),
            ("Labels", self._labels()),
            (
                "Data",
                f"{self.data}; {len(d.chunks)} chunks of up to {self.chunk_size:,} rows against "
                f"a reference of {self.reference_rows:,} rows",
            ),
            ("Caution", CAUTION),
        ]

    def record(self) -> dict[str, Any]:
        """The decision record: the report lists its first scalar fields, so the decision
        and the money come first."""
        d = self.decision
        return {
            "decision": d.action,
            "reason": d.reason,
            "estimated_value_change_per_year": _figure(d.estimated_change),
            "realised_value_change_per_year": _figure(d.realised_change),
            "currency": d.currency,
            "estimated_accuracy": _figure(d.estimated_accuracy),
            "estimated_accuracy_se": _figure(d.estimated_accuracy_se),
            "reference_accuracy": _figure(d.reference_accuracy),
            "template": TEMPLATE,
            "format": RECORD_FORMAT,
            "version": 1,
            "data": self.data,
            "generated": self.generated,
            "drift": self.drift,
            "chunks": len(d.chunks),
            "recent_chunks": d.recent,
            "sustained_at": d.sustained_at,
            "sustained_alerts": list(d.sustained),
            "isolated_alerts": list(d.isolated),
            "alerts_per_column": dict(d.alerts_per_column),
            "estimated_value_change_se": _figure(d.estimated_change_se),
            "reference_value_per_year": _figure(d.reference_per_year),
            "realised_accuracy": _figure(d.realised_accuracy),
            "estimate_missed_a_loss": d.missed,
            "labels_used": d.labels_used,
            "parameters": dict(self.parameters),
            "summary": self.text(),
            "alerted_chunks": list(d.alerted_chunks),  # added in 0.2
        }

    # -- the rows

    def _todo(self) -> str:
        d = self.decision
        if d.action == RETRAIN:
            return (
                "retrain the model on recent labelled data (or review it): its value a year "
                "has fallen against the reference"
            )
        if d.action == INVESTIGATE:
            return (
                f"find out why {_and(d.sustained)} changed, and compare the estimate with "
                "labels as soon as they arrive"
            )
        return (
            "none now; keep collecting labels and compare them with the estimate, which "
            "cannot see concept drift"
        )

    def _accuracy(self) -> str:
        d = self.decision
        half = units.Z90 * d.estimated_accuracy_se
        return (
            f"{_percent(d.estimated_accuracy)} [{_percent(d.estimated_accuracy - half)}, "
            f"{_percent(d.estimated_accuracy + half)}] (90%) estimated without labels over the "
            f"latest {d.recent} of {len(d.chunks)} chunks; {_percent(d.reference_accuracy)} in "
            "the reference"
        )

    def _value(self) -> str:
        d = self.decision
        cur = d.currency
        half = units.Z90 * d.estimated_change_se
        change = units.money_range(
            d.estimated_change - half, d.estimated_change, d.estimated_change + half, cur, per="/yr"
        )
        if d.estimated_loss:
            verdict = "value at risk, beyond its sampling error"
        elif d.estimated_change < 0:
            verdict = "a loss within its sampling error"
        else:
            verdict = "no value estimated at risk"
        return (
            f"{change} against the reference ({units.money(d.reference_per_year, cur)}/yr) at "
            f"{units.number(d.cases_per_year)} cases a year: {verdict}"
        )

    def _drift(self) -> str:
        d = self.decision
        text = (
            f"sustained alerts (in {d.sustained_at} chunks or more) on {_names(d.sustained)}"
            if d.sustained
            else "no sustained alerts"
        )
        if d.isolated:
            text += f"; isolated alerts, as expected by chance, on {_names(d.isolated)}"
        return text

    def _labels(self) -> str:
        d = self.decision
        if d.realised_change is None or d.realised_accuracy is None:
            return "none for the latest chunks: the realised accuracy and value are not known yet"
        where = "held back in this generated case" if self.generated else "given with the data"
        said = (
            f"the label-free estimate missed a loss of "
            f"{units.money(d.estimated_change - d.realised_change, d.currency)} a year (concept "
            "drift: the relation between inputs and outcome changed)"
            if d.missed
            else "the estimate held"
        )
        return (
            f"{where}: realised accuracy {_percent(d.realised_accuracy)}, value "
            f"{units.money(d.realised_change, d.currency, signed=True)}/yr against the "
            f"reference: {said}"
        )


@dataclass(frozen=True, repr=False)
class DataCard(CardMixin):
    """What was checked: the data, its periods, the model's inputs, and its labels."""

    css_class: ClassVar[str] = "bizml-monitor-data"
    label_width: ClassVar[int] = 9

    data: str
    reference_rows: int
    analysis_rows: int
    features: tuple[str, ...]
    labels: str  # what happens to the analysis period's labels, in words

    def title(self) -> str:
        return f"Data: {self.data}"

    def rows(self) -> list[Row]:
        return [
            ("Reference", f"{self.reference_rows:,} rows, with labels"),
            ("Analysis", f"{self.analysis_rows:,} rows"),
            ("Inputs", f"{len(self.features)}: {', '.join(self.features)}"),
            ("Labels", self.labels),
        ]


@dataclass(frozen=True, repr=False)
class MonitorView(CardMixin):
    """The monitor's own card without its record: the notebook's one monitor record is
    the decision's."""

    css_class: ClassVar[str] = "bizml-monitor"

    result: MonitorResult

    def title(self) -> str:
        return MonitorCard(self.result).title()

    def rows(self) -> Sequence[Row]:
        return MonitorCard(self.result).rows()


@dataclass(frozen=True, repr=False)
class Note(CardMixin):
    """A titled line where a table would be, when there is nothing to show."""

    css_class: ClassVar[str] = "bizml-note"

    heading: str
    text_: str

    def title(self) -> str:
        return self.heading

    def rows(self) -> list[Row]:
        return []

    def empty_text(self) -> str:
        return self.text_


def alerted_chunks_text(chunks: Sequence[str], alerted: Sequence[str]) -> str:
    """The ``alerted`` ones of ``chunks`` (in order), consecutive ones as a run: ``[a] to [b]``.

    >>> alerted_chunks_text(["c1", "c2", "c3", "c4", "c5"], ["c2", "c3", "c4"])
    'drift alerts in 3 of 5 chunks: c2 to c4'
    """
    if not alerted:
        return f"no drift alert in {len(chunks)} chunks"
    hit = set(alerted)
    runs: list[list[str]] = []
    previous = False
    for key in chunks:
        if key in hit:
            if previous:
                runs[-1].append(key)
            else:
                runs.append([key])
        previous = key in hit
    shown = [run[0] if len(run) == 1 else f"{run[0]} to {run[-1]}" for run in runs[:SHOWN_CHUNKS]]
    rest = sum(len(run) for run in runs[SHOWN_CHUNKS:])
    more = f" and {rest} more" if rest else ""
    return f"drift alerts in {len(alerted)} of {len(chunks)} chunks: {', '.join(shown)}{more}"


def chunks_table(result: MonitorResult) -> TextTable:
    """Each chunk of a label-free check: drift alerts, estimated accuracy and value a year."""
    from bizml_nb.present.analyses.parts import TextTable

    value = _value(result)
    cur = value.pricing.currency
    low, high = value.change_range()
    rows = tuple(
        (
            key,
            ", ".join(c for c, hit in zip(result.columns, alerts, strict=True) if hit) or "none",
            _percent(float(accuracy)),
            units.money(float(year), cur),
            units.money_range(float(lo), float(mid), float(hi), cur, level=None),
        )
        for key, alerts, accuracy, year, mid, lo, hi in zip(
            result.chunks,
            result.drift[next(iter(result.drift))].alerts,
            result.performance["accuracy"].estimate,
            value.per_year,
            value.change_per_year,
            low,
            high,
            strict=True,
        )
    )
    return TextTable(
        "Chunk by chunk, without labels",
        ("chunk", "drift alerts", "accuracy", "value a year", "change a year [90%]"),
        rows,
        right=(2, 3),
        css_class="bizml-monitor-chunks",
    )


def labels_table(truth: MonitorResult, *, generated: bool) -> TextTable:
    """The estimates of a check with labels beside what the labels showed, chunk by chunk."""
    from bizml_nb.present.analyses.parts import TextTable

    value = _value(truth)
    cur = value.pricing.currency
    accuracy = truth.performance["accuracy"]
    rows = tuple(
        (
            key,
            _percent(float(estimated)),
            _percent(float(realised)),
            units.money(float(est_change), cur, signed=True),
            units.money(float(real_change), cur, signed=True),
        )
        for key, estimated, realised, est_change, real_change in zip(
            truth.chunks,
            accuracy.estimate,
            accuracy.realised,
            value.change_per_year,
            value.realised_change_per_year,
            strict=True,
        )
    )
    held = "held back from the check" if generated else "given with the data"
    return TextTable(
        f"Estimated and realised, chunk by chunk (labels {held})",
        (
            "chunk",
            "estimated accuracy",
            "realised accuracy",
            "estimated change a year",
            "realised change a year",
        ),
        rows,
        right=(1, 2, 3, 4),
        css_class="bizml-monitor-labels",
    )


def _value(result: MonitorResult) -> Value:
    assert result.value is not None  # the template always prices its check
    return result.value


def _percent(share: float) -> str:
    return units.percent(share, decimals=1)


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def _and(names: Sequence[str]) -> str:
    """``a, b and c``."""
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else _names(names)


def _figure(x: float | None) -> float | None:
    return figure(x) if x is not None and math.isfinite(x) else None


__all__ = [
    "DataCard",
    "DecisionCard",
    "MonitorView",
    "Note",
    "alerted_chunks_text",
    "chunks_table",
    "labels_table",
]
