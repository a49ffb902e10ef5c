"""Build the shipped notebooks from their sources, in the order they depend on each other.

    python tools/build_notebooks.py                  # every notebook
    python tools/build_notebooks.py NAME [NAME...]   # some of them, e.g. roi_analysis roi_example
    python tools/build_notebooks.py --check          # does each notebook match its source? (runs nothing)

Sources live in one folder, ``sources/``, outside ``templates/`` and ``notebooks/`` so that
the wheel, which ships those two folders, carries notebooks only. Each source is a jupytext
percent-format ``.py`` file (``# %%`` code cells, ``# %% [markdown]`` cells, ``# %%
tags=["..."]`` for a cell's tags: ``parameters``, ``decision-summary``, nbval's
``nbval-ignore-output``...), so ruff and mypy check it like any module (``pyproject.toml``):

- ``sources/templates/NAME.py`` -> ``templates/NAME.ipynb``, saved without outputs;
- ``sources/notebooks/NAME.py`` -> ``notebooks/NAME.ipynb``, executed in ``notebooks/`` by
  nbclient and saved with its outputs (nbval re-runs it in the test suite);
- the examples in :data:`FROM_TEMPLATE` are a template executed through the function behind
  ``bizml run`` (papermill). Their source holds the cells they add: the markdown cells go
  first, and a cell tagged ``injected-parameters`` holds the values, as papermill injects
  them after the template's parameters cell (the ROI example's benefit is run "SVD rank 6"'s
  yearly value in ``notebooks/recsys_take_rate.ipynb``, checked when it is built).

A parameters cell sits between ``# fmt: off`` and ``# fmt: on`` lines, which keep ruff's
formatter from wrapping its ``name: type = default  # comment`` lines (``bizml templates``
reads them); the notebook leaves those two lines out.

Cell ids are ``NAME-NN`` (NN: the cell's index in its source), so a rebuild changes nothing
it need not; cells keep only their tags as metadata. ``tests/test_notebook_sources.py``
runs :func:`differences` on every notebook. The time each executed notebook took is printed.
"""

from __future__ import annotations

import ast
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
TEMPLATES = ROOT / "templates"
NOTEBOOKS = ROOT / "notebooks"
INJECTED = "injected-parameters"
FROM_TEMPLATE = {  # example -> the template it executes
    "roi_example": "roi_analysis",
    "monitoring_example": "silent_failure_monitoring",
    "scalability_example": "scalability_planning",
}
TIMEOUT = {"quickstart": 120}  # seconds for the whole notebook; others: 300
FORMATTER_SWITCHES = ("# fmt: off", "# fmt: on")  # in a source only: see the docstring
RECSYS_RUN = "SVD rank 6"  # the run whose yearly value is the ROI example's benefit
BENEFIT = ("annual_benefit_low", "annual_benefit_mode", "annual_benefit_high")


def names() -> list[str]:
    """Every notebook, in build order: executed examples, templates, examples of templates."""
    templates = sorted(p.stem for p in (SOURCES / "templates").glob("*.py"))
    examples = sorted(p.stem for p in (SOURCES / "notebooks").glob("*.py"))
    return [n for n in examples if n not in FROM_TEMPLATE] + templates + list(FROM_TEMPLATE)


def target(name: str) -> Path:
    folder = TEMPLATES if (SOURCES / "templates" / f"{name}.py").exists() else NOTEBOOKS
    return folder / f"{name}.ipynb"


def from_source(name: str) -> Any:
    """The notebook a source describes, unexecuted: stable ids, tags as the only metadata."""
    folder = "templates" if target(name).parent == TEMPLATES else "notebooks"
    nb = jupytext.read(SOURCES / folder / f"{name}.py", fmt="py:percent")
    nb.metadata = nbformat.NotebookNode(
        kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
        language_info={"name": "python"},
    )
    for index, cell in enumerate(nb.cells):
        cell.id = f"{name}-{index:02d}"
        lines = cell.source.split("\n")
        cell.source = "\n".join(line for line in lines if line not in FORMATTER_SWITCHES)
        tags = cell.metadata.get("tags")
        cell.metadata = nbformat.NotebookNode({"tags": list(tags)} if tags else {})
    nbformat.validate(nb)
    return nb


def expected(name: str) -> Any:
    """The cells ``notebooks/NAME.ipynb`` or ``templates/NAME.ipynb`` must have (no outputs)."""
    if name not in FROM_TEMPLATE:
        return from_source(name)
    own, template = from_source(name), from_source(FROM_TEMPLATE[name])
    intro = [c for c in own.cells if c.cell_type == "markdown"]
    injected = [c for c in own.cells if INJECTED in c.metadata.get("tags", [])]
    cells = list(template.cells)
    if injected:
        (cell,) = injected
        cell.id, cell.source = INJECTED, cell.source + "\n"  # papermill ends it with a newline
        tags = [c.metadata.get("tags", []) for c in cells]
        cells.insert(tags.index(["parameters"]) + 1, cell)
    for index, cell in enumerate(intro):
        cell.id = "example-intro" if index == 0 else f"example-intro-{index}"
    own.cells = intro + cells
    return own


