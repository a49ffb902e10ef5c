"""The ``bizml observed``, ``bizml calibration`` and ``bizml impact`` commands: predicted against realised.

    bizml observed RUN --kpi-delta D --interval LOW HIGH --source TEXT [--on DAY] [--level L] [--kpi KPI]
    bizml observed RUN --csv FILE --source TEXT [--on DAY] [--level L] [--kpi KPI]
    bizml calibration [--target KPI]
    bizml impact [--since DAY] [--target KPI] [--today DAY]

Thin layers over :func:`bizml_nb.interfaces.api_realised.observe_in`,
:func:`~bizml_nb.present.calibration_card.calibration_card` and
:func:`~bizml_nb.present.realised_cards.impact_card`, printing each card's text. A
mistake is refused with one line naming the flag (:func:`flag_of`), exit status 1, and
nothing is stored.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import BizmlError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from bizml_nb.projects.project import Project

#: the Python API's keywords of these commands, as their flags (``table`` is ``--csv``)
FLAGS = {
    "kpi_delta": "--kpi-delta",
    "interval": "--interval",
    "low": "--interval",
    "high": "--interval",
    "table": "--csv",
    "days": "--csv",
    "control": "--csv",
    "treatment": "--csv",
    "source": "--source",
    "on": "--on",
    "level": "--level",
    "kpi": "--kpi",
    "target": "--target",
    "since": "--since",
    "today": "--today",
}


def flag_of(keyword: str) -> str:
    """The flag of a keyword of ``observe``, ``calibration`` or ``impact`` (else the keyword)."""
    return FLAGS.get(keyword, keyword)


def worded(exc: BizmlError) -> str:
    """The message of ``exc`` with the flag it is about: a keyword it names written as
    its flag (:func:`flag_of`); an observation the record's rules refused (a
    :class:`~bizml_nb.core.schema.RecordError` naming a field) starts with that flag."""
    from bizml_nb.core.schema import RecordError

    text = exc.worded(flag_of)
    field = getattr(exc, "field", None)
    if isinstance(exc, RecordError) and isinstance(field, str):
        flag = FLAGS.get(field.rsplit(".", 1)[-1])
        if flag is not None and flag not in text:
            text = f"{flag}: {text}"
    return text


def _number(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def add_commands(
    commands: Any,
    project_of: Callable[[argparse.Namespace], Project],
    say: Callable[[object], None],
) -> None:
    """Add ``observed``, ``calibration`` and ``impact`` to the ``bizml`` command's subcommands."""
    observed = commands.add_parser(
        "observed", help="record what a run's model really did to its KPI (A/B test, launch)"
    )
    observed.add_argument("run", help="run id, unique id prefix, 'last', or run name")
    observed.add_argument(
        "--kpi-delta",
        type=_number,
        help="the measured change, in the KPI's unit (0.0021 = +0.21 pp)",
    )
    observed.add_argument(
        "--interval", type=_number, nargs=2, metavar=("LOW", "HIGH"), help="its interval"
    )
    observed.add_argument(
        "--csv", metavar="FILE", help="daily figures (date, control, treatment) instead"
    )
    observed.add_argument("--source", required=True, help="where the figure comes from")
    observed.add_argument(
        "--on",
        help="the day the measurement ended, YYYY-MM-DD (default: today, or the CSV's last day)",
    )
    observed.add_argument("--level", type=_number, default=0.90, help="the interval's level (0.9)")
    observed.add_argument("--kpi", help="the run's KPI, checked against it")

    def handle_observed(args: argparse.Namespace) -> None:
        from bizml_nb.interfaces.api_realised import observe_in

        if args.csv is not None and (args.kpi_delta is not None or args.interval is not None):
            given = "--kpi-delta" if args.kpi_delta is not None else "--interval"
            raise BizmlError(
                "--csv computes the change and its interval from the daily figures; give "
                f"--csv, or --kpi-delta with --interval, not --csv with {given}"
            )
        with _flags():
            card = observe_in(
                project_of(args),
                args.run,
                args.kpi_delta,
                None if args.interval is None else tuple(args.interval),
                source=args.source,
                on=args.on,
                level=args.level,
                kpi=args.kpi,
                table=args.csv,
                origin="cli",
            )
        say(card.text())

    observed.set_defaults(handler=handle_observed)

    calibration = commands.add_parser(
        "calibration", help="predicted vs realised per KPI: coverage of the ranges, the haircut"
    )
    calibration.add_argument("--target", help="only this KPI")

    def handle_calibration(args: argparse.Namespace) -> None:
        from bizml_nb.present.calibration_card import calibration_card

        with _flags():
            say(calibration_card(project_of(args), args.target, chart=False).text())

    calibration.set_defaults(handler=handle_calibration)

    impact = commands.add_parser(
        "impact", help="realised impact of launched runs, to date and per year, with shrinkage"
    )
    impact.add_argument("--since", help="only runs deployed on or after this day, YYYY-MM-DD")
    impact.add_argument("--target", help="only this KPI")
    impact.add_argument(
        "--today", help="count money to date up to this day, YYYY-MM-DD (default: today)"
    )

    def handle_impact(args: argparse.Namespace) -> None:
        from bizml_nb.present.realised_cards import impact_card

        with _flags():
            say(impact_card(project_of(args), args.since, args.target, today=args.today).text())

    impact.set_defaults(handler=handle_impact)


@contextlib.contextmanager
def _flags() -> Iterator[None]:
    """A BizmlError raised inside is raised again, worded with these commands' flags."""
    try:
        yield
    except BizmlError as exc:
        raise BizmlError(worded(exc)) from None
