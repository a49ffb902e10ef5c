"""Tables of runs in a terminal: worded as the cards word them, fitted to the width, data kept.

Numbers by hand: NDCG -> take-rate at 0.35 [0.2, 0.5], $2.5e9 a year per unit. A run at
NDCG 0.4125 against a baseline at 0.40 moves take-rate +0.4375 pp (shown +0.44 pp), worth
$10.9375M a year (shown +$10.9M), 90% range $6.25M to $15.625M (shown +$15.6M).
"""

from __future__ import annotations

import pickle
import re
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.present.tables import Column, cut, table_text, terminal_width

if TYPE_CHECKING:
    from pathlib import Path

LONG = "a two-tower model with hard negatives, distilled, " * 3  # about 150 characters


@pytest.fixture
def two_runs(project_dir: Path) -> None:
    bizml_nb.init("recsys-home", currency="USD")
    bizml_nb.metric(
        "take_rate", unit="ratio", direction="higher", baseline=0.112, value_per_unit=2.5e9
    )
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))
    with bizml_nb.experiment("popularity baseline", target="take_rate", baseline=True) as run:
        run.log({"ndcg@10": 0.400, "latency_ms": 12.0})
    with bizml_nb.experiment(LONG, target="take_rate") as run:
        run.log({"ndcg@10": 0.4125, "latency_ms": 38.0})


def cells(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


def test_runs_text_is_worded_like_the_cards_and_the_data_stay_data(
    two_runs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bizml_nb.runs(): its repr says +$10.9M [+$6.25M, +$15.6M]; its numbers are floats."""
    monkeypatch.setenv("COLUMNS", "250")
    frame = bizml_nb.runs()
    text = repr(frame)
    assert "+$10.9M [+$6.25M, +$15.6M]" in text
    assert "10937500" not in text
    assert "…" in text  # the long name cut in the text
    assert frame["name"].tolist() == ["popularity baseline", LONG]  # not in the data
    assert frame["value_per_year"].iloc[1] == pytest.approx(10_937_500)
    assert str(frame) == text
    header, first, second = cells(text)
    assert header[:5] == ["id", "started", "name", "KPI", "status"]
    assert first[4] == "baseline"
    assert second[4] == "ok"
    plain = frame[["name", "value_per_year"]]
    assert type(plain) is pd.DataFrame  # a selection is a plain DataFrame again
    assert type(pickle.loads(pickle.dumps(frame))) is pd.DataFrame  # noqa: S301 - our own bytes


def test_the_runs_magic_shows_the_kpi_change_in_its_unit(two_runs: None, ip: Any) -> None:
    """`%bizml runs`: text/plain with the KPI change in pp and the value in money; at most
    the notebook width wide in a kernel-less shell's terminal of 100 columns."""
    with capture_output():
        result = ip.run_line_magic("bizml", "runs")
    text = repr(result)
    assert "+0.44 pp" in text
    assert "+$10.9M [+$6.25M, +$15.6M]" in text
    assert result["business_delta"].iloc[1] == pytest.approx(0.004375)


@pytest.mark.parametrize("width", [40, 60, 80, 100, 160])
def test_every_line_fits_the_terminal(
    two_runs: None, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    assert terminal_width() == width
    text = repr(bizml_nb.runs())
    assert max(len(line) for line in text.splitlines()) <= width, text
    for column in ("value/yr [90% range]", "ndcg@10", "latency_ms", "started"):
        assert column in text  # every column shown, in blocks below if need be


def test_table_text_cuts_names_only_when_that_makes_one_block_fit() -> None:
    name = Column("name", ["short", "a rather long run name"], shrink=8)
    value = Column("value", ["+$1M", "+$2M"], right=True)
    assert table_text([name, value], width=30) == (
        "name                    value\nshort                    +$1M\na rather long run name   +$2M"
    )
    name = Column("name", ["short", "a rather long run name"], shrink=8)
    value = Column("value", ["+$1M", "+$2M"], right=True)
    assert table_text([name, value], width=20) == (
        "name           value\nshort           +$1M\na rather lon…   +$2M"
    )
    assert cut("abc", 3) == "abc"
    assert cut("abcd", 3) == "ab…"


def test_a_known_tracking_server_adds_the_sync_column_after_the_status(
    two_runs: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pending_sync until the ledger notes a run pushed to that server; nothing is
    contacted (port 9 has no server). Without a server named, the same text as before."""
    from bizml_nb.interfaces.cli import main
    from bizml_nb.present.tables import with_sync
    from bizml_nb.present.views import runs_table

    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    project = bizml_nb.project()
    before = runs_table(project)
    assert with_sync(before, project) is before  # no server known: the very same table
    assert "sync" not in repr(bizml_nb.runs())

    uri = "http://127.0.0.1:9"
    base, other = (run.id for run in project.ledger.runs())
    project.ledger.note_pushed(base, uri, "1", "remote-id", "judged")
    project.ledger.note_pushed(other, "http://elsewhere:5000", "1", "remote-id", "judged")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    for frame in (with_sync(runs_table(project), project), bizml_nb.runs()):
        assert frame["sync"].tolist() == ["pushed", "pending_sync"]
        header, first, second = cells(repr(frame))
        assert header[4:6] == ["status", "sync"]
        assert first[4:6] == ["baseline", "pushed"]
        assert second[4:6] == ["ok", "pending_sync"]
    with_table = with_sync(runs_table(project), project)
    assert list(with_table.columns) == [*before.columns[:6], "sync", *before.columns[6:]]
    assert main(["ledger", "list"]) == 0
    header, first, second = cells(capsys.readouterr().out)
    assert header[4:6] == ["status", "sync"]
    assert (first[5], second[5]) == ("pushed", "pending_sync")