def differences(name: str) -> list[str]:
    """How the shipped notebook's cells differ from its source: [] when they agree."""
    path = target(name)
    if not path.exists():
        return [f"{path.relative_to(ROOT)} does not exist"]
    saved, want = nbformat.read(path, as_version=4), expected(name)
    problems = []
    if len(saved.cells) != len(want.cells):
        problems.append(f"{len(saved.cells)} cells, the source gives {len(want.cells)}")
    for index, (got, cell) in enumerate(zip(saved.cells, want.cells, strict=False)):
        for what in ("cell_type", "id", "source", "tags"):
            if _get(got, what) != _get(cell, what):
                problems.append(f"cell {index} ({cell.id}): its {what} differs")
        if path.parent == TEMPLATES and got.cell_type == "code" and got.outputs:
            problems.append(f"cell {index} ({cell.id}): a template is saved without outputs")
    return [f"{path.relative_to(ROOT)}: {p}" for p in problems]


def _get(cell: Any, what: str) -> Any:
    return cell.metadata.get("tags", []) if what == "tags" else cell.get(what)


def recsys_benefit() -> tuple[float, float, float]:
    """Run "SVD rank 6"'s yearly value (low, mid, high) as its saved card rounds it."""
    from bizml_nb.core.run import RUN_MIME
    from bizml_nb.interfaces.nbimport import cards_in_notebook

    for card in cards_in_notebook(NOTEBOOKS / "recsys_take_rate.ipynb"):
        if card[RUN_MIME]["run"]["name"] == RECSYS_RUN:
            low, mid, high = (float(f"{v:.3g}") for v in card[RUN_MIME]["impact"]["value_per_year"])
            return low, mid, high
    raise SystemExit(f"no saved card for run {RECSYS_RUN!r}: build recsys_take_rate first")


def build(name: str) -> float | None:
    """Write one notebook; the seconds its execution took (None for a template)."""
    from nbclient import NotebookClient

    want, out = expected(name), target(name)
    if out.parent == TEMPLATES:
        nbformat.write(want, out)
        return None
    if name in FROM_TEMPLATE:
        return _build_from_template(name, want, out)
    client = NotebookClient(
        want,
        timeout=TIMEOUT.get(name, 300),
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for cell in want.cells:
        cell.metadata.pop("execution", None)  # timestamps: they would change on every build
    nbformat.write(want, out)
    return seconds


def _build_from_template(name: str, want: Any, out: Path) -> float:
    """Execute a template, with the source's injected parameters, as ``bizml run`` does."""
    from bizml_nb.interfaces import templates

    injected = [c for c in want.cells if c.id == INJECTED]
    parameters: dict[str, Any] = {}
    for cell in injected:
        for node in ast.parse(cell.source).body:
            if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
                raise SystemExit(
                    f"sources/notebooks/{name}.py: {INJECTED} holds NAME = VALUE lines"
                )
            parameters[node.targets[0].id] = ast.literal_eval(node.value)
    if name == "roi_example":
        benefit = dict(zip(BENEFIT, recsys_benefit(), strict=True))
        if {k: parameters[k] for k in BENEFIT} != benefit:
            raise SystemExit(
                f"sources/notebooks/roi_example.py: the benefit is {benefit} in "
                "notebooks/recsys_take_rate.ipynb now; update it there and in the introduction"
            )
    template = FROM_TEMPLATE[name]
    with tempfile.TemporaryDirectory() as scratch:
        source = template  # `bizml run TEMPLATE`, or `bizml new` with the parameters first
        if parameters:
            source = templates.new(template, Path(scratch) / "prepared.ipynb", parameters)
        out_path = Path(scratch) / f"{name}.ipynb"
        done = templates.run(source, None, out_path, progress=False, cwd=NOTEBOOKS)
        nb = nbformat.read(done.notebook, as_version=4)
    nb.metadata.papermill.update(input_path=f"templates/{template}.ipynb", output_path=None)
    for key in ("start_time", "end_time", "duration", "exception"):
        nb.metadata.papermill.pop(key, None)
    intro = [c for c in want.cells if c.cell_type == "markdown" and c.id.startswith("example-")]
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if INJECTED in cell.metadata.get("tags", []):
            cell.id = INJECTED
    nb.cells[:0] = intro
    nbformat.write(nb, out)
    problems = differences(name)
    if problems:
        raise SystemExit("\n".join(problems))
    return done.seconds


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    everything = names()
    if args == ["--check"]:
        problems = [p for name in everything for p in differences(name)]
        print("\n".join(problems) or f"{len(everything)} notebooks match their sources")
        raise SystemExit(1 if problems else 0)
    unknown = [a for a in args if a not in everything]
    if unknown:
        raise SystemExit(f"unknown notebook {unknown[0]!r}; choose from {', '.join(everything)}")
    for name in [n for n in everything if n in args] if args else everything:
        seconds = build(name)
        done = "written (no outputs)" if seconds is None else f"executed in {seconds:.1f} s"
        print(f"{target(name).relative_to(ROOT)}: {done}", flush=True)


if __name__ == "__main__":
    main()
