"""%bizml and %%bizml in a real IPython shell: the quickstart session and every bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.present.cards import RUN_MIME

TWO_TOWER = (
    '%%bizml experiment "two-tower v2" --target take_rate '
    '--hypothesis "better cold-start recall lifts take-rate" --expect "+0.3pp" --tag retrieval\n'
    'bizml_nb.log(**{"ndcg@10": 0.4125}, latency_ms=38.0)\n'
)
BASELINE = (
    '%%bizml experiment "popularity baseline" --target take_rate --baseline\n'
    "import bizml_nb\n"
    'bizml_nb.log({"ndcg@10": 0.40, "latency_ms": 12.0})\n'
)


def run_cell(ip: Any, source: str, **kwargs: Any) -> tuple[Any, Any]:
    """Run a cell, capturing its displays; return (result, captured)."""
    with capture_output() as captured:
        result = ip.run_cell(source, **kwargs)
    return result, captured


def cards(captured: Any) -> list[dict[str, Any]]:
    return [o.data for o in captured.outputs if RUN_MIME in o.data]


def usage_error(ip: Any, line: str) -> str:
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("bizml", line)
    assert type(info.value) is UsageError
    return str(info.value)


# --------------------------------------------------------------------------- quickstart


def test_quickstart_declarations_write_bizml_toml(recsys: Any, project_dir: Path) -> None:
    """init, metric and link write a registry that reads back with the declared values."""
    registry = bizml_nb.project().registry
    assert registry.name == "recsys-home"
    assert registry.currency == "USD"
    kpi = registry.metric("take_rate")
    assert (kpi.unit, kpi.direction, kpi.baseline, kpi.target) == ("ratio", "higher", 0.112, 0.12)
    assert kpi.value_per_unit == 2.5e9
    assert kpi.owner == "growth PM"
    (link,) = registry.links
    assert (link.ml_metric, link.elasticity, link.interval) == ("ndcg@10", 0.35, (0.2, 0.5))
    assert link.source == "A/B tests 2026 Q1-Q3"
    assert (project_dir / "bizml.toml").is_file()


def test_declarations_rerun_are_unchanged(recsys: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Re-running the declaration cells (Run All twice) changes nothing and says so."""
    from tests.conftest import RECSYS_SETUP

    before = Path("bizml.toml").read_bytes()
    for line in RECSYS_SETUP:
        recsys.run_line_magic("bizml", line)
    out = capsys.readouterr().out
    assert out.count("unchanged") == 3
    assert Path("bizml.toml").read_bytes() == before


def test_metrics_lists_kpis_and_links(recsys: Any) -> None:
    """%bizml metrics shows each KPI with its worth per pp and each link with its evidence."""
    view = recsys.run_line_magic("bizml", "metrics")
    text = view._repr_mimebundle_()["text/plain"]
    assert "take_rate" in text
    assert "$25M/yr per +1 pp" in text  # 2.5e9 per unit of ratio = 2.5e7 per percentage point
    assert "ndcg@10 -> take_rate" in text
    assert "elasticity 0.35 [0.2, 0.5]" in text


def test_experiment_cards_show_the_business_change(recsys: Any) -> None:
    """The two quickstart experiments are recorded and the second card prices its NDCG gain."""
    result, captured = run_cell(recsys, BASELINE)
    assert result.success
    (baseline_card,) = cards(captured)
    assert "[baseline]" in baseline_card["text/plain"]
    assert "this run is the baseline for take_rate" in baseline_card["text/plain"]

    baseline_id = baseline_card[RUN_MIME]["run"]["id"]

    result, captured = run_cell(recsys, TWO_TOWER)
    assert result.success
    (card,) = cards(captured)
    # ndcg@10 +0.0125 x elasticity 0.35 [0.20, 0.50] = +0.4375 pp [+0.25, +0.625];
    # x $2.5e9 per unit = $10.94M/yr [$6.25M, $15.6M].
    assert card["text/plain"] == (
        "two-tower v2  ->  take_rate   [ok]\n"
        "  KPI         take_rate; baseline 11.20%, target 12.00%; higher is better; owner growth PM\n"
        "  Hypothesis  better cold-start recall lifts take-rate (expected +0.3pp)\n"
        "  Tags        retrieval\n"
        "  ML metrics  ndcg@10 0.4125 (+0.0125), latency_ms 38 (+26); changes vs the baseline run "
        f'"popularity baseline" (id {baseline_id[:12]})\n'
        "  Impact      ndcg@10 +0.0125 (vs baseline run) -> take_rate +0.44 pp [+0.25, +0.62] "
        "(90% ranges; elasticity 0.35 [0.2, 0.5]; A/B tests 2026 Q1-Q3)\n"
        "  Business    +0.44 pp take_rate [+0.25, +0.62] (90%), +3.9% relative to the KPI baseline, "
        "55% of the way to target\n"
        "  Value       about +$10.9M/yr [+$6.25M, +$15.6M] (90%)\n"
        "  Verdict     material: +0.44 pp take_rate [+0.25, +0.62] (90%), about +$10.9M/yr "
        "[+$6.25M, +$15.6M] (90%); the whole range is a gain (no materiality bar set: "
        "`%bizml init --min-annual-value X`)."
    )
    impact = card[RUN_MIME]["impact"]
    assert impact["value_per_year"] == pytest.approx([6.25e6, 10.9375e6, 15.625e6])
    assert impact["business_delta"] == pytest.approx([0.0025, 0.004375, 0.00625])


