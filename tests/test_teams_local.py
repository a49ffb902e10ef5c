"""Team sync without a server: the mapping's pure parts, the arguments, and the messages
given before anything is contacted (these run with or without the mlflow extra)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from bizml_nb.core.errors import BizmlError
from bizml_nb.core.run import Run
from bizml_nb.projects.project import Project
from bizml_nb.teams import SyncError, parse_map, push, status
from bizml_nb.teams.mapping import batches, epoch_ms, map_run, mlflow_name, original_names

if TYPE_CHECKING:
    from pathlib import Path


def test_names_mlflow_refuses_become_underscores_and_map_back() -> None:
    run = Run.new("r", target="kpi", metrics={"ndcg@10": 0.4, "ndcg_10": 0.5, "auc": 0.7})
    mapped = map_run(run, None, "sha")
    # "ndcg@10" is sent as ndcg_10; the run's own ndcg_10 would read alike and stays in the record
    assert mapped.ml_metrics == {"ndcg_10": 0.4, "auc": 0.7}
    assert original_names(mapped.tags) == {"ndcg_10": "ndcg@10"}
    assert mapped.record["run"]["metrics"] == {"ndcg@10": 0.4, "ndcg_10": 0.5, "auc": 0.7}
    assert mlflow_name("a b/c:d.e-f_g") == "a b/c:d.e-f_g"
    assert mlflow_name("x" * 300) == "x" * 250
    assert mapped.tags["bizml.verdict"] == "none"
    assert mapped.status == "FINISHED"


def test_times_are_milliseconds_since_1970() -> None:
    assert epoch_ms("1970-01-01T00:00:01.250Z") == 1250
    assert epoch_ms("2026-11-28T12:00:00.123Z") == 1_795_867_200_123


def test_batches_pack_every_kind_within_mlflows_limits() -> None:
    sizes = [tuple(map(len, c)) for c in batches(list(range(1001)), list(range(101)), [1])]
    # the tag and 100 params leave room for 899 metrics in the first call; the rest in one more
    assert sizes == [(899, 100, 1), (102, 1, 0)]
    assert [tuple(map(len, c)) for c in batches([1] * 10, [2] * 3, [3] * 9)] == [(10, 3, 9)]
    assert list(batches([], [], [])) == []


@pytest.mark.parametrize("bad", ["val_ndcg", "=ndcg@10", "val_ndcg=", " = "])
def test_a_map_that_is_not_name_equals_name_is_refused(bad: str) -> None:
    with pytest.raises(SyncError, match="must be MLFLOW_METRIC=ML_METRIC"):
        parse_map([bad])
    assert parse_map(["val_ndcg = ndcg@10", "a=b"]) == {"val_ndcg": "ndcg@10", "a": "b"}


def test_without_the_mlflow_extra_the_message_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    project = Project.at(tmp_path)
    with pytest.raises(
        SyncError, match=r'needs the mlflow package: `pip install "bizml_nb\[mlflow\]"`'
    ):
        push(project, tracking_uri="http://127.0.0.1:9")
    assert not (tmp_path / ".bizml").exists()  # nothing local was made


def test_a_sync_key_of_the_wrong_kind_is_refused_by_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp_path / "bizml.toml").write_text(
        '[project]\nname = "p"\n\n[sync]\nmlflow_tracking_uri = 5\n'
    )
    with pytest.raises(
        BizmlError, match=r"bizml.toml, line 5: sync.mlflow_tracking_uri = 5 must be a string"
    ):
        status(Project.at(tmp_path))
    (tmp_path / "bizml.toml").write_text('[project]\nname = "p"\n\n[sync]\nmlflow_uri = "x"\n')
    with pytest.raises(BizmlError, match=r"line 5: .*mlflow_uri"):
        status(Project.at(tmp_path))
    (tmp_path / "bizml.toml").write_text(
        '[project]\nname = "p"\n\n[sync]\nmlflow_tracking_uri = "http://h:1"\n'
    )
    assert status(Project.at(tmp_path)).tracking_uri == "http://h:1"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env:2")
    assert status(Project.at(tmp_path)).tracking_uri == "http://env:2"
    assert (
        status(Project.at(tmp_path), tracking_uri="http://given:3").tracking_uri == "http://given:3"
    )


@pytest.mark.parametrize("uri", ["1", "mlruns", "file:///tmp/x", "sqlite:///m.db"])
def test_a_tracking_uri_that_is_not_a_server_is_refused_before_mlflow_writes_anything(
    tmp_path: Path, uri: str
) -> None:
    project = Project.at(tmp_path)
    project.ledger.record(Run.new("r", target="kpi"))
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SyncError, match="is not the address of an MLflow tracking server"):
        push(project, tracking_uri=uri)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
