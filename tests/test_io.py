"""bizml_nb.core._io: what every write promises, checked on the file system itself.

Each test names the thing on disk a write must not destroy (a pipe, a device
node, a link loop, a file created meanwhile) and checks it is still there, as it
was, after the write was refused with one message.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

import pytest

import bizml_nb
from bizml_nb.core._io import WriteError, atomic_write_text, locked, scratch_file
from bizml_nb.interfaces.cli import main

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("force", [False, True])
def test_a_named_pipe_is_never_replaced_even_with_force(tmp_path: Path, force: bool) -> None:
    """`--out fifo --force` used to swap the pipe for a regular file."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(WriteError) as info:
        atomic_write_text(pipe, "text", force=force)
    if force:
        assert str(info.value) == (
            f"{pipe} is a named pipe, not a file; nothing was written. Name a file"
        )
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no temporary file left


def test_a_link_to_a_device_is_refused_and_the_device_kept(tmp_path: Path) -> None:
    """A link to /dev/null, written with force: the write is refused before the rename."""
    link = tmp_path / "out.json"
    link.symlink_to("/dev/null")
    with pytest.raises(WriteError, match=r"out\.json is a device, not a file; nothing was written"):
        atomic_write_text(link, "{}", force=True)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert os.readlink(link) == "/dev/null"


