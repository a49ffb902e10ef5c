"""The report read as text, as a decision maker reads it (the HTML parsed, tags dropped).

Built from a project whose root holds the shipped examples' executed notebooks (the ROI
template on run "SVD rank 6", the monitoring and the capacity templates): no raw float
with more than 4 significant digits, no record field name, no absolute path; each section
states its figures with their units and ranges, and "illustration" beside figures from
illustrative inputs.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import bizml_nb
from bizml_nb.present.report import RECORD_TYPES, build_report

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("roi_example", "monitoring_example", "scalability_example")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip = tag in ("style", "script")
        if tag in ("li", "p", "h1", "h2", "tr", "td", "th"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self._skip = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return "".join(parser.parts)


def _section(text: str, title: str) -> str:
    return text.split(f"\n{title}\n", 1)[1].split("\nMade by bizml_nb", 1)[0]


def _field_names() -> set[str]:
    """Every key (with an underscore) of every record in the shipped notebooks."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            names.update(k for k in value if "_" in k)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for name in SHIPPED:
        notebook = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
        for cell in notebook["cells"]:
            for output in cell.get("outputs", []):
                for mime, record in output.get("data", {}).items():
                    if mime in RECORD_TYPES:
                        walk(record)
    return names


@pytest.fixture
def text(project_dir: Path) -> str:
    bizml_nb.init("recsys", currency="USD")
    for name in SHIPPED:
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", project_dir / f"{name}.ipynb")
    notebooks = [str(project_dir / "*.ipynb")]
    return _text(build_report(bizml_nb.project(), notebooks=notebooks).read_text())


def test_no_long_float_no_field_name_no_absolute_path(text: str, project_dir: Path) -> None:
    """0.7872729846 or 4706683.788 are not for people; estimated_accuracy is not a word."""
    for number in re.findall(r"(?<![\w.,])\d[\d,]*(?:\.\d+)?", text):
        if "," in number:
            continue  # a count written for people: 1,000,000
        digits = number.replace(".", "").lstrip("0")
        assert len(digits) <= 4, number
    names = _field_names()
    assert {"estimated_accuracy", "cost_per_hour", "memory_per_replica_gb"} <= names
    assert not {word for word in re.findall(r"\w+", text) if word in names}
    assert str(project_dir) not in text
    assert not re.search(r"(^|\s)/(tmp|home|root|work|Users)/", text)
    assert "from roi_example.ipynb" in text  # relative to the project's root


def test_monitoring_is_written_for_people(text: str) -> None:
    """The decision, the estimated accuracy, the value per year with its 90% range (mid +- 1.645
    standard errors), the columns and the chunks that alerted and the caution about concept drift."""
    record = _record("monitoring_example", "application/vnd.bizml.monitor+json")
    monitoring = _section(text, "Monitoring").split("\nCapacity and cost\n")[0]
    assert f"Decision: {record['decision']}" in monitoring
    acc, acc_se = record["estimated_accuracy"], record["estimated_accuracy_se"]
    accuracy = (
        f"{acc * 100:.1f}% [{(acc - 1.6448536269514722 * acc_se) * 100:.1f}%, "
        f"{(acc + 1.6448536269514722 * acc_se) * 100:.1f}%] (90%)"
    )
    assert accuracy == "78.7% [78.3%, 79.1%] (90%)"  # 0.7873 +- 1.645 x 0.002414
    assert f"Estimated accuracy of the latest chunks, without labels: {accuracy}" in monitoring
    mid, se = record["estimated_value_change_per_year"], record["estimated_value_change_se"]
    low, high = mid - 1.6448536269514722 * se, mid + 1.6448536269514722 * se
    from bizml_nb.core import units

    ends = f"[{units.money(low, 'USD', signed=True)}, {units.money(high, 'USD', signed=True)}]"
    assert f"{units.money(mid, 'USD', signed=True)}/yr {ends}" in monitoring
    assert "(90%)" in monitoring
    assert "Drift alerts by column: " in monitoring
    # the chunks of 5,000 rows that alerted: two alone, then ten in a row from row 50,000
    assert record["alerted_chunks"][:3] == ["[5000:9999]", "[15000:19999]", "[50000:54999]"]
    assert (
        "Chunks that alerted (12 of 20): rows 5,000 to 9,999; rows 15,000 to 19,999; "
        "rows 50,000 to 99,999" in monitoring
    )
    assert "concept drift" in monitoring
    assert "illustration: generated data" in monitoring


