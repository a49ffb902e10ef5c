"""Checks made before any work that ends in writing a file, so that refusals come first.

A command that runs notebooks or reads a whole project before writing should say
"that file exists" at once, not after the work. The write itself still goes
through :mod:`bizml_nb.core._io`, which checks again without a race.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bizml_nb.core._io import WriteError, make_folder, refuse_existing

__all__ = ["check_target", "make_folder", "write_beside"]

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def check_target(path: Path, *, force: bool, flag: str = "--force") -> None:
    """Refuse a folder where a file is to be written, and an existing file unless ``force``."""
    if path.is_dir():
        raise WriteError(
            f"{path} is a folder; give the name of a file to write "
            f"(e.g. {path / 'NAME'}); nothing was written"
        )
    refuse_existing(path, force=force, flag=flag)


def write_beside(
    path: Path, name: Callable[[int], str], write: Callable[[Path], None], *, limit: int = 999
) -> Path:
    """Write a new file beside ``path`` under the first free name ``name(1)``, ``name(2)``...

    ``write(candidate)`` must refuse an existing file (``force=False``) with a
    ``WriteError``; a name that is taken is skipped, never replaced. Returns the
    path written.
    """
    for number in range(1, limit + 1):
        candidate = path.with_name(name(number))
        if candidate.exists() or candidate.is_symlink():
            continue
        try:
            write(candidate)
        except WriteError:
            if candidate.exists() or candidate.is_symlink():
                continue  # taken between the check and the write
            raise
        return candidate
    raise WriteError(
        f"cannot write beside {path}: {name(1)} to {name(limit)} all exist; move some of them away"
    )
