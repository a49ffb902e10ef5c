"""The views over the impact engine: baseline, compare, plot, audit, tree and the dashboard."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.core.registry import Registry


def cell(ip: Any, name: str, metrics: dict[str, float], flags: str = "") -> None:
    with capture_output():
        result = ip.run_cell(
            f'%%bizml experiment "{name}" --target take_rate {flags}\nbizml_nb.log({metrics!r})\n'
        )
    assert result.success, result.error_in_exec


@pytest.fixture
def two_links(recsys: Any) -> Any:
    """Quickstart registry plus a latency link, a bar, and four runs against take_rate."""
    with capture_output():
        recsys.run_line_magic("bizml", "init --min-annual-value 1e6")
        recsys.run_line_magic(
            "bizml", "link latency_ms take_rate --elasticity -1e-4 --interval -1.5e-4 -0.5e-4"
        )
    cell(recsys, "base", {"ndcg@10": 0.40, "latency_ms": 12.0}, "--baseline")
    cell(recsys, "deep slow", {"ndcg@10": 0.43, "latency_ms": 150.0})
    cell(recsys, "fast", {"ndcg@10": 0.41, "latency_ms": 10.0})
    cell(recsys, "tiny", {"ndcg@10": 0.4001, "latency_ms": 12.0})
    return recsys


def test_init_flags_write_project_settings(recsys: Any) -> None:
    """--min-annual-value and the costs per hour land in [project]."""
    with capture_output():
        recsys.run_line_magic(
            "bizml", "init --min-annual-value 2e6 --compute-cost-per-hour 3 --eng-cost-per-hour 150"
        )
    registry = Registry.load(Path("bizml.toml"))
    assert registry.min_annual_value == 2e6
    assert registry.compute_cost_per_hour == 3
    assert registry.eng_cost_per_hour == 150


def test_negative_numbers_in_scientific_notation_are_values(recsys: Any) -> None:
    """--value-per-unit -2e10 is read as a number, not as a flag."""
    with capture_output():
        recsys.run_line_magic(
            "bizml", "metric churn --unit ratio --direction lower --value-per-unit -2e10"
        )
    assert bizml_nb.project().registry.metric("churn").value_per_unit == -2e10


def test_link_needs_exactly_one_form(recsys: Any) -> None:
    """Two forms at once, or none, is one clear message."""
    with pytest.raises(UsageError, match="exactly one of --elasticity"):
        recsys.run_line_magic("bizml", "link auc take_rate --elasticity 0.1 --expr 'a / b'")
    with pytest.raises(UsageError, match="exactly one of --elasticity"):
        recsys.run_line_magic("bizml", "link auc take_rate")
    with pytest.raises(UsageError, match="--cases-per-year"):
        recsys.run_line_magic("bizml", "link confusion take_rate --value-matrix 0 -1 -5 0")


def test_link_kinds_from_the_magic(recsys: Any, project_dir: Path) -> None:
    """--fit, --value-matrix and --expr declare fitted, confusion and formula links."""
    history = project_dir / "history.csv"
    history.write_text(
        "ml_delta,business_delta\n0.01,0.003\n0.02,0.0061\n0.005,0.0014\n0.015,0.0046\n"
    )
    with capture_output() as captured:
        recsys.run_line_magic("bizml", "link ndcg@10 take_rate --fit history.csv")
        recsys.run_line_magic(
            "bizml", "metric value --unit USD --direction higher --value-per-unit 1"
        )
        recsys.run_line_magic(
            "bizml", "link confusion value --value-matrix 0 -1 -5 0 --cases-per-year 1e5"
        )
        recsys.run_line_magic("bizml", "link formula take_rate --expr 'plays / shown'")
    assert "fitted link ndcg@10 -> take_rate" in captured.stdout
    assert "evidence:" in captured.stdout  # the audit of the fit is printed right away
    kinds = {(x.ml_metric, x.kind) for x in bizml_nb.project().registry.links}
    assert kinds == {("ndcg@10", "fitted"), ("confusion", "confusion"), ("formula", "formula")}


def test_baseline_subcommand_moves_the_reference(two_links: Any) -> None:
    """%bizml baseline RUN makes that run the reference for the KPI's cards."""
    with capture_output() as captured:
        two_links.run_line_magic("bizml", 'baseline "fast"')
    assert "'fast' is now the baseline for take_rate" in captured.stdout
    card = two_links.run_line_magic("bizml", 'show "deep slow"')
    (contribution, _latency) = card.impact.contributions
    assert contribution.ml_delta == pytest.approx(0.43 - 0.41)
    assert bizml_nb.project().ledger.baseline("take_rate").name == "fast"


def test_baseline_of_a_failed_run_is_refused(recsys: Any) -> None:
    """A failed run cannot become the baseline."""
    with capture_output():
        recsys.run_cell('%%bizml experiment "broken" --target take_rate\n1/0\n')
    with pytest.raises(UsageError, match="only a successful run can be a baseline"):
        recsys.run_line_magic("bizml", 'baseline "broken"')


