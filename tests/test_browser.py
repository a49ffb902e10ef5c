"""The product in JupyterLab, in a real Chromium: what a user sees and clicks works.

- the quickstart: its cards render with their numbers, `%bizml dashboard` renders
  and its KPI dropdown changes the leaderboard and the run card;
- the ROI calculator and the maturity quiz: moving a slider reprices the project,
  ticking answers moves the level;
- no error output, no widget that failed to render, nothing on the console;
- the HTML report: no request leaves the file, and a hostile experiment name is
  shown as text, never run.

Each notebook's saved outputs are cleared first, so what the assertions see was
rendered by this run's kernel. The machinery is in tests/lab_browser.py. Without
Chromium (``apt-get install chromium chromium-driver``) or Playwright the tests
skip with the reason; with ``BIZML_BROWSER=required`` (set by ``.ci/run``) they
fail instead. ``BIZML_SCREENSHOT_DIR=docs/img`` also writes the screenshot shown
in the README there.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.lab_browser import (
    ERROR_OUTPUT,
    RUN_S,
    Lab,
    Session,
    lab_with_browser,
    open_and_run,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "notebooks" / "quickstart.ipynb"
SCREENSHOT = "quickstart-lab.png"
WAIT = {"timeout": RUN_S * 1000}  # for expect(): each widget update is a message of its own


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Any, Path]]:
    """One JupyterLab server and one Chromium for the module, always stopped."""
    yield from lab_with_browser(tmp_path_factory)


@pytest.fixture(scope="module")
def quickstart(lab: tuple[Lab, Any, Path]) -> Session:
    server, browser, base = lab
    return open_and_run(browser, server, QUICKSTART, base)


@pytest.fixture(scope="module")
def widgets(lab: tuple[Lab, Any, Path]) -> Session:
    """A notebook with the ROI calculator and the maturity quiz, run in the browser."""
    import nbformat

    server, browser, base = lab
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(source)
        for source in (
            "import os, tempfile\nos.chdir(tempfile.mkdtemp())\n%load_ext bizml_nb",
            "from bizml_nb.present.widgets import ROICalculator\nROICalculator(annual_benefit=2e6)",
            "%bizml maturity",
        )
    ]
    path = base / "widgets.ipynb"
    nbformat.write(nb, path)
    return open_and_run(browser, server, path, base)


def _cards(page: Any) -> list[str]:
    """The text of every experiment card in the notebook (not the dashboard's), in order."""
    texts = page.eval_on_selector_all(
        ".jp-Notebook .jp-OutputArea-output > .bizml-card.bizml-run, "
        ".jp-Notebook .jp-OutputArea-output .jp-RenderedHTMLCommon > .bizml-card.bizml-run",
        "(cards) => cards.map((c) => c.textContent)",
    )
    return [" ".join(text.split()) for text in texts]


def _saved_cards() -> list[str]:
    """The text/plain cards in the saved notebook, as nbval checks them, in order."""
    from bizml_nb.interfaces.nbimport import cards_in_notebook

    return ["".join(card["text/plain"]) for card in cards_in_notebook(QUICKSTART)]


def _value(card_text: str) -> str | None:
    """The card's 'about +$X/yr [low, high] (90%)' figure, if it has one."""
    match = re.search(r"about [+-]\$[\d.]+[kMB]?/yr \[[^\]]+\] \(\d+(?:\.\d+)?%\)", card_text)
    return match.group(0) if match else None


# --------------------------------------------------------------------------- the quickstart


def test_every_experiment_card_renders_with_its_numbers(quickstart: Session) -> None:
    """The cards the saved notebook has, in its order, with the same yearly values."""
    cards = _cards(quickstart.page)
    saved = _saved_cards()
    assert [text.split(" → ")[0] for text in cards] == [text.split("  ->")[0] for text in saved]
    assert [_value(text) for text in cards] == [_value(text) for text in saved]
    assert _value(cards[1]) is not None  # two-tower v2: the value the kernel's NDCG gives
    distilled = cards[-1]
    # 21 ms - 38 ms = -17 ms; x 2e-4 [1e-4, 3e-4] per ms = -0.34 pp [-0.51, -0.17];
    # x -$1.2e9 per unit = +$4.08M [+$2.04M, +$6.12M] a year, above the $1M bar.
    assert "-0.34 pp abandonment [-0.51, -0.17]" in distilled
    assert "about +$4.08M/yr [+$2.04M, +$6.12M]" in distilled
    assert "material" in distilled


def test_dashboard_kpi_dropdown_updates_the_leaderboard(quickstart: Session) -> None:
    """Choosing the second KPI shows its runs and card; choosing the first brings them back."""
    from playwright.sync_api import expect

    dashboard = quickstart.page.locator(".bizml-dashboard")
    dashboard.scroll_into_view_if_needed()
    board = dashboard.locator(".bizml-leaderboard")
    card = dashboard.locator(".bizml-card.bizml-run")
    kpi = dashboard.locator(".widget-dropdown", has_text="KPI").locator("select")
    expect(kpi).to_have_value("take_rate", **WAIT)
    expect(board).to_contain_text("two-tower v2", **WAIT)
    expect(board).not_to_contain_text("distilled ranker")
    expect(dashboard.locator("img")).to_have_count(1, **WAIT)  # the impact plot
    expect(card).to_contain_text("two-tower v2", **WAIT)  # the best run's card

    kpi.select_option("abandonment")
    expect(board).to_contain_text("distilled ranker", **WAIT)
    expect(card).to_contain_text("distilled ranker", **WAIT)  # the card follows the KPI
    rows = board.locator("tbody tr").evaluate_all(
        "(rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim()))"
    )
    # rank by value, rank by latency_ms, run, verdict, value per year (90%)
    assert rows[0] == ["1", "1", "distilled ranker", "material", "+$4.08M [+$2.04M, +$6.12M]"]
    assert rows[1][2:4] == ["full ranker", "baseline"]
    expect(board).not_to_contain_text("two-tower v2")
    _screenshot(quickstart)

    kpi.select_option("take_rate")
    expect(board).to_contain_text("two-tower v2", **WAIT)
    expect(card).to_contain_text("two-tower v2", **WAIT)
    assert quickstart.problems == []  # nothing on the console while switching


def test_no_widget_or_browser_errors(quickstart: Session) -> None:
    """No error output, no widget that failed to render, nothing on the console."""
    page = quickstart.page
    assert page.locator(ERROR_OUTPUT).count() == 0
    assert page.locator(".jupyter-widgets-error-widget").count() == 0
    outputs = " ".join(page.locator(".jp-OutputArea-output").all_text_contents())
    for sign in ("Error displaying widget", "Loading widget", "Traceback"):
        assert sign not in outputs
    assert page.locator(".bizml-dashboard .widget-dropdown").count() == 2  # KPI and run
    assert quickstart.problems == []


# --------------------------------------------------------------------------- the widgets


def test_roi_calculator_reprices_when_a_slider_moves(widgets: Session) -> None:
    """The NPV shown is the ROI model's, before and after the benefit slider moves."""
    from dataclasses import replace

    from playwright.sync_api import expect

    from bizml_nb.core import units
    from bizml_nb.finance.roi import Investment, evaluate

    calculator = widgets.page.locator(".bizml-roi-calculator")
    npv_row = calculator.locator(".bizml-roi-summary tr").filter(
        has=widgets.page.locator("th", has_text="NPV")  # the IRR row's text names the NPV too
    )
    npv = npv_row.locator("td")
    base = Investment(annual_benefit=2e6).at_mode()
    expect(npv).to_have_text(units.money(evaluate(base).npv, "USD", signed=True), **WAIT)

    benefit = calculator.locator(".widget-slider", has_text="annual benefit")
    beside = widgets.page.locator(".widget-slider", has_text="annual benefit")
    readout = calculator.locator(".widget-hbox", has=beside).locator(".bizml-roi-readout")
    expect(readout).to_have_text("$2M", **WAIT)  # money as people read it, not 2000000
    handle = benefit.locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")  # one step: 1% of the starting benefit, $20k
    expected = evaluate(replace(base, annual_benefit=2.02e6)).npv
    expect(npv).to_have_text(units.money(expected, "USD", signed=True), **WAIT)
    expect(readout).to_have_text("$2.02M", **WAIT)
    assert expected > evaluate(base).npv  # the slider moved the right way
    assert widgets.problems == []


def test_maturity_quiz_level_follows_the_answers(widgets: Session) -> None:
    """Every level-1 answer ticked: level 1 on Microsoft's scale; one unticked: level 0."""
    from playwright.sync_api import expect

    from bizml_nb.finance.maturity import QUESTIONS

    quiz = widgets.page.locator(".bizml-maturity-quiz")
    level = quiz.locator("p", has_text="on Microsoft's scale")
    expect(level).to_contain_text("Level 0 (No MLOps)", **WAIT)
    level_one = [q for q in QUESTIONS if q.level == 1]
    assert len({q.dimension for q in level_one}) == 4  # one in each dimension
    for question in level_one:
        quiz.locator(".widget-checkbox", has_text=question.text).locator("input").check()
    expect(level).to_contain_text("Level 1 (DevOps but no MLOps)", **WAIT)
    quiz.locator(".widget-checkbox", has_text=level_one[0].text).locator("input").uncheck()
    expect(level).to_contain_text("Level 0 (No MLOps)", **WAIT)
    assert widgets.page.locator(ERROR_OUTPUT).count() == 0
    assert widgets.page.locator(".jupyter-widgets-error-widget").count() == 0
    assert widgets.problems == []


def test_the_maturity_template_leads_with_its_decision_and_its_quiz_feeds_the_analysis(
    lab: tuple[Lab, Any, Path],
) -> None:
    """Run All: the decision card is the first output; an answer ticked in the quiz reaches
    the cell after it, which names it and gives the `bizml run` line that uses it."""
    from playwright.sync_api import expect

    from bizml_nb.finance.maturity import QUESTIONS

    server, browser, base = lab
    session = open_and_run(browser, server, ROOT / "templates" / "adoption_maturity.ipynb", base)
    page = session.page
    first = page.locator(".jp-Notebook .jp-OutputArea-output").first
    expect(first).to_contain_text(
        "our ML team: ML maturity level 1 of 4; 3 changes to reach level 2"
    )
    assert first.locator(".bizml-decision").count() == 1
    question = next(q for q in QUESTIONS if q.key == "shared_ownership")
    quiz = page.locator(".bizml-maturity-quiz")
    quiz.locator(".widget-checkbox", has_text=question.text).locator("input").check()
    used = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text="quiz.answers()")
    used.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    said = used.locator(".jp-OutputArea-output")
    expect(said).to_contain_text("1 differs from the parameters cell", **WAIT)
    expect(said).to_contain_text("bizml run NOTEBOOK.ipynb -p shared_ownership true")
    assert page.locator(ERROR_OUTPUT).count() == 0
    assert session.problems == []


