"""Shared by the tools/build_*.py scripts: notebooks written from (kind, source) cells.

Kinds: ``md`` (markdown), ``code``, ``parameters`` (a code cell tagged for
papermill) and ``summary`` (a code cell tagged ``decision-summary``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
NOTEBOOKS = ROOT / "notebooks"

Cells = list[tuple[str, str]]
Parameters = list[tuple[str, str, str, str]]  # name, type, default, comment

_TAGS = {"parameters": ["parameters"], "summary": ["decision-summary"]}


def parameters_cell(parameters: Parameters, header: str) -> str:
    """A papermill parameters cell: ``name: type = default  # comment`` per line."""
    lines = [header]
    for name, kind, default, comment in parameters:
        lines.append(f"{name}: {kind} = {default}  # {comment}")
    return "\n".join(lines)


def parameters_dict(names: list[str], indent: str = "        ") -> str:
    """Lines of a dict literal mapping each parameter's name to its value."""
    return "\n".join(f'{indent}"{name}": {name},' for name in names)


def notebook(name: str, cells: Cells) -> Any:
    """A template notebook (no outputs) with stable cell ids ``NAME-NN``."""
    nb = _new()
    nb.metadata["language_info"] = {"name": "python"}
    for index, (kind, source) in enumerate(cells):
        cell = _cell(kind, source)
        cell.id = f"{name}-{index:02d}"  # stable ids: rebuilding changes nothing it need not
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def execute_example(cells: Cells, path: Path, *, timeout: int = 300) -> float:
    """Write an example notebook, execute it in notebooks/, save it; return the seconds.

    The code cell that declares ``workdir: str | None = None`` is tagged as the
    parameters cell, so `bizml demo` can run the example in a folder of its own.
    """
    from nbclient import NotebookClient

    nb = _new()
    for kind, source in cells:
        cell = _cell(kind, source)
        if kind == "code" and source.endswith("workdir: str | None = None"):
            cell.metadata["tags"] = ["parameters"]  # papermill injects workdir after it
        nb.cells.append(cell)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def _new() -> Any:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _cell(kind: str, source: str) -> Any:
    if kind == "md":
        return nbformat.v4.new_markdown_cell(source)
    cell = nbformat.v4.new_code_cell(source)
    if kind in _TAGS:
        cell.metadata["tags"] = list(_TAGS[kind])
    return cell
