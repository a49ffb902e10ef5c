"""What a reference keeps of one column: histograms and frequencies, never rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from bizml_nb.monitor.constants import (
    MAX_CATEGORIES,
    Kind,
    MonitorError,
    Role,
    json_float,
    opt_float,
)
from bizml_nb.monitor.inputs import numbers

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd


@dataclass(frozen=True)
class ColumnSummary:
    """What a reference keeps of one column: histograms and frequencies, never rows.

    ``counts`` are reference rows per doane bin (numeric) or per category
    (categorical), missing values left out; ``grid`` and ``grid_counts`` the
    quantile histogram (numeric: rows <= grid[0], then per (grid[i-1], grid[i]]);
    ``chunk_stats`` each drift method's statistic over the reference chunks.
    """

    name: str
    kind: Kind
    role: Role
    rows: int
    missing: int
    counts: tuple[int, ...]
    edges: tuple[float, ...] = ()
    grid: tuple[float, ...] = ()
    grid_counts: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    chunk_stats: Mapping[str, tuple[float, ...]] | None = None

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "rows": self.rows,
            "missing": self.missing,
            "counts": list(self.counts),
        }
        if self.kind == "numeric":
            record.update(
                edges=list(self.edges),
                mean=self.mean,
                std=self.std,
                min=self.min,
                max=self.max,
                grid=list(self.grid),
                grid_counts=list(self.grid_counts),
            )
        else:
            record["categories"] = list(self.categories)
        record["chunk_stats"] = {
            method: [json_float(v) for v in values]
            for method, values in (self.chunk_stats or {}).items()
        }
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ColumnSummary:
        kind = record["kind"]
        role = record["role"]
        if kind not in ("numeric", "categorical") or role not in ("feature", "proba", "prediction"):
            raise MonitorError(f"column {record.get('name')!r}: unknown kind or role")
        return cls(
            name=str(record["name"]),
            kind=kind,
            role=role,
            rows=int(record["rows"]),
            missing=int(record["missing"]),
            counts=tuple(int(c) for c in record["counts"]),
            edges=tuple(float(e) for e in record.get("edges", ())),
            grid=tuple(float(g) for g in record.get("grid", ())),
            grid_counts=tuple(int(c) for c in record.get("grid_counts", ())),
            categories=tuple(str(c) for c in record.get("categories", ())),
            mean=opt_float(record.get("mean")),
            std=opt_float(record.get("std")),
            min=opt_float(record.get("min")),
            max=opt_float(record.get("max")),
            chunk_stats={
                str(m): tuple(math.nan if v is None else float(v) for v in values)
                for m, values in record.get("chunk_stats", {}).items()
            },
        )


def summarise(name: str, kind: Kind, role: Role, data: Any, quantiles: int) -> ColumnSummary:
    """A column's summary; a numeric one gets its counts later, from its chunks' histograms."""
    import numpy as np
    import pandas as pd

    if kind == "numeric":
        x = data if isinstance(data, np.ndarray) else numbers(data, name)
        finite = x[~np.isnan(x)]
        if len(finite) == 0:
            raise MonitorError(f"the reference column {name!r} has no values (all missing)")
        if not np.isfinite(finite).all():
            raise MonitorError(
                f"the reference column {name!r} holds infinite values; replace them "
                "(or mark them missing) before fitting"
            )
        edges = np.histogram_bin_edges(finite, bins="doane")
        if edges[-1] <= edges[0]:
            edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
        levels = np.quantile(finite, np.linspace(0.0, 1.0, quantiles + 1))
        grid = np.unique(np.array([float(f"{v:.7g}") for v in levels]))  # short JSON
        grid[0], grid[-1] = finite.min(), finite.max()
        grid = np.unique(grid)
        return ColumnSummary(
            name=name,
            kind="numeric",
            role=role,
            rows=len(x),
            missing=int(len(x) - len(finite)),
            counts=(),  # set from the chunks' histograms (Reference.fit)
            edges=tuple(float(e) for e in edges),
            grid=tuple(float(g) for g in grid),
            mean=float(finite.mean()),
            std=float(finite.std()),
            min=float(finite.min()),
            max=float(finite.max()),
        )
    if role == "prediction":
        values = np.asarray(data)
        counts = np.bincount(values, minlength=2)
        return ColumnSummary(
            name=name,
            kind="categorical",
            role=role,
            rows=len(values),
            missing=0,
            counts=(int(counts[0]), int(counts[1])),
            categories=("0", "1"),
        )
    series = cast("pd.Series[Any]", data)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = [category_key(u) for u in uniques]
    merged: dict[str, int] = {}
    per_unique = np.bincount(codes[codes >= 0], minlength=len(uniques))
    for key, count in zip(keys, per_unique, strict=True):
        merged[key] = merged.get(key, 0) + int(count)
    return categorical_summary(name, role, merged, len(series), int((codes < 0).sum()))


def categorical_summary(
    name: str, role: Role, merged: dict[str, int], rows: int, missing: int
) -> ColumnSummary:
    """A categorical column's summary from its counts per category key, most frequent
    first (ties by key); refused when it has too many categories or none."""
    if len(merged) > MAX_CATEGORIES:
        raise MonitorError(
            f"the categorical column {name!r} has {len(merged):,} distinct values (more than "
            f"{MAX_CATEGORIES:,}); group rare values first, or monitor it as a number"
        )
    if not merged:
        raise MonitorError(f"the reference column {name!r} has no values (all missing)")
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    return ColumnSummary(
        name=name,
        kind="categorical",
        role=role,
        rows=rows,
        missing=missing,
        counts=tuple(c for _, c in ordered),
        categories=tuple(k for k, _ in ordered),
    )


def with_counts(summary: ColumnSummary, counts: Any, grid_counts: Any) -> ColumnSummary:
    return replace(
        summary,
        counts=tuple(int(c) for c in counts),
        grid_counts=() if grid_counts is None else tuple(int(c) for c in grid_counts),
    )


def with_stats(summary: ColumnSummary, stats: Mapping[str, tuple[float, ...]]) -> ColumnSummary:
    return replace(summary, chunk_stats=dict(stats))


def category_key(value: Any) -> str:
    """Categories are compared as text; 1.0 and 1 are the same category."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            return category_key(value.item())
        except (TypeError, ValueError):
            pass
    return str(value)
