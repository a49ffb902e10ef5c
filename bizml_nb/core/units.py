"""Numbers as people read them: KPI values and changes in their units, money per year.

Shown numbers carry units and no false precision.

>>> kpi_value(0.112, "ratio")
'11.20%'
>>> kpi_delta(0.0044, "ratio")
'+0.44 pp'
>>> money(10_937_500, "USD")
'$10.9M'
>>> money(-250_000, "EUR")
'-€250k'

A number that is not finite never reaches the text: it is shown as ``n/a``.

>>> money(float("inf"), "USD"), kpi_delta(float("nan"), "ratio")
('n/a', 'n/a')
"""

from __future__ import annotations

import math
import unicodedata

RATIO_UNITS = frozenset({"ratio", "fraction", "share", "rate"})
PERCENT_UNITS = frozenset({"percent", "%", "pct"})
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥"}
NOT_A_NUMBER = "n/a"  # shown instead of inf or nan, which no card or table shows

#: The level of every range bizml_nb shows unless the user chooses another: 90%, from
#: the 5th to the 95th percentile.
RANGE_LEVEL = 0.90
#: The 95th percentile of the standard normal: mid +- Z90 standard errors is a 90% range.
Z90 = 1.6448536269514722


def number(x: float, *, signed: bool = False) -> str:
    """A plain number with 3-4 significant digits, e.g. 0.4125, 38, 1.23e+06."""
    if not math.isfinite(x):
        return NOT_A_NUMBER
    if x == 0:
        text = "0"
    elif abs(x) >= 1e15 or abs(x) < 1e-4:
        text = f"{x:.3g}"
    elif abs(x) >= 1000:
        text = f"{x:,.0f}"
    else:
        text = f"{x:.4g}"
    return f"+{text}" if signed and x > 0 else text


def kpi_value(x: float, unit: str) -> str:
    """A KPI level in its unit: ratios as percent, money with its symbol."""
    if not math.isfinite(x * 100):
        return NOT_A_NUMBER
    if unit in RATIO_UNITS | PERCENT_UNITS:
        level = x * 100 if unit in RATIO_UNITS else x
        return f"{level:.3g}%" if abs(level) >= 1e15 else f"{level:.2f}%"
    if is_currency(unit):
        return money(x, unit)
    return f"{number(x)} {unit}"


def kpi_delta(x: float, unit: str) -> str:
    """A change of a KPI: ratios and percents in percentage points, signed."""
    if not math.isfinite(x * 100):
        return NOT_A_NUMBER
    if unit in RATIO_UNITS:
        return f"{_fixed(x * 100, signed=True)} pp"
    if unit in PERCENT_UNITS:
        return f"{_fixed(x, signed=True)} pp"
    if is_currency(unit):
        return money(x, unit, signed=True)
    return f"{_fixed(x, signed=True)} {unit}"


def kpi_interval(low: float, high: float, unit: str, *, level: float | None = RANGE_LEVEL) -> str:
    """``[low, high] (90%)`` of a KPI change, without the unit (it follows the mid value).

    ``level`` names the range's level after it; ``level=None`` leaves it to the text
    around (a column header, a row that names it once for several ranges).

    >>> kpi_interval(0.0026, 0.0066, "ratio"), kpi_interval(-1, 2, "ms", level=None)
    ('[+0.26, +0.66] (90%)', '[-1.00, +2.00]')
    """
    if unit in RATIO_UNITS:
        low, high = low * 100, high * 100
    if is_currency(unit):
        text = f"[{money(low, unit, signed=True)}, {money(high, unit, signed=True)}]"
    else:
        text = f"[{_fixed(low, signed=True)}, {_fixed(high, signed=True)}]"
    return text + level_suffix(level)


def level_text(level: float) -> str:
    """A range's level as people read it: ``level_text(0.9) == "90%"``, ``"99.7%"``."""
    value = level * 100
    if not (math.isfinite(value) and 0 < value < 100):
        raise ValueError(f"a range's level lies strictly between 0 and 1 (not {level})")
    return f"{value:.3g}%"


