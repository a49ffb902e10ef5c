"""Where a run came from: notebook, git commit and dirty flag, versions.

Reading the commit is a few small file reads (no subprocess). Whether the work
tree is dirty needs ``git status``, which costs milliseconds, so its answer is
cached per repository for ``dirty_ttl_s`` seconds (5 by default): the flag is
"dirty as of at most 5 seconds before the run".
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class GitState:
    """The commit a project is at, and whether tracked files have uncommitted changes."""

    commit: str | None
    dirty: bool | None


@dataclass
class Provenance:
    """Collects provenance for runs, caching what is slow to learn."""

    dirty_ttl_s: float = 5.0
    _dirty_cache: dict[Path, tuple[float, bool | None]] = field(default_factory=dict)
    _dir_cache: dict[Path, tuple[float, Path | None]] = field(default_factory=dict)

    def git(self, start: Path) -> GitState:
        """The git state of the repository that holds ``start``; Nones outside git."""
        now = time.monotonic()
        found = self._dir_cache.get(start)
        if (
            found is None or now - found[0] >= self.dirty_ttl_s
        ):  # where .git is: re-looked every 5 s
            found = (now, _find_git_dir(start))
            self._dir_cache[start] = found
        git_dir = found[1]
        if git_dir is None:
            return GitState(None, None)
        commit = _read_head(git_dir)
        cached = self._dirty_cache.get(git_dir)
        if cached is not None and now - cached[0] < self.dirty_ttl_s:
            dirty = cached[1]
        else:
            dirty = _git_dirty(git_dir.parent if git_dir.name == ".git" else start)
            self._dirty_cache[git_dir] = (now, dirty)
        return GitState(commit, dirty)


def notebook_path(root: Path | None = None) -> str | None:
    """The notebook this kernel runs, relative to ``root`` when inside it.

    Jupyter sets ``JPY_SESSION_NAME`` to the notebook's path for each kernel.
    """
    name = os.environ.get("JPY_SESSION_NAME")
    if not name:
        return None
    if root is not None:
        try:
            return Path(name).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return name


def python_version() -> str:
    return platform.python_version()


def _find_git_dir(start: Path) -> Path | None:
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():  # a worktree or submodule: "gitdir: PATH"
            text = candidate.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text.removeprefix("gitdir:").strip())
                return target if target.is_absolute() else (folder / target).resolve()
    return None


def _read_head(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head.removeprefix("ref:").strip()
    common = _common_dir(git_dir)
    for base in (git_dir, common):
        try:
            return (base / ref).read_text(encoding="utf-8").strip() or None
        except OSError:
            continue
    try:
        packed = (common / "packed-refs").read_text(encoding="utf-8")
    except OSError:
        return None  # a repository with no commits yet
    for line in packed.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None


def _common_dir(git_dir: Path) -> Path:
    try:
        text = (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return git_dir
    path = Path(text)
    return path if path.is_absolute() else (git_dir / path).resolve()


def _git_dirty(work_tree: Path) -> bool | None:
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=work_tree,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return bool(result.stdout.strip())
