"""Safe writes: atomic replacement, refusal to overwrite, and cross-process locks.

Every file bizml_nb writes goes through here, so three promises hold everywhere:

- **Nothing half-written.** Text and bytes go to a uniquely named temporary file
  in the target's folder (``tempfile.mkstemp``: created with ``O_EXCL``, so it
  never follows or replaces a file or link that happens to exist), are flushed to
  disk, then renamed over the target. On any failure the temporary file is
  removed and the target is untouched.
- **Nothing overwritten unasked.** ``force=False`` refuses an existing target
  with a message naming the file and the flag that allows it.
- **Links are edited through.** When the target is a symbolic link, the file it
  points to is replaced and the link stays a link.

``scratch_file(path)`` gives a tool that writes its output while it works
(papermill) a private file beside ``path``, removed afterwards; the finished output
then goes to ``path`` atomically. ``locked(path)`` holds an exclusive lock file
beside ``path`` (``fcntl.flock``) for a read-modify-write; the lock file records its
holder (pid, host, command) so a timeout can say who holds it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bizml_nb.core.errors import BizmlError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

LOCK_TIMEOUT_S = 30.0


class WriteError(BizmlError):
    """A file could not be written, or would have overwritten one the user did not name."""


def refuse_existing(path: Path, *, force: bool, flag: str = "--force") -> None:
    """Raise ``WriteError`` when ``path`` exists and ``force`` is not set.

    ``flag`` names how the caller allows a replacement (``--force`` on the command
    line, ``force=True`` from Python).
    """
    if force or not (path.exists() or path.is_symlink()):
        return
    if path.is_dir():
        raise WriteError(f"{path} is a folder; nothing was written. Give the name of a file")
    raise WriteError(
        f"{path} already exists; nothing was written. "
        f"Choose another name, or pass {flag} to replace it"
    )


def is_bizml_file(path: Path, file_format: str) -> bool:
    """Whether ``path`` is a JSON file bizml_nb wrote with ``"format": file_format``.

    Reads at most the first 4 KiB: the format key is near the top of every such file.
    """
    import re

    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return re.search(r'"format"\s*:\s*"' + re.escape(file_format) + '"', head) is not None


def make_folder(path: Path) -> None:
    """Create the folder that will hold ``path`` (and its parents), or say why not."""
    folder = path.parent
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise WriteError(f"cannot write {path}: {folder} is a file, not a folder") from None
    except NotADirectoryError:
        raise WriteError(
            f"cannot write {path}: a part of {folder} is a file, not a folder"
        ) from None
    except PermissionError:
        raise WriteError(
            f"cannot create the folder {folder} for {path}: permission denied; "
            "choose a folder you can write to"
        ) from None
    except OSError as exc:
        raise WriteError(
            f"cannot create the folder {folder} for {path}: {exc.strerror or exc}"
        ) from None


def target_of(path: Path) -> Path:
    """The file a write to ``path`` should replace: the link's target for a symlink."""
    path = Path(path)
    if path.is_symlink():
        try:
            return path.resolve(strict=False)
        except (RuntimeError, OSError):  # a loop of links
            raise WriteError(
                f"{path} is a symbolic link that leads back to itself; point it at a file, "
                "or remove it"
            ) from None
    return path


def _special(target: Path) -> str | None:
    """What ``target`` is when it exists but is not a regular file (None otherwise)."""
    import stat

    try:
        mode = target.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def atomic_write_text(
    path: Path | str, text: str, *, force: bool = True, flag: str = "--force"
) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically; return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"), force=force, flag=flag)


