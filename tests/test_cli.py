"""The `bizml` command: init, ledger list/show/export/import, exit statuses and messages."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

from bizml_nb.core.ledger import RECORD_VERSION, Ledger, Run
from bizml_nb.interfaces.cli import main
from bizml_nb.present.cards import RUN_MIME, Card
from bizml_nb.projects.project import Project, Projects

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass
class Recsys:
    """A project with one KPI, one link, a baseline run and a better run."""

    root: Path
    project: Project
    baseline: Run
    better: Run

    @property
    def runs(self) -> list[Run]:
        return [self.baseline, self.better]


@pytest.fixture
def recsys(project_dir: Path) -> Iterator[Recsys]:
    """The quickstart's project, declared and run from Python, in the current folder."""
    projects = Projects()
    project = projects.get(project_dir)
    project.init("recsys-home", currency="USD")
    project.metric(
        "take_rate",
        unit="ratio",
        direction="higher",
        baseline=0.112,
        target=0.12,
        value_per_unit=2.5e9,
    )
    project.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5), source="A/B")
    with project.experiment("popularity baseline", target="take_rate", baseline=True) as base:
        base.log({"ndcg@10": 0.40})
    with project.experiment(
        "two-tower v2",
        target="take_rate",
        hypothesis='O\'Brien "x"\nline2',
        tags=["<script>alert(1)</script>"],
        params={"lr": 0.01},
    ) as better:
        better.log({"ndcg@10": 0.41, "latency_ms": 38.0})
    assert base.record is not None
    assert better.record is not None
    yield Recsys(project_dir, project, base.record, better.record)
    projects.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notebook(*cells_outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """An nbformat v4 notebook with one code cell per list of output data bundles."""
    cells = [
        {
            "cell_type": "code",
            "id": f"cell-{index}",
            "metadata": {},
            "execution_count": index + 1,
            "source": "%%bizml experiment ...\n",
            "outputs": [
                {"output_type": "display_data", "data": data, "metadata": {}} for data in outputs
            ],
        }
        for index, outputs in enumerate(cells_outputs)
    ]
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [
            {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "# t"},
            *cells,
        ],
    }


def card_bundle(record: dict[str, Any]) -> dict[str, Any]:
    return {"text/plain": "a card", "text/html": "<div>a card</div>", RUN_MIME: record}


def write_notebook(path: Path, nb: dict[str, Any]) -> Path:
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- init


