"""The report for decision makers: one self-contained HTML (or Markdown) file.

Built from the registry, the ledger, and the bizml records inside executed
notebooks (ROI, maturity, monitoring and capacity cards). It opens with no
network access: styles are inline and charts are embedded PNGs. Every user
string is escaped.

>>> build_report(bizml_nb.project(), notebooks=["notebooks/*.ipynb"])  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import glob
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb import units
from bizml_nb.errors import BizmlError
from bizml_nb.views import rank_text as _rank
from bizml_nb.views import value_text

if TYPE_CHECKING:
    from bizml_nb.projects import Project

RECORD_TYPES = {
    "application/vnd.bizml.roi+json": "roi",
    "application/vnd.bizml.maturity+json": "maturity",
    "application/vnd.bizml.monitor+json": "monitor",
    "application/vnd.bizml.capacity+json": "capacity",
}
_STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1000px;margin:24px auto;
color:#1f2328;line-height:1.45;padding:0 16px}
h1{font-size:24px}h2{font-size:19px;margin-top:28px;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d0d7de;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f6f8fa}
.material{color:#116329;font-weight:600}.harmful{color:#a40e26;font-weight:600}
.uncertain{color:#9a6700}.decide{background:#f6f8fa;border-left:4px solid #0969da;padding:8px 16px}
.muted{color:#57606a;font-size:13px}
"""


@dataclass
class Findings:
    """What the report says, gathered before it is written (for HTML or Markdown)."""

    project: str
    currency: str
    kpis: list[dict[str, str]] = field(default_factory=list)
    experiments: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, str]] = field(default_factory=list)
    records: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    decisions: list[str] = field(default_factory=list)
    charts: list[tuple[str, bytes]] = field(default_factory=list)


def gather(
    project: Project, notebooks: list[str] | None = None, *, charts: bool = True
) -> Findings:
    """Read everything the report needs from the project and the executed notebooks."""
    from bizml_nb.display import describe_kpi
    from bizml_nb.views import compare

    registry = project.registry
    found = Findings(registry.name or project.root.name, registry.currency)
    for kpi in registry.metrics.values():
        found.kpis.append(
            {
                "name": kpi.name,
                "about": describe_kpi(kpi),
                "worth": _worth(registry, kpi.name),
                "description": kpi.description or "",
            }
        )
    board = compare(project)
    found.experiments = [{str(k): v for k, v in row.items()} for row in board.to_dict("records")]
    for link in registry.links:
        found.evidence.append({"link": link.label, "kind": link.kind, "evidence": _evidence(link)})
    for pattern in notebooks or []:
        for path in sorted(glob.glob(pattern, recursive=True)):
            for kind, record in _records(Path(path)):
                found.records.setdefault(kind, []).append((path, record))
    found.decisions = _decisions(found)
    if charts and registry.metrics:
        found.charts = _charts(project)
    return found


def build_report(
    project: Project,
    out: Path | str | None = None,
    *,
    notebooks: list[str] | None = None,
    fmt: str = "html",
) -> Path:
    """Write the report; return its path (default ``ROOT/bizml-report.html`` or ``.md``)."""
    if fmt not in ("html", "md"):
        raise BizmlError(f"unknown report format {fmt!r}; use html or md")
    found = gather(project, notebooks, charts=fmt == "html")
    target = Path(out) if out is not None else project.root / f"bizml-report.{fmt}"
    text = to_html(found) if fmt == "html" else to_markdown(found)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise BizmlError(f"cannot write the report {target}: {exc.strerror or exc}") from None
    return target


# --------------------------------------------------------------------------- HTML


