"""The experiment card, the registry view and the audit through the card protocol.

Numbers by hand: NDCG -> take-rate at 0.35 [0.20, 0.50], take-rate 11.2% -> 12.0% worth
$2.5e9 a year per unit, a $1M bar. NDCG 0.4125 against 0.40 is +0.0125, so take-rate
moves +0.4375 pp [+0.25, +0.625] (shown +0.44 pp [+0.25, +0.62]), which is
0.004375 / 0.112 = 3.9% of the baseline and 0.004375 / 0.008 = 55% of the way to
target, worth $10.9375M [$6.25M, $15.625M] a year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import bizml_nb
from bizml_nb.core import units
from bizml_nb.core.card import CardMixin
from bizml_nb.core.errors import ExperimentError
from bizml_nb.core.ledger import Run
from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.present.cards import RUN_MIME, Card, RegistryView, run_card
from bizml_nb.present.views import value_text

if TYPE_CHECKING:
    from pathlib import Path

TAKE_RATE = BusinessMetric(
    "take_rate", "ratio", "higher", baseline=0.112, target=0.12, value_per_unit=2.5e9
)
NDCG = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.20, 0.50)})
REGISTRY = Registry(
    name="recsys", metrics={"take_rate": TAKE_RATE}, links=(NDCG,), min_annual_value=1e6
)
STARTED = "2026-01-01T00:00:00.000Z"
BASE = Run("base", "base", "take_rate", STARTED, is_baseline=True, metrics={"ndcg@10": 0.40})
CANDIDATE = Run("c", "<b>two-tower</b>", "take_rate", STARTED, metrics={"ndcg@10": 0.4125})

CANDIDATE_TEXT = """\
<b>two-tower</b>  ->  take_rate   [ok]
  KPI         take_rate; baseline 11.20%, target 12.00%; higher is better
  ML metrics  ndcg@10 0.4125 (+0.0125); changes vs the baseline run "base" (id base)
  Impact      ndcg@10 +0.0125 (vs baseline run) -> take_rate +0.44 pp [+0.25, +0.62] (90% ranges; elasticity 0.35 [0.2, 0.5])
  Business    +0.44 pp take_rate [+0.25, +0.62] (90%), +3.9% relative to the KPI baseline, 55% of the way to target
  Value       about +$10.9M/yr [+$6.25M, +$15.6M] (90%)
  Verdict     material: +0.44 pp take_rate [+0.25, +0.62] (90%), about +$10.9M/yr [+$6.25M, +$15.6M] (90%); the whole range is a gain and the mid clears the $1M/yr bar."""


def test_the_experiment_card_is_a_protocol_card_with_its_old_text() -> None:
    card = Card.build(CANDIDATE, REGISTRY, BASE)
    assert isinstance(card, CardMixin)
    assert card.text() == CANDIDATE_TEXT
    assert repr(card) == CANDIDATE_TEXT
    assert card._repr_mimebundle_()["text/plain"] == CANDIDATE_TEXT


def test_the_card_words_the_impact_it_is_given() -> None:
    """The card holds for_run's Impact and shows its numbers; its record carries it."""
    from bizml_nb.impact import for_run

    card = Card.build(CANDIDATE, REGISTRY, BASE)
    assert card.impact == for_run(CANDIDATE, REGISTRY, BASE)
    record = card._repr_mimebundle_()[RUN_MIME]
    assert card.impact is not None
    assert record["impact"] == card.impact.to_record()
    assert record["baseline_run"] == "base"
    assert record["impact"]["value_per_year"] == pytest.approx([6.25e6, 10.9375e6, 15.625e6])


def test_the_html_card_keeps_its_classes_and_escapes_names() -> None:
    page = Card.build(CANDIDATE, REGISTRY, BASE).html()
    assert page.startswith('<div class="bizml-card bizml-run bizml-status-ok"')
    for css in ("bizml-card-title", "bizml-card-kpi", "bizml-badge", "bizml-verdict"):
        assert f'class="{css}"' in page
    assert "&lt;b&gt;two-tower&lt;/b&gt;" in page
    assert "<b>two-tower</b>" not in page


def test_a_failed_run_and_the_baseline_run() -> None:
    failed = Run("f", "oops", "take_rate", STARTED, status="failed", error="ValueError: x",
                 metrics={"ndcg@10": 0.5})  # fmt: skip
    card = Card.build(failed, REGISTRY, BASE)
    assert card.impact is None
    assert card.text().splitlines()[0] == "oops  ->  take_rate   [failed]"
    assert "  Error       ValueError: x" in card.text().splitlines()
    assert 'class="bizml-card bizml-run bizml-status-failed"' in card.html()
    base = Card.build(BASE, REGISTRY, BASE)
    assert base.text().splitlines()[0] == "base  ->  take_rate   [baseline]"
    assert "  Baseline    this run is the baseline for take_rate" in base.text().splitlines()


