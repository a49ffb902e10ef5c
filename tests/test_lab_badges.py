"""Verdict badges on experiment cells in JupyterLab, in a real Chromium.

Every cell whose first line is ``%%bizml experiment`` shows a badge with its run's
verdict and yearly value, read from the cell's own run output:

- after Run All over the quickstart, each of its four experiment cells has the badge
  of the run it just recorded, with the verdict and value worked out by hand;
- a saved notebook shows its badges while no kernel has started (and how long they
  take after the notebook appears is measured);
- a badge survives windowed rendering ("full", where a cell out of view leaves the
  page, and JupyterLab 4.6's default "contentVisibility"): scrolled out of view and
  back, it is there again with the same run;
- a hostile experiment name is shown as text in the badge and in the KPI panel the
  badge opens, never run;
- how long after a re-run cell's output arrives its badge follows is measured (printed
  with ``-s`` and written to ``badge-timings.json`` in the test's temporary folder).

The machinery is in tests/lab_browser.py. ``BIZML_SCREENSHOT_DIR=docs/img`` also writes
the screenshots shown in the docs there (``lab-badges.png``, ``lab-badges-windowed.png``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from http.client import HTTPConnection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.lab_browser import (
    RUN_S,
    STARTUP_S,
    Lab,
    Session,
    jupyter_lab,
    kernel_idle,
    lab_with_browser,
    menu,
    open_and_run,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "notebooks" / "quickstart.ipynb"
RUN_MIME = "application/vnd.bizml.run+json"
BADGE = ".bizml-cell-badge"
TRACKER = "@jupyterlab/notebook-extension/tracker"
HOSTILE = "<img src=x onerror=alert(1)>"

# The quickstart's experiment cells, their verdicts and badge texts, worked out by hand:
# - two-tower v2: NDCG@10 0.4333 - 0.4202 = +0.0131, x elasticity 0.35 [0.20, 0.50]
#   = +0.4585 pp take-rate [+0.262, +0.655], x $2.5e9 = +$11.46M [+$6.55M, +$16.4M]
#   a year: the whole range a gain and the mid above the $1M bar, material;
# - distilled ranker: 21 ms - 38 ms = -17 ms, x 2e-4 [1e-4, 3e-4] per ms = -0.34 pp
#   abandonment [-0.51, -0.17], x -$1.2e9 = +$4.08M [+$2.04M, +$6.12M] a year, material;
# - the two others are their KPI's baseline runs.
EXPECTED = [
    ("popularity baseline", "baseline", "baseline"),
    ("two-tower v2", "material", "material · +$11.5M/yr"),
    ("full ranker", "baseline", "baseline"),
    ("distilled ranker", "material", "material · +$4.08M/yr"),
]

# Every badge in the notebook with the cell it is in: the cell's index, the first line
# of its editor, and where the badge's row sits among the cell's children.
BADGES_JS = """() => {
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
    return cells.flatMap((cell, index) => {
        const badge = cell.querySelector('.bizml-cell-badge');
        if (!badge) return [];
        const row = badge.closest('.bizml-cell-badge-row');
        const input = cell.querySelector(':scope > .jp-Cell-inputWrapper');
        const line = cell.querySelector('.jp-InputArea-editor .cm-line');
        return [{
            index,
            first: line ? line.textContent : '',
            verdict: badge.dataset.verdict,
            runId: badge.dataset.runId,
            text: badge.textContent,
            title: badge.title,
            disabled: badge.disabled,
            rowInCell: row !== null && row.parentElement === cell,
            rowAboveInput: input !== null && row.nextElementSibling === input,
        }];
    });
}"""


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Any, Path]]:
    """One JupyterLab server (every cell in the page) and one Chromium for the module."""
    yield from lab_with_browser(tmp_path_factory)


@pytest.fixture(scope="module")
def quickstart(lab: tuple[Lab, Any, Path]) -> Session:
    server, browser, base = lab
    return open_and_run(browser, server, QUICKSTART, base)


@pytest.fixture(scope="module")
def windowed_lab(
    lab: tuple[Lab, Any, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Lab, Any, Path]]:
    """A server for the windowed notebooks, and the module's Chromium (one Playwright
    per thread)."""
    _, browser, _ = lab
    base = tmp_path_factory.mktemp("windowed")
    settings = {TRACKER: {"windowingMode": "full"}}
    with jupyter_lab(base, settings=settings) as server:
        yield server, browser, base


# --------------------------------------------------------------------------- helpers


def _first_line(cell: dict[str, Any]) -> str:
    source = cell["source"]
    text = "".join(source) if isinstance(source, list) else source
    return text.lstrip().split("\n", 1)[0]


def _experiments(notebook: dict[str, Any]) -> list[tuple[int, dict[str, Any] | None]]:
    """Each experiment cell's index and the last run record among its outputs."""
    found = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code" or not _first_line(cell).startswith("%%bizml experiment"):
            continue
        records = [o["data"][RUN_MIME] for o in cell["outputs"] if RUN_MIME in o.get("data", {})]
        found.append((index, records[-1] if records else None))
    return found