def test_card_plain_text_is_deterministic(recsys: Any) -> None:
    """Running the same cells in a second project gives byte-identical text and HTML cards."""
    run_cell(recsys, BASELINE)
    _, first = run_cell(recsys, TWO_TOWER)
    run_cell(recsys, TWO_TOWER)
    _, second = run_cell(recsys, TWO_TOWER)
    a, b = cards(first)[0], cards(second)[0]
    assert a["text/plain"] == b["text/plain"]
    assert a["text/html"] == b["text/html"]
    assert a[RUN_MIME]["run"]["id"] != b[RUN_MIME]["run"]["id"]
    for text in (a["text/plain"], a["text/html"]):
        assert a[RUN_MIME]["run"]["id"] not in text
        assert "0x" not in text


def test_card_record_is_the_whole_run(recsys: Any) -> None:
    """The JSON record carries the run as stored in the ledger, plus its impact."""
    run_cell(recsys, BASELINE)
    _, captured = run_cell(recsys, TWO_TOWER)
    record = cards(captured)[0][RUN_MIME]
    stored = bizml_nb.project().ledger.get(record["run"]["id"])
    assert record["run"] == stored.to_record()["run"]
    assert record["format"] == "bizml.run"
    assert record["version"] == 1
    assert record["run"]["tags"] == ["retrieval"]
    assert record["run"]["expect"] == "+0.3pp"


def test_runs_and_show(recsys: Any) -> None:
    """%bizml runs lists runs with their value; %bizml show finds a run by name, id or 'last'."""
    run_cell(recsys, BASELINE)
    run_cell(recsys, TWO_TOWER)
    frame = recsys.run_line_magic("bizml", "runs --target take_rate")
    assert list(frame["name"]) == ["popularity baseline", "two-tower v2"]
    assert frame["value_per_year"].iloc[1] == pytest.approx(10_937_500)
    assert frame["ndcg@10"].tolist() == [0.4, 0.4125]
    run_id = frame["id"].iloc[1]
    for ref in (run_id, run_id[:12], "last", "two-tower v2"):
        card = recsys.run_line_magic("bizml", f'show "{ref}"')
        assert card.run.id == run_id


def test_python_api_sees_the_same_runs(recsys: Any) -> None:
    """bizml_nb.runs() returns the magic's runs as a DataFrame with one column per metric."""
    run_cell(recsys, BASELINE)
    run_cell(recsys, TWO_TOWER)
    frame = bizml_nb.runs(target="take_rate")
    assert len(frame) == 2
    assert frame["latency_ms"].tolist() == [12.0, 38.0]
    assert frame["is_baseline"].tolist() == [True, False]


# --------------------------------------------------------------------------- cell capture


def test_cell_runs_in_user_namespace_and_displays_last_value(recsys: Any) -> None:
    """Variables defined in the cell stay defined, prints appear, the last value is displayed."""
    result, captured = run_cell(
        recsys,
        '%%bizml experiment "ns" --target take_rate\n'
        "answer = 6 * 7\n"
        "print('hello from the cell')\n"
        "bizml_nb.log(auc=0.9)\n"
        "answer + 1\n",
    )
    assert result.success
    assert recsys.user_ns["answer"] == 42
    assert "hello from the cell" in captured.stdout
    assert "43" in captured.stdout  # the displayhook's Out[...] of the last expression
    assert recsys.user_ns["_"] == 43


