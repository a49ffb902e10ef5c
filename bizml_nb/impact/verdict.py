"""The verdict on a run's value, and what an A/B test of its KPI could detect.

The rules, from the yearly value (or, for an unpriced KPI, the KPI change):

- ``harmful``: the high end of the value is below zero;
- ``material``: the low end is above zero and the mid is at least the bar;
- ``not material``: the high end is below the bar;
- ``uncertain``: everything else, and always when the figure rests on a link whose
  90% interval is unknown (its range is a stand-in, not a measurement).

Each verdict carries its :class:`~bizml_nb.impact.model.VerdictLabel`, the
:class:`~bizml_nb.impact.model.VerdictReason` that decided it and the sentence a card shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bizml_nb.core import units
from bizml_nb.impact.model import Impact, Range, Verdict, VerdictLabel, VerdictReason

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.core.registry import BusinessMetric


def verdict(
    value: Range | None,
    delta: Range,
    kpi: BusinessMetric,
    *,
    currency: str,
    bar: float,
    unknown: Sequence[str] = (),
) -> Verdict:
    """The verdict on a run from its yearly value (or, unpriced, its KPI change).

    - ``harmful``: the high end of the value is below zero;
    - ``material``: the low end is above zero and the mid is at least the bar;
    - ``not material``: the high end is below the bar;
    - ``uncertain``: everything else, and always when ``unknown`` names links (by label)
      whose 90% interval is unknown: the range then rests on a stand-in, so neither a
      gain nor a loss is established (:class:`VerdictReason` ``INTERVAL_UNKNOWN``).

    ``not measurable`` is added when the KPI declares ``traffic_per_week`` and the
    mid change is smaller than what a two-arm A/B test over ``test_weeks`` (default
    2) detects at alpha 0.05 and power 0.8.
    """
    change = f"{units.kpi_delta(delta.mid, kpi.unit)} {kpi.name} {units.kpi_interval(delta.low, delta.high, kpi.unit)}"
    mde, weeks = minimum_detectable(kpi)
    measurable = None if mde is None else abs(delta.mid) >= mde
    bar_text = f"the {units.money(bar, currency)}/yr bar"
    unknown_text = (
        f"the 90% interval of {' and '.join(unknown)} is unknown, so this range is a "
        "stand-in (no effect to twice the estimate), not a measurement: declare the "
        "link's interval (or fit it from at least 3 past A/B results)"
    )
    label: VerdictLabel
    why: VerdictReason
    if value is None:
        gain = delta.scaled(kpi.better)
        if unknown:
            label, why = VerdictLabel.UNCERTAIN, VerdictReason.INTERVAL_UNKNOWN
            reason = unknown_text
        elif gain.high < 0:
            label, why = VerdictLabel.HARMFUL, VerdictReason.WRONG_WAY
            reason = f"even the high end moves {kpi.name} the wrong way"
        else:
            label, why = VerdictLabel.UNCERTAIN, VerdictReason.NOT_PRICED
            reason = f"not priced: declare {kpi.name}'s value_per_unit to judge materiality"
        text = f"{label}: {change}; {reason}"
    else:
        if unknown:
            label, why = VerdictLabel.UNCERTAIN, VerdictReason.INTERVAL_UNKNOWN
            reason = unknown_text
        elif value.high < 0:
            label, why = VerdictLabel.HARMFUL, VerdictReason.LOSES_MONEY
            reason = "even the high end loses money"
        elif value.low > 0 and value.mid >= bar:
            label = VerdictLabel.MATERIAL
            why, reason = _material(bar, bar_text)
        elif value.high < bar:
            label, why, reason = (
                VerdictLabel.NOT_MATERIAL,
                VerdictReason.BELOW_BAR,
                f"below {bar_text}",
            )
        elif value.low <= 0:
            label, why = VerdictLabel.UNCERTAIN, VerdictReason.SPANS_ZERO
            reason = "the range spans zero"
        else:
            label, why = VerdictLabel.UNCERTAIN, VerdictReason.SPANS_BAR
            reason = f"the range spans {bar_text}"
        text = f"{label}: {change}, about {units.money_range(value.low, value.mid, value.high, currency, per='/yr')}; {reason}"
    if mde is not None:
        arm = units.count((kpi.traffic_per_week or 0) / 2)  # traffic_per_week: both arms
        seen = f"the {units.kpi_delta(mde, kpi.unit).lstrip('+')} an A/B test can detect (2 arms x {arm}/week, {weeks:g} weeks)"
        text += f" and below {seen}" if measurable is False else f"; above {seen}"
    return Verdict(label, text + ".", measurable, mde, why)


def _material(bar: float, bar_text: str) -> tuple[VerdictReason, str]:
    """Why a run whose whole range is a gain is material: its mid clears the bar, or none is set."""
    if bar > 0:
        return VerdictReason.CLEARS_BAR, f"the whole range is a gain and the mid clears {bar_text}"
    return VerdictReason.GAIN_WITHOUT_BAR, (
        "the whole range is a gain (no materiality bar set: `%bizml init --min-annual-value X`)"
    )


def minimum_detectable(kpi: BusinessMetric) -> tuple[float | None, float]:
    """The MDE of the KPI in its units for a test of ``test_weeks`` (None without traffic)."""
    from bizml_nb.impact.abtest import mde_mean, mde_proportion

    weeks = kpi.test_weeks or 2.0
    if kpi.traffic_per_week is None:
        return None, weeks
    n_per_arm = kpi.traffic_per_week * weeks / 2
    if kpi.std is not None:
        return mde_mean(kpi.std, n_per_arm=n_per_arm), weeks
    if kpi.is_ratio and kpi.baseline is not None and 0 < kpi.baseline < 1:
        return mde_proportion(kpi.baseline, n_per_arm=n_per_arm), weeks
    if kpi.unit in units.PERCENT_UNITS and kpi.baseline is not None and 0 < kpi.baseline < 100:
        # a percent is a proportion times 100: the same test, in percentage points
        return 100 * mde_proportion(kpi.baseline / 100, n_per_arm=n_per_arm), weeks
    return None, weeks


def with_verdict(impact: Impact, unknown: Sequence[str] = ()) -> Impact:
    """``impact`` with its verdict (unchanged when it has no business change).

    ``unknown``: the labels of the links with an unknown interval that its figure rests on.
    """
    delta = impact.business_delta
    if delta is None:
        return impact
    result = verdict(
        impact.value_per_year,
        delta,
        impact.kpi,
        currency=impact.currency,
        bar=impact.min_annual_value,
        unknown=unknown,
    )
    return Impact(**{**impact.__dict__, "verdict": result})


__all__ = ["minimum_detectable", "verdict", "with_verdict"]
