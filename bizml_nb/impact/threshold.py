"""The decision threshold worth the most money: a scan over a run's logged scores.

For a run whose predictions carry ``proba``, every example has a value when it is
flagged (``v1``: its TP or FP entry) and when it is not (``v0``: FN or TN), priced by
a confusion link's value matrix (:func:`bizml_nb.impact.paired.example_values`, so an
entry may be ``-amount``). Flagging the examples whose score is at least ``t`` is
worth ``mean(v0) + sum(v1 - v0 over flagged) / n`` per case; the scan sorts the scores
once and evaluates every distinct threshold with one cumulative sum. The best is the
threshold with the largest value per year (``cases_per_year`` x per case).

Its uncertainty comes from a seeded bootstrap over examples (:data:`BOOT` resamples):
the 90% range of the yearly value at the chosen threshold,
of its gain over the run's own decisions (paired: the same resample), and the 5th to
95th percentiles of the threshold each resample would choose (among at most
:data:`CANDIDATES` thresholds at quantiles of the distinct ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core.card import CardMixin, Row
from bizml_nb.impact.links import SEED, Skip, sampled_range
from bizml_nb.impact.paired import BOOT, example_values

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from bizml_nb.core.predictions import Predictions
    from bizml_nb.core.registry import Link
    from bizml_nb.impact.model import Range

    Floats = npt.NDArray[np.float64]

THRESHOLD_MIME = "application/vnd.bizml.threshold+json"
_BLOCK_CELLS = 4_000_000
CANDIDATES = 1_001  # thresholds a bootstrap resample chooses among


@dataclass(frozen=True)
class Scan:
    """Value per case of every distinct threshold: flag the examples scoring at least it."""

    thresholds: Floats  # descending; the first is above every score (flag none)
    per_case: Floats

    @property
    def best(self) -> int:
        import numpy as np

        return int(np.argmax(self.per_case))  # the first maximum: the highest threshold


def outcome_values(link: Link, predictions: Predictions) -> tuple[Floats, Floats]:
    """Each example's value when not flagged (``v0``) and when flagged (``v1``)."""
    import numpy as np

    from bizml_nb.core.predictions import Predictions as P

    zeros = np.zeros(predictions.n, dtype=np.int8)
    ones = np.ones(predictions.n, dtype=np.int8)
    v0 = example_values(
        link, P(predictions.ids, predictions.y_true, zeros, None, predictions.columns)
    )
    v1 = example_values(
        link, P(predictions.ids, predictions.y_true, ones, None, predictions.columns)
    )
    return v0, v1


def _order(proba: Floats) -> tuple[Any, Any, Floats]:
    """Examples by score, highest first; the cut positions between distinct scores."""
    import numpy as np

    order = np.argsort(-proba, kind="stable")
    ranked = proba[order]
    cuts = np.flatnonzero(np.diff(ranked) != 0) + 1  # flag the first k: k at a change
    ks = np.concatenate(([0], cuts, [ranked.shape[0]]))
    thresholds = np.concatenate(([np.nextafter(ranked[0], np.inf)], ranked[ks[1:] - 1]))
    return order, ks, thresholds


def scan(link: Link, predictions: Predictions) -> Scan:
    """The value per case of every distinct threshold over the run's scores."""
    import numpy as np

    proba = _proba(predictions)
    v0, v1 = outcome_values(link, predictions)
    order, ks, thresholds = _order(proba)
    gain = np.concatenate(([0.0], np.cumsum((v1 - v0)[order])))
    per_case = (v0.sum() + gain[ks]) / predictions.n
    return Scan(thresholds, per_case)


def _proba(predictions: Predictions) -> Floats:
    if predictions.proba is None:
        raise Skip("the run's predictions have no proba: log them with log_predictions(proba=...)")
    return predictions.proba


