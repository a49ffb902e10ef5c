"""bizml demo: one command builds a worked project, and re-running it is safe."""

from __future__ import annotations

import html
import json
import re
from typing import TYPE_CHECKING

import nbformat
import pytest

from bizml_nb import templates
from bizml_nb.cli import main
from bizml_nb.demo import EXAMPLES, MARKER, TEMPLATES, _prepare, _write_manifest, run_demo
from bizml_nb.errors import BizmlError
from bizml_nb.ledger import Ledger

if TYPE_CHECKING:
    from pathlib import Path


def _experiment_rows(report: str) -> dict[str, str]:
    """The report's leaderboard: each experiment's verdict, by name."""
    table = report.split("<h2>Experiments, ranked by yearly value</h2>")[1]
    table = table.split("</table>", maxsplit=1)[0]
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td>.*?<td class='[^']*'>([^<]*)</td>", table)
    return {html.unescape(name): html.unescape(verdict) for name, verdict in rows}


def _experiment_names(report: str) -> list[str]:
    """The experiment column of the report's leaderboard, in its order."""
    table = report.split("<h2>Experiments, ranked by yearly value</h2>")[1].split(
        "</table>", maxsplit=1
    )[0]
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td>", table)
    return [html.unescape(name) for name in rows]


@pytest.mark.slow
def test_demo_runs_everything_and_writes_reports(tmp_path: Path) -> None:
    """Each example runs in its own project folder; each report holds that project's runs."""
    root = tmp_path / "demo"
    result = run_demo(root, progress=False)
    expected = [root / name / f"{name}.ipynb" for name in EXAMPLES]
    expected += [root / "templates" / f"{name}.ipynb" for name in TEMPLATES]
    assert [path for path, _seconds in result.notebooks] == expected
    for path in expected:
        nb = nbformat.read(path, as_version=4)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert all(cell.execution_count is not None for cell in code), path
        assert not [o for c in code for o in c.outputs if o.output_type == "error"], path
    for name in EXAMPLES:  # the kernel ran in the example's folder: its project is there
        assert (root / name / "bizml.toml").is_file()
        assert (root / name / ".bizml" / "ledger.sqlite").is_file()
    assert result.reports == [
        root / n / "report.html" for n in ("recsys_take_rate", "fraud_threshold")
    ]
    roi = templates.read_record(root / "templates" / "roi_analysis.ipynb")
    for report_path in result.reports:
        report = report_path.read_text(encoding="utf-8")
        ledger = Ledger(report_path.parent / ".bizml" / "ledger.sqlite")
        names = [run.name for run in ledger.runs()]
        ledger.close()
        assert names
        assert sorted(_experiment_names(report)) == sorted(names)  # this project's runs, all
        roi_section = report.split("<h2>Return on investment</h2>")[1].lstrip()
        assert roi_section.startswith(
            f"<p class='muted'>from {html.escape(str(root / 'templates' / 'roi_analysis.ipynb'))}"
        )
        assert f"P(NPV &gt; 0) {roi['p_npv_positive'] * 100:.0f}%" in roi_section
    recsys = (root / "recsys_take_rate" / "report.html").read_text(encoding="utf-8")
    decide = recsys.split("<div class='decide'><ul>")[1].split("</ul>")[0].strip()
    shipped = re.match(r"<li>Ship or A/B test &#x27;([^<]+)&#x27;: about \+\$", decide)
    assert shipped is not None, decide
    board = _experiment_rows(recsys)
    assert board[html.unescape(shipped.group(1))].startswith("material")
    first = root / "recsys_take_rate" / "recsys_take_rate.ipynb"
    assert result.text().splitlines()[-4:] == [
        "Next:",
        f"  jupyter lab {first}",
        f"  bizml -C {first.parent} ledger list",
        f"  bizml report {first.parent} --format md",
    ]
    manifest = json.loads((root / MARKER).read_text())
    assert manifest["complete"] is True
    assert {str(path.relative_to(root)) for path in expected} <= set(manifest["files"])


def test_demo_replaces_only_what_its_manifest_lists(tmp_path: Path) -> None:
    """An earlier demo's files and folders are deleted; any other non-empty folder is refused."""
    old = tmp_path / "old-demo"
    _prepare(old)
    (old / "project" / ".bizml").mkdir(parents=True)
    (old / "project" / ".bizml" / "ledger.sqlite").write_text("runs")
    (old / "stale.txt").write_text("from last time")
    _write_manifest(old, complete=True)
    _prepare(old)
    assert sorted(p.name for p in old.iterdir()) == [MARKER]
    assert json.loads((old / MARKER).read_text())["complete"] is False

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(BizmlError) as info:
        _prepare(mine)
    assert str(info.value) == (
        f"{mine} is not empty and was not made by `bizml demo`; nothing was changed. "
        "Give --dir a new or empty folder"
    )
    assert (mine / "thesis.tex").read_text() == "precious"


def test_demo_command_refuses_a_foreign_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml demo --dir` on someone else's folder exits 1 with one message, changing nothing."""
    (tmp_path / "notes.md").write_text("mine")
    assert main(["demo", "--dir", str(tmp_path), "--no-progress"]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: {tmp_path} is not empty and was not made by `bizml demo`; nothing was "
        "changed. Give --dir a new or empty folder\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["notes.md"]
