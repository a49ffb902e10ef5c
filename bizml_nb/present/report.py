"""The report for decision makers: one self-contained HTML (or Markdown) file.

Built from the registry, the ledger, and the bizml records inside executed
notebooks (ROI, maturity, monitoring and capacity cards). It opens with no
network access: styles are inline and charts are embedded PNGs. Every user
string is escaped: as HTML in the page, and in Markdown so that it renders as
its own characters (no link, image, HTML or formatting can come from a name).
A notebook that cannot be read (not JSON, or a damaged record: one whose figures
break the rules of :mod:`bizml_nb.present.report_records`, such as a probability outside
[0, 1]) is skipped with a warning naming it and the field, and listed at the end of
the report.

>>> build_report(bizml_nb.project(), notebooks=["notebooks/*.ipynb"])  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import glob
import html
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core._io import atomic_write_text
from bizml_nb.core.errors import BizmlError, BizmlWarning
from bizml_nb.core.outputs import check_target, make_folder
from bizml_nb.core.textsafe import markdown_plain, markdown_text
from bizml_nb.impact import VerdictLabel
from bizml_nb.present.report_records import damage, listed
from bizml_nb.present.views import rank_text as _rank
from bizml_nb.present.views import value_text, verdict_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from bizml_nb.impact import Impact
    from bizml_nb.projects.project import Project

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
    decisions: list[list[str]] = field(default_factory=list)  # sentences, in pieces (_User)
    charts: list[tuple[str, bytes]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "PATH: why" for unreadable notebooks


class _User(str):
    """A user string inside a sentence of the report (escaped as such in Markdown)."""

    __slots__ = ()


def gather(
    project: Project, notebooks: list[str] | None = None, *, charts: bool = True
) -> Findings:
    """Read everything the report needs from the project and the executed notebooks."""
    from bizml_nb.present.cards import describe_kpi
    from bizml_nb.present.views import leaderboard

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
    board, impacts = leaderboard(project)
    found.experiments = [
        _experiment(row, impacts.get(str(row["id"]))) for row in board.to_dict("records")
    ]
    for link in registry.links:
        found.evidence.append({"link": link.label, "kind": link.kind, "evidence": _evidence(link)})
    for pattern in notebooks or []:
        for path in sorted(glob.glob(pattern, recursive=True)):
            if _FAILED_COPY.search(path):  # `bizml run` kept a failed execution: not a result
                found.skipped.append(f"{path}: a failed execution kept by `bizml run`")
                continue
            try:
                records = _records(Path(path), found.currency)
            except _Unreadable as exc:
                found.skipped.append(f"{path}: {exc}")
                warnings.warn(
                    f"skipped the notebook {path}: {exc}; the report was made without it",
                    BizmlWarning,
                    stacklevel=3,
                )
                continue
            for kind, record in records:
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
    force: bool = False,
) -> Path:
    """Write the report; return its path (default ``ROOT/bizml-report.html`` or ``.md``).

    An existing file is refused (before any work) unless ``force``; a missing
    folder is created. Notebooks that cannot be read are skipped with a
    :class:`BizmlWarning` each.
    """
    if fmt not in ("html", "md"):
        raise BizmlError(f"unknown report format {fmt!r}; use html or md")
    target = Path(out) if out is not None else project.root / f"bizml-report.{fmt}"
    check_target(target, force=force)
    found = gather(project, notebooks, charts=fmt == "html")
    text = to_html(found) if fmt == "html" else to_markdown(found)
    make_folder(target)
    atomic_write_text(target, text, force=force)
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
        *(f"<li>{e(''.join(pieces))}</li>" for pieces in found.decisions),
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
            verdict = verdict_text(row.get("verdict"))
            css = _verdict_class(row)
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
                    + "".join(
                        f"<li>{e(''.join(line))}</li>" for line in _summarise(kind, record, cur)
                    )
                    + "</ul>"
                )
    for title, png in found.charts:
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f"<h2>{e(title)}</h2><img alt='{e(title)}' src='data:image/png;base64,{data}'>"
        )
    if found.skipped:
        parts.append(
            "<h2>Notebooks left out</h2><p class='muted'>These could not be read:</p><ul>"
            + "".join(f"<li>{e(line)}</li>" for line in found.skipped)
            + "</ul>"
        )
    parts.append(
        "<p class='muted'>Made by bizml_nb from bizml.toml, the experiment ledger and executed "
        "notebooks. Ranges are 90% intervals. Figures labelled illustrative in the notebooks are "
        "illustrations, not measurements.</p></body></html>"
    )
    return "\n".join(parts)


# --------------------------------------------------------------------------- Markdown


def to_markdown(found: Findings) -> str:
    """The report as Markdown, for a pull request or a wiki page.

    User strings go through :func:`markdown_text` (every Markdown and HTML
    character escaped), the report's own words and figures through
    :func:`markdown_plain`, except the currency inside them, which is a user string.
    """
    cur, u = found.currency, markdown_text

    def p(text: str) -> str:
        if not cur:
            return markdown_plain(text)
        return markdown_text(cur).join(markdown_plain(part) for part in text.split(cur))

    lines = [f"# {u(found.project)}: what the ML work does for the business", ""]
    lines += ["## What to decide", ""]
    lines += [f"- {_sentence(pieces, u, p)}" for pieces in found.decisions]
    lines += ["", "## Business metrics", "", "| KPI | level and owner | worth |"]
    lines.append("| --- | --- | --- |")
    lines += [f"| {u(k['name'])} | {u(k['about'])} | {u(k['worth'])} |" for k in found.kpis]
    lines += ["", "## Experiments, ranked by yearly value", ""]
    if found.experiments:
        lines += [
            "| rank | experiment | KPI | value per year (90%) | verdict |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {p(_rank(r.get('rank_by_value')))} | {u(str(r['name']))} | {u(str(r['target']))} | "
            f"{p(value_text(r, cur))} | {p(verdict_text(r.get('verdict')))} |"
            for r in found.experiments
        ]
    else:
        lines.append("No experiments recorded yet.")
    lines += ["", "## Evidence behind each link", "", "| link | kind | evidence |"]
    lines.append("| --- | --- | --- |")
    lines += [f"| {u(x['link'])} | {p(x['kind'])} | {u(x['evidence'])} |" for x in found.evidence]
    for kind, records in found.records.items():
        lines += ["", f"## {p(kind.capitalize())}", ""]
        for path, record in records:
            lines.append(f"From {u(path)}:")
            lines += [f"- {_sentence(line, u, p)}" for line in _summarise(kind, record, cur)]
    if found.skipped:
        lines += ["", "## Notebooks left out", "", "These could not be read:", ""]
        lines += [f"- {u(line)}" for line in found.skipped]
    lines.append("")
    return "\n".join(lines)


def _sentence(pieces: list[str], user: Callable[[str], str], plain: Callable[[str], str]) -> str:
    return "".join(user(piece) if isinstance(piece, _User) else plain(piece) for piece in pieces)


# --------------------------------------------------------------------------- pieces


def _worth(registry: Any, name: str) -> str:
    from bizml_nb.impact import value_per_unit
    from bizml_nb.present.cards import worth

    kpi = registry.metrics[name]
    if kpi.value_per_unit is not None:
        return str(worth(kpi, registry.currency))
    through = value_per_unit(registry, name)
    if through is None:
        return "not priced"
    per = "pp" if kpi.is_ratio else kpi.unit
    amount = through / 100 if kpi.is_ratio else through
    return f"{units.money(amount, registry.currency)}/yr per +1 {per}, through the KPIs it moves"


_FAILED_COPY = re.compile(r"\.failed(-\d+)?\.ipynb$")


class _Unreadable(Exception):
    """A notebook the report cannot use; the message says why."""


def _records(path: Path, currency: str) -> list[tuple[str, dict[str, Any]]]:
    """The bizml records in a notebook's outputs, each checked to be one the report can show.

    Reading and the record schema are ``notebook_records.read_records``'s (the reader every
    consumer of notebook outputs shares); a notebook with any bad record is left
    out whole, so a report never mixes a notebook's good cells with damaged ones.
    """
    from bizml_nb.core.notebook_records import read_records

    read = read_records(path, RECORD_TYPES)
    if read.problems:
        raise _Unreadable(_without_path(read.problems[0], str(path)))
    found: list[tuple[str, dict[str, Any]]] = []
    for item in read.records:
        kind = RECORD_TYPES[item.mime]
        problem = _damage(kind, item.record, currency)
        if problem:
            raise _Unreadable(f"cell {item.cell + 1} has a damaged {item.mime} record: {problem}")
        found.append((kind, item.record))
    return found


def _without_path(problem: str, path: str) -> str:
    """The reader's message without the path the report's warning already names."""
    if problem.startswith(path + ", "):
        return problem[len(path) + 2 :]
    if problem.startswith(path + " "):
        return "it " + problem[len(path) + 1 :]
    return problem


def _damage(kind: str, record: Any, currency: str) -> str:
    """Why ``record`` cannot be shown ("" when it can): a field that breaks its rule
    (:mod:`bizml_nb.present.report_records`), or, as a last guard, a summary that fails."""
    problem = damage(kind, record)
    if problem:
        return problem
    try:
        _summarise(kind, record, currency)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        return str(exc) or type(exc).__name__
    return ""


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


#: The keys of an experiment's row in :attr:`Findings.experiments` that hold its typed
#: verdict: what the report decides on (the ``verdict`` text is only shown).
LABEL, MEASURABLE, IS_BASELINE = "label", "measurable", "is_baseline"


def _experiment(row: dict[Any, Any], impact: Impact | None) -> dict[str, Any]:
    """A leaderboard row as the report keeps it: what it shows, and the typed verdict."""
    verdict = impact.verdict if impact is not None else None
    return {
        **{str(k): row.get(k) for k in _SHOWN},
        LABEL: verdict.label if verdict is not None else None,
        MEASURABLE: verdict.measurable if verdict is not None else None,
        IS_BASELINE: impact is not None and impact.is_baseline,
    }


_SHOWN = ("name", "target", "value_low", "value_mid", "value_high", "verdict", "rank_by_value")


def _label(row: dict[str, Any]) -> VerdictLabel | None:
    label = row.get(LABEL)
    return label if isinstance(label, VerdictLabel) else None


def _verdict_class(row: dict[str, Any]) -> str:
    """The CSS class of a row's verdict cell: its label, or ``baseline``."""
    label = _label(row)
    if label is not None:
        return label.value.replace(" ", "-")
    return "baseline" if row.get(IS_BASELINE) else ""