def test_compare_ranks_by_value_beside_ml_rank(two_links: Any) -> None:
    """The best run by NDCG is not the best by value when its latency costs take-rate.

    deep slow: +0.03 NDCG x 0.35 = +1.05 pp, latency +138 ms x -1e-4 = -1.38 pp: -0.33 pp.
    fast: +0.01 x 0.35 = +0.35 pp, latency -2 ms x -1e-4 = +0.02 pp: +0.37 pp.
    """
    board = two_links.run_line_magic("bizml", "compare --target take_rate")
    assert list(board["name"][:3]) == ["fast", "tiny", "deep slow"]
    assert board.set_index("name").loc["fast", "delta_mid"] == pytest.approx(0.0037)
    assert board.set_index("name").loc["deep slow", "delta_mid"] == pytest.approx(-0.0033)
    ranks = board.set_index("name")
    assert ranks.loc["deep slow", "rank_by_ndcg@10"] == 1
    assert ranks.loc["deep slow", "rank_by_value"] == 3
    assert ranks.loc["fast", "rank_by_value"] == 1
    assert ranks.loc["fast", "rank_by_latency_ms"] == 1  # lower latency is better for take-rate
    # -0.33 pp mid, but NDCG's +[0.60, 1.50] pp and latency's -[0.69, 2.07] pp overlap zero
    assert ranks.loc["deep slow", "verdict"] == "uncertain"
    top = two_links.run_line_magic("bizml", "compare --target take_rate --top 1")
    assert list(top["name"]) == ["fast"]


def test_plot_has_one_point_per_compared_run(two_links: Any) -> None:
    """%bizml plot draws each non-baseline run at (ML delta, KPI change in pp)."""
    figure = two_links.run_line_magic("bizml", "plot --target take_rate")
    axes = figure.axes[0]
    labels = sorted(text.get_text() for text in axes.texts)
    assert labels == ["deep slow", "fast", "tiny"]
    assert "ndcg@10" in axes.get_xlabel()
    assert "pp" in axes.get_ylabel()
    (origin,) = [line for line in axes.lines if line.get_marker() == "s"]
    assert list(origin.get_xydata()[0]) == [0.0, 0.0]  # the baseline run, at the origin
    assert origin.get_label().startswith("baseline run: ")
    low, high = axes.get_xlim()
    assert low <= 0 <= high  # even when every run moved the same way


def test_plot_shows_dollar_signs_literally(recsys: Any) -> None:
    """A $ in a run name is escaped so matplotlib does not read it as mathtext."""
    cell(recsys, "base", {"ndcg@10": 0.40}, "--baseline")
    cell(recsys, "cost $5 model", {"ndcg@10": 0.41})
    figure = recsys.run_line_magic("bizml", "plot")
    assert [t.get_text() for t in figure.axes[0].texts] == [r"cost \$5 model"]
    figure.canvas.draw()  # would raise on unbalanced mathtext


def test_audit_of_a_hand_declared_link_says_so(recsys: Any) -> None:
    """Auditing a linear link says it was declared by hand and how to fit it instead."""
    with capture_output() as captured:
        recsys.run_line_magic("bizml", "audit ndcg@10 take_rate")
    text = captured.outputs[0].data["text/plain"]
    assert "declared by hand" in text
    assert "--fit history.csv" in text
    with pytest.raises(UsageError, match="no link auc -> take_rate"):
        recsys.run_line_magic("bizml", "audit auc take_rate")


