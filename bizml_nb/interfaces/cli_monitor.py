"""The ``bizml monitor`` command: a saved reference against logs on disk, for a shell or a CI job.

    bizml monitor REFERENCE.json ANALYSIS [--chunk-by day|week|month|rows|N|COLUMN]
        [--chunk-size N] [--time-column COLUMN] [--order-by COLUMN] [--engine duckdb|spark|pandas]
        [--memory-limit 1GB] [--threads N] [--value TN FP FN TP --cases-per-year N
        [--currency USD] | --kpi KPI] [--fail-on retrain|investigate] [--out FILE.html [--force]]
        [--no-progress]

A thin layer over :func:`bizml_nb.monitor.logs.check_logs` and
:func:`~bizml_nb.monitor.logs.write_page`: it prints the result's card (its text) and,
when priced, the decision; ``--out`` gets the standalone HTML page. Exit status as
every ``bizml`` command (0 done, 1 refused with one ``bizml: error:`` line and nothing
written, 2 bad arguments), and 3 when ``--fail-on LEVEL`` is given and the decision
is that or more urgent (retrain > investigate > no action), read from the typed
:class:`~bizml_nb.monitor.decision.Decision`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import BizmlError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from bizml_nb.projects.project import Project

FAIL_STATUS = 3  # the exit status when the decision is at least --fail-on's level
#: bizml_nb.monitor.logs.ENGINES, written out: building the parser imports no monitor module
ENGINES = ("duckdb", "spark", "pandas")
PERIODS = ("day", "week", "month")
#: the Python keywords the monitor's messages name, as this command's flags
_WORDS = (
    ("needs by=COLUMN", "needs --time-column COLUMN"),
    ("order_by=COLUMN", "--order-by COLUMN"),
    ("order_by is for", "--order-by is for"),
    ("(by=, chunk_by=)", "(--chunk-by)"),
    ("give chunk_by or chunk_size, not both", "give --chunk-by N or --chunk-size N, not both"),
)


def _whole(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return number


def _number(text: str) -> float:
    import math

    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return number


def add_commands(
    commands: Any,
    project_of: Callable[[argparse.Namespace], Project],
    say: Callable[..., None],
) -> None:
    """Add ``monitor`` to the ``bizml`` command's subcommands."""
    monitor = commands.add_parser(
        "monitor",
        help="check logs (Parquet files or a CSV) against a saved reference: drift, "
        "estimated performance, value",
        description="Check logs against a reference saved by Reference.save. Prints the "
        "card; --out writes it as a standalone HTML page. Exit status: 0 done, 1 refused "
        "(one message, nothing written), 2 bad arguments, 3 the decision is at least --fail-on.",
    )
    monitor.add_argument("reference", metavar="REFERENCE", help="the reference's JSON file")
    monitor.add_argument(
        "analysis",
        metavar="ANALYSIS",
        help="the logs to check: a Parquet file or a quoted glob ('logs/*.parquet'), read "
        "by the engine without loading it, or a CSV file (read with pandas)",
    )
    monitor.add_argument(
        "--chunk-by",
        metavar="day|week|month|rows|N|COLUMN",
        help="chunks: per day, week or month of the time column, rows (of --chunk-size), a "
        "number of rows, or one per value of a column (default: 10 equal parts of the rows, "
        "in file-name then row order)",
    )
    monitor.add_argument(
        "--chunk-size",
        type=_whole,
        metavar="N",
        help="rows per chunk (with or without --chunk-by rows)",
    )
    monitor.add_argument(
        "--time-column",
        metavar="COLUMN",
        help="the column of times for --chunk-by day|week|month (default: the only one)",
    )
    monitor.add_argument(
        "--order-by",
        metavar="COLUMN",
        help="the row order of row chunks, by a column without ties (default: the Parquet "
        "files' names, then their rows)",
    )
    monitor.add_argument(
        "--engine",
        choices=ENGINES,
        help="what reads Parquet: duckdb (default, out of core), spark (local), pandas (in memory)",
    )
    monitor.add_argument(
        "--memory-limit",
        default="1GB",
        metavar="SIZE",
        help="DuckDB's memory limit; it spills beyond (1GB)",
    )
    monitor.add_argument("--threads", type=_whole, metavar="N", help="DuckDB's threads")
    monitor.add_argument(
        "--value",
        type=_number,
        nargs=4,
        metavar=("TN", "FP", "FN", "TP"),
        help="the value of each outcome per case, to price the check and decide",
    )
    monitor.add_argument(
        "--cases-per-year", type=_number, metavar="N", help="predictions a year (with --value)"
    )
    monitor.add_argument("--currency", help="currency code of --value (default USD)")
    monitor.add_argument(
        "--kpi", help="price with the project's confusion link into this KPI (instead of --value)"
    )
    monitor.add_argument(
        "--fail-on",
        choices=("retrain", "investigate"),
        help="exit with status 3 when the decision is this or more urgent (needs --value or --kpi)",
    )
    monitor.add_argument("--out", type=Path, metavar="FILE.html", help="write the HTML page")
    monitor.add_argument("--force", action="store_true", help="replace --out if it exists")
    monitor.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown on a terminal)"
    )

    def handle(args: argparse.Namespace) -> None:
        from bizml_nb.core.outputs import check_target
        from bizml_nb.core.textsafe import terminal_line
        from bizml_nb.monitor.logs import at_least, check_logs, decision_of, write_page

        chunking = _chunking(args)
        value, kpi = _pricing(args, project_of)
        if args.out is not None:
            check_target(args.out, force=args.force)  # refused before any work
        with _flags():
            result = check_logs(
                args.reference,
                args.analysis,
                engine=args.engine,
                order_by=args.order_by,
                value=value,
                kpi=kpi,
                currency=args.currency if args.kpi is None else None,
                memory_limit=args.memory_limit,
                threads=args.threads,
                progress=None if args.no_progress else _progress(),
                **chunking,
            )
        decision = decision_of(result)
        if args.out is not None:
            title = f"bizml monitor: {args.analysis} against {args.reference}"
            write_page(result, args.out, title=title, force=args.force, flag="--force")
        say(result.text())
        if decision is not None:
            say(f"decision: {decision.action} ({decision.reason})")
        if args.out is not None:
            say(f"wrote {terminal_line(args.out)}")
        if decision is not None and args.fail_on and at_least(decision.action, args.fail_on):
            raise SystemExit(FAIL_STATUS)

    monitor.set_defaults(handler=handle)


