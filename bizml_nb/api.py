"""The plain-Python API: the same things the magics do, with no IPython needed.

>>> import bizml_nb                                              # doctest: +SKIP
>>> bizml_nb.metric("take_rate", unit="ratio", direction="higher",
...                 baseline=0.112, value_per_unit=2.5e9)        # doctest: +SKIP
>>> with bizml_nb.experiment("two-tower v2", target="take_rate") as run:  # doctest: +SKIP
...     run.log({"ndcg@10": 0.4125})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.experiments import log
from bizml_nb.projects import Outcome, Project, Projects

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    import pandas as pd

    from bizml_nb.display import Card
    from bizml_nb.experiments import Experiment
    from bizml_nb.registry import BusinessMetric, Direction, Link

__all__ = ["experiment", "init", "link", "log", "metric", "project", "runs", "show"]

_projects = Projects()


def project(path: Path | str | None = None, *, ledger: Path | str | None = None) -> Project:
    """The project that holds ``path`` (default: the current folder): registry and ledger.

    The root is the nearest folder upward with a bizml.toml. The ledger is
    ``ledger`` if given, else ``$BIZML_LEDGER``, else ``ROOT/.bizml/ledger.sqlite``.
    """
    return _projects.get(path, ledger=ledger)


def init(name: str | None = None, *, currency: str | None = None) -> Outcome:
    """Create bizml.toml in the current project (or folder), or update its [project]."""
    return project().init(name, currency=currency)


def metric(
    name: str,
    *,
    unit: str,
    direction: Direction,
    baseline: float | None = None,
    target: float | None = None,
    value_per_unit: float | None = None,
    owner: str | None = None,
    description: str | None = None,
) -> BusinessMetric:
    """Declare a business metric in bizml.toml (or update the keys given) and return it.

    ``value_per_unit`` is what +1 unit of the metric is worth per year in the
    project currency; negative when lower is better.
    """
    return project().metric(
        name,
        unit=unit,
        direction=direction,
        baseline=baseline,
        target=target,
        value_per_unit=value_per_unit,
        owner=owner,
        description=description,
    )


def link(
    ml_metric: str,
    business_metric: str,
    *,
    elasticity: float,
    interval: tuple[float, float] | None = None,
    source: str | None = None,
    ml_baseline: float | None = None,
) -> Link:
    """Declare that +1 of ``ml_metric`` moves ``business_metric`` by ``elasticity`` units."""
    return project().link(
        ml_metric,
        business_metric,
        elasticity=elasticity,
        interval=interval,
        source=source,
        ml_baseline=ml_baseline,
    )


def experiment(
    name: str,
    *,
    target: str,
    hypothesis: str | None = None,
    expect: str | None = None,
    tags: Iterable[str] = (),
    baseline: bool = False,
    params: Mapping[str, Any] | None = None,
) -> Experiment:
    """An experiment against KPI ``target``: ``with experiment(...) as run: run.log(...)``."""
    return project().experiment(
        name,
        target=target,
        hypothesis=hypothesis,
        expect=expect,
        tags=tags,
        baseline=baseline,
        params=params,
    )


def runs(target: str | None = None) -> pd.DataFrame:
    """The recorded runs of the current project as a DataFrame, oldest first."""
    return project().runs(target)


def show(ref: str) -> Card:
    """The card of a run: by id, unique id prefix, ``last``, or name."""
    return project().card(ref)