def _saved_badges(notebook: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(name, verdict, text, run id) of each experiment cell from its saved record."""
    from bizml_nb.core import units

    badges = []
    for _, record in _experiments(notebook):
        assert record is not None
        impact = record["impact"]
        if impact["is_baseline"]:
            verdict, text = "baseline", "baseline"
        else:
            verdict = impact["verdict"]["label"]
            mid = impact["value_per_year"][1]
            text = f"{verdict} · {units.money(mid, impact['currency'], signed=True)}/yr"
        badges.append((record["run"]["name"], verdict, text, record["run"]["id"]))
    return badges


def _api(lab: Lab, path: str) -> Any:
    """GET a JSON route of the server."""
    connection = HTTPConnection("127.0.0.1", lab.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Authorization": f"token {lab.token}"})
        response = connection.getresponse()
        assert response.status == 200, path
        return json.loads(response.read())
    finally:
        connection.close()


def _kernels(lab: Lab) -> set[str]:
    """The ids of the kernels the server runs."""
    return {kernel["id"] for kernel in _api(lab, "/api/kernels")}


def _save(session: Session) -> dict[str, Any]:
    """Save the notebook from the page and read the file it wrote."""
    path = session.lab.root / session.notebook.name
    before = path.stat().st_mtime_ns
    menu(session.page, "File", "docmanager:save")
    deadline = time.monotonic() + 60
    while path.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, "the notebook was not saved"
        time.sleep(0.1)
    time.sleep(0.2)  # written in one go, but give a slow disk its moment
    return dict(json.loads(path.read_text()))


SHOT_HEIGHT = 760  # the top of the page: menu, toolbar and the first cells in view


def _screenshot(page: Any, base: Path, name: str) -> Path:
    """The top of the page in the test's folder, and in BIZML_SCREENSHOT_DIR when set."""
    page.mouse.move(1, 1)  # nothing highlighted by hover
    path = base / name
    width = page.viewport_size["width"]
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": width, "height": SHOT_HEIGHT})
    target = os.environ.get("BIZML_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)
    assert path.stat().st_size > 10_000
    return path


def _open(browser: Any, lab: Lab, name: str, workspace: str) -> tuple[Any, list[str]]:
    """A new page on notebook `name` in the server's root, and the problems it reports."""
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.set_default_timeout(STARTUP_S * 1000)
    page.goto(
        f"http://127.0.0.1:{lab.port}/lab/workspaces/{workspace}/tree/{name}?token={lab.token}"
    )
    return page, problems


# --------------------------------------------------------------------------- Run All


def test_quickstart_badges_after_run_all(quickstart: Session, lab: tuple[Lab, Any, Path]) -> None:
    """Each experiment cell has its run's badge, in the cell, above its input."""
    saved_before = json.loads(QUICKSTART.read_text())
    # the saved notebook agrees with the figures worked out by hand
    assert [b[:3] for b in _saved_badges(saved_before)] == EXPECTED

    page = quickstart.page
    notebook = _save(quickstart)  # this session's outputs, as the kernel sent them
    fresh = _saved_badges(notebook)
    assert [b[:3] for b in fresh] == EXPECTED
    old_ids = {b[3] for b in _saved_badges(saved_before)}
    assert not old_ids & {b[3] for b in fresh}  # runs of this session, not the saved ones

    badges = page.evaluate(BADGES_JS)
    cells = [index for index, _ in _experiments(notebook)]
    assert [b["index"] for b in badges] == cells  # one badge per experiment cell, no other
    for badge, (name, verdict, text, run_id) in zip(badges, fresh, strict=True):
        assert badge["first"].startswith(f'%%bizml experiment "{name}"')
        assert badge["verdict"] == verdict
        assert badge["text"] == text
        assert badge["runId"] == run_id
        assert run_id
        assert not badge["disabled"]
        assert badge["rowInCell"]
        assert badge["rowAboveInput"]
        assert badge["title"].startswith(f"{name} → ")
    two_tower = badges[1]["title"]
    # the verdict sentence of the card, word for word
    assert "material: +0.46 pp take_rate [+0.26, +0.66] (90%)" in two_tower
    assert "about +$11.5M/yr [+$6.55M, +$16.4M] (90%)" in two_tower
    assert badges[0]["title"].splitlines()[1] == "the baseline run of take_rate"

    # the screenshot: the first two experiment cells with their badges
    _, _, base = lab
    page.keyboard.press("Control+b")  # hide the file browser: more room for the cells
    first = page.locator(".jp-Notebook .jp-Cell").nth(cells[0])
    first.evaluate("(cell) => cell.scrollIntoView({block: 'start'})")
    page.locator(BADGE).nth(1).wait_for(state="visible")
    path = _screenshot(page, base, "lab-badges.png")
    visible = page.evaluate(
        """() => [...document.querySelectorAll('.bizml-cell-badge')].filter((b) => {
            const r = b.getBoundingClientRect();
            return r.top >= 0 && r.bottom <= HEIGHT && r.width > 0;
        }).length""".replace("HEIGHT", str(SHOT_HEIGHT))
    )
    page.keyboard.press("Control+b")
    assert visible >= 2, path
    assert quickstart.problems == []


# --------------------------------------------------------------------------- saved notebook


def test_saved_notebook_shows_badges_with_no_kernel(lab: tuple[Lab, Any, Path]) -> None:
    """The saved quickstart, opened with no kernel started, shows the saved runs' badges.

    Without kernel metadata JupyterLab asks which kernel to start and starts none until
    told: the badges can only come from the saved outputs.
    """
    server, browser, base = lab
    saved = json.loads(QUICKSTART.read_text())
    expected = _saved_badges(saved)
    copy = dict(saved, metadata={k: v for k, v in saved["metadata"].items() if k == "widgets"})
    name = "quickstart-saved.ipynb"
    (server.root / name).write_text(json.dumps(copy))
    kernels_before = _kernels(server)

    page = None
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 1400})
        # from the first script on: when a notebook cell is in the page, when the badges are
        context.add_init_script(
            """(() => {
                const seen = {cell: null, experiments: null, badges: null};
                window.__bizmlSeen = seen;
                const look = () => {
                    const now = performance.now();
                    if (seen.cell === null && document.querySelector('.jp-Notebook .jp-Cell'))
                        seen.cell = now;
                    const lines = document.querySelectorAll(
                        '.jp-Notebook .jp-Cell .jp-InputArea-editor .cm-line:first-child');
                    const experiments = [...lines]
                        .filter((l) => l.textContent.startsWith('%%bizml experiment')).length;
                    if (seen.experiments === null && experiments >= 4) seen.experiments = now;
                    const done = [...document.querySelectorAll('.bizml-cell-badge')]
                        .filter((b) => b.dataset.runId).length;
                    if (seen.badges === null && done >= 4) {
                        seen.badges = now;
                        observer.disconnect();
                    }
                };
                const observer = new MutationObserver(look);
                observer.observe(document, {childList: true, subtree: true, attributes: true});
            })()"""
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.set_default_timeout(STARTUP_S * 1000)
        page.goto(
            f"http://127.0.0.1:{server.port}/lab/workspaces/saved/tree/{name}?token={server.token}"
        )
        page.wait_for_function("() => window.__bizmlSeen && window.__bizmlSeen.badges !== null")
        seen = page.evaluate("() => window.__bizmlSeen")
        badges = page.evaluate(BADGES_JS)
        kernels = _kernels(server)
        # JupyterLab is asking which kernel to start
        dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
        dialog.wait_for()
        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()
        kernels_later = _kernels(server)
        sessions = [s["path"] for s in _api(server, "/api/sessions")]
    finally:
        if page is not None:
            page.context.close()

    # no kernel started for it (the other tests' kernels may be running)
    assert kernels == kernels_before
    assert kernels_later == kernels_before
    assert name not in sessions
    assert [(b["first"].split('"')[1], b["verdict"], b["text"], b["runId"]) for b in badges] == [
        (name_, verdict, text, run_id) for name_, verdict, text, run_id in expected
    ]
    assert [b[:3] for b in expected] == EXPECTED
    # nothing ran: every code cell keeps the number it was saved with
    counts = [c["execution_count"] for c in saved["cells"] if c["cell_type"] == "code"]
    assert [p.strip() for p in prompts] == [f"[{n}]:" for n in counts]
    delay = seen["badges"] - seen["cell"]
    print(
        f"\nsaved notebook: all 4 badges {delay:.0f} ms after the first cell is in the page, "
        f"{seen['badges'] - seen['experiments']:.0f} ms after the 4 experiment cells' inputs"
    )
    print(f"(first cell {seen['cell']:.0f} ms, badges {seen['badges']:.0f} ms after navigation)")
    _record(base, "saved_notebook_first_cell_after_navigation_ms", seen["cell"])
    _record(base, "saved_notebook_badges_after_navigation_ms", seen["badges"])
    _record(base, "saved_notebook_badges_after_first_cell_ms", delay)
    _record(
        base,
        "saved_notebook_badges_after_experiment_inputs_ms",
        seen["badges"] - seen["experiments"],
    )
    assert math.isfinite(delay)
    assert delay >= 0
    assert problems == []


def _record(base: Path, key: str, value: Any) -> None:
    """Add a measurement to badge-timings.json in the module's temporary folder."""
    path = base / "badge-timings.json"
    figures = json.loads(path.read_text()) if path.exists() else {}
    figures[key] = value
    path.write_text(json.dumps(figures, indent=2))


@pytest.fixture(scope="module", autouse=True)
def _timings_file(lab: tuple[Lab, Any, Path]) -> Iterator[None]:
    """Where the measurements went, once the module is done."""
    yield
    path = lab[2] / "badge-timings.json"
    if path.exists():
        print(f"\ntimings: {path}\n{path.read_text()}")


# --------------------------------------------------------------------------- windowing


def _long_notebook(path: Path) -> dict[str, Any]:
    """Cell 1 the quickstart's two-tower cell with its saved outputs, then 199 plain cells."""
    import nbformat

    saved = nbformat.read(QUICKSTART, as_version=4)
    experiment = next(
        c for c in saved.cells if _first_line(c).startswith('%%bizml experiment "two-tower v2"')
    )
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(saved.metadata["kernelspec"])
    nb.cells = [experiment]
    for i in range(1, 200):
        if i % 3 == 0:
            nb.cells.append(
                nbformat.v4.new_markdown_cell(
                    f"## Section {i}\n\nA paragraph of notes about step {i}, long enough to "
                    "wrap onto a second line in a notebook of ordinary width, as notes do."
                )
            )
        else:
            lines = [f"x_{i}_{j} = {i} * {j}" for j in range(8)]
            nb.cells.append(nbformat.v4.new_code_cell("\n".join(lines)))
    nbformat.write(nb, path)
    return dict(json.loads(path.read_text()))


def _set_windowing(lab: Lab, mode: str) -> None:
    """Set the notebook's windowing mode as the Settings Editor does (new pages read it)."""
    body = json.dumps({"raw": json.dumps({"windowingMode": mode})})
    connection = HTTPConnection("127.0.0.1", lab.port, timeout=10)
    try:
        connection.request(
            "PUT",
            "/lab/api/settings/@jupyterlab/notebook-extension:tracker",
            body=body,
            headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
        )
        assert connection.getresponse().status == 204
    finally:
        connection.close()


# "full": only the cells in view are attached (out of view, a cell with outputs keeps
# them alone, hidden); "contentVisibility", JupyterLab 4.6's default: every cell stays
# attached and the browser skips rendering those out of view.
@pytest.mark.parametrize("mode", ["full", "contentVisibility"])
def test_badge_survives_windowed_rendering(windowed_lab: tuple[Lab, Any, Path], mode: str) -> None:
    """Scrolled out of view and back, the first cell has its badge with the same run."""
    server, browser, base = windowed_lab
    _set_windowing(server, mode)
    name = f"long-{mode}.ipynb"
    notebook = _long_notebook(server.root / name)
    [(index, record)] = _experiments(notebook)
    assert index == 0
    assert record is not None
    run_id = record["run"]["id"]
    page, problems = _open(browser, server, name, f"long-{mode}")
    try:
        first_cell = page.locator('.jp-Notebook .jp-Cell[data-windowed-list-index="0"]')
        badge = first_cell.locator(f"{BADGE}[data-run-id='{run_id}']")
        badge.wait_for()
        assert badge.get_attribute("data-verdict") == "material"
        assert badge.text_content() == "material · +$11.5M/yr"
        viewport = page.locator(".jp-Notebook .jp-WindowedPanel-viewport")
        if mode == "full":
            assert page.locator(".jp-Notebook .jp-Cell").count() < 200  # not every cell
        else:
            assert "jp-content-visibility-mode" in (viewport.get_attribute("class") or "")

        first_cell.evaluate("(cell) => { window.__bizmlFirstCell = cell; }")
        # JupyterLab keeps the active cell attached: make a later one active
        page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-InputPrompt").click()
        assert not first_cell.evaluate("(cell) => cell.classList.contains('jp-mod-active')")
        # to the end (the notebook's height grows as cells are measured): the last cell in
        page.wait_for_function(
            """() => {
                const outer = document.querySelector('.jp-Notebook .jp-WindowedPanel-outer');
                outer.scrollTop = outer.scrollHeight;
                const last = document.querySelector(
                    '.jp-Notebook .jp-Cell[data-windowed-list-index="199"]');
                return last !== null && last.getBoundingClientRect().top < window.innerHeight;
            }""",
            polling=200,
        )
        # the first cell out of view: detached, hidden, or above the notebook's top edge
        page.wait_for_function(
            """() => {
                const cell = window.__bizmlFirstCell;
                if (!cell.isConnected || getComputedStyle(cell).display === 'none') return true;
                const outer = document.querySelector('.jp-Notebook .jp-WindowedPanel-outer');
                return cell.getBoundingClientRect().bottom < outer.getBoundingClientRect().top;
            }"""
        )
        if mode == "full":  # the badge left the page with the cell's input
            page.wait_for_function("() => !document.querySelector('.bizml-cell-badge-row')")
        # and back to the top
        page.locator(".jp-Notebook .jp-WindowedPanel-outer").evaluate(
            "(outer) => { outer.scrollTop = 0; }"
        )
        badge.wait_for()
        assert first_cell.is_visible()
        assert badge.get_attribute("data-verdict") == "material"
        assert badge.text_content() == "material · +$11.5M/yr"
        assert page.locator(BADGE).count() == 1
        [shown] = page.evaluate(BADGES_JS)
        assert shown["index"] == 0
        assert shown["rowAboveInput"]
        if mode == "full":
            page.keyboard.press("Control+b")  # hide the file browser: more room for cells
            _screenshot(page, base, "lab-badges-windowed.png")
    finally:
        page.close()
    assert problems == []


# --------------------------------------------------------------------------- hostile name


def test_hostile_experiment_name_is_text(lab: tuple[Lab, Any, Path]) -> None:
    """The name is the badge's text and the panel's, and no element of it exists.

    The project is in the server's root, where the panel finds it from the notebook.
    """
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
            "import bizml_nb\n%load_ext bizml_nb",
            "%bizml init --project hostile --currency USD --min-annual-value 1e6\n"
            "%bizml metric take_rate --unit ratio --direction higher --baseline 0.112 "
            "--value-per-unit 2.5e9\n"
            "%bizml link ndcg@10 take_rate --elasticity 0.35 --interval 0.20 0.50",
            '%%bizml experiment "base" --target take_rate --baseline\n'
            'bizml_nb.log({"ndcg@10": 0.40})',
            f'%%bizml experiment "{HOSTILE}" --target take_rate\nbizml_nb.log({{"ndcg@10": 0.41}})',
        )
    ]
    path = base / "hostile.ipynb"
    nbformat.write(nb, path)
    session = open_and_run(browser, server, path, base)
    page = session.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        _check_hostile_badge(page)
        # again from the saved file, with a dialog listener from the page's first script
        _save(session)
        page.reload()
        _check_hostile_badge(page)

        badge = page.locator(BADGE).nth(1)
        badge.click()
        panel = page.locator("#bizml-kpi-panel")
        detail = panel.locator(".bizml-run-detail")
        detail.wait_for(timeout=RUN_S * 1000)
        assert detail.locator("h3").text_content() == HOSTILE
        assert detail.get_attribute("data-run-id") == badge.get_attribute("data-run-id")
        assert HOSTILE in panel.locator(".bizml-run-name").all_text_contents()
        assert page.locator('img[src="x"]').count() == 0
        page.wait_for_timeout(500)  # an onerror handler would have run by now
    finally:
        page.close()
    assert dialogs == []
    assert session.problems == []