def test_trailing_semicolon_hides_last_value(recsys: Any) -> None:
    """A trailing semicolon hides the last value, as in a plain cell.

    The same cell without it shows 12345 and sets `_`; with it, 54321 is still computed
    (the walrus binds it) and the run is recorded, but nothing is shown and `_` keeps 12345.
    """
    shown, captured = run_cell(
        recsys, '%%bizml experiment "loud" --target take_rate\nbizml_nb.log(auc=0.9)\n12345\n'
    )
    assert shown.success, shown.error_in_exec
    assert "12345" in captured.stdout  # the displayhook's Out[...]
    assert recsys.user_ns["_"] == 12345

    result, captured = run_cell(
        recsys,
        '%%bizml experiment "quiet" --target take_rate\n'
        "bizml_nb.log(auc=0.9)\n"
        "(hidden := 54321);\n",
    )
    assert result.success, result.error_in_exec
    assert recsys.user_ns["hidden"] == 54321  # the last line ran
    assert "54321" not in captured.stdout
    assert recsys.user_ns["_"] == 12345  # not replaced by the hidden value
    (card,) = cards(captured)  # the run's card is the cell's only output
    assert len(captured.outputs) == 1
    assert card[RUN_MIME]["run"]["name"] == "quiet"
    assert card[RUN_MIME]["run"]["metrics"] == {"auc": 0.9}
    assert "54321" not in card["text/plain"]


def test_last_expression_mapping_becomes_the_metrics(recsys: Any) -> None:
    """With nothing logged, a final {name: number} mapping is the run's metrics."""
    _, captured = run_cell(
        recsys, '%%bizml experiment "dict" --target take_rate\n{"ndcg@10": 0.41, "auc": 0.8}\n'
    )
    assert cards(captured)[0][RUN_MIME]["run"]["metrics"] == {"ndcg@10": 0.41, "auc": 0.8}


def test_last_expression_is_not_metrics_when_something_was_logged(recsys: Any) -> None:
    """A final mapping is only displayed when the cell logged metrics itself."""
    _, captured = run_cell(
        recsys,
        '%%bizml experiment "both" --target take_rate\nbizml_nb.log(auc=0.7)\n{"auc": 0.1}\n',
    )
    assert cards(captured)[0][RUN_MIME]["run"]["metrics"] == {"auc": 0.7}


def test_failing_cell_is_recorded_failed_and_reraises(recsys: Any) -> None:
    """A cell that raises is recorded with status failed and the error reaches the user."""
    result, captured = run_cell(
        recsys,
        '%%bizml experiment "boom" --target take_rate\nbizml_nb.log(auc=0.5)\n1 / 0\n',
    )
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    run = bizml_nb.project().run("boom")
    assert run.status == "failed"
    assert run.error == "ZeroDivisionError: division by zero"
    assert run.metrics == {"auc": 0.5}
    assert "[failed]" in cards(captured)[0]["text/plain"]


def test_syntax_error_runs_and_records_nothing(recsys: Any) -> None:
    """A cell that does not parse is refused before anything runs."""
    result, _ = run_cell(recsys, '%%bizml experiment "bad" --target take_rate\nx = (1,\n')
    assert type(result.error_in_exec) is UsageError
    assert "syntax error" in str(result.error_in_exec)
    assert bizml_nb.project().ledger.count() == 0


def test_magics_inside_the_cell_work(recsys: Any) -> None:
    """%bizml log inside an experiment cell logs to that experiment."""
    _, captured = run_cell(
        recsys,
        '%%bizml experiment "inner" --target take_rate\n%bizml log precision=0.91 recall=0.84\n',
    )
    assert cards(captured)[0][RUN_MIME]["run"]["metrics"] == {"precision": 0.91, "recall": 0.84}


def test_log_after_the_cell_attaches_to_the_last_run(recsys: Any) -> None:
    """%bizml log outside a cell adds metrics to the session's last run, in the ledger."""
    run_cell(recsys, TWO_TOWER)
    with capture_output() as captured:
        recsys.run_line_magic("bizml", "log precision=0.91 recall=0.84")
    assert "added precision, recall to run 'two-tower v2'" in captured.stdout
    run = bizml_nb.project().run("last")
    assert run.metrics == {"ndcg@10": 0.4125, "latency_ms": 38.0, "precision": 0.91, "recall": 0.84}


