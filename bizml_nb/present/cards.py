"""Experiment cards and registry tables as rich notebook output (the card protocol).

Both are :class:`~bizml_nb.core.card.CardMixin` cards: they say ``title()`` and
``rows()``, and the protocol shows them as one ``display_data`` with

- ``text/plain``: deterministic but for the short id of the baseline run it names (no
  times or addresses; ``notebooks/sanitize.cfg`` masks that id), so nbval can compare it;
- ``text/html``: a ``<div class="bizml-card">``, every user string escaped;
- ``application/vnd.bizml.run+json`` (experiment cards): the whole run record plus its
  impact, so an executed notebook is a second copy of its runs (``bizml ledger import``).

A card decides nothing: :func:`bizml_nb.impact.for_run` computes a run's
:class:`~bizml_nb.impact.Impact` and the card words it.

Importing this module installs :meth:`Card.for_run` as the way recorded runs are shown
(:func:`bizml_nb.projects.experiments.show_runs_with`): that is how an experiment shows
its card at the end of a notebook cell while the projects layer knows nothing of cards.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core.card import CardMixin, Row, one_line, text_html
from bizml_nb.core.errors import RegistryError
from bizml_nb.core.run import RUN_MIME
from bizml_nb.impact import for_run
from bizml_nb.impact.links import interval_unknown
from bizml_nb.projects.experiments import show_runs_with
from bizml_nb.projects.project import short_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bizml_nb.core.ledger import Run
    from bizml_nb.core.registry import BusinessMetric, Registry
    from bizml_nb.impact import ChainStep, Contribution, Impact, Range
    from bizml_nb.projects.calibrated import Haircut
    from bizml_nb.projects.project import Project

_BADGE = {
    "ok": "background:#dafbe1;color:#116329",
    "failed": "background:#ffebe9;color:#a40e26",
    "baseline": "background:#ddf4ff;color:#0550ae",
}


# --------------------------------------------------------------------------- run card


@dataclass(frozen=True, repr=False)
class Card(CardMixin):
    """The experiment card of one run: KPI, ML metrics, predicted business change, value."""

    run: Run
    kpi: BusinessMetric | None
    impact: Impact | None
    baseline: Run | None
    currency: str
    origin: tuple[str, str | None] | None = None  # (mlflow:RUN_ID, author) of a pulled run
    #: the haircut learned from observed runs, when the project's calibration is on
    #: (:mod:`bizml_nb.projects.calibrated`); ``impact`` is then the calibrated one
    calibration: Haircut | None = None

    mime_type: ClassVar[str | None] = RUN_MIME

    @classmethod
    def for_run(cls, run: Run, project: Project) -> Card:
        """Build the card of ``run`` against its KPI's current baseline run (with its KPI's
        haircut when the project's calibration is on)."""
        card = cls.build(run, project.registry, project.ledger.baseline(run.target))
        origin = project.ledger.origin(run.id)
        card = card if origin is None else replace(card, origin=origin)
        if project.registry.calibrate:
            from bizml_nb.projects.calibrated import calibrated

            impact, haircut = calibrated(project, run, card.impact)
            card = replace(card, impact=impact, calibration=haircut)
        return card

    @classmethod
    def build(cls, run: Run, registry: Registry, baseline: Run | None) -> Card:
        """Build the card from explicit inputs (a pure function of them)."""
        impact = for_run(run, registry, baseline)
        return cls(run, registry.metrics.get(run.target), impact, baseline, registry.currency)

    # -- what the card says

    @property
    def badge(self) -> str:
        """``ok``, ``failed`` or ``baseline`` (a successful run recorded as a baseline)."""
        return "baseline" if self.run.is_baseline and self.run.status == "ok" else self.run.status

    @property
    def css_class(self) -> str:  # type: ignore[override]  # per run, not per class
        return f"bizml-run bizml-status-{self.run.status}"

    def title(self) -> str:
        return f"{one_line(self.run.name)}  ->  {one_line(self.run.target)}   [{self.badge}]"

    def title_html(self) -> str:
        badge = self.badge
        return (
            f"<b>{text_html(self.run.name)}</b> &rarr; "
            f'<span class="bizml-card-kpi">{text_html(self.run.target)}</span> '
            f'<span class="bizml-badge" style="{_BADGE[badge]};border-radius:10px;'
            f'padding:0 8px;font-size:11px">{html.escape(badge)}</span>'
        )

    def rows(self) -> list[Row]:
        """The card's (label, text) rows, shared by the text and HTML forms."""
        return self._about_rows() + self._impact_rows()

    def record(self) -> dict[str, Any]:
        """The run record with its impact, as stored under ``application/vnd.bizml.run+json``."""
        record = self.run.to_record()
        record["impact"] = self.impact.to_record() if self.impact is not None else None
        record["baseline_run"] = self.baseline.id if self.baseline is not None else None
        if self.calibration is not None:
            record["calibration"] = self.calibration.to_record()
        return record

    def _about_rows(self) -> list[Row]:
        run, kpi = self.run, self.kpi
        rows: list[Row] = []
        if kpi is None:
            rows.append(("KPI", f"{run.target} is no longer declared in bizml.toml"))
        else:
            rows.append(("KPI", describe_kpi(kpi)))
        if run.hypothesis or run.expect:
            text = run.hypothesis or ""
            if run.expect:
                text = f"{text} (expected {run.expect})" if text else f"expected {run.expect}"
            rows.append(("Hypothesis", text))
        if run.tags:
            rows.append(("Tags", ", ".join(run.tags)))
        if run.params:
            rows.append(("Params", ", ".join(f"{k}={v}" for k, v in run.params.items())))
        if self.origin is not None:
            origin, author = self.origin
            rows.append(("Origin", f"{origin}, by {author}" if author else origin))
        if run.status == "failed":
            rows.append(("Error", run.error or "the cell raised an error"))
            if run.is_baseline:
                rows.append(("Baseline", self._not_a_baseline()))
        rows.append(("ML metrics", self._ml_metrics() or "none logged"))
        return rows

    def _impact_rows(self) -> list[Row]:
        impact, kpi = self.impact, self.kpi
        if impact is None or kpi is None:
            return []
        rows: list[Row] = []
        if impact.is_baseline:
            rows.append(("Baseline", f"this run is the baseline for {kpi.name}"))
        rows.extend(("Impact", self._contribution(c)) for c in impact.contributions)
        total = impact.business_delta
        if total is not None:
            rows.append(("Business", self._business(impact, total)))
            for step in impact.chain:
                rows.append(("Then", _chain_step(step)))
            value = impact.value_per_year
            if value is None:
                text = f"not priced: declare {kpi.name}'s value_per_unit to see money per year"
            else:
                text = "about " + units.money_range(
                    value.low, value.mid, value.high, self.currency, per="/yr"
                )
                counted = [s.kpi.name for s in impact.chain if s.kpi.value_per_unit is not None]
                if counted:
                    text += f", counted at {', '.join(counted)}"
            rows.append(("Value", text))
            if self.calibration is not None:
                rows.append(_calibration_row(self.calibration, kpi, self.currency))
        if impact.cost is not None and impact.cost.engineering is not None:
            # compute cost depends on the measured duration: kept out of the deterministic
            # text and HTML, shown by %bizml compare and stored in the run record
            rows.append(("Cost", _cost(impact, self.run, self.currency)))
        if impact.verdict is not None:
            rows.append(("Verdict", impact.verdict.text))
        rows.extend(("Note", note) for note in impact.notes)
        return rows

    def _ml_metrics(self) -> str:
        reference: Mapping[str, float] = {}
        if self.baseline is not None and self.baseline.id != self.run.id:
            reference = self.baseline.metrics
        parts = []
        compared = False
        for name, value in self.run.metrics.items():
            text = f"{name} {units.number(value)}"
            if name in reference:
                text += f" ({units.number(value - reference[name], signed=True)})"
                compared = True
            parts.append(text)
        if compared:
            assert self.baseline is not None
            parts[-1] += f"; changes vs the baseline run {_named(self.baseline)}"
        return ", ".join(parts)

    def _not_a_baseline(self) -> str:
        """Why a failed run recorded with ``--baseline`` is not its KPI's baseline."""
        target = one_line(self.run.target)
        text = f"not {target}'s baseline: a failed run never is; "
        if self.baseline is None:
            return text + f"{target} has no baseline run yet"
        return text + f"{target}'s runs are compared with {_named(self.baseline)}"

    def _contribution(self, contribution: Contribution) -> str:
        link = contribution.link
        unit = self.kpi.unit if self.kpi else ""
        delta = contribution.business_delta
        interval = units.kpi_interval(delta.low, delta.high, unit)
        source = f"; {link.source}" if link.source else ""
        if link.kind == "confusion":
            currency = self.currency
            return (
                f"confusion matrix -> {link.business_metric}: value per case "
                f"{units.money(contribution.ml_value, currency)} vs "
                f"{units.money(contribution.reference, currency)} ({contribution.reference_from}) "
                f"-> {units.kpi_delta(delta.mid, unit)} {interval} at "
                f"{units.number(float(link.params['cases_per_year']))} cases/yr"
                f"{'; ' + contribution.evidence if contribution.evidence else ''}{source}"
            )
        if link.kind == "formula":
            return (
                f"{link.params['expr']} = {units.number(contribution.ml_value)} vs "
                f"{units.number(contribution.reference)} ({contribution.reference_from}) -> "
                f"{link.business_metric} {units.kpi_delta(delta.mid, unit)}{source}"
            )
        if contribution.ml_delta == 0:
            return f"{link.ml_metric} unchanged (vs {contribution.reference_from})"
        moved = (
            f"{link.ml_metric} {units.number(contribution.ml_delta, signed=True)} "
            f"(vs {contribution.reference_from}) -> {link.business_metric} "
        )
        if contribution.no_evidence:
            return f"{moved.rstrip()}: {contribution.evidence}; range {interval}"
        low, high = link.interval
        evidence = f"elasticity {units.number(link.elasticity)}"
        if low != high:
            evidence += f" [{units.number(low)}, {units.number(high)}]"
        if contribution.evidence:
            evidence = f"fitted {evidence}; {contribution.evidence}"
        # one level named for both ranges of the row: the change's and the elasticity's
        bare = units.kpi_interval(delta.low, delta.high, unit, level=None)
        level = units.level_text(units.RANGE_LEVEL)
        return (
            f"{moved}{units.kpi_delta(delta.mid, unit)} {bare} ({level} ranges; {evidence}{source})"
        )

    def _business(self, impact: Impact, total: Range) -> str:
        kpi = impact.kpi
        text = (
            f"{units.kpi_delta(total.mid, kpi.unit)} {kpi.name} "
            f"{units.kpi_interval(total.low, total.high, kpi.unit)}"
        )
        relative = impact.relative_delta
        if relative is not None:
            text += f", {units.percent(relative.mid, signed=True, decimals=1)} relative to the KPI baseline"
        progress = impact.progress
        if total.mid * kpi.better < 0:
            text += ", a change for the worse"
        elif progress is not None:
            text += f", {units.percent(progress)} of the way to target"
        return text


