"""``%bizml sync``: the ledger pushed to an MLflow tracking server now, or after each experiment cell.

    %bizml sync mlflow [push] [--tracking-uri URI] [--experiment NAME]   # one push now
    %bizml sync mlflow [--tracking-uri URI] [--experiment NAME] --auto   # and after each cell
    %bizml sync mlflow --off                                             # background pushes stop
    %bizml sync mlflow pull [--tracking-uri URI] [--experiment NAME]
    %bizml sync status [--tracking-uri URI]

Thin over :mod:`bizml_nb.teams` (``bizml sync`` in a shell): with ``--auto`` the magics
hold a :class:`~bizml_nb.teams.status.BackgroundPush`, and each ``%%bizml experiment``
cell that recorded a run asks it for a push (:func:`after_run`: microseconds, never an
error or a line of output in the cell). The tracking URI is the one given, else the one
``--auto`` pushes to, else ``$MLFLOW_TRACKING_URI``, else ``[sync] mlflow_tracking_uri``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from IPython.core.error import UsageError

from bizml_nb.core.errors import did_you_mean
from bizml_nb.interfaces.magics.parsers import parse

if TYPE_CHECKING:
    import argparse

    from bizml_nb.interfaces.magics.magic import BizmlMagics
    from bizml_nb.projects.project import Project

_STORES = ("mlflow", "status")
_ACTIONS = ("push", "pull")
_FORMS = (
    "`%bizml sync mlflow [push|pull] [--tracking-uri URI] [--auto|--off]` or `%bizml sync status`"
)
#: how long an explicit push waits for the background one it joins
_WAIT_S = 600.0


def sync(magics: BizmlMagics, args: list[str]) -> None:
    """``%bizml sync ...``: check the arguments, then push, pull, switch auto, or say the status."""
    ns = parse("sync", args)
    _check(ns)
    if ns.store == "status":
        _status(magics, ns)
    elif ns.off:
        _off(magics)
    elif ns.action == "pull":
        from bizml_nb.teams import pull

        project = magics._project()
        print(pull(project, tracking_uri=_uri(magics, ns), experiment=ns.experiment))
    elif ns.auto:
        _auto(magics, ns)
    else:
        _push(magics, ns)


def after_run(magics: BizmlMagics, project: Project) -> None:
    """A run was recorded: with ``--auto`` on for this project's ledger, ask for a push.
    Never raises and never prints (the push and its errors stay on its thread and worker)."""
    auto = magics._auto
    if auto is None:
        return
    with contextlib.suppress(Exception):
        if auto.project.ledger.path == project.ledger.path:
            auto.request()


def stop(magics: BizmlMagics) -> None:
    """Background pushes stop (``--off``, and unloading the magics)."""
    auto, magics._auto = magics._auto, None
    if auto is not None:
        auto.close()


def _check(ns: argparse.Namespace) -> None:
    if ns.store not in _STORES:
        raise UsageError(
            f"%bizml sync: unknown sync target {ns.store!r}{did_you_mean(ns.store, _STORES)}; "
            f"write {_FORMS}"
        )
    if ns.store == "status":
        extra = [
            flag
            for flag, given in (
                (ns.action, ns.action is not None),
                ("--experiment", ns.experiment is not None),
                ("--auto", ns.auto),
                ("--off", ns.off),
            )
            if given
        ]
        if extra:
            raise UsageError(
                f"%bizml sync status takes only --tracking-uri, not {extra[0]!r}; {_FORMS}"
            )
        return
    if ns.action is not None and ns.action not in _ACTIONS:
        raise UsageError(
            f"%bizml sync mlflow: unknown action {ns.action!r}"
            f"{did_you_mean(ns.action, _ACTIONS)}; it is push (the default) or pull"
        )
    if ns.action == "pull" and (ns.auto or ns.off):
        flag = "--auto" if ns.auto else "--off"
        raise UsageError(
            f"%bizml sync mlflow pull: {flag} is about pushing in the background; a pull "
            "brings teammates' runs once, when asked"
        )
    if ns.off and (ns.action or ns.tracking_uri is not None or ns.experiment is not None):
        raise UsageError(
            "%bizml sync mlflow --off takes no other argument: it stops the background "
            "pushes of this kernel, whatever their server"
        )


def _uri(magics: BizmlMagics, ns: argparse.Namespace) -> str | None:
    """The URI given, else the one --auto pushes to (else the usual defaults, later)."""
    if ns.tracking_uri is not None and ns.tracking_uri.strip():
        return str(ns.tracking_uri)
    return magics._auto.tracking_uri if magics._auto is not None else None


def _push(magics: BizmlMagics, ns: argparse.Namespace) -> None:
    from bizml_nb.teams import SyncError, push
    from bizml_nb.teams.remote import tracking_uri

    project = magics._project()
    auto = magics._auto
    uri = tracking_uri(project, _uri(magics, ns))
    same = auto is not None and auto.tracking_uri == uri
    if auto is None or not same or (ns.experiment and ns.experiment != auto.experiment_name):
        print(push(project, tracking_uri=uri, experiment=ns.experiment))
        return
    # the background thread pushes to this server: one push at a time, or runs could be
    # created twice; this one joins it and waits
    auto.request()
    if not auto.wait(_WAIT_S):
        print(f"a push to {uri} is still under way; `%bizml sync status` shows what waits")
        return
    if auto.last_error is not None:
        raise SyncError(str(auto.last_error))
    print(auto.last_result)


def _auto(magics: BizmlMagics, ns: argparse.Namespace) -> None:
    from bizml_nb.teams.status import BackgroundPush, status, usable_uri

    project = magics._project()
    uri = usable_uri(project, _uri(magics, ns))
    old = magics._auto
    if old is not None and old.tracking_uri == uri and old.experiment == ns.experiment:
        auto = old
    else:
        auto = BackgroundPush(project, tracking_uri=uri, experiment=ns.experiment, worker=True)
        stop(magics)
        if old is not None:  # its push under way ends first: one push at a time
            old.close(timeout_s=_WAIT_S)
        magics._auto = auto
    pending = len(status(project, tracking_uri=uri).pending)
    auto.request()
    again = "still " if auto is old else ""
    print(
        f"auto push {again}on: each experiment cell's run goes to {uri}, experiment "
        f"{auto.experiment_name!r}, in the background ({_runs(pending)} pending_sync {'goes' if pending == 1 else 'go'} now); "
        "`%bizml sync status` shows what waits, `%bizml sync mlflow --off` stops it"
    )


def _off(magics: BizmlMagics) -> None:
    auto = magics._auto
    if auto is None:
        print("auto push was not on")
        return
    stop(magics)
    from bizml_nb.teams.status import status

    pending = len(status(auto.project, tracking_uri=auto.tracking_uri).pending)
    print(
        f"auto push off: nothing more goes to {auto.tracking_uri} in the background; "
        f"{_runs(pending)} pending_sync stay in the ledger (`%bizml sync mlflow` pushes them)"
    )


def _status(magics: BizmlMagics, ns: argparse.Namespace) -> None:
    from bizml_nb.teams.status import status

    project = magics._project()
    print(status(project, tracking_uri=_uri(magics, ns)))
    if magics._auto is not None:
        print(magics._auto)


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"