def to_html(found: Findings) -> str:
    """The report as one self-contained HTML page."""
    e = html.escape
    cur = found.currency
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(found.project)}: what the ML work does for the business</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(found.project)}: what the ML work does for the business</h1>",
        "<h2>What to decide</h2><div class='decide'><ul>",
        *(f"<li>{e(line)}</li>" for line in found.decisions),
        "</ul></div>",
        "<h2>Business metrics</h2><table><tr><th>KPI</th><th>level and owner</th>"
        "<th>worth</th><th>what it measures</th></tr>",
        *(
            f"<tr><td>{e(k['name'])}</td><td>{e(k['about'])}</td><td>{e(k['worth'])}</td>"
            f"<td>{e(k['description'])}</td></tr>"
            for k in found.kpis
        ),
        "</table>",
        "<h2>Experiments, ranked by yearly value</h2>",
    ]
    if found.experiments:
        parts.append(
            "<table><tr><th>rank</th><th>experiment</th><th>KPI</th><th>value per year (90%)</th>"
            "<th>verdict</th></tr>"
        )
        for row in found.experiments:
            verdict = str(row.get("verdict") or "")
            css = verdict.split(",", maxsplit=1)[0].replace(" ", "-")
            parts.append(
                f"<tr><td>{e(_rank(row.get('rank_by_value')))}</td><td>{e(str(row['name']))}</td>"
                f"<td>{e(str(row['target']))}</td><td>{e(value_text(row, cur))}</td>"
                f"<td class='{e(css)}'>{e(verdict)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>No experiments recorded yet.</p>")
    parts.append(
        "<h2>How good the evidence behind each link is</h2><table><tr><th>link</th><th>kind</th><th>evidence</th></tr>"
    )
    parts.extend(
        f"<tr><td>{e(x['link'])}</td><td>{e(x['kind'])}</td><td>{e(x['evidence'])}</td></tr>"
        for x in found.evidence
    )
    parts.append("</table>")
    for kind, title in (
        ("roi", "Return on investment"),
        ("maturity", "ML adoption maturity"),
        ("monitor", "Monitoring"),
        ("capacity", "Capacity and cost"),
    ):
        records = found.records.get(kind)
        if records:
            parts.append(f"<h2>{e(title)}</h2>")
            for path, record in records:
                parts.append(
                    f"<p class='muted'>from {e(path)}</p><ul>"
                    + "".join(f"<li>{e(line)}</li>" for line in _summarise(kind, record, cur))
                    + "</ul>"
                )
    for title, png in found.charts:
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f"<h2>{e(title)}</h2><img alt='{e(title)}' src='data:image/png;base64,{data}'>"
        )
    parts.append(
        "<p class='muted'>Made by bizml_nb from bizml.toml, the experiment ledger and executed "
        "notebooks. Ranges are 90% intervals. Figures labelled illustrative in the notebooks are "
        "illustrations, not measurements.</p></body></html>"
    )
    return "\n".join(parts)


# --------------------------------------------------------------------------- Markdown


def to_markdown(found: Findings) -> str:
    """The report as Markdown, for a pull request or a wiki page."""
    cur = found.currency
    lines = [
        f"# {_md(found.project)}: what the ML work does for the business",
        "",
        "## What to decide",
        "",
    ]
    lines += [f"- {_md(line)}" for line in found.decisions]
    lines += [
        "",
        "## Business metrics",
        "",
        "| KPI | level and owner | worth |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {_md(k['name'])} | {_md(k['about'])} | {_md(k['worth'])} |" for k in found.kpis]
    lines += ["", "## Experiments, ranked by yearly value", ""]
    if found.experiments:
        lines += [
            "| rank | experiment | KPI | value per year (90%) | verdict |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {_rank(r.get('rank_by_value'))} | {_md(str(r['name']))} | {_md(str(r['target']))} | "
            f"{_md(value_text(r, cur))} | {_md(str(r.get('verdict') or ''))} |"
            for r in found.experiments
        ]
    else:
        lines.append("No experiments recorded yet.")
    lines += [
        "",
        "## Evidence behind each link",
        "",
        "| link | kind | evidence |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {_md(x['link'])} | {_md(x['kind'])} | {_md(x['evidence'])} |" for x in found.evidence
    ]
    for kind, records in found.records.items():
        lines += ["", f"## {kind.capitalize()}", ""]
        for path, record in records:
            lines.append(f"From `{path}`:")
            lines += [f"- {_md(line)}" for line in _summarise(kind, record, cur)]
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- pieces


def _worth(registry: Any, name: str) -> str:
    from bizml_nb.display import worth
    from bizml_nb.impact import value_per_unit

    kpi = registry.metrics[name]
    if kpi.value_per_unit is not None:
        return str(worth(kpi, registry.currency))
    through = value_per_unit(registry, name)
    if through is None:
        return "not priced"
    per = "pp" if kpi.is_ratio else kpi.unit
    amount = through / 100 if kpi.is_ratio else through
    return f"{units.money(amount, registry.currency)}/yr per +1 {per}, through the KPIs it moves"


