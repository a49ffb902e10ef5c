"""Tables of runs for people: the ledger joined with each run's predicted business value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bizml_nb.display import Card

if TYPE_CHECKING:
    import pandas as pd

    from bizml_nb.ledger import Run
    from bizml_nb.projects import Project


def runs_table(project: Project, target: str | None = None) -> pd.DataFrame:
    """One row per run: id, time, name, KPI, status, baseline flag, ML metrics and value/yr.

    ``value_per_year`` is the mid estimate against the KPI's current baseline run
    (empty where no link applies); ``business_delta`` is the same in KPI units.
    """
    import pandas as pd

    registry = project.registry
    if target is not None:
        registry.metric(target)
    runs = project.ledger.runs(target)
    baselines: dict[str, Run | None] = {}
    rows = []
    for run in runs:
        if run.target not in baselines:
            baselines[run.target] = project.ledger.baseline(run.target)
        card = Card.build(run, registry, baselines[run.target])
        delta = card.impact.business_delta if card.impact else None
        value = card.impact.value_per_year if card.impact else None
        rows.append(
            {
                "id": run.id,
                "started_at": run.started_at[:19].replace("T", " "),
                "name": run.name,
                "target": run.target,
                "status": run.status,
                "baseline": run.is_baseline,
                **{_column(metric): number for metric, number in run.metrics.items()},
                "business_delta": delta.mid if delta else None,
                "value_per_year": value.mid if value else None,
            }
        )
    metric_names = list(dict.fromkeys(_column(m) for run in runs for m in run.metrics))
    return pd.DataFrame(rows, columns=[*_FIXED[:6], *metric_names, *_FIXED[6:]])


_FIXED = (
    "id",
    "started_at",
    "name",
    "target",
    "status",
    "baseline",
    "business_delta",
    "value_per_year",
)


def _column(metric: str) -> str:
    """A metric's column name; ``metric.NAME`` where it would clash with a fixed column."""
    return f"metric.{metric}" if metric in _FIXED else metric
