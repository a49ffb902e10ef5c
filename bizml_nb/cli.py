"""The ``bizml`` command: project set-up and the ledger from a shell.

    bizml init [--project NAME] [--currency USD]
    bizml ledger list [--target KPI]
    bizml ledger show RUN
    bizml ledger export --format csv|json|parquet --out FILE [--target KPI] [--force]
    bizml ledger import NOTEBOOK.ipynb ...

Exit status: 0 on success, 1 when bizml_nb refused (the message says why), 2 on
bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bizml_nb import __version__
from bizml_nb.errors import BizmlError, RegistryError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.projects import Project


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        args.handler(args)
    except BizmlError as exc:
        print(f"bizml: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `bizml ledger list | head`
        return 0
    return 0


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
    init.set_defaults(handler=_init)

    ledger = commands.add_parser("ledger", help="list, show, export and import runs")
    sub = ledger.add_subparsers(title="ledger commands", metavar="COMMAND")

    listing = sub.add_parser("list", help="list runs with their predicted value per year")
    listing.add_argument("--target", help="only runs against this KPI")
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
    return parser


def _project(args: argparse.Namespace) -> Project:
    from bizml_nb.projects import Projects

    return Projects().get(args.project_dir, ledger=args.ledger)


def _init(args: argparse.Namespace) -> None:
    project = _project(args)
    outcome = project.init(args.project, currency=args.currency)
    registry = project.registry
    print(
        f"{outcome} {project.registry_path}: project {registry.name!r}, currency {registry.currency}"
    )
    if outcome == "created":
        print("next: declare a KPI with `%bizml metric NAME --unit ... --direction higher|lower`")


def _list(args: argparse.Namespace) -> None:
    project = _project(args)
    if project.has_registry:
        from bizml_nb.views import runs_table

        frame = runs_table(project, args.target)
    else:
        frame = project.ledger.frame(args.target)
    if frame.empty:
        print(f"no runs in {project.ledger.path}")
        return
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(frame.to_string(index=False))


def _show(args: argparse.Namespace) -> None:
    project = _project(args)
    run = project.run(args.run)
    if args.json:
        print(json.dumps(run.to_record(), indent=2, ensure_ascii=False))
        return
    try:
        print(project.card(run).text())
    except RegistryError as exc:
        print(json.dumps(run.to_record(), indent=2, ensure_ascii=False))
        print(f"(no card: {exc})", file=sys.stderr)
    print(f"id {run.id}, started {run.started_at}, {run.duration_s or 0:.3f} s")
    if run.notebook:
        print(f"notebook {run.notebook}" + (f", cell {run.cell_id}" if run.cell_id else ""))
    if run.git_commit:
        print(f"git {run.git_commit[:12]}" + (" (uncommitted changes)" if run.git_dirty else ""))


def _export(args: argparse.Namespace) -> None:
    from bizml_nb.export import export_runs

    project = _project(args)
    count = export_runs(
        project.ledger, args.out, fmt=args.format, target=args.target, force=args.force
    )
    print(f"wrote {count} runs to {args.out}")


def _import(args: argparse.Namespace) -> None:
    from bizml_nb.nbimport import runs_from_notebook

    project = _project(args)
    total_new = 0
    for notebook in args.notebooks:
        runs = runs_from_notebook(notebook)
        new = project.ledger.record_many(runs)
        total_new += new
        print(
            f"{notebook}: {len(runs)} runs found, {new} imported, {len(runs) - new} already present"
        )
    if len(args.notebooks) > 1:
        print(f"{total_new} runs imported into {project.ledger.path}")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