def _check_hostile_badge(page: Any) -> None:
    badge = page.locator(f"{BADGE}:not([data-run-id=''])").nth(1)
    badge.wait_for(timeout=RUN_S * 1000)
    # +0.01 NDCG x 0.35 [0.20, 0.50] x $2.5e9 = +$8.75M [+$5M, +$12.5M] a year, material
    assert badge.text_content() == "material · +$8.75M/yr"
    assert badge.get_attribute("data-verdict") == "material"
    title = badge.get_attribute("title") or ""
    assert title.startswith(f"{HOSTILE} → take_rate\n")
    assert page.locator('img[src="x"]').count() == 0


# --------------------------------------------------------------------------- speed


LATENCY_JS = """(index) => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
    const before = cell.querySelector('.bizml-cell-badge').dataset.runId;
    const t = {start: performance.now(), cleared: null, output: null, badge: null, runId: null,
               outputRecord: null, badgeRecord: null, texts: []};
    let seq = 0;
    const isCard = (node) => node.nodeType === 1 &&
        (node.matches('.bizml-card.bizml-run') || node.querySelector('.bizml-card.bizml-run'));
    window.__bizmlTiming = new Promise((resolve) => {
        const look = (records) => {
            const now = performance.now();
            for (const record of records) {
                seq += 1;
                if (t.cleared === null) continue;
                if (t.outputRecord === null && record.type === 'childList'
                    && [...record.addedNodes].some(isCard)) t.outputRecord = seq;
                if (t.badgeRecord === null && record.type === 'attributes'
                    && record.attributeName === 'data-run-id'
                    && record.target.dataset.runId && record.target.dataset.runId !== before)
                    t.badgeRecord = seq;
            }
            const card = cell.querySelector('.jp-OutputArea-output .bizml-card.bizml-run');
            if (t.cleared === null && !card) t.cleared = now;
            if (t.cleared !== null && t.output === null && card) t.output = now;
            const shown = cell.querySelector('.bizml-cell-badge');
            if (t.texts[t.texts.length - 1] !== shown.textContent) t.texts.push(shown.textContent);
            const id = shown.dataset.runId;
            if (t.badge === null && id && id !== before) { t.badge = now; t.runId = id; }
            if (t.output !== null && t.badge !== null) {
                observer.disconnect();
                resolve(t);
            }
        };
        const observer = new MutationObserver(look);
        observer.observe(cell, {childList: true, subtree: true, attributes: true,
                                characterData: true});
    });
}"""


