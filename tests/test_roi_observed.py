"""The ROI benefit from a run's realised value: `%bizml roi RUN --benefit-from observed`,
``evaluate_roi(..., benefit_from="observed")`` and the roi_analysis template's
``benefit_from "observed"``.

The project: a ratio KPI take_rate at $2.5B a year per unit (so +0.1 pp is $2.5M a
year), a link ndcg@10 -> take_rate; "two-tower v3" realised +0.90 pp with the 90%
interval 0.009 +- 1.6449 x 0.002 = [0.0057103, 0.0122897]. Its realised yearly value
is 0.009 x 2.5e9 = $22.5M, from 0.0057103 x 2.5e9 = $14.276M to 0.0122897 x 2.5e9 =
$30.724M.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from IPython.utils.capture import capture_output

from bizml_nb.core.errors import BizmlError, InvalidArguments
from bizml_nb.core.run import Run
from bizml_nb.core.units import Z90
from bizml_nb.finance.roi import Triangular
from bizml_nb.present.analyses import roi as roi_analysis
from bizml_nb.present.roi_card import roi
from bizml_nb.projects.project import Project
from bizml_nb.projects.realised import observe

if TYPE_CHECKING:
    from pathlib import Path

REGISTRY = """\
[project]
name = "recsys"
currency = "USD"

[metrics.take_rate]
unit = "ratio"
direction = "higher"
baseline = 0.112
value_per_unit = 2.5e9

[metrics.sessions]
unit = "count"
direction = "higher"
baseline = 1000

[[links]]
ml_metric = "ndcg@10"
business_metric = "take_rate"
elasticity = 0.35
interval = [0.2, 0.5]
"""
BASE, V3, V4, OTHER = (f"01JDA{k}00000000000000000000"[:26] for k in "BCDE")
HALF = Z90 * 0.002
TODAY = datetime.now(UTC).date().isoformat()  # the magic's runs start today
LOW, MID, HIGH = (0.009 - HALF) * 2.5e9, 0.009 * 2.5e9, (0.009 + HALF) * 2.5e9


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "bizml.toml").write_text(REGISTRY, encoding="utf-8")
    proj = Project.at(tmp_path)
    for run_id, name, target, metrics in (
        (BASE, "popularity", "take_rate", {"ndcg@10": 0.40}),
        (V3, "two-tower v3", "take_rate", {"ndcg@10": 0.44}),
        (V4, "two-tower v4", "take_rate", {"ndcg@10": 0.45}),
        (OTHER, "session model", "sessions", {"ndcg@10": 0.45}),
    ):
        proj.ledger.record(
            Run(
                id=run_id,
                name=name,
                target=target,
                started_at="2026-01-05T09:00:00.000Z",
                metrics=metrics,
                is_baseline=run_id == BASE,
            )
        )
    observe(
        proj, V3, 0.009, (0.009 - HALF, 0.009 + HALF), source="A/B test 2026-11", on="2026-11-20"
    )
    observe(proj, OTHER, 12.0, (2.0, 22.0), source="A/B test 2026-10", on="2026-10-20")
    return proj


def _rows(card: Any) -> dict[str, str]:
    return dict(card.rows())


def _cdf(t: Triangular, x: float) -> float:
    """The triangular's distribution function, by its textbook formula."""
    a, c, b = t.low_, t.mode_, t.high_
    if x <= c:
        return (x - a) ** 2 / ((b - a) * (c - a))
    return 1 - (b - x) ** 2 / ((b - a) * (b - c))


def test_the_benefit_is_the_realised_value_with_its_interval(project: Project) -> None:
    card = roi(project, run="two-tower v3", benefit_from="observed", draws=2000)
    benefit = card.investment.annual_benefit
    assert isinstance(benefit, Triangular)
    assert benefit.mode_ == pytest.approx(MID)  # $22.5M
    # the interval's ends hold 5% of draws on each side
    assert _cdf(benefit, LOW) == pytest.approx(0.05, abs=1e-6)
    assert _cdf(benefit, HIGH) == pytest.approx(0.95, abs=1e-6)
    text = _rows(card)["Benefit"]
    assert text.endswith(
        "a year, realised, from A/B test 2026-11 (measured until 2026-11-20): the yearly value "
        "of run 'two-tower v3' at its observed change, a triangular with 5% of draws below "
        "+$14.3M and 5% above +$30.7M (its 90% interval)"
    )
    assert card.record()["benefit_from"].startswith("realised, from A/B test 2026-11")


def test_the_default_is_the_prediction_unchanged(project: Project) -> None:
    default = roi(project, run="two-tower v3", draws=2000)
    explicit = roi(project, run="two-tower v3", benefit_from="predicted", draws=2000)
    assert default.text() == explicit.text()
    assert json.dumps(default.record()) == json.dumps(explicit.record())
    # predicted: 0.35 x 0.04 = 0.014 x 2.5e9 = $35M, not the realised $22.5M
    benefit = default.investment.annual_benefit
    assert isinstance(benefit, Triangular)
    assert benefit.mode_ == pytest.approx(35e6)
    assert "the predicted yearly value of run 'two-tower v3'" in _rows(default)["Benefit"]


