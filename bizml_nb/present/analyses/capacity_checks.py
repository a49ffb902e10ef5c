"""The scalability_planning template's parameters, checked alone and together.

:func:`check_parameters` is what ``bizml new`` and ``bizml run`` call before anything is
written or run, and what the template's first cell calls (through
:mod:`bizml_nb.present.analyses.capacity`): one message naming what is wrong and how to
fix it, each parameter written ``{name}`` so that a command line can word it ``-p name``.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, NoReturn

from bizml_nb.core.errors import InvalidArguments, did_you_mean
from bizml_nb.finance.capacity import (
    BYTES_PER_PARAM,
    DTYPE_ALIASES,
    CapacityError,
    MemoryAssumptions,
    ServingAssumptions,
    plan,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The template's parameters, in the order of its parameters cell.
PARAMETERS: tuple[str, ...] = (
    "model_name",
    "params",
    "dtype",
    "latency_ms",
    "batch_size",
    "rps",
    "traffic_growth",
    "years",
    "model_growth",
    "hardware",
    "runtime_gb",
    "activation_mb_per_item",
    "replicas_per_host",
    "headroom",
    "target_utilisation",
    "currency",
    "annual_benefit",
)
#: The template's defaults (its parameters cell says the same): illustrations.
DEFAULTS: dict[str, Any] = {
    "model_name": "ranking network",
    "params": 100e6,
    "dtype": "fp16",
    "latency_ms": 40.0,
    "batch_size": 1,
    "rps": 50.0,
    "traffic_growth": 0.5,
    "years": 3,
    "model_growth": 10.0,
    "hardware": "any",
    "runtime_gb": 1.0,
    "activation_mb_per_item": 0.0,
    "replicas_per_host": 1,
    "headroom": 0.2,
    "target_utilisation": 0.7,
    "currency": "USD",
    "annual_benefit": None,
}
FORMATS = ("fp32", "fp16", "int8", "int4")  # the number formats compared
HARDWARE_CHOICES = ("any", "cpu", "gpu")
MAX_YEARS = 50  # a horizon beyond which growth compounds past any price table's meaning


def check_parameters(values: Mapping[str, Any]) -> None:
    """Refuse parameters the plan cannot use, with one message naming the parameter.

    ``values`` holds every parameter of the template (names in :data:`PARAMETERS`);
    other names are ignored. Each parameter is named in the message as ``{name}``
    (:class:`~bizml_nb.core.errors.InvalidArguments`), so a command line can word it
    ``-p name``. Besides each value's range, today's model must fit on one of the
    instances of the price table.
    """
    missing = [name for name in PARAMETERS if name not in values]
    if missing:
        raise InvalidArguments(
            f"no value for {{{missing[0]}}}: the capacity analysis needs every parameter "
            "of the scalability_planning template",
            missing[0],
        )
    v = values
    if not isinstance(v["model_name"], str) or not v["model_name"].strip():
        _refuse("model_name", "is the name of the model planned, as text", v)
    _above("params", 0, "is the number of parameters of the model served today, e.g. 100e6", v)
    dtype = v["dtype"]
    name = dtype.strip().lower() if isinstance(dtype, str) else ""
    if DTYPE_ALIASES.get(name, name) not in BYTES_PER_PARAM:
        hint = did_you_mean(name, BYTES_PER_PARAM)
        _refuse(
            "dtype",
            f"is the number format of the served weights: {', '.join(BYTES_PER_PARAM)}",
            v,
            after=_braced(hint),
        )
    _above("latency_ms", 0, "is the time to serve one batch, in milliseconds", v)
    _whole("batch_size", 1, "is the number of requests served together in one batch", v)
    _above("rps", 0, "is the number of requests per second at peak today", v)
    _above(
        "traffic_growth",
        -1,
        "is the traffic growth per year as a share (0.5 for +50% a year; -1 would be -100%)",
        v,
    )
    _whole("years", 1, "is the planning horizon in years", v, most=MAX_YEARS)
    _above(
        "model_growth", 0, "is the next model's size as a multiple of today's (10: ten times)", v
    )
    if v["hardware"] not in HARDWARE_CHOICES:
        hint = did_you_mean(str(v["hardware"]), HARDWARE_CHOICES)
        _refuse("hardware", "is 'any', 'cpu' or 'gpu'", v, after=_braced(hint))
    _at_least("runtime_gb", 0, "is the memory per model copy for the runtime, in GB", v)
    _at_least("activation_mb_per_item", 0, "is the MB of activations per request in a batch", v)
    _whole("replicas_per_host", 1, "is the most copies of the model placed on one instance", v)
    _number("headroom", v)
    if not 0 <= v["headroom"] < 1:
        _refuse("headroom", "is the share of an instance's memory kept free, from 0 to below 1", v)
    _number("target_utilisation", v)
    if not 0 < v["target_utilisation"] <= 1:
        _refuse(
            "target_utilisation",
            "is the share of the time a replica is busy, above 0 and at most 1",
            v,
        )
    if v["currency"] != "USD":
        shown = _shown(v["currency"])
        raise InvalidArguments(
            f"{{currency}} is {shown}, but the template prices machines from its default "
            "table, in USD: set it to 'USD', or plan in another currency with "
            "bizml_nb.finance.capacity.plan and instances priced in it",
            "currency",
        )
    if v["annual_benefit"] is not None:
        _at_least(
            "annual_benefit",
            0,
            "is the model's yearly business value, or None to leave the comparison out",
            v,
        )
    _together(v)


def _together(v: Mapping[str, Any]) -> None:
    """What the parameters must satisfy together: growth stays countable; today's model fits."""
    try:
        final = v["rps"] * (1 + v["traffic_growth"]) ** v["years"]
    except OverflowError:
        final = math.inf
    if not math.isfinite(final):
        raise InvalidArguments(
            f"{{traffic_growth}} ({_shown(v['traffic_growth'])} a year) over {{years}} "
            f"({_shown(v['years'])}) grows the traffic past any number: lower one of them",
            "traffic_growth",
            "years",
        )
    if not math.isfinite(v["params"] * v["model_growth"]):
        raise InvalidArguments(
            f"{{model_growth}} ({_shown(v['model_growth'])}) times {{params}} "
            f"({_shown(v['params'])}) gives a next model past any number of parameters: "
            "lower one of them",
            "model_growth",
            "params",
        )
    try:
        plan(
            v["params"],
            v["dtype"],
            v["rps"],
            v["latency_ms"],
            memory=MemoryAssumptions(
                activation_mb_per_item=v["activation_mb_per_item"],
                runtime_gb=v["runtime_gb"],
                replicas_per_host=v["replicas_per_host"],
                headroom=v["headroom"],
            ),
            serving=ServingAssumptions(
                batch_size=v["batch_size"], target_utilisation=v["target_utilisation"]
            ),
            hardware=None if v["hardware"] == "any" else v["hardware"],
            currency=v["currency"],
        )
    except CapacityError as exc:
        problem = _braced(str(exc).removeprefix("nothing fits: "))
        raise InvalidArguments(
            f"today's model fits on no instance of the price table: {problem} "
            "(parameters {params}, {dtype}, {hardware})",
            "params",
            "dtype",
            "hardware",
        ) from None


