"""The dashboard: pick a KPI, see its leaderboard, its impact plot and a run's card.

>>> Dashboard(bizml_nb.project())  # doctest: +SKIP
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import BizmlError
from bizml_nb.present.cards import run_card, text_html
from bizml_nb.present.views import rank_text as _rank
from bizml_nb.present.views import value_text, verdict_text
from bizml_nb.present.widgets.bundle import with_text

if TYPE_CHECKING:
    import pandas as pd

    from bizml_nb.projects.project import Project


class Dashboard:
    """One panel: KPI dropdown, leaderboard, plot and the selected run's card.

    Every user string that reaches HTML is escaped.
    """

    def __init__(self, project: Project, target: str | None = None) -> None:
        import ipywidgets as w

        self.project = project
        registry = project.registry
        kpis = list(registry.metrics)
        self.kpi = w.Dropdown(
            options=kpis,
            value=target if target in kpis else (kpis[0] if kpis else None),
            description="KPI",
        )
        self.leaderboard = w.HTML(layout=w.Layout(overflow="auto"))
        self.plot = w.Image(format="png", layout=w.Layout(max_width="700px"))
        self.message = w.HTML()
        self.run = w.Dropdown(options=[], description="Run")
        self.card = w.HTML()
        self.widget = w.VBox(
            [
                w.HTML("<b>bizml dashboard</b>"),
                self.kpi,
                self.leaderboard,
                self.plot,
                self.message,
                self.run,
                self.card,
            ],
            layout=w.Layout(width="100%"),
        )
        self.widget.add_class("bizml-dashboard")
        self._board: pd.DataFrame | None = None
        self.kpi.observe(lambda _change: self.refresh(), names="value")
        self.run.observe(lambda _change: self._show_run(), names="value")
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the leaderboard, the plot and the run list for the selected KPI."""
        from bizml_nb.present.charts import figure_png, impact_plot
        from bizml_nb.present.views import compare

        target = self.kpi.value
        if target is None:
            self.leaderboard.value = (
                "<p>No business metrics yet: declare one with <code>%bizml metric</code>.</p>"
            )
            return
        board = compare(self.project, target)
        self._board = board
        self.leaderboard.value = leaderboard_html(board, self.project.registry.currency)
        try:
            self.plot.value = figure_png(impact_plot(self.project, target))
            self.message.value = ""
        except BizmlError as exc:
            self.plot.value = b""
            self.message.value = f"<p>{html.escape(str(exc))}</p>"
        options = [(f"{row['name']} ({row['id'][-6:]})", row["id"]) for _, row in board.iterrows()]
        self.run.options = options
        self.run.value = options[0][1] if options else None
        self._show_run()

    def _show_run(self) -> None:
        if self.run.value is None:
            self.card.value = ""
            return
        self.card.value = run_card(self.project, self.run.value).html()

    def text(self) -> str:
        """The selected KPI's leaderboard in words, for where the panel cannot be shown."""
        if self.kpi.value is None or self._board is None:
            return "bizml dashboard: no business metrics yet (declare one with %bizml metric)"
        head = f"bizml dashboard: {self.kpi.value}"
        others = [k for k in self.project.registry.metrics if k != self.kpi.value]
        if others:
            head += f" (pick another KPI in Jupyter: {', '.join(others)})"
        board, more = self._board.head(TEXT_ROWS), max(len(self._board) - TEXT_ROWS, 0)
        text = f"{head}\n{leaderboard_text(board, self.project.registry.currency)}"
        return text + (f"\n  ... and {more} more runs" if more else "")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_text(self.widget._repr_mimebundle_(**kwargs), self.text())


TEXT_ROWS = 10  # the plain-text leaderboard shows the best runs only
_PAD = ' style="padding:2px 14px 2px 0;text-align:left;white-space:nowrap"'
_EMPTY = "No successful runs against this KPI yet."


def leaderboard_cells(board: pd.DataFrame, currency: str) -> tuple[list[str], list[list[str]]]:
    """The leaderboard's header and rows as text: ranks, run, verdict, yearly value range."""
    rank_columns = [c for c in board.columns if c.startswith("rank_by_") and c != "rank_by_value"]
    header = ["rank by value", *(c.replace("rank_by_", "rank by ") for c in rank_columns)]
    header += ["run", "verdict", "value per year (90%)"]
    rows = []
    for _, row in board.iterrows():
        cells = [_rank(row.get("rank_by_value"))]
        cells += [_rank(row.get(c)) for c in rank_columns]
        cells += [str(row["name"]), verdict_text(row.get("verdict"))]
        rows.append([*cells, value_text(row, currency, missing="")])
    return header, rows


def leaderboard_text(board: pd.DataFrame, currency: str) -> str:
    """The leaderboard as aligned plain-text columns."""
    if board.empty:
        return _EMPTY
    header, rows = leaderboard_cells(board, currency)
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *rows]
    )


def leaderboard_html(board: pd.DataFrame, currency: str) -> str:
    """The leaderboard as an escaped HTML table with money and ranges in words."""
    if board.empty:
        return f"<p>{_EMPTY}</p>"
    header, cells = leaderboard_cells(board, currency)
    rows = [
        "<tr>" + "".join(f"<td{_PAD}>{text_html(c)}</td>" for c in line) + "</tr>" for line in cells
    ]
    head = "".join(f"<th{_PAD}>{html.escape(h)}</th>" for h in header)
    return (
        '<table class="bizml-leaderboard" style="border-collapse:collapse">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
