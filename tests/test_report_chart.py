"""The report's chart keeps long run names inside the figure: wrapped, then shortened."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import bizml_nb
from bizml_nb.present.charts import LABEL_CHARS, LABEL_LINES, impact_plot, short_label

if TYPE_CHECKING:
    from pathlib import Path

LONG = (
    "an ensemble of a two-tower retriever and a gradient-boosted re-ranker trained with "
    "hard negatives, then distilled for speed"
)[:120]


def test_a_120_character_name_stays_inside_the_figure(project_dir: Path) -> None:
    """Each label drawn (run names and the legend) lies inside the figure, measured by
    matplotlib's renderer, and the drawn name is the shortened one."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Annotation, Text

    assert len(LONG) == 120
    bizml_nb.init("recsys", currency="USD")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", value_per_unit=2.5e9)
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))
    with bizml_nb.experiment(LONG, target="take_rate", baseline=True) as run:
        run.log({"ndcg@10": 0.40})
    for ndcg in (0.41, 0.45):  # one near the middle, one at the right edge
        with bizml_nb.experiment(f"{LONG[:-4]} {ndcg}", target="take_rate") as run:
            run.log({"ndcg@10": ndcg})
    figure = impact_plot(bizml_nb.project(), "take_rate")
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    inside = figure.bbox
    annotations = [t for t in figure.findobj(Annotation) if t.get_text()]
    assert len(annotations) == 2
    legend = figure.axes[0].get_legend()
    drawn = [*annotations, *legend.get_texts()]
    for text in drawn:
        box = text.get_window_extent(renderer)
        assert inside.x0 <= box.x0, text.get_text()
        assert box.x1 <= inside.x1, text.get_text()
        assert inside.y0 <= box.y0, text.get_text()
        assert box.y1 <= inside.y1, text.get_text()
    for annotation in annotations:
        lines = annotation.get_text().split("\n")
        assert len(lines) <= LABEL_LINES
        assert all(len(line) <= LABEL_CHARS for line in lines)
        assert lines[-1].endswith("…")
    names = [t.get_text() for t in figure.findobj(Text)]
    assert not [name for name in names if LONG[:60] in name]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("SVD rank 6", "SVD rank 6"),
        ("x" * 30, "x" * 24 + "\n" + "x" * 6),
        ("y" * 60, "y" * 24 + "\n" + "y" * 23 + "…"),
        ("line\nbreak", "line break"),
    ],
)
def test_short_label(name: str, shown: str) -> None:
    assert short_label(name) == shown
