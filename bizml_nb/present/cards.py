"""Experiment cards and registry tables as rich notebook output.

A card is one ``display_data`` with three representations:

- ``text/plain``: deterministic (no ids, times or addresses), so nbval can compare it;
- ``text/html``: a ``<div class="bizml-card">``, every user string escaped;
- ``application/vnd.bizml.run+json``: the whole run record plus its impact,
  so an executed notebook is a second copy of its runs (``bizml ledger import``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core.errors import RegistryError
from bizml_nb.impact.engine import ChainStep, Contribution, Impact, Range, estimate

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bizml_nb.core.ledger import Run
    from bizml_nb.core.registry import BusinessMetric, Registry
    from bizml_nb.projects.project import Project

RUN_MIME = "application/vnd.bizml.run+json"

_CARD_STYLE = (
    "border:1px solid var(--jp-border-color1,#d0d7de);border-radius:6px;padding:8px 12px;"
    "margin:4px 0;font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;line-height:1.4;"
    "color:var(--jp-ui-font-color1,#1f2328);background:var(--jp-layout-color1,#fff);max-width:960px"
)
_TH_STYLE = (
    "text-align:left;vertical-align:top;padding:2px 12px 2px 0;font-weight:600;"
    "color:var(--jp-ui-font-color2,#57606a);white-space:nowrap"
)
_TD_STYLE = "text-align:left;vertical-align:top;padding:2px 0"
_TEXT_STYLE = "font:inherit;background:none;padding:0;color:inherit;white-space:normal"


def text_html(text: str) -> str:
    """``text`` escaped and wrapped in ``<code>`` styled as plain text.

    JupyterLab typesets ``$...$`` in HTML outputs as LaTeX; MathJax never looks
    inside ``<code>``, so amounts like "$1.2M to $3.4M" stay as written.
    """
    return f'<code class="bizml-text" style="{_TEXT_STYLE}">{html.escape(text)}</code>'


_BADGE = {
    "ok": "background:#dafbe1;color:#116329",
    "failed": "background:#ffebe9;color:#a40e26",
    "baseline": "background:#ddf4ff;color:#0550ae",
}


# --------------------------------------------------------------------------- run card


@dataclass(frozen=True)
class Card:
    """The experiment card of one run: KPI, ML metrics, predicted business change, value."""

    run: Run
    kpi: BusinessMetric | None
    impact: Impact | None
    baseline: Run | None
    currency: str

    @classmethod
    def for_run(cls, run: Run, project: Project) -> Card:
        """Build the card of ``run`` against its KPI's current baseline run."""
        registry = project.registry
        baseline = project.ledger.baseline(run.target)
        return cls.build(run, registry, baseline)

    @classmethod
    def build(cls, run: Run, registry: Registry, baseline: Run | None) -> Card:
        """Build the card from explicit inputs (a pure function of them)."""
        kpi = registry.metrics.get(run.target)
        impact = None
        if kpi is not None and run.status == "ok":
            is_baseline = baseline is not None and baseline.id == run.id
            impact = estimate(
                registry,
                run.metrics,
                baseline.metrics if baseline is not None else None,
                target=run.target,
                is_baseline=is_baseline or (run.is_baseline and baseline is None),
                duration_s=run.duration_s,
                eng_hours=run.eng_hours,
            )
        return cls(run, kpi, impact, baseline, registry.currency)

    # -- representations

    def rows(self) -> list[tuple[str, str]]:
        """The card's (label, text) rows, shared by the text and HTML forms."""
        return self._about_rows() + self._impact_rows()

    def _about_rows(self) -> list[tuple[str, str]]:
        run, kpi = self.run, self.kpi
        rows: list[tuple[str, str]] = []
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
        if run.status == "failed":
            rows.append(("Error", run.error or "the cell raised an error"))
        rows.append(("ML metrics", self._ml_metrics() or "none logged"))
        return rows

    def _impact_rows(self) -> list[tuple[str, str]]:
        impact, kpi = self.impact, self.kpi
        if impact is None or kpi is None:
            return []
        rows: list[tuple[str, str]] = []
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
                text = _value(value, self.currency)
                counted = [s.kpi.name for s in impact.chain if s.kpi.value_per_unit is not None]
                if counted:
                    text += f", counted at {', '.join(counted)}"
            rows.append(("Value", text))
        if impact.cost is not None and impact.cost.engineering is not None:
            # compute cost depends on the measured duration: kept out of the deterministic
            # text and HTML, shown by %bizml compare and stored in the run record
            rows.append(("Cost", _cost(impact, self.run, self.currency)))
        if impact.verdict is not None:
            rows.append(("Verdict", impact.verdict.text))
        rows.extend(("Note", note) for note in impact.notes)
        return rows

    def text(self) -> str:
        """The deterministic plain-text card."""
        badge = "baseline" if self.run.is_baseline and self.run.status == "ok" else self.run.status
        lines = [f"{_line(self.run.name)}  ->  {_line(self.run.target)}   [{badge}]"]
        for label, text in self.rows():
            lines.append(f"  {label:<11} {_line(text)}")
        return "\n".join(lines)

    def html(self) -> str:
        """The HTML card; every user string is escaped."""
        e = html.escape
        run = self.run
        badge = "baseline" if run.is_baseline and run.status == "ok" else run.status
        rows = "".join(
            f'<tr><th style="{_TH_STYLE}">{e(label)}</th>'
            f'<td style="{_TD_STYLE}" class="bizml-{e(label.lower().replace(" ", "-"))}">'
            f"{text_html(text)}</td></tr>"
            for label, text in self.rows()
        )
        return (
            f'<div class="bizml-card bizml-status-{e(run.status)}" style="{_CARD_STYLE}">'
            f'<div class="bizml-card-title" style="font-size:14px;margin-bottom:4px">'
            f"<b>{text_html(run.name)}</b> &rarr; "
            f'<span class="bizml-card-kpi">{text_html(run.target)}</span> '
            f'<span class="bizml-badge" style="{_BADGE[badge]};border-radius:10px;'
            f'padding:0 8px;font-size:11px">{e(badge)}</span></div>'
            f'<table class="bizml-card-table" style="border-collapse:collapse">{rows}</table>'
            "</div>"
        )

    def record(self) -> dict[str, Any]:
        """The run record with its impact, as stored under ``application/vnd.bizml.run+json``."""
        record = self.run.to_record()
        record["impact"] = self.impact.to_record() if self.impact is not None else None
        record["baseline_run"] = self.baseline.id if self.baseline is not None else None
        return record

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self.html(), RUN_MIME: self.record()}

    def __repr__(self) -> str:
        return self.text()

    # -- pieces

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
            parts[-1] += "; changes vs the baseline run"
        return ", ".join(parts)

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
                f"{units.number(float(link.params['cases_per_year']))} cases/yr{source}"
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
        return f"{moved}{units.kpi_delta(delta.mid, unit)} {interval} ({evidence}{source})"

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


