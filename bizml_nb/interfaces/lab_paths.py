"""Paths for the JupyterLab routes: inside the server's root folder, or refused, and the project.

Paths come in relative to the server's root folder, ``/``-separated, as JupyterLab
names files. Every path is resolved (symbolic links followed) and must stay inside
the root, and so must a project's ``bizml.toml``, ledger and predictions folder. A project is found as
the kernel side finds it (:func:`bizml_nb.project`): the nearest folder at or above
the notebook's folder that holds a ``bizml.toml``; here it must also be inside the
root. The ledger is ``ROOT/.bizml/ledger.sqlite`` unless ``BIZML_LEDGER`` names
another file (inside the server's root too). A refusal is a :class:`LabError` whose
``status`` is the HTTP status the route answers with.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from bizml_nb.core.errors import BizmlError
from bizml_nb.core.ledger import Ledger, default_path
from bizml_nb.core.predictions import FOLDER as PREDICTIONS
from bizml_nb.core.registry import FILENAME, find_root
from bizml_nb.projects.project import Project


class LabError(BizmlError):
    """A request refused; ``status`` is the HTTP status the route answers with."""

    status: ClassVar[int] = 400


class Forbidden(LabError):
    """A path outside the server's root (``..``, absolute, or a link leading out)."""

    status = 403


class NotFound(LabError):
    """No such file or folder, or no project holding it."""

    status = 404


class Conflict(LabError):
    """The file to write exists already; nothing was written."""

    status = 409


# --------------------------------------------------------------------------- paths


def inside(root: Path, path: str, what: str = "path") -> Path:
    """``path`` (relative to ``root``, ``/``-separated) resolved; Forbidden if it leaves ``root``.

    >>> import tempfile; root = Path(tempfile.mkdtemp()).resolve()
    >>> inside(root, "a/../b") == root / "b"
    True
    >>> try:
    ...     inside(root, "../x")
    ... except Forbidden as exc:
    ...     print(exc.status, exc)
    403 path '../x' is outside the server's root folder
    """
    if not isinstance(path, str):
        raise LabError(f"{what} must be a text, a path relative to the server's root folder")
    if "\x00" in path or "\\" in path:
        raise LabError(f"{what} {path!r} holds a character a path may not hold")
    if PurePosixPath(path).is_absolute() or (len(path) > 1 and path[1] == ":"):
        raise Forbidden(
            f"{what} {path!r} is absolute; give it relative to the server's root folder"
        )
    resolved = (root / path).resolve()
    if not resolved.is_relative_to(root):
        raise Forbidden(f"{what} {path!r} is outside the server's root folder")
    return resolved


def relative(root: Path, path: Path) -> str:
    """``path`` as JupyterLab names it: relative to ``root``, ``/``-separated (``""``: the root)."""
    rel = path.relative_to(root).as_posix()
    return "" if rel == "." else rel


def kept_inside(root: Path, path: Path, what: str) -> Path:
    """``path`` resolved, or Forbidden naming ``what`` when it leads outside ``root``."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise Forbidden(f"the project's {what} leads outside the server's root folder")
    return resolved


@dataclass(frozen=True)
class Place:
    """Where a project lives, all inside the server's root: its folder, bizml.toml, ledger."""

    root: Path  # the server's root folder, resolved
    folder: Path
    registry: Path
    ledger: Path
    predictions: (
        Path  # <ledger folder>/predictions: the only folder its runs' predictions are read from
    )

    def version(self) -> str:
        """A token that changes whenever bizml.toml, the ledger or its predictions change.

        ``stat`` calls, and the text of bizml.toml (small) hashed: an edit of the same
        size within one tick of the file system's clock changes it too. The ledger's
        write-ahead log holds new runs until SQLite copies them into the file, so it
        is counted too.
        """
        parts: list[object] = [str(self.folder)]
        try:
            parts.append(hashlib.sha256(self.registry.read_bytes()).hexdigest())
        except OSError:
            parts.append(None)
        for path in (
            self.registry,
            self.ledger,
            self.ledger.with_name(self.ledger.name + "-wal"),
            self.predictions,
        ):
            try:
                st = path.stat()
            except OSError:
                parts.append(None)
                continue
            parts.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]

    def open(self) -> Project:
        """The project (close ``project.ledger`` when done)."""
        return Project(root=self.folder, ledger=Ledger(self.ledger))


def find(root: Path, path: str) -> Place:
    """The project holding ``path`` (a notebook or folder), found as the kernel finds it.

    Forbidden when ``path``, the bizml.toml, the ledger or its predictions folder lies
    outside ``root``;
    NotFound when ``path`` does not exist or no folder between it and ``root`` holds a
    bizml.toml.
    """
    start = inside(root, path)
    if not start.exists():
        raise NotFound(f"no file or folder {path!r} in the server's root folder")
    folder = find_root(start)
    if folder is None or not folder.is_relative_to(root):
        where = relative(root, start if start.is_dir() else start.parent) or "the root folder"
        raise NotFound(
            f"no {FILENAME} in {where} or above it inside the server's root folder; create "
            "a project with `bizml init` in a terminal (or `%bizml init` in a notebook) there"
        )
    registry = kept_inside(root, folder / FILENAME, FILENAME)
    ledger = default_path(folder)
    ledger = kept_inside(root, ledger if ledger.is_absolute() else Path.cwd() / ledger, "ledger")
    predictions = kept_inside(root, ledger.parent / PREDICTIONS, "predictions folder")
    return Place(root, folder, registry, ledger, predictions)


def version(root: Path, path: str) -> dict[str, Any]:
    """``{"version", "root"}``: what the panel polls (stat calls, and bizml.toml read)."""
    place = find(root, path)
    return {"version": place.version(), "root": relative(root, place.folder)}


def message(root: Path, exc: BaseException | str) -> str:
    """An error's message with the server's root folder left out of the paths it names."""
    text = str(exc)
    if root.parent == root:  # the server serves the whole file system: nothing to leave out
        return text
    for prefix in (str(root) + os.sep, str(root)):
        text = text.replace(prefix, "")
    return text