def test_badge_follows_a_new_output(quickstart: Session, lab: tuple[Lab, Any, Path]) -> None:
    """Re-run the two-tower cell a few times: the badge reads "queued or running…" until
    the new run is recorded, then that run's; measure output-to-badge delay, print it."""
    _, _, base = lab
    page = quickstart.page
    badges = page.evaluate(BADGES_JS)
    index = next(b["index"] for b in badges if "two-tower v2" in b["first"])
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    timings = []
    for _ in range(5):
        kernel_idle(page).wait_for(timeout=RUN_S * 1000)
        page.evaluate(LATENCY_JS, index)
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        t = page.evaluate("() => window.__bizmlTiming")
        timings.append(t)
        badge = cell.locator(BADGE)
        assert badge.get_attribute("data-run-id") == t["runId"]
        assert badge.get_attribute("data-verdict") == "material"
        assert badge.text_content() == "material · +$11.5M/yr"
        # from Shift+Enter until its run is recorded the badge says the cell is busy
        # (the first text seen may still be the previous run's)
        assert t["texts"][-2:] == ["queued or running…", "material · +$11.5M/yr"], t["texts"]
    kernel_idle(page).wait_for(timeout=RUN_S * 1000)
    lags = [t["badge"] - t["output"] for t in timings]
    runs = [t["badge"] - t["start"] for t in timings]
    for t in timings:
        assert all(math.isfinite(t[k]) for k in ("start", "cleared", "output", "badge"))
    assert len({t["runId"] for t in timings}) == 5  # a new run each time
    # within one batch of DOM changes, which came first: the card or the badge's new run
    order = [
        "same batch, "
        + ("badge after card" if t["badgeRecord"] > t["outputRecord"] else "badge first")
        if t["badge"] == t["output"] and t["badgeRecord"] and t["outputRecord"]
        else "separate batches"
        for t in timings
    ]
    print(
        "\nbadge after the card's output element (ms, negative: the badge came first): "
        + ", ".join(f"{lag:.1f}" for lag in lags)
        + f" ({'; '.join(order)})"
        + "\nbadge after Shift+Enter (ms): "
        + ", ".join(f"{run:.0f}" for run in runs)
    )
    _record(base, "badge_vs_output_order", order)
    _record(base, "badge_after_output_ms", lags)
    _record(base, "badge_after_shift_enter_ms", runs)
    assert quickstart.problems == []