def test_refusals_name_what_is_missing(project: Project) -> None:
    with pytest.raises(BizmlError, match="run 'two-tower v4' has no observation"):
        roi(project, run="two-tower v4", benefit_from="observed")
    with pytest.raises(BizmlError, match="KPI sessions has no money value"):
        roi(project, run="session model", benefit_from="observed")
    with pytest.raises(BizmlError, match="give it with --run RUN"):
        roi(project, annual_benefit=1e6, benefit_from="observed")
    with pytest.raises(BizmlError, match="'predicted' or 'observed'"):
        roi(project, run="two-tower v3", benefit_from="realised")


# --------------------------------------------------------------------------- the magic


def test_the_magic_takes_benefit_from_observed(recsys: Any) -> None:
    with capture_output():
        for cell in (
            '%%bizml experiment "popularity" --target take_rate --baseline\n'
            "import bizml_nb\nbizml_nb.log({'ndcg@10': 0.40})\n",
            '%%bizml experiment "two-tower v2" --target take_rate\n'
            "bizml_nb.log({'ndcg@10': 0.41})\n",
        ):
            assert recsys.run_cell(cell).success
    recsys.run_line_magic(
        "bizml",
        'observed "two-tower v2" --kpi-delta 0.0021 --interval 0.0008 0.0034 '
        f'--source "A/B test 2026-11" --on {TODAY}',
    )
    card = recsys.run_line_magic(
        "bizml", 'roi --run "two-tower v2" --benefit-from observed --draws 1000'
    )
    benefit = card.investment.annual_benefit
    # 0.0021 x 2.5e9 = $5.25M, from 0.0008 x 2.5e9 = $2M to 0.0034 x 2.5e9 = $8.5M
    assert benefit.mode_ == pytest.approx(5.25e6)
    assert _cdf(benefit, 2e6) == pytest.approx(0.05, abs=1e-6)
    assert f"realised, from A/B test 2026-11 (measured until {TODAY})" in _rows(card)["Benefit"]
    plain = recsys.run_line_magic("bizml", 'roi --run "two-tower v2" --draws 1000')
    assert "the predicted yearly value" in _rows(plain)["Benefit"]


# --------------------------------------------------------------------------- the template


def _template_values(**given: Any) -> dict[str, Any]:
    values = {name: roi_analysis.TEMPLATE_DEFAULTS.get(name) for name in roi_analysis.PARAMETERS}
    values.update(
        project_name="recsys",
        benefit_source="illustrative range",
        benefit_range="ends",
        run=None,
        benefit_from="given",
        allow_high_discount=False,
        required_confidence=0.8,
        currency="USD",
        draws=2000,
        seed=1,
        maturity_level=1,
    )
    values.update(given)
    return values


def test_the_template_takes_the_realised_value(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    values = _template_values(run="two-tower v3", benefit_from="observed")
    roi_analysis.check_parameters(values)
    analysis = roi_analysis.analyse(values)
    p = analysis.parameters
    assert (p["annual_benefit_low"], p["annual_benefit_mode"], p["annual_benefit_high"]) == (
        pytest.approx(LOW),
        pytest.approx(MID),
        pytest.approx(HIGH),
    )
    assert p["benefit_range"] == "90%"
    assert p["benefit_source"].startswith("realised, from A/B test 2026-11")
    benefit = analysis.project.annual_benefit
    assert _cdf(benefit, LOW) == pytest.approx(0.05, abs=1e-6)
    assert "realised, from A/B test 2026-11" in analysis.decision.text()


def test_the_template_refuses_an_unmeasured_run_or_no_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    with pytest.raises(
        InvalidArguments,
        match=r"^run 'two-tower v4' has no observation.*set benefit_from to \"given\"",
    ):
        roi_analysis.check_parameters(_template_values(run="two-tower v4", benefit_from="observed"))
    with pytest.raises(InvalidArguments, match=r'benefit_from "observed" takes'):
        roi_analysis.check_parameters(_template_values(benefit_from="observed"))
    with pytest.raises(InvalidArguments, match=r'benefit_from is "given"'):
        roi_analysis.check_parameters(_template_values(benefit_from="measured"))
    roi_analysis.check_parameters(_template_values())  # given: the figures, no project needed


def test_a_run_name_with_braces_is_named_as_it_is(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    with pytest.raises(InvalidArguments, match=r"no run .*\{x\}"):
        roi_analysis.check_parameters(_template_values(run="{x}", benefit_from="observed"))


def test_a_notebook_made_before_the_new_parameters_still_runs() -> None:
    namespace = _template_values()
    del namespace["run"], namespace["benefit_from"]
    values = roi_analysis.parameters_from(namespace)
    assert (values["run"], values["benefit_from"]) == (None, "given")


def test_the_template_refuses_a_benefit_in_another_currency(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project prices its KPI in USD: a template set to EUR must not add USD benefits
    to EUR costs."""
    monkeypatch.chdir(project.root)
    values = _template_values(run="two-tower v3", benefit_from="observed", currency="EUR")
    with pytest.raises(InvalidArguments) as info:
        roi_analysis.check_parameters(values)
    assert str(info.value) == (
        "currency is 'EUR', but the project's realised values are in USD; set currency to "
        "'USD' to take the benefit from run 'two-tower v3'"
    )
    assert info.value.keyword == "currency"
