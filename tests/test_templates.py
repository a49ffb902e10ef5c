"""Template notebooks: `bizml templates`, `bizml new`, `bizml run`, each template run by papermill."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import numpy_financial as npf
import pytest

from bizml_nb.finance.maturity import QUESTIONS, assess, deployment_days, survey_prior
from bizml_nb.finance.roi import Investment, Triangular, evaluate
from bizml_nb.interfaces import templates
from bizml_nb.interfaces.cli import main

if TYPE_CHECKING:
    from collections.abc import Mapping

ROOT = Path(__file__).resolve().parent.parent
ROI_MIME = "application/vnd.bizml.roi+json"
MATURITY_MIME = "application/vnd.bizml.maturity+json"

ROI_RUNS: dict[str, dict[str, Any]] = {
    "defaults": {},
    # twice the benefit, read as a 90% range; a known time to deploy, a more mature team
    "bigger": {
        "annual_benefit_low": 120_000.0,
        "annual_benefit_mode": 360_000.0,
        "annual_benefit_high": 900_000.0,
        "benefit_range": "90%",
        "deploy_days": 30.0,
        "maturity_level": 3,
        "draws": 4_000,
    },
    # five times the engineering, a dearer cloud, a shorter horizon; the top maturity level
    "costly": {
        "eng_months": 40.0,
        "cloud_per_year": 120_000.0,
        "years": 3,
        "maturity_level": 4,
        "currency": "EUR",
        "project_name": "fraud model",
        "draws": 4_000,
    },
}
HISTORY_DAYS = [5, 12, 20, 25, 28, 33, 40, 60, 95, 150]
MATURITY_RUNS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "none": {q.key: False for q in QUESTIONS},
    "all": {**{q.key: True for q in QUESTIONS}, "organisation": "platform team"},
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    """Every template run by papermill with each parameter set, three at a time.

    The ROI "costly" set goes through `new` then `run`: its currency is given at run time,
    the rest at `new` time, so the run must keep what `new` injected.
    """
    folder = tmp_path_factory.mktemp("templates")
    history = folder / "deployments.csv"
    rows = [f"m{i},2025-01-01,{(_date(2025, 1, 1, days))}" for i, days in enumerate(HISTORY_DAYS)]
    history.write_text("model,started,deployed\n" + "\n".join(rows) + "\n")
    MATURITY_RUNS["all"]["deployment_history"] = str(history)

    def execute(job: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
        name, label, values = job
        out = folder / f"{name}-{label}.ipynb"
        if label == "costly":
            at_new = {k: v for k, v in values.items() if k != "currency"}
            templates.new(name, out, at_new)
            done = templates.run(out, {"currency": values["currency"]}, progress=False, cwd=folder)
        else:
            done = templates.run(name, values, out, progress=False, cwd=folder)
        return {"execution": done, "record": done.record, "notebook": nbformat.read(out, 4)}

    jobs = [("roi_analysis", k, v) for k, v in ROI_RUNS.items()] + [
        ("adoption_maturity", k, v) for k, v in MATURITY_RUNS.items()
    ]
    before = Path.cwd()
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(execute, jobs))
    assert Path.cwd() == before  # run(cwd=...) moves the kernel, never this process
    return {(name, label): result for (name, label, _), result in zip(jobs, results, strict=True)}


def _date(year: int, month: int, day: int, plus: int) -> str:
    from datetime import date, timedelta

    return (date(year, month, day) + timedelta(days=plus)).isoformat()


def _defaults(name: str) -> dict[str, Any]:
    return {p.name: p.default for p in templates.get_template(name).parameters}


def _expected_npv(values: Mapping[str, Any]) -> float:
    """The NPV the ROI template's central case should show, computed here from the model
    (test_roi_bigger_npv_and_payback_by_hand works one run out without it)."""
    v = {**_defaults("roi_analysis"), **values}
    return evaluate(
        Investment(
            annual_benefit=Triangular(
                v["annual_benefit_low"], v["annual_benefit_mode"], v["annual_benefit_high"]
            ),
            data_cost=v["data_cost"],
            eng_months=v["eng_months"],
            monthly_rate=v["monthly_rate"],
            infra_setup=v["infra_setup"],
            cloud_per_year=v["cloud_per_year"],
            maintenance_share=v["maintenance_share"],
            deploy_days=survey_prior() if v["deploy_days"] is None else v["deploy_days"],
            ramp_months=v["ramp_months"],
            years=v["years"],
            discount=v["discount"],
        )
    ).npv


# --------------------------------------------------------------------------- listing


def test_templates_lists_both_with_their_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    """`bizml templates` names each template and every parameter with its type, default, comment."""
    assert main(["templates"]) == 0
    blocks = capsys.readouterr().out.split("\n\n")
    listed = {t.name: t for t in templates.list_templates()}
    assert {"adoption_maturity", "roi_analysis"} <= set(listed)
    assert len(blocks) == len(listed)
    for block, template in zip(blocks, listed.values(), strict=True):
        lines = block.splitlines()
        assert lines[0] == f"{template.name}: {template.title}"
        rows = {line.split()[0]: line for line in lines[2:]}
        assert list(rows) == [p.name for p in template.parameters]
        for p in template.parameters:
            assert f" {p.type} " in rows[p.name]
            assert f"= {p.default!r}  # {p.comment}" in rows[p.name]


def test_every_parameter_is_typed_commented_and_its_default_fits_its_type() -> None:
    """Each parameters cell holds typed defaults with one comment each (papermill's convention)."""
    for template in templates.list_templates():
        assert template.parameters
        for p in template.parameters:
            assert p.type, p.name
            assert p.comment, p.name
            assert p.convert(p.default) == p.default


def test_templates_are_saved_without_outputs_and_match_their_build_script() -> None:
    """templates/*.ipynb carry no outputs and are what tools/build_notebooks.py writes now."""
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", ROOT / "tools" / "build_notebooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    for name in ("roi_analysis", "adoption_maturity"):
        saved = nbformat.read(ROOT / "templates" / f"{name}.ipynb", as_version=4)
        for cell in saved.cells:
            if cell.cell_type == "code":
                assert cell.outputs == []
                assert cell.execution_count is None
        expected = build.expected(name)
        assert [c.source for c in saved.cells] == [c.source for c in expected.cells], (
            f"templates/{name}.ipynb is out of date: run python tools/build_notebooks.py {name}"
        )
        tags = [c.metadata.get("tags", []) for c in saved.cells]
        assert tags.count(["parameters"]) == 1
        assert tags.count(["decision-summary"]) == 1
        code = [
            tag for cell, tag in zip(saved.cells, tags, strict=True) if cell.cell_type == "code"
        ]
        assert code.index(["decision-summary"]) == code.index(["parameters"]) + 1  # it leads


def test_the_wheel_ships_the_templates(tmp_path: Path) -> None:
    """pyproject's force-include puts templates/ inside the package, where templates_dir() looks,
    and its shared data the JupyterLab extension into share/jupyter/labextensions."""
    pytest.importorskip("hatchling")
    result = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bizml_nb/data/templates/roi_analysis.ipynb" in names
    assert "bizml_nb/data/templates/adoption_maturity.ipynb" in names
    assert "bizml_nb/data/examples/quickstart.ipynb" in names
    assert "bizml_nb/interfaces/templates.py" in names
    # the prebuilt JupyterLab extension, as shared data where JupyterLab looks, shipped once
    shipped = ROOT / "bizml_nb" / "labextension"
    data = next(name.split("/")[0] for name in names if ".data/" in name)
    share = f"{data}/data/share/jupyter/labextensions/bizml-nb/"
    for path in shipped.rglob("*"):
        if path.is_file():
            assert share + path.relative_to(shipped).as_posix() in names
    install = json.loads(zipfile.ZipFile(wheel).read(share + "install.json"))
    assert install["packageName"] == "bizml_nb"
    assert not [name for name in names if name.startswith("bizml_nb/labextension/")]


def test_the_roi_example_is_the_template_with_the_recommender_parameters() -> None:
    """notebooks/roi_example.ipynb: the template's cells, the injected values, and outputs."""
    example = nbformat.read(ROOT / "notebooks" / "roi_example.ipynb", as_version=4)
    template = nbformat.read(templates.get_template("roi_analysis").path, as_version=4)
    tags = [c.metadata.get("tags", []) for c in example.cells]
    injected = example.cells[tags.index(["injected-parameters"])]
    kept = [c.source for i, c in enumerate(example.cells) if i and c is not injected]
    assert kept == [c.source for c in template.cells], (
        "notebooks/roi_example.ipynb is out of date: run python tools/build_notebooks.py roi_example"
    )
    assert "annual_benefit_mode = 3950000.0" in injected.source
    summary = example.cells[tags.index(["decision-summary"])]
    (shown,) = summary.outputs  # one output: the card, as text, HTML and the record
    assert shown["data"]["text/plain"].startswith("Decision on recommender: SVD rank 6: fund\n")
    assert set(shown["data"]) == {"text/plain", "text/html", ROI_MIME}
    assert templates.read_record(example)["decision"] == "fund"


# --------------------------------------------------------------------------- bizml new


def test_new_writes_a_notebook_whose_injected_cell_holds_the_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Values typed as text arrive typed: float, int, None and str, right after the parameters."""
    dest = tmp_path / "mine.ipynb"
    argv = ["new", "roi_analysis", str(dest), "-p", "annual_benefit_mode", "2e5"]
    argv += ["-p", "years", "3", "-p", "deploy_days", "None", "-p", "project_name", "fraud model"]
    assert main(argv) == 0
    assert f"wrote {dest}" in capsys.readouterr().out
    nb = nbformat.read(dest, as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    injected = tags.index(["injected-parameters"])
    assert tags[injected - 1] == ["parameters"]
    source = nb.cells[injected].source
    for line in ("annual_benefit_mode = 200000.0", "years = 3", "deploy_days = None"):
        assert line in source.splitlines()
    assert 'project_name = "fraud model"' in source
    assert nb.metadata.papermill.parameters == {
        "annual_benefit_mode": 200000.0,
        "years": 3,
        "deploy_days": None,
        "project_name": "fraud model",
    }
    assert all(c.get("outputs", []) == [] for c in nb.cells)


def test_new_reads_yes_and_no_as_answers(tmp_path: Path) -> None:
    """A bool parameter takes true/false, yes/no, 1/0."""
    dest = templates.new(
        "adoption_maturity",
        tmp_path / "m.ipynb",
        {"experiments_tracked": "no", "app_has_tests": "YES"},
    )
    injected = next(
        c
        for c in nbformat.read(dest, 4).cells
        if "injected-parameters" in c.metadata.get("tags", [])
    )
    assert "experiments_tracked = False" in injected.source
    assert "app_has_tests = True" in injected.source


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert lines[0].startswith("bizml: error: ")
    return captured.err.strip()


def test_unknown_template_lists_the_templates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = _error(["new", "roi", str(tmp_path / "x.ipynb")], capsys)
    assert message == (
        "bizml: error: unknown template 'roi' (did you mean 'roi_analysis'?); "
        f"the templates are: {', '.join(t.name for t in templates.list_templates())}"
    )
    assert not (tmp_path / "x.ipynb").exists()


def test_unknown_parameter_lists_the_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = _error(
        ["new", "roi_analysis", str(tmp_path / "x.ipynb"), "-p", "benefit_sorce", "3"], capsys
    )
    assert message.startswith(
        "bizml: error: unknown parameter 'benefit_sorce' for template roi_analysis "
        "(did you mean 'benefit_source'?); its parameters are: project_name, benefit_source, "
    )
    for p in templates.get_template("roi_analysis").parameters:
        assert p.name in message
    assert not (tmp_path / "x.ipynb").exists()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("annual_benefit_mode", "lots", "a finite number (float), e.g. 0.2, 15000 or 1.5e6"),
        ("years", "2.5", "a whole number (int), e.g. 5"),
    ],
)
def test_wrong_type_names_the_parameter_the_type_and_the_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, value: str, expected: str
) -> None:
    message = _error(["new", "roi_analysis", str(tmp_path / "x.ipynb"), "-p", name, value], capsys)
    assert message == (
        f"bizml: error: parameter {name!r} of template roi_analysis expects {expected}, not {value!r}"
    )


def test_deploy_days_that_is_not_a_number_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """deploy_days is Optional[float] (papermill cannot read float | None): "soon" is refused
    by name, saying that a number of days or None is expected; nothing is written."""
    dest = tmp_path / "x.ipynb"
    message = _error(["new", "roi_analysis", str(dest), "-p", "deploy_days", "soon"], capsys)
    assert message.startswith("bizml: error:")
    for said in ("deploy_days", "None", "'soon'"):
        assert said in message
    assert not dest.exists()


def test_wrong_type_for_a_bool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = _error(
        [
            "new",
            "adoption_maturity",
            str(tmp_path / "x.ipynb"),
            "-p",
            "experiments_tracked",
            "maybe",
        ],
        capsys,
    )
    assert message == (
        "bizml: error: parameter 'experiments_tracked' of template adoption_maturity expects "
        "true or false (bool), not 'maybe'"
    )


def test_new_refuses_to_replace_a_notebook_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "mine.ipynb"
    dest.write_text("keep me")
    message = _error(["new", "roi_analysis", str(dest)], capsys)
    assert message == (
        f"bizml: error: {dest} already exists; nothing was written. "
        "Choose another name, or pass --force to replace it"
    )
    assert dest.read_text() == "keep me"
    assert main(["new", "roi_analysis", str(dest), "--force", "-p", "years", "2"]) == 0
    assert "years = 2" in dest.read_text()


def test_run_refuses_bad_input_before_starting_a_kernel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown parameters and names are refused with the valid ones; nothing is written."""
    mine = tmp_path / "mine.ipynb"
    templates.new("roi_analysis", mine)
    message = _error(["run", str(mine), "-p", "yeras", "3"], capsys)
    assert "unknown parameter 'yeras'" in message
    assert "(did you mean 'years'?)" in message
    message = _error(["run", str(tmp_path / "missing.ipynb")], capsys)
    assert "no notebook at" in message
    assert ", ".join(t.name for t in templates.list_templates()) in message
    message = _error(["run", "roi_analysis"], capsys)
    assert "give --out OUT.ipynb" in message
    template = templates.get_template("roi_analysis").path
    before = template.read_bytes()
    message = _error(["run", str(template)], capsys)
    assert "is in the templates folder, which is never written to" in message
    assert template.read_bytes() == before
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), plain)
    message = _error(["run", str(plain), "-p", "x", "1"], capsys)
    assert message.endswith("has no cell tagged 'parameters', so it takes no parameters")


