"""What to do about a checked period: retrain, investigate or no action, and the figures behind it.

:func:`decide` reads a priced :class:`~bizml_nb.monitor.result.MonitorResult` (and, when
the labels are known, the same check made with them) and returns a :class:`Decision`:
typed figures only, worded by the silent_failure_monitoring template's card
(:mod:`bizml_nb.present.analyses.monitoring_views`).

The rules, over the latest quarter of the chunks (at least one):

- **retrain**: the label-free estimate of the value per year, against the reference, is
  below zero by more than its sampling error (3 standard errors), or the labels given
  with the data show a loss;
- **investigate**: no loss, but some column (an input, the probability or the predicted
  class) has drift alerts in at least 15% of the chunks (at least 2): an alert that
  recurs is not chance, at a threshold where an isolated one now and then is;
- **no action**: neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bizml_nb.monitor.constants import MonitorError

if TYPE_CHECKING:
    from bizml_nb.monitor.constants import FloatArray
    from bizml_nb.monitor.pricing import Value
    from bizml_nb.monitor.result import MonitorResult

RETRAIN, INVESTIGATE, NO_ACTION = "retrain", "investigate", "no action"
ACTIONS = (RETRAIN, INVESTIGATE, NO_ACTION)
LOSS_Z = 3.0  # a loss counts when the estimate is below zero by this many standard errors
SUSTAINED_SHARE = 0.15  # alerts in this share of the chunks (at least 2) are not chance
DRIFT_METHOD = "jensen_shannon"  # the method whose alerts decide, when the check used it


@dataclass(frozen=True)
class Decision:
    """The decision on a checked period and the figures it rests on.

    Money is per year in the check's currency; ``*_se`` are standard errors; the
    accuracy and value figures are over the latest :attr:`recent` chunks. The realised
    figures are None when no labels are known.
    """

    action: str  # one of ACTIONS
    reason: str
    chunks: tuple[str, ...]  # every chunk's key, in order
    recent: int  # the latest chunks the figures are taken over
    sustained_at: int  # alerts in this many chunks or more are sustained
    alerts_per_column: dict[str, int]
    alerted_chunks: tuple[str, ...]  # the chunks with a drift alert on any column
    estimated_change: float
    estimated_change_se: float
    estimated_accuracy: float
    estimated_accuracy_se: float
    reference_accuracy: float
    reference_per_year: float
    realised_accuracy: float | None
    realised_change: float | None
    labels_used: bool  # the labels came with the data (not held back), and decide too
    currency: str
    cases_per_year: float

    @property
    def sustained(self) -> tuple[str, ...]:
        """Columns whose alerts recur: in :attr:`sustained_at` chunks or more."""
        return tuple(c for c, n in self.alerts_per_column.items() if n >= self.sustained_at)

    @property
    def isolated(self) -> tuple[str, ...]:
        """Columns with an alert now and then, as expected by chance."""
        return tuple(c for c, n in self.alerts_per_column.items() if 0 < n < self.sustained_at)

    @property
    def estimated_loss(self) -> bool:
        """The label-free estimate shows a loss larger than its sampling error."""
        return self.estimated_change + LOSS_Z * self.estimated_change_se < 0

    @property
    def missed(self) -> bool | None:
        """Whether the labels show a loss the estimate did not (None without labels)."""
        if self.realised_change is None:
            return None
        return self.realised_change < self.estimated_change - LOSS_Z * self.estimated_change_se


def decide(
    result: MonitorResult, truth: MonitorResult | None = None, *, labels_used: bool = False
) -> Decision:
    """The decision on ``result`` (a check priced with ``value=``).

    ``truth`` is the same data checked with its labels (``result`` itself when the data
    came with them); ``labels_used`` says that they came with the data, so that a
    realised loss decides as well: labels held back (generated data) only show what
    the estimate could not see.
    """
    import numpy as np

    value = _value(result)
    k = len(result.chunks)
    recent = slice(k - max(1, k // 4), k)
    n_recent = recent.stop - recent.start
    method = DRIFT_METHOD if DRIFT_METHOD in result.drift else next(iter(result.drift), None)
    alerts = (
        result.drift[method].alerts
        if method is not None
        else np.zeros((k, len(result.columns)), dtype=bool)
    )
    per_column = dict(zip(result.columns, (int(n) for n in alerts.sum(axis=0)), strict=True))
    cases = value.pricing.cases_per_year
    change, change_se = _recent_change(value, value.per_prediction, recent, value.sampling_error)
    accuracy = result.performance["accuracy"]
    realised_accuracy = realised_change = None
    if truth is not None:
        truth_value = _value(truth)
        realised = float(np.nanmean(truth.performance["accuracy"].realised[recent]))
        realised_accuracy = realised if math.isfinite(realised) else None
        moved, _ = _recent_change(truth_value, truth_value.realised_per_prediction, recent)
        realised_change = moved if math.isfinite(moved) else None
    accuracy_mean, accuracy_se = _mean_and_se(
        accuracy.estimate[recent], accuracy.sampling_error[recent]
    )
    sustained_at = min(k, max(2, math.ceil(SUSTAINED_SHARE * k)))
    hits: list[bool] = [bool(row.any()) for row in alerts]
    decision = Decision(
        action=NO_ACTION,
        reason="",
        chunks=tuple(result.chunks),
        recent=n_recent,
        sustained_at=sustained_at,
        alerts_per_column=per_column,
        alerted_chunks=tuple(c for c, hit in zip(result.chunks, hits, strict=True) if hit),
        estimated_change=change,
        estimated_change_se=change_se,
        estimated_accuracy=accuracy_mean,
        estimated_accuracy_se=accuracy_se,
        reference_accuracy=float(accuracy.reference),
        reference_per_year=value.reference_per_prediction * cases,
        realised_accuracy=realised_accuracy,
        realised_change=realised_change,
        labels_used=labels_used,
        currency=value.pricing.currency,
        cases_per_year=cases,
    )
    action, reason = choose(decision)
    return replace(decision, action=action, reason=reason)


def choose(d: Decision) -> tuple[str, str]:
    """The action the figures of ``d`` call for, and why (its own action is not read)."""
    realised_loss = d.labels_used and d.realised_change is not None and d.realised_change < 0
    if d.estimated_loss or realised_loss:
        if realised_loss and not d.estimated_loss:
            return RETRAIN, "the labels show a loss of value"
        return RETRAIN, "the label-free estimate shows a loss of value"
    if d.sustained:
        return INVESTIGATE, "inputs or predictions drift, but no loss of value is estimated"
    return NO_ACTION, "no sustained drift and no estimated loss of value"


def _value(result: MonitorResult) -> Value:
    if result.value is None:
        raise MonitorError(
            "a decision needs the value of each outcome: check with value={'value_matrix': "
            "[[TN, FP], [FN, TP]], 'cases_per_year': N} (or value=project, kpi=...)"
        )
    return result.value


def _recent_change(
    value: Value, per_prediction: FloatArray, recent: slice, errors: FloatArray | None = None
) -> tuple[float, float]:
    """Mean change per year over the recent chunks against the reference, and its standard error."""

    cases = value.pricing.cases_per_year
    mean, se = _mean_and_se(per_prediction[recent], None if errors is None else errors[recent])
    return (mean - value.reference_per_prediction) * cases, se * cases


def _mean_and_se(estimates: FloatArray, errors: FloatArray | None) -> tuple[float, float]:
    """The mean of the chunks' finite estimates, and its standard error from theirs
    (independent chunks: the root of the summed squares over the chunks averaged). NaN
    when no chunk has a finite estimate; the error is NaN when one of those chunks has
    none (or no errors are given).

    >>> import numpy as np
    >>> _mean_and_se(np.array([0.8, np.nan, 0.6]), np.array([0.03, np.nan, 0.04]))
    (0.7, 0.025)
    """
    import numpy as np

    finite = np.isfinite(estimates)
    n = int(finite.sum())
    if n == 0:
        return math.nan, math.nan
    mean = float(np.mean(estimates[finite]))
    if errors is None or not np.isfinite(errors[finite]).all():
        return mean, math.nan
    return mean, float(np.sqrt(np.sum(errors[finite] ** 2)) / n)


__all__ = ["ACTIONS", "INVESTIGATE", "NO_ACTION", "RETRAIN", "Decision", "choose", "decide"]