def test_the_registry_view_lines_up_its_names() -> None:
    view = RegistryView(REGISTRY)
    assert isinstance(view, CardMixin)
    assert view.text() == (
        "recsys (USD)\n"
        "  metric take_rate             ratio, baseline 11.20%, target 12.00%; higher is better;"
        " $25M/yr per +1 pp\n"
        "  link   ndcg@10 -> take_rate  linear: elasticity 0.35 [0.2, 0.5] (90%) take_rate per +1"
        " ndcg@10"
    )
    assert 'class="bizml-card bizml-registry"' in view.html()
    assert RegistryView(Registry()).text() == (
        "project (USD): no business metrics yet; declare one with `%bizml metric NAME ...`"
    )


def test_money_ranges_are_worded_in_one_place() -> None:
    """The card's value, the verdict and the leaderboard all use units.money_range.

    A range names its level (90% unless chosen); a table cell leaves it to its header.
    """
    assert units.money_range(6.25e6, 10.9375e6, 15.625e6, "USD") == (
        "+$10.9M [+$6.25M, +$15.6M] (90%)"
    )
    row = {"value_low": 6.25e6, "value_mid": 10.9375e6, "value_high": 15.625e6}
    assert value_text(row, "USD") == "+$10.9M [+$6.25M, +$15.6M]"
    assert units.money_range(-5e6, -2e6, 1e6, "EUR", per="/yr", level=0.8) == (
        "-€2M/yr [-€5M, +€1M] (80%)"
    )


def test_the_old_names_of_the_display_module_still_import() -> None:
    from bizml_nb.display import Card as OldCard  # type: ignore[import-not-found]
    from bizml_nb.display import _line, describe_kpi, worth  # type: ignore[import-not-found]
    from bizml_nb.display import text_html as old_text_html  # type: ignore[import-not-found]

    from bizml_nb.core.card import one_line, text_html

    assert OldCard is Card
    assert old_text_html is text_html
    assert _line("a\nb") == one_line("a\nb") == "a b"
    assert describe_kpi(TAKE_RATE).startswith("take_rate; baseline 11.20%")
    assert worth(TAKE_RATE, "USD") == "$25M/yr per +1 pp"


def test_an_experiment_shows_its_card_through_the_installed_view(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The projects layer shows a run through the view the presentation layer installed;
    with none installed it says so, and a finished experiment still has a text form."""
    from bizml_nb.projects import experiments

    bizml_nb.init("p", currency="USD")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", value_per_unit=2.5e9)
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))
    with bizml_nb.experiment("base", target="take_rate", baseline=True) as base:
        base.log({"ndcg@10": 0.40})
    with bizml_nb.experiment("cand", target="take_rate") as run:
        run.log({"ndcg@10": 0.41})
    assert isinstance(run.card(), Card)
    assert "about +$8.75M/yr [+$5M, +$12.5M]" in run._repr_mimebundle_()["text/plain"]
    project = bizml_nb.project()
    assert project.card("cand").text() == run_card(project, "cand").text()
    monkeypatch.setattr(experiments, "_run_view", [])
    with pytest.raises(ExperimentError, match="no card view is installed"):
        run.card()
    with pytest.raises(ExperimentError, match="no card view is installed"):
        project.card("cand")
    assert run._repr_mimebundle_() == {"text/plain": repr(run)}


def test_the_audit_is_a_card_with_its_text_as_before(project_dir: Path) -> None:
    from bizml_nb.present.charts import Audit, audit

    bizml_nb.init("p", currency="USD")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher")
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5), source="paper")
    result = audit(bizml_nb.project(), "ndcg@10", "take_rate")
    assert isinstance(result, Audit)
    assert isinstance(result, CardMixin)
    assert result.text() == (
        "ndcg@10 -> take_rate: linear link (source: paper)\n"
        "elasticity 0.35 [0.2, 0.5] (90%), declared by hand: no history to check it against. Fit it "
        "from past A/B tests with `%bizml link ndcg@10 take_rate --fit history.csv` to grade "
        "the evidence."
    )
    assert 'class="bizml-card bizml-audit"' in result.html()
    assert result.figure() is None
