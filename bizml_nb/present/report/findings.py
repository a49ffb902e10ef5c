"""What the report says, gathered before it is written: decisions, figures and records.

:func:`gather` reads the registry, the ledger and the bizml records of the project's
executed notebooks into :class:`Findings`.

A notebook that cannot be read (not JSON, or a damaged record: one whose figures break
the rules of :mod:`bizml_nb.present.report_records`, such as a probability outside
[0, 1]) is skipped with a warning naming it and the field, and listed at the end of
the report. Notebooks are named by their path relative to the project's root.
"""

from __future__ import annotations

import glob
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core.errors import BizmlError, BizmlWarning
from bizml_nb.impact import VerdictLabel
from bizml_nb.present.report_records import damage, roi_case, roi_of_a_run, section
from bizml_nb.present.report_words import ILLUSTRATION, Line, User

if TYPE_CHECKING:
    from datetime import date

    from bizml_nb.impact import Impact
    from bizml_nb.present.report.realised import Realised
    from bizml_nb.projects.project import Project

RECORD_TYPES = {
    "application/vnd.bizml.roi+json": "roi",
    "application/vnd.bizml.maturity+json": "maturity",
    "application/vnd.bizml.monitor+json": "monitor",
    "application/vnd.bizml.capacity+json": "capacity",
}


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
    numbers: list[list[str]] = field(default_factory=list)  # the figures that matter, in pieces
    caveats: list[list[str]] = field(default_factory=list)  # what the figures rest on
    charts: list[tuple[str, bytes]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "PATH: why" for unreadable notebooks
    realised: Realised | None = None  # predicted vs realised; None: nothing launched or measured


_User = User  # a user string inside a sentence of the report (escaped as such in Markdown)


def gather(
    project: Project,
    notebooks: list[str] | None = None,
    *,
    charts: bool = True,
    today: str | date | None = None,
) -> Findings:
    """Read everything the report needs from the project and the executed notebooks
    (money realised to date is counted to ``today``, default today in UTC)."""
    from bizml_nb.present.cards import describe_kpi
    from bizml_nb.present.report.realised import realised_section
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
        for found_path in sorted(glob.glob(pattern, recursive=True)):
            path = _shown_path(found_path, project.root)
            if _FAILED_COPY.search(path):  # `bizml run` kept a failed execution: not a result
                found.skipped.append(f"{path}: a failed execution kept by `bizml run`")
                continue
            try:
                records = _records(Path(found_path), found.currency)
            except _Unreadable as exc:
                found.skipped.append(f"{path}: {exc}")
                warnings.warn(
                    f"skipped the notebook {found_path}: {exc}; the report was made without it",
                    BizmlWarning,
                    stacklevel=3,
                )
                continue
            for kind, record in records:
                found.records.setdefault(kind, []).append((path, record))
    realised = realised_section(project, today)
    found.realised = None if realised.empty else realised
    found.decisions = _decisions(found)
    if found.realised is not None:
        found.decisions.extend(found.realised.optimistic)
    found.numbers, found.caveats = _summary(found)
    if charts and registry.metrics:
        found.charts = _charts(project)
    return found


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
        section(kind, record, currency)
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
                f": about {_yearly_range(best, cur)} on ",
                _User(str(best["target"])),
                ".",
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
    for _path, record in [r for r in found.records.get("roi", []) if roi_of_a_run(r[1])][:1]:
        project = record.get("project")
        named: Line = [" for ", _User(repr(project))] if isinstance(project, str) else []
        lines.append(["The ROI case", *named, ": ", *roi_case(record, cur), "."])
    return lines


def _summary(found: Findings) -> tuple[list[Line], list[Line]]:
    """The three figures that matter (the best gain, the return, the experiments' tally)
    and the caveats the figures rest on."""
    cur = found.currency
    numbers: list[Line] = []
    material = [r for r in found.experiments if _label(r) is VerdictLabel.MATERIAL]
    if material:
        best = material[0]
        numbers.append(
            [
                f"Best gain: {_yearly_range(best, cur)} from ",
                _User(repr(str(best["name"]))),
                " on ",
                _User(str(best["target"])),
            ]
        )
    else:
        numbers.append(["Best gain: no experiment is a material gain yet"])
    rois = [r for _path, r in found.records.get("roi", []) if roi_of_a_run(r)]
    if rois:
        numbers.append(["Return: ", *roi_case(rois[0], cur)])
    else:
        numbers.append(["Return: no ROI analysis of this project's runs"])
    scored = [r for r in found.experiments if _label(r) is not None]
    harmful = [r for r in scored if _label(r) is VerdictLabel.HARMFUL]
    numbers.append(
        [
            f"Experiments: {len(scored)} compared with their baseline, {len(material)} a material "
            f"gain, {len(harmful)} harmful"
        ]
    )
    caveats: list[Line] = [["Ranges are 90%: 1 time in 20 the truth lies above, 1 in 20 below."]]
    if any(
        any(ILLUSTRATION in piece for line in section(kind, record, cur) for piece in line)
        for kind, records in found.records.items()
        for _path, record in records
    ) or any(ILLUSTRATION in piece for line in numbers for piece in line):
        caveats.append(
            [
                "Figures marked 'illustration' come from illustrative inputs (a template's "
                "defaults, generated data, a default price table): they are not measurements."
            ]
        )
    if found.records.get("monitor"):
        caveats.append(
            ["Monitoring without labels cannot see concept drift: check it against labels."]
        )
    if found.skipped:
        caveats.append([f"{len(found.skipped)} notebook(s) could not be read: listed at the end."])
    return numbers, caveats


def _yearly_range(row: dict[str, Any], cur: str) -> str:
    """A run's yearly value with its 90% range, worded as the cards word it."""
    low, mid, high = (float(row[k]) for k in ("value_low", "value_mid", "value_high"))
    text = units.money_range(low, mid, high, cur, per="/yr")
    return text if text.endswith("%)") else f"{text} (90%)"


def _shown_path(path: str, root: Path) -> str:
    """A notebook's path as the report shows it: relative to the project's root (with
    ``..`` when it lies outside), never a machine's absolute path."""
    import os

    try:
        return Path(os.path.relpath(Path(path).absolute(), root.absolute())).as_posix()
    except ValueError:  # another drive (Windows): its name only
        return Path(path).name


def _charts(project: Project) -> list[tuple[str, bytes]]:
    from bizml_nb.present.charts import figure_png, impact_plot

    charts = []
    for name in project.registry.metrics:
        try:
            charts.append((f"ML change against {name}", figure_png(impact_plot(project, name))))
        except BizmlError:
            continue
    return charts
