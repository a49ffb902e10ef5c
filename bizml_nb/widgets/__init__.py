"""ipywidgets panels. ipywidgets is imported only when a panel is built."""

from __future__ import annotations

from bizml_nb.widgets.dashboard import Dashboard

__all__ = ["Dashboard"]
