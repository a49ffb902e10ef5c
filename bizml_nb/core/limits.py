"""The ranges the numbers of a bizml.toml must lie in, so that what is computed from them means something.

Every number in the registry ends up in arithmetic on a card: a KPI change times
``value_per_unit`` is money per year; a confusion link's value per case times
``cases_per_year`` is too; ``traffic_per_week`` times ``test_weeks`` is the
sample of the A/B test whose minimum detectable effect divides by it; a change is
shown relative to the KPI's ``baseline``. Numbers far outside any business's
scale overflow (1e300 x 1e9 is infinite in floating point) or give a card that
means nothing (a test of 1e-300 users a week), so they are refused, with the key
named, before anything is stored.

The bounds are wide enough for any real business in any currency, and within
them every product and quotient bizml_nb computes stays a finite number:

- any number: at most 1e18 in size (a yearly value beyond any business even in
  currencies with many units to the dollar; a larger figure is in the wrong unit);
- ``baseline``: 0, or at least 1e-18 in size (changes are divided by it);
- ``traffic_per_week``: 1 to 1e15 units an A/B test can randomise in a week;
- ``test_weeks``: 0.01 (under two hours) to 520 (ten years);
- ``cases_per_year``: 1 to 1e15 cases a year;
- a confusion link's largest value per case times ``cases_per_year``: at most
  1e18 a year.
"""

from __future__ import annotations

import math
from typing import Any

LARGEST = 1e18
SMALLEST_BASELINE = 1e-18
TOO_LARGE = (
    "is too large: numbers in bizml.toml must lie between -1e18 and 1e18, or the money per "
    "year computed from them overflows; check the unit (a figure in thousands or millions "
    "may fit)"
)
RANGES: dict[str, tuple[float, float, str]] = {
    "traffic_per_week": (1.0, 1e15, "units an A/B test can randomise in a week"),
    "test_weeks": (0.01, 520.0, "the A/B test's length in weeks, from two hours to ten years"),
    "cases_per_year": (1.0, 1e15, "cases the model decides on in a year"),
}


def out_of_range(key: str, value: float) -> str | None:
    """Why ``value`` cannot be ``key``'s value, or None when it can.

    ``value`` is a finite number; an ``int`` of any size is compared exactly
    (never converted to float, which would overflow).
    """
    if key in RANGES:
        low, high, meaning = RANGES[key]
        if not low <= value <= high:
            return f"must lie between {bound(low)} and {bound(high)}: {meaning}"
        return None
    if abs(value) > LARGEST:
        return TOO_LARGE
    if key == "baseline" and value != 0 and abs(value) < SMALLEST_BASELINE:
        return (
            "is too close to 0: changes are shown relative to the "
            f"baseline, so give 0 or a size of at least {bound(SMALLEST_BASELINE)}"
        )
    return None


def yearly_value_problem(
    largest_per_case: float, cases_per_year: float, *, cases: str = "cases_per_year"
) -> str | None:
    """Why a confusion link's value matrix cannot go with ``cases_per_year``, or None.

    ``cases`` is how the message names ``cases_per_year`` (``"{cases_per_year}"`` for
    an :class:`~bizml_nb.core.errors.InvalidValue` that mentions it).
    """
    yearly = largest_per_case * cases_per_year
    if yearly > LARGEST:
        return (
            f"holds up to {bound(largest_per_case)} a case, which times {cases} "
            f"({bound(cases_per_year)}) is {bound(yearly)} a year, above {bound(LARGEST)}; "
            f"check that the matrix holds the value of one case and {cases} the cases "
            "of one year"
        )
    return None


def bound(x: float) -> str:
    """A number as people write it in a message: 1e18, 0.01, 520, 3.7e21."""
    mantissa, _, exponent = f"{x:.3g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa


def shown(value: Any) -> str:
    """A value for an error message: a huge whole number by its length, not its digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**21:
        return f"a {math.floor(math.log10(abs(value))) + 1}-digit number"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    return repr(value)