# --------------------------------------------------------------------------- checks


def _refuse(name: str, problem: str, values: Mapping[str, Any], *, after: str = "") -> NoReturn:
    raise InvalidArguments(
        f"{{{name}}} {problem} (got {_shown(values[name])}){after}",
        name,
    )


def _number(name: str, values: Mapping[str, Any]) -> float:
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _refuse(name, "must be a number", values)
    if not math.isfinite(float(value)):
        _refuse(name, "must be a finite number", values)
    return float(value)


def _above(name: str, low: float, problem: str, values: Mapping[str, Any]) -> None:
    if not _number(name, values) > low:
        _refuse(name, f"{problem}, above {low:g}", values)


def _at_least(name: str, low: float, problem: str, values: Mapping[str, Any]) -> None:
    if not _number(name, values) >= low:
        _refuse(name, f"{problem}, {low:g} or more", values)


def _whole(
    name: str, low: int, problem: str, values: Mapping[str, Any], *, most: int | None = None
) -> None:
    value = values[name]
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or not low <= int(value) <= (most if most is not None else int(value))
    ):
        bound = f"from {low} to {most}" if most is not None else f"at least {low}"
        _refuse(name, f"{problem}, a whole number {bound}", values)


def _shown(value: object) -> str:
    """``repr(value)`` (shortened), safe inside an error's ``{name}`` template."""
    text = repr(value)
    return _braced(text if len(text) <= 60 else text[:57] + "...")


def _braced(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


__all__ = [
    "DEFAULTS",
    "FORMATS",
    "HARDWARE_CHOICES",
    "MAX_YEARS",
    "PARAMETERS",
    "check_parameters",
]