def _calibration_row(haircut: Haircut, kpi: BusinessMetric, currency: str) -> Row:
    """The row that says a card's figures carry a haircut, or why they do not."""
    runs = f"{haircut.n} observed run{'' if haircut.n == 1 else 's'} of {kpi.name}"
    if not haircut.applied:
        why = haircut.why_not or f"needs {haircut.needed}"
        return ("Calibrated", f"calibration on, not applied: {runs}, {why}")
    assert haircut.haircut is not None
    text = f"x{haircut.haircut:.2f} haircut"
    if haircut.low is not None and haircut.high is not None:
        text += f" ({units.level_text(haircut.level)} [{haircut.low:.2f}, {haircut.high:.2f}])"
    text += f" learned from {runs}"
    before = haircut.uncalibrated
    if before is not None and before.business_delta is not None:
        text += f"; uncalibrated {units.kpi_delta(before.business_delta.mid, kpi.unit)}"
        if before.value_per_year is not None:
            text += f", {units.money(before.value_per_year.mid, currency)}/yr"
    return ("Calibrated", text)


def _named(run: Run) -> str:
    """A run as a card names it: ``"popularity baseline" (id 01JD7Q2XAB3C)``."""
    return f'"{one_line(run.name)}" (id {short_id(run.id)})'


