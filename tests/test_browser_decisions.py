"""What a decision maker sees, in a real Chromium: the ROI template and the report.

``bizml demo`` builds the worked project once for the module. Its ROI analysis of
the recommender's best run is opened in JupyterLab, its saved outputs cleared and
every cell run: the decision card is the first output under the parameters, no
cell fails, and no reader sees a record's MIME type. The recommender's report,
opened from its file, shows its "What to decide" box within the first screen.

``BIZML_SCREENSHOT_DIR=docs/img`` also writes the screenshots the README shows
(``roi-template-lab.png``, ``report.png``). Skips and failures without a browser
follow tests/test_browser.py (``BIZML_BROWSER=required``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.lab_browser import Lab, lab_with_browser, open_and_run, require_browser

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bizml_nb.interfaces.demo import run_demo

    require_browser()
    root = tmp_path_factory.mktemp("demo") / "demo"
    run_demo(root, progress=False)
    return root


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Any, Path]]:
    yield from lab_with_browser(tmp_path_factory)


def _keep(path: Path, name: str) -> None:
    target = os.environ.get("BIZML_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)


def _first_output_after_parameters(notebook: Path) -> int:
    """The index, among the notebook's code cells, of the first one after ``parameters``."""
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    tagged = [
        i
        for i, cell in enumerate(cells)
        if {"parameters", "injected-parameters"} & set(cell.get("metadata", {}).get("tags", []))
    ]
    return max(tagged) + 1


def test_the_roi_template_leads_with_its_decision_in_jupyterlab(
    demo: Path, lab: tuple[Lab, Any, Path]
) -> None:
    server, browser, base = lab
    notebook = demo / "recsys_take_rate" / "roi_analysis.ipynb"
    session = open_and_run(browser, server, notebook, base)
    page = session.page
    first = _first_output_after_parameters(notebook)
    cell = page.locator(".jp-CodeCell").nth(first)
    card = cell.locator(".bizml-card")
    assert card.count() == 1, cell.inner_text()
    text = " ".join(card.inner_text().split())
    assert "NPV" in text
    body = page.locator(".jp-Notebook").inner_text()
    assert "application/vnd.bizml" not in body
    assert "decision record" not in body
    assert session.problems == []

    page.set_viewport_size(SCREEN)
    page.keyboard.press("Control+b")  # no file browser: room for the cells
    # the decision card at the top of the screen, the Markdown that introduces it above
    cell.evaluate("(c) => (c.previousElementSibling || c).scrollIntoView({block: 'start'})")
    page.mouse.move(1, 1)
    shot = base / "roi-template-lab.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    _keep(shot, "roi-template-lab.png")


def test_the_report_shows_what_to_decide_on_its_first_screen(
    demo: Path, lab: tuple[Lab, Any, Path]
) -> None:
    _server, browser, base = lab
    report = demo / "recsys_take_rate" / "report.html"
    context = browser.new_context(viewport=SCREEN)
    try:
        page = context.new_page()
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        box = page.locator(".decide").bounding_box()
        assert box is not None
        assert box["y"] >= 0
        assert box["y"] + box["height"] <= SCREEN["height"], box
        assert "NPV" in page.locator(".decide").inner_text()
        shot = base / "report.png"
        page.screenshot(path=str(shot))
    finally:
        context.close()
    assert shot.stat().st_size > 10_000
    _keep(shot, "report.png")