def test_cell_id_and_notebook_are_recorded(
    recsys: Any, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run records the Jupyter cell id and the notebook path relative to the project."""
    monkeypatch.setenv("JPY_SESSION_NAME", str(project_dir / "analysis" / "exp.ipynb"))
    run_cell(recsys, TWO_TOWER, cell_id="cell-abc-123")
    run = bizml_nb.project().run("last")
    assert run.cell_id == "cell-abc-123"
    assert run.notebook == "analysis/exp.ipynb"


def test_git_commit_and_dirty_flag_are_recorded(recsys: Any, project_dir: Path) -> None:
    """Inside a git repository the run records HEAD and whether tracked files changed."""
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "bizml.toml"], check=True)
    subprocess.run([*git, "commit", "-qm", "registry"], check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    run_cell(recsys, TWO_TOWER)
    run = bizml_nb.project().run("last")
    assert run.git_commit == head
    assert run.git_dirty is False
    assert run.python_version == ".".join(map(str, sys.version_info[:3]))
    assert run.bizml_version == bizml_nb.__version__


# --------------------------------------------------------------------------- configuration


def test_config_ledger_trait_moves_the_ledger(recsys: Any, project_dir: Path) -> None:
    """%config BizmlMagics.ledger points the magics at another ledger file."""
    other = project_dir / "elsewhere" / "runs.sqlite"
    recsys.run_line_magic("config", f'BizmlMagics.ledger = "{other}"')
    try:
        run_cell(recsys, TWO_TOWER)
    finally:
        recsys.run_line_magic("config", "BizmlMagics.ledger = None")
    assert other.is_file()
    assert not (project_dir / ".bizml" / "ledger.sqlite").exists()


def test_env_ledger_moves_the_ledger(
    recsys: Any, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$BIZML_LEDGER points the ledger at another file."""
    other = project_dir / "env.sqlite"
    monkeypatch.setenv("BIZML_LEDGER", str(other))
    run_cell(recsys, TWO_TOWER)
    assert bizml_nb.project().ledger.path == other
    assert bizml_nb.project().ledger.count() == 1


def test_project_root_is_found_upward(recsys: Any, project_dir: Path, monkeypatch: Any) -> None:
    """From a subfolder, the magics use the bizml.toml and ledger of the folder above."""
    sub = project_dir / "notebooks" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    run_cell(recsys, TWO_TOWER)
    assert (project_dir / ".bizml" / "ledger.sqlite").is_file()
    assert not (sub / "bizml.toml").exists()


def test_load_ext_imports_nothing_heavy() -> None:
    """%load_ext bizml_nb imports none of pandas, matplotlib, ipywidgets, scipy or tomlkit."""
    code = (
        "import sys\n"
        "from IPython.testing.globalipapp import start_ipython\n"
        "ip = start_ipython()\n"
        "heavy = ('pandas', 'matplotlib', 'ipywidgets', 'scipy', 'tomlkit', 'numpy')\n"
        "before = {m for m in heavy if m in sys.modules}\n"
        "ip.run_line_magic('load_ext', 'bizml_nb')\n"
        "print(sorted(m for m in heavy if m in sys.modules and m not in before))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_unload_ext_removes_the_magics(ip: Any) -> None:
    """%unload_ext bizml_nb removes %bizml; loading again brings it back."""
    ip.run_line_magic("unload_ext", "bizml_nb")
    assert "bizml" not in ip.magics_manager.magics["line"]
    ip.run_line_magic("load_ext", "bizml_nb")
    assert "bizml" in ip.magics_manager.magics["line"]
    assert "bizml" in ip.magics_manager.magics["cell"]


# --------------------------------------------------------------------------- bad input


def test_unknown_subcommand_suggests(recsys: Any) -> None:
    """An unknown subcommand gets a did-you-mean."""
    message = usage_error(recsys, "metrix")
    assert "unknown subcommand 'metrix'" in message
    assert "did you mean 'metric'" in message


def test_unknown_flag_suggests(recsys: Any) -> None:
    """An unknown flag gets a did-you-mean among the subcommand's flags."""
    message = usage_error(recsys, "metric churn --unit ratio --direction lower --base-line 0.1")
    assert "unknown flag '--base-line'" in message
    assert "did you mean '--baseline'" in message


def test_a_lone_double_dash_is_not_a_name(recsys: Any) -> None:
    """`-- --` reached the KPI lookup as a list (an argparse quirk); now a plain message."""
    message = usage_error(recsys, "audit ndcg@10 -- --")
    assert "KPI is missing" in message


def test_missing_required_flag(recsys: Any) -> None:
    """A missing required flag is named."""
    message = usage_error(recsys, "metric churn --unit ratio")
    assert "--direction" in message
    assert "required" in message


def test_bad_direction(recsys: Any) -> None:
    """--direction sideways is refused with the valid choices."""
    message = usage_error(recsys, "metric churn --unit ratio --direction sideways")
    assert "sideways" in message
    assert "higher" in message
    assert "lower" in message


def test_value_per_unit_sign_must_agree_with_direction(recsys: Any) -> None:
    """A positive value for a lower-is-better KPI is refused, with the right sign suggested."""
    message = usage_error(
        recsys, "metric churn --unit ratio --direction lower --value-per-unit 5e8"
    )
    assert "use -5e+08" in message
    assert "churn" not in bizml_nb.project().registry.metrics


def test_link_to_unknown_kpi(recsys: Any) -> None:
    """A link to a KPI that is not declared names it and suggests the closest."""
    message = usage_error(recsys, "link auc take_rat --elasticity 0.1")
    assert "no business metric 'take_rat'" in message
    assert "did you mean 'take_rate'" in message


def test_experiment_with_unknown_target(recsys: Any) -> None:
    """--target naming an unknown KPI is refused before the cell runs."""
    result, _ = run_cell(
        recsys, '%%bizml experiment "x" --target takerate\nran = True\nbizml_nb.log(a=1)\n'
    )
    assert type(result.error_in_exec) is UsageError
    assert "did you mean 'take_rate'" in str(result.error_in_exec)
    assert "ran" not in recsys.user_ns
    assert bizml_nb.project().ledger.count() == 0


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("log auc=nan", "'auc' is nan"),
        ("log auc=inf", "'auc' is inf"),
        ("log auc=high", "'high' is not a number"),
        ("log auc", "is not NAME=VALUE"),
    ],
)
def test_bad_log_values(recsys: Any, line: str, expected: str) -> None:
    """Non-numeric, NaN and infinite values are refused by %bizml log."""
    run_cell(recsys, TWO_TOWER)
    assert expected in usage_error(recsys, line)
    assert bizml_nb.project().run("last").metrics == {"ndcg@10": 0.4125, "latency_ms": 38.0}


