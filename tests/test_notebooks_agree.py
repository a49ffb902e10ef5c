"""Saved notebooks that quote each other still agree.

nbval proves each notebook reproduces its own outputs; this proves that a figure
one notebook takes from another is still the figure the other one prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bizml_nb.interfaces.nbimport import cards_in_notebook
from bizml_nb.present.cards import RUN_MIME

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _cells(name: str) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads((NOTEBOOKS / name).read_text())["cells"]
    return cells


def _card(notebook: str, run: str) -> dict[str, Any]:
    """The first card of ``run`` in ``notebook``: its display data, record included."""
    for card in cards_in_notebook(NOTEBOOKS / notebook):
        if card[RUN_MIME]["run"]["name"] == run:
            return card
    raise AssertionError(f"no card for run {run!r} in {notebook}")


def _injected_parameters(notebook: str) -> dict[str, Any]:
    """The values papermill injected, read as literals (never evaluated)."""
    import ast

    cell = next(
        c for c in _cells(notebook) if "injected-parameters" in c["metadata"].get("tags", [])
    )
    values = {}
    for node in ast.parse("".join(cell["source"])).body:
        assert isinstance(node, ast.Assign)
        assert isinstance(node.targets[0], ast.Name)
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def test_roi_example_prices_the_recommenders_run() -> None:
    """The ROI example's benefit is run 'SVD rank 6''s yearly value, to 3 figures as its card."""
    svd = _card("recsys_take_rate.ipynb", "SVD rank 6")
    low, mid, high = svd[RUN_MIME]["impact"]["value_per_year"]
    parameters = _injected_parameters("roi_example.ipynb")
    assert parameters["annual_benefit_low"] == float(f"{low:.3g}")
    assert parameters["annual_benefit_mode"] == float(f"{mid:.3g}")
    assert parameters["annual_benefit_high"] == float(f"{high:.3g}")
    card = "".join(svd["text/plain"])
    intro = "".join(_cells("roi_example.ipynb")[0]["source"])
    for amount in (parameters["annual_benefit_mode"], parameters["annual_benefit_low"]):
        text = f"{amount / 1e6:.3g}M"
        assert f"+${text}" in card  # what the recommender's card prints
        assert f"+\\${text}" in intro  # and what the example's introduction quotes


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [x for item in value.values() for x in _floats(item)]
    if isinstance(value, list):
        return [x for item in value for x in _floats(item)]
    return []


def test_saved_records_hold_no_digits_that_vary_between_machines() -> None:
    """nbval compares the JSON records a notebook displays exactly (all but the run record,
    which the card's text and HTML repeat). Their floats keep 10 significant digits: the
    digits after those depend on the CPU's SIMD kernels and the BLAS."""
    checked, loose = 0, []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for index, cell in enumerate(_cells(path.name)):
            for output in cell.get("outputs", []):
                for mime, data in output.get("data", {}).items():
                    if not mime.startswith("application/vnd.bizml.") or mime == RUN_MIME:
                        continue
                    checked += 1
                    loose += [
                        f"{path.name} cell {index} {mime}: {x!r}"
                        for x in _floats(data)
                        if float(f"{x:.10g}") != x
                    ]
    assert checked >= 4  # the ROI, monitoring and scalability examples' records
    assert loose == []
