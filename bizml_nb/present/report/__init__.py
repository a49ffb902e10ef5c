"""The report for decision makers: one self-contained HTML (or Markdown) file.

Built from the registry, the ledger, and the bizml records inside the project's
executed notebooks (ROI, maturity, monitoring and capacity records):
:mod:`~bizml_nb.present.report.findings` gathers what it says,
:mod:`~bizml_nb.present.report.page` writes it. It opens with a one-screen summary: what
to decide, the numbers that matter and the caveats.

>>> build_report(bizml_nb.project(), notebooks=["notebooks/*.ipynb"])  # doctest: +SKIP
"""

from bizml_nb.present.report.findings import (
    IS_BASELINE,
    LABEL,
    MEASURABLE,
    RECORD_TYPES,
    Findings,
    _decisions,  # noqa: F401  (tests decide from hand-made findings)
    _summary,  # noqa: F401
    gather,
)
from bizml_nb.present.report.page import build_report, to_html, to_markdown

__all__ = [
    "IS_BASELINE",
    "LABEL",
    "MEASURABLE",
    "RECORD_TYPES",
    "Findings",
    "build_report",
    "gather",
    "to_html",
    "to_markdown",
]
