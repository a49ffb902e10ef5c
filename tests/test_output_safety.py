"""Output can't be turned against its reader: Markdown that stays text, a terminal left alone.

A run's name, hypothesis and tags, a KPI's owner, a link's source and a notebook's
path are typed by people and travel into reports and terminals. There they must be
shown as their characters, never obeyed: no link, image or HTML out of a Markdown
report, no cursor move, screen clear or hidden hyperlink out of `bizml ledger ...`.
"""

from __future__ import annotations

import glob
import json
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest

from bizml_nb.core.textsafe import markdown_text, terminal_line, terminal_text
from bizml_nb.interfaces.cli import main
from bizml_nb.present.report import build_report
from bizml_nb.projects.project import Projects

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from bizml_nb.projects.project import Project

PHISH = "[Approve budget now](https://x.example) ![p](https://y.example/p.png)"
MARKUP = "<img src=x onerror=alert(1)> `code` *bold* _it_ ~~gone~~ $x$ | www.z.example a@b.example"
HEADING = "# 1. - > not a heading"
TERMINAL = "\x1b]8;;https://x.example\x07click\x1b]8;;\x07\x1b[2J"
# every kind of sequence and control a terminal obeys
NASTY_TERMINAL = (
    "a\x1b[1A\x1b[2K\x1b]0;title\x1b\\b\x9b31mc\x07\x08d\re\x1bPdcs\x1b\\f\u202eg\x00h\x7f"
)
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def project(project_dir: Path) -> Iterator[Project]:
    """A priced KPI with a hostile owner, a link with a hostile source, hostile runs."""
    projects = Projects()
    project = projects.get(project_dir)
    project.init("shop", currency="USD", min_annual_value=1e6)
    project.metric(
        "take_rate",
        unit="ratio",
        direction="higher",
        baseline=0.112,
        target=0.12,
        value_per_unit=2.5e9,
        owner=PHISH,
    )
    project.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5), source=MARKUP)
    with project.experiment("base", target="take_rate", baseline=True) as run:
        run.log({"ndcg@10": 0.40})
    for name, value in ((PHISH, 0.41), (MARKUP, 0.39), (HEADING, 0.40)):
        with project.experiment(name, target="take_rate") as run:
            run.log({"ndcg@10": value})
    yield project
    projects.close()


# --------------------------------------------------------------------------- Markdown


class _Rendered(HTMLParser):
    """The tags and the visible text of rendered HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def render(markdown: str) -> str:
    """Markdown as HTML by a real renderer, with raw HTML passed through and bare URLs linked."""
    mistune = pytest.importorskip("mistune", minversion="3")
    md = mistune.create_markdown(escape=False, plugins=["table", "url", "strikethrough", "math"])
    return str(md(markdown))


@pytest.mark.parametrize("name", [PHISH, MARKUP, HEADING, 'O\'Brien "q" \\ \\[x\\]'])
def test_a_user_string_renders_as_its_own_characters(name: str) -> None:
    """In a list item and a table cell: no link, image or tag; the visible text is the name."""
    for markdown, tags in (
        (f"- {markdown_text(name)}\n", {"ul", "li"}),
        (
            f"| a |\n| --- |\n| {markdown_text(name)} |\n",
            {"table", "thead", "tbody", "tr", "th", "td"},
        ),
    ):
        page = _Rendered(render(markdown))
        assert set(page.tags) <= tags, page.tags
        assert name in "".join(page.text)


def test_markdown_report_shows_hostile_names_as_text(project: Project) -> None:
    """Run names, a KPI owner, a link's source: text in the rendered report, never links."""
    path = build_report(project, fmt="md")
    html = render(path.read_text(encoding="utf-8"))
    assert "<a" not in html
    assert "<img" not in html
    page = _Rendered(html)
    assert not {"a", "img", "h1"} & set(page.tags[1:])  # only the report's own heading
    cells = [text.strip() for text in page.text if text.strip()]
    for name in (PHISH, MARKUP, HEADING):
        assert name in cells  # a whole table cell, exactly the name
    assert f"Ship or A/B test {PHISH!r}: about +$8.75M/yr [+$5M, +$12.5M] (90%) on take_rate" in (
        "".join(page.text)
    )
    assert f"declared by hand from {MARKUP}" in cells  # the link's source
    assert any(cell.endswith(f"owner {PHISH}") for cell in cells)


def test_markdown_report_keeps_a_strange_notebook_path_as_text(project: Project) -> None:
    """A notebook path with backticks and HTML in it stays text in the Markdown report."""
    folder = project.root / "we`ird <b onclick=x>bold"
    folder.mkdir()
    notebook = folder / "roi `` [x](https:x.example) <i>.ipynb"
    record = {"npv": 1e6, "p_npv_positive": 0.9, "payback_month": 7, "defaults": []}
    notebook.write_text(json.dumps(_notebook({"application/vnd.bizml.roi+json": record})))
    path = build_report(project, fmt="md", notebooks=[glob.escape(str(folder)) + "/*.ipynb"])
    html = render(path.read_text(encoding="utf-8"))
    page = _Rendered(html)
    assert "b" not in page.tags
    assert "i" not in page.tags
    assert "code" not in page.tags
    assert "a" not in page.tags
    shown = notebook.relative_to(project.root)  # relative to the project's root
    assert f"From {shown.as_posix()}:" in [text.strip() for text in page.text]


