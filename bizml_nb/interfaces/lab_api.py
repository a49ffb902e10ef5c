"""What JupyterLab's side panel reads: a project's KPIs, leaderboards, links, tree and tags.

The server extension (:mod:`bizml_nb.interfaces.lab_server`) is a thin layer over
:func:`project_view`, which returns a JSON-ready dict. A leaderboard is a KPI's
successful runs ranked by the mid yearly value of :func:`bizml_nb.impact.for_run`
against the KPI's baseline run, as the dashboard and the report rank them
(:func:`bizml_nb.present.views.leaderboard`); every verdict is its typed label.
Paths and the project are found by :mod:`bizml_nb.interfaces.lab_paths`. See
docs/jupyterlab.md for the routes and their JSON.
"""

from __future__ import annotations

import functools
import math
import ntpath
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import did_you_mean, known
from bizml_nb.core.predictions import scoped
from bizml_nb.core.registry import FILENAME, METRIC_KEYS
from bizml_nb.impact import for_run
from bizml_nb.interfaces.lab_paths import LabError, Place, find, relative
from bizml_nb.projects.project import short_id

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from bizml_nb.core.registry import Link, Registry
    from bizml_nb.core.run import Run
    from bizml_nb.impact import Impact


@dataclass(frozen=True)
class _Board:
    """One KPI's successful runs, best first, each with its leaderboard row; and its failures."""

    rows: tuple[tuple[Run, dict[str, Any]], ...]
    failed: int


@dataclass(frozen=True)
class _Computed:
    """A project's registry part of the answer, and every KPI's whole leaderboard."""

    head: dict[str, Any]
    boards: dict[str, _Board]
    tags: tuple[str, ...]


class ProjectCache:
    """The last computed answer of each project, by version: polling and filters are cheap.

    A new run, an edit of bizml.toml or new predictions change the version, and the
    next request computes the answer again. Safe to share between threads.
    """

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[Path, tuple[str, _Computed]] = OrderedDict()

    def get(self, place: Place, token: str) -> _Computed | None:
        with self._lock:
            kept = self._kept.get(place.folder)
            return kept[1] if kept is not None and kept[0] == token else None

    def put(self, place: Place, token: str, computed: _Computed) -> None:
        with self._lock:
            self._kept[place.folder] = (token, computed)
            self._kept.move_to_end(place.folder)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


def project_view(
    root: Path,
    path: str,
    *,
    kpi: str | None = None,
    tags: Sequence[str] = (),
    limit: int | None = None,
    cache: ProjectCache | None = None,
) -> dict[str, Any]:
    """The project holding ``path``: its KPIs with their leaderboards, links, tree and tags.

    ``kpi`` keeps one KPI; ``tags`` keeps the runs carrying every one of them;
    ``limit`` keeps the best ``limit`` runs of each leaderboard (``runs`` still counts
    all that match). Ranks are within what is kept (ties share a rank).
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise LabError(f"limit must be a whole number of runs, 1 or more (not {limit!r})")
    place = find(root, path)
    token = place.version()
    computed = cache.get(place, token) if cache is not None else None
    if computed is None:
        computed = _compute(place)
        if cache is not None:
            cache.put(place, token, computed)
    kpis = computed.head["kpis"]
    if kpi is not None:
        names = [k["name"] for k in kpis]
        if kpi not in names:
            raise LabError(
                f"no business metric {kpi!r} in {FILENAME}{did_you_mean(kpi, names)}; {known(names)}"
            )
        kpis = [k for k in kpis if k["name"] == kpi]
    wanted = set(tags)
    shown = []
    for entry in kpis:
        board = computed.boards[entry["name"]]
        rows = [row for run, row in board.rows if wanted.issubset(run.tags)]
        shown.append(
            {
                **entry,
                "runs": len(rows),
                "failed_runs": board.failed,
                "leaderboard": _ranked(rows[:limit] if limit is not None else rows),
            }
        )
    return {
        **computed.head,
        "root": relative(root, place.folder),
        "version": token,
        "filters": {"kpi": kpi, "tags": sorted(wanted), "limit": limit},
        "tags": list(computed.tags),
        "kpis": shown,
    }


def _compute(place: Place) -> _Computed:
    """The project's answer; its runs' predictions are read from its own folder only."""
    with scoped(place.predictions):
        return _compute_scoped(place)


def _compute_scoped(place: Place) -> _Computed:
    project = place.open()
    try:
        registry = project.registry
        runs = project.ledger.runs()
        baselines = {name: project.ledger.baseline(name) for name in registry.metrics}
    finally:
        project.ledger.close()
    by_kpi: dict[str, list[Run]] = {name: [] for name in registry.metrics}
    failed = dict.fromkeys(registry.metrics, 0)
    for run in runs:
        if run.target not in by_kpi:
            continue
        if run.status == "ok":
            by_kpi[run.target].append(run)
        else:
            failed[run.target] += 1
    boards = {}
    for name, kpi_runs in by_kpi.items():
        rows = [
            (run, _row(run, for_run(run, registry, baselines[name]), place.folder))
            for run in kpi_runs
        ]
        # best mid value first, runs with none last; ties keep the ledger's order (stable)
        rows.sort(key=lambda item: _sort_key(item[1]))
        boards[name] = _Board(tuple(rows), failed[name])
    head = {
        "project": {
            "name": registry.name or place.folder.name,
            "currency": registry.currency,
            "root": relative(place.root, place.folder),
            "registry": relative(place.root, place.registry),
            "min_annual_value": registry.min_annual_value,
        },
        "kpis": [
            {key: getattr(metric, key) for key in ("name", *METRIC_KEYS)}
            for metric in registry.metrics.values()
        ],
        "links": [_link(link) for link in registry.links],
        "tree": _tree(registry),
    }
    tags = sorted({tag for run in runs for tag in run.tags})
    return _Computed(head, boards, tuple(tags))


def _sort_key(row: Mapping[str, Any]) -> tuple[int, float]:
    value = row["value_per_year"]
    return (0, -value[1]) if value is not None else (1, 0.0)


def _ranked(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with ``rank`` by mid yearly value (1 = best; ties share; None without a value)."""
    ranked: list[dict[str, Any]] = []
    rank, previous = 0, None
    for index, row in enumerate(rows, start=1):
        value = row["value_per_year"]
        mid = value[1] if value is not None else None
        if mid is not None and mid != previous:
            rank, previous = index, mid
        ranked.append({"rank": rank if mid is not None else None, **row})
    return ranked


