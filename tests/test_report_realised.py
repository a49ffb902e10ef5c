"""The report's "Predicted vs realised" section, with figures worked out by hand.

The project of tests/test_realised_value.py: a ratio KPI take_rate ($25M a year per
+1 pp: value_per_unit 2.5e9) and one link ndcg@10 -> take_rate, elasticity 0.35 with
the 90% interval [0.2, 0.5]; the baseline run has ndcg@10 0.40:

    run            ndcg@10  predicted mid  90% range           realised  launched
    two-tower v2   0.41     0.0035         [0.0020, 0.0050]    0.0021    2026-02-01
    cross-encoder  0.42     0.0070         [0.0040, 0.0100]    0.0030    2026-03-01
    two-tower v3   0.44     0.0140         [0.0080, 0.0200]    0.0090    2026-04-01
    session model  0.43     0.0105                             (none)    2026-05-01

Each observation has se 0.002 (its 90% interval x +- 1.6449 x 0.002).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pytest

from bizml_nb.core.run import Run
from bizml_nb.core.units import Z90
from bizml_nb.present.report import build_report, gather, to_html, to_markdown
from bizml_nb.projects.project import Project
from bizml_nb.projects.realised import observe
from tests.recsys_project import RECSYS_TOML, recsys_project

if TYPE_CHECKING:
    from pathlib import Path

BASE, V2, CROSS, V3, SESSION = (f"01JDA{k}00000000000000000000"[:26] for k in "BCDEF")
HALF = Z90 * 0.002
TODAY = "2026-07-01"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    runs = [
        (BASE, "popularity", 0.40, None),
        (V2, "two-tower v2", 0.41, "2026-02-01"),
        (CROSS, "cross-encoder", 0.42, "2026-03-01"),
        (V3, "two-tower v3", 0.44, "2026-04-01"),
        (SESSION, "<b>session</b> | model", 0.43, "2026-05-01"),
    ]
    return recsys_project(tmp_path, runs, baseline=BASE)


def _observe_three(project: Project) -> None:
    for run_id, x, day in (
        (V2, 0.0021, "2026-02-20"),
        (CROSS, 0.0030, "2026-03-20"),
        (V3, 0.0090, "2026-04-20"),
    ):
        observe(project, run_id, x, (x - HALF, x + HALF), source="A/B test", on=day)


def _cells(found: object) -> dict[str, str]:
    from bizml_nb.present.report.realised import COLUMNS

    section = found.realised  # type: ignore[attr-defined]
    assert section is not None
    (row,) = section.rows
    return {column: "".join(cell) for column, cell in zip(COLUMNS, row, strict=True)}


def test_the_section_per_kpi_with_figures_worked_by_hand(project: Project) -> None:
    _observe_three(project)
    found = gather(project, charts=False, today=TODAY)
    cells = _cells(found)
    assert cells["KPI"] == "take_rate"
    assert cells["runs predicted and measured"] == "3"
    # 0.0021 in [0.002, 0.005] yes; 0.0030 in [0.004, 0.010] no; 0.0090 in [0.008, 0.020] yes
    assert cells["inside the predicted 90% range"] == "2 of 3 (67%)"
    # haircut = sum(p r) / sum(p^2) = (7.35 + 21 + 126)e-6 / (12.25 + 49 + 196)e-6
    # = 154.35 / 257.25 = 0.6; residuals r - 0.6 p: 0, -0.0012, +0.0006; s^2 = 1.8e-6 / 2
    # = 9e-7; se = sqrt(9e-7 / 2.5725e-4) = 0.059148; t(2, 95%) = 2.919986: half-width
    # 0.172710, so [0.427, 0.773]
    assert cells["haircut: realised per unit predicted (90%)"] == "0.60 [0.43, 0.77]"
    # per year: raw 0.0141 x 2.5e9 = $35.25M, shrunk the same (equal se: the shrunk
    # deviations sum to 0), shown to 3 significant digits
    assert cells["realised per year: raw, shrunk"] == "+$35.2M/yr, +$35.2M/yr"
    # to 2026-07-01: 150, 122, 91 days; raw 2.5e9 x (0.315 + 0.366 + 0.819) / 365.25
    # = 2.5e9 x 1.5 / 365.25 = $10.27M; shrunk: mean 0.0047, tau^2 = 14.07e-6 - 4e-6,
    # B = 10.07 / 14.07 = 0.715707, shrunk 0.00283916, 0.00348330, 0.00777754:
    # 2.5e9 x (0.425874 + 0.424963 + 0.707756) / 365.25 = $10.67M
    assert cells["realised to date: raw, shrunk"] == "+$10.3M, +$10.7M"
    assert cells["launched, not measured"] == "1: '<b>session</b> | model'"
    notes = ["".join(line) for line in found.realised.notes]  # type: ignore[union-attr]
    # one win (0.0090 > 1.6449 x 0.002): raw 0.009 x 2.5e9 = $22.5M, shrunk 0.00777754
    # x 2.5e9 = $19.44M; the curse 0.00122246 x 2.5e9 = $3.06M
    assert notes[0] == (
        "take_rate: 1 significant win(s) add up to +$22.5M/yr as measured, +$19.4M/yr once "
        "shrunk: the winner's curse overstates them by $3.06M/yr."
    )
    assert "to 2026-07-01" in notes[1]
    # the haircut's 90% interval [0.43, 0.77] lies below 1: one line in the summary
    decisions = ["".join(line) for line in found.decisions]
    assert decisions[-1] == (
        "Predictions of take_rate were too optimistic: launches realised 0.60 of the predicted "
        "change (90%: 0.43 to 0.77, over 3 runs); scale new predictions by it before deciding."
    )


def test_html_and_markdown_show_the_section_with_user_strings_escaped(
    project: Project,
) -> None:
    _observe_three(project)
    found = gather(project, charts=False, today=TODAY)
    page = to_html(found)
    assert "<h2>Predicted vs realised</h2>" in page
    assert "<td>0.60 [0.43, 0.77]</td>" in page
    assert "<b>session</b>" not in page
    assert html.escape("1: '<b>session</b> | model'") in page
    text = to_markdown(found)
    assert "## Predicted vs realised" in text
    assert "<b>" not in text
    section = text.split("## Predicted vs realised", 1)[1].splitlines()
    row = next(line for line in section if line.startswith("| take\\_rate |"))
    assert row.count(" | ") == 6  # seven cells: the name's | is escaped, not a cell break
    assert "0.60 \\[0.43, 0.77\\]" in row or "0.60 [0.43, 0.77]" in row


def test_no_observation_and_no_launch_leave_the_section_out(tmp_path: Path) -> None:
    (tmp_path / "bizml.toml").write_text(RECSYS_TOML, encoding="utf-8")
    project = Project.at(tmp_path)
    found = gather(project, charts=False, today=TODAY)
    assert found.realised is None
    assert "Predicted vs realised" not in to_html(found)
    assert "Predicted vs realised" not in to_markdown(found)


def test_launches_without_observations_say_one_line_and_no_table(project: Project) -> None:
    found = gather(project, charts=False, today=TODAY)
    section = found.realised
    assert section is not None
    assert section.rows == []
    (line,) = ["".join(n) for n in section.notes]
    assert line.startswith(
        "No launch measured yet: 4 launched run(s) have no observation ('two-tower v2', "
    )
    page = to_html(found)
    assert "<h2>Predicted vs realised</h2>\n<p>No launch measured yet" in page
    assert "<table><tr><th>KPI</th><th>runs predicted" not in page
    assert not any("too optimistic" in "".join(d) for d in found.decisions)


def test_a_haircut_whose_interval_reaches_1_adds_no_summary_line(project: Project) -> None:
    # realised = 0.9 x predicted and 1.1 x predicted alternately: haircut
    # (0.9 x 12.25 + 1.1 x 49 + 0.9 x 196)e-6 / 257.25e-6 = 241.315 / 257.25 = 0.938;
    # its interval is wide enough to reach 1 (residuals of +-0.1 p, 3 points)
    for run_id, x in ((V2, 0.9 * 0.0035), (CROSS, 1.1 * 0.007), (V3, 0.9 * 0.014)):
        observe(project, run_id, x, (x - HALF, x + HALF), source="A/B test", on="2026-04-20")
    found = gather(project, charts=False, today=TODAY)
    cells = _cells(found)
    assert cells["haircut: realised per unit predicted (90%)"].startswith("0.94 [")
    assert not any("too optimistic" in "".join(d) for d in found.decisions)


def test_build_report_writes_the_section(project: Project, tmp_path: Path) -> None:
    _observe_three(project)
    out = build_report(project, tmp_path / "r.md", fmt="md", today=TODAY)
    text = out.read_text(encoding="utf-8")
    assert "## Predicted vs realised" in text
    assert "+\\$10.3M, +\\$10.7M" in text or "+$10.3M, +$10.7M" in text


def test_a_haircut_that_cannot_be_computed_says_why(project: Project) -> None:
    """Three runs scoring exactly the baseline's ndcg@10: each predicted change is 0, so
    no haircut (realised / predicted) exists; the cell says so, not "needs 2 runs"."""
    ids = [f"01JDB{k}00000000000000000000"[:26] for k in "GHJ"]
    for run_id in ids:
        project.ledger.record(
            Run(
                id=run_id,
                name=f"same as baseline {run_id[5]}",
                target="take_rate",
                started_at="2026-01-05T09:00:00.000Z",
                metrics={"ndcg@10": 0.40},
            )
        )
        observe(project, run_id, 0.001, (0.0, 0.002), source="A/B test", on="2026-02-20")
    cells = _cells(gather(project, charts=False, today=TODAY))
    assert cells["runs predicted and measured"] == "3"
    assert cells["haircut: realised per unit predicted (90%)"].startswith(
        "every prediction is 0; a haircut (realised / predicted) needs a nonzero one"
    )