def test_nan_logged_in_a_cell_is_a_usage_error(recsys: Any) -> None:
    """bizml_nb.log(nan) inside a cell stops it with one plain message; the run is kept failed."""
    result, _ = run_cell(
        recsys,
        '%%bizml experiment "nan" --target take_rate\n'
        'bizml_nb.log(auc=0.8)\nbizml_nb.log(loss=float("nan"))\n',
    )
    assert type(result.error_in_exec) is UsageError
    assert "'loss' is nan" in str(result.error_in_exec)
    run = bizml_nb.project().run("nan")
    assert (run.status, run.metrics) == ("failed", {"auc": 0.8})


def test_log_with_no_run_at_all(ip: Any) -> None:
    """%bizml log with no experiment and no earlier run says what to do."""
    assert "no experiment is running" in usage_error(ip, "log a=1")


def test_experiment_as_line_magic_is_explained(recsys: Any) -> None:
    """%bizml experiment on one line explains that it is a cell magic."""
    assert "cell magic" in usage_error(recsys, 'experiment "x" --target take_rate')


def test_unbalanced_quotes(recsys: Any) -> None:
    """An unclosed quote is one clear message."""
    assert "check the quotes" in usage_error(recsys, 'metric "take_rate --unit ratio')


def test_metric_before_init(ip: Any) -> None:
    """Declaring a metric in a folder with no bizml.toml says to run init."""
    assert "%bizml init" in usage_error(ip, "metric churn --unit ratio --direction lower")


def test_malformed_bizml_toml_names_file_line_and_key(recsys: Any) -> None:
    """A hand-broken bizml.toml gives its path, the line and the key, and is not rewritten."""
    path = Path("bizml.toml")
    text = path.read_text().replace('direction = "higher"', 'direction = "sideways"')
    path.write_text(text)
    line = text.splitlines().index('direction = "sideways"') + 1
    message = usage_error(recsys, "metrics")
    assert str(path.resolve()) in message
    assert f"line {line}" in message
    assert "metrics.take_rate.direction" in message
    assert path.read_text() == text


