"""ipywidgets panels. ipywidgets is imported only when a panel is built."""

from __future__ import annotations

from bizml_nb.present.widgets.dashboard import Dashboard
from bizml_nb.present.widgets.maturity_quiz import MaturityQuiz
from bizml_nb.present.widgets.roi_calculator import ROICalculator

__all__ = ["Dashboard", "MaturityQuiz", "ROICalculator"]