# --------------------------------------------------------------------------- a run elsewhere


def test_a_badges_run_missing_from_the_ledger_is_said_so(lab: tuple[Lab, Any, Path]) -> None:
    """The saved quickstart copied into another project (its runs are not in that ledger):
    a click on a badge says the run is not there and how runs come back, and shows no
    other run as if it were that one."""
    from bizml_nb.projects.project import Project

    server, browser, _ = lab
    folder = server.root / "elsewhere"
    folder.mkdir()
    project = Project.at(folder)
    project.init("elsewhere")
    project.metric("take_rate", unit="ratio", direction="higher")
    project.ledger.close()
    shutil.copy(QUICKSTART, folder / "copied.ipynb")
    saved = _saved_badges(json.loads(QUICKSTART.read_text()))
    run_id = saved[1][3]  # the "two-tower v2" run, material
    page, problems = _open(browser, server, "elsewhere/copied.ipynb", "elsewhere")
    try:
        badge = page.locator(f'{BADGE}[data-run-id="{run_id}"]')
        badge.click()
        notice = page.locator("#bizml-kpi-panel .bizml-panel-notice")
        notice.wait_for()
        assert notice.text_content() == (
            f"Run {run_id} is not in elsewhere/bizml.toml's ledger: its notebook may come "
            "from another project or machine. `bizml ledger import` reads runs back from "
            "executed notebooks."
        )
        assert page.locator("#bizml-kpi-panel .bizml-run-detail").count() == 0
        assert page.locator("#bizml-kpi-panel .bizml-run-selected").count() == 0
    finally:
        page.close()
    # the panel's own requests answered 200: nothing for the console to report
    assert [p for p in problems if "bizml" in p] == []