def _records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BizmlError(f"cannot read the notebook {path}: {exc}") from None
    found: list[tuple[str, dict[str, Any]]] = []
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            data = output.get("data", {}) if isinstance(output, dict) else {}
            for mime, kind in RECORD_TYPES.items():
                if isinstance(data, dict) and isinstance(data.get(mime), dict):
                    found.append((kind, data[mime]))
    return found


def _evidence(link: Any) -> str:
    if link.kind == "fitted":
        grade = link.params.get("grade")
        text = f"{grade} (n={link.params.get('n')}, R^2 {float(link.params.get('r2', 0)):.2f})"
        if grade == "none":
            text += ": past experiments show no reliable relation; treat gains on this metric as unproven"
        return text
    if link.kind == "linear":
        return "declared by hand" + (f" from {link.source}" if link.source else "; no source given")
    if link.kind == "confusion":
        return "from the value of each outcome; uncertainty from the counts"
    return "computed from logged quantities (an offline replay)"


def _decisions(found: Findings) -> list[str]:
    cur = found.currency
    lines: list[str] = []
    material = [r for r in found.experiments if str(r.get("verdict") or "").startswith("material")]
    harmful = [r for r in found.experiments if str(r.get("verdict") or "").startswith("harmful")]
    unseen = [r for r in found.experiments if "not measurable" in str(r.get("verdict") or "")]
    if material:
        best = material[0]
        lines.append(
            f"Ship or A/B test {best['name']!r}: about {units.money(best['value_mid'], cur, signed=True)}/yr "
            f"on {best['target']} ({value_text(best, cur)})."
        )
    else:
        lines.append("No experiment is a material gain yet: keep the current models.")
    if harmful:
        names = ", ".join(repr(str(r["name"])) for r in harmful)
        lines.append(f"Do not ship {names}: even the optimistic end loses money.")
    if unseen:
        names = ", ".join(repr(str(r["name"])) for r in unseen)
        lines.append(f"An A/B test could not detect the gain of {names}: do not claim it.")
    weak = [x for x in found.evidence if x["evidence"].startswith("none")]
    if weak:
        lines.append(
            "Gains on "
            + ", ".join(x["link"] for x in weak)
            + " rest on no reliable evidence: run an A/B test before counting them."
        )
    for _path, record in found.records.get("roi", [])[:1]:
        lines.append(
            f"The ROI case: NPV {units.money(float(record.get('npv', 0)), cur, signed=True)}, "
            f"P(NPV > 0) {float(record.get('p_npv_positive', 0)) * 100:.0f}%."
        )
    return lines


def _summarise(kind: str, record: dict[str, Any], cur: str) -> list[str]:
    if kind == "roi":
        payback = record.get("payback_month")
        return [
            f"NPV {units.money(float(record.get('npv', 0)), cur, signed=True)}; "
            f"P(NPV > 0) {float(record.get('p_npv_positive', 0)) * 100:.0f}%",
            f"payback {'month ' + str(payback) if payback else 'not within the horizon'}",
            f"defaults used: {', '.join(map(str, record.get('defaults', []))) or 'none'}",
        ]
    if kind == "maturity":
        steps = record.get("next_steps", [])
        return [
            f"level {record.get('level')} on Microsoft's scale, {record.get('google_level')} on Google's",
            *(
                f"next: {step[0]}: {step[1]}"
                for step in steps[:3]
                if isinstance(step, list) and len(step) == 2
            ),
        ]
    return [
        f"{key}: {value}" for key, value in record.items() if isinstance(value, str | int | float)
    ][:8]


def _charts(project: Project) -> list[tuple[str, bytes]]:
    from bizml_nb.plots import figure_png, impact_plot

    charts = []
    for name in project.registry.metrics:
        try:
            charts.append((f"ML change against {name}", figure_png(impact_plot(project, name))))
        except BizmlError:
            continue
    return charts


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell: no pipes, no newlines, no raw HTML.

    Dollar signs are escaped too: GitHub reads "+$1M [+$2M" as inline math.
    """
    text = html.escape(" ".join(text.split()), quote=False).replace("\\", "\\\\")
    return text.replace("|", "\\|").replace("$", "\\$")
