"""A new user's setup is what CI checks.

The README's "Get started" commands are read from README.md and must be the ones
`.ci/run` runs, each on its own line; the base install must bring every module
`bizml demo`, `bizml run` and `bizml report` import; with BIZML_NO_SKIP=1 (set by
`.ci/run`) a skipped test fails the run; and the CPU check switches off SIMD
features numpy really uses.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from packaging.requirements import Requirement

from bizml_nb.interfaces.demo import EXAMPLES, TEMPLATES

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".ci" / "run"


# --------------------------------------------------------------------------- README and CI


def readme_commands(readme: str) -> list[list[str]]:
    """The commands of each code block under "## Get started", split on `&&`."""
    match = re.search(r"^## Get started\n(.*?)(?=^## )", readme, re.DOTALL | re.MULTILINE)
    assert match, 'README.md has no "## Get started" section'
    blocks = re.findall(r"^```(?:bash|sh|shell)?\n(.*?)^```", match.group(1), re.DOTALL | re.M)
    commands = []
    for block in blocks:
        lines = [line.strip() for line in block.splitlines()]
        lines = [line for line in lines if line and not line.startswith("#")]
        commands.append([part.strip() for line in lines for part in line.split("&&")])
    return commands


def script_lines(script: str) -> list[str]:
    """The script's commands, one per line: comments and blank lines dropped, `\\` joined."""
    lines: list[str] = []
    pending = ""
    for raw in script.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    return lines


def not_run_in_order(commands: list[str], lines: list[str]) -> list[str]:
    """The commands that are not, in this order, each a whole line of the script."""
    missing = []
    at = 0
    for command in commands:
        if command in lines[at:]:
            at = lines.index(command, at) + 1
        else:
            missing.append(command)
    return missing


README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_SCRIPT = CI.read_text(encoding="utf-8")


def test_the_readme_has_an_install_and_demo_command_and_a_test_command() -> None:
    """Get started shows two commands: install then demo, and install the tests then pytest."""
    first, tests = readme_commands(README)
    assert first[0].startswith("pip install -e .")
    assert first[-1].startswith("bizml demo")
    assert tests[0].startswith("pip install -e ")
    assert ".[test]" in tests[0]
    assert tests[-1].startswith("pytest")


def test_ci_runs_the_readmes_commands_in_order_each_on_its_own_line() -> None:
    """.ci/run runs every part of both README commands as a line of its own, in README order."""
    commands = [part for block in readme_commands(README) for part in block]
    missing = not_run_in_order(commands, script_lines(CI_SCRIPT))
    assert not missing, (
        f".ci/run does not run these README commands (each on its own line, in order): {missing}; "
        "change .ci/run along with README.md's Get started"
    )


def test_the_readme_check_fails_when_the_readme_changes_and_ci_does_not() -> None:
    """A changed README command, swapped commands or a CI line joined by && are all caught."""
    lines = script_lines(CI_SCRIPT)
    changed = README.replace(
        'pip install -e ".[test]" && pytest', 'pip install -e ".[dev]" && pytest'
    )
    assert changed != README
    commands = [part for block in readme_commands(changed) for part in block]
    assert not_run_in_order(commands, lines) == ['pip install -e ".[dev]"']

    first, tests = readme_commands(README)
    assert not_run_in_order(tests + first, lines)  # the test command before the demo

    joined = CI_SCRIPT.replace(
        'pip install -e ".[test]"\npytest\n', 'pip install -e ".[test]" && pytest\n'
    )
    assert joined != CI_SCRIPT
    assert not_run_in_order(tests, script_lines(joined)) == ['pip install -e ".[test]"', "pytest"]


