"""How capacity figures are written: memory sizes, parameter counts, shares."""

from __future__ import annotations

from bizml_nb.core import units
from bizml_nb.finance.capacity.assumptions import GB


def size(gb: float) -> str:
    """A memory size for people: GB from 0.01 GB, else MB, kB or bytes.

    >>> size(0.4), size(11.5), size(4.004e-6)
    ('0.4 GB', '11.5 GB', '4.004 kB')
    """
    if gb == 0:
        return "0 GB"
    for scale, unit in ((1.0, "GB"), (1e-3, "MB"), (1e-6, "kB")):
        threshold = 0.01 if unit == "GB" else 1.0
        if gb / scale >= threshold - 1e-12:
            return f"{units.number(gb / scale)} {unit}"
    return f"{gb * GB:.3g} bytes"


def count(n: float) -> str:
    """A parameter count: ``100M``, ``1.5B``, ``1,001``.

    >>> count(100e6), count(1_001), count(1.5e9)
    ('100M', '1,001', '1.5B')
    """
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if n >= scale:
            return f"{n / scale:.4g}{suffix}"
    return f"{n:,.0f}"


def _pct(share: float) -> str:
    return f"{units.number(share * 100)}%"


def _share(part: float, whole: float) -> str:
    return f"{units.number(100 * part / whole)}%"


__all__ = ["count", "size"]
