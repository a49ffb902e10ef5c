"""The scalability_planning template's parameters, checked alone and together.

:func:`check_parameters` is what ``bizml new`` and ``bizml run`` call before anything is
written or run, and what the template's first cell calls (through
:mod:`bizml_nb.present.analyses.capacity`): one message naming what is wrong and how to
fix it, each parameter written ``{name}`` so that a command line can word it ``-p name``.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import InvalidArguments, did_you_mean
from bizml_nb.finance.capacity import (
    BYTES_PER_PARAM,
    DTYPE_ALIASES,
    CapacityError,
    MemoryAssumptions,
    ServingAssumptions,
    plan,
)
from bizml_nb.present.analyses.parts import braced as _braced
from bizml_nb.present.analyses.parts import shown as _shown

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

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
    for name, meaning, allowed, holds in _RULES:
        if name == "annual_benefit" and v[name] is None:
            continue
        value = v[name]
        if name in ("model_name", "dtype", "hardware"):
            fine = holds(value)
            hint = "" if fine else _hint(name, value)
        else:
            fine = _is_number(value, whole=allowed.startswith("a whole")) and holds(value)
            hint = ""
        if not fine:
            raise InvalidArguments(
                f"{{{name}}} is {meaning}: {allowed} (got {_shown(value)}){_braced(hint)}", name
            )
    if v["currency"] != "USD":
        raise InvalidArguments(
            f"{{currency}} is {_shown(v['currency'])}, but the template prices machines from "
            "its default table, in USD: set it to 'USD', or plan in another currency with "
            "bizml_nb.finance.capacity.plan and instances priced in it",
            "currency",
        )
    _together(v)


def _dtype_known(value: object) -> bool:
    name = value.strip().lower() if isinstance(value, str) else ""
    return DTYPE_ALIASES.get(name, name) in BYTES_PER_PARAM


#: (parameter, what it is, the values allowed, the test), in the parameters cell's order.
_RULES: tuple[tuple[str, str, str, Callable[[Any], bool]], ...] = (
    (
        "model_name",
        "the name of the model planned",
        "text that is not blank",
        lambda x: isinstance(x, str) and bool(x.strip()),
    ),
    (
        "params",
        "the number of parameters of the model served today",
        "a number above 0, such as 100e6",
        lambda x: x > 0,
    ),
    ("dtype", "the number format of the served weights", ", ".join(BYTES_PER_PARAM), _dtype_known),
    (
        "latency_ms",
        "the time to serve one batch in milliseconds",
        "a number above 0",
        lambda x: x > 0,
    ),
    (
        "batch_size",
        "the number of requests served together in one batch",
        "a whole number, 1 or more",
        lambda x: x >= 1,
    ),
    ("rps", "the requests per second at peak today", "a number above 0", lambda x: x > 0),
    (
        "traffic_growth",
        "the traffic growth per year as a share",
        "a number above -1 (-1 is -100% a year), such as 0.5 for +50%",
        lambda x: x > -1,
    ),
    (
        "years",
        "the planning horizon in years",
        f"a whole number from 1 to {MAX_YEARS}",
        lambda x: 1 <= x <= MAX_YEARS,
    ),
    (
        "model_growth",
        "the next model's size as a multiple of today's",
        "a number above 0, such as 10 for ten times",
        lambda x: x > 0,
    ),
    (
        "hardware",
        "the kind of instance to choose from",
        "'any', 'cpu' or 'gpu'",
        lambda x: x in HARDWARE_CHOICES,
    ),
    (
        "runtime_gb",
        "the memory per model copy for the runtime in GB",
        "a number, 0 or more",
        lambda x: x >= 0,
    ),
    (
        "activation_mb_per_item",
        "the MB of activations per request in a batch",
        "a number, 0 or more",
        lambda x: x >= 0,
    ),
    (
        "replicas_per_host",
        "the most copies of the model placed on one instance",
        "a whole number, 1 or more",
        lambda x: x >= 1,
    ),
    (
        "headroom",
        "the share of an instance's memory kept free",
        "a number from 0 to below 1, such as 0.2 for 20%",
        lambda x: 0 <= x < 1,
    ),
    (
        "target_utilisation",
        "the share of the time a replica is busy",
        "a number above 0 and at most 1, such as 0.7 for 70%",
        lambda x: 0 < x <= 1,
    ),
    (
        "annual_benefit",
        "the model's yearly business value",
        "a number, 0 or more, or None to leave the comparison out",
        lambda x: x >= 0,
    ),
)


def _hint(name: str, value: object) -> str:
    choices = list(BYTES_PER_PARAM) if name == "dtype" else list(HARDWARE_CHOICES)
    return did_you_mean(str(value).strip().lower(), choices) if isinstance(value, str) else ""


def _is_number(value: object, *, whole: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if whole:
        return isinstance(value, numbers.Integral)
    return math.isfinite(float(value))


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
            memory=memory_of(v),
            serving=serving_of(v),
            hardware=None if v["hardware"] == "any" else v["hardware"],
            currency=v["currency"],
        )
    except CapacityError as exc:
        # "nothing fits: one replica needs ... with N GB; use a smaller dtype ..." (placement)
        need = str(exc).removeprefix("nothing fits: ").split("; use ")[0]
        other = "" if v["hardware"] == "any" else ", or set {hardware} to 'any'"
        raise InvalidArguments(
            f"today's model ({{params}} {_shown(v['params'])} in {{dtype}} "
            f"{_shown(v['dtype'])}) fits on no instance of the price table: {_braced(need)}; "
            f"lower {{params}} or choose a smaller {{dtype}} (int8 weights take half the "
            f"memory of fp16 weights){other}",
            "params",
            "dtype",
            "hardware",
        ) from None


# --------------------------------------------------------------------------- helpers


def memory_of(values: Mapping[str, Any]) -> MemoryAssumptions:
    """The memory assumptions the template's parameters state."""
    return MemoryAssumptions(
        activation_mb_per_item=values["activation_mb_per_item"],
        runtime_gb=values["runtime_gb"],
        replicas_per_host=values["replicas_per_host"],
        headroom=values["headroom"],
    )


def serving_of(values: Mapping[str, Any]) -> ServingAssumptions:
    """The serving assumptions the template's parameters state."""
    return ServingAssumptions(
        batch_size=values["batch_size"], target_utilisation=values["target_utilisation"]
    )


__all__ = [
    "DEFAULTS",
    "FORMATS",
    "HARDWARE_CHOICES",
    "MAX_YEARS",
    "PARAMETERS",
    "check_parameters",
]
