"""How numbers are shown to people: units, signs, money."""

from __future__ import annotations

import pytest

from bizml_nb.core import units


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.112, "ratio", "11.20%"),
        (4.5, "percent", "4.50%"),
        (1_250_000, "USD", "$1.25M"),
        (3.5, "hours", "3.5 hours"),
        (12_000, "count", "12,000 count"),
    ],
)
def test_kpi_value(value: float, unit: str, expected: str) -> None:
    """A KPI level carries its unit; ratios are shown as percent."""
    assert units.kpi_value(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.004375, "ratio", "+0.44 pp"),
        (-0.0035, "ratio", "-0.35 pp"),
        (0.00001, "ratio", "+0.001 pp"),
        (0.0, "ratio", "+0.00 pp"),
        (0.3, "percent", "+0.30 pp"),
        (-2.5, "hours", "-2.50 hours"),
        (250_000, "EUR", "+€250k"),
    ],
)
def test_kpi_delta(value: float, unit: str, expected: str) -> None:
    """Changes are signed; ratio and percent changes are in percentage points."""
    assert units.kpi_delta(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (10_937_500, "USD", "$10.9M"),
        (6_250_000, "USD", "$6.25M"),
        (-250_000, "EUR", "-€250k"),
        (2.5e9, "GBP", "£2.5B"),
        (999_600, "USD", "$1M"),
        (1_234_567, "CHF", "1.23M CHF"),
        (42, "USD", "$42"),
        (0.5, "USD", "$0.5"),
    ],
)
def test_money(value: float, currency: str, expected: str) -> None:
    """Money has 3 significant digits and a k/M/B suffix, with the symbol where known."""
    assert units.money(value, currency) == expected


def test_money_signed() -> None:
    """signed=True puts a + on gains."""
    assert units.money(1e6, "USD", signed=True) == "+$1M"
    assert units.money(-1e6, "USD", signed=True) == "-$1M"