def _chain_step(step: ChainStep) -> str:
    kpi, delta = step.kpi, step.delta
    return (
        f"{' -> '.join(step.path)}: {units.kpi_delta(delta.mid, kpi.unit)} "
        f"{units.kpi_interval(delta.low, delta.high, kpi.unit)}"
    )


def _cost(impact: Impact, run: Run, currency: str) -> str:
    cost = impact.cost
    assert cost is not None
    assert cost.engineering is not None
    return f"{units.money(cost.engineering, currency)} engineering ({run.eng_hours:g} h)"


def describe_kpi(kpi: BusinessMetric) -> str:
    """One line about a KPI: its level, target, direction and owner."""
    parts = [kpi.name]
    levels = []
    if kpi.baseline is not None:
        levels.append(f"baseline {units.kpi_value(kpi.baseline, kpi.unit)}")
    if kpi.target is not None:
        levels.append(f"target {units.kpi_value(kpi.target, kpi.unit)}")
    if levels:
        parts.append(", ".join(levels))
    parts.append(f"{kpi.direction} is better")
    if kpi.owner:
        parts.append(f"owner {kpi.owner}")
    return "; ".join(parts)


def run_card(project: Project, ref: str | Run) -> Card:
    """The experiment card of a run of ``project``: a :class:`~bizml_nb.core.ledger.Run`,
    or its id, unique id prefix, ``last`` or name (see :meth:`Project.run`)."""
    from bizml_nb.core.ledger import Run

    run = ref if isinstance(ref, Run) else project.run(ref)
    return Card.for_run(run, project)