def _decisions(found: Findings) -> list[list[str]]:
    """What to decide, one sentence each, in pieces: user strings are :class:`_User`.

    Decided from each experiment's typed verdict (its label and whether an A/B test
    could measure it), never from the words shown.
    """
    cur = found.currency
    lines: list[list[str]] = []
    material = [r for r in found.experiments if _label(r) is VerdictLabel.MATERIAL]
    harmful = [r for r in found.experiments if _label(r) is VerdictLabel.HARMFUL]
    unseen = [r for r in found.experiments if r.get(MEASURABLE) is False]
    if material:
        best = material[0]
        lines.append(
            [
                "Ship or A/B test ",
                _User(repr(str(best["name"]))),
                f": about {units.money(best['value_mid'], cur, signed=True)}/yr on ",
                _User(str(best["target"])),
                f" ({value_text(best, cur)}).",
            ]
        )
    else:
        lines.append(["No experiment is a material gain yet: keep the current models."])
    if harmful:
        names = _User(", ".join(repr(str(r["name"])) for r in harmful))
        lines.append(["Do not ship ", names, ": even the optimistic end loses money."])
    if unseen:
        names = _User(", ".join(repr(str(r["name"])) for r in unseen))
        lines.append(["An A/B test could not detect the gain of ", names, ": do not claim it."])
    weak = [x for x in found.evidence if x["evidence"].startswith("none")]
    if weak:
        links = _User(", ".join(x["link"] for x in weak))
        lines.append(
            [
                "Gains on ",
                links,
                " rest on no reliable evidence: run an A/B test before counting them.",
            ]
        )
    for _path, record in found.records.get("roi", [])[:1]:
        lines.append([f"The ROI case: {_roi_case(record, cur, ', ')}."])
    return lines


