"""What an analysis shows besides its cards: tables of text, and charts with words.

A :class:`TextTable` is one ``display_data`` with aligned ``text/plain`` (long cells
wrapped, never cut) and an HTML table styled like the cards, every string escaped and
kept as text (a ``$`` amount is never typeset as LaTeX). A :class:`Chart` is a
matplotlib figure as PNG, with ``text/plain`` that says in words what it shows (where
no image can be shown, and what nbval compares). matplotlib is imported inside.

>>> table = TextTable("Two rows", ("name", "value"), (("a", "$1"), ("b", "$20")), right=(1,))
>>> print(table.text())
Two rows
  name  value
  a        $1
  b       $20
"""

from __future__ import annotations

import base64
import html
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bizml_nb.core.card import CARD_STYLE, TD_STYLE, TH_STYLE, one_line, text_html
from bizml_nb.core.errors import InvalidArguments

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from matplotlib.figure import Figure

GAP = "  "


def shown(value: object, width: int | None = 60) -> str:
    """A user's value inside an :class:`InvalidArguments` message: its repr, shortened to
    ``width`` characters (None: whole, for paths), braces doubled (the message is a
    ``{name}`` template).

    >>> shown("{X}"), shown("a" * 70)[-6:], len(shown("a" * 70, None))
    ("'{{X}}'", 'aaa...', 72)
    """
    text = repr(value)
    return braced(text if width is None or len(text) <= width else text[: width - 3] + "...")


def braced(text: str) -> str:
    """``text`` safe inside a ``{name}`` template: braces doubled."""
    return text.replace("{", "{{").replace("}", "}}")


def parameters_from(
    namespace: Mapping[str, Any],
    names: Sequence[str],
    added_later: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A template's parameters ``names`` from a notebook's namespace (``globals()``).

    ``added_later`` gives the value of a parameter a notebook made before it existed
    lacks (``{"allow_high_discount": False}``); any other missing name is refused.

    >>> parameters_from({"years": 5, "x": 1}, ("years",))
    {'years': 5}
    >>> parameters_from({}, ("years",))
    Traceback (most recent call last):
    ...
    bizml_nb.core.errors.InvalidArguments: no value for years: run the parameters cell first
    """
    later = added_later or {}
    missing = [name for name in names if name not in namespace and name not in later]
    if missing:
        raise InvalidArguments(
            f"no value for {{{missing[0]}}}: run the parameters cell first", missing[0]
        )
    return {name: namespace[name] if name in namespace else later[name] for name in names}


@dataclass(frozen=True, repr=False)
class TextTable:
    """A titled table of text: ``headers``, then ``rows`` of as many cells.

    ``right`` lists the columns aligned right (figures); ``wrap`` maps a column to the
    width its text is wrapped at in ``text/plain`` (HTML wraps to the page); ``notes``
    are lines after the table.
    """

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    right: tuple[int, ...] = ()
    wrap: dict[int, int] = field(default_factory=dict)
    css_class: str = ""
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        """The table as aligned text; a wrapped cell continues on the lines below."""
        lines = [one_line(self.title)]
        wrapped = [self._cells(row) for row in (self.headers, *self.rows)]
        widths = [
            max(len(line) for cells in wrapped for line in cells[i])
            for i in range(len(self.headers))
        ]
        for cells in wrapped:
            for depth in range(max(len(c) for c in cells)):
                parts = []
                for i, cell in enumerate(cells):
                    piece = cell[depth] if depth < len(cell) else ""
                    parts.append(
                        piece.rjust(widths[i]) if i in self.right else piece.ljust(widths[i])
                    )
                lines.append((GAP + GAP.join(parts)).rstrip())
        lines.extend(one_line(note) for note in self.notes)
        return "\n".join(lines)

    def _cells(self, row: Sequence[str]) -> list[list[str]]:
        cells = []
        for i, cell in enumerate(row):
            text = one_line(cell)
            width = self.wrap.get(i)
            cells.append(textwrap.wrap(text, width) or [""] if width else [text])
        return cells

    def html(self) -> str:
        """The table in HTML, styled like a card; every string escaped."""
        e = html.escape

        def cell(tag: str, style: str, i: int, text: str) -> str:
            align = "text-align:right;" if i in self.right else ""
            return f'<{tag} style="{style};{align}padding-right:12px">{text_html(one_line(text))}</{tag}>'

        head = "".join(cell("th", TH_STYLE, i, h) for i, h in enumerate(self.headers))
        body = "".join(
            "<tr>" + "".join(cell("td", TD_STYLE, i, c) for i, c in enumerate(row)) + "</tr>"
            for row in self.rows
        )
        notes = "".join(f"<div>{text_html(one_line(note))}</div>" for note in self.notes)
        classes = " ".join(filter(None, ("bizml-card", "bizml-table", self.css_class)))
        return (
            f'<div class="{e(classes)}" style="{CARD_STYLE}">'
            f'<div class="bizml-card-title" style="font-size:14px;margin-bottom:4px">'
            f"<b>{text_html(one_line(self.title))}</b></div>"
            f'<table class="bizml-card-table" style="border-collapse:collapse">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            + (f'<div class="bizml-card-notes">{notes}</div>' if notes else "")
            + "</div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self.html()}

    def __repr__(self) -> str:
        return self.text()


@dataclass(frozen=True, repr=False)
class Chart:
    """A chart as PNG, with what it shows in words as its ``text/plain``."""

    description: str
    png: bytes

    @classmethod
    def of(cls, figure: Figure, description: str) -> Chart:
        """``figure`` as PNG (then closed, so a notebook does not show it twice)."""
        import matplotlib.pyplot as plt

        from bizml_nb.core.figures import figure_png

        try:
            return cls(description, figure_png(figure))
        finally:
            plt.close(figure)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "image/png": base64.b64encode(self.png).decode("ascii"),
            "text/plain": self.description,
        }

    def __repr__(self) -> str:
        return self.description


__all__ = ["Chart", "TextTable"]