def _chunking(args: argparse.Namespace) -> dict[str, Any]:
    """``--chunk-by``, ``--chunk-size`` and ``--time-column`` as :meth:`Reference.check`'s keywords."""
    chunk_by, size, column = args.chunk_by, args.chunk_size, args.time_column
    if column is not None and chunk_by not in PERIODS:
        raise BizmlError("--time-column is the column of times of --chunk-by day, week or month")
    if chunk_by is None or chunk_by == "rows":
        if chunk_by == "rows" and size is None:
            raise BizmlError("--chunk-by rows needs --chunk-size N, the rows per chunk")
        return {"chunk_size": size}
    if size is not None:
        raise BizmlError(
            f"--chunk-size goes with --chunk-by rows; --chunk-by {chunk_by} makes its own chunks"
        )
    if chunk_by.isdigit():
        if int(chunk_by) < 1:
            raise BizmlError(f"--chunk-by {chunk_by}: a chunk needs at least 1 row")
        return {"chunk_by": int(chunk_by)}
    return {"chunk_by": chunk_by, "by": column}


def _pricing(
    args: argparse.Namespace, project_of: Callable[[argparse.Namespace], Project]
) -> tuple[Any, str | None]:
    """``value=`` and ``kpi=`` of the check, from ``--value``/``--cases-per-year`` or ``--kpi``."""
    if args.value is not None and args.kpi is not None:
        raise BizmlError("give --value with --cases-per-year, or --kpi, not both")
    if args.kpi is not None:
        if args.cases_per_year is not None or args.currency is not None:
            raise BizmlError(
                "--kpi prices with the project's link, its cases a year and currency; "
                "drop --cases-per-year and --currency"
            )
        return project_of(args), args.kpi
    if args.value is not None:
        if args.cases_per_year is None:
            raise BizmlError("--value needs --cases-per-year N, the predictions a year")
        tn, fp, fn, tp = args.value
        return {"value_matrix": [[tn, fp], [fn, tp]], "cases_per_year": args.cases_per_year}, None
    if args.cases_per_year is not None or args.currency is not None:
        given = "--cases-per-year" if args.cases_per_year is not None else "--currency"
        raise BizmlError(f"{given} goes with --value TN FP FN TP")
    if args.fail_on is not None:
        raise BizmlError(
            "--fail-on decides from the value of the outcomes: give --value TN FP FN TP "
            "with --cases-per-year N, or --kpi KPI"
        )
    return None, None


def _progress() -> Callable[[int, int, str], None] | None:
    """A progress bar on stderr when it is a terminal (tqdm), else nothing: a CI log
    keeps only the result and its messages."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar: list[Any] = []

    def report(done: int, total: int, what: str) -> None:
        if not bar:
            bar.append(tqdm(total=total, desc="bizml monitor", unit="query", file=sys.stderr))
        bar[0].total = total
        bar[0].set_postfix_str(what, refresh=False)
        bar[0].update(1)
        if done >= total:
            bar[0].close()

    return report


@contextlib.contextmanager
def _flags() -> Iterator[None]:
    """A BizmlError raised inside is raised again with the keywords it names as flags."""
    try:
        yield
    except BizmlError as exc:
        text = str(exc)
        for word, flag in _WORDS:
            text = text.replace(word, flag)
        if text == str(exc):
            raise
        raise BizmlError(text) from None