# --------------------------------------------------------------------------- the report


HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def test_report_opens_offline_and_runs_no_user_text(
    lab: tuple[Lab, Any, Path], project_dir: Path
) -> None:
    """The HTML report in Chromium: no request leaves the file, hostile names stay text."""
    import bizml_nb
    from bizml_nb.present.report import build_report

    bizml_nb.init("recsys", currency="USD", min_annual_value=1e6)
    bizml_nb.metric(
        "take_rate", unit="ratio", direction="higher", baseline=0.112, value_per_unit=2.5e9
    )
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5), source="A/B")
    for name, value, flag in (("base", 0.40, True), (HOSTILE, 0.41, False)):
        with bizml_nb.experiment(name, target="take_rate", baseline=flag) as run:
            run.log({"ndcg@10": value})
    report = build_report(bizml_nb.project())

    _server, browser, _base = lab  # one Playwright per thread: the module's browser
    context = browser.new_context()  # a page of its own: no cookies or storage shared
    try:
        page = context.new_page()
        requests: list[str] = []
        problems: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        body = page.locator("body").inner_text()
        assert page.evaluate("() => window.pwned") is None  # neither handler nor script ran
        images = page.evaluate(
            "() => [...document.images].map((i) => [i.src.slice(0, 22), i.naturalWidth])"
        )
    finally:
        context.close()

    assert [url for url in requests if not url.startswith(("file://", "data:"))] == []
    assert HOSTILE in body  # shown as the text it is
    assert "+$8.75M" in body  # +0.01 NDCG x 0.35 x $2.5e9 a year
    assert images  # the charts are inline PNGs that decoded
    assert all(src == "data:image/png;base64," and width > 0 for src, width in images)
    assert problems == []


def _screenshot(session: Session) -> None:
    """The distilled ranker's card above the dashboard showing the second KPI."""
    page = session.page
    page.keyboard.press("Control+b")  # hide the file browser: more room for the cells
    page.locator(".jp-CodeCell", has_text="distilled ranker").first.scroll_into_view_if_needed()
    page.locator(".jp-CodeCell", has_text="distilled ranker").first.evaluate(
        "(cell) => cell.scrollIntoView({block: 'start'})"
    )
    page.mouse.move(1, 1)  # no row highlighted by hover
    path = session.lab.root.parent / SCREENSHOT  # the temporary folder of the server
    page.screenshot(path=str(path))
    target = os.environ.get("BIZML_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / SCREENSHOT)
    assert path.stat().st_size > 10_000
