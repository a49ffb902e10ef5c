"""The report's words: plain text and a record's text kept apart, ranges at 90%.

What :mod:`bizml_nb.present.report_records` and
:mod:`bizml_nb.present.report_monitoring` share to word a record for people.
"""

from __future__ import annotations

import math
from typing import Any

ILLUSTRATION = "illustration"
#: The 95th percentile of the standard normal: a standard error times it on each side
#: of an estimate is its 90% range (the level of every range the report shows).
Z90 = 1.6448536269514722
#: The organisation the adoption_maturity template's default answers describe.
EXAMPLE_TEAM = "our ML team"


class User(str):
    """A string from a record or the project inside a sentence of the report (escaped as
    such in Markdown); the report's own words and figures are plain ``str``."""

    __slots__ = ()


Line = list[str]  # a sentence in pieces: plain words and figures, and User pieces


def floats(values: Any) -> list[float]:
    """The finite numbers of a JSON list (anything else: none)."""
    if not isinstance(values, list):
        return []
    return [float(v) for v in values if isinstance(v, int | float) and math.isfinite(v)]


def currency_of(record: dict[str, Any], cur: str) -> str:
    """The record's own currency, else ``cur``."""
    value = record.get("currency")
    return value if isinstance(value, str) and value else cur
