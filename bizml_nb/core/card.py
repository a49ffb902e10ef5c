"""The card protocol: a card says ``title()``, ``rows()`` and ``record()``; this base shows it.

Every card bizml_nb displays (an experiment, the registry, ROI, maturity, capacity,
monitoring, a link's evidence) is one ``display_data`` with:

- ``text/plain``: the title, then one line per row (``  Label       text``), deterministic
  (no ids, times or addresses) so nbval can compare it;
- ``text/html``: ``<div class="bizml-card ...">`` with a title and a two-column table,
  every string escaped and wrapped by :func:`text_html`;
- the card's own MIME type (``application/vnd.bizml.*+json``) with :meth:`CardMixin.record`,
  when it has one, so a notebook keeps its figures as data.

A card class is a dataclass holding typed results (an :class:`~bizml_nb.impact.Impact`,
an ROI result, a capacity plan...) and decides nothing: it only words them. The
pattern is rich's ``JupyterMixin``: one place turns the parts into the representations.
The protocol sits in core, with no dependency, so that a result of any layer (a
maturity assessment, a capacity plan, a monitoring result) can show itself as a card
without importing from a layer above it.

Declare card dataclasses with ``@dataclass(frozen=True, repr=False)``: a dataclass
otherwise writes its own ``__repr__`` over the card's text.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from collections.abc import Sequence

CARD_STYLE = (
    "border:1px solid var(--jp-border-color1,#d0d7de);border-radius:6px;padding:8px 12px;"
    "margin:4px 0;font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;line-height:1.4;"
    "color:var(--jp-ui-font-color1,#1f2328);background:var(--jp-layout-color1,#fff);max-width:960px"
)
TH_STYLE = (
    "text-align:left;vertical-align:top;padding:2px 12px 2px 0;font-weight:600;"
    "color:var(--jp-ui-font-color2,#57606a);white-space:nowrap"
)
TD_STYLE = "text-align:left;vertical-align:top;padding:2px 0"
_TEXT_STYLE = "font:inherit;background:none;padding:0;color:inherit;white-space:normal"

#: A row of a card: its label and its text (both plain text, one line each).
Row = tuple[str, str]


def text_html(text: str) -> str:
    """``text`` escaped and wrapped in ``<code>`` styled as plain text.

    JupyterLab typesets ``$...$`` in HTML outputs as LaTeX; MathJax never looks
    inside ``<code>``, so amounts like "$1.2M to $3.4M" stay as written.
    """
    return f'<code class="bizml-text" style="{_TEXT_STYLE}">{html.escape(text)}</code>'


def one_line(text: str) -> str:
    """User text on one line, so a newline in a name cannot break a card's layout."""
    return " ".join(text.replace("\r", "\n").split("\n"))


def css_name(label: str) -> str:
    """A row label as a CSS class suffix: ``"Yearly cost"`` -> ``"yearly-cost"``."""
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-") or "row"


class CardMixin:
    """Turns ``title()``, ``rows()`` and ``record()`` into a card's three representations.

    A subclass sets :attr:`mime_type` (``None`` for a card without a record), may set
    :attr:`css_class` and :attr:`label_width`, and may override the hooks
    :meth:`title_html` (a title with more than text), :meth:`details` and
    :meth:`details_html` (lines shown under one row), :meth:`notes` (lines after the
    rows, as written) and :meth:`empty_text`.
    """

    mime_type: ClassVar[str | None] = None
    css_class: ClassVar[str] = ""
    label_width: ClassVar[int] = 11

    # -- what a card says

    def title(self) -> str:
        raise NotImplementedError

    def rows(self) -> Sequence[Row]:
        raise NotImplementedError

    def record(self) -> dict[str, Any] | None:
        """The card's figures as JSON-ready data, shown under :attr:`mime_type`."""
        return None

    # -- hooks

    def title_html(self) -> str:
        return f"<b>{text_html(one_line(self.title()))}</b>"

    def details(self, label: str) -> Sequence[str]:
        """Plain-text lines shown under the row ``label`` (none by default)."""
        return ()

    def details_html(self, label: str) -> str:
        return "".join(f"<div>{text_html(line)}</div>" for line in self.details(label))

    def notes(self) -> Sequence[str]:
        """Plain-text lines shown as written after the rows: a list of next steps, a worked
        example's arithmetic (none by default)."""
        return ()

    def empty_text(self) -> str | None:
        """What the card says instead of its rows when it has none (``None``: just the title)."""
        return None

    def text_width(self) -> int:
        """The width of the label column in text (``label_width`` unless a card measures it)."""
        return self.label_width

    # -- the representations

    def text(self) -> str:
        """The deterministic plain-text card."""
        rows = self.rows()
        title = one_line(self.title())
        empty = self.empty_text()
        if not rows and empty is not None:
            return f"{title}: {empty}"
        width = self.text_width()
        lines = [title]
        for label, text in rows:
            lines.append(f"  {one_line(label):<{width}} {one_line(text)}".rstrip())
            lines.extend(f"      {one_line(line)}" for line in self.details(label))
        lines.extend(one_line(line) for line in self.notes())
        return "\n".join(lines)

    def html(self) -> str:
        """The HTML card; every string is escaped."""
        e = html.escape
        body = "".join(
            f'<tr><th style="{TH_STYLE}">{e(label)}</th>'
            f'<td style="{TD_STYLE}" class="bizml-{e(css_name(label))}">'
            f"{text_html(text)}{self.details_html(label)}</td></tr>"
            for label, text in self.rows()
        )
        notes = "".join(
            f"<div>{text_html(one_line(line)) if line.strip() else '<br>'}</div>"
            for line in self.notes()
        )
        classes = " ".join(filter(None, ("bizml-card", self.css_class)))
        return (
            f'<div class="{e(classes)}" style="{CARD_STYLE}">'
            f'<div class="bizml-card-title" style="font-size:14px;margin-bottom:4px">'
            f"{self.title_html()}</div>"
            f'<table class="bizml-card-table" style="border-collapse:collapse">{body}</table>'
            + (f'<div class="bizml-card-notes">{notes}</div>' if notes else "")
            + "</div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": self.text(), "text/html": self.html()}
        if self.mime_type is not None:
            record = self.record()
            if record is not None:
                bundle[self.mime_type] = record
        return bundle

    def __repr__(self) -> str:
        return self.text()


__all__ = [
    "CARD_STYLE",
    "TD_STYLE",
    "TH_STYLE",
    "CardMixin",
    "Row",
    "css_name",
    "one_line",
    "text_html",
]
