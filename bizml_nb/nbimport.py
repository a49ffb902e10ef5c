"""Read runs back from executed notebooks: each card carries its whole run record.

The notebook is read as plain JSON (no nbformat import, no execution).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bizml_nb.display import RUN_MIME
from bizml_nb.errors import LedgerError
from bizml_nb.ledger import Run

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def runs_from_notebook(path: Path) -> list[Run]:
    """The distinct runs recorded in the outputs of ``path``, in notebook order.

    A run shown twice (e.g. by ``%bizml show``) is returned once, with the
    metrics of its latest card.
    """
    runs: dict[str, Run] = {}
    for index, card in _cards(_read(path)):
        try:
            run = Run.from_record(card[RUN_MIME])
        except LedgerError as exc:
            raise LedgerError(f"{path}, cell {index}: {exc}") from None
        runs[run.id] = run
    return list(runs.values())


def cards_in_notebook(path: Path) -> list[dict[str, Any]]:
    """Every card in the outputs of ``path``, in notebook order, as its display data.

    ``card[RUN_MIME]`` is the whole record (run and impact); ``card["text/plain"]``
    is the text the card showed.
    """
    return [card for _index, card in _cards(_read(path))]


def _read(path: Path) -> dict[str, Any]:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LedgerError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise LedgerError(f"{path} is not a notebook (invalid JSON: {exc})") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise LedgerError(f"{path} is not a Jupyter notebook (no cells)")
    return notebook


def _cards(notebook: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            data = output.get("data") if isinstance(output, dict) else None
            if isinstance(data, dict) and isinstance(data.get(RUN_MIME), dict):
                yield index, data
