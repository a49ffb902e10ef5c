"""Which run is a KPI's baseline, how cards name it, and runs named alike.

Numbers by hand: NDCG -> take-rate at 0.35, worth $2.5e9 a year per unit of take-rate.
Against a baseline at NDCG 0.40, a run at 0.41 is +0.01 NDCG, +0.35 pp take-rate, about
$8.75M a year; against one at 0.38 it is +0.03 NDCG, $26.25M a year (shown $26.2M).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.core.errors import LedgerError
from bizml_nb.interfaces.cli import main
from bizml_nb.present.cards import RUN_MIME, run_card

if TYPE_CHECKING:
    from pathlib import Path

    from bizml_nb.core.ledger import Run
    from bizml_nb.projects.project import Project


@pytest.fixture
def declared(project_dir: Path) -> Project:
    bizml_nb.init("recsys-home", currency="USD")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", value_per_unit=2.5e9)
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35)
    return bizml_nb.project()


def record(name: str, ndcg: float | None, *, baseline: bool = False, fail: bool = False) -> Run:
    experiment = bizml_nb.experiment(name, target="take_rate", baseline=baseline)
    with pytest.raises(NameError) if fail else _nothing(), experiment as run:
        if ndcg is not None:
            run.log({"ndcg@10": ndcg})
        if fail:
            raise NameError("name 'evaluate' is not defined")
    assert run.record is not None
    return run.record


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


# --------------------------------------------------------------------------- the baseline rule


def test_a_failed_baseline_cell_is_never_the_baseline(declared: Project) -> None:
    """--baseline on a cell that raised: the run is failed, not the KPI's baseline, and the
    next run is compared with the earlier successful baseline; its card names that one."""
    first = record("popularity", 0.40, baseline=True)
    broken = record("broken baseline", 0.38, baseline=True, fail=True)
    assert broken.status == "failed"
    assert declared.ledger.baseline("take_rate") == first
    later = record("two-tower v2", 0.41)
    card = run_card(declared, later)
    text = card.text()
    assert f'changes vs the baseline run "popularity" (id {first.id[:12]})' in text
    assert "about +$8.75M/yr" in text  # 0.41 - 0.40, not 0.41 - 0.38
    assert card.record()["baseline_run"] == first.id
    broken_card = run_card(declared, broken).text()
    assert "[failed]" in broken_card
    assert (
        "  Baseline    not take_rate's baseline: a failed run never is; take_rate's runs are "
        f'compared with "popularity" (id {first.id[:12]})'
    ) in broken_card


def test_a_failed_first_baseline_leaves_the_kpi_without_one(declared: Project) -> None:
    """The README's first cell failing: no baseline, and the failed run's card says so."""
    broken = record("popularity baseline", None, baseline=True, fail=True)
    assert declared.ledger.baseline("take_rate") is None
    text = run_card(declared, broken).text()
    assert (
        "  Baseline    not take_rate's baseline: a failed run never is; take_rate has no "
        "baseline run yet"
    ) in text
    table = bizml_nb.runs()
    assert table["status"].tolist() == ["failed"]
    from bizml_nb.present.views import runs_table

    assert runs_table(declared)["baseline"].tolist() == [False]


def test_setting_a_failed_run_as_baseline_is_refused_and_changes_nothing(
    declared: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """Project.set_baseline, `%bizml baseline` and the message: the baseline stays."""
    first = record("popularity", 0.40, baseline=True)
    broken = record("broken", 0.38, fail=True)
    with pytest.raises(LedgerError) as info:
        declared.set_baseline(broken.id)
    message = str(info.value)
    assert message.startswith(f'run "broken" (id {broken.id[:12]}) failed; only a successful')
    assert f'take_rate\'s baseline stays "popularity" (id {first.id[:12]})' in message
    assert declared.ledger.baseline("take_rate") == first


def test_the_baseline_magic_refuses_a_failed_run(declared: Project, ip: Any) -> None:
    with capture_output():
        ip.run_cell('%%bizml experiment "broken" --target take_rate --baseline\n1/0\n')
    with pytest.raises(UsageError, match=r"failed; only a successful run can be a baseline"):
        ip.run_line_magic("bizml", 'baseline "broken"')
    assert declared.ledger.baseline("take_rate") is None


def test_an_old_ledgers_failed_baseline_is_skipped(declared: Project) -> None:
    """A ledger whose baselines table points at a failed run (as an older version could
    write): read time skips it and uses the latest successful run recorded as a baseline."""
    first = record("popularity", 0.38, baseline=True)
    second = record("popularity again", 0.40, baseline=True)
    broken = record("broken", 0.39, baseline=True, fail=True)
    declared.ledger.close()
    with sqlite3.connect(declared.ledger.path) as conn:
        conn.execute("UPDATE baselines SET run_id = ? WHERE target = 'take_rate'", (broken.id,))
    conn.close()
    assert declared.ledger.baseline("take_rate") == second
    later = record("two-tower v2", 0.41)
    assert f"(id {second.id[:12]})" in run_card(declared, later).text()
    assert first.id[:12] not in run_card(declared, later).text()


# --------------------------------------------------------------------------- names alike


def test_a_name_shared_by_two_runs_is_refused_with_the_candidates(
    declared: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """Project.run, bizml_nb.show, `bizml ledger show`: each candidate listed, newest first."""
    older = record("two-tower v2", 0.41)
    newer = record("two-tower v2", 0.42, fail=True)
    for ask in (declared.run, bizml_nb.show):
        with pytest.raises(LedgerError) as info:
            ask("two-tower v2")
        lines = str(info.value).splitlines()
        assert lines[0] == (
            '2 runs are named "two-tower v2"; give the id (or a unique prefix of it) of the '
            "one you mean:"
        )
        assert lines[1].split() == [
            newer.id,
            *newer.started_at[:19].split("T"),
            "failed",
            "->",
            "take_rate",
        ]
        assert lines[2].split()[0] == older.id
        assert lines[2].split()[3:] == ["ok", "->", "take_rate"]
    assert main(["ledger", "show", "two-tower v2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith('bizml: error: 2 runs are named "two-tower v2"')
    assert f"\n  {older.id}  " in err
    # ids, unique prefixes, `last` and unique names still work
    assert declared.run(older.id) == older
    assert declared.run(newer.id[:20]) == newer
    assert declared.run("last") == newer
    only = record("popularity", 0.40)
    assert declared.run("popularity") == only


def test_the_show_magic_lists_runs_named_alike(declared: Project, ip: Any) -> None:
    for _ in range(2):
        with capture_output() as captured:
            ip.run_cell('%%bizml experiment "same" --target take_rate\nbizml_nb.log(x=1)\n')
        assert any(RUN_MIME in o.data for o in captured.outputs)
    with pytest.raises(UsageError, match=r'2 runs are named "same"; give the id'):
        ip.run_line_magic("bizml", 'show "same"')


def test_runs_made_in_the_same_millisecond_are_listed_by_ids_that_tell_them_apart(
    declared: Project,
) -> None:
    """A loop records runs faster than the clock ticks: their ids share 12 characters
    or more, and each listed id still picks exactly its run."""
    made = [record("sweep", 0.40 + i / 100) for i in range(3)]
    with pytest.raises(LedgerError) as info:
        declared.run("sweep")
    listed = [line.split()[0] for line in str(info.value).splitlines()[1:]]
    assert sorted(listed) == sorted(run.id for run in made)
    assert [declared.run(ref).id for ref in listed] == listed