def atomic_write_bytes(
    path: Path | str, data: bytes, *, force: bool = True, flag: str = "--force"
) -> Path:
    """Write ``data`` to ``path`` atomically (see the module's promises); return the path."""

    return _atomic(path, lambda fd, _tmp: _write_all(fd, data), force=force, flag=flag)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def atomic_write_with(
    path: Path | str,
    write: Callable[[Path], None],
    *,
    force: bool = True,
    flag: str = "--force",
) -> Path:
    """Let ``write`` fill a fresh temporary file, then rename it over ``path``.

    For writers that want a path rather than bytes (``DataFrame.to_parquet``,
    ``nbformat.write``). The temporary file is in the target's folder, has a name
    no other file has, and is removed if ``write`` or the rename fails. The file
    renamed into place is the one created for this write: if anything replaced the
    temporary file meanwhile, nothing is written.
    """

    def fill(fd: int, tmp: Path) -> None:
        write(tmp)
        now = os.stat(tmp, follow_symlinks=False)
        mine = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino):
            raise WriteError(f"cannot write {path}: its temporary file {tmp} was replaced")

    return _atomic(path, fill, force=force, flag=flag)


@contextlib.contextmanager
def scratch_file(path: Path | str, *, suffix: str = ".tmp") -> Iterator[Path]:
    """A new empty file beside ``path`` for a writer that fills it over time; removed after.

    For a tool that writes its output while it works (papermill writes the notebook
    after every cell): it writes here, never to ``path``, and the caller puts the
    finished result in place with :func:`atomic_write_text`. The file is created
    with ``O_EXCL`` in the (link-resolved) target's folder under a name no other file
    has, and removed when the block ends, however it ends.
    """
    path = Path(path)
    target = target_of(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {_reason(exc)}") from None
    os.close(fd)
    scratch = Path(name)
    try:
        yield scratch
    finally:
        with contextlib.suppress(OSError):
            scratch.unlink()


def _atomic(
    path: Path | str,
    fill: Callable[[int, Path], None],
    *,
    force: bool,
    flag: str,
) -> Path:
    """Create the temporary file, let ``fill`` write it (by descriptor or path), commit it."""
    path = Path(path)
    refuse_existing(path, force=force, flag=flag)
    target = target_of(path)
    if target.is_dir():
        raise WriteError(f"{path} is a folder; give the name of a file to write")
    special = _special(target)
    if special:  # replacing it would remove a pipe or a device node, even with --force
        raise WriteError(f"{path} is {special}, not a file; nothing was written. Name a file")
    folder = target.parent
    if not folder.is_dir():
        raise WriteError(
            f"cannot write {path}: the folder {folder} does not exist; create it first"
        )
    mode = _mode_of(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {_reason(exc)}") from None
    tmp = Path(tmp_name)
    try:
        fill(fd, tmp)
        os.fsync(fd)
        os.fchmod(fd, mode)
        if force:
            os.replace(tmp, target)
        else:
            _link_new(tmp, path, flag)
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {_reason(exc)}") from None
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path


def _link_new(tmp: Path, path: Path, flag: str) -> None:
    """Put ``tmp`` at ``path`` only if nothing is there yet (no check-then-write race)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        refuse_existing(path, force=False, flag=flag)
        raise  # pragma: no cover - refuse_existing raised already
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        refuse_existing(path, force=False, flag=flag)
        os.replace(tmp, path)  # a file system without hard links


def _mode_of(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; choose a folder you can write to"
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror or str(exc)


@contextlib.contextmanager
def locked(path: Path | str, *, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive cross-process lock for a read-modify-write of ``path``.

    The lock is a file beside the (link-resolved) target, ``.NAME.lock``; it is
    left in place (removing it would race with the next holder). Re-entrant within
    a process is not supported: take the lock once per edit.
    """
    import fcntl

    target = target_of(Path(path))
    lock_path = target.with_name(f".{target.name}.lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        raise WriteError(f"cannot lock {path} ({lock_path}): {_reason(exc)}") from None
    try:
        deadline = time.monotonic() + timeout_s
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(fd)
                    raise WriteError(
                        f"{path} is being edited by another process ({holder}); waited "
                        f"{timeout_s:.0f} s for its lock {lock_path}. Try again when it has "
                        "finished; if that process is gone, delete the lock file"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        _record_holder(fd)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _record_holder(fd: int) -> None:
    command = " ".join(sys.argv[:3])[:200]
    text = f"pid {os.getpid()} on {socket.gethostname()}: {command}\n".encode()
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, text, 0)


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 400, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"
