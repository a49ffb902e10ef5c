"""A widget's display bundle with a readable ``text/plain``.

Where no widget can be shown (a notebook opened before it is run or trusted,
GitHub, a terminal, nbval), the front end falls back to ``text/plain``; an
ipywidget's own is its Python repr (``VBox(children=(HTML(value=...``). The
panels put their result there in words instead.
"""

from __future__ import annotations

from typing import Any


def with_text(bundle: Any, text: str, extra: dict[str, Any] | None = None) -> Any:
    """``bundle`` (a dict, or a (data, metadata) pair) with ``text`` as ``text/plain``."""
    added = {"text/plain": text, **(extra or {})}
    if isinstance(bundle, tuple):
        data, metadata = bundle
        return {**data, **added}, metadata
    return {**bundle, **added}
