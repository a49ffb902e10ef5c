"""The ``BizmlMagics`` class: the ``%bizml`` entry point, its configuration, the experiment cell.

Every mistake in a magic's arguments is one plain ``UsageError`` (no traceback)
that names what was wrong; errors raised by the user's own code inside a
``%%bizml experiment`` cell propagate exactly as in a plain cell.
"""

from __future__ import annotations

import ast
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import Bool, Unicode

from bizml_nb.core.errors import BizmlError, did_you_mean
from bizml_nb.interfaces.magics.commands import COMMANDS, show_output
from bizml_nb.interfaces.magics.parsers import (
    HELP,
    SUBCOMMANDS,
    HelpShown,
    pairs,
    parse,
    split_line,
    worded,
)
from bizml_nb.interfaces.magics.sync import after_run, stop

if TYPE_CHECKING:
    from bizml_nb.projects.experiments import Experiment
    from bizml_nb.projects.project import Project, Projects
    from bizml_nb.teams.status import BackgroundPush


@magics_class
class BizmlMagics(Magics):
    """The ``%bizml`` line magic and ``%%bizml`` cell magic."""

    ledger = Unicode(
        None,
        allow_none=True,
        help="Path of the ledger file; default $BIZML_LEDGER, else PROJECT/.bizml/ledger.sqlite.",
    ).tag(config=True)
    project_dir = Unicode(
        None,
        allow_none=True,
        help="Project folder to use; default the nearest folder upward with a bizml.toml.",
    ).tag(config=True)
    cards = Bool(True, help="Show an experiment card after each %%bizml experiment cell.").tag(
        config=True
    )

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell, **kwargs)
        self._projects: Projects | None = None  # created on first use: keeps %load_ext fast
        self._last: tuple[Project, str] | None = None
        self._auto: BackgroundPush | None = None  # %bizml sync mlflow --auto

    # -- entry point

    @no_var_expand
    @line_cell_magic
    def bizml(self, line: str, cell: str | None = None) -> Any:
        """Business metrics for ML experiments. `%bizml help` lists the subcommands."""
        __tracebackhide__ = True
        tokens = split_line(line)
        if not tokens:
            if cell is not None:
                raise UsageError("%%bizml needs a subcommand: %%bizml experiment NAME --target KPI")
            print(HELP)
            return None
        command, args = tokens[0], tokens[1:]
        if command not in SUBCOMMANDS:
            raise UsageError(
                f"unknown subcommand {command!r}{did_you_mean(command, SUBCOMMANDS)}; "
                "`%bizml help` lists them"
            )
        if cell is not None and command != "experiment":
            raise UsageError(
                f"%%bizml {command} is not a cell magic; write it on one line as %bizml {command}"
            )
        if command == "experiment":
            if cell is None:
                raise UsageError(
                    "experiment is a cell magic: write %%bizml experiment NAME --target KPI "
                    "at the top of the cell, with the experiment's code below it"
                )
            try:
                return self._experiment(args, cell)
            except HelpShown:
                return None
        try:
            return COMMANDS[command](self, args)
        except HelpShown:
            return None
        except BizmlError as exc:
            raise UsageError(worded(exc, command)) from None
        except OSError as exc:
            raise UsageError(f"{command}: {exc}") from None

    # -- the experiment cell

    def _experiment(self, args: list[str], cell: str) -> None:
        from bizml_nb.projects.experiments import CELL_ID, is_metric_mapping

        __tracebackhide__ = True
        try:
            ns = parse("experiment", args)
            params = pairs(ns.param or [], "experiment --param", "NAME=VALUE")
            project = self._project()
            experiment = project.experiment(
                ns.name,
                target=ns.target,
                hypothesis=ns.hypothesis,
                expect=ns.expect,
                tags=ns.tag or (),
                baseline=ns.baseline,
                params=params,
                eng_hours=ns.eng_hours,
            )
            experiment.cell_id = CELL_ID.get()
            code = self._compile(cell)
        except BizmlError as exc:
            raise UsageError(worded(exc, "experiment")) from None
        try:
            with experiment:
                value = code.run(self.shell)
                if not experiment.metrics and is_metric_mapping(value):
                    experiment.log(value)
        except BizmlError as exc:  # a bad logged value, or the ledger refused the run
            self._show_card(project, experiment)
            raise UsageError(str(exc)) from None  # raised by Python code: its own words
        except BaseException:
            self._show_card(project, experiment)
            raise
        self._show_card(project, experiment)

    def _compile(self, cell: str) -> _CellCode:
        shell = self.shell
        assert shell is not None, "the magics are registered on a shell"
        transformed = shell.transform_cell(cell)  # type: ignore[no-untyped-call]
        # the running cell's number: IPython has already advanced the counter for the next one
        number = max(shell.execution_count - 1, 0)
        filename = shell.compile.cache(transformed, number, raw_code=cell)
        try:
            tree = ast.parse(transformed, filename=filename)
        except SyntaxError as exc:
            raise UsageError(
                f"the experiment cell has a syntax error (line {exc.lineno}: {exc.msg}); "
                "nothing was run or recorded"
            ) from None
        return _CellCode(tree, filename, quiet=_ends_with_semicolon(cell))

    def _show_card(self, project: Project, experiment: Experiment) -> None:
        if experiment.record is None:
            return
        self._last = (project, experiment.record.id)
        try:
            if not self.cards:
                return
            try:
                from bizml_nb.present.cards import run_card

                card = run_card(project, experiment.record)
            except BizmlError as exc:
                print(
                    f"(the run was recorded, but its card cannot be shown: {exc})", file=sys.stderr
                )
                return
            show_output(card)
        finally:
            after_run(self, project)  # with --auto on: a push, once the card is out

    # -- configuration

    def _project(self) -> Project:
        if self._projects is None:
            from bizml_nb.projects.project import Projects

            self._projects = Projects()
        path = Path(self.project_dir) if self.project_dir else None
        return self._projects.get(path, ledger=self.ledger or None)

    def pre_run_cell(self, info: Any) -> None:
        """Remember the id of the cell about to run (Jupyter sends it with each request)."""
        from bizml_nb.projects.experiments import CELL_ID

        CELL_ID.set(getattr(info, "cell_id", None))


