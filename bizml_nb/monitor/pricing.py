"""Business value of the estimates: a value matrix per case, priced per prediction and year.

The value matrix [[TN, FP], [FN, TP]] and the cases a year come from a confusion
:class:`~bizml_nb.core.registry.Link`: given directly, as a mapping, or found in a
registry as the one confusion link into a KPI. The monitor never needs a project,
only its registry: anything with a ``registry`` attribute (a
:class:`~bizml_nb.projects.project.Project`) is read through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bizml_nb.core import units
from bizml_nb.core.errors import BizmlError
from bizml_nb.core.registry import Link, Registry
from bizml_nb.monitor.constants import MonitorError

if TYPE_CHECKING:
    from bizml_nb.monitor.constants import FloatArray


class RegistrySource(Protocol):
    """What holds a registry: a project (``value=project`` prices through its registry).

    Read with ``getattr`` at the time of the check, so the monitor needs no project type.
    """

    @property
    def registry(self) -> Registry: ...


#: What ``value=`` may be: a confusion link, a mapping with ``value_matrix`` and
#: ``cases_per_year``, a registry, or what holds one (a project), or nothing.
ValueSource = Link | Registry | RegistrySource | Mapping[str, Any] | None


@dataclass(frozen=True)
class Pricing:
    """A value matrix [[TN, FP], [FN, TP]] per case and the cases a year, in a currency."""

    value_matrix: tuple[tuple[float, float], tuple[float, float]]
    cases_per_year: float
    currency: str = "USD"
    label: str = "value matrix"

    @property
    def flat(self) -> tuple[float, float, float, float]:
        (tn, fp), (fn, tp) = self.value_matrix
        return (tn, fp, fn, tp)


@dataclass(frozen=True)
class Value:
    """Business value per chunk through a confusion link: per prediction and per year."""

    pricing: Pricing
    per_prediction: FloatArray
    sampling_error: FloatArray  # of the value per prediction
    reference_per_prediction: float
    realised_per_prediction: FloatArray  # NaN where the chunk has no labels

    @property
    def per_year(self) -> FloatArray:
        return self.per_prediction * self.pricing.cases_per_year

    @property
    def change_per_year(self) -> FloatArray:
        """Against the reference's realised value per prediction, in money per year."""
        return (self.per_prediction - self.reference_per_prediction) * self.pricing.cases_per_year

    @property
    def realised_change_per_year(self) -> FloatArray:
        delta = self.realised_per_prediction - self.reference_per_prediction
        return delta * self.pricing.cases_per_year

    #: the level of the money ranges (:data:`bizml_nb.core.units.RANGE_LEVEL`, 90%)
    level: float = units.RANGE_LEVEL

    def half_width(self, level: float | None = None) -> FloatArray:
        """Half the ``level`` range (default 90%) of the value per year: z times its SE.

        The normal approximation of the sampling error: mid +- z(level) SE, z = 1.645
        for 90%. It is not the monitor's alert band (+-3 SE, about 99.7%).
        """
        from statistics import NormalDist

        chosen = self.level if level is None else level
        z = units.Z90 if chosen == units.RANGE_LEVEL else NormalDist().inv_cdf(0.5 + chosen / 2)
        result: FloatArray = z * self.sampling_error * self.pricing.cases_per_year
        return result

    def year_range(self, level: float | None = None) -> tuple[FloatArray, FloatArray]:
        """The ``level`` range (default 90%) of the value per year, per chunk."""
        half = self.half_width(level)
        return self.per_year - half, self.per_year + half

    def change_range(self, level: float | None = None) -> tuple[FloatArray, FloatArray]:
        """The ``level`` range (default 90%) of the change per year, per chunk."""
        half = self.half_width(level)
        return self.change_per_year - half, self.change_per_year + half