# --------------------------------------------------------------------------- bizml run


@pytest.mark.slow
def test_roi_refuses_an_unknown_benefit_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """benefit_range is "ends" or "90%"; anything else is refused, before the notebook runs,
    with that message."""
    out = tmp_path / "roi.ipynb"
    argv = ["run", "roi_analysis", "-p", "benefit_range", "95%", "--out", str(out)]
    message = _error([*argv, "--no-progress"], capsys)
    assert 'benefit_range is "ends" (no future beyond the low and high benefit) or "90%"' in message
    assert "(got '95%')" in message
    assert not out.exists()


def test_run_names_the_failing_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A cell that raises: its number in the notebook as given, In [n], the error, where it is."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = nbformat.v4.new_code_cell("divisor: int = 1  # what to divide by")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A notebook that fails"),
        parameters,
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("y = x / divisor\nprint(y)"),
    ]
    path = tmp_path / "fails.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "fails.out.ipynb"
    message = _error(
        ["run", str(path), "-p", "divisor", "0", "--out", str(out), "--no-progress"], capsys
    )
    # papermill adds the injected-parameters cell (In [2]) and error banners; cell 4 is ours
    failed = tmp_path / "fails.out.failed.ipynb"
    assert message == (
        f"bizml: error: {path} failed in cell 4 (In [4]): ZeroDivisionError: division by zero\n"
        "  the cell begins: y = x / divisor\n"
        f"  the notebook as executed so far, with the error marked, is in {failed}\n"
        f"  nothing was written to {out}"
    )
    assert not out.exists()
    saved = nbformat.read(failed, 4)
    assert "papermill-error-cell-tag" in saved.cells[0].metadata.get("tags", [])
    assert saved.metadata.papermill.output_path == str(failed)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "cannot read {path}: its JSON nests too deeply to read"),
        (b"\xff\xfe{}", "{path} is not a notebook (not UTF-8 text)"),
        (b'{"cells": ', "{path} is not a notebook (not JSON: Expecting value"),
    ],
    ids=["deep", "not-utf8", "not-json"],
)
def test_run_refuses_a_damaged_notebook_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, problem: str
) -> None:
    """A notebook nested past the parser, not UTF-8 or not JSON: one message, file untouched."""
    path = tmp_path / "damaged.ipynb"
    path.write_bytes(content)
    message = _error(["run", str(path), "--no-progress"], capsys)
    assert message.startswith("bizml: error: " + problem.format(path=path))
    assert "\n" not in message
    assert path.read_bytes() == content