class _CellCode:
    """The parsed body of an experiment cell, run like a plain cell."""

    def __init__(self, tree: ast.Module, filename: str, *, quiet: bool) -> None:
        self.filename = filename
        self.quiet = quiet
        body = list(tree.body)
        self.last: ast.expr | None = None
        if body and isinstance(body[-1], ast.Expr):
            self.last = body[-1].value
            body.pop()
        self.body = ast.Module(body=body, type_ignores=[])

    def run(self, shell: Any) -> Any:
        """Execute in the user namespace; display and return the last expression's value."""
        __tracebackhide__ = True
        namespace, local = shell.user_global_ns, shell.user_ns
        exec(shell.compile(self.body, self.filename, "exec"), namespace, local)  # noqa: S102
        if self.last is None:
            return None
        expression = ast.Expression(body=self.last)
        value = eval(shell.compile(expression, self.filename, "eval"), namespace, local)  # noqa: S307
        if value is not None and not self.quiet:
            shell.displayhook(value)
        return value


def _ends_with_semicolon(cell: str) -> bool:
    from IPython.core.displayhook import DisplayHook

    try:
        return bool(DisplayHook.semicolon_at_end_of_expression(cell))  # type: ignore[no-untyped-call]
    except Exception:
        return False


# --------------------------------------------------------------------------- loading


def load(ipython: Any) -> None:
    """Register the magics, remember each cell's id, and make ``bizml_nb`` a user name."""
    magics = BizmlMagics(ipython)
    ipython.register_magics(magics)
    ipython.events.register("pre_run_cell", magics.pre_run_cell)
    # so `bizml_nb.log(...)` works in the next cell without an import, as in the quickstart
    ipython.user_ns.setdefault("bizml_nb", sys.modules["bizml_nb"])


def unload(ipython: Any) -> None:
    """Remove the magics and the cell hook (IPython has no unregister call)."""
    manager = ipython.magics_manager
    for kind in ("line", "cell"):
        manager.magics[kind].pop("bizml", None)
    instance = manager.registry.pop("BizmlMagics", None)
    if instance is not None:
        with contextlib.suppress(ValueError):
            ipython.events.unregister("pre_run_cell", instance.pre_run_cell)
        stop(instance)  # no background push after this
        if instance._projects is not None:
            instance._projects.close()
