"""The registry: the business metrics and links of one project, and its checks as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bizml_nb.core.errors import RegistryError, UnknownMetric, did_you_mean, known
from bizml_nb.core.registry.fileformat import FILENAME
from bizml_nb.core.registry.toml_read import parse_registry

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bizml_nb.core.registry.links import Link
    from bizml_nb.core.registry.metric import BusinessMetric


@dataclass(frozen=True)
class Registry:
    """The business metrics and links of one project, as read from bizml.toml."""

    path: Path | None = None
    name: str | None = None
    currency: str = "USD"
    metrics: Mapping[str, BusinessMetric] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    min_annual_value: float = 0.0
    compute_cost_per_hour: float | None = None
    eng_cost_per_hour: float | None = None
    #: cards apply the haircut learned from observed runs (``calibrate = true``)
    calibrate: bool = False

    def __post_init__(self) -> None:
        check_tree(self.metrics, self.links)

    @classmethod
    def load(cls, path: Path) -> Registry:
        """Read and validate ``path``; raise RegistryError naming file, line and key."""
        return cls.from_text(read_text(path), path)

    @classmethod
    def from_text(cls, text: str, path: Path | None = None) -> Registry:
        """Parse and validate the text of a bizml.toml file."""
        return parse_registry(text, path, cls)

    def metric(self, name: str) -> BusinessMetric:
        """The business metric called ``name``; :class:`UnknownMetric` (a KeyError) if unknown."""
        try:
            return self.metrics[name]
        except KeyError:
            raise UnknownMetric(
                name,
                f"no business metric {name!r} in {self.path or FILENAME}"
                f"{did_you_mean(name, self.metrics)}; {known(self.metrics)}",
            ) from None

    def links_to(self, business_metric: str) -> list[Link]:
        """The links whose business metric is ``business_metric``, in file order."""
        return [link for link in self.links if link.business_metric == business_metric]

    def links_from_kpi(self, kpi: str) -> list[Link]:
        """The links that carry a change of KPI ``kpi`` on to another KPI."""
        return [link for link in self.links if link.ml_metric == kpi and kpi in self.metrics]

    def ml_links_to(self, business_metric: str) -> list[Link]:
        """The links from ML metrics (not from other KPIs) to ``business_metric``."""
        return [
            link for link in self.links_to(business_metric) if link.ml_metric not in self.metrics
        ]

    def downstream(self, kpi: str) -> list[str]:
        """The KPIs a change of ``kpi`` flows on to, nearest first (not ``kpi`` itself)."""
        order: list[str] = []
        frontier = [kpi]
        while frontier:
            current = frontier.pop(0)
            for link in self.links_from_kpi(current):
                if link.business_metric not in order and link.business_metric != kpi:
                    order.append(link.business_metric)
                    frontier.append(link.business_metric)
        return order


def read_text(path: Path) -> str:
    """The text of a bizml.toml; RegistryError saying what to do when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(
            f"{path} does not exist; create it with `%bizml init` or `bizml init`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"cannot read {path}: {exc}") from None


def check_tree(metrics: Mapping[str, BusinessMetric], links: tuple[Link, ...]) -> None:
    """Refuse cycles between KPIs, and money counted twice along a chain of KPIs.

    Value is taken where ``value_per_unit`` is declared; declaring it on a KPI and
    on a KPI downstream of it would count the same money twice.
    """
    for link in links:
        declared = metrics.get(link.business_metric)
        if link.kind == "confusion" and declared is not None and declared.direction != "higher":
            raise RegistryError(
                f"the confusion link into {link.business_metric!r} gives a value (more is "
                f"better), but {link.business_metric!r} is declared lower-is-better; declare it "
                "higher-is-better, with money as its unit"
            )
    edges: dict[str, list[str]] = {}
    for link in links:
        if link.ml_metric in metrics:
            edges.setdefault(link.ml_metric, []).append(link.business_metric)

    def reachable(start: str) -> list[str]:
        seen: list[str] = []
        stack = list(edges.get(start, []))
        while stack:
            node = stack.pop()
            if node == start:
                raise RegistryError(
                    f"the links between KPIs form a cycle through {start!r}; a change cannot "
                    "flow back to where it started, so remove one of those links"
                )
            if node not in seen:
                seen.append(node)
                stack.extend(edges.get(node, []))
        return seen

    for kpi in edges:
        below = reachable(kpi)
        if metrics[kpi].value_per_unit is None:
            continue
        priced = [k for k in below if metrics[k].value_per_unit is not None]
        if priced:
            raise RegistryError(
                f"money would be counted twice: {kpi!r} and {priced[0]!r} (downstream of it) "
                "both declare value_per_unit; keep it only where the money is realised "
                f"(usually {priced[0]!r})"
            )


# --------------------------------------------------------------------------- finding


def find_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` that holds a bizml.toml, or None."""
    here = (start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / FILENAME).is_file():
            return folder
    return None
