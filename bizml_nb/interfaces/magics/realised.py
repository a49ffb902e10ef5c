"""``%bizml observed``, ``calibration`` and ``impact``: what launched models really did.

    %bizml observed RUN --kpi-delta D --interval LOW HIGH --source TEXT [--on DAY] [--level L] [--kpi KPI]
    %bizml observed RUN --csv FILE --source TEXT [--on DAY] [--level L] [--kpi KPI]
    %bizml calibration [--target KPI]
    %bizml impact [--since DAY] [--target KPI] [--today DAY]

Thin over :func:`bizml_nb.interfaces.api_realised.observe_in` (which records through
:func:`bizml_nb.projects.realised.observe`), :func:`~bizml_nb.present.calibration_card.calibration_card`
and :func:`~bizml_nb.present.realised_cards.impact_card`; each returns its card. Every
mistake is one plain ``UsageError`` naming the flag (a keyword of the Python API written
as this magic's flag: ``table`` is ``--csv``), and nothing is stored then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from bizml_nb.core.errors import BizmlError
from bizml_nb.interfaces.cli_realised import worded
from bizml_nb.interfaces.magics.parsers import PARSERS, SUBCOMMANDS, _finite, _parser, parse

if TYPE_CHECKING:
    from bizml_nb.interfaces.magics.magic import BizmlMagics
    from bizml_nb.interfaces.magics.parsers import _ArgumentParser


def _observed_parser() -> _ArgumentParser:
    p = _parser("observed", SUBCOMMANDS["observed"])
    p.add_argument("run", help="a run id, a unique id prefix, 'last', or a run name")
    p.add_argument(
        "--kpi-delta",
        type=_finite,
        help="the measured change, in the KPI's unit (0.0021 = +0.21 pp)",
    )
    p.add_argument(
        "--interval",
        type=_finite,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="the measured change's interval, around --kpi-delta",
    )
    p.add_argument(
        "--csv",
        metavar="FILE",
        help="a CSV of daily figures (date, control, treatment) instead of --kpi-delta/--interval",
    )
    p.add_argument(
        "--source", required=True, help="where the figure comes from, e.g. 'A/B test 2026-11'"
    )
    p.add_argument(
        "--on",
        help="the day the measurement ended, YYYY-MM-DD (default: today, or the CSV's last day)",
    )
    p.add_argument("--level", type=_finite, help="the interval's level (default 0.9)")
    p.add_argument("--kpi", help="the run's KPI, checked against it")
    return p


def _calibration_parser() -> _ArgumentParser:
    p = _parser("calibration", SUBCOMMANDS["calibration"])
    p.add_argument("--target", help="only this KPI")
    return p


def _impact_parser() -> _ArgumentParser:
    p = _parser("impact", SUBCOMMANDS["impact"])
    p.add_argument("--since", help="only runs deployed on or after this day, YYYY-MM-DD")
    p.add_argument("--target", help="only this KPI")
    p.add_argument(
        "--today",
        help="count money to date up to this day, YYYY-MM-DD (default: today), so the card "
        "does not change with the day it is shown",
    )
    return p


# registered beside the others (parsers.py holds the parsers written before these)
PARSERS.update(observed=_observed_parser, calibration=_calibration_parser, impact=_impact_parser)


def observed(magics: BizmlMagics, args: list[str]) -> Any:
    """``%bizml observed RUN ...``: record the measured change, return the observation card."""
    from bizml_nb.interfaces.api_realised import observe_in

    ns = parse("observed", args)
    if ns.csv is not None and (ns.kpi_delta is not None or ns.interval is not None):
        given = "--kpi-delta" if ns.kpi_delta is not None else "--interval"
        raise UsageError(
            f"%bizml observed: --csv computes the change and its interval from the daily "
            f"figures; give --csv, or --kpi-delta with --interval, not --csv with {given}"
        )
    try:
        return observe_in(
            magics._project(),
            ns.run,
            ns.kpi_delta,
            None if ns.interval is None else tuple(ns.interval),
            source=ns.source,
            on=ns.on,
            level=0.90 if ns.level is None else ns.level,
            kpi=ns.kpi,
            table=ns.csv,
            origin="notebook",
        )
    except BizmlError as exc:
        raise UsageError(f"%bizml observed: {worded(exc)}") from None


def calibration(magics: BizmlMagics, args: list[str]) -> Any:
    """``%bizml calibration [--target KPI]``: the calibration card."""
    from bizml_nb.present.calibration_card import calibration_card

    ns = parse("calibration", args)
    try:
        return calibration_card(magics._project(), ns.target)
    except BizmlError as exc:
        raise UsageError(f"%bizml calibration: {worded(exc)}") from None


def impact(magics: BizmlMagics, args: list[str]) -> Any:
    """``%bizml impact [--since DAY] [--target KPI] [--today DAY]``: the realised impact card."""
    from bizml_nb.present.realised_cards import impact_card

    ns = parse("impact", args)
    try:
        return impact_card(magics._project(), ns.since, ns.target, today=ns.today)
    except BizmlError as exc:
        raise UsageError(f"%bizml impact: {worded(exc)}") from None
