"""The impact plot shows a user's names as plain one-line text."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import bizml_nb
from bizml_nb.present.charts import impact_plot, literal

if TYPE_CHECKING:
    from pathlib import Path


def test_literal_is_one_line_of_plain_text_with_dollars_escaped() -> None:
    assert literal("two\x1b[2J-tower\nv2 $5") == r"two-tower v2 \$5"
    assert literal("tab\there\x00") == "tab here"


def test_a_hostile_run_name_reaches_the_plot_as_plain_text(project_dir: Path) -> None:
    """Control characters in a run name: no glyph warning, the label is the visible text."""
    bizml_nb.init("shop")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", baseline=0.1)
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35)
    with bizml_nb.experiment("base", target="take_rate", baseline=True) as run:
        run.log({"ndcg@10": 0.40})
    with bizml_nb.experiment("new\x07\x1b[31m\nranker", target="take_rate") as run:
        run.log({"ndcg@10": 0.41})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of each missing glyph
        figure = impact_plot(bizml_nb.project(), "take_rate")
        figure.canvas.draw()
    labels = [text.get_text() for text in figure.axes[0].texts]
    assert "new ranker" in labels
