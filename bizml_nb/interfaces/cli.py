"""The ``bizml`` command: project set-up and the ledger from a shell.

    bizml init [--project NAME] [--currency USD] [--calibrate on|off]
    bizml ledger list [--target KPI] [--json]
    bizml ledger show RUN
    bizml ledger export --format csv|json|parquet --out FILE [--target KPI] [--force]
    bizml ledger import NOTEBOOK.ipynb ...
    bizml templates
    bizml new TEMPLATE DEST.ipynb [-p NAME VALUE]... [--force]
    bizml run NOTEBOOK [-p NAME VALUE]... [--out OUT.ipynb [--force]] [--no-progress]
    bizml report [PROJECT_DIR] [--out FILE] [--notebooks GLOB]... [--format html|md] [--force]
    bizml demo [--dir DIR] [--no-progress]
    bizml sync mlflow push|pull [--tracking-uri URI] [--experiment NAME]
    bizml sync status [--tracking-uri URI]
    bizml mlflow price EXPERIMENT --target KPI --map MLFLOW=ML ... [--baseline RUN]
    bizml observed RUN --kpi-delta D --interval LOW HIGH --source TEXT [--on DAY]
    bizml observed RUN --csv FILE --source TEXT [--on DAY]
    bizml calibration [--target KPI]
    bizml impact [--since DAY] [--target KPI] [--today DAY]
    bizml monitor REFERENCE.json ANALYSIS [--chunk-by ...] [--out FILE.html] [--fail-on ...]

Exit status: 0 on success, 1 when bizml_nb refused (the message says why), 2 on
bad arguments, 3 when ``bizml monitor --fail-on`` meets its decision. No command replaces an existing file unless given ``--force``
(``bizml run NOTEBOOK`` without ``--out`` updates that notebook, and only when
every cell ran). Everything printed passes through :func:`say`, which removes
control characters and terminal escape sequences: names and hypotheses cannot
move the cursor, clear the screen or hide a link in the terminal.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import BizmlError, BizmlWarning, RegistryError
from bizml_nb.core.textsafe import json_text, terminal_line, terminal_text
from bizml_nb.core.version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.projects.project import Project


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", BizmlWarning)
            warnings.showwarning = _show_warning
            args.handler(args)
    except BizmlError as exc:
        say(_one_message(f"bizml: error: {_worded(exc, parser)}"), err=True)
        return 1
    except BrokenPipeError:  # e.g. `bizml ledger list | head`
        return 0
    return 0


def _worded(exc: BizmlError, parser: argparse.ArgumentParser) -> str:
    """The message of ``exc`` with a keyword it names written as the command's flag.

    ``min_annual_value`` becomes ``--min-annual-value`` when some command has that
    flag; other names stay as they are.
    """
    from bizml_nb.core.registry.fields import flag

    flags = set(_flags(parser))

    def name(keyword: str) -> str:
        return flag(keyword) if flag(keyword) in flags else keyword

    return exc.worded(name)


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string of ``parser`` and of its subcommands."""
    found: list[str] = []
    for action in parser._actions:
        found.extend(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_flags(sub))
    return found


def say(text: object = "", *, err: bool = False) -> None:
    """Print ``text`` with nothing a terminal would obey but the line breaks we wrote."""
    print(terminal_text(text), file=sys.stderr if err else sys.stdout)


def _one_message(text: str) -> str:
    """A message whose own lines are its first and the indented ones after it.

    bizml's messages continue on lines that start with two spaces; any other line
    break came from a user's string (a file named with a newline, say) and is shown
    as ``\\n``, so nothing a user names can print a line that looks like ours.
    """
    first, *rest = text.split("\n")
    lines = [first]
    for line in rest:
        if line.startswith("  "):
            lines.append(line)
        else:
            lines[-1] += "\\n" + line
    return "\n".join(lines)


_showwarning = warnings.showwarning