def test_tree_draws_chains_and_best_runs(two_links: Any) -> None:
    """%bizml tree shows links into each KPI, KPIs downstream and the best run."""
    with capture_output():
        two_links.run_line_magic(
            "bizml", "metric cancellation --unit ratio --direction lower --baseline 0.02"
        )
        two_links.run_line_magic(
            "bizml", "link take_rate cancellation --elasticity -0.4 --interval -0.6 -0.2"
        )
    with capture_output() as captured:
        two_links.run_line_magic("bizml", "tree")
    lines = captured.stdout.splitlines()
    assert lines[0].startswith("take_rate [ratio, higher is better]")
    assert "best run 'fast' +0.37 pp" in lines[0]
    assert any("<- ndcg@10 (linear 0.35 [0.2, 0.5] (90%))" in line for line in lines)
    assert any("-> cancellation [ratio, lower is better]" in line for line in lines)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Cells(HTMLParser):
    """The text of each <td> of a table, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "td":
            self.cells.append("")
            self._open = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.cells[-1] += data


def _cells(html_table: str) -> list[str]:
    parsed = _Cells()
    parsed.feed(html_table)
    return parsed.cells


def test_dashboard_updates_when_the_kpi_changes(two_links: Any) -> None:
    """Choosing another KPI rebuilds the leaderboard; choosing a run shows its card.

    take_rate, by hand (ndcg@10 x 0.35 [0.2, 0.5], latency_ms x -1e-4 [-1.5e-4, -0.5e-4],
    $2.5e9 per unit; baseline ndcg 0.40, 12 ms; the bar is $1M a year):
    fast       +0.01 x 0.35 + (-2) x -1e-4 = +0.0037   -> +$9.25M, even its low end
               (0.01 x 0.2 + 2 x 0.5e-4 = 0.0021 -> $5.25M) clears the bar: material
    tiny       +0.0001 x 0.35 = +0.000035              -> +$87.5k, at most 0.0001 x 0.5
               -> $125k: not material
    deep slow  +0.03 x 0.35 + 138 x -1e-4 = -0.0033    -> -$8.25M, its range runs from
               0.006 - 0.0207 < 0 to 0.015 - 0.0069 > 0: uncertain
    """
    with capture_output():
        two_links.run_line_magic("bizml", "metric churn --unit ratio --direction lower")
        two_links.run_line_magic("bizml", "link recall churn --elasticity -0.1")
        two_links.run_cell(
            '%%bizml experiment "<b>churn</b> model" --target churn --baseline\n'
            "bizml_nb.log(recall=0.8)\n"
        )
    dashboard = two_links.run_line_magic("bizml", "dashboard --target take_rate")
    # rank by value, by ndcg@10 (0.43 > 0.41 > 0.4001), by latency_ms (10 < 12 < 150 ms);
    # run; verdict against the $1M bar; value per year with its simulated 90% range
    cells = _cells(dashboard.leaderboard.value)
    rows = [cells[i : i + 6] for i in range(0, len(cells), 6)]
    assert [[*row[:5], row[5].split(" [")[0]] for row in rows] == [
        ["1", "2", "1", "fast", "material", "+$9.25M"],
        ["2", "3", "2", "tiny", "not material", "+$87.5k"],
        ["3", "1", "3", "deep slow", "uncertain", "-$8.25M"],
        ["", "", "", "base", "baseline", ""],
    ]
    assert all(row[5].endswith("]") for row in rows[:3])
    take_rate_plot = bytes(dashboard.plot.value)
    assert take_rate_plot.startswith(PNG_SIGNATURE)
    assert dashboard.message.value == ""
    names = [label.rsplit(" (", 1)[0] for label, _run_id in dashboard.run.options]
    assert names == ["fast", "tiny", "deep slow", "base"]
    runs = dict(zip(names, [run_id for _label, run_id in dashboard.run.options], strict=True))
    assert dashboard.run.value == runs["fast"]  # the best run's card is shown first
    assert "fast" in dashboard.card.value
    assert "+$9.25M" in dashboard.card.value

    dashboard.run.value = runs["deep slow"]
    assert "deep slow" in dashboard.card.value
    assert "-$8.25M" in dashboard.card.value
    assert "fast" not in dashboard.card.value

    dashboard.kpi.value = "churn"
    parsed = _Tags()
    parsed.feed(dashboard.leaderboard.value)
    assert "b" not in parsed.tags  # the run's name is text, not markup
    assert _cells(dashboard.leaderboard.value) == ["", "", "<b>churn</b> model", "baseline", ""]
    churn_plot = bytes(dashboard.plot.value)
    assert churn_plot.startswith(PNG_SIGNATURE)
    assert churn_plot != take_rate_plot  # the plot was redrawn for churn
    labels = [label for label, _run_id in dashboard.run.options]
    assert len(labels) == 1
    assert labels[0].startswith("<b>churn</b> model")
    assert "bizml-card" in dashboard.card.value
    assert "&lt;b&gt;churn&lt;/b&gt; model" in dashboard.card.value

    dashboard.kpi.value = "take_rate"  # back again: the same board and plot as at first
    assert _cells(dashboard.leaderboard.value) == cells
    assert bytes(dashboard.plot.value) == take_rate_plot


@pytest.fixture
def unpriced(project_dir: Path) -> Path:
    """A KPI with no link: a baseline and one run, which has no estimate and so no verdict."""
    bizml_nb.init("p", currency="USD")
    bizml_nb.metric("revenue", unit="USD", direction="higher")
    with bizml_nb.experiment("a", target="revenue", baseline=True) as run:
        run.log({"auc": 0.5})
    with bizml_nb.experiment("b", target="revenue") as run:
        run.log({"auc": 0.6})
    return project_dir


def test_a_run_without_a_verdict_has_none_not_nan(unpriced: Path) -> None:
    """compare(): the baseline's verdict is "baseline"; the run with no estimate has None,
    which a frame shows as None, not NaN (a number where a word belongs)."""
    board = bizml_nb.compare()
    assert board["name"].tolist() == ["a", "b"]
    assert board["verdict"].tolist() == ["baseline", None]
    assert board["verdict"].to_string() == "0    baseline\n1        None"
