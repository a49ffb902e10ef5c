"""``bizml demo``: a whole worked project in one command.

Creates a demo folder, executes the example notebooks (each in its own project
folder, so each gets its own bizml.toml and ledger) and the templates with their
defaults, builds a report per project, and says what to open next.

Running it again replaces the previous demo, deleting only what the demo made
and nobody has changed since. Its marker file (``.bizml-demo``) is a manifest:
every folder the demo made, and every file with the sha256 of its content as the
demo left it. A folder is used only when it is new, empty, or holds what its
manifest lists, unchanged. Anything else makes the demo refuse, naming the
files, with nothing changed: a file or folder the manifest does not list (a
user's own, or one added since), and a listed file whose content changed. What
counts as the user's work:

- The content of every listed file: an edited notebook or ``bizml.toml``, and a
  ledger that holds runs recorded since. A run recorded in a demo project changes
  its ``.bizml/ledger.sqlite`` or, while the kernel that recorded it runs (or if it
  was stopped before closing the ledger), fills the ledger's ``-wal`` file
  (SQLite's write-ahead log: writes not yet copied into the file). The demo
  settles each ledger (copies its log into the file) before writing the manifest,
  because reading a ledger settles it too: a ledger that was only read stays
  unchanged.
- Not the user's work, so deleted whatever they hold, beside a listed file: the
  ledger's ``-shm`` file (SQLite's index of the log, rebuilt from the log), an
  empty ``-wal`` file (an open connection's log with nothing in it), and the
  ``.bizml.toml.lock`` file that registry edits take beside a listed
  ``bizml.toml`` (it names the last process that held it, nothing else).
- Jupyter's ``.ipynb_checkpoints/NAME-checkpoint.EXT`` beside a listed
  ``NAME.EXT`` is a copy of that file as Jupyter last saved it. A copy identical
  to what the demo wrote (a notebook opened, or saved unedited) is deleted with its
  folder; one that differs holds a version the user saved and counts as changed.

A manifest written by an older version lists names without contents, so it
cannot show that a file is unchanged: the demo refuses, and says to delete the
folder yourself or give ``--dir`` another folder.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from bizml_nb.core._io import atomic_write_text
from bizml_nb.core.errors import BizmlError

if TYPE_CHECKING:
    from bizml_nb.projects.project import Project

MARKER = ".bizml-demo"
MANIFEST_FORMAT = "bizml.demo-manifest"
MANIFEST_VERSION = 2  # 2: each file with its sha256; none (version 1): names only
LOCK = ".bizml.toml.lock"  # bizml_nb.core._io.locked's lock file for bizml.toml
CHECKPOINTS = ".ipynb_checkpoints"
_SHA256 = re.compile("[0-9a-f]{64}")
EXAMPLES = ("quickstart", "recsys_take_rate", "fraud_threshold", "realised_value")
TEMPLATES = (
    "roi_analysis",
    "adoption_maturity",
    "scalability_planning",
    "silent_failure_monitoring",
)


@dataclass
class DemoResult:
    """Where the demo put things, and how long each step took."""

    root: Path
    notebooks: list[tuple[Path, float]] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    def text(self) -> str:
        lines = [
            f"bizml demo: done in {self.seconds:.0f} s, in {self.root}",
            "",
            "Executed notebooks:",
        ]
        lines += [f"  {path}  ({seconds:.1f} s)" for path, seconds in self.notebooks]
        lines += ["", "Reports for decision makers (open in a browser, no network needed):"]
        lines += [f"  {path}" for path in self.reports]
        first = self.root / "recsys_take_rate" / "recsys_take_rate.ipynb"
        lines += [
            "",
            "Next (the Markdown report goes to the current folder, not into the demo's,"
            " which a re-run replaces):",
            f"  jupyter lab {first}",
            f"  bizml -C {first.parent} ledger list",
            f"  bizml report {first.parent} --format md --out recsys_take_rate-report.md",
        ]
        return "\n".join(lines)


def examples_dir() -> Path:
    """The example notebooks: inside the installed package, else the repository's notebooks/."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "data" / "examples", package.parent / "notebooks"):
        if (candidate / "quickstart.ipynb").is_file():
            return candidate
    raise BizmlError("the example notebooks are missing from this installation of bizml_nb")


