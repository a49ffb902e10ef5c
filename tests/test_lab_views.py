"""The JupyterLab routes' plain functions, in this process: each project's own predictions,
paths kept inside the root, and notebook names."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from bizml_nb.core import predictions as store
from bizml_nb.core.ledger import Ledger
from bizml_nb.core.run import Run
from bizml_nb.interfaces import lab_api, lab_paths
from bizml_nb.projects.project import Project

if TYPE_CHECKING:
    import os

Y = np.array([1] * 5 + [0] * 25)
BASE = np.zeros(30, dtype=int)
NEW = np.array([1, 1, 1, 1, 0] + [1, 1, 1] + [0] * 22)  # 4 caught, 1 missed, 3 false alarms
BEST = Y.copy()  # every fraud caught, no false alarm


def _counts(y_pred: np.ndarray) -> dict[str, float]:
    return store.build(Y, y_pred).counts()


def _fraud_project(folder: Path) -> str:
    """fraud_value <- confusion [[0, -20], [-100, 0]] at 1,000 cases a year; a baseline
    run and a "new" run, each with its confusion counts and its predictions."""
    folder.mkdir(parents=True)
    project = Project.at(folder)
    project.init("fraud", currency="USD")
    project.metric("fraud_value", unit="USD", direction="higher", value_per_unit=1)
    project.link("confusion", "fraud_value", value_matrix=[0, -20, -100, 0], cases_per_year=1000)
    project.ledger.close()
    ledger_path = folder / ".bizml" / "ledger.sqlite"
    ledger = Ledger(ledger_path)
    base = Run.new("base", target="fraud_value", metrics=_counts(BASE), is_baseline=True)
    new = Run.new("new", target="fraud_value", metrics=_counts(NEW))
    ledger.record(base)
    ledger.record(new)
    ledger.close()
    store.save(ledger_path, base.id, store.build(Y, BASE))
    store.save(ledger_path, new.id, store.build(Y, NEW))
    return new.id


def _mid(view: dict[str, object], name: str) -> float:
    (kpi,) = view["kpis"]  # type: ignore[misc]
    (row,) = [r for r in kpi["leaderboard"] if r["name"] == name]
    return float(row["value_per_year"][1])


def test_each_copy_of_a_project_is_priced_with_its_own_predictions(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    new_id = _fraud_project(root / "a")
    shutil.copytree(root / "a", root / "b")  # the same run ids in both
    # a: the new run's predictions are gone, so its confusion counts price it:
    # 4 caught frauds (+100 each) and 3 false alarms (-20 each) over 30 cases, x 1,000
    (root / "a" / ".bizml" / "predictions" / f"{new_id}.npz").unlink()
    # b: the new run's predictions catch all 5 frauds without a false alarm: +500 / 30 x 1,000
    store.save(root / "b" / ".bizml" / "ledger.sqlite", new_id, store.build(Y, BEST))
    cache = lab_api.ProjectCache()
    b = lab_api.project_view(root, "b", cache=cache)
    a = lab_api.project_view(root, "a", cache=cache)
    assert _mid(b, "new") == pytest.approx(500 / 30 * 1000)
    assert _mid(a, "new") == pytest.approx(340 / 30 * 1000)


def test_the_kernel_still_finds_predictions_in_every_watched_folder(tmp_path: Path) -> None:
    new_id = _fraud_project(tmp_path / "a")
    found = store.find(new_id)
    assert found is not None
    assert found.y_pred.tolist() == NEW.tolist()
    with store.scoped(tmp_path / "elsewhere"):
        assert store.find(new_id) is None


def test_the_predictions_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "CACHE_SIZE", 2)
    ledger_path = tmp_path / ".bizml" / "ledger.sqlite"
    for i in range(5):
        store.save(ledger_path, f"run{i}", store.build(Y, NEW))
        assert store.find(f"run{i}") is not None
    assert len(store._cache) <= 2


def test_a_predictions_folder_linked_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = (tmp_path / "root").resolve()
    root.mkdir()
    _fraud_project(tmp_path / "outside")
    (root / "p").mkdir()
    Project.at(root / "p").init("linked")
    (root / "p" / ".bizml").mkdir(exist_ok=True)
    (root / "p" / ".bizml" / "predictions").symlink_to(
        tmp_path / "outside" / ".bizml" / "predictions", target_is_directory=True
    )
    with pytest.raises(lab_paths.Forbidden, match="predictions folder leads outside") as caught:
        lab_paths.find(root, "p")
    assert caught.value.status == 403
    with pytest.raises(lab_paths.Forbidden):
        lab_api.project_view(root, "p")


# --------------------------------------------------------------------------- answers

lab_server = pytest.importorskip("bizml_nb.interfaces.lab_server")


class _Answered:
    """What a route handler writes, without a server: status, headers, body, log."""

    answer = lab_server._Handler.answer
    refuse = lab_server._Handler.refuse

    def __init__(self, root: Path) -> None:
        self.root = root
        self.status = 200
        self.headers: dict[str, str] = {}
        self.body: bytes | str = b""
        self.logged: list[str] = []
        self.request = SimpleNamespace(method="GET", path="/bizml/project")
        self.log = SimpleNamespace(
            exception=lambda *a: self.logged.append("exception"),
            warning=lambda *a: self.logged.append("warning"),
        )

    def set_status(self, status: int) -> None:
        self.status = status

    def set_header(self, name: str, value: str) -> None:
        self.headers[name] = value

    def finish(self, body: bytes | str) -> None:
        self.body = body


def test_an_unexpected_error_is_logged_and_a_json_500_without_details(tmp_path: Path) -> None:
    def work() -> dict[str, object]:
        raise RuntimeError(f"secret detail in {tmp_path}/x.py line 3")

    answered = _Answered(tmp_path)
    asyncio.run(answered.answer(work))
    assert answered.status == 500
    assert answered.headers["Content-Type"] == "application/json"
    body = json.loads(answered.body)
    assert set(body) == {"message", "status"}
    assert body["status"] == 500
    assert "secret" not in body["message"]
    assert str(tmp_path) not in body["message"]
    assert "Traceback" not in body["message"]
    assert answered.logged == ["exception"]


def test_the_answer_is_encoded_in_the_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    dumps = json.dumps

    def recording(*args: Any, **kwargs: Any) -> str:
        threads.append(threading.get_ident())
        return dumps(*args, **kwargs)

    monkeypatch.setattr(lab_server.json, "dumps", recording)
    answered = _Answered(tmp_path)
    asyncio.run(answered.answer(lambda: {"runs": [1, 2, 3], "name": "é"}))
    assert answered.status == 200
    assert isinstance(answered.body, bytes)
    assert json.loads(answered.body) == {"runs": [1, 2, 3], "name": "é"}
    assert threads
    assert threading.get_ident() not in threads


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "written"),
    [("roi v1.5", "roi v1.5.ipynb"), ("roi", "roi.ipynb"), ("roi.ipynb", "roi.ipynb")],
)
def test_ipynb_is_added_unless_the_name_ends_with_it(
    tmp_path: Path, name: str, written: str
) -> None:
    from bizml_nb.interfaces import lab_actions

    root = tmp_path.resolve()
    answer = lab_actions.new_notebook(root, "roi_analysis", "", name)
    assert answer["path"] == written
    assert (root / written).is_file()


# --------------------------------------------------------------------------- the version


def test_a_same_size_edit_of_bizml_toml_within_one_clock_tick_changes_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path.resolve()
    _fraud_project(root / "a")
    place = lab_paths.find(root, "a")
    frozen = place.registry.stat()  # a coarse clock: the edit leaves every stat field as it was
    original = Path.stat

    def stat(self: Path, **kwargs: Any) -> os.stat_result:
        return frozen if self == place.registry else original(self, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    before = place.version()
    text = place.registry.read_text(encoding="utf-8")
    edited = text.replace("cases_per_year = 1000", "cases_per_year = 9000")
    assert edited != text
    assert len(edited) == len(text)
    place.registry.write_text(edited, encoding="utf-8")
    assert place.version() != before


def test_a_runs_notebook_is_shown_relative_to_its_project_never_as_a_server_path(
    tmp_path: Path,
) -> None:
    """A kernel records the notebook relative to the project when it lies inside, else its
    full path; the panel gets the relative path, or the file name alone."""
    root = tmp_path.resolve()
    folder = root / "shop"
    folder.mkdir()
    project = Project.at(folder)
    project.init("shop")
    project.metric("conversion", unit="ratio", direction="higher")
    project.ledger.close()
    ledger = Ledger(folder / ".bizml" / "ledger.sqlite")
    recorded = {
        "inside": str(folder / "analysis" / "nb.ipynb"),
        "relative": "analysis/other.ipynb",
        "outside": "/home/someone/private/elsewhere.ipynb",
        "windows": "C:\\Users\\someone\\synced.ipynb",  # recorded on another machine
        "none": None,
    }
    for name, notebook in recorded.items():
        ledger.record(Run.new(name, target="conversion", notebook=notebook))
    ledger.close()
    view = lab_api.project_view(root, "shop")
    (kpi,) = view["kpis"]
    shown = {row["name"]: row["notebook"] for row in kpi["leaderboard"]}
    assert shown == {
        "inside": "analysis/nb.ipynb",
        "relative": "analysis/other.ipynb",
        "outside": "elsewhere.ipynb",
        "windows": "synced.ipynb",
        "none": None,
    }