def _notebook(data: dict[str, object]) -> dict[str, object]:
    output = {"output_type": "display_data", "data": data, "metadata": {}}
    cell = {"cell_type": "code", "metadata": {}, "source": "", "outputs": [output]}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}


# --------------------------------------------------------------------------- terminal


def test_terminal_line_removes_every_sequence_and_control() -> None:
    """OSC hyperlinks, CSI moves and clears, C1 controls, BEL, BS, CR, bidi overrides, NUL."""
    assert terminal_line(TERMINAL) == "click"
    assert terminal_line(NASTY_TERMINAL) == "abcd efgh"
    assert terminal_line("two\nlines\tand a tab") == "two lines and a tab"
    assert terminal_text("ours\n\x1b[31mred\x1b[0m\r\nnext") == "ours\nred\nnext"


@pytest.fixture
def hostile(project_dir: Path) -> Iterator[Project]:
    """Runs whose name, hypothesis, tags and params carry terminal escape sequences."""
    projects = Projects()
    project = projects.get(project_dir)
    project.init("shop", currency="USD")
    project.metric("take_rate", unit="ratio", direction="higher", baseline=0.1, value_per_unit=1e9)
    project.link("ndcg@10", "take_rate", elasticity=0.35)
    with project.experiment("base", target="take_rate", baseline=True) as run:
        run.log({"ndcg@10": 0.40})
    with project.experiment(
        TERMINAL,
        target="take_rate",
        hypothesis=NASTY_TERMINAL,
        tags=["\x1b[8mhidden\x1b[0m", "\x9b2Jc1"],
        params={"\x1b[1mk": "\x1b]52;c;ZXZpbA==\x07v"},
    ) as run:
        run.log({"ndcg@10": 0.41})
    yield project
    projects.close()


def test_ledger_list_prints_no_control_characters(
    hostile: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bizml ledger list`: the run's name is 'click', on one row, with no escape left."""
    monkeypatch.setenv("COLUMNS", "300")  # the whole table on one block of rows
    assert main(["ledger", "list"]) == 0
    out = capsys.readouterr().out
    assert CONTROL.search(out) is None
    assert "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 3  # the header and two runs: no line was added by a name
    assert " click " in lines[2]
    (hostile.root / "bizml.toml").unlink()  # without a registry: the ledger's own columns
    assert main(["ledger", "list"]) == 0
    out = capsys.readouterr().out
    assert CONTROL.search(out) is None
    lines = out.splitlines()
    assert len(lines) == 3
    assert " click " in lines[2]
    assert " abcd efgh " in lines[2]  # the hypothesis
    assert "hidden" in lines[2]


def test_ledger_show_prints_no_control_characters(
    hostile: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml ledger show`: the card's lines are ours; the user strings are cleaned."""
    assert main(["ledger", "show", "last"]) == 0
    out = capsys.readouterr().out
    assert CONTROL.search(out) is None
    lines = out.splitlines()
    assert lines[0] == "click  ->  take_rate   [ok]"
    assert lines[1].startswith("  KPI ")
    assert lines[2] == "  Hypothesis  abcd efgh"
    assert lines[3] == "  Tags        hidden, c1"
    assert lines[4] == "  Params      k=v"


def test_ledger_show_json_is_safe_and_lossless(
    hostile: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json`: no raw control character, and the JSON still holds the exact strings."""
    assert main(["ledger", "show", "last", "--json"]) == 0
    out = capsys.readouterr().out
    assert CONTROL.search(out) is None
    record = json.loads(out)
    assert record["run"]["name"] == TERMINAL
    assert record["run"]["tags"] == ["\x1b[8mhidden\x1b[0m", "\x9b2Jc1"]


def test_error_messages_print_no_control_characters(
    hostile: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file name with escape sequences in an error: cleaned, on one line, exit 1."""
    out = hostile.root / ("runs" + TERMINAL.replace("/", "") + ".csv")
    out.write_text("mine")
    assert main(["ledger", "export", "--format", "csv", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"bizml: error: {hostile.root}/runsclick.csv already exists; nothing was "
        "written. Choose another name, or pass --force to replace it\n"
    )
    assert out.read_text() == "mine"


def test_html_report_still_escapes_user_strings(project: Project) -> None:
    """The HTML report shows the phishing name as text: no link or image comes out of it."""
    page = _Rendered(build_report(project).read_text(encoding="utf-8"))
    assert "a" not in page.tags
    assert page.tags.count("img") == 1  # the embedded impact chart, nothing else
    assert PHISH in "".join(page.text)
    assert MARKUP in "".join(page.text)