def test_export_with_force_into_a_pipe_is_one_message(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command: exit 1, one line, the pipe still a pipe."""
    bizml_nb.init("shop")
    pipe = project_dir / "runs.json"
    os.mkfifo(pipe)
    capsys.readouterr()
    assert main(["ledger", "export", "--format", "json", "--out", str(pipe), "--force"]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: {pipe} is a named pipe, not a file; nothing was written. Name a file\n"
    )
    assert stat.S_ISFIFO(pipe.stat().st_mode)


def test_a_link_loop_is_one_message_not_a_traceback(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ln -s a b; ln -s b a`, then a write to `a`: a WriteError naming the loop."""
    a, b = project_dir / "a", project_dir / "b"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(WriteError) as info:
        atomic_write_text(a, "x", force=True)
    assert str(info.value) == (
        f"{a} is a symbolic link that leads back to itself; point it at a file, or remove it"
    )
    with pytest.raises(WriteError, match="leads back to itself"), locked(a):
        pass
    bizml_nb.init("shop")
    capsys.readouterr()
    assert main(["ledger", "export", "--format", "csv", "--out", str(a), "--force"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bizml: error: ")
    assert "leads back to itself" in err
    assert (os.readlink(a), os.readlink(b)) == (str(b), str(a))


def test_a_bizml_toml_linked_to_itself_is_one_message(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ln -s bizml.toml bizml.toml`, then `bizml init`: exit 1 with one line, link kept."""
    toml = project_dir / "bizml.toml"
    toml.symlink_to("bizml.toml")
    code = main(["init", "--currency", "EUR"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("bizml: error: ")
    assert err.count("\n") == 1
    assert os.readlink(toml) == "bizml.toml"


def test_a_file_created_while_writing_without_force_is_kept(tmp_path: Path) -> None:
    """force=False never replaces: the final step links the new file in only if nothing
    is there, so a file that appears after the check survives."""
    target = tmp_path / "report.md"

    def racing_writer(path: Path) -> None:
        path.write_text("ours")
        target.write_text("theirs")  # another program creates the target meanwhile

    from bizml_nb.core._io import atomic_write_with

    with pytest.raises(WriteError, match="already exists"):
        atomic_write_with(target, racing_writer, force=False)
    assert target.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_a_reference_replaces_an_earlier_reference_but_not_a_users_file(
    tmp_path: Path,
) -> None:
    """Reference.save: a re-run's save replaces the reference it saved before; a README in
    its place is refused (force=True replaces it); a file where a folder must be is one
    message."""
    import pandas as pd

    from bizml_nb.monitor import Reference

    frame = pd.DataFrame({"x": [0.1, 0.4, 0.35, 0.8] * 50, "proba": [0.2, 0.7, 0.4, 0.9] * 50})
    frame["pred"] = (frame["proba"] >= 0.5).astype(int)
    frame["y"] = [0, 1, 0, 1] * 50
    ref = Reference.fit(frame, features=["x"], prediction="pred", proba="proba", target="y")
    saved = ref.save(tmp_path / "reference.json")
    first = saved.read_bytes()
    assert ref.save(saved) == saved  # an earlier reference: replaced, as a notebook re-run does
    assert saved.read_bytes() == first
    readme = tmp_path / "README.md"
    readme.write_text("my precious notes")
    with pytest.raises(WriteError) as info:
        ref.save(readme)
    assert str(info.value) == (
        f"{readme} already exists; nothing was written. Choose another name, or pass "
        "force=True to replace it"
    )
    assert readme.read_text() == "my precious notes"
    ref.save(readme, force=True)
    assert Reference.load(readme).to_record() == ref.to_record()
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(WriteError) as info:
        ref.save(blocker / "ref.json")
    assert str(info.value) == (
        f"cannot write {blocker / 'ref.json'}: {blocker} is a file, not a folder"
    )


def test_a_temporary_file_replaced_while_writing_is_never_renamed_into_place(
    tmp_path: Path,
) -> None:
    """Writers that take a path (to_parquet, nbformat.write) write the temporary file by
    name; if that name now holds another file, the write is refused and the target kept."""
    from bizml_nb.core._io import atomic_write_with

    target = tmp_path / "report.md"
    target.write_text("kept")

    def swapping_writer(path: Path) -> None:
        path.unlink()
        path.write_text("someone else's file")

    with pytest.raises(WriteError, match=r"its temporary file .* was replaced"):
        atomic_write_with(target, swapping_writer, force=True)
    assert target.read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_bytes_and_path_writers_give_the_same_file_with_the_old_mode(tmp_path: Path) -> None:
    """A replaced file keeps its permission bits; bytes go through the descriptor whole."""
    from bizml_nb.core._io import atomic_write_bytes, atomic_write_with

    data = bytes(range(256)) * 4096  # 1 MiB, more than one write() may take
    target = tmp_path / "data.bin"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write_bytes(target, data)
    assert target.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    atomic_write_with(target, lambda path: path.write_bytes(data[::-1]))
    assert target.read_bytes() == data[::-1]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_scratch_file_is_new_beside_its_target_and_gone_after(tmp_path: Path) -> None:
    """papermill writes its notebook cell by cell to a scratch file, never to the target."""
    target = tmp_path / "run.ipynb"
    target.write_text("the user's notebook")
    with scratch_file(target, suffix=".ipynb") as scratch:
        assert scratch.parent == tmp_path
        assert scratch.name.startswith(".run.ipynb.")
        assert scratch.suffix == ".ipynb"
        assert scratch.read_bytes() == b""  # created empty, never an existing file
        scratch.write_text("half a notebook")
        atomic_write_text(target, "the executed notebook")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ipynb"]
    assert target.read_text() == "the executed notebook"


def test_a_scratch_file_is_removed_when_the_work_fails(tmp_path: Path) -> None:
    target = tmp_path / "run.ipynb"

    def interrupted() -> None:
        with scratch_file(target) as scratch:
            scratch.write_text("partial")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert list(tmp_path.iterdir()) == []


def test_a_scratch_file_beside_a_link_is_in_the_folder_of_the_linked_file(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "nb.ipynb").write_text("{}")
    link = tmp_path / "nb.ipynb"
    link.symlink_to(tmp_path / "real" / "nb.ipynb")
    with scratch_file(link) as scratch:
        assert scratch.parent == tmp_path / "real"


def test_a_scratch_file_in_a_missing_folder_is_one_message(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "run.ipynb"
    with pytest.raises(WriteError) as info, scratch_file(target):
        pass  # pragma: no cover - never entered
    assert str(info.value).startswith(f"cannot write {target}: ")
