"""The report for decision makers, written: one self-contained HTML (or Markdown) file.

It opens with no network access: styles are inline and charts are embedded PNGs.
Every user string is escaped: as HTML in the page, and in Markdown so that it renders
as its own characters (no link, image, HTML or formatting can come from a name).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core._io import atomic_write_text
from bizml_nb.core.errors import BizmlError
from bizml_nb.core.outputs import check_target, make_folder
from bizml_nb.core.textsafe import markdown_plain, markdown_text
from bizml_nb.present.report.findings import IS_BASELINE, Findings, _label, _User, gather
from bizml_nb.present.report.realised import COLUMNS, TITLE
from bizml_nb.present.report_records import section
from bizml_nb.present.views import rank_text as _rank
from bizml_nb.present.views import value_text, verdict_text

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from bizml_nb.projects.project import Project

SECTIONS = (  # the records' sections, in the report's order
    ("roi", "Return on investment"),
    ("maturity", "ML adoption maturity"),
    ("monitor", "Monitoring"),
    ("capacity", "Capacity and cost"),
)
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


def build_report(
    project: Project,
    out: Path | str | None = None,
    *,
    notebooks: list[str] | None = None,
    fmt: str = "html",
    force: bool = False,
    today: str | date | None = None,
) -> Path:
    """Write the report; return its path (default ``ROOT/bizml-report.html`` or ``.md``).

    Money realised to date is counted to ``today`` (default today in UTC).

    An existing file is refused (before any work) unless ``force``; a missing
    folder is created. Notebooks that cannot be read are skipped with a
    :class:`BizmlWarning` each.
    """
    if fmt not in ("html", "md"):
        raise BizmlError(f"unknown report format {fmt!r}; use html or md")
    target = Path(out) if out is not None else project.root / f"bizml-report.{fmt}"
    check_target(target, force=force)
    found = gather(project, notebooks, charts=fmt == "html", today=today)
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
        "</ul><p><b>The numbers that matter</b></p><ul>",
        *(f"<li>{e(''.join(pieces))}</li>" for pieces in found.numbers),
        "</ul><p><b>Caveats</b></p><ul>",
        *(f"<li>{e(''.join(pieces))}</li>" for pieces in found.caveats),
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
    parts.extend(_realised_html(found))
    parts.append(
        "<h2>How good the evidence behind each link is</h2><table><tr><th>link</th><th>kind</th><th>evidence</th></tr>"
    )
    parts.extend(
        f"<tr><td>{e(x['link'])}</td><td>{e(x['kind'])}</td><td>{e(x['evidence'])}</td></tr>"
        for x in found.evidence
    )
    parts.append("</table>")
    for kind, title in SECTIONS:
        records = found.records.get(kind)
        if records:
            parts.append(f"<h2>{e(title)}</h2>")
            for path, record in records:
                parts.append(
                    f"<p class='muted'>from {e(path)}</p><ul>"
                    + "".join(f"<li>{e(''.join(line))}</li>" for line in section(kind, record, cur))
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
    for title, items in (("The numbers that matter", found.numbers), ("Caveats", found.caveats)):
        if items:
            lines += ["", f"**{title}**", ""]
            lines += [f"- {_sentence(pieces, u, p)}" for pieces in items]
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
    lines += _realised_markdown(found, u, p)
    lines += ["", "## Evidence behind each link", "", "| link | kind | evidence |"]
    lines.append("| --- | --- | --- |")
    lines += [f"| {u(x['link'])} | {p(x['kind'])} | {u(x['evidence'])} |" for x in found.evidence]
    for kind, title in SECTIONS:
        records = found.records.get(kind, [])
        if records:
            lines += ["", f"## {p(title)}"]
        for path, record in records:
            lines.append("")
            lines.append(f"From {u(path)}:")
            lines += [f"- {_sentence(line, u, p)}" for line in section(kind, record, cur)]
    if found.skipped:
        lines += ["", "## Notebooks left out", "", "These could not be read:", ""]
        lines += [f"- {u(line)}" for line in found.skipped]
    lines.append("")
    return "\n".join(lines)


def _realised_html(found: Findings) -> list[str]:
    """The "Predicted vs realised" section in HTML (nothing when it has nothing to say)."""
    section, e = found.realised, html.escape
    if section is None:
        return []
    parts = [f"<h2>{e(TITLE)}</h2>"]
    if section.rows:
        parts.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in COLUMNS) + "</tr>")
        parts.extend(
            "<tr>" + "".join(f"<td>{e(''.join(cell))}</td>" for cell in row) + "</tr>"
            for row in section.rows
        )
        parts.append("</table>")
        parts.append("<ul>" + "".join(f"<li>{e(''.join(n))}</li>" for n in section.notes) + "</ul>")
    else:  # launched runs, none measured: one line
        parts.extend(f"<p>{e(''.join(n))}</p>" for n in section.notes)
    return parts


def _realised_markdown(
    found: Findings, user: Callable[[str], str], plain: Callable[[str], str]
) -> list[str]:
    """The "Predicted vs realised" section in Markdown (nothing when it has nothing to say)."""
    section = found.realised
    if section is None:
        return []
    lines = ["", f"## {plain(TITLE)}", ""]
    if section.rows:
        lines.append("| " + " | ".join(plain(c) for c in COLUMNS) + " |")
        lines.append("|" + " --- |" * len(COLUMNS))
        lines += [
            "| " + " | ".join(_sentence(cell, user, plain) for cell in row) + " |"
            for row in section.rows
        ]
        lines.append("")
        lines += [f"- {_sentence(n, user, plain)}" for n in section.notes]
    else:  # launched runs, none measured: one line
        lines += [_sentence(n, user, plain) for n in section.notes]
    return lines


def _sentence(pieces: list[str], user: Callable[[str], str], plain: Callable[[str], str]) -> str:
    return "".join(user(piece) if isinstance(piece, _User) else plain(piece) for piece in pieces)


def _verdict_class(row: dict[str, Any]) -> str:
    """The CSS class of a row's verdict cell: its label, or ``baseline``."""
    label = _label(row)
    if label is not None:
        return label.value.replace(" ", "-")
    return "baseline" if row.get(IS_BASELINE) else ""