DAMAGED = '{"cells": [1], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _cell_json(**fields: object) -> dict[str, object]:
    cell: dict[str, object] = {"id": "c1", "cell_type": "code", "metadata": {}, "source": "1"}
    return {**cell, "outputs": [], "execution_count": None, **fields}


def _notebook_json(cells: list[object], **metadata: object) -> str:
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})


@pytest.mark.parametrize(
    ("content", "argv", "problem"),
    [
        (DAMAGED, [], "cell 1 is 1; it must be a JSON object"),
        (DAMAGED, ["-p", "x", "1"], "cell 1 is 1; it must be a JSON object"),
        (
            _notebook_json([_cell_json(), _cell_json(outputs=[{"output_type": "stream"}])]),
            [],
            "cell 2, outputs[0] has no 'name', which it must have",
        ),
        (
            _notebook_json([_cell_json(cell_type="sql")]),
            [],
            "cell 1 has the cell_type 'sql'; it must be one of 'raw', 'markdown', 'code'",
        ),
        (
            _notebook_json([], kernelspec={"display_name": "Python 3"}),
            [],
            "metadata.kernelspec has no 'name', which it must have",
        ),
        (
            json.dumps({"cells": [], "metadata": {}}),
            [],
            'it has no "nbformat" version (a notebook holds "nbformat": 4)',
        ),
    ],
    ids=[
        "cell-is-a-number",
        "with-parameters",
        "stream-without-name",
        "unknown-cell-type",
        "kernelspec-without-name",
        "no-version",
    ],
)
def test_run_refuses_a_notebook_that_breaks_the_format_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    argv: list[str],
    problem: str,
) -> None:
    """Valid JSON with cells, but not a notebook papermill can run: one line, nothing written."""
    path = tmp_path / "damaged.ipynb"
    path.write_text(content)
    message = _error(["run", str(path), *argv, "--no-progress"], capsys)
    assert message == f"bizml: error: {path} is not a valid notebook: {problem}"
    assert path.read_text() == content
    assert [p.name for p in tmp_path.iterdir()] == ["damaged.ipynb"]