def test_init_creates_bizml_toml(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`bizml init` writes bizml.toml with the given name and currency and says so."""
    assert main(["init", "--project", "demo", "--currency", "EUR"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"created {project_dir / 'bizml.toml'}: project 'demo', currency EUR")
    text = (project_dir / "bizml.toml").read_text()
    assert 'name = "demo"' in text
    assert 'currency = "EUR"' in text


def test_init_twice_is_unchanged(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second `bizml init` leaves the file byte-identical and prints 'unchanged'."""
    assert main(["init"]) == 0
    before = sha256(project_dir / "bizml.toml")
    capsys.readouterr()
    assert main(["init"]) == 0
    assert capsys.readouterr().out.startswith("unchanged ")
    assert sha256(project_dir / "bizml.toml") == before


def test_init_updates_the_project_name(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml init --project NEW` on an existing file updates the name and prints 'updated'."""
    main(["init", "--project", "old"])
    capsys.readouterr()
    assert main(["init", "--project", "new"]) == 0
    assert capsys.readouterr().out.startswith("updated ")
    assert 'name = "new"' in (project_dir / "bizml.toml").read_text()


def test_dash_c_works_in_another_folder(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml -C DIR init` writes DIR/bizml.toml, named after DIR, not the current folder's."""
    other = project_dir / "elsewhere"
    other.mkdir()
    assert main(["-C", str(other), "init"]) == 0
    assert (other / "bizml.toml").is_file()
    assert not (project_dir / "bizml.toml").exists()
    assert "project 'elsewhere'" in capsys.readouterr().out


def test_dash_c_in_a_subfolder_finds_the_project_root(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-C` pointing inside a project uses the project's root and ledger."""
    sub = recsys.root / "notebooks" / "deep"
    sub.mkdir(parents=True)
    assert main(["-C", str(sub), "ledger", "list"]) == 0
    assert "two-tower v2" in capsys.readouterr().out
    assert not (sub / ".bizml").exists()


def test_init_in_a_missing_folder_is_a_clear_error(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml -C MISSING init` exits 1 with a message, not a traceback."""
    assert main(["-C", str(project_dir / "missing"), "init"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bizml: error: cannot write")
    assert "Traceback" not in err


# --------------------------------------------------------------------------- ledger list


def test_list_without_runs(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`bizml ledger list` with no ledger says there are no runs and creates no file."""
    main(["init"])
    capsys.readouterr()
    assert main(["ledger", "list"]) == 0
    assert capsys.readouterr().out == f"no runs in {project_dir / '.bizml' / 'ledger.sqlite'}\n"
    assert not (project_dir / ".bizml").exists()


def test_list_without_runs_or_registry(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without bizml.toml, `bizml ledger list` still answers, with no runs."""
    assert main(["ledger", "list"]) == 0
    assert capsys.readouterr().out.startswith("no runs in ")


def test_list_shows_names_metrics_and_value_per_year(
    recsys: Recsys, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run is a row with its short id and name; money and the KPI change are worded as
    on the cards: +0.01 NDCG x 0.35 [0.2, 0.5] is +0.35 pp take-rate, x $2.5e9 per unit
    $8.75M a year, 90% range $5M to $12.5M."""
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["ledger", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert re.split(r"\s{2,}", lines[0]) == [
        "id",
        "started",
        "name",
        "KPI",
        "status",
        "KPI change",
        "value/yr [90% range]",
        "ndcg@10",
        "latency_ms",
    ]
    assert lines[1].startswith(recsys.baseline.id[:12] + "  ")
    assert recsys.baseline.id not in lines[1]  # the short id only
    assert "popularity baseline" in lines[1]
    assert re.split(r"\s{2,}", lines[1])[4:] == ["baseline", "-", "-", "0.4", "-"]
    assert re.split(r"\s{2,}", lines[2])[2:] == [
        "two-tower v2",
        "take_rate",
        "ok",
        "+0.35 pp",
        "+$8.75M [+$5M, +$12.5M]",
        "0.41",
        "38",
    ]
    assert "8750000" not in "\n".join(lines)


def test_list_fits_the_terminal_and_cuts_names_only_in_the_text(
    recsys: Recsys, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No line is wider than $COLUMNS: a long name is cut with an ellipsis, the table goes
    on below in blocks led by the id, and --json keeps the whole name and raw numbers."""
    long_name = "a run whose name goes on " * 5
    with recsys.project.experiment(long_name, target="take_rate") as run:
        run.log({"ndcg@10": 0.42})
    for columns in (60, 80, 120):
        monkeypatch.setenv("COLUMNS", str(columns))
        assert main(["ledger", "list"]) == 0
        out = capsys.readouterr().out
        assert max(len(line) for line in out.splitlines()) <= columns, out
        assert "…" in out
        assert long_name.strip() not in out
        assert "+$8.75M [+$5M, +$12.5M]" in out
        assert out.count("two-tower v2") == 1
        ids = [line.split()[0] for line in out.splitlines() if line.startswith("01")]
        assert len(ids) >= 3
        assert len(ids) % 3 == 0  # three runs in each block
    assert main(["ledger", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in data] == ["popularity baseline", "two-tower v2", long_name]
    assert data[1]["value_per_year"] == pytest.approx(8.75e6)
    assert data[1]["value_low"] == pytest.approx(5e6)
    assert data[1]["id"] == recsys.better.id


def test_list_shows_a_dash_where_a_run_has_no_figure(
    recsys: Recsys, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The baseline logged no latency and has no change to price: '-' there, never 'NaN'."""
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["ledger", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = re.split(r"\s{2,}", lines[0])
    assert "NaN" not in "\n".join(lines)
    first = dict(zip(header, re.split(r"\s{2,}", lines[1]), strict=True))
    second = dict(zip(header, re.split(r"\s{2,}", lines[2]), strict=True))
    assert first["latency_ms"] == "-"
    assert first["value/yr [90% range]"] == "-"
    assert second["latency_ms"] == "38"


def test_list_marks_no_failed_run_as_the_baseline(
    recsys: Recsys, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed cell recorded with --baseline shows as failed, and its data say not a baseline."""
    monkeypatch.setenv("COLUMNS", "200")
    with (
        pytest.raises(NameError),
        recsys.project.experiment("broken baseline", target="take_rate", baseline=True),
    ):
        raise NameError("evaluate")
    assert main(["ledger", "list"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if "broken baseline" in x]
    assert re.split(r"\s{2,}", line)[4] == "failed"
    assert main(["ledger", "list", "--json"]) == 0
    data = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert data["broken baseline"]["baseline"] is False
    assert data["popularity baseline"]["baseline"] is True


def test_list_filters_by_target(recsys: Recsys, capsys: pytest.CaptureFixture[str]) -> None:
    """`--target KPI` lists only that KPI's runs; an undeclared KPI exits 1."""
    recsys.project.metric("churn", unit="ratio", direction="lower")
    with recsys.project.experiment("churn model", target="churn") as run:
        run.log(auc=0.8)
    assert main(["ledger", "list", "--target", "churn"]) == 0
    out = capsys.readouterr().out
    assert "churn model" in out
    assert "two-tower" not in out
    assert main(["ledger", "list", "--target", "take_rat"]) == 1
    assert "take_rate" in capsys.readouterr().err


def test_list_keeps_the_name_when_a_metric_is_called_name(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """A metric called like a column ('name') does not replace the run's name in the list."""
    with recsys.project.experiment("clashing run", target="take_rate") as run:
        run.log({"name": 3.0, "value_per_year": 4.0})
    assert main(["ledger", "list"]) == 0
    out = capsys.readouterr().out
    assert "clashing run" in out
    assert "metric.name" in out
    assert "metric.value_per_year" in out


def test_list_of_a_damaged_ledger_is_a_clear_error(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ledger that is not SQLite gives exit 1, the recovery hint, and the file is unchanged."""
    recsys.project.ledger.close()
    path = recsys.root / ".bizml" / "ledger.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(random.Random(3).randbytes(8192))
    before = sha256(path)
    assert main(["ledger", "list"]) == 1
    err = capsys.readouterr().err
    assert "not a bizml ledger" in err
    assert "bizml ledger import" in err
    assert "Traceback" not in err
    assert sha256(path) == before


def test_ledger_option_and_environment_choose_the_file(
    recsys: Recsys, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--ledger FILE` and $BIZML_LEDGER point the command at another ledger."""
    other = recsys.root / "other.sqlite"
    Ledger(other).record(Run.new("elsewhere run", target="take_rate"))
    assert main(["--ledger", str(other), "ledger", "list"]) == 0
    out = capsys.readouterr().out
    assert "elsewhere run" in out
    assert "two-tower" not in out
    monkeypatch.setenv("BIZML_LEDGER", str(other))
    assert main(["ledger", "list"]) == 0
    assert "elsewhere run" in capsys.readouterr().out


# --------------------------------------------------------------------------- ledger show


def test_show_prints_the_card(recsys: Recsys, capsys: pytest.CaptureFixture[str]) -> None:
    """`bizml ledger show ID` prints the run's card text, then its id and start time."""
    assert main(["ledger", "show", recsys.better.id]) == 0
    out = capsys.readouterr().out
    card = Card.for_run(recsys.better, recsys.project).text()
    assert out.startswith(card + "\n")
    assert "Value" in card
    # by hand: +0.01 NDCG x elasticity 0.35 [0.2, 0.5] x $2.5e9 per unit of take rate
    value = next(line for line in out.splitlines() if line.strip().startswith("Value"))
    assert "+$8.75M" in value
    assert "[+$5M, +$12.5M]" in value
    assert f"id {recsys.better.id}, started {recsys.better.started_at}" in out


@pytest.mark.parametrize("ref", ["prefix", "last", "two-tower v2"])
def test_show_finds_a_run_by_prefix_last_or_name(
    recsys: Recsys, capsys: pytest.CaptureFixture[str], ref: str
) -> None:
    """A run can be named by an id prefix, 'last', or its name."""
    if ref == "prefix":
        ref = recsys.better.id[:-6].lower()
    assert main(["ledger", "show", ref, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["run"]["id"] == recsys.better.id


def test_show_json_prints_the_record(recsys: Recsys, capsys: pytest.CaptureFixture[str]) -> None:
    """`--json` prints the full run record, equal to Run.to_record()."""
    assert main(["ledger", "show", recsys.better.id, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record == json.loads(json.dumps(recsys.better.to_record()))
    assert Run.from_record(record) == recsys.better


def test_show_unknown_run_exits_1(recsys: Recsys, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown run id exits 1 with the id named on stderr and nothing on stdout."""
    assert main(["ledger", "show", "ZZZZZZZZ"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("bizml: error: no run with id 'ZZZZZZZZ'")


def test_show_without_a_registry_prints_the_record(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """When bizml.toml is gone, show prints the record and says why there is no card."""
    (recsys.root / "bizml.toml").unlink()
    assert main(["ledger", "show", recsys.better.id]) == 0
    captured = capsys.readouterr()
    assert f'"id": "{recsys.better.id}"' in captured.out
    assert "(no card:" in captured.err


# --------------------------------------------------------------------------- ledger export


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_writes_every_run(
    recsys: Recsys, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """Each format holds one row (or record) per run with the run's columns and metrics."""
    out = recsys.root / f"runs.{fmt}"
    assert main(["ledger", "export", "--format", fmt, "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote 2 runs to {out}\n"
    ids = [run.id for run in recsys.runs]
    if fmt == "json":
        records = json.loads(out.read_text(encoding="utf-8"))
        assert [Run.from_record(r) for r in records] == recsys.runs
        return
    frame = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    assert list(frame["id"]) == ids
    assert list(frame["name"]) == ["popularity baseline", "two-tower v2"]
    assert list(frame["ndcg@10"]) == [0.40, 0.41]
    assert pd.isna(frame["latency_ms"].iloc[0])
    assert {"target", "status", "started_at", "is_baseline", "tags", "params"} <= set(frame.columns)
    assert json.loads(frame["tags"].iloc[1]) == ["<script>alert(1)</script>"]
    assert json.loads(frame["params"].iloc[1]) == {"lr": 0.01}
    assert frame["hypothesis"].iloc[1] == 'O\'Brien "x"\nline2'
    assert [p.name for p in recsys.root.iterdir() if p.name.startswith(".runs")] == []


def test_export_filters_by_target(recsys: Recsys, capsys: pytest.CaptureFixture[str]) -> None:
    """`--target` exports only that KPI's runs."""
    out = recsys.root / "none.json"
    assert main(["ledger", "export", "--format", "json", "--out", str(out), "--target", "x"]) == 0
    assert json.loads(out.read_text()) == []
    assert capsys.readouterr().out.startswith("wrote 0 runs")


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_refuses_to_overwrite(
    recsys: Recsys, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """An existing --out file exits 1 and stays byte-identical unless --force."""
    out = recsys.root / "keep.txt"
    out.write_text("precious")
    assert main(["ledger", "export", "--format", fmt, "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"bizml: error: {out} already exists; nothing was written. "
        "Choose another name, or pass --force to replace it\n"
    )
    assert out.read_text() == "precious"
    assert sorted(p.name for p in recsys.root.iterdir() if p.name.startswith(".keep")) == []


def test_export_force_replaces(recsys: Recsys, capsys: pytest.CaptureFixture[str]) -> None:
    """`--force` replaces an existing file with the export."""
    out = recsys.root / "runs.csv"
    out.write_text("old")
    assert main(["ledger", "export", "--format", "csv", "--out", str(out), "--force"]) == 0
    assert len(pd.read_csv(out)) == 2
    assert capsys.readouterr().out == f"wrote 2 runs to {out}\n"


def test_export_into_a_missing_folder_exits_1(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --out in a folder that does not exist exits 1 with 'cannot write'."""
    out = recsys.root / "missing" / "runs.csv"
    assert main(["ledger", "export", "--format", "csv", "--out", str(out)]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert not out.parent.exists()


# --------------------------------------------------------------------------- ledger import


def test_import_rebuilds_identical_runs(recsys: Recsys, capsys: pytest.CaptureFixture[str]) -> None:
    """Importing a notebook's card records into an empty ledger gives back equal runs."""
    registry = recsys.project.registry
    nb = notebook(
        [card_bundle(Card.build(recsys.baseline, registry, None).record())],
        [{"text/plain": "x"}],
        [card_bundle(recsys.better.to_record())],
    )
    path = write_notebook(recsys.root / "quickstart.ipynb", nb)
    empty = recsys.root / "rebuilt.sqlite"
    assert main(["--ledger", str(empty), "ledger", "import", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: 2 runs found, 2 imported, 0 already present\n"
    ledger = Ledger(empty)
    assert ledger.runs() == recsys.runs
    ledger.close()


def test_import_again_adds_nothing(recsys: Recsys, capsys: pytest.CaptureFixture[str]) -> None:
    """Importing runs already in the ledger adds 0 and reports them as already present."""
    nb = notebook([card_bundle(run.to_record()) for run in recsys.runs])
    path = write_notebook(recsys.root / "nb.ipynb", nb)
    assert main(["ledger", "import", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: 2 runs found, 0 imported, 2 already present\n"
    assert recsys.project.ledger.count() == 2


def test_import_of_several_notebooks_prints_a_total(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several notebooks are imported in turn, with a total at the end."""
    first = write_notebook(
        recsys.root / "a.ipynb", notebook([card_bundle(recsys.baseline.to_record())])
    )
    second = write_notebook(
        recsys.root / "b.ipynb", notebook([card_bundle(recsys.better.to_record())])
    )
    empty = recsys.root / "rebuilt.sqlite"
    assert main(["--ledger", str(empty), "ledger", "import", str(first), str(second)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"2 runs imported into {empty}"


def test_import_keeps_the_latest_card_of_a_run_shown_twice(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run shown in two cards is imported once, with the metrics of its later card."""
    later = recsys.better.with_metrics({"recall@50": 0.7})
    nb = notebook([card_bundle(recsys.better.to_record())], [card_bundle(later.to_record())])
    path = write_notebook(recsys.root / "nb.ipynb", nb)
    empty = recsys.root / "rebuilt.sqlite"
    assert main(["--ledger", str(empty), "ledger", "import", str(path)]) == 0
    assert "1 runs found, 1 imported" in capsys.readouterr().out
    assert Ledger(empty).get(later.id) == later


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"print('hello')\n", "is not a notebook (invalid JSON"),
        (b'{"cells": "nope"}', "is not a Jupyter notebook"),
        (b"[1, 2]", "is not a Jupyter notebook"),
        (b"\xff\xfe\x00garbage", "cannot read"),
    ],
)
def test_import_of_a_non_notebook_exits_1(
    recsys: Recsys, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    """A file that is not a notebook exits 1 with a clear message and imports nothing."""
    path = recsys.root / "script.ipynb"
    path.write_bytes(content)
    assert main(["ledger", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bizml: error: ")
    assert str(path) in err
    assert message in err
    assert "Traceback" not in err
    assert recsys.project.ledger.count() == 2


def test_import_of_a_missing_file_exits_1(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notebook path that does not exist exits 1 saying so."""
    path = recsys.root / "missing.ipynb"
    assert main(["ledger", "import", str(path)]) == 1
    assert capsys.readouterr().err == f"bizml: error: {path} does not exist\n"


def test_import_of_a_newer_record_names_the_cell_and_says_upgrade(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record from a newer bizml_nb exits 1, naming the cell and asking for an upgrade."""
    record = recsys.better.to_record()
    record["version"] = RECORD_VERSION + 1
    nb = notebook([card_bundle(recsys.baseline.to_record())], [card_bundle(record)])
    path = write_notebook(recsys.root / "nb.ipynb", nb)
    empty = recsys.root / "rebuilt.sqlite"
    assert main(["--ledger", str(empty), "ledger", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}, cell 3:" in err  # the markdown intro is cell 1
    assert "newer" in err
    assert "upgrade bizml_nb" in err
    assert not empty.exists()


def test_import_of_a_malformed_record_is_not_counted_as_present(
    recsys: Recsys, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record with an invalid status exits 1 as malformed, not '1 already present'."""
    record = Run.new("new run", target="take_rate").to_record()
    record["run"]["status"] = "exploded"
    path = write_notebook(recsys.root / "nb.ipynb", notebook([card_bundle(record)]))
    assert main(["ledger", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "malformed run record" in err
    assert "exploded" in err


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["--bogus", "init"],
        ["ledger", "frobnicate"],
        ["ledger", "show"],
        ["ledger", "export", "--out", "x.csv"],
        ["ledger", "export", "--format", "xml", "--out", "x.xml"],
        ["ledger", "import"],
    ],
)
def test_bad_arguments_exit_2(
    project_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Unknown commands, options or choices, and missing arguments exit with status 2."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: bizml" in capsys.readouterr().err
    assert list(project_dir.iterdir()) == []


def test_no_command_prints_help_and_exits_2(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bizml` alone prints the help and exits 2."""
    assert main([]) == 2
    assert "usage: bizml" in capsys.readouterr().out


# --------------------------------------------------------------------------- the installed script


def test_installed_console_script(project_dir: Path) -> None:
    """The `bizml` script on PATH runs init and list, and refuses cleanly with exit 1."""
    script = Path(sys.executable).with_name("bizml")
    command = str(script) if script.exists() else shutil.which("bizml")
    assert command, "the bizml console script is not installed"

    def bizml(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [command, "-C", str(project_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = bizml("init", "--project", "demo")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("created ")
    assert (project_dir / "bizml.toml").is_file()
    done = bizml("ledger", "list")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("no runs in ")
    done = bizml("ledger", "show", "NOPE")
    assert done.returncode == 1
    assert done.stderr.startswith("bizml: error: no run with id 'NOPE'")
    assert "Traceback" not in done.stderr
    done = bizml("ledger", "export", "--format", "yaml", "--out", "x")
    assert done.returncode == 2
