"""Tables of runs for people: the ledger joined with each run's predicted business value.

Every number comes from :func:`bizml_nb.impact.for_run` (a run's typed
:class:`~bizml_nb.impact.Impact`); a table words it and decides nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.impact import for_run
from bizml_nb.impact.links import interval_unknown

if TYPE_CHECKING:
    import pandas as pd

    from bizml_nb.core.ledger import Run
    from bizml_nb.core.registry import Link
    from bizml_nb.impact import Impact
    from bizml_nb.projects.project import Project


def runs_table(project: Project, target: str | None = None) -> pd.DataFrame:
    """One row per run: id, time, name, KPI, status, baseline flag, ML metrics and value/yr.

    ``baseline`` is true for a run recorded as its KPI's baseline whose cell ran: a
    failed run never is one, whatever it was recorded with.

    ``value_per_year`` is the mid estimate against the KPI's current baseline run
    (empty where no link applies), with ``value_low`` and ``value_high``, the ends
    of its 90% range, beside it; ``business_delta`` is the mid in KPI units.
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
        impact = for_run(run, registry, baselines[run.target])
        delta = impact.business_delta if impact else None
        value = impact.value_per_year if impact else None
        rows.append(
            {
                "id": run.id,
                "started_at": run.started_at[:19].replace("T", " "),
                "name": run.name,
                "target": run.target,
                "status": run.status,
                "baseline": run.is_baseline and run.status == "ok",
                **{_column(metric): number for metric, number in run.metrics.items()},
                "business_delta": delta.mid if delta else None,
                "value_per_year": value.mid if value else None,
                "value_low": value.low if value else None,
                "value_high": value.high if value else None,
            }
        )
    from bizml_nb.present.tables import runs_view

    metric_names = list(dict.fromkeys(_column(m) for run in runs for m in run.metrics))
    origins = project.ledger.origins()  # runs pulled or priced from MLflow (bizml_nb.teams)
    for row in rows if origins else []:
        origin, author = origins.get(str(row["id"]), ("", None))
        row["origin"] = f"{origin} ({author})" if author else origin
    shown = [*_FIXED[:6], *(["origin"] if origins else []), *metric_names, *_FIXED[6:]]
    frame = pd.DataFrame(rows, columns=shown)
    return runs_view(frame, registry)


_FIXED = (
    "id",
    "started_at",
    "name",
    "target",
    "status",
    "baseline",
    "business_delta",
    "value_per_year",
    "value_low",
    "value_high",
)


def _column(metric: str) -> str:
    """A metric's column name; ``metric.NAME`` where it would clash with a fixed column."""
    return f"metric.{metric}" if metric in _FIXED or metric in ("origin", "sync") else metric


def compare(project: Project, target: str | None = None, top: int | None = None) -> pd.DataFrame:
    """A leaderboard of successful runs ranked by mid yearly value (best first).

    Columns: the run, its ML metrics, the business change and yearly value with
    their 90% ranges, the verdict, the cost, ``rank_by_value`` and, for each ML
    metric linked to the KPI, ``rank_by_<metric>`` in the direction that the link
    says is good for the business, so a disagreement between the two is visible.
    """
    return leaderboard(project, target, top)[0]


def leaderboard(
    project: Project, target: str | None = None, top: int | None = None
) -> tuple[pd.DataFrame, dict[str, Impact | None]]:
    """:func:`compare`'s table, and the typed :class:`~bizml_nb.impact.Impact` of each of
    its runs by run id (what the report decides on: the table only words verdicts)."""
    import pandas as pd

    registry = project.registry
    targets = [registry.metric(target).name] if target is not None else list(registry.metrics)
    frames = []
    impacts: dict[str, Impact | None] = {}
    for kpi_name in targets:
        runs = [r for r in project.ledger.runs(kpi_name) if r.status == "ok"]
        if not runs:
            continue
        baseline = project.ledger.baseline(kpi_name)
        rows = []
        for run in runs:
            impact = impacts[run.id] = for_run(run, registry, baseline)
            delta = impact.business_delta if impact else None
            value = impact.value_per_year if impact else None
            verdict = impact.verdict if impact else None
            cost = impact.cost if impact else None
            rows.append(
                {
                    "name": run.name,
                    "target": run.target,
                    "baseline": run.is_baseline,
                    **{_column(m): v for m, v in run.metrics.items()},
                    "delta_low": delta.low if delta else None,
                    "delta_mid": delta.mid if delta else None,
                    "delta_high": delta.high if delta else None,
                    "value_low": value.low if value else None,
                    "value_mid": value.mid if value else None,
                    "value_high": value.high if value else None,
                    "verdict": verdict.title
                    if verdict
                    else ("baseline" if impact and impact.is_baseline else None),
                    "cost": cost.total if cost else None,
                    "id": run.id,
                }
            )
        frame = pd.DataFrame(rows)
        frame["value_mid"] = pd.to_numeric(frame["value_mid"])
        frame["rank_by_value"] = frame["value_mid"].rank(ascending=False, method="min")
        kpi = registry.metrics[kpi_name]
        for link in registry.ml_links_to(kpi_name):
            column = _column(link.ml_metric)
            if link.kind not in ("linear", "fitted") or column not in frame:
                continue
            higher_is_good = link.elasticity * kpi.better >= 0
            # rank the runs that have a value, so both rankings cover the same runs
            ranked = pd.to_numeric(frame[column]).where(frame["value_mid"].notna())
            frame[f"rank_by_{link.ml_metric}"] = ranked.rank(
                ascending=not higher_is_good, method="min"
            )
        frames.append(frame)
    if not frames:
        empty = pd.DataFrame(columns=["name", "target", "value_mid", "verdict", "rank_by_value"])
        return empty, impacts
    board = pd.concat(frames, ignore_index=True)
    # a missing verdict is None: pandas' text columns would hold NaN, a number, in its place
    board["verdict"] = board["verdict"].astype(object).where(board["verdict"].notna(), None)
    board = board.sort_values("value_mid", ascending=False, na_position="last", kind="stable")
    board = board.reset_index(drop=True)
    for column in [c for c in board.columns if c.startswith("rank_by_")]:
        board[column] = board[column].astype("Int64")
    return (board.head(top) if top is not None else board), impacts


