"""The ``bizml sync`` commands: the ledger pushed to and pulled from an MLflow tracking server.

    bizml sync mlflow push [--tracking-uri URI] [--experiment NAME]
    bizml sync mlflow pull [--tracking-uri URI] [--experiment NAME]

Thin layers over :func:`bizml_nb.teams.push` and :func:`bizml_nb.teams.pull`: the
tracking URI defaults to ``$MLFLOW_TRACKING_URI``, then to ``[sync]
mlflow_tracking_uri`` in bizml.toml; the experiment to the project's name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from bizml_nb.projects.project import Project


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
            help="the tracking server (default: $MLFLOW_TRACKING_URI, then [sync] "
            "mlflow_tracking_uri in bizml.toml)",
        )
        action.add_argument(
            "--experiment", default=None, help="the MLflow experiment (default: the project's name)"
        )
        action.set_defaults(handler=_handler(name, project_of, say))
    mlflow.set_defaults(handler=lambda _args: mlflow.print_help())
    sync.set_defaults(handler=lambda _args: sync.print_help())


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
