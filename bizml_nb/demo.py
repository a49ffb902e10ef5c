"""``bizml demo``: a whole worked project in one command.

Creates a demo folder, executes the example notebooks (each in its own project
folder, so each gets its own bizml.toml and ledger) and the templates with their
defaults, builds a report per project, and says what to open next. Running it
again replaces the previous demo (recognised by its marker file) and nothing
else: a folder that was not made by ``bizml demo`` is never touched.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from bizml_nb.errors import BizmlError

MARKER = ".bizml-demo"
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
    from bizml_nb.projects import Projects
    from bizml_nb.report import build_report
    from bizml_nb.templates import run

    started = time.perf_counter()
    root = Path(root).expanduser().resolve()
    _prepare(root)
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
    for name in ("recsys_take_rate", "fraud_threshold"):
        folder = root / name
        patterns = [str(folder / "*.ipynb"), str(templates / "*.ipynb")]
        result.reports.append(
            build_report(projects.get(folder), folder / "report.html", notebooks=patterns)
        )
    projects.close()
    result.seconds = time.perf_counter() - started
    return result


def _prepare(root: Path) -> None:
    if root.exists():
        if not root.is_dir():
            raise BizmlError(f"{root} is a file; give --dir a folder for the demo")
        if (root / MARKER).is_file():
            shutil.rmtree(root)  # an earlier demo, made by this command: start over
        elif any(root.iterdir()):
            raise BizmlError(
                f"{root} is not empty and was not made by `bizml demo`; nothing was changed. "
                "Give --dir a new or empty folder"
            )
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / MARKER).write_text("made by `bizml demo`; running it again replaces this folder\n")
    except OSError as exc:
        raise BizmlError(f"cannot create the demo folder {root}: {exc.strerror or exc}") from None


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, flush=True)
