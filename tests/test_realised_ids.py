"""Run ids on the realised-value cards: 12 characters, more where runs listed share them.

Two runs made in the same millisecond share their first 10 characters (a ULID's time)
and, made in one process, all but the last (the monotonic ULID adds one); a card that
names runs by a 12-character prefix would then name two runs alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from bizml_nb.core.run import Run, new_run_id, unique_prefixes
from bizml_nb.present.calibration_card import calibration_card
from bizml_nb.present.realised_cards import impact_card
from bizml_nb.projects.project import Project
from bizml_nb.projects.realised import observe
from tests.recsys_project import RECSYS_TOML

if TYPE_CHECKING:
    from pathlib import Path

# two ids sharing exactly 12 characters, two sharing exactly 14, and one on its own
A12 = "01JDA0000000" + "X" * 14
B12 = "01JDA0000000" + "Y" * 14
A14 = "01JDB00000000" + "0" + "P" * 12
B14 = "01JDB00000000" + "0" + "Q" * 12
LONE = "01JDC" + "0" * 21


def test_each_id_gets_the_shortest_prefix_no_other_shares() -> None:
    shown = unique_prefixes([A12, B12, A14, B14, LONE])
    assert (
        shown
        == {
            A12: A12[:13],  # 12 shared: the 13th character tells them apart
            B12: B12[:13],
            A14: A14[:15],  # 14 shared: the 15th does
            B14: B14[:15],
            LONE: LONE[:12],  # nothing shared beyond "01JD": the 12 characters cards show
        }
    )
    assert [len(prefix) for prefix in shown.values()] == [13, 13, 15, 15, 12]
    assert all(sum(i.startswith(p) for i in shown) == 1 for p in shown.values())


def test_edge_cases() -> None:
    assert unique_prefixes([]) == {}
    assert unique_prefixes([A12, A12]) == {A12: A12[:12]}  # the same id twice is one
    assert unique_prefixes(["short", LONE]) == {"short": "short", LONE: LONE[:12]}
    # an id that begins another is shown whole: no prefix of it tells it apart
    assert unique_prefixes([A12[:12], A12]) == {A12[:12]: A12[:12], A12: A12[:13]}
    assert unique_prefixes([A12, B12], shortest=4) == {A12: A12[:13], B12: B12[:13]}
    assert unique_prefixes([A14, LONE], shortest=4) == {A14: "01JDB", LONE: "01JDC"}


def test_ids_made_in_one_millisecond_are_told_apart() -> None:
    made = [new_run_id() for _ in range(50)]  # many share a millisecond: ids + 1
    shown = unique_prefixes(made)
    assert len(set(shown.values())) == 50
    assert all(
        len(prefix) >= 12 and made_id.startswith(prefix) for made_id, prefix in shown.items()
    )


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "bizml.toml").write_text(RECSYS_TOML, encoding="utf-8")
    proj = Project.at(tmp_path)
    base = "01JD90000000" + "0" * 14
    for run_id, name, ndcg, status in (
        (base, "popularity", 0.40, "ok"),
        (A12, "tower a", 0.41, "ok"),
        (B12, "tower b", 0.42, "ok"),
        (A14, "broken a", 0.0, "failed"),
        (B14, "broken b", 0.0, "failed"),
    ):
        proj.ledger.record(
            Run(
                id=run_id,
                name=name,
                target="take_rate",
                started_at="2026-01-05T09:00:00.000Z",
                metrics={"ndcg@10": ndcg} if status == "ok" else {},
                status=status,  # type: ignore[arg-type]
                error="ValueError: x" if status == "failed" else None,
                is_baseline=run_id == base,
            )
        )
    return proj


def test_the_impact_card_names_launches_sharing_12_characters_by_13(project: Project) -> None:
    observe(project, A12, 0.0021, (0.0008, 0.0034), source="A/B test", on="2026-02-20")
    project.ledger.mark_deployed(A12, "2026-02-01")
    project.ledger.mark_deployed(B12, "2026-03-01")
    text = impact_card(project, today="2026-04-01").text()
    assert f'  Launch       "tower a" (id {A12[:13]}) live since 2026-02-01: ' in text
    assert f'  Not measured "tower b" (id {B12[:13]}) live since 2026-03-01: ' in text
    assert f"record it with `%bizml observed {B12[:13]} --kpi-delta" in text


def test_the_calibration_card_names_excluded_runs_sharing_14_characters_by_15(
    project: Project,
) -> None:
    for run_id in (A14, B14):
        observe(project, run_id, 0.001, (0.0, 0.002), source="A/B test", on="2026-02-20")
    text = calibration_card(project, chart=False).text()
    assert (
        f'  Excluded    2 observed without a prediction: "broken a" (id {A14[:15]}), '
        f'"broken b" (id {B14[:15]})\n'
    ) in text
