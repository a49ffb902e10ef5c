"""Chart primitives every layer may use: money on an axis, safe labels, a figure as PNG.

They sit in core, like the card protocol, so that a result of any layer (an ROI
simulation, a capacity curve, a monitoring result) can draw itself without importing
from a layer above it. matplotlib is imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.core import units

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def literal(text: str) -> str:
    """Text for matplotlib: one line, no control characters or escape sequences, and
    ``$`` escaped, so names are never read as mathtext."""
    from bizml_nb.core.textsafe import terminal_line

    return terminal_line(text).replace("$", r"\$")


def money_axis(axis: Any, currency: str) -> None:
    """Label an axis's ticks as money (``$2M``, ``-$250k``), not as ``1e6`` multiples.

    >>> money_axis(axes.yaxis, "USD")  # doctest: +SKIP
    """
    from matplotlib.ticker import FuncFormatter

    def label(value: float, _position: Any) -> str:
        return literal(units.money(float(value), currency))

    axis.set_major_formatter(FuncFormatter(label))


def figure_png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


__all__ = ["figure_png", "literal", "money_axis"]