def level_suffix(level: float | None) -> str:
    """`` (90%)`` after a range, or nothing when ``level`` is None."""
    return "" if level is None else f" ({level_text(level)})"


def money(x: float, currency: str, *, signed: bool = False) -> str:
    """An amount with 3 significant digits and k/M/B, e.g. $10.9M, -€250k, 1.2M CHF."""
    if not math.isfinite(x):
        return NOT_A_NUMBER
    sign = "-" if x < 0 else ("+" if signed and x > 0 else "")
    size = abs(x)
    for scale, suffix in ((1e15, ""), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale * 0.9995:
            amount = f"{size / scale:.3g}{suffix}" if suffix else f"{size:.3g}"
            break
    else:
        amount = f"{size:.3g}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol:
        return f"{sign}{symbol}{amount}"
    return f"{sign}{amount} {currency}"


def money_range(
    low: float,
    mid: float,
    high: float,
    currency: str,
    *,
    per: str = "",
    level: float | None = RANGE_LEVEL,
) -> str:
    """A value and its range, signed, naming its level: ``+$8.75M/yr [+$5M, +$12.5M] (90%)``.

    The one wording of a money range: cards, verdicts, the monitor, leaderboards and the
    report use it. Money ranges are 90% unless the user chooses another level;
    ``level=None`` leaves the level to a column header that names it.

    >>> money_range(5e6, 8.75e6, 12.5e6, "USD", per="/yr")
    '+$8.75M/yr [+$5M, +$12.5M] (90%)'
    >>> money_range(5e6, 8.75e6, 12.5e6, "USD", level=None)
    '+$8.75M [+$5M, +$12.5M]'
    """
    ends = ", ".join(money(x, currency, signed=True) for x in (low, high))
    return f"{money(mid, currency, signed=True)}{per} [{ends}]{level_suffix(level)}"


def count(x: float) -> str:
    """A count of units with 3 significant digits and k/M/B: ``count(1e6) == "1M"``.

    >>> count(1_000_000), count(250_000), count(1_234_567), count(950)
    ('1M', '250k', '1.23M', '950')
    """
    text = money(x, "")
    return text.rstrip()


def percent(share: float, *, signed: bool = False, decimals: int = 0) -> str:
    """A share as percent, e.g. ``percent(0.553) == "55%"``; ``n/a`` when not finite."""
    value = share * 100
    if not math.isfinite(value):
        return NOT_A_NUMBER
    text = f"{value:+.{decimals}f}%" if signed else f"{value:.{decimals}f}%"
    return text if abs(value) < 1e15 else f"{value:{'+' if signed else ''}.3g}%"


CURRENCY_RULE = (
    "a currency is a code or symbol of 1 to 8 letters or currency signs, such as USD, EUR, "
    "CHF, $ or €, with no spaces, digits or punctuation"
)


def is_currency_name(text: object) -> bool:
    """Whether ``text`` can be a project's currency (:data:`CURRENCY_RULE`).

    >>> [is_currency_name(c) for c in ("USD", "€", "R$", "zł", "US D", "https://x.example")]
    [True, True, True, True, False, False]
    """
    return (
        isinstance(text, str)
        and 1 <= len(text) <= 8
        and all(char.isalpha() or unicodedata.category(char) == "Sc" for char in text)
    )


def is_currency(unit: str) -> bool:
    """Whether ``unit`` is a three-letter currency code such as USD."""
    return len(unit) == 3 and unit.isalpha() and unit.isupper()


def _fixed(x: float, *, signed: bool) -> str:
    """Two decimals, or two significant digits for changes smaller than 0.01."""
    if not math.isfinite(x):
        return NOT_A_NUMBER
    if x == 0:
        return "0.00" if not signed else "+0.00"
    text = f"{x:.2f}" if abs(x) >= 0.01 else f"{x:.2g}"
    if abs(x) >= 1e15:
        text = f"{x:.3g}"
    elif abs(x) >= 1000:
        text = f"{x:,.0f}"
    return f"+{text}" if signed and x > 0 else text
