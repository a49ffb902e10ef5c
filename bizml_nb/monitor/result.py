"""What a check found, per chunk: :class:`MonitorResult` and its table of figures.

Its card (text, HTML and the ``application/vnd.bizml.monitor+json`` record) is
worded in :mod:`bizml_nb.monitor.card`, its figure drawn in :mod:`bizml_nb.monitor.charts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import did_you_mean
from bizml_nb.monitor import charts
from bizml_nb.monitor.card import MonitorCard
from bizml_nb.monitor.constants import BAND_Z, Kind, MonitorError, Role

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    from matplotlib.figure import Figure

    from bizml_nb.core.card import Row
    from bizml_nb.monitor.cbpe import Estimate
    from bizml_nb.monitor.constants import FloatArray, IntArray
    from bizml_nb.monitor.drift import Drift
    from bizml_nb.monitor.pricing import Value

#: the columns of :meth:`MonitorResult.to_frame`, in order
FRAME_COLUMNS = (
    "chunk",
    "start",
    "end",
    "rows",
    "kind",
    "column",
    "method",
    "value",
    "sampling_error",
    "band_low",
    "band_high",
    "threshold_low",
    "threshold_high",
    "p_value",
    "alert",
    "realised",
    "outside",
    "missing",
    "labelled",
    "range_low",
    "range_high",
)


@dataclass(frozen=True, repr=False)
class MonitorResult:
    """What :meth:`Reference.check` found, per chunk: drift, estimates, realised metrics, value.

    In a notebook it shows as a card (``text/plain``, ``text/html`` and a JSON record
    under ``application/vnd.bizml.monitor+json``); :meth:`to_frame` gives the figures
    as a table and :meth:`plot` as a figure.
    """

    chunks: tuple[str, ...]
    rows: IntArray
    starts: tuple[int | None, ...]
    ends: tuple[int | None, ...]
    columns: tuple[str, ...]
    kinds: tuple[Kind, ...]
    roles: tuple[Role, ...]
    drift: Mapping[str, Drift]
    outside: npt.NDArray[np.int64]  # per chunk and column: out of the reference range, or unseen
    missing: npt.NDArray[np.int64]
    performance: Mapping[str, Estimate]
    expected: FloatArray  # per chunk: expected TN, FP, FN, TP
    realised_counts: FloatArray  # per chunk: realised TN, FP, FN, TP (NaN without labels)
    labelled: npt.NDArray[np.int64]
    value: Value | None
    reference_rows: int
    thresholds: Mapping[str, float] | None  # None: mean + 3 std of the reference chunks
    notes: tuple[str, ...] = ()

    # -- queries

    def alerted_columns(self, method: str | None = None) -> tuple[str, ...]:
        """The columns with at least one drift alert (for ``method``, or any method)."""
        import numpy as np

        chosen = [self.drift[method]] if method else list(self.drift.values())
        hit = np.zeros(len(self.columns), dtype=bool)
        for d in chosen:
            hit |= d.alerts.any(axis=0)
        return tuple(c for c, h in zip(self.columns, hit, strict=True) if h)

    def to_frame(self, kind: str | None = None) -> pd.DataFrame:
        """One row per chunk and statistic: ``kind`` is drift, performance or value.

        Columns: chunk, start, end, rows, kind, column (feature or metric), method,
        value (statistic or estimate), sampling_error, band_low, band_high (estimate
        +- 3 sampling errors: the alert band, about 99.7%), threshold_low,
        threshold_high, alert, realised, outside (values out of the reference range,
        or categories never seen), missing, labelled, and for the money rows
        (kind value) range_low and range_high: the 90% range of the value
        (estimate +- 1.645 sampling errors), the range the card shows.
        """
        import pandas as pd

        kinds = ("drift", "performance", "value")
        if kind is not None and kind not in kinds:
            raise MonitorError(
                f"kind must be one of {', '.join(kinds)} (not {kind!r}){did_you_mean(kind, kinds)}"
            )
        base = {
            "chunk": list(self.chunks),
            "start": list(self.starts),
            "end": list(self.ends),
            "rows": self.rows,
        }
        parts: list[pd.DataFrame] = []
        if kind in (None, "drift"):
            parts.extend(self._drift_frames(base))
        if kind in (None, "performance"):
            parts.extend(self._performance_frames(base))
        if kind in (None, "value") and self.value is not None:
            parts.extend(self._value_frames(base, self.value))
        order = list(FRAME_COLUMNS)
        if not parts:
            return pd.DataFrame(columns=order)
        frame = pd.concat(parts, ignore_index=True)
        for name in order:
            if name not in frame.columns:
                frame[name] = math.nan
        frame["alert"] = frame["alert"].eq(True)  # no alert where a kind has none (NaN)
        for name in ("outside", "missing", "labelled"):
            frame[name] = frame[name].astype("Int64")  # counts, empty where not applicable
        return frame[order]

    def _drift_frames(self, base: Mapping[str, Any]) -> list[pd.DataFrame]:
        import numpy as np
        import pandas as pd

        nan = np.full(len(self.chunks), math.nan)
        parts = []
        for method, d in self.drift.items():
            cols = np.arange(len(self.columns))
            applies = ~np.isnan(d.values).all(axis=0)
            for j in cols[applies]:
                parts.append(
                    pd.DataFrame(
                        {
                            **base,
                            "kind": "drift",
                            "column": self.columns[j],
                            "method": method,
                            "value": d.values[:, j],
                            "p_value": d.p_values[:, j] if d.p_values is not None else nan,
                            "threshold_high": d.thresholds[:, j],
                            "alert": d.alerts[:, j],
                            "outside": self.outside[:, j],
                            "missing": self.missing[:, j],
                        }
                    )
                )
        return parts

    def _performance_frames(self, base: Mapping[str, Any]) -> list[pd.DataFrame]:
        import pandas as pd

        parts = []
        for name, est in self.performance.items():
            low, high = est.band
            parts.append(
                pd.DataFrame(
                    {
                        **base,
                        "kind": "performance",
                        "column": name,
                        "method": "cbpe",
                        "value": est.estimate,
                        "sampling_error": est.sampling_error,
                        "band_low": low,
                        "band_high": high,
                        "threshold_low": est.lower,
                        "threshold_high": est.upper,
                        "alert": est.alerts,
                        "realised": est.realised,
                        "labelled": self.labelled,
                    }
                )
            )
        return parts

    def _value_frames(self, base: Mapping[str, Any], v: Value) -> list[pd.DataFrame]:
        import pandas as pd

        cases = v.pricing.cases_per_year
        half = v.half_width()
        parts = []
        for name, values, error, real, half_range in (
            (
                "value_per_prediction",
                v.per_prediction,
                v.sampling_error,
                v.realised_per_prediction,
                half / cases,
            ),
            (
                "value_per_year",
                v.per_year,
                v.sampling_error * cases,
                v.realised_per_prediction * cases,
                half,
            ),
            (
                "value_change_per_year",
                v.change_per_year,
                v.sampling_error * cases,
                v.realised_change_per_year,
                half,
            ),
        ):
            parts.append(
                pd.DataFrame(
                    {
                        **base,
                        "kind": "value",
                        "column": name,
                        "method": v.pricing.label,
                        "value": values,
                        "sampling_error": error,
                        "band_low": values - BAND_Z * error,
                        "band_high": values + BAND_Z * error,
                        "realised": real,
                        "labelled": self.labelled,
                        "range_low": values - half_range,
                        "range_high": values + half_range,
                    }
                )
            )
        return parts

    def plot(self, metrics: Sequence[str] = ("accuracy", "f1", "roc_auc")) -> Figure:
        """Estimates with their band, realised values where known, and alerts marked.

        One panel per metric, one for the value per year (when priced), and one
        for drift: each column's statistic over its threshold (above 1 = alert).
        """
        return charts.plot_result(self, metrics)

    # -- the card (worded in bizml_nb.monitor.card)

    def card(self) -> MonitorCard:
        """The result's card: its text, HTML and record."""
        return MonitorCard(self)

    def rows_text(self) -> list[Row]:
        """The card's (label, text) rows, shared by the text and HTML forms."""
        return self.card().rows()

    def text(self) -> str:
        """The deterministic plain-text card."""
        return self.card().text()

    def html(self) -> str:
        """The HTML card; every name from the data is escaped."""
        return self.card().html()

    def record(self) -> dict[str, Any]:
        """The whole result as JSON-ready data (``application/vnd.bizml.monitor+json``)."""
        return self.card().record()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return self.card()._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return self.text()
