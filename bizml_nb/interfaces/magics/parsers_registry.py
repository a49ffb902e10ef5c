"""The parsers of the registry's subcommands: ``init``, ``metric``, ``link`` and ``audit``.

The flags of ``%bizml metric`` are built from the declared fields of
:class:`~bizml_nb.core.registry.BusinessMetric`, those of ``%bizml link`` from
:data:`~bizml_nb.core.registry.links.LINK_ARGUMENTS` (``value_per_unit`` is
``--value-per-unit``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bizml_nb.interfaces.magics.parsers_base import (
    SUBCOMMANDS,
    _ArgumentParser,
    _finite,
    _matrix_entry,
    _parser,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bizml_nb.core.registry.fields import FieldSpec


def _init_parser() -> _ArgumentParser:
    p = _parser("init", SUBCOMMANDS["init"])
    p.add_argument("--project", help="project name (default: the folder's name)")
    p.add_argument("--currency", help="currency code for money, e.g. USD (default USD)")
    p.add_argument(
        "--min-annual-value",
        type=_finite,
        help="the yearly value a run must clear to be material (default 0)",
    )
    p.add_argument(
        "--compute-cost-per-hour", type=_finite, help="cost of an hour of experiment compute"
    )
    p.add_argument("--eng-cost-per-hour", type=_finite, help="cost of an engineering hour")
    p.add_argument(
        "--calibrate",
        choices=("on", "off"),
        help="on: cards apply the haircut learned from observed runs (5 or more); off: not",
    )
    return p


def _metric_parser() -> _ArgumentParser:
    from bizml_nb.core.registry import BusinessMetric
    from bizml_nb.core.registry.fields import specs

    p = _parser("metric", SUBCOMMANDS["metric"])
    p.add_argument("name", help="the KPI's name, e.g. take_rate")
    _add_declared(p, specs(BusinessMetric))
    return p


def _link_parser() -> _ArgumentParser:
    from bizml_nb.core.registry.links import LINK_ARGUMENTS

    p = _parser("link", SUBCOMMANDS["link"])
    # a value-matrix entry such as -amount is a value, not a flag
    p._negative_number_matcher = re.compile(
        r"^-((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*([-+*/ ().\d][^=]*)?)$"
    )
    p.add_argument("ml_metric", help="the ML metric, e.g. ndcg@10")
    p.add_argument("business_metric", help="the KPI it moves, e.g. take_rate")
    _add_declared(p, LINK_ARGUMENTS)
    return p


def _add_declared(p: _ArgumentParser, declared: Mapping[str, FieldSpec]) -> None:
    """A flag for each declared keyword: ``value_per_unit`` is ``--value-per-unit``."""
    from bizml_nb.core.registry.fields import flag

    for key, spec in declared.items():
        if spec.kind == "flag":
            p.add_argument(flag(key), action="store_true", help=spec.help.replace("%", "%%"))
            continue
        options: dict[str, Any] = {}
        if key == "fit":  # a bare --fit (with --from-observed): no history file
            options.update(nargs="?", const=True)
        if len(spec.metavar) > 1:
            options.update(nargs=len(spec.metavar), metavar=spec.metavar)
        elif spec.metavar:
            options.update(metavar=spec.metavar[0])
        kind = _matrix_entry if key == "value_matrix" else _finite
        p.add_argument(
            flag(key),
            type=kind if spec.kind == "number" else str,
            required=spec.required,
            choices=spec.choices or None,
            help=spec.help.replace("%", "%%"),
            **options,
        )


def _audit_parser() -> _ArgumentParser:
    p = _parser("audit", SUBCOMMANDS["audit"])
    p.add_argument("ml_metric", help="the ML metric (or KPI) the link starts at")
    p.add_argument("kpi", help="the KPI it moves")
    return p
