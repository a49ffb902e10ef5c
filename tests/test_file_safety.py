"""No command overwrites or deletes a user's file without being told to.

Each test puts a user's file where a command would write, runs the command, and
checks the file's bytes afterwards, and the one message the command printed.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import nbformat
import pytest

import bizml_nb
from bizml_nb.interfaces import templates
from bizml_nb.interfaces.cli import main
from bizml_nb.interfaces.demo import MARKER, run_demo

HAND_WRITTEN = b"# My project\n\nWritten by hand; keep me.\n"


def exists_message(path: Path) -> str:
    return (
        f"bizml: error: {path} already exists; nothing was written. "
        "Choose another name, or pass --force to replace it\n"
    )


@pytest.fixture
def project(project_dir: Path) -> Path:
    """A project with a KPI, a link and two runs, in the current folder."""
    bizml_nb.init("shop", currency="USD")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", baseline=0.1)
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35)
    for name, value, flag in (("base", 0.40, True), ("better", 0.41, False)):
        with bizml_nb.experiment(name, target="take_rate", baseline=flag) as run:
            run.log({"ndcg@10": value})
    return project_dir


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (links as their target's text), by relative path."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = f"-> {os.readlink(path)}".encode()
        elif path.is_file():
            found[name] = path.read_bytes()
    return found


# --------------------------------------------------------------------------- bizml report


def test_report_refuses_to_overwrite_a_readme(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml report --out README.md --format md` leaves a hand-written README as it was."""
    readme = project / "README.md"
    readme.write_bytes(HAND_WRITTEN)
    assert main(["report", "--out", str(readme), "--format", "md"]) == 1
    assert capsys.readouterr().err == exists_message(readme)
    assert readme.read_bytes() == HAND_WRITTEN
    assert main(["report", "--out", str(readme), "--format", "md", "--force"]) == 0
    assert capsys.readouterr().out == f"wrote {readme}\n"
    assert readme.read_text().startswith("# shop: what the ML work does for the business")


