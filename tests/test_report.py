"""The decision-maker report: content, escaping, self-containment, Markdown."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest

import bizml_nb
import bizml_nb.core.errors
from bizml_nb.core.textsafe import markdown_text
from bizml_nb.interfaces.cli import main
from bizml_nb.present.report import build_report

if TYPE_CHECKING:
    from pathlib import Path

NASTY = "<script>alert(1)</script> | O'Brien"


@pytest.fixture
def reported(project_dir: Path) -> Path:
    """A project with a baseline, a material run, a harmful run and a hostile name."""
    bizml_nb.init("recsys <b>home</b>", currency="USD", min_annual_value=1e6)
    bizml_nb.metric(
        "take_rate",
        unit="ratio",
        direction="higher",
        baseline=0.112,
        target=0.12,
        value_per_unit=2.5e9,
        owner="growth PM",
    )
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5), source="A/B")
    for name, value, flag in (("base", 0.40, True), ("better", 0.41, False), (NASTY, 0.39, False)):
        with bizml_nb.experiment(name, target="take_rate", baseline=flag) as run:
            run.log({"ndcg@10": value})
    return project_dir


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report_escapes_names_and_needs_no_network(reported: Path) -> None:
    """A run named <script>... appears as text; every src/href is inline data."""
    path = build_report(bizml_nb.project())
    page = _Page()
    page.feed(path.read_text())
    assert "script" not in page.tags
    text = "".join(page.text)
    assert NASTY in text
    assert "recsys <b>home</b>" in text
    assert all(url.startswith("data:image/png;base64,") for url in page.urls)
    assert page.urls  # the impact chart is embedded


def test_report_ranks_by_value_and_says_what_to_decide(reported: Path) -> None:
    """+0.01 NDCG x 0.35 x $2.5e9 = $8.75M/yr: ship 'better'; the -0.01 run loses money."""
    path = build_report(bizml_nb.project(), fmt="md")
    text = path.read_text()
    decide = text.split("## What to decide")[1].split("##")[0]
    assert "Ship or A/B test 'better': about +\\$8.75M/yr" in decide
    assert "Do not ship" in decide
    rows = [line for line in text.splitlines() if line.startswith(("| 1 |", "| 2 |"))]
    assert "better" in rows[0]
    assert "harmful" in rows[1]


def test_markdown_cells_cannot_break_the_table(reported: Path) -> None:
    """Pipes and markup in names are escaped in Markdown table cells."""
    text = build_report(bizml_nb.project(), fmt="md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| ") and "Brien" in line)
    assert "<script>" not in row
    assert row.count(" | ") == 4  # five cells, the name's own pipe escaped


def test_markdown_escapes_dollars_and_backslashes(reported: Path) -> None:
    """GitHub reads "+$1M [+$2M" as inline math; every $ in the report is escaped."""
    bizml_nb.metric("cost\\per|play", unit="USD", direction="lower", baseline=0.1)
    text = build_report(bizml_nb.project(), fmt="md").read_text()
    assert re.search(r"(?<!\\)\$", text) is None
    assert "+\\$8.75M" in text  # the material run's yearly value
    assert "cost\\\\per\\|play" in text  # a literal backslash, then an escaped pipe


def test_report_reads_records_from_notebooks(reported: Path) -> None:
    """ROI records in an executed notebook show up in the report and its decisions."""
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {
                            "application/vnd.bizml.roi+json": {
                                "npv": 1_234_000.0,
                                "p_npv_positive": 0.93,
                                "payback_month": 7,
                                "defaults": ["discount"],
                            }
                        },
                    }
                ],
            }
        ]
    }
    (reported / "roi.ipynb").write_text(json.dumps(notebook))
    text = build_report(
        bizml_nb.project(), fmt="md", notebooks=[str(reported / "*.ipynb")]
    ).read_text()
    # &gt; shows as > in Markdown; "discount" was left at the template's default: an illustration
    assert "NPV +\\$1.23M (illustration), P(NPV &gt; 0) 93%" in text
    assert re.search(r"The ROI case: NPV \+\\\$1\.23M \(illustration\)", text)


def test_unknown_format_is_refused(reported: Path) -> None:
    """Only html and md are written."""
    with pytest.raises(bizml_nb.BizmlError, match="use html or md"):
        build_report(bizml_nb.project(), fmt="pdf")


def _roi_notebook(record: object) -> str:
    output = {"output_type": "display_data", "data": {"application/vnd.bizml.roi+json": record}}
    return json.dumps({"cells": [{"cell_type": "code", "outputs": [output]}]})


def test_report_leaves_out_failed_executions_kept_by_bizml_run(reported: Path) -> None:
    """`NAME.failed.ipynb` (and `-2`, ...) beside a notebook hold a run that did not finish:
    their records are not counted, and the report says they were left out."""
    good = {"npv": 1_234_000.0, "p_npv_positive": 0.93, "payback_month": 7, "defaults": []}
    other = {"npv": 9_000_000.0, "p_npv_positive": 0.5, "payback_month": 2, "defaults": []}
    (reported / "roi.ipynb").write_text(_roi_notebook(good))
    (reported / "roi.failed.ipynb").write_text(_roi_notebook(other))
    (reported / "roi.failed-2.ipynb").write_text(_roi_notebook(other))
    (reported / "roi.failed-x.ipynb").write_text(_roi_notebook(good))  # a user's own name
    text = build_report(
        bizml_nb.project(), fmt="md", notebooks=[str(reported / "*.ipynb")]
    ).read_text()
    assert "NPV +\\$9M" not in text
    assert "NPV +\\$1.23M" in text
    left_out = text.split("## Notebooks left out")[1]
    assert "roi.failed.ipynb" in markdown_text_inverse(left_out)
    assert "roi.failed-2.ipynb" in markdown_text_inverse(left_out)
    assert "roi.failed-x.ipynb" not in markdown_text_inverse(left_out)


def markdown_text_inverse(text: str) -> str:
    """Markdown-escaped text read back as its characters (backslash escapes dropped)."""
    import re

    return re.sub(r"\\(.)", r"\1", text)


def test_report_skips_unreadable_notebooks_with_a_warning_naming_each(
    reported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid JSON, a damaged record, a folder named .ipynb: skipped and named; the rest kept."""
    good = {"npv": 1_234_000.0, "p_npv_positive": 0.93, "payback_month": 7, "defaults": []}
    (reported / "a_good.ipynb").write_text(_roi_notebook(good))
    (reported / "b_broken.ipynb").write_text('{"cells": [')
    (reported / "c_damaged.ipynb").write_text(_roi_notebook({**good, "npv": "lots"}))
    (reported / "d_folder.ipynb").mkdir()
    pattern = str(reported / "*.ipynb")
    with pytest.warns(bizml_nb.core.errors.BizmlWarning) as caught:
        text = build_report(bizml_nb.project(), fmt="md", notebooks=[pattern]).read_text()
    broken, damaged, folder = (
        reported / f"{n}.ipynb" for n in ("b_broken", "c_damaged", "d_folder")
    )
    made_without = "; the report was made without it"
    assert [str(w.message) for w in caught] == [
        f"skipped the notebook {broken}: it is not a notebook (invalid JSON: Expecting value: "
        f"line 1 column 12 (char 11)){made_without}",
        f"skipped the notebook {damaged}: cell 1 has a damaged application/vnd.bizml.roi+json "
        f"record: npv is 'lots', not an amount of money (a number from -1e15 to 1e15)"
        f"{made_without}",
        f"skipped the notebook {folder}: it is a folder; give a notebook file (.ipynb)"
        f"{made_without}",
    ]
    assert "NPV +\\$1.23M, P(NPV &gt; 0) 93%" in text  # the readable notebook is in
    left_out = text.split("## Notebooks left out")[1]
    for path in (broken, damaged, folder):  # named relative to the project's root
        assert f"- {markdown_text(path.name)}\\: " in left_out
        assert str(reported) not in left_out
    capsys.readouterr()
    assert main(["report", "--format", "md", "--force", "--notebooks", pattern]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote {reported / 'bizml-report.md'}\n"
    assert captured.err.splitlines() == [f"bizml: warning: {w.message}" for w in caught]


def test_report_finds_notebooks_in_a_folder_named_with_brackets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml report` in `proj[1]/` reads its notebooks: the folder's name is not a pattern."""
    root = tmp_path / "proj[1]"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("BIZML_LEDGER", raising=False)
    bizml_nb.init("p", currency="USD")
    good = {"npv": 1_234_000.0, "p_npv_positive": 0.93, "payback_month": 7, "defaults": []}
    (root / "roi.ipynb").write_text(_roi_notebook(good))
    assert main(["report", "--format", "md"]) == 0
    assert "NPV +\\$1.23M" in (root / "bizml-report.md").read_text()


def test_a_run_without_a_verdict_shows_an_empty_verdict_not_nan(project_dir: Path) -> None:
    """A KPI with no link, a baseline and one run: the run's row has no estimate and an empty
    verdict, in Markdown and in HTML; and a leaderboard row whose verdict is NaN reads the same."""
    import math

    from bizml_nb.present.report import Findings, to_html, to_markdown

    bizml_nb.init("p", currency="USD")
    bizml_nb.metric("revenue", unit="USD", direction="higher")
    with bizml_nb.experiment("a", target="revenue", baseline=True) as run:
        run.log({"auc": 0.5})
    with bizml_nb.experiment("b", target="revenue") as run:
        run.log({"auc": 0.6})
    text = build_report(bizml_nb.project(), fmt="md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("|  | ")]
    assert rows == [
        "|  | a | revenue | no estimate | baseline |",
        "|  | b | revenue | no estimate |  |",
    ]
    page = build_report(bizml_nb.project(), fmt="html", force=True).read_text()
    row = "<tr><td></td><td>b</td><td>revenue</td><td>no estimate</td><td class=''></td></tr>"
    assert row in page.splitlines()
    assert ">nan<" not in page
    found = Findings("p", "USD")
    found.experiments = [
        {"name": "b", "target": "revenue", "value_mid": math.nan, "verdict": math.nan}
    ]
    found.decisions = [["No experiment is a material gain yet: keep the current models."]]
    assert "|  | b | revenue | no estimate |  |" in to_markdown(found).splitlines()
    assert row in to_html(found).splitlines()


def test_the_decisions_come_from_typed_labels_not_from_names_or_words(project_dir: Path) -> None:
    """A run named "material gains" whose verdict is "not material" is not counted as a
    material gain; a harmful run is named as such, from its label.

    NDCG -> take-rate 0.35 [0.2, 0.5] at $2.5e9 a year per unit, with a $20M bar:
    "material gains" (+0.01 NDCG) is worth [+$5M, +$8.75M, +$12.5M], all below the bar:
    not material. "a loss" (-0.01) is worth [-$12.5M, -$8.75M, -$5M]: harmful.
    """
    from bizml_nb.impact import VerdictLabel
    from bizml_nb.present.report import gather

    bizml_nb.init("p", currency="USD", min_annual_value=20e6)
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", value_per_unit=2.5e9)
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))
    for name, value, flag in (
        ("base", 0.40, True),
        ("material gains", 0.41, False),
        ("a loss", 0.39, False),
    ):
        with bizml_nb.experiment(name, target="take_rate", baseline=flag) as run:
            run.log({"ndcg@10": value})
    found = gather(bizml_nb.project(), charts=False)
    labels = {row["name"]: row["label"] for row in found.experiments}
    assert labels == {
        "material gains": VerdictLabel.NOT_MATERIAL,
        "a loss": VerdictLabel.HARMFUL,
        "base": None,
    }
    sentences = ["".join(pieces) for pieces in found.decisions]
    assert sentences[0] == "No experiment is a material gain yet: keep the current models."
    assert sentences[1] == "Do not ship 'a loss': even the optimistic end loses money."
    assert len(sentences) == 2


def test_the_decisions_ignore_the_words_of_the_verdict() -> None:
    """A row whose shown words start with "material" but whose label is "not material",
    and whose words say "not measurable" while its test could measure it, is neither."""
    from bizml_nb.impact import VerdictLabel
    from bizml_nb.present.report import Findings, _decisions, to_html

    found = Findings("p", "USD")
    found.experiments = [
        {
            "name": "x",
            "target": "k",
            "value_low": 1e6,
            "value_mid": 2e6,
            "value_high": 3e6,
            "verdict": "material, not measurable",
            "rank_by_value": 1,
            "label": VerdictLabel.NOT_MATERIAL,
            "measurable": True,
            "is_baseline": False,
        },
        {
            "name": "y",
            "target": "k",
            "value_low": 1e6,
            "value_mid": 1.5e6,
            "value_high": 2e6,
            "verdict": "uncertain",
            "rank_by_value": 2,
            "label": VerdictLabel.MATERIAL,
            "measurable": False,
            "is_baseline": False,
        },
    ]
    sentences = ["".join(pieces) for pieces in _decisions(found)]
    assert sentences == [
        "Ship or A/B test 'y': about +$1.5M/yr [+$1M, +$2M] (90%) on k.",
        "An A/B test could not detect the gain of 'y': do not claim it.",
    ]
    page = to_html(found)
    assert "<td class='not-material'>material, not measurable</td>" in page
    assert "<td class='material'>uncertain</td>" in page
