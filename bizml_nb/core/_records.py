"""Figures for JSON records: floats to 10 significant digits, alike on every machine.

The last digits of a sum, a matrix product or an ``exp`` depend on the CPU's SIMD
kernels (numpy picks AVX2 or AVX-512 code at run time), on the BLAS and on its thread
count: ``20.86192281500994`` on one machine is ``20.861922815009894`` on another. A
record keeps the digits every machine computes alike, so a saved record (and nbval's
check of a notebook's record) reproduces anywhere. The templates round their decision
records the same way.

>>> portable({"irr": 20.86192281500994, "n": 3, "p": [0.039999999999999994, None]})
{'irr': 20.86192282, 'n': 3, 'p': [0.04, None]}
"""

from __future__ import annotations

import math
from typing import Any

DIGITS = 10  # significant digits a record keeps


def figure(x: float, digits: int = DIGITS) -> float:
    """``x`` to ``digits`` significant digits (inf and nan unchanged)."""
    return float(f"{x:.{digits}g}") if math.isfinite(x) else float(x)


def portable(value: Any, digits: int = DIGITS) -> Any:
    """``value`` with every float in it, at any depth of dicts and lists, as :func:`figure`.

    Booleans, integers, strings and None are kept; tuples become lists, as in JSON.
    """
    if isinstance(value, float):
        return figure(value, digits)
    if isinstance(value, dict):
        return {key: portable(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [portable(item, digits) for item in value]
    return value