def test_run_a_notebook_without_a_kernelspec_uses_python3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid notebook whose metadata names no kernel runs with the python3 kernel."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    assert "kernelspec" not in nb.metadata
    path = tmp_path / "no_kernel.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out.ipynb"
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 0
    assert capsys.readouterr().err == ""
    assert nbformat.read(out, 4).cells[0].outputs[0]["text"] == "42\n"
    assert nbformat.read(path, 4) == nb  # the notebook given is as it was


def test_run_a_notebook_in_another_language_without_a_kernelspec_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No kernelspec, and language_info says R: python3 would be the wrong kernel; one line."""
    content = _notebook_json([_cell_json(source="print(1)")], language_info={"name": "R"})
    path = tmp_path / "analysis.ipynb"
    path.write_text(content)
    assert _error(["run", str(path), "--no-progress"], capsys) == (
        f"bizml: error: {path} names no kernel (its metadata has no kernelspec) and its "
        "language is 'R': open it in Jupyter, choose its kernel, save it, and run it again"
    )
    assert path.read_text() == content
    assert [p.name for p in tmp_path.iterdir()] == ["analysis.ipynb"]


def test_a_missing_kernel_names_the_command_that_installs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No kernel of the notebook's name: the message's command, run as given, makes the run work."""
    data = tmp_path / "jupyter-data"
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "bizml-absent",
        "display_name": "absent",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    path = tmp_path / "needs_kernel.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    message = _error(["run", str(path), "--no-progress"], capsys)
    command = message.split("`")[1]
    assert command == f"{sys.executable} -m ipykernel install --user --name bizml-absent"
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.failed.ipynb"))  # nothing ran, so nothing to keep
    subprocess.run(command.split(), check=True, capture_output=True)
    assert main(["run", str(path), "--no-progress"]) == 0
    assert nbformat.read(path, 4).cells[0].outputs[0]["text"] == "42\n"