def _show_warning(  # noqa: PLR0917 - the signature of warnings.showwarning
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """bizml's own warnings as one line, ``bizml: warning: ...``; others as Python shows them."""
    if issubclass(category, BizmlWarning):
        say(_one_message(f"bizml: warning: {message}"), err=True)
    else:
        _showwarning(message, category, filename, lineno, file, line)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bizml",
        description="Tie ML experiments to the business metrics they are meant to move.",
    )
    parser.add_argument("--version", action="version", version=f"bizml_nb {__version__}")
    parser.add_argument(
        "-C",
        "--project-dir",
        type=Path,
        default=None,
        help="work in the project that holds this folder (default: the current folder)",
    )
    parser.add_argument(
        "--ledger", type=Path, default=None, help="ledger file (default: $BIZML_LEDGER or .bizml/)"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    init = commands.add_parser("init", help="create bizml.toml (or update its [project])")
    init.add_argument("--project", help="project name (default: the folder's name)")
    init.add_argument("--currency", help="currency code, e.g. USD (default USD)")
    init.add_argument(
        "--calibrate",
        choices=("on", "off"),
        help="on: cards apply the haircut learned from observed runs (5 or more); off: not",
    )
    init.set_defaults(handler=_init)

    ledger = commands.add_parser("ledger", help="list, show, export and import runs")
    sub = ledger.add_subparsers(title="ledger commands", metavar="COMMAND")

    listing = sub.add_parser("list", help="list runs with their predicted value per year")
    listing.add_argument("--target", help="only runs against this KPI")
    listing.add_argument(
        "--json", action="store_true", help="print the runs as JSON data (numbers unformatted)"
    )
    listing.set_defaults(handler=_list)

    show = sub.add_parser("show", help="show one run's card")
    show.add_argument("run", help="run id, unique id prefix, 'last', or run name")
    show.add_argument("--json", action="store_true", help="print the full record as JSON")
    show.set_defaults(handler=_show)

    export = sub.add_parser("export", help="write all runs to a file")
    export.add_argument("--format", required=True, choices=["csv", "json", "parquet"])
    export.add_argument("--out", required=True, type=Path, help="the file to write")
    export.add_argument("--target", help="only runs against this KPI")
    export.add_argument("--force", action="store_true", help="replace --out if it exists")
    export.set_defaults(handler=_export)

    imp = sub.add_parser("import", help="rebuild runs from the cards in executed notebooks")
    imp.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    imp.set_defaults(handler=_import)
    ledger.set_defaults(handler=lambda _args: ledger.print_help())

    listing = commands.add_parser(
        "templates", help="list the template notebooks and their parameters"
    )
    listing.set_defaults(handler=_templates)

    new = commands.add_parser(
        "new", help="write a notebook from a template with parameters (nothing runs yet)"
    )
    new.add_argument(
        "template", metavar="TEMPLATE", help="a template's name (see `bizml templates`)"
    )
    new.add_argument("dest", type=Path, metavar="DEST.ipynb", help="the notebook to write")
    _parameter_option(new)
    new.add_argument("--force", action="store_true", help="replace DEST if it exists")
    new.set_defaults(handler=_new)

    run = commands.add_parser(
        "run",
        help="execute a notebook with papermill, with a progress bar and its decision summary",
    )
    run.add_argument(
        "notebook", metavar="NOTEBOOK", help="a notebook file, or a template's name (with --out)"
    )
    _parameter_option(run)
    run.add_argument(
        "--out",
        type=Path,
        metavar="OUT.ipynb",
        help="where to write the executed notebook (default: in place, only if every cell "
        "runs; a failed run is saved beside it as NAME.failed.ipynb)",
    )
    run.add_argument(
        "--force", action="store_true", help="replace --out if it exists (when every cell ran)"
    )
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.set_defaults(handler=_run)

    _add_report_commands(commands)
    return parser


def _report(args: argparse.Namespace) -> None:
    from bizml_nb.present.report import build_report
    from bizml_nb.projects.project import Projects

    project = Projects().get(args.project or args.project_dir, ledger=args.ledger)
    notebooks = args.notebooks or [str(Path(glob.escape(str(project.root))) / "**" / "*.ipynb")]
    path = build_report(project, args.out, notebooks=notebooks, fmt=args.format, force=args.force)
    say(f"wrote {terminal_line(path)}")


def _demo(args: argparse.Namespace) -> None:
    from bizml_nb.interfaces.demo import run_demo

    result = run_demo(args.dir, progress=not args.no_progress)
    say(result.text())


def _add_report_commands(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="write the report for decision makers (self-contained HTML, or Markdown)"
    )
    report.add_argument(
        "project",
        nargs="?",
        type=Path,
        default=None,
        metavar="PROJECT_DIR",
        help="the project (default: the one holding the current folder)",
    )
    report.add_argument(
        "--out", type=Path, help="the file to write (default PROJECT/bizml-report.html)"
    )
    report.add_argument(
        "--notebooks",
        action="append",
        default=[],
        metavar="GLOB",
        help="executed notebooks whose ROI, maturity, monitoring and capacity records to include "
        "(repeatable; default PROJECT/**/*.ipynb)",
    )
    report.add_argument("--format", choices=["html", "md"], default="html")
    report.add_argument("--force", action="store_true", help="replace --out if it exists")
    report.set_defaults(handler=_report)

    demo = commands.add_parser(
        "demo", help="build a demo project: run the examples and templates, write the reports"
    )
    demo.add_argument(
        "--dir", type=Path, default=Path("bizml-demo"), help="where (default ./bizml-demo)"
    )
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    demo.set_defaults(handler=_demo)

    from bizml_nb.interfaces.cli_teams import add_commands

    add_commands(commands, _project, say)

    from bizml_nb.interfaces import cli_realised

    cli_realised.add_commands(commands, _project, say)

    from bizml_nb.interfaces import cli_monitor

    cli_monitor.add_commands(commands, _project, say)


def _parameter_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        dest="parameters",
        metavar=("NAME", "VALUE"),
        help="set a parameter; the value is read as the parameter's type (repeat for more)",
    )


def _project(args: argparse.Namespace) -> Project:
    from bizml_nb.projects.project import Projects

    return Projects().get(args.project_dir, ledger=args.ledger)


