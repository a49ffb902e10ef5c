"""Observed runs as a link's evidence: `--fit --from-observed` and the audit beside them.

One small project: a ratio KPI take_rate and the link ndcg@10 -> take_rate, declared
with elasticity 0.35 and the 90% interval [0.2, 0.5]. The baseline run has ndcg@10
0.40. Four runs were observed, each realised change x with the interval x +- Z90 se
(so its standard error, read back from the interval, is se):

    run    ndcg@10  ML delta d  realised y  se      d^2/se^2   d y/se^2   1/se^2
    A      0.41     0.01        0.0021      0.001   100        21         1e6
    B      0.42     0.02        0.0030      0.002   100        15         2.5e5
    C      0.44     0.04        0.0090      0.002   400        90         2.5e5
    D      0.43     0.03        0.0020      0.001   900        60         1e6
    sum                                             1500       186        2.5e6

Also observed and left out: the baseline run itself, a run without ndcg@10 (E) and a
run whose ndcg@10 equals the baseline's (F). Every other number is worked out by hand
in the comment beside it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest

from bizml_nb.core.errors import InvalidArguments, InvalidValue, RegistryError, UnknownMetric
from bizml_nb.core.registry import Link, Registry
from bizml_nb.core.run import Run
from bizml_nb.core.units import Z90
from bizml_nb.present.charts import audit
from bizml_nb.projects.link_evidence import observed_points
from bizml_nb.projects.project import Project
from bizml_nb.projects.realised import observe
from tests.recsys_project import RECSYS_TOML, recsys_project

if TYPE_CHECKING:
    from pathlib import Path

BASE, A, B, C, D, E, F = (f"01JDA{k}00000000000000000000"[:26] for k in "BCDEFGH")
NDCG = {BASE: 0.40, A: 0.41, B: 0.42, C: 0.44, D: 0.43, E: None, F: 0.40}
OBSERVED = {A: (0.0021, 0.001), B: (0.0030, 0.002), C: (0.0090, 0.002), D: (0.0020, 0.001)}
LEFT_OUT = {BASE: (0.0, 0.001), E: (0.001, 0.001), F: (0.001, 0.001)}
REFIT = "`%bizml link ndcg@10 take_rate --fit --from-observed`"


def _project(root: Path, observed: dict[str, tuple[float, float]] | None = None) -> Project:
    names = {BASE: "popularity", A: "A", B: "B", C: "C", D: "D", E: "E", F: "F"}
    runs = [(run_id, names[run_id], ndcg, None) for run_id, ndcg in NDCG.items()]
    project = recsys_project(root, runs, baseline=BASE)
    for run_id, (y, se) in (observed if observed is not None else OBSERVED | LEFT_OUT).items():
        observe(project, run_id, y, (y - Z90 * se, y + Z90 * se), source="A/B", on="2026-02-20")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return _project(tmp_path)


def _wls(x: list[float], y: list[float], w: list[float]) -> float:
    """The textbook weighted least-squares slope with an intercept: Sxy / Sxx about the
    weighted means (written out here, not taken from bizml_nb)."""
    total = sum(w)
    xbar = sum(wi * xi for wi, xi in zip(w, x, strict=True)) / total
    ybar = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / total
    sxy = sum(wi * (xi - xbar) * (yi - ybar) for wi, xi, yi in zip(w, x, y, strict=True))
    sxx = sum(wi * (xi - xbar) ** 2 for wi, xi in zip(w, x, strict=True))
    return sxy / sxx


# --------------------------------------------------------------------------- the points


def test_each_observed_run_is_a_point_and_the_others_are_left_out_with_why(
    project: Project,
) -> None:
    points = observed_points(project, "ndcg@10", "take_rate")
    assert [p.run.id for p in points.points] == [A, B, C, D]
    assert [p.ml_delta for p in points.points] == pytest.approx([0.01, 0.02, 0.04, 0.03])
    assert [p.se for p in points.points] == pytest.approx([0.001, 0.002, 0.002, 0.001])
    # implied elasticities y / d: 0.21, 0.15, 0.225, 0.0667
    assert [p.implied for p in points.points] == pytest.approx([0.21, 0.15, 0.225, 0.2 / 3])
    # inverse variances 1e6, 2.5e5, 2.5e5, 1e6 have the mean 6.25e5: weights 1.6, 0.4 ...
    assert points.weights() == pytest.approx([1.6, 0.4, 0.4, 1.6])
    assert [(run.id, why) for run, why in points.left_out] == [
        (BASE, "a baseline run"),
        (E, "without ndcg@10"),
        (F, "with no ndcg@10 change"),
    ]
    assert points.left_out_text() == (
        "left out 3 observed runs: a baseline run (1), without ndcg@10 (1), "
        "with no ndcg@10 change (1)"
    )


def test_the_observed_mean_is_the_inverse_variance_weighted_mean_of_the_ratios(
    project: Project,
) -> None:
    mean = observed_points(project, "ndcg@10", "take_rate").mean()
    assert mean is not None
    # b = sum(d y / se^2) / sum(d^2 / se^2) = 186 / 1500 = 0.124
    assert mean.mean == pytest.approx(0.124)
    # residuals y - b d: 0.00086, 0.00052, 0.00404, -0.00172; Q = sum(res^2 / se^2)
    # = 0.7396 + 0.0676 + 4.0804 + 2.9584 = 7.846 > n - 1 = 3: widened by sqrt(7.846 / 3)
    scale = math.sqrt(7.846 / 3)
    assert mean.scale == pytest.approx(scale)
    se = scale / math.sqrt(1500)  # 1.61720 x 0.0258199 = 0.0417561
    assert mean.se == pytest.approx(se)
    assert mean.interval == pytest.approx((0.124 - Z90 * se, 0.124 + Z90 * se))
    assert mean.interval == pytest.approx((0.05532, 0.19268), abs=1e-5)


def test_the_weighted_mean_equals_the_slope_through_the_origin_when_all_agree() -> None:
    from bizml_nb.impact.evidence import observed_mean

    # y = 0.2 d exactly: every implied elasticity is 0.2, Q = 0, no widening;
    # se = 1 / sqrt(sum(d^2 / se^2)) = 1 / sqrt(0.01^2/0.001^2 + 0.03^2/0.002^2)
    # = 1 / sqrt(100 + 225) = 0.0554700
    mean = observed_mean([0.01, 0.03], [0.002, 0.006], [0.001, 0.002])
    assert (mean.mean, mean.scale) == (pytest.approx(0.2), 1.0)
    assert mean.se == pytest.approx(1 / math.sqrt(325))


# --------------------------------------------------------------------------- the fit


def test_fit_from_observed_alone_weighs_each_run_by_its_inverse_variance(
    project: Project,
) -> None:
    link = project.link("ndcg@10", "take_rate", fit=True, from_observed=True)
    # weights 1.6, 0.4, 0.4, 1.6: weighted means d 0.022, y 0.00284; Sxx 4.64e-4,
    # Sxy 4.768e-5; slope 4.768e-5 / 4.64e-4 = 0.1027586
    assert link.kind == "fitted"
    assert link.elasticity == pytest.approx(4.768e-5 / 4.64e-4)
    assert link.elasticity == pytest.approx(
        _wls([0.01, 0.02, 0.04, 0.03], [0.0021, 0.003, 0.009, 0.002], [1.6, 0.4, 0.4, 1.6])
    )
    assert (link.params["n"], link.params["observed"]) == (4, 4)
    assert "history" not in link.params
    stored = project.registry.links[0]
    assert stored == link
    assert "observed = 4" in project.registry_path.read_text(encoding="utf-8")


def test_fit_from_a_history_and_the_observed_runs_together(
    project: Project, tmp_path: Path
) -> None:
    history = tmp_path / "history.csv"
    history.write_text("ml_delta,business_delta\n0.01,0.003\n0.02,0.005\n", encoding="utf-8")
    link = project.link("ndcg@10", "take_rate", fit=str(history), from_observed=True)
    # the history's rows weigh 1, the observed runs 1.6, 0.4, 0.4, 1.6 (mean 1)
    expected = _wls(
        [0.01, 0.02, 0.01, 0.02, 0.04, 0.03],
        [0.003, 0.005, 0.0021, 0.003, 0.009, 0.002],
        [1, 1, 1.6, 0.4, 0.4, 1.6],
    )
    assert link.elasticity == pytest.approx(expected)
    assert (link.params["n"], link.params["observed"], link.params["history"]) == (
        6,
        4,
        str(history),
    )


def test_too_few_observed_points_name_how_many_there_are(tmp_path: Path) -> None:
    project = _project(tmp_path, {A: OBSERVED[A], B: OBSERVED[B], E: (0.001, 0.001)})
    with pytest.raises(InvalidArguments) as info:
        project.link("ndcg@10", "take_rate", fit=True, from_observed=True)
    message = str(info.value)
    assert "there are 2 observed runs of take_rate with a change of ndcg@10" in message
    assert "fitting a link needs at least 3" in message
    assert "left out 1 observed run: without ndcg@10 (1)" in message
    assert project.registry.links[0].kind == "linear"  # nothing stored


def test_no_observations_at_all_is_one_clear_error(tmp_path: Path) -> None:
    project = _project(tmp_path, {})
    with pytest.raises(InvalidArguments, match="take_rate has no observed runs yet"):
        project.link("ndcg@10", "take_rate", fit=True, from_observed=True)
    assert project.registry.links[0].kind == "linear"


def test_an_ml_metric_no_run_logged_is_refused_with_the_ones_logged(project: Project) -> None:
    with pytest.raises(RegistryError, match=r"no run of take_rate logged 'ndcg@1O'") as info:
        project.link("ndcg@1O", "take_rate", fit=True, from_observed=True)
    assert "did you mean 'ndcg@10'" in str(info.value)
    assert "auc, ndcg@10" in str(info.value)
    assert len(project.registry.links) == 1


def test_an_unknown_kpi_is_refused(project: Project) -> None:
    with pytest.raises(UnknownMetric):
        project.link("ndcg@10", "take_rat", fit=True, from_observed=True)


def test_from_observed_goes_with_fit_and_a_bare_fit_with_from_observed(project: Project) -> None:
    with pytest.raises(InvalidArguments, match="from_observed fits the link"):
        project.link("ndcg@10", "take_rate", from_observed=True)
    with pytest.raises(InvalidArguments, match="from_observed fits the link"):
        project.link("ndcg@10", "take_rate", elasticity=0.3, from_observed=True)
    with pytest.raises(InvalidArguments, match="fit needs a history"):
        project.link("ndcg@10", "take_rate", fit=True)
    assert project.registry.links[0].elasticity == 0.35


def test_the_observed_key_is_checked_when_the_file_is_read() -> None:
    text = RECSYS_TOML.replace(
        "elasticity = 0.35\ninterval = [0.2, 0.5]\n",
        'kind = "fitted"\nelasticity = 0.1\nn = 4\ngrade = "weak"\nobserved = 5\n',
    )
    with pytest.raises(RegistryError, match="observed runs from 1 to n = 4"):
        Registry.from_text(text)
    read = Registry.from_text(text.replace("observed = 5", "observed = 4"))
    assert read.links[0].params["observed"] == 4
    # a fitted link written before observed runs counted reads as before, without the key
    old = Registry.from_text(text.replace("observed = 5\n", ""))
    assert "observed" not in old.links[0].params
    with pytest.raises(InvalidValue):
        Link("m", "k", "fitted", {"elasticity": 0.1, "n": 2, "grade": "weak", "observed": True})


# --------------------------------------------------------------------------- the audit


def test_the_audit_shows_each_observed_run_and_says_the_declared_elasticity_disagrees(
    project: Project,
) -> None:
    result = audit(project, "ndcg@10", "take_rate")
    text = result.text()
    assert "  A: ndcg@10 +0.01, take_rate +0.21 pp [+0.05, +0.37] (90%), implied 0.21" in text
    assert "  D: ndcg@10 +0.03, take_rate +0.20 pp [+0.04, +0.36] (90%), implied 0.06667" in text
    assert "left out 3 observed runs" in text
    # 0.124 lies below the declared interval [0.2, 0.5]
    assert (
        "the declared elasticity 0.35 disagrees with what was observed: observed mean 0.124 "
        f"(90% [0.05532, 0.1927]) over 4 observed runs; refit with {REFIT}"
    ) in text
    assert result.observed is not None
    assert result.observed.n == 4
    assert result.figure() is not None  # the observed runs drawn, with no history


def test_an_elasticity_inside_the_observed_interval_agrees(tmp_path: Path) -> None:
    project = _project(tmp_path)
    text = RECSYS_TOML.replace("elasticity = 0.35\ninterval = [0.2, 0.5]", "elasticity = 0.15")
    project.registry_path.write_text(text, encoding="utf-8")
    lines = audit(project, "ndcg@10", "take_rate").text()
    # no interval: the point 0.15 is checked against the observed [0.05532, 0.19268]
    assert "the declared elasticity 0.15 lies inside the observed mean's 90% interval" in lines
    assert "disagrees" not in lines
    text = RECSYS_TOML.replace("interval = [0.2, 0.5]", "interval = [0.1, 0.5]")
    project.registry_path.write_text(text, encoding="utf-8")
    lines = audit(project, "ndcg@10", "take_rate").text()
    assert "the observed mean lies inside the declared elasticity's 90% interval [0.1, 0.5]" in (
        lines
    )


def test_a_point_elasticity_outside_the_observed_interval_disagrees(tmp_path: Path) -> None:
    project = _project(tmp_path)
    text = RECSYS_TOML.replace("elasticity = 0.35\ninterval = [0.2, 0.5]", "elasticity = 0.02")
    project.registry_path.write_text(text, encoding="utf-8")
    # 0.02 is below the observed interval's low end 0.05532
    assert "the declared elasticity 0.02 disagrees with what was observed" in (
        audit(project, "ndcg@10", "take_rate").text()
    )


def test_the_audit_of_a_link_fitted_from_observed_runs_recomputes_it(project: Project) -> None:
    project.link("ndcg@10", "take_rate", fit=True, from_observed=True)
    result = audit(project, "ndcg@10", "take_rate")
    assert result.fit is not None
    assert result.fit.slope == pytest.approx(4.768e-5 / 4.64e-4)
    text = result.text()
    assert "  observed: A: " in text  # the observed runs among the influential points
    assert "fitted from" not in text  # fitted from 4 runs; 4 usable now
    # one more observed run since the fit: the audit asks for a refit
    observe(project, F, 0.001, (0.0, 0.002), source="A/B", on="2026-02-21")
    project.ledger.record(
        Run(
            id="01JDAJ000000000000000000000"[:26],
            name="G",
            target="take_rate",
            started_at="2026-01-05T09:00:00.000Z",
            metrics={"ndcg@10": 0.45},
        )
    )
    observe(project, "G", 0.005, (0.003, 0.007), source="A/B", on="2026-02-21")
    text = audit(project, "ndcg@10", "take_rate").text()
    assert f"fitted from 4 observed run(s); 5 can be used now: refit with {REFIT}" in text


def test_too_few_observed_runs_are_shown_but_not_judged(tmp_path: Path) -> None:
    project = _project(tmp_path, {A: OBSERVED[A], B: OBSERVED[B]})
    text = audit(project, "ndcg@10", "take_rate").text()
    # A and B: sum(d^2/se^2) = 200, sum(d y/se^2) = 36: mean 0.18
    assert "observed mean 0.18 " in text
    assert "too few observed runs to judge the elasticity (2; needs 3)" in text
    assert "disagrees" not in text


def test_an_audit_without_observations_is_as_before(tmp_path: Path) -> None:
    project = _project(tmp_path, {})
    result = audit(project, "ndcg@10", "take_rate")
    assert result.observed is None
    assert result.text().splitlines()[1:] == [
        "elasticity 0.35 [0.2, 0.5] (90%), declared by hand: no history to check it against. "
        "Fit it from past A/B tests with `%bizml link ndcg@10 take_rate --fit history.csv` "
        "to grade the evidence."
    ]
    assert result.figure() is None


def test_a_frozen_baseline_is_used_when_the_observation_keeps_one(tmp_path: Path) -> None:
    from bizml_nb.core.observation import Observation

    project = _project(tmp_path, {})
    # a later baseline at 0.43: without a frozen baseline A's change would be -0.02
    project.ledger.record(
        Run(
            id="01JDAK000000000000000000000"[:26],
            name="new baseline",
            target="take_rate",
            started_at="2026-01-06T09:00:00.000Z",
            metrics={"ndcg@10": 0.43},
            is_baseline=True,
        )
    )
    project.set_baseline("new baseline")
    frozen = Observation.new(
        A,
        0.0021,
        0.0011,
        0.0031,
        source="A/B",
        observed_on="2026-02-20",
        predicted=(0.002, 0.0035, 0.005),
        baseline_id=BASE,
    )
    project.ledger.observe(frozen)
    points = observed_points(project, "ndcg@10", "take_rate")
    assert [p.ml_delta for p in points.points] == pytest.approx([0.01])  # 0.41 - 0.40
    assert points.points[0].baseline.id == BASE


# --------------------------------------------------------------------------- %bizml


@pytest.fixture
def shell_project(ip: Any, project_dir: Path) -> Any:
    _project(project_dir)
    return ip


def test_magic_link_fit_from_observed_prints_the_audit(shell_project: Any) -> None:
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        shell_project.run_line_magic("bizml", "link ndcg@10 take_rate --fit --from-observed")
    out = captured.stdout
    assert "updated fitted link ndcg@10 -> take_rate in bizml.toml" in out
    assert "left out 3 observed runs" in out
    assert "over 4 observed runs" in out


def test_magic_link_errors_are_one_usage_error_naming_the_flags(shell_project: Any) -> None:
    from IPython.core.error import UsageError

    def error(line: str) -> str:
        with pytest.raises(UsageError) as info:
            shell_project.run_line_magic("bizml", line)
        return str(info.value)

    assert "--from-observed fits the link" in error(
        "link ndcg@10 take_rate --elasticity 0.3 --from-observed"
    )
    assert "--fit needs a history" in error("link ndcg@10 take_rate --fit")
    assert "no run of take_rate logged 'ndcg@11'" in error(
        "link ndcg@11 take_rate --fit --from-observed"
    )


def test_magic_audit_shows_the_observed_runs(shell_project: Any) -> None:
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        shell_project.run_line_magic("bizml", "audit ndcg@10 take_rate")
    text = "\n".join(str(o.data.get("text/plain", "")) for o in captured.outputs)
    assert "the declared elasticity 0.35 disagrees with what was observed" in text
    assert len(captured.outputs) == 2  # the audit, then its chart of the observed runs


def test_a_run_name_is_one_line_in_the_text_and_escaped_in_the_html(tmp_path: Path) -> None:
    project = _project(tmp_path, {})
    run_id = "01JDAM000000000000000000000"[:26]
    project.ledger.record(
        Run(
            id=run_id,
            name="<i>odd</i>\nname",
            target="take_rate",
            started_at="2026-01-05T09:00:00.000Z",
            metrics={"ndcg@10": 0.45},
        )
    )
    observe(project, run_id, 0.004, (0.002, 0.006), source="A/B", on="2026-02-20")
    result = audit(project, "ndcg@10", "take_rate")
    assert "  <i>odd</i> name: ndcg@10 +0.05" in result.text()
    html = result._repr_mimebundle_()["text/html"]
    assert "<i>odd" not in html
    assert "&lt;i&gt;odd" in html


def test_with_no_baseline_run_the_links_ml_baseline_is_the_reference(tmp_path: Path) -> None:
    """As a prediction does: no baseline run, the link declares ml_baseline 0.40, so the
    runs A-D keep the ML changes 0.01, 0.02, 0.04, 0.03 of the table above, and the
    fit from them alone is the one worked out for the module's table."""
    (tmp_path / "bizml.toml").write_text(
        RECSYS_TOML.replace("interval = [0.2, 0.5]", "interval = [0.2, 0.5]\nml_baseline = 0.40"),
        encoding="utf-8",
    )
    project = Project.at(tmp_path)
    for run_id, name in ((A, "A"), (B, "B"), (C, "C"), (D, "D")):
        project.ledger.record(
            Run(
                id=run_id,
                name=name,
                target="take_rate",
                started_at="2026-01-05T09:00:00.000Z",
                metrics={"ndcg@10": NDCG[run_id]},
            )
        )
        y, se = OBSERVED[run_id]
        obs = observe(
            project, run_id, y, (y - Z90 * se, y + Z90 * se), source="A/B", on="2026-02-20"
        )
        assert obs.predicted is not None
        assert obs.baseline_id is None
    points = observed_points(project, "ndcg@10", "take_rate")
    assert [p.ml_delta for p in points.points] == pytest.approx([0.01, 0.02, 0.04, 0.03])
    assert all(p.baseline is None for p in points.points)
    assert not points.left_out
    mean = points.mean()
    assert mean is not None
    assert mean.mean == pytest.approx(0.124)
    link = project.link("ndcg@10", "take_rate", fit=True, from_observed=True)
    assert link.params["observed"] == 4


def test_the_audit_of_a_fit_from_a_table_and_observed_runs_shows_the_stored_fit(
    project: Project,
) -> None:
    """The table's rows are not kept in bizml.toml: the audit must not refit the four
    observed runs alone and show that as the link's fit."""
    import pandas as pd

    table = pd.DataFrame({"ml_delta": [0.01, 0.02], "business_delta": [0.003, 0.005]})
    link = project.link("ndcg@10", "take_rate", fit=table, from_observed=True)
    expected = _wls(
        [0.01, 0.02, 0.01, 0.02, 0.04, 0.03],
        [0.003, 0.005, 0.0021, 0.003, 0.009, 0.002],
        [1, 1, 1.6, 0.4, 0.4, 1.6],
    )
    assert link.elasticity == pytest.approx(expected)
    result = audit(project, "ndcg@10", "take_rate")
    assert result.fit is None
    assert (
        "the fit's history rows were given as a table, not a file, so they are not kept: "
        "showing the stored fit"
    ) in result.lines
    assert "n=6" in result.text()