def run_demo(root: Path | str = "bizml-demo", *, progress: bool = True) -> DemoResult:
    """Build the demo in ``root`` (replacing an earlier demo there); return what it made."""
    started = time.perf_counter()
    root = Path(root).expanduser().resolve()
    _prepare(root)
    try:
        return _build(root, started, progress)
    finally:
        _write_manifest(root, complete=True)  # everything in root now was made by this run


def _build(root: Path, started: float, progress: bool) -> DemoResult:
    from bizml_nb.interfaces.templates import run
    from bizml_nb.present.report import build_report
    from bizml_nb.projects.project import Projects

    result = DemoResult(root)
    source = examples_dir()
    for name in EXAMPLES:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"{name}.ipynb"
        _say(progress, f"running {name} ...")
        done = run(
            source / f"{name}.ipynb", {"workdir": str(folder)}, out, progress=progress, cwd=folder
        )
        result.notebooks.append((out, done.seconds))
    templates = root / "templates"
    templates.mkdir(exist_ok=True)
    for name in TEMPLATES:
        out = templates / f"{name}.ipynb"
        _say(progress, f"running the {name} template ...")
        done = run(name, None, out, progress=progress, cwd=templates)
        result.notebooks.append((out, done.seconds))
    projects = Projects()
    try:
        recsys = root / "recsys_take_rate"
        parameters = roi_parameters(projects.get(recsys))
        if parameters is not None:  # a run with a yearly value: what is it worth over years?
            out = recsys / "roi_analysis.ipynb"
            _say(progress, "running the roi_analysis template on the recommender's best run ...")
            done = run("roi_analysis", parameters, out, progress=progress, cwd=recsys)
            result.notebooks.append((out, done.seconds))
        for name in EXAMPLES:  # each report holds its own project's notebooks, no other
            folder = root / name
            patterns = [str(Path(glob.escape(str(folder))) / "*.ipynb")]
            result.reports.append(
                build_report(projects.get(folder), folder / "report.html", notebooks=patterns)
            )
    finally:
        projects.close()
    result.seconds = time.perf_counter() - started
    return result


#: The recommender's ROI inputs besides its benefit: the worked example's (notebooks/roi_example),
#: illustrations that its record names as such.
ROI_COSTS = {
    "data_cost": 30_000.0,
    "eng_months": 18.0,
    "monthly_rate": 20_000.0,
    "infra_setup": 120_000.0,
    "cloud_per_year": 400_000.0,
    "maintenance_share": 0.25,
    "ramp_months": 3.0,
    "years": 3,
    "maturity_level": 1,
}


def roi_parameters(project: Project) -> dict[str, object] | None:
    """The ROI template's parameters for a project's best run, as roi_example sets them: the
    benefit is the run's yearly value, its 90% range read as such (``benefit_range="90%"``);
    None when no run has a yearly value."""
    from bizml_nb.present.report import gather

    found = gather(project, charts=False)
    scored = [row for row in found.experiments if row.get("label") is not None]
    material = [row for row in scored if str(row["label"]) == "material"]
    if not scored or scored[0].get("value_mid") is None:
        return None
    best = (material or scored)[0]
    low, mid, high = (
        float(f"{float(best[k]):.3g}") for k in ("value_low", "value_mid", "value_high")
    )
    return {
        "project_name": f"{found.project}: {best['name']}",
        "benefit_source": f"the predicted yearly value of run {str(best['name'])!r} "
        "(90% range; illustrative figures)",
        "annual_benefit_low": low,
        "annual_benefit_mode": mid,
        "annual_benefit_high": high,
        "benefit_range": "90%",
        **ROI_COSTS,
    }


