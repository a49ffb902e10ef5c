"""Small helpers the shipped template notebooks share, so that no template redefines them.

>>> money = money_in("USD")
>>> money(1_234_567), money(-250_000, signed=True), money(40_000, signed=True)
('$1.23M', '-$250k', '+$40k')
>>> record_figure(20.86192281500994), record_figure(float("nan")), record_figure(None)
(20.86192282, None, None)
"""

from __future__ import annotations

import math
from typing import Protocol

from bizml_nb.core import units
from bizml_nb.core._records import figure

__all__ = ["Money", "money_in", "record_figure"]


class Money(Protocol):
    """An amount as text in one currency: ``money(amount, signed=False)``."""

    def __call__(self, amount: float, *, signed: bool = False) -> str: ...


def money_in(currency: str) -> Money:
    """:func:`bizml_nb.core.units.money` with its currency fixed (3 significant digits, k/M/B)."""

    def money(amount: float, *, signed: bool = False) -> str:
        return units.money(amount, currency, signed=signed)

    return money


def record_figure(x: float | None) -> float | None:
    """A figure for a decision record: None unless finite, else 10 significant digits (the
    digits after those differ between CPUs and BLAS libraries, and a record should not)."""
    return figure(x) if x is not None and math.isfinite(x) else None