def test_ci_runs_the_first_command_in_a_fresh_venv_with_no_other_kernels() -> None:
    """Before the base install: a new venv without system packages, Jupyter paths emptied."""
    lines = script_lines(CI_SCRIPT)
    assert lines[0] == "set -euo pipefail", "every failure in .ci/run must stop it"
    first, _ = readme_commands(README)
    install = lines.index(first[0])
    before = lines[:install]
    venv = [line for line in before if line.startswith("python -m venv ")]
    assert venv, "the base install must run in a venv made by `python -m venv`"
    assert "--system-site-packages" not in venv[0]
    exports = " ".join(line for line in before if line.startswith("export "))
    assert "JUPYTER_PATH=" in exports
    assert "JUPYTER_DATA_DIR=" in exports


def _dev_link_block() -> str:
    """The lines of .ci/run that drop a `jupyter labextension develop` link before pip runs."""
    lines = CI_SCRIPT.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("dev_links=$("))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("done <<<"))
    tests = next(i for i, line in enumerate(lines) if line.endswith(" tests"))
    installs = [i for i, line in enumerate(lines) if i > tests and "pip install" in line]
    assert tests < start, "the links go after the fresh venv's own install"
    assert end < min(installs), "the links must go before any install into this environment"
    return "\n".join(lines[start : end + 1])


@pytest.mark.parametrize("kind", ["link", "dangling-link", "installed-folder"])
def test_ci_removes_a_development_link_and_never_what_it_points_at(
    tmp_path: Path, kind: str
) -> None:
    """A link left by `jupyter labextension develop` goes, even one pointing nowhere; its
    target and a real installed folder stay. (pip outside a venv uninstalls through such
    a link: it moved the linked source tree away, then failed writing through the
    dangling link.) The paths hold spaces, as a user's folders may."""
    env_dir = tmp_path / "my env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    extensions = env_dir / "share" / "jupyter" / "labextensions"
    extensions.mkdir(parents=True)
    source = tmp_path / "a clone" / "bizml_nb" / "labextension"
    source.mkdir(parents=True)
    (source / "package.json").write_text('{"name": "bizml-nb"}')
    place = extensions / "bizml-nb"
    if kind == "installed-folder":
        shutil.copytree(source, place)
    else:
        place.symlink_to(source if kind == "link" else tmp_path / "gone", target_is_directory=True)
    path = f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + _dev_link_block()],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    assert (source / "package.json").read_text() == '{"name": "bizml-nb"}'
    if kind == "installed-folder":
        assert (place / "package.json").read_text() == '{"name": "bizml-nb"}'
        assert done.stderr == ""
    else:
        assert not place.is_symlink()
        assert not place.exists()
        assert f"removing the development link {place} -> " in done.stderr


def test_the_cpu_check_reruns_every_notebook_nbval_checks() -> None:
    """The second notebook run (narrower SIMD) selects every notebook the pytest run checks."""
    (line,) = [line for line in script_lines(CI_SCRIPT) if "NPY_DISABLE_CPU_FEATURES=" in line]
    selected = [ROOT / arg for arg in line.split(" pytest ", 1)[1].split()]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    testpaths = config["tool"]["pytest"]["ini_options"]["testpaths"]
    notebooks = [nb for path in testpaths for nb in (ROOT / path).rglob("*.ipynb")]
    assert len(notebooks) >= 6
    left_out = [nb for nb in notebooks if not any(nb.is_relative_to(s) for s in selected)]
    assert not left_out, f"nbval checks these but the CPU check does not rerun them: {left_out}"


# --------------------------------------------------------------------------- base install


def _base_closure() -> set[str]:
    """The distributions `pip install -e .` brings: the base dependencies and theirs."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    todo = [Requirement(r) for r in config["project"]["dependencies"]]
    seen: set[str] = set()
    while todo:
        req = todo.pop()
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name in seen or (req.marker is not None and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            todo += [Requirement(r) for r in importlib.metadata.requires(req.name) or []]
        except importlib.metadata.PackageNotFoundError:
            pytest.fail(f"{req.name}, a base dependency, is not installed here")
    return seen


def _imports(source: str) -> set[str]:
    """Top-level modules a piece of Python imports, wherever in the code the import is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _code_of(notebook: Path) -> str:
    """A notebook's code cells as plain Python, magics turned into calls as IPython does."""
    from IPython.core.inputtransformer2 import TransformerManager

    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    python = TransformerManager().transform_cell
    return "\n".join(python("".join(c["source"])) for c in cells if c["cell_type"] == "code")