def _value(value: Range, currency: str) -> str:
    return (
        f"about {units.money(value.mid, currency, signed=True)}/yr "
        f"[{units.money(value.low, currency, signed=True)}, "
        f"{units.money(value.high, currency, signed=True)}]"
    )


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


def _line(text: str) -> str:
    """User text on one line, so a newline in a name cannot break the card's layout."""
    return " ".join(text.replace("\r", "\n").split("\n"))


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class RegistryView:
    """The business metrics and links of a project, as text and an HTML table."""

    registry: Registry

    def rows(self) -> list[tuple[str, str, str]]:
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
                if low != high:
                    text += f" [{units.number(low)}, {units.number(high)}]"
                text += f" {link.business_metric} per +1 {link.ml_metric}"
                if link.kind == "fitted":
                    text += f"; {link.params.get('grade')} evidence, n={link.params.get('n')}"
                if "ml_baseline" in link.params:
                    text += f"; ml_baseline {units.number(link.params['ml_baseline'])}"
            if link.source:
                text += f"; source: {link.source}"
            rows.append(("link", link.label, text))
        return rows

    def text(self) -> str:
        reg = self.registry
        title = f"{reg.name or 'project'} ({reg.currency})"
        rows = self.rows()
        if not rows:
            return f"{title}: no business metrics yet; declare one with `%bizml metric NAME ...`"
        width = max(len(_line(name)) for _, name, _ in rows)
        lines = [title]
        for kind, name, text in rows:
            lines.append(f"  {kind:<6} {_line(name):<{width}}  {_line(text)}")
        return "\n".join(lines)

    def html(self) -> str:
        e = html.escape
        reg = self.registry
        body = "".join(
            f'<tr><td style="{_TD_STYLE};padding-right:12px">{e(kind)}</td>'
            f'<th style="{_TH_STYLE}">{text_html(name)}</th>'
            f'<td style="{_TD_STYLE}">{text_html(text)}</td></tr>'
            for kind, name, text in self.rows()
        )
        return (
            f'<div class="bizml-registry" style="{_CARD_STYLE}">'
            f"<b>{text_html(reg.name or 'project')}</b> ({text_html(reg.currency)})"
            f'<table style="border-collapse:collapse">{body}</table></div>'
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self.html()}

    def __repr__(self) -> str:
        return self.text()


def worth(kpi: BusinessMetric, currency: str) -> str:
    """What a unit of ``kpi`` is worth per year, in words (per pp for ratios)."""
    if kpi.value_per_unit is None:
        raise RegistryError(f"{kpi.name} has no value_per_unit")
    if kpi.unit in units.RATIO_UNITS:
        return f"{units.money(kpi.value_per_unit / 100, currency)}/yr per +1 pp"
    return f"{units.money(kpi.value_per_unit, currency)}/yr per +1 {kpi.unit}"