def _prepare(root: Path) -> None:
    """Make ``root`` an empty folder holding only an in-progress manifest, or refuse."""
    if root.exists() or root.is_symlink():
        if not root.is_dir():
            raise BizmlError(f"{root} is a file; give --dir a folder for the demo")
        if (root / MARKER).is_file():
            _clear(root, _manifest(root))  # an earlier demo: delete what it made
        elif any(root.iterdir()):
            raise BizmlError(
                f"{root} is not empty and was not made by `bizml demo`; nothing was changed. "
                "Give --dir a new or empty folder"
            )
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BizmlError(f"cannot create the demo folder {root}: {exc.strerror or exc}") from None
    _write_manifest(root, complete=False)


def _manifest(root: Path) -> tuple[dict[str, str], set[str]]:
    """The files (with their sha256) and folders an earlier demo in ``root`` made."""
    marker = root / MARKER
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(data.get("format"))
        names_only = "version" not in data and isinstance(data["files"], list)
        if not names_only:
            files = data["files"]
            if data.get("version") != MANIFEST_VERSION or not all(
                isinstance(name, str) and isinstance(digest, str) and _SHA256.fullmatch(digest)
                for name, digest in files.items()
            ):
                raise ValueError(data.get("version"))
            folders = {str(name) for name in data["folders"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        raise BizmlError(
            f"{marker} does not list what `bizml demo` made in {root} (an older version made "
            "it, or it was changed), so nothing was changed. Delete the folder yourself, or "
            "give --dir a new or empty folder"
        ) from None
    if names_only:
        raise BizmlError(
            f"{marker} was written by an older `bizml demo`: it lists the files it made in "
            f"{root} by name only, so it cannot show that they are unchanged; nothing was "
            "changed. Keep what you want from the folder and delete it yourself, or give "
            "--dir a new or empty folder"
        )
    return dict(files), folders


def _clear(root: Path, manifest: tuple[dict[str, str], set[str]]) -> None:
    """Delete what the manifest lists, unchanged; refuse if anything else is there."""
    files, folders = manifest
    entries = _entries(root)
    verdicts: dict[str, list[str]] = {"made": [], "changed": [], "foreign": []}
    for name, is_folder in sorted(entries.items()):
        if name != MARKER:
            verdict = _folder(name, folders) if is_folder else _file(root, name, files)
            verdicts[verdict].append(name)
    if verdicts["changed"] or verdicts["foreign"]:
        raise BizmlError(_refusal(root, verdicts["foreign"], verdicts["changed"]))
    for name in sorted(verdicts["made"], key=lambda name: name.count("/"), reverse=True):
        path = root / name  # deepest first: a folder is empty when its turn comes
        try:
            if entries[name]:
                path.rmdir()
            else:
                path.unlink()
        except OSError as exc:
            raise BizmlError(
                f"cannot delete {path} from the earlier demo: {exc.strerror or exc}; "
                "the files listed before it were deleted"
            ) from None


def _folder(name: str, folders: set[str]) -> str:
    """A folder the demo made, or Jupyter's checkpoints in one; else foreign."""
    path = PurePosixPath(name)
    parent = str(path.parent)
    ours = name in folders or (path.name == CHECKPOINTS and (parent == "." or parent in folders))
    return "made" if ours else "foreign"


def _file(root: Path, name: str, files: dict[str, str]) -> str:
    """'made' (unchanged, or not the user's work), 'changed' or 'foreign', as the docstring says."""
    path = PurePosixPath(name)
    beside = {
        LOCK: str(path.with_name("bizml.toml")),
        "-shm": name.removesuffix("-shm"),
        "-wal": name.removesuffix("-wal"),
    }
    if path.name == LOCK and beside[LOCK] in files:
        return "made"
    if name.endswith("-shm") and beside["-shm"] in files:
        return "made"
    if name in files:
        return "made" if _digest(root / name) == files[name] else "changed"
    if name.endswith("-wal") and beside["-wal"] in files:
        return "made" if _empty(root / name) else "changed"
    if path.parent.name == CHECKPOINTS:
        stem, ext = os.path.splitext(path.name)
        original = str(path.parent.parent / (stem.removesuffix("-checkpoint") + ext))
        if stem.endswith("-checkpoint") and original in files:
            return "made" if _digest(root / name) == files[original] else "changed"
    return "foreign"


def _refusal(root: Path, foreign: list[str], changed: list[str]) -> str:
    def shown(names: list[str]) -> str:
        text = ", ".join(str(root / name) for name in names[:5])
        return text + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    if not changed:
        return (
            f"{root} holds files `bizml demo` did not make: {shown(foreign)}; nothing was "
            "changed. Move them out of the folder, or give --dir a new or empty folder "
            "(if an earlier demo was interrupted there, delete the folder yourself)"
        )
    held = f"files `bizml demo` did not make: {shown(foreign)}, and " if foreign else ""
    return (
        f"{root} holds {held}files changed since `bizml demo` made them (edits, or runs "
        f"recorded in a ledger): {shown(changed)}; nothing was changed. To keep them, move "
        "them out of the folder or give --dir a new or empty folder; to discard them, "
        "delete the folder yourself"
    )


def _digest(path: Path) -> str | None:
    """The sha256 of a regular file's content, links not followed (None: not one, unreadable)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        try:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        except OSError:
            return None
    return digest.hexdigest()


def _empty(path: Path) -> bool:
    try:
        return not path.is_symlink() and path.stat().st_size == 0
    except OSError:
        return False


def _entries(root: Path) -> dict[str, bool]:
    """Every file, link and folder under ``root`` (links not followed): True for a folder."""
    found: dict[str, bool] = {}
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder).relative_to(root)
        for name in dirnames:
            path = Path(folder) / name
            found[(here / name).as_posix()] = not path.is_symlink()
        for name in filenames:
            found[(here / name).as_posix()] = False
    return found


#: How long the demo waits for a kernel that is still shutting down to let go of a ledger.
SETTLE_WAIT_S = 10.0


def _settle_ledgers(root: Path, *, wait_s: float = SETTLE_WAIT_S) -> None:
    """Copy each SQLite write-ahead log under ``root`` into its database, and remove it.

    A kernel that exits without closing its ledger leaves the log (``-wal``) and its
    index (``-shm``) behind; the next reader would copy the log into the file, changing
    the file's content. Closing the last connection after a checkpoint removes both.
    A kernel still shutting down may hold the ledger a moment longer: while a ``-wal``
    or ``-shm`` file is left, this tries again, for up to ``wait_s`` seconds.
    """
    deadline = time.monotonic() + wait_s
    while _settle_once(root) and time.monotonic() < deadline:
        time.sleep(0.1)


def _settle_once(root: Path) -> list[Path]:
    """Checkpoint and close each ledger with a log or index beside it; return those left."""
    databases: set[Path] = set()
    for name, is_folder in _entries(root).items():
        for suffix in ("-wal", "-shm"):
            database = root / name.removesuffix(suffix)
            if not is_folder and name.endswith(suffix) and database.is_file():
                databases.add(database)
    left = []
    for database in sorted(databases):
        path = os.path.abspath(database)  # absolute: never read as an SQLite URI
        with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        left += [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    return left


def _write_manifest(root: Path, *, complete: bool) -> None:
    if complete:
        _settle_ledgers(root)
    entries = {} if not complete else _entries(root)
    files = {}
    for name, is_folder in sorted(entries.items()):
        digest = None if is_folder or name == MARKER else _digest(root / name)
        if digest is not None:  # a link or an unreadable file is left out: never deleted
            files[name] = digest
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "note": "made by `bizml demo`; running it again deletes the files and folders listed "
        "here when their content is as listed (sha256), and refuses if any changed or the "
        "folder holds anything else",
        "complete": complete,
        "files": files,
        "folders": sorted(name for name, is_folder in entries.items() if is_folder),
    }
    atomic_write_text(root / MARKER, json.dumps(manifest, indent=1) + "\n")


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, flush=True)