def test_the_base_install_brings_every_module_the_demo_and_the_package_import() -> None:
    """bizml_nb and the notebooks `bizml demo` runs import only what the base install brings."""
    sources = {p: p.read_text(encoding="utf-8") for p in (ROOT / "bizml_nb").rglob("*.py")}
    notebooks = [ROOT / "notebooks" / f"{n}.ipynb" for n in EXAMPLES]
    notebooks += [ROOT / "templates" / f"{n}.ipynb" for n in TEMPLATES]
    sources |= {nb: _code_of(nb) for nb in notebooks}
    modules = set().union(*map(_imports, sources.values()))
    modules -= set(sys.stdlib_module_names) | {"bizml_nb"}
    # the `mlflow` extra: bizml_nb.teams imports it inside functions, naming the extra if absent;
    # the `monitor` extra: Ibis (and DuckDB under it), imported by the monitor's engine path only;
    # the `spark` extra: pyspark, imported inside bizml_nb.monitor.spark's functions, naming it
    # the `lab` extra: jupyter_server, imported by bizml_nb.interfaces.lab_server, which only a
    # Jupyter server loads (tornado comes with ipykernel)
    modules -= {"mlflow", "ibis", "pyspark", "jupyter_server"}
    provided_by = importlib.metadata.packages_distributions()
    base = _base_closure()
    missing = {}
    for module in sorted(modules):
        dists = {re.sub(r"[-_.]+", "-", d).lower() for d in provided_by.get(module, [])}
        if not dists & base:
            users = sorted(
                str(p.relative_to(ROOT)) for p, s in sources.items() if module in _imports(s)
            )
            missing[module] = users
    assert not missing, f"imported but not brought by `pip install -e .`: {missing}"
    assert "ipykernel" in base, (
        "the notebooks run in a Python kernel: ipykernel must be a base dependency"
    )


# --------------------------------------------------------------------------- no skip in CI


SAMPLE_TESTS = """
import pytest

def test_passes():
    pass

def test_needs_a_tool():
    pytest.skip("needs the frobnicator on PATH")

@pytest.mark.skipif(True, reason="only on a machine with two GPUs")
def test_marked():
    pass

@pytest.mark.xfail(reason="a known bug")
def test_known_bug():
    assert False
"""


def _pytest(folder: Path, no_skip: str | None) -> subprocess.CompletedProcess[str]:
    """pytest in ``folder`` with the repository's conftest.py, as CI or a developer runs it."""
    shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("BIZML_NO_SKIP", "PYTEST_ADDOPTS")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the hook is in conftest.py; start faster
    if no_skip is not None:
        env["BIZML_NO_SKIP"] = no_skip
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_skip_fails_the_run_with_bizml_no_skip_and_names_each_test_and_reason(
    tmp_path: Path,
) -> None:
    """With BIZML_NO_SKIP=1 the run fails and lists each skipped test, module and reason."""
    (tmp_path / "test_sample.py").write_text(SAMPLE_TESTS, encoding="utf-8")
    (tmp_path / "test_optional.py").write_text(
        'import pytest\npytest.importorskip("no_such_module_anywhere")\n', encoding="utf-8"
    )
    done = _pytest(tmp_path, "1")
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout
    out = done.stdout
    assert "SKIPPED test_sample.py::test_needs_a_tool: needs the frobnicator on PATH" in out
    assert "SKIPPED test_sample.py::test_marked: only on a machine with two GPUs" in out
    assert "SKIPPED test_optional.py: could not import 'no_such_module_anywhere'" in out
    assert "test_known_bug" not in out.split("forbids it", 1)[1]  # an xfail is not a skip
    assert "3 skipped: with BIZML_NO_SKIP=1" in out