@dataclass(frozen=True, repr=False)
class ThresholdResult(CardMixin):
    """The threshold worth the most per year for a run, with its ranges; shows as a card."""

    mime_type: ClassVar[str | None] = THRESHOLD_MIME
    css_class: ClassVar[str] = "bizml-threshold"
    label_width: ClassVar[int] = 13

    run_name: str
    kpi: str
    currency: str
    n: int
    threshold: float
    threshold_range: tuple[float, float]
    value_per_year: Range
    current_per_year: float
    gain_per_year: Range

    def title(self) -> str:
        return f"Threshold for {self.run_name} -> {self.kpi}"

    def rows(self) -> Sequence[Row]:
        low, high = self.threshold_range
        money = self.currency
        return [
            (
                "Best",
                f"flag when proba >= {self.threshold:.4g} (90% of resamples choose "
                f"{low:.4g} to {high:.4g})",
            ),
            (
                "Value",
                f"{_money_range(self.value_per_year, money)} at that threshold",
            ),
            (
                "vs the run",
                f"{_money_range(self.gain_per_year, money)} over the run's own decisions "
                f"({units.money(self.current_per_year, money)}/yr), paired",
            ),
            ("Examples", f"bootstrap over {self.n:,} examples, {BOOT:,} resamples"),
        ]

    def record(self) -> dict[str, Any]:
        from bizml_nb.core._records import portable

        record: dict[str, Any] = portable(
            {
                "format": "bizml.threshold",
                "version": 1,
                "kpi": self.kpi,
                "n": self.n,
                "threshold": self.threshold,
                "threshold_range": list(self.threshold_range),
                "value_per_year": self.value_per_year.to_list(),
                "current_per_year": self.current_per_year,
                "gain_per_year": self.gain_per_year.to_list(),
            }
        )
        return record


def _money_range(value: Range, currency: str) -> str:
    return units.money_range(value.low, value.mid, value.high, currency, per="/yr")


def best_threshold(
    link: Link, predictions: Predictions, *, run_name: str = "run", currency: str = "USD"
) -> ThresholdResult:
    """The threshold that maximises the yearly value of ``link`` over ``predictions``."""
    import numpy as np

    proba = _proba(predictions)
    cases = float(link.params["cases_per_year"])
    v0, v1 = outcome_values(link, predictions)
    n = predictions.n
    order, ks, thresholds = _order(proba)
    g = (v1 - v0)[order]
    gain = np.concatenate(([0.0], np.cumsum(g)))
    per_case = (v0.sum() + gain[ks]) / n
    best = int(np.argmax(per_case))
    chosen = proba >= thresholds[best]
    current = np.where(predictions.y_pred == 1, v1, v0)
    at_best = np.where(chosen, v1, v0)

    # The bootstrap's choices are made among at most CANDIDATES cuts (quantiles of the
    # distinct ones), each resample summing the gain of flagging per bin of ranks.
    pick = np.unique(np.linspace(0, len(ks) - 1, min(len(ks), CANDIDATES)).round().astype(int))
    cuts = ks[pick]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    bin_of = np.searchsorted(cuts, rank, side="right") - 1  # cuts[0] is 0: every bin >= 0
    g_example = v1 - v0
    nb = len(cuts)
    rng = np.random.default_rng(SEED)
    values, gains, picks = (np.empty(BOOT) for _ in range(3))
    block = max(1, _BLOCK_CELLS // n)
    for start in range(0, BOOT, block):
        stop = min(BOOT, start + block)
        rows = stop - start
        index = rng.integers(0, n, size=(rows, n))
        values[start:stop] = at_best[index].mean(axis=1)
        gains[start:stop] = (at_best - current)[index].mean(axis=1)
        slots = (bin_of[index] + (np.arange(rows) * nb)[:, None]).ravel()
        per_bin = np.bincount(slots, weights=g_example[index].ravel(), minlength=rows * nb)
        flagged = np.cumsum(per_bin.reshape(rows, nb), axis=1) - per_bin.reshape(rows, nb)
        picks[start:stop] = thresholds[pick[np.argmax(flagged, axis=1)]]
    low, high = (float(v) for v in np.percentile(picks, [5, 95]))
    return ThresholdResult(
        run_name=run_name,
        kpi=link.business_metric,
        currency=currency,
        n=n,
        threshold=float(thresholds[best]),
        threshold_range=(min(low, float(thresholds[best])), max(high, float(thresholds[best]))),
        value_per_year=sampled_range(float(per_case[best]) * cases, values * cases),
        current_per_year=float(current.mean()) * cases,
        gain_per_year=sampled_range(float((at_best - current).mean()) * cases, gains * cases),
    )


__all__ = ["THRESHOLD_MIME", "Scan", "ThresholdResult", "best_threshold", "outcome_values", "scan"]
