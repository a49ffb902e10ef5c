"""Every code block of README.md runs as shown, and shows what the README says it shows.

- "Get started": its two blocks install with pip, which `.ci/run` does on a clean clone
  in a fresh venv; here the test checks that `.ci/run` runs exactly those commands, and
  runs the one that is not pip (`bizml demo`) in a temporary folder.
- "In a notebook": its Python blocks are the cells of one notebook, executed in order in
  a fresh kernel in a temporary folder; no cell may fail, and the card the two-tower cell
  shows is the README's card block, character for character (the baseline's short id
  aside: it is new on every run).
- "From plain Python": its block runs as a script in an empty folder; it prints that card.
- "From a shell": its block runs line by line in bash (stopping at the first failure),
  in the folder where the demo ran.

A fenced block in any other section, or of another language, fails the test until it is
given a way to run here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_SCRIPT = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
#: A run's short id, as the cards name the baseline run: new on every run.
SHORT_ID = re.compile(r"\(id [0-9A-HJKMNP-TV-Z]{12}\)")


@dataclass(frozen=True)
class Block:
    section: str
    language: str
    code: str
    text_before: str  # the prose between the previous block and this one


def blocks(readme: str = README) -> list[Block]:
    """Every fenced block with its section (the nearest `## ` heading above it)."""
    found = []
    end = 0
    for match in FENCE.finditer(readme):
        headings = re.findall(r"^## (.+)$", readme[: match.start()], re.MULTILINE)
        found.append(
            Block(
                headings[-1] if headings else "",
                match.group(1),
                match.group(2),
                readme[end : match.start()],
            )
        )
        end = match.end()
    return found


def section(name: str, language: str | None = None) -> list[Block]:
    return [
        b for b in blocks() if b.section == name and (language is None or b.language == language)
    ]


def card_block() -> str:
    """The text block after "shows a card like this" in "In a notebook"."""
    (block,) = [
        b for b in section("In a notebook", "") if "shows a card like this" in b.text_before
    ]
    return block.code.rstrip("\n")


def same_but_ids(shown: str) -> str:
    return SHORT_ID.sub("(id RUN-ID)", shown)


def test_every_block_is_one_this_test_runs() -> None:
    """The blocks are the ones below, by section and language: none is left unchecked."""
    kinds = [(b.section, b.language) for b in blocks()]
    assert kinds == [
        ("Get started", "bash"),
        ("Get started", "bash"),
        ("In a notebook", "python"),
        ("In a notebook", "python"),
        ("In a notebook", "python"),
        ("In a notebook", ""),  # the card the cells above show
        ("From plain Python", "python"),
        ("From a shell", "bash"),
    ]


def test_no_block_holds_a_placeholder_or_an_undefined_name() -> None:
    """Runnable blocks hold no synopsis (`[--target KPI]`, `csv|json`, `...`) and no
    `evaluate(` (a name the README never defines)."""
    for block in blocks():
        if not block.language:
            continue
        for line in block.code.splitlines():
            code = line.split("  #", 1)[0]
            assert not re.search(r"\[-|[a-z]\|[a-z]|\.\.\.", code), line
        assert "evaluate(" not in block.code


# --------------------------------------------------------------------------- Get started


def _commands(block: Block) -> list[str]:
    lines = [line.strip() for line in block.code.splitlines()]
    return [part.strip() for line in lines if line for part in line.split("&&")]


def test_get_started_installs_are_what_ci_runs_on_a_clean_clone() -> None:
    """The two install blocks: `.ci/run` runs each command as a whole line, in order, the
    first in a new venv; these are the only commands of the section."""
    first, tests = (_commands(b) for b in section("Get started"))
    assert first == ["pip install -e .", "bizml demo"]
    assert tests == ['pip install -e ".[test]"', "pytest"]
    lines = [line.strip() for line in CI_SCRIPT.splitlines()]
    at = [lines.index(command) for command in [*first, *tests]]
    assert at == sorted(at)
    assert any(line.startswith("python -m venv ") for line in lines[: at[0]])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder where `bizml demo` ran, as the first block runs it (after its pip part)."""
    folder = tmp_path_factory.mktemp("readme-shell")
    done = subprocess.run(
        [bizml(), "demo", "--no-progress"],
        cwd=folder,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (folder / "bizml-demo" / "recsys_take_rate" / "recsys_take_rate.ipynb").is_file()
    return folder


def test_the_demo_leaves_no_sqlite_log_files(demo: Path) -> None:
    left = [p for p in (demo / "bizml-demo").rglob("*") if p.name.endswith(("-wal", "-shm"))]
    assert not left
    assert "bizml-demo/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def bizml() -> str:
    script = Path(sys.executable).with_name("bizml")
    command = str(script) if script.exists() else shutil.which("bizml")
    assert command, "the bizml console script is not installed"
    return command


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BIZML_LEDGER", "JPY_SESSION_NAME")}
    env["PATH"] = f"{Path(bizml()).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "100"
    return env


# --------------------------------------------------------------------------- From a shell


def test_the_shell_block_runs_line_by_line(demo: Path) -> None:
    """Each line in bash with `set -euo pipefail`, in the demo's folder, as a user types it."""
    (block,) = section("From a shell", "bash")
    script = "set -euo pipefail\n" + block.code
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=demo,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "SVD rank 6  ->  take_rate" in done.stdout  # ledger show by name
    assert (demo / "runs.csv").is_file()
    assert (demo / "runs.json").read_text(encoding="utf-8").startswith("[{")
    assert (demo / "recsys-report.md").is_file()
    assert (demo / "my-project" / "my_roi-run.ipynb").is_file()
    listed = done.stdout.split("SVD rank 6  ->", 1)[0]  # the first command's table
    assert "value/yr [90% range]" in listed
    assert "+$3.95M [+$1.22M, +$7.07M]" in listed  # as the card of "SVD rank 6" says
    assert max(len(line) for line in listed.splitlines()) <= 100  # $COLUMNS


# --------------------------------------------------------------------------- notebooks


def execute(cells: list[str], folder: Path) -> Any:
    """The cells as one notebook, executed in a fresh kernel in ``folder``; no cell may fail."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("BIZML_LEDGER", raising=False)
        patch.delenv("JPY_SESSION_NAME", raising=False)
        NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            allow_errors=False,
            resources={"metadata": {"path": str(folder)}},
        ).execute()
    for cell in nb.cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, (cell.source, errors)
    return nb


def test_in_a_notebook_runs_and_shows_the_readmes_card(tmp_path: Path) -> None:
    """The three cells in one kernel; the two-tower cell's card is the README's card."""
    cells = [b.code for b in section("In a notebook", "python")]
    nb = execute(cells, tmp_path)
    shown = [
        o.data["text/plain"]
        for o in nb.cells[2].outputs
        if o.output_type == "display_data" and "application/vnd.bizml.run+json" in o.data
    ]
    assert len(shown) == 1
    record = next(o for o in nb.cells[1].outputs if o.output_type == "display_data").data
    baseline_id = record["application/vnd.bizml.run+json"]["run"]["id"]
    assert f'"popularity baseline" (id {baseline_id[:12]})' in shown[0]
    assert same_but_ids(shown[0]) == same_but_ids(card_block())


def test_from_plain_python_runs_and_prints_the_same_card(tmp_path: Path) -> None:
    """The block as a Python script in an empty folder: it prints the README's card, then
    the runs worded and fitted to the terminal's 100 columns."""
    (block,) = section("From plain Python", "python")
    (tmp_path / "readme.py").write_text(block.code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "readme.py"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout
    assert same_but_ids(printed).startswith(same_but_ids(card_block()) + "\n")
    table = printed[len(card_block()) + 1 :]
    assert "+$10.9M [+$6.25M, +$15.6M]" in table  # the runs table, worded
    assert "10937500" not in table
    assert max(len(line) for line in table.splitlines()) <= 100
    assert (tmp_path / "bizml.toml").is_file()


def test_the_readme_check_sees_a_changed_card_and_an_undefined_name() -> None:
    """What these tests compare would fail on the README's old mistakes."""
    card = card_block()
    assert same_but_ids(card) != same_but_ids(card.replace("+$10.9M/yr", "+$10.8M/yr"))
    assert same_but_ids(card.replace("(id 01KBZ8Q4M2XT)", "(id 01M8Y72R6A0F)")) == same_but_ids(
        card
    )
    old = "```python\nscore = evaluate(popularity_model)\n```\n"
    assert any("evaluate(" in b.code for b in blocks(README + "\n## X\n\n" + old))
