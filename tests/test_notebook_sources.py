"""Each shipped notebook is what its source under sources/ builds (tools/build_notebooks.py).

Nothing is executed: the cells' types, sources, tags and ids are compared (nbval checks
the executed outputs). Fix a failure with ``python tools/build_notebooks.py NAME``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _build_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", ROOT / "tools" / "build_notebooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_script()
SHIPPED = sorted(p.stem for p in (*ROOT.glob("templates/*.ipynb"), *ROOT.glob("notebooks/*.ipynb")))


def test_every_shipped_notebook_has_a_source_and_every_source_a_notebook() -> None:
    assert sorted(build.names()) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_the_notebook_matches_its_source(name: str) -> None:
    problems = build.differences(name)
    assert not problems, "\n".join(
        [*problems, f"rebuild it: python tools/build_notebooks.py {name}"]
    )


@pytest.mark.parametrize("name", SHIPPED)
def test_cell_ids_are_the_stable_ones(name: str) -> None:
    """Ids come from the source's name and the cell's place, so a rebuild changes none."""
    saved = nbformat.read(build.target(name), as_version=4)
    ids = [cell.id for cell in saved.cells]
    assert len(set(ids)) == len(ids)
    first, second = ([cell.id for cell in build.expected(name).cells] for _ in range(2))
    assert ids == first == second


def _copy_of(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The build script pointed at a copy of the repository's notebooks and sources."""
    for folder in ("templates", "notebooks", "sources/templates", "sources/notebooks"):
        (tmp_path / folder).mkdir(parents=True)
        for path in (ROOT / folder).glob("*.*"):
            (tmp_path / folder / path.name).write_bytes(path.read_bytes())
    for attribute, folder in (
        ("ROOT", ""),
        ("SOURCES", "sources"),
        ("TEMPLATES", "templates"),
        ("NOTEBOOKS", "notebooks"),
    ):
        monkeypatch.setattr(build, attribute, tmp_path / folder)
    return build.target(name)


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ("source", "source"),
        ("tag", "tags"),
        ("id", "id"),
        ("type", "cell_type"),
    ],
)
def test_a_difference_from_the_source_is_found(
    change: str, what: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy_of("roi_analysis", tmp_path, monkeypatch)
    assert build.differences("roi_analysis") == []
    nb = json.loads(path.read_text())
    cell = nb["cells"][3]
    if change == "source":
        cell["source"] = [*cell["source"], "\nprint('edited by hand')"]
    elif change == "tag":
        cell["metadata"]["tags"] = ["nbval-skip"]
    elif change == "id":
        cell["id"] = "edited"
    else:
        nb["cells"][3] = {"cell_type": "markdown", "id": cell["id"], "metadata": {}, "source": ""}
    path.write_text(json.dumps(nb))
    problems = build.differences("roi_analysis")
    assert any(f"its {what} differs" in p for p in problems), problems


def test_a_changed_source_or_a_missing_cell_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy_of("roi_example", tmp_path, monkeypatch)
    assert build.differences("roi_example") == []
    source = tmp_path / "sources" / "templates" / "roi_analysis.py"
    source.write_text(source.read_text() + "\n# %%\nprint('a new last cell')\n")
    problems = build.differences("roi_example")
    assert any("cells, the source gives" in p for p in problems), problems
    assert any("roi_analysis.ipynb" in p for p in build.differences("roi_analysis"))
    nb = json.loads(path.read_text())
    del nb["cells"][0]
    path.write_text(json.dumps(nb))
    assert build.differences("roi_example")


def test_a_template_with_an_output_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy_of("scalability_planning", tmp_path, monkeypatch)
    nb = json.loads(path.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hello\n"]}]
    path.write_text(json.dumps(nb))
    assert any("without outputs" in p for p in build.differences("scalability_planning"))


def test_parameters_cells_leave_out_the_formatter_switches() -> None:
    """`# fmt: off`/`# fmt: on` keep ruff from wrapping a parameters cell, in the source only."""
    for name in build.names():
        for cell in build.expected(name).cells:
            assert "# fmt:" not in cell.source, (name, cell.id)
    source = (ROOT / "sources" / "templates" / "roi_analysis.py").read_text()
    assert '# %% tags=["parameters"]\n# fmt: off\n' in source


def test_the_derived_examples_add_only_their_own_cells_to_the_template() -> None:
    """roi_example: an introduction, then the template's cells with papermill's injected cell
    after the parameters cell; the others: an introduction and the template's cells."""
    template = [c.source for c in build.expected("roi_analysis").cells]
    example = build.expected("roi_example").cells
    assert [c.id for c in example[:1]] == ["example-intro"]
    tags = [c.metadata.get("tags", []) for c in example]
    injected = tags.index(["injected-parameters"])
    assert tags[injected - 1] == ["parameters"]
    assert [c.source for i, c in enumerate(example) if i not in (0, injected)] == template
    for name, of in (
        ("monitoring_example", "silent_failure_monitoring"),
        ("scalability_example", "scalability_planning"),
    ):
        cells = build.expected(name).cells
        assert [c.source for c in cells[1:]] == [c.source for c in build.expected(of).cells]


def test_no_source_redefines_a_helper_the_package_gives() -> None:
    """money() and the record's 10-digit figures come from bizml_nb.interfaces.notebook_helpers."""
    for path in sorted((ROOT / "sources").glob("*/*.py")):
        text = path.read_text()
        for helper in ("def money(", "def finite(", "def figure(", "def record_figure("):
            assert helper not in text, f"{path.relative_to(ROOT)} defines {helper[4:-1]}"


def test_the_shared_helpers_give_the_text_the_templates_printed() -> None:
    from bizml_nb.interfaces.notebook_helpers import money_in, record_figure

    usd, eur = money_in("USD"), money_in("EUR")
    assert usd(3_950_000) == "$3.95M"
    assert usd(-1_220_000, signed=True) == "-$1.22M"
    assert usd(40_000, signed=True) == "+$40k"
    assert usd(0.0, signed=True) == "$0"
    assert eur(999_500) == "€1M"
    assert record_figure(0.1 + 0.2) == 0.3
    assert record_figure(20.86192281500994) == 20.86192282
    assert record_figure(None) is None
    assert record_figure(float("inf")) is None
    assert record_figure(float("nan")) is None
