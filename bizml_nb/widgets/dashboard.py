"""The dashboard: pick a KPI, see its leaderboard, its impact plot and a run's card.

>>> Dashboard(bizml_nb.project())  # doctest: +SKIP
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from bizml_nb import units
from bizml_nb.display import text_html
from bizml_nb.errors import BizmlError
from bizml_nb.views import rank_text as _rank

if TYPE_CHECKING:
    import pandas as pd

    from bizml_nb.projects import Project


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
        self.kpi.observe(lambda _change: self.refresh(), names="value")
        self.run.observe(lambda _change: self._show_run(), names="value")
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the leaderboard, the plot and the run list for the selected KPI."""
        from bizml_nb.plots import figure_png, impact_plot
        from bizml_nb.views import compare

        target = self.kpi.value
        if target is None:
            self.leaderboard.value = (
                "<p>No business metrics yet: declare one with <code>%bizml metric</code>.</p>"
            )
            return
        board = compare(self.project, target)
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
        self.card.value = self.project.card(self.run.value).html()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


_PAD = ' style="padding:2px 14px 2px 0;text-align:left;white-space:nowrap"'


def leaderboard_html(board: pd.DataFrame, currency: str) -> str:
    """The leaderboard as an escaped HTML table with money and ranges in words."""
    import pandas as pd

    if board.empty:
        return "<p>No successful runs against this KPI yet.</p>"
    rows = []
    rank_columns = [c for c in board.columns if c.startswith("rank_by_") and c != "rank_by_value"]
    header = ["rank by value", *(c.replace("rank_by_", "rank by ") for c in rank_columns)]
    header += ["run", "verdict", "value per year (90%)"]
    for _, row in board.iterrows():
        value = ""
        if not pd.isna(row.get("value_mid")):
            value = (
                f"{units.money(row['value_mid'], currency, signed=True)} "
                f"[{units.money(row['value_low'], currency, signed=True)}, "
                f"{units.money(row['value_high'], currency, signed=True)}]"
            )
        cells = [_rank(row.get("rank_by_value"))]
        cells += [_rank(row.get(c)) for c in rank_columns]
        cells += [str(row["name"]), str(row.get("verdict") or ""), value]
        rows.append("<tr>" + "".join(f"<td{_PAD}>{text_html(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th{_PAD}>{html.escape(h)}</th>" for h in header)
    return (
        '<table class="bizml-leaderboard" style="border-collapse:collapse">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
