"""bizml demo: one command builds a worked project, and re-running it is safe."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import nbformat
import pytest

from bizml_nb.core.errors import BizmlError
from bizml_nb.core.ledger import Ledger
from bizml_nb.interfaces import templates
from bizml_nb.interfaces.cli import main
from bizml_nb.interfaces.demo import (
    EXAMPLES,
    MARKER,
    TEMPLATES,
    _prepare,
    _write_manifest,
    run_demo,
)

if TYPE_CHECKING:
    from pathlib import Path

LEDGER = "quickstart/.bizml/ledger.sqlite"


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
    left = [p.name for p in root.rglob("*") if p.name.endswith(("-wal", "-shm"))]
    assert not left, f"the demo left SQLite's log files behind: {left}"
    expected = [root / name / f"{name}.ipynb" for name in EXAMPLES]
    expected += [root / "templates" / f"{name}.ipynb" for name in TEMPLATES]
    roi_path = root / "recsys_take_rate" / "roi_analysis.ipynb"  # on the recommender's best run
    expected.append(roi_path)
    assert [path for path, _seconds in result.notebooks] == expected
    for path in expected:
        nb = nbformat.read(path, as_version=4)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert all(cell.execution_count is not None for cell in code), path
        assert not [o for c in code for o in c.outputs if o.output_type == "error"], path
    for name in EXAMPLES:  # the kernel ran in the example's folder: its project is there
        assert (root / name / "bizml.toml").is_file()
        assert (root / name / ".bizml" / "ledger.sqlite").is_file()
    assert result.reports == [root / n / "report.html" for n in EXAMPLES]  # quickstart too
    roi = templates.read_record(roi_path)
    assert roi["benefit_from"].startswith("the predicted yearly value of run 'SVD rank 6'")
    for report_path in result.reports:
        report = report_path.read_text(encoding="utf-8")
        ledger = Ledger(report_path.parent / ".bizml" / "ledger.sqlite")
        names = [run.name for run in ledger.runs()]
        ledger.close()
        assert names
        assert sorted(_experiment_names(report)) == sorted(names)  # this project's runs, all
        assert str(root) not in report  # paths relative to the project's root
        # the templates' copies belong to no project: nothing of them is in any report
        for title in ("ML adoption maturity", "Monitoring", "Capacity and cost"):
            assert f"<h2>{title}</h2>" not in report, (report_path, title)
    for name in ("quickstart", "fraud_threshold"):  # no ROI of their runs: no ROI line
        report = (root / name / "report.html").read_text(encoding="utf-8")
        assert "<h2>Return on investment</h2>" not in report
        assert "The ROI case" not in report
    recsys = (root / "recsys_take_rate" / "report.html").read_text(encoding="utf-8")
    decide = recsys.split("<div class='decide'><ul>")[1].split("</ul>")[0].strip()
    shipped = re.match(r"<li>Ship or A/B test &#x27;([^<]+)&#x27;: about \+\$", decide)
    assert shipped is not None, decide
    roi_line = f"The ROI case for &#x27;recsys-cancellations: {shipped.group(1)}&#x27;: NPV "
    assert roi_line in decide  # the ROI of the run it ships, not the template's churn model
    assert f"illustration), P(NPV &gt; 0) {roi['p_npv_positive'] * 100:.0f}%." in decide
    roi_section = recsys.split("<h2>Return on investment</h2>")[1].lstrip()
    assert roi_section.startswith("<p class='muted'>from roi_analysis.ipynb</p>")
    board = _experiment_rows(recsys)
    assert board[html.unescape(shipped.group(1))].startswith("material")
    first = root / "recsys_take_rate" / "recsys_take_rate.ipynb"
    assert result.text().splitlines()[-4:] == [
        "Next (the Markdown report goes to the current folder, not into the demo's,"
        " which a re-run replaces):",
        f"  jupyter lab {first}",
        f"  bizml -C {first.parent} ledger list",
        f"  bizml report {first.parent} --format md --out recsys_take_rate-report.md",
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


# --------------------------------------------------------------------------- a user's work


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, by relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _kernel(ledger: Path, code: str) -> None:
    """Run ``code`` with ``ledger`` open in another process that then exits without closing
    it, as a kernel that is shut down does: SQLite's -wal and -shm files stay behind."""
    script = (
        "import os, sys\n"
        "from bizml_nb.core.ledger import Ledger, Run\n"
        "ledger = Ledger(sys.argv[1])\n"
        f"{code}\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(ledger)], check=True)


def _earlier_demo(root: Path) -> None:
    """A folder as `bizml demo` leaves it: a project whose kernel left its ledger's log behind."""
    _prepare(root)
    project = root / "quickstart"
    project.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nbformat.write(nb, project / "quickstart.ipynb")
    (project / "bizml.toml").write_text('[project]\nname = "quickstart"\n')
    (project / ".bizml.toml.lock").write_text("pid 10 on host: bizml demo\n")
    _kernel(root / LEDGER, "ledger.record(Run.new('baseline', target='take_rate'))")
    assert (root / f"{LEDGER}-wal").stat().st_size > 0
    (root / "templates").mkdir()
    nbformat.write(nb, root / "templates" / "roi_analysis.ipynb")
    _write_manifest(root, complete=True)


def _runs(ledger: Path) -> list[str]:
    """The names of the runs in ``ledger``, read as `bizml ledger list` reads them."""
    opened = Ledger(ledger)
    try:
        return [run.name for run in opened.runs()]
    finally:
        opened.close()


def test_the_demo_waits_for_a_kernel_shutting_down_and_leaves_no_log_files(
    tmp_path: Path,
) -> None:
    """A kernel that holds its ledger open a moment after the demo's last step, then exits
    without closing it: the demo settles the ledger once it is free, no -wal or -shm left."""
    root = tmp_path / "demo"
    ledger = root / LEDGER
    ledger.parent.mkdir(parents=True)
    script = (
        "import os, sys, time\n"
        "from bizml_nb.core.ledger import Ledger, Run\n"
        "ledger = Ledger(sys.argv[1])\n"
        "ledger.record(Run.new('baseline', target='take_rate'))\n"
        "print('recorded', flush=True)\n"
        "time.sleep(1.5)\n"
        "os._exit(0)\n"
    )
    kernel = subprocess.Popen(
        [sys.executable, "-c", script, str(ledger)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert kernel.stdout is not None
        assert kernel.stdout.readline() == "recorded\n"
        assert (root / f"{LEDGER}-wal").is_file()
        _write_manifest(root, complete=True)
    finally:
        kernel.wait(timeout=30)
    assert sorted(p.name for p in ledger.parent.iterdir()) == ["ledger.sqlite"]
    assert _runs(ledger) == ["baseline"]  # the run was settled into the file
    assert sorted(json.loads((root / MARKER).read_text())["files"]) == [LEDGER]


def test_demo_manifest_holds_each_files_hash_and_a_rerun_deletes_what_is_unchanged(
    tmp_path: Path,
) -> None:
    """Reading a ledger, taking the registry lock, a Jupyter checkpoint of an unchanged
    notebook, a closed kernel's empty log: none of it is the user's work; all is deleted."""
    root = tmp_path / "demo"
    _earlier_demo(root)
    manifest = json.loads((root / MARKER).read_text())
    made = _files(root)
    assert manifest["version"] == 2
    assert manifest["files"] == {
        name: hashlib.sha256(content).hexdigest()
        for name, content in made.items()
        if name != MARKER
    }
    assert sorted(manifest["files"]) == [  # the ledger's log was settled into the ledger
        "quickstart/.bizml.toml.lock",
        LEDGER,
        "quickstart/bizml.toml",
        "quickstart/quickstart.ipynb",
        "templates/roi_analysis.ipynb",
    ]
    assert _runs(root / LEDGER) == ["baseline"]
    assert (root / LEDGER).read_bytes() == made[LEDGER]  # reading changes no byte
    _kernel(root / LEDGER, "ledger.runs()")  # a kernel that read the ledger: an empty log
    assert (root / f"{LEDGER}-wal").stat().st_size == 0
    assert (root / f"{LEDGER}-shm").is_file()
    (root / "quickstart" / ".bizml.toml.lock").write_text("pid 11 on host: bizml init\n")
    checkpoints = root / "quickstart" / ".ipynb_checkpoints"
    checkpoints.mkdir()
    shutil.copy2(
        root / "quickstart" / "quickstart.ipynb", checkpoints / "quickstart-checkpoint.ipynb"
    )
    _prepare(root)
    assert [p.name for p in root.iterdir()] == [MARKER]


def test_demo_rerun_refuses_edited_files_naming_them_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edited notebook and bizml.toml, then a checkpoint of an edit: refused, each named."""
    root = tmp_path / "demo"
    _earlier_demo(root)
    notebook = root / "quickstart" / "quickstart.ipynb"
    edited = nbformat.read(notebook, 4)
    edited.cells.append(nbformat.v4.new_markdown_cell("My conclusions"))
    nbformat.write(edited, notebook)
    with (root / "quickstart" / "bizml.toml").open("a") as toml:
        toml.write('currency = "EUR"\n')
    before = _files(root)
    assert main(["demo", "--dir", str(root), "--no-progress"]) == 1
    changed = f"{root / 'quickstart' / 'bizml.toml'}, {notebook}"
    assert capsys.readouterr().err == (
        f"bizml: error: {root} holds files changed since `bizml demo` made them (edits, or "
        f"runs recorded in a ledger): {changed}; nothing was changed. To keep them, move them "
        "out of the folder or give --dir a new or empty folder; to discard them, delete the "
        "folder yourself\n"
    )
    assert _files(root) == before
    # the edit moved out, but Jupyter's checkpoint of it is still there: that is kept too
    (root / "quickstart" / "bizml.toml").write_text('[project]\nname = "quickstart"\n')
    checkpoint = root / "quickstart" / ".ipynb_checkpoints" / "quickstart-checkpoint.ipynb"
    checkpoint.parent.mkdir()
    notebook.replace(checkpoint)
    (root / "notes.txt").write_text("mine")
    before = _files(root)
    assert main(["demo", "--dir", str(root), "--no-progress"]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: {root} holds files `bizml demo` did not make: {root / 'notes.txt'}, "
        "and files changed since `bizml demo` made them (edits, or runs recorded in a "
        f"ledger): {checkpoint}; nothing was changed. To keep them, move them out of the "
        "folder or give --dir a new or empty folder; to discard them, delete the folder "
        "yourself\n"
    )
    assert _files(root) == before


def test_demo_rerun_refuses_runs_recorded_in_its_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run recorded by a kernel still in the log, then settled into the ledger: both kept."""
    root = tmp_path / "demo"
    _earlier_demo(root)
    _kernel(root / LEDGER, "ledger.record(Run.new('mine', target='take_rate'))")
    made = json.loads((root / MARKER).read_text())["files"]
    assert hashlib.sha256((root / LEDGER).read_bytes()).hexdigest() == made[LEDGER]
    for changed in (f"{LEDGER}-wal", LEDGER):  # in the log; then copied into the ledger
        before = _files(root)
        assert main(["demo", "--dir", str(root), "--no-progress"]) == 1
        assert capsys.readouterr().err == (
            f"bizml: error: {root} holds files changed since `bizml demo` made them (edits, "
            f"or runs recorded in a ledger): {root / changed}; nothing was changed. To keep "
            "them, move them out of the folder or give --dir a new or empty folder; to "
            "discard them, delete the folder yourself\n"
        )
        assert _files(root) == before
        assert _runs(root / LEDGER) == ["baseline", "mine"]  # reading settles the log


def test_demo_refuses_a_manifest_of_names_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An older demo's manifest cannot show its files are unchanged: refused, nothing deleted."""
    root = tmp_path / "demo"
    (root / "quickstart").mkdir(parents=True)
    (root / "quickstart" / "quickstart.ipynb").write_text("{}")
    old = {
        "format": "bizml.demo-manifest",
        "note": "made by `bizml demo`; running it again deletes the files and folders listed "
        "here and refuses if the folder holds anything else",
        "complete": True,
        "files": ["quickstart/quickstart.ipynb"],
        "folders": ["quickstart"],
    }
    (root / MARKER).write_text(json.dumps(old, indent=1) + "\n")
    before = _files(root)
    assert main(["demo", "--dir", str(root), "--no-progress"]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: {root / MARKER} was written by an older `bizml demo`: it lists the "
        f"files it made in {root} by name only, so it cannot show that they are unchanged; "
        "nothing was changed. Keep what you want from the folder and delete it yourself, or "
        "give --dir a new or empty folder\n"
    )
    assert _files(root) == before
