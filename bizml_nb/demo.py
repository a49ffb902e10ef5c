"""``bizml demo``: a whole worked project in one command.

Creates a demo folder, executes the example notebooks (each in its own project
folder, so each gets its own bizml.toml and ledger) and the templates with their
defaults, builds a report per project, and says what to open next.

Running it again replaces the previous demo, deleting only what the demo made:
its marker file (``.bizml-demo``) is a manifest listing every file and folder the
demo wrote. A folder is used only when it is new, empty, or holds exactly what
its manifest lists; any other file in it (a user's own, or one added since) makes
the demo refuse, naming the files, with nothing changed.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from bizml_nb._io import atomic_write_text
from bizml_nb.errors import BizmlError

MARKER = ".bizml-demo"
MANIFEST_FORMAT = "bizml.demo-manifest"
EXAMPLES = ("quickstart", "recsys_take_rate", "fraud_threshold")
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
            "Next:",
            f"  jupyter lab {first}",
            f"  bizml -C {first.parent} ledger list",
            f"  bizml report {first.parent} --format md",
        ]
        return "\n".join(lines)


def examples_dir() -> Path:
    """The example notebooks: inside the installed package, else the repository's notebooks/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "examples", here.parent / "notebooks"):
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
    from bizml_nb.projects import Projects
    from bizml_nb.report import build_report
    from bizml_nb.templates import run

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
        for name in ("recsys_take_rate", "fraud_threshold"):
            folder = root / name
            patterns = [str(folder / "*.ipynb"), str(templates / "*.ipynb")]
            result.reports.append(
                build_report(projects.get(folder), folder / "report.html", notebooks=patterns)
            )
    finally:
        projects.close()
    result.seconds = time.perf_counter() - started
    return result


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


def _manifest(root: Path) -> tuple[set[str], set[str]]:
    """The files and folders an earlier demo in ``root`` made, from its manifest."""
    marker = root / MARKER
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(data.get("format"))
        files = {str(name) for name in data["files"]}
        folders = {str(name) for name in data["folders"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        raise BizmlError(
            f"{marker} does not list what `bizml demo` made in {root} (an older version made "
            "it, or it was changed), so nothing was changed. Delete the folder yourself, or "
            "give --dir a new or empty folder"
        ) from None
    return files, folders


def _clear(root: Path, manifest: tuple[set[str], set[str]]) -> None:
    """Delete the files and folders listed in the manifest; refuse if anything else is there."""
    files, folders = manifest
    entries = _entries(root)
    foreign = sorted(
        name
        for name, is_folder in entries.items()
        if name != MARKER and name not in (folders if is_folder else files)
    )
    if foreign:
        shown = ", ".join(str(root / name) for name in foreign[:5])
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise BizmlError(
            f"{root} holds files `bizml demo` did not make: {shown}{more}; nothing was changed. "
            "Move them out of the folder, or give --dir a new or empty folder "
            "(if an earlier demo was interrupted there, delete the folder yourself)"
        )
    made = sorted(entries, key=lambda name: name.count("/"), reverse=True)  # deepest first
    for name in made:
        path = root / name
        try:
            if entries[name]:
                path.rmdir()
            elif name != MARKER:
                path.unlink()
        except OSError as exc:
            raise BizmlError(
                f"cannot delete {path} from the earlier demo: {exc.strerror or exc}; "
                "the files listed before it were deleted"
            ) from None


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


def _write_manifest(root: Path, *, complete: bool) -> None:
    entries = {} if not complete else _entries(root)
    manifest = {
        "format": MANIFEST_FORMAT,
        "note": "made by `bizml demo`; running it again deletes the files and folders listed "
        "here and refuses if the folder holds anything else",
        "complete": complete,
        "files": sorted(
            name for name, is_folder in entries.items() if not is_folder and name != MARKER
        ),
        "folders": sorted(name for name, is_folder in entries.items() if is_folder),
    }
    atomic_write_text(root / MARKER, json.dumps(manifest, indent=1) + "\n")


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, flush=True)