def tree(project: Project) -> str:
    """The metric tree as text: each KPI with its links in, the KPIs it feeds, and the best run."""
    from bizml_nb.core import units

    registry = project.registry
    if not registry.metrics:
        return "no business metrics yet; declare one with `%bizml metric NAME ...`"
    fed = {link.business_metric for link in registry.links if link.ml_metric in registry.metrics}
    roots = [name for name in registry.metrics if name not in fed]
    best = _best_runs(project)
    lines: list[str] = []

    def describe(name: str) -> str:
        kpi = registry.metrics[name]
        text = f"{name} [{kpi.unit}, {kpi.direction} is better]"
        levels = []
        if kpi.baseline is not None:
            levels.append(f"baseline {units.kpi_value(kpi.baseline, kpi.unit)}")
        if kpi.target is not None:
            levels.append(f"target {units.kpi_value(kpi.target, kpi.unit)}")
        if levels:
            text += " " + ", ".join(levels)
        if kpi.value_per_unit is not None:
            text += f"; money counted here ({units.money(kpi.value_per_unit, registry.currency)}/yr per unit)"
        if name in best:
            run_name, delta = best[name]
            text += f"; best run {run_name!r} {units.kpi_delta(delta, kpi.unit)}"
        return text

    def walk(name: str, prefix: str, seen: tuple[str, ...]) -> None:
        children: list[tuple[str, str | None]] = []
        for link in registry.links_to(name):
            if link.ml_metric in registry.metrics:
                continue
            children.append((f"<- {link.ml_metric} ({_link_summary(link)})", None))
        for link in registry.links_from_kpi(name):
            children.append(
                (
                    f"-> {describe(link.business_metric)} ({_link_summary(link)})",
                    link.business_metric,
                )
            )
        for index, (text, child) in enumerate(children):
            last = index == len(children) - 1
            lines.append(f"{prefix}{'`-- ' if last else '|-- '}{text}")
            if child is not None and child not in seen:
                walk(child, prefix + ("    " if last else "|   "), (*seen, child))

    for root in roots:
        lines.append(describe(root))
        walk(root, "", (root,))
    return "\n".join(lines)


def _link_summary(link: Link) -> str:
    from bizml_nb.core import units

    if link.kind == "confusion":
        return f"confusion, {units.number(float(link.params['cases_per_year']))} cases/yr"
    if link.kind == "formula":
        return f"formula {link.params['expr']}"
    low, high = link.interval
    text = f"{link.kind} {units.number(link.elasticity)}"
    if interval_unknown(link):
        text += " (interval unknown)"
    elif low != high:
        text += (
            f" [{units.number(low)}, {units.number(high)}]{units.level_suffix(units.RANGE_LEVEL)}"
        )
    if link.kind == "fitted":
        text += f", {link.params.get('grade')} evidence"
    return text


def _best_runs(project: Project) -> dict[str, tuple[str, float]]:
    """For each KPI, the run with the best mid change (in the KPI's good direction)."""
    registry = project.registry
    best: dict[str, tuple[str, float]] = {}
    for name, kpi in registry.metrics.items():
        baseline = project.ledger.baseline(name)
        for run in project.ledger.runs(name):
            if run.status != "ok":
                continue
            impact = for_run(run, registry, baseline)
            delta = impact.business_delta if impact else None
            if delta is None:
                continue
            if name not in best or delta.mid * kpi.better > best[name][1] * kpi.better:
                best[name] = (run.name, delta.mid)
    return best


def value_text(row: Any, currency: str, missing: str = "no estimate") -> str:
    """A leaderboard row's yearly value as "+$8.75M [+$5M, +$12.5M]" (``missing`` if none).

    The range is 90%; the column header (or the sentence) that shows it names the level.
    """
    import math

    from bizml_nb.core import units

    mid = row.get("value_mid")
    if mid is None or math.isnan(float(mid)):  # NaN: a numeric column with no estimate
        return missing
    return units.money_range(
        float(row["value_low"]), float(mid), float(row["value_high"]), currency, level=None
    )


def verdict_text(value: Any) -> str:
    """A verdict as shown in tables: its words, or empty where there is none (None, NaN).

    >>> verdict_text("material"), verdict_text(None), verdict_text(float("nan"))
    ('material', '', '')
    """
    return value if isinstance(value, str) else ""


def rank_text(value: Any) -> str:
    """A rank as shown in tables: a whole number, or empty where there is none."""
    import pandas as pd

    try:
        return "" if value is None or pd.isna(value) else str(int(value))
    except (TypeError, ValueError):
        return ""
