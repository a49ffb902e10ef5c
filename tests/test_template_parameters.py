"""Template parameters as papermill reads them, checked together before anything runs,
and Markdown whose dollar amounts render as text."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bizml_nb.interfaces.templates import TemplateError, list_templates, new, run

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = list_templates()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_papermill_itself_lists_every_parameter_of_each_template(template):
    shown = subprocess.run(
        [sys.executable, "-m", "papermill", "--help-notebook", str(template.path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    text = shown.stdout + shown.stderr
    assert "Unable to parse" not in text, text
    listed = re.findall(r"^  (\w+): ", shown.stdout, flags=re.MULTILINE)
    assert listed == [p.name for p in template.parameters], text
    assert template.parameters, "a template without parameters"


def test_the_readme_roi_example_is_refused_at_new_naming_the_other_two(tmp_path):
    dest = tmp_path / "my_roi.ipynb"
    with pytest.raises(TemplateError) as caught:
        new("roi_analysis", dest, {"annual_benefit_mode": 2e6})
    message = str(caught.value)
    assert "annual_benefit_low" in message, message
    assert "annual_benefit_high" in message, message
    assert "\n" not in message
    assert not dest.exists()


def test_new_takes_the_benefit_when_its_three_values_are_given_in_order(tmp_path):
    dest = new(
        "roi_analysis",
        tmp_path / "my_roi.ipynb",
        {"annual_benefit_low": 1e6, "annual_benefit_mode": 2e6, "annual_benefit_high": 3e6},
    )
    injected = json.loads(dest.read_text())["metadata"]["papermill"]["parameters"]
    assert injected["annual_benefit_mode"] == 2e6


@pytest.mark.parametrize(("rate", "said"), [(-0.5, "negative"), (5.0, "0.05")])
def test_new_refuses_a_negative_discount_and_asks_about_a_percentage(tmp_path, rate, said):
    with pytest.raises(TemplateError, match="discount") as caught:
        new("roi_analysis", tmp_path / "r.ipynb", {"discount": rate})
    assert said in str(caught.value)
    assert not (tmp_path / "r.ipynb").exists()


def test_run_checks_the_injected_values_with_the_new_ones_before_any_cell_runs(tmp_path):
    dest = new(
        "roi_analysis",
        tmp_path / "my_roi.ipynb",
        {"annual_benefit_low": 1e6, "annual_benefit_mode": 2e6, "annual_benefit_high": 3e6},
    )
    before = dest.read_bytes()
    # 4e6 is above the injected high end (3e6): refused before a kernel starts
    with pytest.raises(TemplateError, match="annual_benefit_high"):
        run(dest, {"annual_benefit_mode": 4e6}, progress=False)
    assert dest.read_bytes() == before
    assert list(tmp_path.iterdir()) == [dest]  # no .failed copy: nothing ran


def test_run_of_a_template_by_name_is_checked_too(tmp_path):
    out = tmp_path / "out.ipynb"
    with pytest.raises(TemplateError, match="discount"):
        run("roi_analysis", {"discount": -0.2}, out, progress=False)
    assert not out.exists()


def _markdown_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in nb["cells"]
        if cell["cell_type"] == "markdown"
    ]


NOTEBOOKS = sorted([*ROOT.glob("templates/*.ipynb"), *ROOT.glob("notebooks/*.ipynb")])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_dollar_amounts_in_markdown_render_as_text_not_maths(path):
    """JupyterLab and Notebook 7 typeset text between two unescaped ``$`` as LaTeX."""
    for source in _markdown_cells(path):
        prose = re.sub(r"`[^`]*`", "", source)  # code spans are not typeset
        bare = re.findall(r"(?<!\\)\$", prose)
        assert not bare, f"{path.name}: write \\$ in Markdown: {source[:200]!r}"


def test_bizml_new_says_the_refusal_in_one_line_and_writes_nothing(tmp_path, capsys):
    from bizml_nb.interfaces.cli import main

    dest = tmp_path / "my_roi.ipynb"
    status = main(["new", "roi_analysis", str(dest), "-p", "annual_benefit_mode", "2e6"])
    err = capsys.readouterr().err
    assert status == 1
    assert len(err.strip().splitlines()) == 1, err
    assert "annual_benefit_low" in err
    assert "annual_benefit_high" in err
    assert not dest.exists()


def test_an_optional_parameter_takes_a_number_or_none_and_refuses_other_text(tmp_path):
    """``deploy_days: Optional[float]`` as papermill reads it: a float, or None."""
    dest = new("roi_analysis", tmp_path / "a.ipynb", {"deploy_days": "45"})
    assert json.loads(dest.read_text())["metadata"]["papermill"]["parameters"] == {
        "deploy_days": 45.0
    }
    with pytest.raises(TemplateError, match=r"'deploy_days'.*finite number.*or None, not 'soon'"):
        new("roi_analysis", tmp_path / "b.ipynb", {"deploy_days": "soon"})


def test_a_missing_deployment_history_is_refused_at_new(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TemplateError, match="deployment_history") as caught:
        new("adoption_maturity", tmp_path / "m.ipynb", {"deployment_history": "deploys.csv"})
    assert "'deploys.csv', which is not a file" in str(caught.value)
    assert not (tmp_path / "m.ipynb").exists()


def test_relative_data_paths_are_checked_in_the_folder_the_notebook_runs_in(tmp_path, monkeypatch):
    """`bizml run --cwd`-style runs look for `ref.csv` where the kernel will run, not here."""
    from bizml_nb.interfaces.template_checks import check_together
    from bizml_nb.interfaces.templates import get_template

    data = tmp_path / "data"
    data.mkdir()
    header = "x0,proba,prediction,target\n0.1,0.8,1,1\n"
    (data / "ref.csv").write_text(header)
    (data / "recent.csv").write_text(header)
    (data / "deploys.csv").write_text("started,deployed\n2026-01-01,2026-02-01\n")
    monkeypatch.chdir(tmp_path)  # the files are not here
    monitor = get_template("silent_failure_monitoring").parameters
    paths = {"reference_path": "ref.csv", "analysis_path": "recent.csv"}
    check_together("silent_failure_monitoring", monitor, paths, "t", folder=data)
    with pytest.raises(TemplateError, match="reference_path"):
        check_together("silent_failure_monitoring", monitor, paths, "t")
    maturity = get_template("adoption_maturity").parameters
    history = {"deployment_history": "deploys.csv"}
    check_together("adoption_maturity", maturity, history, "t", folder=data)
    with pytest.raises(TemplateError, match="deployment_history"):
        check_together("adoption_maturity", maturity, history, "t")