def test_report_refuses_its_own_earlier_report_without_force(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default file too: a second `bizml report` asks for --force."""
    assert main(["report"]) == 0
    first = (project / "bizml-report.html").read_bytes()
    capsys.readouterr()
    assert main(["report"]) == 1
    assert capsys.readouterr().err == exists_message(project / "bizml-report.html")
    assert (project / "bizml-report.html").read_bytes() == first
    assert main(["report", "--force"]) == 0


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_report_never_touches_a_file_named_like_a_temp_file(
    project: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """`.NAME.tmp` beside the report: a user's file is kept, a link is not written through."""
    victim = project / "victim.txt"
    victim.write_bytes(HAND_WRITTEN)
    tmp_name = project / ".bizml-report.md.tmp"
    if kind == "file":
        tmp_name.write_bytes(HAND_WRITTEN)
    else:
        tmp_name.symlink_to(victim)
    assert main(["report", "--format", "md"]) == 0
    assert victim.read_bytes() == HAND_WRITTEN
    if kind == "file":
        assert tmp_name.read_bytes() == HAND_WRITTEN
    else:
        assert tmp_name.is_symlink()
    assert (project / "bizml-report.md").read_text().startswith("# shop")
    leftovers = {p.name for p in project.iterdir()} - {
        "bizml.toml",
        ".bizml",
        "victim.txt",
        ".bizml-report.md.tmp",
        "bizml-report.md",
    }
    assert {name for name in leftovers if not name.endswith(".lock")} == set()


def test_report_into_a_folder_is_one_message_and_leaves_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml report --out DIR`: exit 1, one line, the folder as it was, no temp file."""
    folder = project / "reports"
    folder.mkdir()
    (folder / "old.html").write_bytes(HAND_WRITTEN)
    before = files_in(project)
    for extra in ([], ["--force"]):
        assert main(["report", "--out", str(folder), *extra]) == 1
        assert capsys.readouterr().err == (
            f"bizml: error: {folder} is a folder; give the name of a file to write "
            f"(e.g. {folder / 'NAME'}); nothing was written\n"
        )
        assert files_in(project) == before


def test_report_under_a_file_is_one_message(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --out whose folder is a file: one message naming it, no traceback."""
    blocker = project / "notes.txt"
    blocker.write_bytes(HAND_WRITTEN)
    out = blocker / "report.html"
    assert main(["report", "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: cannot write {out}: {blocker} is a file, not a folder\n"
    )
    assert blocker.read_bytes() == HAND_WRITTEN


def _unwritable(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Creating a file in ``folder`` fails as in a folder without write permission.

    (A read-only folder does not stop root, who runs the tests in some containers.)
    """
    real = tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if Path(kwargs.get("dir") or "").resolve() == folder.resolve():
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def test_report_into_an_unwritable_folder_is_one_message(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project / "locked"
    folder.mkdir()
    _unwritable(monkeypatch, folder)
    assert main(["report", "--out", str(folder / "r.html")]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: cannot write {folder / 'r.html'}: permission denied; "
        "choose a folder you can write to\n"
    )
    assert list(folder.iterdir()) == []


def test_run_into_an_unwritable_folder_is_one_message(
    executed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before any cell runs; the notebook as it was."""
    before = executed.read_bytes()
    _unwritable(monkeypatch, executed.parent)
    assert main(["run", str(executed), "--no-progress"]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: cannot write {executed}: permission denied; "
        "choose a folder you can write to\n"
    )
    assert executed.read_bytes() == before
    assert sorted(p.name for p in executed.parent.iterdir()) == ["nb.ipynb"]


# --------------------------------------------------------------------------- bizml ledger export


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_writes_through_no_temp_name(
    project: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """`.runs.FMT.tmp` is a user's file or a link: both survive, the export is written."""
    victim = project / "victim.txt"
    victim.write_bytes(HAND_WRITTEN)
    (project / f".runs.{fmt}.tmp").symlink_to(victim)
    mine = project / "sub"
    mine.mkdir()
    (mine / f".runs.{fmt}.tmp").write_bytes(HAND_WRITTEN)
    for out in (project / f"runs.{fmt}", mine / f"runs.{fmt}"):
        assert main(["ledger", "export", "--format", fmt, "--out", str(out)]) == 0
        assert capsys.readouterr().out == f"wrote 2 runs to {out}\n"
    assert victim.read_bytes() == HAND_WRITTEN
    assert (mine / f".runs.{fmt}.tmp").read_bytes() == HAND_WRITTEN
    assert (project / f".runs.{fmt}.tmp").is_symlink()


def test_export_into_a_folder_is_one_message(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project / "exports"
    folder.mkdir()
    assert main(["ledger", "export", "--format", "csv", "--out", str(folder), "--force"]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: {folder} is a folder; give the name of a file to write "
        f"(e.g. {folder / 'NAME'}); nothing was written\n"
    )
    assert list(folder.iterdir()) == []


# --------------------------------------------------------------------------- bizml new / run


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = nbformat.v4.new_code_cell("fail: bool = False  # raise in cell 3")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, *(nbformat.v4.new_code_cell(source) for source in sources)]
    return nb


@pytest.fixture
def executed(tmp_path: Path) -> Path:
    """A notebook whose cells have run and hold their outputs: the user's work."""
    path = tmp_path / "nb.ipynb"
    nb = _notebook("print('cell 2')", "if fail:\n    raise ValueError('asked to fail')", "print(3)")
    templates.run(_write(path, nb), None, tmp_path / "done.ipynb", progress=False, cwd=tmp_path)
    (tmp_path / "done.ipynb").replace(path)
    assert nbformat.read(path, 4).cells[3].outputs[0]["text"] == "3\n"
    return path


def _write(path: Path, nb: nbformat.NotebookNode) -> Path:
    nbformat.write(nb, str(path))
    return path


def test_run_in_place_failure_keeps_the_notebook_and_saves_the_failure_beside_it(
    executed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml run nb.ipynb -p fail true`: nb.ipynb is byte-identical; nb.failed.ipynb has the run."""
    before = executed.read_bytes()
    argv = ["run", str(executed), "-p", "fail", "true", "--no-progress"]
    assert main(argv) == 1
    failed = executed.with_name("nb.failed.ipynb")
    assert capsys.readouterr().err == (
        f"bizml: error: {executed} failed in cell 3 (In [4]): ValueError: asked to fail\n"
        "  the cell begins: if fail:\n"
        f"  the notebook as executed so far, with the error marked, is in {failed}\n"
        f"  {executed} was not changed\n"
    )
    assert executed.read_bytes() == before
    saved = nbformat.read(failed, 4)
    errors = [o for c in saved.cells if c.cell_type == "code" for o in c.outputs]
    assert [o["ename"] for o in errors if o["output_type"] == "error"] == ["ValueError"]
    # a second failure never replaces the first one's file
    first = failed.read_bytes()
    assert main(argv) == 1
    second = executed.with_name("nb.failed-2.ipynb")
    assert f"is in {second}\n" in capsys.readouterr().err
    assert failed.read_bytes() == first
    assert executed.read_bytes() == before
    assert sorted(p.name for p in executed.parent.iterdir()) == [
        "nb.failed-2.ipynb",
        "nb.failed.ipynb",
        "nb.ipynb",
    ]


def test_run_in_place_success_replaces_the_notebook(
    executed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In place and every cell ran: the notebook is updated (the documented default)."""
    assert main(["run", str(executed), "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {executed} (executed in ")
    nb = nbformat.read(executed, 4)
    assert nb.cells[3].outputs[0]["text"] == "3\n"
    assert nb.metadata.papermill.output_path == str(executed)
    assert sorted(p.name for p in executed.parent.iterdir()) == ["nb.ipynb"]


def test_run_refuses_an_existing_out_before_running(
    executed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml run X --out precious.ipynb`: refused at once; --force replaces it on success."""
    precious = executed.with_name("precious.ipynb")
    precious.write_bytes(HAND_WRITTEN)
    assert main(["run", str(executed), "--out", str(precious), "--no-progress"]) == 1
    assert capsys.readouterr().err == exists_message(precious)
    assert precious.read_bytes() == HAND_WRITTEN
    assert main(["run", "roi_analysis", "--out", str(precious)]) == 1
    assert capsys.readouterr().err == exists_message(precious)
    assert precious.read_bytes() == HAND_WRITTEN
    # --force, but the run fails: precious.ipynb is kept, the failure goes beside it
    argv = ["run", str(executed), "--out", str(precious), "--force", "--no-progress"]
    assert main([*argv, "-p", "fail", "true"]) == 1
    err = capsys.readouterr().err
    assert err.endswith(
        f"is in {executed.with_name('precious.failed.ipynb')}\n  {precious} was not changed\n"
    )
    assert precious.read_bytes() == HAND_WRITTEN
    assert main(argv) == 0
    assert nbformat.read(precious, 4).cells[3].outputs[0]["text"] == "3\n"


def test_run_keeps_its_work_when_out_appears_while_it_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file created at --out during the run is kept; the executed notebook goes beside it."""
    out = tmp_path / "out.ipynb"
    nb = _notebook(f"open({str(out)!r}, 'w').write('mine')", "print(3)")
    source = _write(tmp_path / "nb.ipynb", nb)
    assert main(["run", str(source), "--out", str(out), "--no-progress"]) == 1
    kept = tmp_path / "out.executed.ipynb"
    assert capsys.readouterr().err == (
        f"bizml: error: {out} already exists; nothing was written. Choose another "
        f"name, or pass --force to replace it\n  the notebook as executed is in {kept}\n"
    )
    assert out.read_text() == "mine"
    assert nbformat.read(kept, 4).cells[2].outputs[0]["text"] == "3\n"


def test_run_a_notebook_with_braces_in_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """papermill formats paths with the parameters: a name with {x} is still itself."""
    source = _write(tmp_path / "nb {fail}.ipynb", _notebook("print(3)"))
    assert main(["run", str(source), "-p", "fail", "false", "--no-progress"]) == 0
    assert nbformat.read(source, 4).cells[2].outputs[0]["text"] == "3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb {fail}.ipynb"]


def test_run_into_a_folder_is_one_message(
    executed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = executed.with_name("out.ipynb")
    folder.mkdir()
    assert main(["run", str(executed), "--out", str(folder), "--force"]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: {folder} is a folder; give the name of a file to write "
        f"(e.g. {folder / 'NAME'}); nothing was written\n"
    )


def test_new_refuses_an_existing_notebook_and_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml new` names the file and the flag; into a folder, it says it is a folder."""
    mine = tmp_path / "mine.ipynb"
    mine.write_bytes(HAND_WRITTEN)
    assert main(["new", "roi_analysis", str(mine)]) == 1
    assert capsys.readouterr().err == exists_message(mine)
    assert mine.read_bytes() == HAND_WRITTEN
    folder = tmp_path / "dir.ipynb"
    folder.mkdir()
    assert main(["new", "roi_analysis", str(folder), "--force"]) == 1
    assert "is a folder; give the name of a file to write" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.ipynb", "mine.ipynb"]


# --------------------------------------------------------------------------- bizml demo


@pytest.fixture
def quick_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """`bizml demo` with each notebook 'run' by writing a small file, and a stub report."""

    def fake_run(notebook: object, parameters: object, out: Path, **_: object) -> object:
        out.write_text("{}")
        (out.parent / "bizml.toml").write_text("[project]\n")
        (out.parent / ".bizml").mkdir(exist_ok=True)
        (out.parent / ".bizml" / "ledger.sqlite").write_bytes(b"sqlite")
        return templates.Execution(out, 0.1, "", None)

    def fake_report(project: object, out: Path, **_: object) -> Path:
        out.write_text("<html></html>")
        return out

    monkeypatch.setattr(templates, "run", fake_run)
    monkeypatch.setattr("bizml_nb.present.report.build_report", fake_report)


def test_demo_manifest_lists_what_it_made_and_a_rerun_replaces_it(
    tmp_path: Path, quick_demo: None
) -> None:
    """The marker lists every file and folder made; running again deletes exactly those."""
    root = tmp_path / "demo"
    run_demo(root, progress=False)
    manifest = json.loads((root / MARKER).read_text())
    made = files_in(root)
    assert sorted(manifest["files"]) == sorted(name for name in made if name != MARKER)
    assert "recsys_take_rate/.bizml" in manifest["folders"]
    assert manifest["complete"] is True
    (root / "quickstart" / "extra.txt").unlink(missing_ok=True)  # nothing foreign yet
    run_demo(root, progress=False)
    assert files_in(root) == made


def test_demo_refuses_a_folder_with_a_user_file_and_changes_nothing(
    tmp_path: Path, quick_demo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A demo folder where the user added model.py: refused, naming it; not a file deleted."""
    root = tmp_path / "demo"
    run_demo(root, progress=False)
    (root / "recsys_take_rate" / "model.py").write_bytes(HAND_WRITTEN)
    (root / "notes").mkdir()
    before = files_in(root)
    assert main(["demo", "--dir", str(root), "--no-progress"]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: {root} holds files `bizml demo` did not make: {root / 'notes'}, "
        f"{root / 'recsys_take_rate' / 'model.py'}; nothing was changed. Move them out of the "
        "folder, or give --dir a new or empty folder (if an earlier demo was interrupted "
        "there, delete the folder yourself)\n"
    )
    assert files_in(root) == before
    assert (root / "notes").is_dir()


def test_demo_refuses_a_marker_without_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder holding only the old marker text and a user's model.py: model.py survives."""
    root = tmp_path / "old"
    root.mkdir()
    (root / MARKER).write_text("made by `bizml demo`; running it again replaces this folder\n")
    (root / "model.py").write_bytes(HAND_WRITTEN)
    before = files_in(root)
    assert main(["demo", "--dir", str(root), "--no-progress"]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: {root / MARKER} does not list what `bizml demo` made in {root} (an "
        "older version made it, or it was changed), so nothing was changed. Delete the folder "
        "yourself, or give --dir a new or empty folder\n"
    )
    assert files_in(root) == before


def test_demo_does_not_follow_a_link_it_did_not_make(
    tmp_path: Path, quick_demo: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder the demo made, replaced by a link to the user's folder: refused, nothing deleted."""
    root = tmp_path / "demo"
    run_demo(root, progress=False)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "quickstart.ipynb").write_bytes(HAND_WRITTEN)
    for path in sorted((root / "quickstart").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (root / "quickstart").rmdir()
    (root / "quickstart").symlink_to(mine)
    assert main(["demo", "--dir", str(root), "--no-progress"]) == 1
    assert f"did not make: {root / 'quickstart'};" in capsys.readouterr().err
    assert (mine / "quickstart.ipynb").read_bytes() == HAND_WRITTEN


# --------------------------------------------------------------------------- one way to write

#: calls that create, fill or rename a file by hand (attribute name -> what it is)
_HAND_ROLLED = {
    "mkstemp": "a temporary file",
    "mkdtemp": "a temporary folder",
    "NamedTemporaryFile": "a temporary file",
    "replace": "a rename (os.replace)",
    "rename": "a rename",
    "write_text": "a write (Path.write_text)",
    "write_bytes": "a write (Path.write_bytes)",
    "to_csv": "a write (to_csv)",
    "to_parquet": "a write (to_parquet)",
    "savefig": "a write (savefig)",
}


def _writes_by_hand(source: str) -> list[tuple[int, str]]:
    """(line, what) for each file write in ``source`` that does not go through core._io.

    Calls that only exist to be handed to an _io helper (``frame.to_csv(path)``
    inside the function given to ``atomic_write_with``) are allowed where the path is
    a parameter of an enclosing function; ``savefig`` into a buffer is not a file.
    """
    import ast

    tree = ast.parse(source)
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, params: set[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            params = params | {a.arg for a in node.args.args + node.args.kwonlyargs}
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
            to_param = isinstance(first, ast.Name) and first.id in params
            if name in ("replace", "rename"):  # os.replace, not str.replace or dataclasses'
                if isinstance(func, ast.Attribute) and ast.unparse(func.value) == "os":
                    found.append((node.lineno, _HAND_ROLLED[name]))
            elif name in ("to_csv", "to_parquet", "savefig"):
                if not to_param and not (isinstance(first, ast.Name) and first.id == "buffer"):
                    found.append((node.lineno, _HAND_ROLLED[name]))
            elif name in _HAND_ROLLED:
                found.append((node.lineno, _HAND_ROLLED[name]))
            elif name in ("open", "fdopen"):
                # open(file, mode) and os.fdopen(fd, mode); path.open(mode)
                method = isinstance(func, ast.Attribute) and name == "open"
                position = node.args[:1] if method else node.args[1:2]
                modes = [*position, *(k.value for k in node.keywords if k.arg == "mode")]
                for mode in modes:
                    if isinstance(mode, ast.Constant) and set(str(mode.value)) & set("wax+"):
                        found.append((node.lineno, f"a write (open {mode.value!r})"))
        for child in ast.iter_child_nodes(node):
            visit(child, params)

    visit(tree, set())
    return found


def test_every_file_write_goes_through_io() -> None:
    """Atomic writes, no-overwrite and scratch files live in bizml_nb/core/_io.py alone:
    no other module makes a temporary file, renames one or writes a file itself."""
    package = Path(bizml_nb.__file__).parent
    found = [
        f"{path.relative_to(package.parent)}:{line}: {what}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "_io.py"
        for line, what in _writes_by_hand(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_write_check_sees_writes_by_hand() -> None:
    source = (
        "import os, tempfile\n"
        "def save(path, text):\n"
        "    fd, tmp = tempfile.mkstemp(dir='.')\n"
        "    open(tmp, 'w').write(text)\n"
        "    os.replace(tmp, 'out.txt')\n"
        "    frame.to_csv('out.csv')\n"
        "    frame.to_csv(path)\n"  # a path handed in by atomic_write_with: allowed
        "    open(path).read()\n"  # reading: allowed
    )
    assert _writes_by_hand(source) == [
        (3, "a temporary file"),
        (4, "a write (open 'w')"),
        (5, "a rename (os.replace)"),
        (6, "a write (to_csv)"),
    ]