def test_without_bizml_no_skip_a_test_skips_with_its_reason(tmp_path: Path) -> None:
    """On a developer machine (variable unset, or 0) the same skips pass and say why."""
    (tmp_path / "test_sample.py").write_text(SAMPLE_TESTS, encoding="utf-8")
    for value in (None, "0"):
        done = _pytest(tmp_path, value)
        assert done.returncode == pytest.ExitCode.OK, done.stdout
        assert "needs the frobnicator on PATH" in done.stdout
        assert "BIZML_NO_SKIP" not in done.stdout


def test_bizml_no_skip_passes_a_run_without_skips_and_keeps_a_failure_a_failure(
    tmp_path: Path,
) -> None:
    """Nothing skipped: the run passes. A failing test still fails, skips or not."""
    (tmp_path / "test_clean.py").write_text("def test_passes():\n    pass\n", encoding="utf-8")
    assert _pytest(tmp_path, "1").returncode == pytest.ExitCode.OK
    (tmp_path / "test_clean.py").write_text("def test_fails():\n    assert False\n")
    assert _pytest(tmp_path, "1").returncode == pytest.ExitCode.TESTS_FAILED


# --------------------------------------------------------------------------- CPU check


def _simd_off() -> ModuleType:
    spec = importlib.util.spec_from_file_location("simd_off", ROOT / ".ci" / "simd_off.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(dispatch: list[str], enabled: list[str], baseline: list[str]) -> dict[str, Any]:
    features = {name: name in enabled or name in baseline for name in dispatch + baseline}
    return {"features": features, "dispatch": dispatch, "baseline": baseline, "current": []}


def test_the_cpu_check_picks_the_widest_tier_the_cpu_has() -> None:
    """AVX-512 goes first (all of it), then AVX2, under numpy's old and new target names."""
    widest = _simd_off().widest_tier
    new = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]
    assert widest(_report(new, ["X86_V3", "X86_V4", "AVX512_ICL"], ["X86_V2"])) == (
        "AVX-512",
        ["X86_V4", "AVX512_ICL"],
    )
    assert widest(_report(new, ["X86_V3"], ["X86_V2"])) == ("AVX2", ["X86_V3"])
    avx2 = ["SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3", "AVX2"]
    old = [*avx2, "AVX512F", "AVX512_SKX"]
    assert widest(_report(old, avx2, ["SSE", "SSE2", "SSE3"])) == (
        "AVX2",
        ["AVX", "F16C", "FMA3", "AVX2"],
    )
    arm = ["ASIMDHP", "ASIMDDP", "ASIMDFHM", "SVE"]
    assert widest(_report(arm, ["ASIMDHP", "ASIMDDP"], ["NEON", "ASIMD"])) == (
        "ASIMD extensions",
        ["ASIMDHP", "ASIMDDP"],
    )


def test_the_cpu_check_refuses_a_cpu_with_nothing_above_the_baseline() -> None:
    """With no dispatch target enabled there is nothing to switch off: it says so and fails."""
    widest = _simd_off().widest_tier
    with pytest.raises(SystemExit, match=r"no SIMD target above its baseline \(X86_V2\)"):
        widest(_report(["X86_V3", "X86_V4"], [], ["X86_V2"]))


def test_the_cpu_check_refuses_names_numpy_would_ignore_or_reject() -> None:
    """numpy only warns about a name it cannot switch off: the check makes that an error."""
    report = _simd_off().numpy_report
    with pytest.raises(SystemExit, match="NO_SUCH_FEATURE"):
        report("NO_SUCH_FEATURE")
    baseline = report()["baseline"][0]
    with pytest.raises(SystemExit, match=f"cannot disable CPU feature.*{baseline}"):
        report(baseline)


def test_the_cpu_check_switches_off_simd_numpy_uses_on_this_machine() -> None:
    """What .ci/run sets: numpy imports with it and reports those features off."""
    done = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "simd_off.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = done.stdout.split()
    assert names
    module = _simd_off()
    before = module.numpy_report()
    after = module.numpy_report(done.stdout.strip())
    assert all(before["features"][name] for name in names)
    assert not any(after["features"][name] for name in names)
    assert not set(names) & set(after["current"])
