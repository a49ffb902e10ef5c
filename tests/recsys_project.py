"""The small recommender project the realised-value tests share.

One ratio KPI, take_rate (baseline 11.2%, $2.5B a year per unit, so $25M a year per
+1 pp), and one link, ndcg@10 -> take_rate, elasticity 0.35 with the 90% interval
[0.2, 0.5]. Runs are recorded with ndcg@10 (or, with None, an unrelated metric) and
may be marked launched on a day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bizml_nb.core.run import Run
from bizml_nb.projects.project import Project

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

RECSYS_TOML = """\
[project]
name = "recsys"
currency = "USD"

[metrics.take_rate]
unit = "ratio"
direction = "higher"
baseline = 0.112
value_per_unit = 2.5e9

[[links]]
ml_metric = "ndcg@10"
business_metric = "take_rate"
elasticity = 0.35
interval = [0.2, 0.5]
"""

STARTED = "2026-01-05T09:00:00.000Z"


def recsys_run(run_id: str, name: str, ndcg: float | None, *, baseline: bool = False) -> Run:
    """A take_rate run with ndcg@10 (None: with auc 0.7 instead, so it has no ndcg@10)."""
    return Run(
        id=run_id,
        name=name,
        target="take_rate",
        started_at=STARTED,
        metrics={"ndcg@10": ndcg} if ndcg is not None else {"auc": 0.7},
        is_baseline=baseline,
    )


def recsys_project(
    root: Path,
    runs: Iterable[tuple[str, str, float | None, str | None]] = (),
    *,
    baseline: str | None = None,
) -> Project:
    """The project in ``root``, with ``runs`` as (id, name, ndcg@10, launched day or None);
    the run whose id is ``baseline`` is the KPI's baseline run."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "bizml.toml").write_text(RECSYS_TOML, encoding="utf-8")
    project = Project.at(root)
    for run_id, name, ndcg, launched in runs:
        project.ledger.record(recsys_run(run_id, name, ndcg, baseline=run_id == baseline))
        if launched is not None:
            project.ledger.mark_deployed(run_id, launched)
    return project