#: The name version 0.1 gave :func:`~bizml_nb.core.card.one_line` here.
_line = one_line


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True, repr=False)
class RegistryView(CardMixin):
    """The business metrics and links of a project, as a card: one row per metric and link.

    Each row's label is its kind (``metric`` or ``link``); its text starts with the
    metric's or link's name, padded so that the descriptions line up.
    """

    registry: Registry

    css_class: ClassVar[str] = "bizml-registry"
    label_width: ClassVar[int] = 6

    def title(self) -> str:
        reg = self.registry
        return f"{reg.name or 'project'} ({reg.currency})"

    def empty_text(self) -> str:
        return "no business metrics yet; declare one with `%bizml metric NAME ...`"

    def rows(self) -> list[Row]:
        entries = self.entries()
        width = max((len(one_line(name)) for _, name, _ in entries), default=0)
        return [(kind, f"{one_line(name):<{width}}  {text}") for kind, name, text in entries]

    def entries(self) -> list[tuple[str, str, str]]:
        """(kind, name, description) for each metric and link."""
        reg = self.registry
        rows = []
        for kpi in reg.metrics.values():
            text = f"{kpi.unit}, {describe_kpi(kpi).split('; ', 1)[1]}"
            if kpi.value_per_unit is not None:
                text += "; " + worth(kpi, reg.currency)
            if kpi.description:
                text += f"; {kpi.description}"
            rows.append(("metric", kpi.name, text))
        for link in reg.links:
            if link.kind == "confusion":
                (tn, fp), (fn, tp) = link.params["value_matrix"]
                text = (
                    f"confusion: value per case TN {tn:g}, FP {fp:g}, FN {fn:g}, TP {tp:g}; "
                    f"{units.number(float(link.params['cases_per_year']))} cases/yr"
                )
            elif link.kind == "formula":
                text = f"formula: {link.business_metric} = {link.params['expr']}"
            else:
                text = f"{link.kind}: elasticity {units.number(link.elasticity)}"
                low, high = link.interval
                if interval_unknown(link):
                    text += " (interval unknown)"
                elif low != high:
                    text += f" [{units.number(low)}, {units.number(high)}]"
                    text += units.level_suffix(units.RANGE_LEVEL)
                text += f" {link.business_metric} per +1 {link.ml_metric}"
                if link.kind == "fitted":
                    text += f"; {link.params.get('grade')} evidence, n={link.params.get('n')}"
                if "ml_baseline" in link.params:
                    text += f"; ml_baseline {units.number(link.params['ml_baseline'])}"
            if link.source:
                text += f"; source: {link.source}"
            rows.append(("link", link.label, text))
        return rows


def worth(kpi: BusinessMetric, currency: str) -> str:
    """What a unit of ``kpi`` is worth per year, in words (per pp for ratios)."""
    if kpi.value_per_unit is None:
        raise RegistryError(f"{kpi.name} has no value_per_unit")
    if kpi.unit in units.RATIO_UNITS:
        return f"{units.money(kpi.value_per_unit / 100, currency)}/yr per +1 pp"
    return f"{units.money(kpi.value_per_unit, currency)}/yr per +1 {kpi.unit}"


show_runs_with(Card.for_run)

__all__ = ["RUN_MIME", "Card", "RegistryView", "describe_kpi", "run_card", "text_html", "worth"]
