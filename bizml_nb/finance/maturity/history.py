"""An organisation's own deployments: days from start to live, summarised beside the survey."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizml_nb.finance.maturity.questionnaire import MaturityError
from bizml_nb.finance.maturity.survey import compare_with_survey, deployment_days


@dataclass(frozen=True)
class History:
    """The team's own deployments: days from start to live, one a model."""

    days: tuple[float, ...]

    @classmethod
    def read(cls, path: str) -> History:
        """The deployments in the CSV at ``path`` (columns started and deployed)."""
        import pandas as pd

        if not Path(path).is_file():
            raise MaturityError(
                f"deployment_history: no file at {path!r} (a relative path is read from "
                "the notebook's folder)"
            )
        try:
            frame = pd.read_csv(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # pandas' parser errors too
            raise MaturityError(
                f"deployment_history: {path!r} is not a readable CSV ({exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else 'empty'})"
            ) from None
        days = deployment_days(frame)
        if days.empty:
            raise MaturityError(f"deployment_history: {path!r} lists no deployment")
        return cls(tuple(float(d) for d in days))

    @property
    def median(self) -> float:
        from statistics import median

        return float(median(self.days))

    @property
    def within_30_days(self) -> float:
        return sum(d <= 30 for d in self.days) / len(self.days)

    def shares(self) -> dict[str, float]:
        frame = compare_with_survey(self.days)
        return {str(row["days"]): float(row["yours"]) for row in frame.to_dict("records")}

    def record(self) -> dict[str, Any]:
        return {
            "deployments": len(self.days),
            "median_days": self.median,
            "within_30_days": self.within_30_days,
            "shares": self.shares(),
        }


__all__ = ["History"]
