"""A kernel that dies before any cell ran is started again; one that dies in a cell is not.

jupyter_client chooses a kernel's five ports, frees them, and the kernel binds them a
moment later: on a busy machine another process can take one in between, and the
kernel dies at start (``ZMQError: Address already in use``). The kernels here are
real ipykernels behind a launcher that exits at start the first N times, as such a
kernel does; the counter file says how many times each was started.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import nbformat
import pytest

from bizml_nb.interfaces import templates
from bizml_nb.interfaces.runner import KERNEL_STARTS
from bizml_nb.interfaces.template_catalog import TemplateError

if TYPE_CHECKING:
    from pathlib import Path

LAUNCHER = """\
import pathlib, runpy, sys
counter = pathlib.Path({counter!r})
started = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(started + 1))
if started < {fails}:
    sys.exit(1)  # as a kernel whose port was taken before it could bind it
sys.argv = ["ipykernel_launcher", *sys.argv[1:]]
runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
"""


def _kernel(root: Path, monkeypatch: pytest.MonkeyPatch, name: str, fails: int) -> Path:
    """Install a kernel ``name`` (in a Jupyter path of the test's own) that dies at
    start ``fails`` times; return its counter file."""
    data = root / "jupyter"
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    counter = root / f"{name}.count"
    launcher = root / f"{name}.py"
    launcher.write_text(LAUNCHER.format(counter=str(counter), fails=fails))
    spec = data / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, str(launcher), "-f", "{connection_file}"],
                "display_name": name,
                "language": "python",
            }
        )
    )
    return counter


def _notebook(root: Path, kernel: str, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path = root / f"{kernel}.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_kernel_that_dies_at_start_once_is_started_again_and_the_run_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = _kernel(tmp_path, monkeypatch, "flaky", fails=1)
    path = _notebook(tmp_path, "flaky", "print(6 * 7)")
    templates.run(path, None, tmp_path / "out.ipynb", progress=False)
    assert counter.read_text() == "2"
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.cells[0].outputs[0]["text"] == "42\n"


def test_a_kernel_that_never_starts_is_tried_three_times_then_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = _kernel(tmp_path, monkeypatch, "broken", fails=99)
    path = _notebook(tmp_path, "broken", "print(6 * 7)")
    before = path.read_bytes()
    with pytest.raises(TemplateError) as caught:
        templates.run(path, None, tmp_path / "out.ipynb", progress=False)
    assert counter.read_text() == str(KERNEL_STARTS) == "3"
    message = str(caught.value)
    assert message.startswith(f"{path} could not be run: ")
    assert "(the kernel was started 3 times)" in message
    assert "nothing was written to" in message
    assert not (tmp_path / "out.ipynb").exists()
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "cell",
    ["raise ValueError('bad input')", "import os; os._exit(1)"],
    ids=["a cell raised", "the kernel died in a cell"],
)
def test_a_run_that_failed_in_a_cell_is_not_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cell: str
) -> None:
    counter = _kernel(tmp_path, monkeypatch, "steady", fails=0)
    path = _notebook(tmp_path, "steady", "x = 1", cell)
    with pytest.raises(TemplateError):
        templates.run(path, None, tmp_path / "out.ipynb", progress=False)
    assert counter.read_text() == "1"  # the cells had begun: running them again is not ours
    assert (tmp_path / "out.failed.ipynb").exists()  # what ran is kept beside the target
    assert not (tmp_path / "out.ipynb").exists()
