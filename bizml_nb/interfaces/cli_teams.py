"""The ``bizml sync`` and ``bizml mlflow`` commands: the ledger pushed to and pulled from an MLflow tracking server, plain MLflow runs priced.

    bizml sync mlflow push [--tracking-uri URI] [--experiment NAME]
    bizml sync mlflow pull [--tracking-uri URI] [--experiment NAME]
    bizml sync status [--tracking-uri URI]
    bizml mlflow price EXPERIMENT --target KPI --map MLFLOW=ML [--map ...] [--baseline RUN]

Thin layers over :func:`bizml_nb.teams.push`, :func:`~bizml_nb.teams.pull` and
:func:`~bizml_nb.teams.price` (whose leaderboard is :func:`bizml_nb.present.views.compare`): the
tracking URI defaults to ``$MLFLOW_TRACKING_URI``, then to ``[sync]
mlflow_tracking_uri`` in bizml.toml; the experiment to the project's name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from bizml_nb.projects.project import Project
    from bizml_nb.teams import PriceResult


def add_commands(
    commands: Any,
    project_of: Callable[[argparse.Namespace], Project],
    say: Callable[[object], None],
) -> None:
    """Add ``sync`` to the ``bizml`` command's subcommands (``commands``)."""
    sync = commands.add_parser("sync", help="share the ledger through an MLflow tracking server")
    stores = sync.add_subparsers(title="stores", metavar="STORE")
    mlflow = stores.add_parser(
        "mlflow", help="an MLflow tracking server (pip install bizml_nb[mlflow])"
    )
    actions = mlflow.add_subparsers(title="mlflow commands", metavar="COMMAND")
    for name, what in (
        ("push", "send every local run to the MLflow experiment (idempotent)"),
        ("pull", "bring teammates' runs from the MLflow experiment into the ledger (idempotent)"),
    ):
        action = actions.add_parser(name, help=what)
        action.add_argument(
            "--tracking-uri",
            default=None,
            metavar="URI",
            help=_URI_HELP,
        )
        action.add_argument(
            "--experiment", default=None, help="the MLflow experiment (default: the project's name)"
        )
        action.set_defaults(handler=_handler(name, project_of, say))
    mlflow.set_defaults(handler=lambda _args: mlflow.print_help())
    sync.set_defaults(handler=lambda _args: sync.print_help())
    state = stores.add_parser(
        "status",
        help="the runs pushed to the tracking server and those pending (no server contacted)",
    )
    state.add_argument("--tracking-uri", default=None, metavar="URI", help=_URI_HELP)

    def handle_status(args: argparse.Namespace) -> None:
        from bizml_nb import teams

        say(teams.status(project_of(args), tracking_uri=args.tracking_uri))

    state.set_defaults(handler=handle_status)

    top = commands.add_parser("mlflow", help="price runs logged with plain MLflow")
    subs = top.add_subparsers(title="mlflow commands", metavar="COMMAND")
    pricing = subs.add_parser(
        "price", help="record an MLflow experiment's runs as runs of a KPI; rank them by value"
    )
    pricing.add_argument("experiment", metavar="EXPERIMENT_NAME")
    pricing.add_argument("--target", required=True, metavar="KPI", help="the KPI the runs move")
    pricing.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="MLFLOW=ML",
        help="an MLflow metric as the registry's ML metric, e.g. val_ndcg=ndcg@10 (repeatable)",
    )
    pricing.add_argument(
        "--baseline", metavar="RUN", help="the MLflow run (id or name) to compare with"
    )
    pricing.add_argument("--tracking-uri", default=None, metavar="URI", help=_URI_HELP)

    def handle_price(args: argparse.Namespace) -> None:
        from bizml_nb import teams

        project = project_of(args)
        result = teams.price(
            project,
            args.experiment,
            target=args.target,
            mapping=teams.parse_map(args.map),
            baseline=args.baseline,
            tracking_uri=args.tracking_uri,
        )
        say(result)
        say(leaderboard_text(project, result))

    pricing.set_defaults(handler=handle_price)
    top.set_defaults(handler=lambda _args: top.print_help())


_URI_HELP = "the tracking server (default: $MLFLOW_TRACKING_URI, then [sync] mlflow_tracking_uri)"


def leaderboard_text(project: Project, result: PriceResult, width: int | None = None) -> str:
    """The priced runs by business value, with their verdicts, beside their rank by each
    ML metric (:func:`bizml_nb.present.views.compare`, the `%bizml compare` table)."""
    from bizml_nb.present.tables import Column, table_text
    from bizml_nb.present.views import compare, rank_text, value_text, verdict_text

    board = compare(project, result.kpi)
    board = board[board["id"].isin(result.run_ids)] if "id" in board else board
    if board.empty:
        return "no successful runs to rank"
    rows = board.to_dict("records")
    origins = project.ledger.origins()
    currency = project.registry.currency
    ranks = [c for c in board.columns if c.startswith("rank_by_") and c != "rank_by_value"]
    columns = [
        Column("value rank", [rank_text(r["rank_by_value"]) for r in rows], right=True),
        Column("run", [str(r["name"]) for r in rows], shrink=8),
        Column(
            "MLflow run",
            [origins.get(r["id"], ("", None))[0].removeprefix("mlflow:")[:12] for r in rows],
        ),
        Column("value/yr (90%)", [value_text(r, currency, "") for r in rows]),
        Column("verdict", [verdict_text(r["verdict"]) for r in rows], shrink=8),
        *[
            Column(c.replace("rank_by_", "rank by "), [rank_text(r[c]) for r in rows], right=True)
            for c in ranks
        ],
    ]
    return table_text(columns, width)


def _handler(
    name: str,
    project_of: Callable[[argparse.Namespace], Project],
    say: Callable[[object], None],
) -> Callable[[argparse.Namespace], None]:
    def handle(args: argparse.Namespace) -> None:
        from bizml_nb import teams

        act = teams.push if name == "push" else teams.pull
        say(act(project_of(args), tracking_uri=args.tracking_uri, experiment=args.experiment))

    return handle
