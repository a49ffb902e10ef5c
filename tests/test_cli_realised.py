"""`bizml observed`, `bizml calibration`, `bizml impact`, and observations brought back by
`bizml ledger import` from a notebook's observation cards.

The project is the quickstart's (conftest ``recsys``): take_rate (ratio, baseline 0.112,
2.5e9 per unit a year), ndcg@10 -> take_rate elasticity 0.35 [0.20, 0.50]; "two-tower
v2" (ndcg@10 0.41 against 0.40) predicts +0.35 pp [+0.20, +0.50].
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import nbformat
import pytest
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.core.schema import RecordError
from bizml_nb.interfaces.cli import main
from bizml_nb.interfaces.nbimport import import_files, observations_from_notebook
from bizml_nb.present.cards import run_card
from bizml_nb.present.realised_cards import OBSERVATION_MIME, observation_card
from bizml_nb.projects.project import Projects

if TYPE_CHECKING:
    from pathlib import Path

CELLS = (
    '%%bizml experiment "popularity baseline" --target take_rate --baseline\n'
    'import bizml_nb\nbizml_nb.log({"ndcg@10": 0.40})\n',
    '%%bizml experiment "two-tower v2" --target take_rate\nbizml_nb.log({"ndcg@10": 0.41})\n',
)
OBSERVED = [
    "observed",
    "two-tower v2",
    "--kpi-delta",
    "0.0021",
    "--interval",
    "0.0008",
    "0.0034",
    "--source",
    "A/B test 2026-11, 2 weeks",
]


def today() -> str:
    return datetime.now(UTC).date().isoformat()


@pytest.fixture
def runs(recsys: Any) -> Any:
    with capture_output():
        for cell in CELLS:
            assert recsys.run_cell(cell).success
    return recsys


def observations() -> list[tuple[float, float, float, str]]:
    return [
        (o.kpi_delta, o.low, o.high, o.observed_on)
        for o in bizml_nb.project().ledger.observations()
    ]


def test_observed_prints_the_card_and_stores_the_observation(
    runs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(OBSERVED) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "two-tower v2  ->  take_rate: predicted vs realised"
    assert "  Realised        +0.21 pp take_rate [+0.08, +0.34] (90%)\n" in out
    # 2.5e9 * [0.0008, 0.0021, 0.0034] a year
    assert "about +$5.25M/yr [+$2M, +$8.5M] (90%) at the realised change" in out
    assert observations() == [(0.0021, 0.0008, 0.0034, today())]
    assert [o.origin for o in bizml_nb.project().ledger.observations()] == ["cli"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--kpi-delta", "0.95", "--interval", "0.9", "1.0"], ["--kpi-delta", "percent points"]),
        (["--on", "2020-01-01"], ["--on", "before run"]),
        (["--csv", "ab.csv"], ["--csv", "--kpi-delta"]),
        (["--kpi", "churn"], ["'churn'"]),
    ],
)
def test_bad_input_exits_1_with_one_line_and_stores_nothing(
    runs: Any, capsys: pytest.CaptureFixture[str], extra: list[str], words: list[str]
) -> None:
    capsys.readouterr()
    argv = [*OBSERVED, *extra]
    if extra[0] == "--kpi-delta":  # replace the good change
        argv = [*OBSERVED[:2], *extra, *OBSERVED[7:]]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert err.startswith("bizml: error: ")
    assert len(err.splitlines()) == 1, err
    for word in words:
        assert word in err, err
    assert observations() == []


def test_calibration_and_impact_print_their_cards(
    runs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(OBSERVED) == 0
    assert main(["calibration", "--target", "take_rate"]) == 0
    assert main(["impact", "--since", "2026-01-01"]) == 0
    out = capsys.readouterr().out
    assert "Calibration: predicted vs realised\n" in out
    assert "  KPI         take_rate: 1 run with a prediction and an observation\n" in out
    assert "Realised impact of launched runs" in out
    assert main(["impact", "--since", "garbage"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bizml: error: --since is 'garbage'")


def test_impact_counts_money_to_date_up_to_today_given(
    runs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Launched today (the runs were made today), counted to 30 days later."""
    later = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    assert main(OBSERVED) == 0
    with capture_output():
        runs.run_line_magic("bizml", f'deployed "two-tower v2" --on {today()}')
    capsys.readouterr()
    assert main(["impact", "--today", later]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"Realised impact of launched runs, to {later} (USD)"
    # 0.0021 x 2.5e9 = $5.25M a year, for 30 days: 5.25e6 x 30 / 365.25 = $431,211
    assert "  To date      raw +$431k, shrunk +$431k (each launch from its deployed_on to " in out
    assert main(["impact", "--today", later]) == 0
    assert capsys.readouterr().out == out  # the same card whatever the day it is printed
    for bad in ("garbage", "2026-13-01", "1.12.2026"):
        assert main(["impact", "--today", bad]) == 1
        err = capsys.readouterr().err.strip()
        assert err == f"bizml: error: --today is {bad!r}, not a date; write it as YYYY-MM-DD"


# --------------------------------------------------------------------------- ledger import


def notebook_with_cards(path: Path, bundles: list[dict[str, Any]]) -> Path:
    nb = nbformat.v4.new_notebook()
    for bundle in bundles:
        cell = nbformat.v4.new_code_cell("%bizml ...")
        cell.outputs = [nbformat.v4.new_output("display_data", data=bundle)]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def test_ledger_import_brings_observations_after_the_runs(runs: Any, tmp_path: Path) -> None:
    project = bizml_nb.project()
    with capture_output():
        card = runs.run_line_magic(
            "bizml", " ".join([OBSERVED[0], '"two-tower v2"', *OBSERVED[2:8], '"A/B test"'])
        )
    (obs,) = project.ledger.observations()
    assert card._repr_mimebundle_()[OBSERVATION_MIME]["observation"] == obs.to_record()
    bundles = [run_card(project, run)._repr_mimebundle_() for run in project.ledger.runs()]
    path = notebook_with_cards(tmp_path / "nb.ipynb", [*bundles, card._repr_mimebundle_()])
    assert [found.id for _cell, found in observations_from_notebook(path)] == [obs.id]

    fresh = Projects().get(tmp_path, ledger=tmp_path / "other.sqlite")
    (done,) = import_files(fresh.ledger, [path])
    assert (done.found, done.imported) == (2, 2)
    assert (done.observations_found, done.observations_imported, done.problems) == (1, 1, ())
    # recorded by the magic; where the other ledger got it: the notebook imported
    assert obs.origin == "notebook"
    assert fresh.ledger.observations() == [replace(obs, origin="import:nb.ipynb")]
    # the kept prediction comes along: +0.35 pp [+0.20, +0.50] against the baseline run
    assert fresh.ledger.observations()[0].predicted == pytest.approx((0.0020, 0.0035, 0.0050))
    (base,) = [run for run in project.ledger.runs() if run.name == "popularity baseline"]
    assert fresh.ledger.observations()[0].baseline_id == base.id
    (again,) = import_files(fresh.ledger, [path])  # idempotent
    assert (again.imported, again.observations_imported) == (0, 0)
    assert fresh.ledger.observations() == [replace(obs, origin="import:nb.ipynb")]


def test_an_observation_of_an_unknown_run_is_a_problem_not_a_crash(
    runs: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = bizml_nb.project()
    with capture_output():
        card = runs.run_line_magic(
            "bizml", "observed last --kpi-delta 0.0021 --interval 0.0008 0.0034 --source x"
        )
    path = notebook_with_cards(tmp_path / "only_obs.ipynb", [card._repr_mimebundle_()])
    fresh = Projects().get(tmp_path, ledger=tmp_path / "empty.sqlite")
    (done,) = import_files(fresh.ledger, [path])
    assert (done.found, done.observations_found, done.observations_imported) == (0, 1, 0)
    (problem,) = done.problems
    assert "neither in the ledger nor in the files imported" in problem
    assert "cell 1" in problem
    assert fresh.ledger.observations() == []
    # the command says so on stderr and succeeds
    capsys.readouterr()
    assert main(["--ledger", str(tmp_path / "empty2.sqlite"), "ledger", "import", str(path)]) == 0
    captured = capsys.readouterr()
    assert "1 observations found, 0 imported" in captured.out
    assert captured.err.startswith("bizml: warning: ")
    assert project.ledger.observations() != []


def test_a_broken_observation_record_refuses_the_import(runs: Any, tmp_path: Path) -> None:
    project = bizml_nb.project()
    with capture_output():
        card = runs.run_line_magic(
            "bizml", "observed last --kpi-delta 0.0021 --interval 0.0008 0.0034 --source x"
        )
    bundle = card._repr_mimebundle_()
    record = bundle[OBSERVATION_MIME]["observation"]
    record["observation"]["low"] = 0.0025  # no longer contains kpi_delta 0.0021
    bundles = [run_card(project, run)._repr_mimebundle_() for run in project.ledger.runs()]
    path = notebook_with_cards(tmp_path / "bad.ipynb", [*bundles, bundle])
    fresh = Projects().get(tmp_path, ledger=tmp_path / "other.sqlite")
    with pytest.raises(RecordError, match="cell 3"):
        import_files(fresh.ledger, [path])
    assert fresh.ledger.runs() == []
    assert fresh.ledger.observations() == []


def test_observation_card_of_an_unobserved_run_imports_nothing(runs: Any, tmp_path: Path) -> None:
    project = bizml_nb.project()
    card = observation_card(project, "two-tower v2")
    assert card._repr_mimebundle_()[OBSERVATION_MIME]["observation"] is None
    path = notebook_with_cards(tmp_path / "none.ipynb", [card._repr_mimebundle_()])
    assert observations_from_notebook(path) == []