def test_capacity_roi_and_summary_state_their_figures(text: str) -> None:
    """Capacity: instance, replicas, memory per replica, yearly cost, the reason; the ROI line
    of 'What to decide' is the one of run SVD rank 6; illustrations are labelled."""
    capacity = _section(text, "Capacity and cost")
    for words in ("Instance: ", "Replicas: ", "Memory per replica: ", "Yearly cost: ", "Why: "):
        assert words in capacity
    assert "(illustration: the default price table, not quotes)" in capacity
    decide = text.split("\nWhat to decide\n", 1)[1].split("\nBusiness metrics\n", 1)[0]
    assert "The ROI case for 'recommender: SVD rank 6': NPV " in decide
    assert "; illustration), P(NPV > 0) " in decide
    assert "The numbers that matter" in decide
    assert "Caveats" in decide
    assert len(decide.strip().splitlines()) <= 20  # fits on a screen


def test_a_template_left_at_its_defaults_gives_no_roi_line(project_dir: Path) -> None:
    """An ROI of the template's own example benefit is not this project's ROI case."""
    bizml_nb.init("p", currency="USD")
    record = {
        "npv": 3e5,
        "p_npv_positive": 0.96,
        "payback_month": 18,
        "defaults": ["annual_benefit"],
    }
    output = {"output_type": "display_data", "data": {"application/vnd.bizml.roi+json": record}}
    (project_dir / "roi.ipynb").write_text(json.dumps({"cells": [{"outputs": [output]}]}))
    page = build_report(bizml_nb.project(), notebooks=[str(project_dir / "*.ipynb")])
    text = _text(page.read_text())
    assert "The ROI case" not in text
    assert "NPV +$300k (illustration)" in text  # still in its section, labelled


def _record(name: str, mime: str) -> dict[str, Any]:
    notebook = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if mime in output.get("data", {}):
                return dict(output["data"][mime])
    raise AssertionError(f"no {mime} record in {name}")


def test_maturity_of_the_templates_example_team_is_an_illustration(project_dir: Path) -> None:
    """The adoption_maturity template's default answers describe an illustrative team."""
    bizml_nb.init("p", currency="USD")
    record = {
        "level": 1,
        "google_level": 0,
        "level_name": "DevOps but no MLOps",
        "organisation": "our ML team",
        "next_steps": [["people", "Name one owner per production model."]],
    }
    output = {
        "output_type": "display_data",
        "data": {"application/vnd.bizml.maturity+json": record},
    }
    (project_dir / "maturity.ipynb").write_text(json.dumps({"cells": [{"outputs": [output]}]}))
    elsewhere = project_dir.parent / f"{project_dir.name}-other"  # not under the root
    elsewhere.mkdir()
    (elsewhere / "maturity.ipynb").write_text(
        json.dumps({"cells": [{"outputs": [output]}]}).replace("our ML team", "another team")
    )
    from bizml_nb.interfaces.cli import main

    assert main(["report", "--format", "html"]) == 0  # the default: notebooks under the root
    text = _text((project_dir / "bizml-report.html").read_text())
    assert (
        "Level 1 (DevOps but no MLOps) on Microsoft's 0-4 scale, level 0 on Google's 0-2 scale "
        "for our ML team (illustration: the template's example team)"
    ) in text
    assert "Next step (people): Name one owner per production model." in text
    assert "another team" not in text  # another folder's notebook is not this project's