def test_ledger_that_is_not_sqlite_is_left_untouched(recsys: Any) -> None:
    """A ledger file of other bytes is refused with a clear message and stays byte-identical."""
    ledger = Path(".bizml") / "ledger.sqlite"
    ledger.parent.mkdir()
    ledger.write_bytes(b"these are my notes, not a database\n" * 20)
    digest = hashlib.sha256(ledger.read_bytes()).hexdigest()
    result, _ = run_cell(recsys, TWO_TOWER)
    assert type(result.error_in_exec) is UsageError
    message = str(result.error_in_exec)
    assert "not a bizml ledger" in message
    assert "'ndcg@10': 0.4125" in message  # the metrics are in the message: nothing is lost
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == digest


def test_ledger_from_a_newer_schema_is_left_untouched(recsys: Any) -> None:
    """A ledger written by a newer bizml_nb is refused and left as it was."""
    import sqlite3

    run_cell(recsys, TWO_TOWER)
    bizml_nb.project().ledger.close()
    ledger = Path(".bizml") / "ledger.sqlite"
    with sqlite3.connect(ledger) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    recsys.run_line_magic("unload_ext", "bizml_nb")  # close the magics' connection too
    recsys.run_line_magic("load_ext", "bizml_nb")
    digest = hashlib.sha256(ledger.read_bytes()).hexdigest()
    message = usage_error(recsys, "runs")
    assert "newer bizml_nb" in message
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == digest


def test_unwritable_ledger_location(recsys: Any, project_dir: Path) -> None:
    """A ledger path that cannot be created is one message naming how to point elsewhere."""
    blocker = project_dir / "blocker"
    blocker.write_text("a file where a folder should be")
    recsys.run_line_magic("config", f'BizmlMagics.ledger = "{blocker / "ledger.sqlite"}"')
    try:
        result, _ = run_cell(recsys, TWO_TOWER)
    finally:
        recsys.run_line_magic("config", "BizmlMagics.ledger = None")
    assert type(result.error_in_exec) is UsageError
    assert "BIZML_LEDGER" in str(result.error_in_exec)


# --------------------------------------------------------------------------- HTML


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.classes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.classes.extend((dict(attrs).get("class") or "").split())

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_card_escapes_user_strings(recsys: Any) -> None:
    """Names, hypotheses and tags with markup appear as text, never as elements."""
    nasty = '<script>alert(1)</script> & "O\'Brien"'
    result, captured = run_cell(
        recsys,
        f"%%bizml experiment {json.dumps(nasty)} --target take_rate "
        f"--hypothesis '<img src=x onerror=alert(2)>' --tag '<b>bold</b>'\n"
        "bizml_nb.log({'<i>m</i>': 1.0})\n",
    )
    assert result.success
    card = cards(captured)[0]
    parsed = _Collector()
    parsed.feed(card["text/html"])
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert "i" not in parsed.tags
    assert "bizml-card" in parsed.classes
    text = "".join(parsed.text)
    assert nasty in text
    assert "<img src=x onerror=alert(2)>" in text
    assert card[RUN_MIME]["run"]["name"] == nasty


def test_names_with_newlines_keep_the_text_card_on_its_lines(recsys: Any) -> None:
    """A newline inside a name is shown on one line in the text card and kept in the ledger."""
    with bizml_nb.experiment("first\nsecond", target="take_rate") as run:
        run.log(auc=1)
    text = run.card().text()
    assert text.splitlines()[0] == "first second  ->  take_rate   [ok]"
    assert bizml_nb.project().run("last").name == "first\nsecond"


def test_subcommand_help_prints_and_raises_nothing(recsys: Any) -> None:
    """-h on a subcommand prints its flags; on an experiment cell it runs nothing."""
    with capture_output() as captured:
        recsys.run_line_magic("bizml", "metric -h")
    assert "--value-per-unit" in captured.stdout
    result, captured = run_cell(recsys, "%%bizml experiment -h\nran_body = True\n")
    assert result.success
    assert "--hypothesis" in captured.stdout
    assert "ran_body" not in recsys.user_ns


def test_help_lists_every_subcommand(recsys: Any) -> None:
    """%bizml help names every subcommand; %bizml help NAME shows that one's flags."""
    from bizml_nb.interfaces.magics import SUBCOMMANDS

    with capture_output() as captured:
        recsys.run_line_magic("bizml", "help")
    for name in SUBCOMMANDS:
        assert f"  {name} " in captured.stdout
    with capture_output() as captured:
        recsys.run_line_magic("bizml", "help link")
    assert "--elasticity" in captured.stdout
    assert "did you mean 'link'" in usage_error(recsys, "help lnk")