# --------------------------------------------------------------------------- the ROI template


@pytest.mark.slow
def test_roi_defaults(executed: dict[tuple[str, str], dict[str, Any]]) -> None:
    """With its defaults: the model's NPV, a decision, percentiles in order, the summary printed."""
    done = executed["roi_analysis", "defaults"]
    record = done["record"]
    assert record["format"] == "bizml.roi"
    assert record["template"] == "roi_analysis"
    assert record["parameters"] == _defaults("roi_analysis")
    assert record["npv"] == pytest.approx(_expected_npv({}))
    p10, p50, p90 = record["npv_p10_p50_p90"]
    assert p10 < p50 < p90
    assert record["decision"] == "fund"
    assert record["p_npv_positive"] >= record["required_confidence"]
    assert [d["input"] for d in record["drivers"]] == ["annual_benefit", "deploy_days"]
    assert record["breakeven_annual_benefit"] < record["parameters"]["annual_benefit_mode"]
    assert record["maturity"]["level"] == 1
    assert record["maturity"]["illustrative"] is True
    assert len(record["maturity"]["npv_p50_by_level"]) == 5
    assert record["maturity"]["gain_next_level"] > 0
    assert record["defaults"] == list(record["inputs"])  # every input still the template's
    summary = done["execution"].summary
    assert summary == record["summary"]
    assert summary.startswith("Decision on churn model: fund\n  Why           the NPV is positive")
    assert "(illustrative)" in summary


