"""`%bizml init --calibrate on`: experiment cards apply the haircut learned from observed runs.

One small project: a ratio KPI take_rate (baseline 11.2%, $2.5B a year per unit) and
the link ndcg@10 -> take_rate, elasticity 0.35 [0.2, 0.5]. The baseline run has
ndcg@10 0.40; five runs at 0.40 + 0.01 k (k = 1..5) are predicted to move take_rate
by p_k = 0.0035 k and realised r = 0.002, 0.003, 0.006, 0.007, 0.009:

    haircut h = sum(p r) / sum(p^2) = 0.0035 x 0.099 / (0.0035^2 x 55) = 0.099 / 0.1925
              = 0.5142857 (so h x 0.0035 = 0.0018 exactly)
    residuals r - h p = 0.0002, -0.0006, 0.0006, -0.0002, 0: sum of squares 8e-7,
    s^2 = 8e-7 / 4 = 2e-7, se = sqrt(2e-7 / 6.7375e-4) = 0.0172292,
    90% interval h +- t(4, 0.95) se = 0.5142857 +- 2.131847 x 0.0172292 = [0.47756, 0.55102]

The card shown is of a run at ndcg@10 0.46: predicted +0.021 [0.012, 0.030], worth
$52.5M/yr [$30M, $75M]; with the haircut +0.0108 [0.0061714, 0.0154286], worth
$27M/yr [$15.43M, $38.57M].
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from bizml_nb.core.errors import RegistryError
from bizml_nb.core.registry import Registry
from bizml_nb.interfaces.cli import main
from bizml_nb.present.cards import Card, run_card
from bizml_nb.projects.calibrated import MIN_OBSERVED_RUNS
from bizml_nb.projects.project import Project
from bizml_nb.projects.realised import observe
from tests.recsys_project import RECSYS_TOML, recsys_project

if TYPE_CHECKING:
    from pathlib import Path

BASE, R1, R2, R3, R4, R5, NEW = (f"01JDA{k}00000000000000000000"[:26] for k in "BCDEFGH")
REALISED = {R1: 0.002, R2: 0.003, R3: 0.006, R4: 0.007, R5: 0.009}
H = 0.099 / 0.1925
SE = (2e-7 / 6.7375e-4) ** 0.5
T4 = 2.131846786  # Student's t, 4 degrees of freedom, 95th percentile


def _project(root: Path, observed: int = 5) -> Project:
    runs = [
        (
            run_id,
            "popularity" if k == 0 else ("new ranker" if run_id == NEW else f"r{k}"),
            0.40 + 0.01 * k,
            None,
        )
        for k, run_id in enumerate((BASE, R1, R2, R3, R4, R5, NEW))
    ]
    project = recsys_project(root, runs, baseline=BASE)
    for run_id in list(REALISED)[:observed]:
        r = REALISED[run_id]
        observe(project, run_id, r, (r - 0.001, r + 0.001), source="A/B", on="2026-02-20")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return _project(tmp_path)


def _rows(card: Card) -> dict[str, str]:
    return dict(card.rows())


# --------------------------------------------------------------------------- the setting


def test_calibrate_is_written_only_when_on_and_removed_when_off(project: Project) -> None:
    assert project.registry.calibrate is False  # a file without the key: off
    assert project.init(calibrate=True) == "updated"
    assert "calibrate = true" in project.registry_path.read_text(encoding="utf-8")
    assert project.registry.calibrate is True
    assert project.init(calibrate=True) == "unchanged"
    assert project.init(calibrate=False) == "updated"
    assert project.registry_path.read_text(encoding="utf-8") == RECSYS_TOML  # as before
    assert project.registry.calibrate is False


def test_calibrate_in_the_file_must_be_true_or_false() -> None:
    text = RECSYS_TOML.replace('currency = "USD"\n', 'currency = "USD"\ncalibrate = "yes"\n')
    with pytest.raises(RegistryError, match=r"calibrate.*must be true or false"):
        Registry.from_text(text)
    off = RECSYS_TOML.replace('currency = "USD"\n', 'currency = "USD"\ncalibrate = false\n')
    assert Registry.from_text(off).calibrate is False


def test_project_init_refuses_a_calibrate_that_is_not_a_bool(project: Project) -> None:
    with pytest.raises(RegistryError, match="calibrate must be True or False"):
        project.init(calibrate="on")  # type: ignore[arg-type]
    assert project.registry_path.read_text(encoding="utf-8") == RECSYS_TOML


def test_cli_init_calibrate(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--calibrate", "on"]) == 0
    assert "calibration on" in capsys.readouterr().out
    assert "calibrate = true" in (project_dir / "bizml.toml").read_text(encoding="utf-8")
    assert main(["init", "--calibrate", "off"]) == 0
    assert "calibrate =" not in (project_dir / "bizml.toml").read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["init", "--calibrate", "yes"])
    assert "invalid choice: 'yes'" in capsys.readouterr().err


def test_magic_init_calibrate(ip: Any, project_dir: Path) -> None:
    from IPython.core.error import UsageError
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        ip.run_line_magic("bizml", "init --project p --calibrate on")
    assert "calibration on" in captured.stdout
    assert Project.at(project_dir).registry.calibrate is True
    with pytest.raises(UsageError, match="invalid choice: 'maybe'"):
        ip.run_line_magic("bizml", "init --calibrate maybe")
    assert Project.at(project_dir).registry.calibrate is True


# --------------------------------------------------------------------------- the card


def test_off_the_card_is_as_before(project: Project) -> None:
    plain = Card.build(project.run(NEW), project.registry, project.ledger.baseline("take_rate"))
    card = run_card(project, NEW)
    assert card.text() == plain.text()
    assert "calibration" not in card.record()
    project.init(calibrate=True)
    project.init(calibrate=False)
    assert run_card(project, NEW).text() == plain.text()


def test_on_with_five_observed_runs_the_card_applies_the_haircut(project: Project) -> None:
    project.init(calibrate=True)
    card = run_card(project, NEW)
    rows = _rows(card)
    # +0.021 x 0.5142857 = +0.0108: +1.08 pp, range [+0.62, +1.54] pp
    assert rows["Business"].startswith("+1.08 pp take_rate [+0.62, +1.54] (90%)")
    # $2.5B x 0.0108 = $27M; $15.4M to $38.6M
    assert rows["Value"] == "about +$27M/yr [+$15.4M, +$38.6M] (90%)"
    assert rows["Calibrated"] == (
        "x0.51 haircut (90% [0.48, 0.55]) learned from 5 observed runs of take_rate; "
        "uncalibrated +2.10 pp, $52.5M/yr"
    )
    assert "+1.08 pp take_rate" in rows["Verdict"]
    # the link's own row keeps what the link predicts
    assert "-> take_rate +2.10 pp" in rows["Impact"]
    record = card.record()
    calibration = record["calibration"]
    assert calibration["applied"] is True
    assert calibration["haircut"] == pytest.approx(H)
    assert calibration["interval"] == pytest.approx([H - T4 * SE, H + T4 * SE], abs=1e-7)
    assert calibration["interval"] == pytest.approx([0.47756, 0.55102], abs=1e-5)
    assert (calibration["n"], calibration["min_runs"], calibration["kpi"]) == (5, 5, "take_rate")
    assert calibration["uncalibrated_business_delta"] == pytest.approx([0.012, 0.021, 0.03])
    assert record["impact"]["business_delta"] == pytest.approx([0.012 * H, 0.021 * H, 0.030 * H])


def test_the_verdict_is_computed_on_the_calibrated_figures(project: Project) -> None:
    project.init(min_annual_value=40e6)
    # uncalibrated: low $30M > 0 and mid $52.5M >= $40M: material
    assert run_card(project, NEW).impact.verdict.label == "material"  # type: ignore[union-attr]
    project.init(calibrate=True)
    # calibrated: high $38.57M < the $40M bar: not material
    card = run_card(project, NEW)
    assert card.impact is not None
    assert card.impact.verdict is not None
    assert card.impact.verdict.label == "not material"
    assert card.record()["impact"]["verdict"]["label"] == "not material"


def test_on_with_too_few_observed_runs_the_card_says_so_and_keeps_its_figures(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, observed=3)
    before = _rows(run_card(project, NEW))
    project.init(calibrate=True)
    card = run_card(project, NEW)
    rows = _rows(card)
    assert rows["Calibrated"] == (
        f"calibration on, not applied: 3 observed runs of take_rate, needs {MIN_OBSERVED_RUNS}"
    )
    assert (rows["Business"], rows["Value"], rows["Verdict"]) == (
        before["Business"],
        before["Value"],
        before["Verdict"],
    )
    calibration = card.record()["calibration"]
    assert (calibration["applied"], calibration["n"], calibration["haircut"]) == (False, 3, None)


def test_on_without_observations_and_for_a_baseline_run(tmp_path: Path) -> None:
    project = _project(tmp_path, observed=0)
    project.init(calibrate=True)
    assert _rows(run_card(project, NEW))["Calibrated"] == (
        "calibration on, not applied: 0 observed runs of take_rate, needs 5"
    )
    baseline = run_card(project, BASE)  # nothing predicted, nothing to calibrate
    assert "Calibrated" not in _rows(baseline)
    assert "calibration" not in baseline.record()
