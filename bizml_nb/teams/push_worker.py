"""A push worker: a process of its own that pushes a ledger when asked, so no cell waits on a push's Python work.

    python -m bizml_nb.teams.push_worker ROOT LEDGER TRACKING_URI [EXPERIMENT]

Each line read on stdin asks for one :func:`~bizml_nb.teams.push` of the project at
ROOT (ledger LEDGER); each push answers with one JSON line on stdout:
``{"ok": true, "result": {...PushResult's fields}}`` or ``{"ok": false, "error": "..."}``.
The worker ends at the end of its input (its parent closed the pipe, or died). Anything
else written to stdout while pushing (by MLflow, say) goes to stderr instead, so the
answers stay readable. :class:`~bizml_nb.teams.status.BackgroundPush` starts it for
``%bizml sync mlflow --auto``: the push's Python work then runs beside the notebook's
kernel, never holding its interpreter lock while a cell runs, and at a lower CPU
priority (``nice`` 10), so that the cells come first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any


def answer(root: Path, ledger: Path, tracking_uri: str, experiment: str | None) -> dict[str, Any]:
    """One push, as the JSON-ready answer the worker writes."""
    from bizml_nb.projects.project import Project
    from bizml_nb.teams.mlflow_push import push
    from bizml_nb.teams.remote import SyncError

    project = Project.at(root, ledger=ledger)
    try:
        result = push(project, tracking_uri=tracking_uri, experiment=experiment)
    except SyncError as exc:
        return {"ok": False, "error": str(exc)}
    except Exception as exc:  # reported to the kernel, never raised there
        return {"ok": False, "error": f"a background push to {tracking_uri} failed: {exc}"}
    finally:
        project.ledger.close()
    return {"ok": True, "result": dataclasses.asdict(result)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (3, 4):
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    root, ledger, uri = Path(args[0]), Path(args[1]), args[2]
    experiment = args[3] if len(args) == 4 else None
    with contextlib.suppress(OSError):
        os.nice(10)  # the notebook's cells come first for the CPU
    replies = os.dup(sys.stdout.fileno())  # the pipe the answers go to
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints: stderr, not answers
    sys.stdout = sys.stderr
    for _line in sys.stdin:
        data = (json.dumps(answer(root, ledger, uri, experiment)) + "\n").encode("utf-8")
        while data:
            data = data[os.write(replies, data) :]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
