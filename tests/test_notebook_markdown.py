"""Money in the examples' Markdown is text, not LaTeX: every `$` there is written `\\$`.

JupyterLab and Notebook 7 typeset the text between two bare dollar signs as maths, so
"2.5$B per unit is $25M" would show as a formula. Inline code (between backticks) is
left as written: Markdown shows it literally.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("quickstart", "recsys_take_rate", "fraud_threshold")


def bare_dollars(markdown: str) -> list[str]:
    """The lines of ``markdown`` with a `$` that is neither escaped nor inside backticks."""
    found = []
    for line in markdown.splitlines():
        prose = re.sub(r"`[^`]*`", "", line)
        if re.search(r"(?<!\\)\$", prose):
            found.append(line)
    return found


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_markdown_cells_escape_every_dollar(name: str) -> None:
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "\\$" in markdown or name == "recsys_take_rate"
    assert bare_dollars(markdown) == []


def test_the_check_sees_a_bare_dollar() -> None:
    assert bare_dollars("so 2.5$B per unit is $25M") == ["so 2.5$B per unit is $25M"]
    assert bare_dollars("so \\$2.5B per unit is \\$25M, `%bizml roi --benefit $1`") == []