def _row(run: Run, impact: Impact | None, folder: Path) -> dict[str, Any]:
    """One leaderboard row: what the panel shows of a run, and its typed verdict."""
    delta = impact.business_delta if impact is not None else None
    value = impact.value_per_year if impact is not None else None
    verdict = impact.verdict if impact is not None else None
    return {
        "id": run.id,
        "short_id": short_id(run.id),
        "name": run.name,
        "started_at": run.started_at,
        "tags": list(run.tags),
        "hypothesis": run.hypothesis,
        "is_baseline": impact is not None and impact.is_baseline,
        "notebook": _notebook(run.notebook, folder),
        "metrics": {k: _number(v) for k, v in run.metrics.items()},
        "business_delta": _range(delta.to_list()) if delta is not None else None,
        "value_per_year": _range(value.to_list()) if value is not None else None,
        "verdict": None
        if verdict is None
        else {
            "label": verdict.label.value,
            "measurable": verdict.measurable,
            "title": verdict.title,
        },
    }


def _notebook(recorded: str | None, folder: Path) -> str | None:
    """The run's notebook relative to the project's folder (as a kernel records it when
    inside), or its file name alone: an absolute path would name the server's folders.

    Paths are compared as text (normalised, ``folder`` resolved once by the caller's
    place): a path recorded on another machine is never looked up on this one.
    """
    if recorded is None:
        return None
    if not os.path.isabs(recorded) and not ntpath.isabs(recorded):
        return recorded
    inside = _relative_text(recorded, folder)
    return inside if inside is not None else PureWindowsPath(recorded).name


@functools.lru_cache(maxsize=256)
def _relative_text(recorded: str, folder: Path) -> str | None:
    path = os.path.normpath(recorded)
    base = os.path.normpath(folder)
    if path.startswith(base + os.sep):
        return PurePosixPath(os.path.relpath(path, base)).as_posix()
    return None


def _range(values: list[float]) -> list[float] | None:
    return values if all(math.isfinite(v) for v in values) else None


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _link(link: Link) -> dict[str, Any]:
    table = link.to_table()
    return {
        "from": link.ml_metric,
        "to": link.business_metric,
        "kind": link.kind,
        "label": link.label,
        "params": {
            k: v
            for k, v in table.items()
            if k not in ("ml_metric", "business_metric", "kind", "source")
        },
        "source": link.source,
    }


def _tree(registry: Registry) -> list[dict[str, Any]]:
    """The metric tree: each KPI no other KPI feeds, with the ML links into it and the KPIs
    it feeds; links are given by their index in ``links``."""
    index = {id(link): i for i, link in enumerate(registry.links)}
    fed = {link.business_metric for link in registry.links if link.ml_metric in registry.metrics}

    def node(name: str, seen: tuple[str, ...]) -> dict[str, Any]:
        feeds = [
            {"link": index[id(link)], "node": node(link.business_metric, (*seen, name))}
            for link in registry.links_from_kpi(name)
            if link.business_metric not in seen
        ]
        inputs = [index[id(link)] for link in registry.ml_links_to(name)]
        return {"kpi": name, "links_in": inputs, "feeds": feeds}

    return [node(name, ()) for name in registry.metrics if name not in fed]