def _init(args: argparse.Namespace) -> None:
    project = _project(args)
    calibrate = None if args.calibrate is None else args.calibrate == "on"
    outcome = project.init(args.project, currency=args.currency, calibrate=calibrate)
    registry = project.registry
    say(
        f"{outcome} {terminal_line(project.registry_path)}: project {registry.name!r}, "
        f"currency {terminal_line(registry.currency)}"
        + ("" if args.calibrate is None else f", calibration {args.calibrate}")
    )
    if outcome == "created":
        say("next: declare a KPI with `%bizml metric NAME --unit ... --direction higher|lower`")


def _list(args: argparse.Namespace) -> None:
    from bizml_nb.present.tables import Wording, runs_text, with_sync

    project = _project(args)
    registry = project.registry if project.has_registry else None
    if registry is not None:
        from bizml_nb.present.views import runs_table

        frame = runs_table(project, args.target)
    else:
        frame = project.ledger.frame(args.target)
    frame = with_sync(frame, project)  # pending_sync, pushed: when a tracking server is known
    if args.json:
        say(json_text(frame.to_json(orient="records", date_format="iso", force_ascii=False)))
        return
    if frame.empty:
        say(f"no runs in {terminal_line(project.ledger.path)}")
        return
    say(runs_text(frame, Wording.of(registry)))  # each cell on one line, cut to fit


def _show(args: argparse.Namespace) -> None:
    project = _project(args)
    run = project.run(args.run)
    record = json_text(json.dumps(run.to_record(), indent=2, ensure_ascii=False))
    if args.json:
        say(record)
        return
    try:
        from bizml_nb.present.cards import run_card

        say(run_card(project, run).text())  # the card puts each user string on one line
    except RegistryError as exc:
        say(record)
        say(f"(no card: {exc})", err=True)
    say(f"id {run.id}, started {terminal_line(run.started_at)}, {run.duration_s or 0:.3f} s")
    if run.notebook:
        cell = f", cell {terminal_line(run.cell_id)}" if run.cell_id else ""
        say(f"notebook {terminal_line(run.notebook)}{cell}")
    if run.git_commit:
        dirty = " (uncommitted changes)" if run.git_dirty else ""
        say(f"git {terminal_line(run.git_commit[:12])}{dirty}")


def _export(args: argparse.Namespace) -> None:
    from bizml_nb.interfaces.export import export_runs

    project = _project(args)
    count = export_runs(
        project.ledger, args.out, fmt=args.format, target=args.target, force=args.force
    )
    say(f"wrote {count} runs to {terminal_line(args.out)}")


def _import(args: argparse.Namespace) -> None:
    from bizml_nb.interfaces.nbimport import import_files

    project = _project(args)
    done = import_files(project.ledger, args.notebooks)
    for one in done:
        say(
            f"{terminal_line(one.path)}: {one.found} runs found, {one.imported} imported, "
            f"{one.present} already present"
        )
        if one.observations_found:
            present = one.observations_found - one.observations_imported - len(one.problems)
            say(
                f"{terminal_line(one.path)}: {one.observations_found} observations found, "
                f"{one.observations_imported} imported, {present} already present"
            )
        for problem in one.problems:
            say(_one_message(f"bizml: warning: {problem}"), err=True)
    if len(done) > 1:
        total = sum(one.imported for one in done)
        say(f"{total} runs imported into {terminal_line(project.ledger.path)}")


def _templates(_args: argparse.Namespace) -> None:
    from bizml_nb.interfaces.templates import list_templates

    for number, template in enumerate(list_templates()):
        if number:
            say()
        say(f"{template.name}: {terminal_line(template.title)}")
        say(f"  {terminal_line(template.path)}")
        width = max((len(p.name) for p in template.parameters), default=0)
        kinds = max((len(p.type) for p in template.parameters), default=0)
        for p in template.parameters:
            say(f"  {p.name:<{width}}  {p.type:<{kinds}}  = {p.default!r}  # {p.comment}")


def _skip_iri_checks() -> None:
    """Spare `bizml new` and `bizml run` about 3 s of start-up.

    papermill imports nbformat, which imports jsonschema, which builds a grammar for
    IRI checks when the optional ``rfc3987-syntax`` package is installed. Notebook
    schemas check no IRIs, and this process is ours: mark the package as absent.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _new(args: argparse.Namespace) -> None:
    _skip_iri_checks()
    from bizml_nb.interfaces.templates import get_template, new

    template = get_template(args.template)
    values = template.convert(dict(args.parameters))
    dest = new(template.name, args.dest, values, force=args.force)
    given = ", ".join(f"{k}={v!r}" for k, v in values.items()) or "its defaults"
    say(f"wrote {terminal_line(dest)} from template {template.name} with {terminal_line(given)}")
    say(f"next: `bizml run {terminal_line(dest)}`, or open it in Jupyter and run all cells")


def _run(args: argparse.Namespace) -> None:
    _skip_iri_checks()
    from bizml_nb.interfaces.templates import run

    done = run(
        args.notebook,
        dict(args.parameters),
        args.out,
        force=args.force,
        progress=not args.no_progress,
    )
    if done.summary:
        say(done.summary)
    say(f"wrote {terminal_line(done.notebook)} (executed in {done.seconds:.1f} s)")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