def _roi_case(record: dict[str, Any], cur: str, joiner: str) -> str:
    """An ROI record's NPV and P(NPV > 0), in the record's currency when it names one."""
    npv = units.money(record["npv"], record.get("currency") or cur, signed=True)
    return f"NPV {npv}{joiner}P(NPV > 0) {units.percent(record['p_npv_positive'])}"


def _summarise(kind: str, record: dict[str, Any], cur: str) -> list[list[str]]:
    """A record's lines, in pieces: what came from the notebook is a :class:`_User` piece."""
    if kind == "roi":
        payback = record.get("payback_month")
        defaults = ", ".join(map(str, record.get("defaults", [])))
        return [
            [_roi_case(record, cur, "; ")],
            ["payback month ", _User(str(payback))]
            if payback
            else ["payback not within the horizon"],
            ["defaults used: ", _User(defaults)] if defaults else ["defaults used: none"],
        ]
    if kind == "maturity":
        steps = record.get("next_steps", [])
        level, google = _User(str(record.get("level"))), _User(str(record.get("google_level")))
        return [
            ["level ", level, " on Microsoft's scale, ", google, " on Google's"],
            *(
                ["next: ", _User(str(step[0])), ": ", _User(str(step[1]))]
                for step in steps[:3]
                if isinstance(step, list) and len(step) == 2
            ),
        ]
    return [[_User(str(key)), ": ", _User(str(value))] for key, value in listed(kind, record)]


def _charts(project: Project) -> list[tuple[str, bytes]]:
    from bizml_nb.present.charts import figure_png, impact_plot

    charts = []
    for name in project.registry.metrics:
        try:
            charts.append((f"ML change against {name}", figure_png(impact_plot(project, name))))
        except BizmlError:
            continue
    return charts
