"""What `bizml` prints when a user's string holds a line break: one message, never a fake line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import bizml_nb
from bizml_nb.interfaces.cli import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_a_file_name_with_a_line_break_cannot_fake_a_line_of_ours(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The report's warning and the import's error each stay one line, the break shown as \\n."""
    bizml_nb.init("shop")
    hostile = project_dir / "x\nbizml: wrote everything fine.ipynb"
    hostile.write_text("not json")
    assert main(["report", "--format", "md", "--out", "r.md"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"bizml: warning: skipped the notebook {project_dir}/x\\nbizml: wrote everything "
        "fine.ipynb: it is not a notebook (invalid JSON: Expecting value: line 1 column 1 "
        "(char 0)); the report was made without it"
    ]
    assert main(["ledger", "import", "a\nFAKE: imported 100 runs.ipynb"]) == 1
    assert capsys.readouterr().err == (
        "bizml: error: a\\nFAKE: imported 100 runs.ipynb does not exist\n"
    )


def test_our_own_continuation_lines_are_kept(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A message of several lines (a failed `bizml run`) keeps its indented lines as lines."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell("1 / 0")]
    path = project_dir / "fails.ipynb"
    nbformat.write(nb, path)
    assert main(["run", str(path), "--no-progress"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"bizml: error: {path} failed in cell 1 (In [1]): ZeroDivisionError")
    assert len(lines) > 1
    assert all(line.startswith("  ") for line in lines[1:])