@pytest.mark.slow
def test_roi_more_benefit_is_worth_more(executed: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Twice the benefit and a known time to deploy: a higher NPV, an earlier or equal payback."""
    base = executed["roi_analysis", "defaults"]["record"]
    record = executed["roi_analysis", "bigger"]["record"]
    assert record["npv"] == pytest.approx(_expected_npv(ROI_RUNS["bigger"]))
    assert record["npv"] > base["npv"]
    assert record["payback_month"] <= base["payback_month"]
    assert record["inputs"]["deploy_days"] == "30"
    assert "annual_benefit" not in record["defaults"]
    assert "deploy_days" not in record["defaults"]
    assert "eng_months" in record["defaults"]
    assert [d["input"] for d in record["drivers"]] == ["annual_benefit"]  # deploy_days is known
    assert record["draws"] == 4_000
    # a 90% range: the triangular's ends reach past 120k and 900k
    assert record["inputs"]["annual_benefit"] == str(Triangular.from_interval(1.2e5, 3.6e5, 9e5))
    assert record["maturity"]["level"] == 3
    assert "time to deploy: 30 days (given)" in record["summary"]


@pytest.mark.slow
def test_roi_bigger_npv_and_payback_by_hand(
    executed: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """The "bigger" run's central case worked out month by month, NPV by numpy_financial.

    Month 0: data 20,000 + engineering 8 x 15,000 + infrastructure 10,000 = -150,000.
    Live at 30 days = 0.9856 months: month 1 (middle 0.5) is before it, net 0. Running costs
    from month 2: cloud 2,500 + maintenance 0.2 x 120,000 / 12 = 2,000 a month. The benefit
    ramps over 3 months to 360,000 / 12 = 30,000 a month: levels (1.5 - 0.9856) / 3 = 0.1715,
    0.5048, 0.8381 in months 2-4, then 1: nets 643.7, 10,643.7, 20,643.7, then 25,500 to
    month 60. Cumulative -118,068.8 after month 4, -16,068.8 after month 8, +9,431.2 after
    month 9: payback month 9. Discounted at 1.1 ** (1/12) - 1 a month.
    """
    record = executed["roi_analysis", "bigger"]["record"]
    live = 30 / (365.25 / 12)
    ramp = [30_000 * (m - 0.5 - live) / 3 - 4_500 for m in (2, 3, 4)]
    assert ramp == pytest.approx([643.7, 10_643.7, 20_643.7], abs=0.1)
    flows = [-150_000.0, 0.0, *ramp] + [25_500.0] * 56
    assert len(flows) == 61
    assert record["npv"] == pytest.approx(npf.npv(1.1 ** (1 / 12) - 1, flows), rel=1e-9)
    assert record["payback_month"] == 9
    assert sum(flows[:9]) < 0 <= sum(flows[:10])


@pytest.mark.slow
def test_roi_costly_project_is_not_funded(executed: dict[tuple[str, str], dict[str, Any]]) -> None:
    """More cost, shorter horizon: a lower NPV; parameters from `new` survive `run -p`."""
    base = executed["roi_analysis", "defaults"]["record"]
    record = executed["roi_analysis", "costly"]["record"]
    assert record["parameters"]["eng_months"] == 40.0  # injected by `new`
    assert record["parameters"]["currency"] == "EUR"  # injected by `run`
    assert record["npv"] == pytest.approx(_expected_npv(ROI_RUNS["costly"]))
    assert record["npv"] < base["npv"]
    assert record["decision"] == "do not fund as scoped"
    assert record["p_npv_positive"] < 0.5
    assert record["currency"] == "EUR"
    assert "€" in record["summary"]
    assert record["maturity"]["gain_next_level"] is None  # level 4 is the top
    assert record["summary"].startswith("Decision on fraud model: do not fund as scoped\n")


@pytest.mark.slow
def test_roi_notebook_shows_charts_and_no_errors(
    executed: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """Four charts (cash flows, NPV spread, tornado, maturity), every output error-free."""
    for label in ROI_RUNS:
        nb = executed["roi_analysis", label]["notebook"]
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert sum("image/png" in o.get("data", {}) for o in outputs) == 4
        assert not any(o.get("name") == "stderr" for o in outputs), label


# --------------------------------------------------------------------------- the maturity template


@pytest.mark.slow
def test_maturity_level_rises_with_more_yes_answers(
    executed: dict[tuple[str, str], dict[str, Any]],
) -> None:
    records = {label: executed["adoption_maturity", label]["record"] for label in MATURITY_RUNS}
    levels = [records[label]["level"] for label in ("none", "defaults", "all")]
    yes = [records[label]["yes_answers"] for label in ("none", "defaults", "all")]
    assert levels == [0, 1, 4]  # the defaults describe a team at level 1
    for label, values in MATURITY_RUNS.items():
        answers = {**_defaults("adoption_maturity"), **values}
        assert records[label]["level"] == assess({q.key: answers[q.key] for q in QUESTIONS}).level
    assert yes == [0, sum(_defaults("adoption_maturity")[q.key] for q in QUESTIONS), len(QUESTIONS)]
    assert [records[label]["google_level"] for label in ("none", "defaults", "all")] == [0, 0, 2]
    for record in records.values():
        assert record["format"] == "bizml.maturity"
        assert record["template"] == "adoption_maturity"
        assert record["deploy_prior"]["illustrative"] is True


@pytest.mark.slow
def test_maturity_lists_what_would_lift_the_level(
    executed: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """The questions to answer yes to are exactly those at or below the next level still no."""
    for label, values in MATURITY_RUNS.items():
        record = executed["adoption_maturity", label]["record"]
        answers = {**_defaults("adoption_maturity"), **values}
        expected = [
            q.key
            for q in QUESTIONS
            if record["level"] < 4 and q.level <= record["level"] + 1 and not answers[q.key]
        ]
        assert record["to_next_level"] == expected
    defaults = executed["adoption_maturity", "defaults"]["record"]
    assert defaults["to_next_level"]
    assert executed["adoption_maturity", "all"]["record"]["to_next_level"] == []


@pytest.mark.slow
def test_maturity_compares_a_deployment_history(
    executed: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """With a CSV of deployments: their count, median and share within 30 days are recorded."""
    import pandas as pd

    record = executed["adoption_maturity", "all"]["record"]
    history = record["history"]
    frame = pd.DataFrame(
        {
            "started": ["2025-01-01"] * len(HISTORY_DAYS),
            "deployed": [_date(2025, 1, 1, d) for d in HISTORY_DAYS],
        }
    )
    days = deployment_days(frame)
    assert history["deployments"] == len(HISTORY_DAYS)
    assert history["median_days"] == pytest.approx(float(days.median()))
    assert history["within_30_days"] == pytest.approx(0.5)
    assert math.isclose(sum(history["shares"].values()), 1.0)
    assert "  Own deployments  10, median 30 days, 50% within 30 days" in record["summary"]
    assert executed["adoption_maturity", "defaults"]["record"]["history"] is None
    assert record["summary"].startswith("platform team: ML maturity level 4 of 4; keep it\n")
    assert executed["adoption_maturity", "all"]["execution"].summary == record["summary"]


@pytest.mark.slow
def test_records_read_back_from_the_saved_notebooks(
    executed: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """read_record() finds the same record in the file, by MIME type too; it is plain JSON."""
    for (name, _), done in executed.items():
        mime = ROI_MIME if name == "roi_analysis" else MATURITY_MIME
        path = done["execution"].notebook
        assert templates.read_record(path) == done["record"]
        assert templates.read_record(path, mime) == done["record"]
        json.dumps(done["record"], allow_nan=False)


def test_read_record_of_a_notebook_that_was_not_run() -> None:
    with pytest.raises(templates.TemplateError, match=r"displayed no application/vnd\.bizml"):
        templates.read_record(ROOT / "templates" / "roi_analysis.ipynb")


def _summary_cell(record_json: str, mime: str = ROI_MIME) -> str:
    """A decision-summary cell whose output holds ``record_json`` as written in the file."""
    cell = _cell_json(source="show()", metadata={"tags": ["decision-summary"]})
    cell["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": {mime: "RECORD"}}]
    return json.dumps(cell).replace('"RECORD"', record_json)


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ('{"npv": Infinity, "big": 1}', "npv is Infinity; it must be a finite number"),
        (
            '{"npv": 1.5, "big": ' + "1" * 40 + "}",
            "big is an integer of 40 digits; integers must lie within "
            "+-9,223,372,036,854,775,807 (2**63 - 1)",
        ),
        ('{"npv": {"low": NaN}}', "npv.low is NaN; it must be a finite number"),
        ("[1, 2]", "the record is a list of 2 items, not a JSON object"),
    ],
    ids=["infinity", "long-integer", "nested-nan", "not-an-object"],
)
def test_read_record_refuses_a_record_that_breaks_the_record_rules(
    tmp_path: Path, record: str, problem: str
) -> None:
    """The record read_record returns meets the rules every reader applies; else cell and field."""
    path = tmp_path / "roi.ipynb"
    markdown = {"id": "m1", "cell_type": "markdown", "metadata": {}, "source": "# ROI"}
    cells = f"[{json.dumps(markdown)}, {_summary_cell(record)}]"
    path.write_text(_notebook_json([]).replace("[]", cells, 1))
    for mime in (None, ROI_MIME):
        with pytest.raises(templates.TemplateError) as info:
            templates.read_record(path, mime)
        assert str(info.value) == f"{path}, cell 2: {ROI_MIME}: {problem}"
    nb = json.loads(path.read_text())  # Python's parser: the same check on a loaded notebook
    with pytest.raises(templates.TemplateError) as info:
        templates.read_record(nb)
    assert str(info.value).startswith(f"the notebook, cell 2: {ROI_MIME}: ")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '{"cells": [1]}',
            '{path} is not a valid notebook: it has no "nbformat" version '
            '(a notebook holds "nbformat": 4)',
        ),
        (DAMAGED, "{path} is not a valid notebook: cell 1 is 1; it must be a JSON object"),
        (
            _notebook_json(
                [_cell_json(outputs=[{"output_type": "display_data", "data": [1], "metadata": {}}])]
            ),
            "{path} is not a valid notebook: cell 1, outputs[0].data is a list of 1 item; "
            "it must be a JSON object",
        ),
    ],
    ids=["no-version", "cell-is-a-number", "data-is-a-list"],
)
def test_read_record_of_a_damaged_notebook_is_one_message(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "damaged.ipynb"
    path.write_text(content)
    with pytest.raises(templates.TemplateError) as info:
        templates.read_record(path)
    assert str(info.value) == problem.format(path=path)