def pricing_of(value: ValueSource, kpi: str | None, currency: str | None) -> Pricing | None:
    """The pricing that ``value=`` (and ``kpi=``, ``currency=``) of a check describe."""
    if value is None:
        if kpi is not None:
            raise MonitorError(
                "kpi is given without value: pass value=project (or its registry) as well"
            )
        return None
    registry = value if isinstance(value, Registry) else None
    if registry is None and not isinstance(value, Link | Mapping):
        held = getattr(value, "registry", None)  # a project's registry, read now
        registry = held if isinstance(held, Registry) else None
    if registry is not None:
        return registry_pricing(registry, kpi, currency)
    if isinstance(value, Link):
        if value.kind != "confusion":
            raise MonitorError(
                f"link {value.label} is a {value.kind} link; value needs a confusion link "
                "(value_matrix and cases_per_year)"
            )
        return from_link(value, currency or "USD")
    if isinstance(value, Mapping):
        missing = [k for k in ("value_matrix", "cases_per_year") if k not in value]
        if missing:
            raise MonitorError(f"value lacks {missing[0]!r}: give value_matrix and cases_per_year")
        try:
            link = Link(
                "confusion",
                "value",
                kind="confusion",
                params={
                    "value_matrix": tuple(
                        tuple(float(v) for v in row) for row in value["value_matrix"]
                    ),
                    "cases_per_year": float(value["cases_per_year"]),
                },
            )
        except (BizmlError, TypeError, ValueError) as exc:
            raise MonitorError(f"value: {exc}") from None
        return from_link(link, currency or str(value.get("currency", "USD")), "value matrix")
    raise MonitorError(
        "value must be a confusion Link, a mapping with value_matrix and cases_per_year, "
        f"or a project or registry with kpi= (not {type(value).__name__})"
    )


def registry_pricing(registry: Registry, kpi: str | None, currency: str | None) -> Pricing:
    """The one confusion link into ``kpi``, priced in the registry's currency."""
    if kpi is None:
        raise MonitorError("value is a project or registry: name the KPI with kpi=...")
    registry.metric(kpi)  # RegistryError with a hint if unknown
    links = [link for link in registry.links_to(kpi) if link.kind == "confusion"]
    if not links:
        raise MonitorError(
            f"the registry has no confusion link into {kpi!r}; declare one with "
            f"`%bizml link confusion {kpi} --value-matrix TN FP FN TP --cases-per-year N`"
        )
    if len(links) > 1:
        raise MonitorError(
            f"the registry has {len(links)} confusion links into {kpi!r} "
            f"({', '.join(link.ml_metric for link in links)}); pass the one to use as value="
        )
    return from_link(links[0], currency or registry.currency)


def from_link(link: Link, currency: str, label: str | None = None) -> Pricing:
    (tn, fp), (fn, tp) = link.params["value_matrix"]
    return Pricing(
        value_matrix=((float(tn), float(fp)), (float(fn), float(tp))),
        cases_per_year=float(link.params["cases_per_year"]),
        currency=currency,
        label=label or f"confusion link -> {link.business_metric}",
    )


def value_of(
    pricing: Pricing,
    expected: FloatArray,
    var_by: FloatArray,
    realised_counts: FloatArray,
    reference: tuple[int, int, int, int],
) -> Value:
    """Each chunk's value from its expected (and realised) confusion counts."""
    import numpy as np

    v = np.asarray(pricing.flat)  # TN FP FN TP
    n = expected.sum(axis=1)
    per_prediction = expected @ v / n
    # Given the inputs, a row predicted 1 is worth FP + (TP - FP) y, one predicted 0 TN + (FN - TN) y.
    var = (v[3] - v[1]) ** 2 * var_by[:, 1] + (v[2] - v[0]) ** 2 * var_by[:, 0]
    ref = np.asarray(reference, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        realised = realised_counts @ v / realised_counts.sum(axis=1)
    return Value(
        pricing=pricing,
        per_prediction=per_prediction,
        sampling_error=np.sqrt(var) / n,
        reference_per_prediction=float(ref @ v / ref.sum()),
        realised_per_prediction=realised,
    )
