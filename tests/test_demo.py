"""bizml demo: one command builds a worked project, and re-running it is safe."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from bizml_nb.cli import main
from bizml_nb.demo import MARKER, run_demo
from bizml_nb.errors import BizmlError

if TYPE_CHECKING:
    from pathlib import Path


def test_demo_runs_everything_and_writes_reports(tmp_path: Path) -> None:
    """The examples and templates are executed in their folders and each project gets a report."""
    result = run_demo(tmp_path / "demo", progress=False)
    names = sorted(path.name for path, _seconds in result.notebooks)
    assert names == sorted(
        [
            "quickstart.ipynb",
            "recsys_take_rate.ipynb",
            "fraud_threshold.ipynb",
            "roi_analysis.ipynb",
            "adoption_maturity.ipynb",
            "scalability_planning.ipynb",
            "silent_failure_monitoring.ipynb",
        ]
    )
    recsys = tmp_path / "demo" / "recsys_take_rate"
    assert (recsys / "bizml.toml").is_file()
    assert (recsys / ".bizml" / "ledger.sqlite").is_file()
    report = (recsys / "report.html").read_text()
    assert "What to decide" in report
    assert "material" in report
    assert "Return on investment" in report  # the ROI template's record was read
    assert "Next:" in result.text()


def test_demo_replaces_only_its_own_folder(tmp_path: Path) -> None:
    """A folder made by an earlier demo is replaced; any other non-empty folder is refused."""
    from bizml_nb.demo import _prepare

    old = tmp_path / "old-demo"
    old.mkdir()
    (old / MARKER).write_text("made by `bizml demo`")
    (old / "stale.txt").write_text("from last time")
    _prepare(old)
    assert not (old / "stale.txt").exists()
    assert (old / MARKER).is_file()

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(BizmlError, match="not made by `bizml demo`; nothing was changed"):
        _prepare(mine)
    assert (mine / "thesis.tex").read_text() == "precious"


def test_demo_command_refuses_a_foreign_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml demo --dir` on someone else's folder exits 1 with one message."""
    (tmp_path / "notes.md").write_text("mine")
    assert main(["demo", "--dir", str(tmp_path), "--no-progress"]) == 1
    assert "nothing was changed" in capsys.readouterr().err
