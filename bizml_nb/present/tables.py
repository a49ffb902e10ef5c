"""Tables of runs in a terminal: money and KPI changes as the cards word them, fitted to its width.

The data stay data: ``bizml_nb.runs()`` and ``%bizml runs`` return a DataFrame whose
numbers are unformatted (and ``bizml ledger list --json`` prints them); only the text
a terminal shows (the table's ``text/plain``) is worded here, with the helpers of
:mod:`bizml_nb.core.units` that the cards use. A long name is cut with an ellipsis in
that text alone.

>>> print(table_text([Column("name", ["a very long run name"], shrink=8),
...                   Column("value/yr", ["+$10.9M"], right=True)], width=18))
name      value/yr
a very …   +$10.9M
"""

from __future__ import annotations

import math
import shutil
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core.ledger_schema import COLUMNS as LEDGER_COLUMNS
from bizml_nb.core.textsafe import terminal_line
from bizml_nb.projects.project import short_id

if TYPE_CHECKING:
    import pandas as pd

    from bizml_nb.core.registry import Registry
    from bizml_nb.projects.project import Project

#: The width of a table shown in a notebook (a kernel's terminal, if any, is not the
#: reader's, and a saved output must not depend on it).
NOTEBOOK_WIDTH = 100
#: The narrowest width a table is fitted to.
MIN_WIDTH = 40
ELLIPSIS = "…"
MISSING = "-"
GAP = "  "


@dataclass
class Column:
    """One column of a terminal table: its header, its cells as text, how it may shrink.

    ``shrink`` is the narrowest the column may be cut to (with an ellipsis), or 0 when
    it is never cut.
    """

    header: str
    cells: list[str]
    right: bool = False
    shrink: int = 0
    width: int = field(default=0, init=False)

    def natural(self) -> int:
        return max([len(self.header), *(len(cell) for cell in self.cells)])


def terminal_width() -> int:
    """The width to fit: the terminal's (``$COLUMNS`` first), or a fixed one in a kernel."""
    if _in_kernel():
        return NOTEBOOK_WIDTH
    return max(MIN_WIDTH, shutil.get_terminal_size((80, 24)).columns)


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut with an ellipsis when longer.

    >>> cut("two-tower v2", 8), cut("ok", 8)
    ('two-tow…', 'ok')
    """
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + ELLIPSIS


def table_text(columns: list[Column], width: int | None = None) -> str:
    """The columns as aligned text no wider than ``width`` (default :func:`terminal_width`).

    Too wide, the shrinkable columns are cut (widest first, never below their least
    width) when that makes the table fit; otherwise the table goes on below in blocks,
    each led by the first column (the run's id), so that every column is shown and no
    line is wider than ``width`` (unless one column beside the id is, cut as far as it may).
    """
    width = terminal_width() if width is None else width
    for column in columns:
        column.width = column.natural()

    def total(shown: list[Column]) -> int:
        return sum(c.width for c in shown) + len(GAP) * (len(shown) - 1)

    least = sum(max(c.shrink, len(c.header)) if c.shrink else c.width for c in columns)
    if least + len(GAP) * (len(columns) - 1) <= width:
        # one block fits once the long names are cut: cut the widest first, no further
        while total(columns) > width:
            cuttable = [c for c in columns if c.shrink and c.width > max(c.shrink, len(c.header))]
            widest = max(cuttable, key=lambda c: c.width)
            excess = total(columns) - width
            widest.width = max(widest.shrink, len(widest.header), widest.width - excess)
    elif columns:
        # blocks: each column must fit beside the first one, the run's id
        room = width - columns[0].width - len(GAP)
        for column in columns[1:]:
            if column.shrink and column.width > room:
                column.width = max(column.shrink, len(column.header), room)
    blocks: list[list[Column]] = [[]]
    for column in columns:
        block = blocks[-1]
        if block and total([*block, column]) > width:
            blocks.append([columns[0]])
            block = blocks[-1]
        block.append(column)
    rows = len(columns[0].cells) if columns else 0
    lines: list[str] = []
    for number, block in enumerate(blocks):
        if number:
            lines.append("")
        lines.append(_line([c.header for c in block], block))
        lines.extend(_line([c.cells[i] for c in block], block) for i in range(rows))
    return "\n".join(lines)


def _line(cells: list[str], columns: list[Column]) -> str:
    parts = []
    for cell, column in zip(cells, columns, strict=True):
        text = cut(cell, column.width)
        parts.append(text.rjust(column.width) if column.right else text.ljust(column.width))
    return GAP.join(parts).rstrip()


# --------------------------------------------------------------------------- runs


#: Columns of a runs table that are not logged ML metrics (the ledger's and the values').
RECORD_COLUMNS = _RECORD_COLUMNS = frozenset(
    {
        *LEDGER_COLUMNS,
        "baseline",
        "origin",
        "sync",
        "business_delta",
        "value_per_year",
        "value_low",
        "value_high",
    }
)


@dataclass(frozen=True)
class Wording:
    """What a runs table needs to word its numbers: the currency and each KPI's unit."""

    currency: str = "USD"
    kpi_units: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, registry: Registry | None) -> Wording:
        if registry is None:
            return cls()
        return cls(registry.currency, {name: m.unit for name, m in registry.metrics.items()})


def runs_text(frame: pd.DataFrame, wording: Wording, width: int | None = None) -> str:
    """A runs table (:func:`~bizml_nb.present.views.runs_table` or ``bizml_nb.runs()``)
    as terminal text: short ids, names cut to fit, the status (``baseline`` as the card's
    badge says), the KPI change in its unit, the yearly value with its 90% range as the
    cards word them, and the ML metrics."""
    if frame.empty:
        return "no runs"
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()} for row in frame.to_dict("records")
    ]
    flag = "baseline" if "baseline" in frame.columns else "is_baseline"
    columns = [
        Column("id", [_short(r.get("id")) for r in records]),
        Column("started", [_text(r.get("started_at"))[:19] for r in records]),
        Column("name", [_text(r.get("name")) for r in records], shrink=12),
        Column("KPI", [_text(r.get("target")) for r in records], shrink=8),
        Column("status", [_status(r, flag) for r in records]),
    ]
    if SYNC in frame.columns:  # a tracking server is known: pending_sync, pushed, from mlflow
        columns.append(Column(SYNC, [_text(r.get(SYNC)) for r in records]))
    # the ledger's own columns, without a registry; origin: runs pulled or priced from MLflow
    for about in ("hypothesis", "tags", "params", "origin"):
        cells = [_words(r.get(about)) for r in records] if about in frame.columns else []
        if any(cell not in {"", MISSING} for cell in cells):
            columns.append(Column(about, cells, shrink=10))
    if "business_delta" in frame.columns:
        columns.append(
            Column(
                "KPI change",
                [_delta(r.get("business_delta"), r.get("target"), wording) for r in records],
                right=True,
            )
        )
    if "value_per_year" in frame.columns:
        columns.append(
            Column(
                "value/yr [90% range]",
                [_value(r, wording.currency) for r in records],
                right=True,
            )
        )
    metrics = [c for c in frame.columns if c not in _RECORD_COLUMNS]
    for metric in metrics:
        columns.append(
            Column(
                terminal_line(metric),
                [_number(r.get(metric)) for r in records],
                right=True,
            )
        )
    return table_text(columns, width)


def _short(value: Any) -> str:
    return short_id(_text(value))


def _missing(value: Any) -> bool:
    """None, NaN, or pandas' NaT and NA (a value not equal to itself, or NA's type)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in {"NaTType", "NAType"}


def _text(value: Any) -> str:
    if _missing(value):
        return MISSING
    if hasattr(value, "isoformat") and hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M:%S"))
    return terminal_line(value)


def _words(value: Any) -> str:
    """Tags and params as words: ``a, b`` and ``k=v, k2=v2``."""
    if isinstance(value, dict):
        return ", ".join(f"{terminal_line(k)}={terminal_line(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(terminal_line(item) for item in value)
    return _text(value)


def _status(record: dict[str, Any], flag: str) -> str:
    """``ok``, ``failed``, or ``baseline`` for a successful run recorded as its KPI's
    baseline (as the card's badge says; a failed run never is one)."""
    status = _text(record.get("status"))
    value = record.get(flag)
    return "baseline" if status == "ok" and not _missing(value) and bool(value) else status


def _number(value: Any) -> str:
    if _missing(value):
        return MISSING
    try:
        return units.number(float(value))
    except (TypeError, ValueError):
        return terminal_line(value)


def _delta(value: Any, target: Any, wording: Wording) -> str:
    if _missing(value):
        return MISSING
    unit = wording.kpi_units.get(str(target))
    return units.kpi_delta(float(value), unit) if unit is not None else units.number(value)


def _value(record: dict[str, Any], currency: str) -> str:
    mid: Any = record.get("value_per_year")
    low: Any = record.get("value_low")
    high: Any = record.get("value_high")
    if _missing(mid):
        return MISSING
    if _missing(low) or _missing(high):
        return units.money(float(mid), currency, signed=True)
    return units.money_range(float(low), float(mid), float(high), currency, level=None)


# --------------------------------------------------------------------------- sync


#: The column that says where each run stands with a tracking server (bizml_nb.teams).
SYNC = "sync"


def with_sync(
    frame: pd.DataFrame, project: Project, tracking_uri: str | None = None
) -> pd.DataFrame:
    """``frame`` (runs with an ``id`` column) with a ``sync`` column when a tracking server
    is known (``tracking_uri``, ``$MLFLOW_TRACKING_URI`` or bizml.toml's ``[sync]`` key):
    ``pending_sync``, ``pushed``, or ``from mlflow`` for a run pulled or priced from it,
    read from the ledger alone. With no server known, ``frame`` itself, unchanged.

    The column follows the ledger's own ones (``baseline``, ``origin``), before the metrics.
    """
    from bizml_nb.teams.status import known_uri, sync_states

    uri = known_uri(project, tracking_uri)
    if uri is None:
        return frame
    import pandas as pd

    states = sync_states(project, uri)
    plain = pd.DataFrame(frame).copy()
    if SYNC in plain.columns:  # a metric of that name, as bizml_nb.runs() shows it
        plain = plain.rename(columns={SYNC: f"metric.{SYNC}"})
    names = list(plain.columns)
    after = [names.index(c) for c in ("status", "baseline", "is_baseline", "origin") if c in names]
    where = max(after) + 1 if after else len(names)
    plain.insert(where, SYNC, [states.get(str(i), MISSING) for i in plain.get("id", [])])
    if not isinstance(frame, _view_class()):
        return plain
    view = _view_class()(plain)
    view.attrs = dict(frame.attrs)
    return view


# --------------------------------------------------------------------------- the view


_VIEW: list[type[pd.DataFrame]] = []


def runs_view(frame: pd.DataFrame, registry: Registry | None) -> pd.DataFrame:
    """``frame`` as a DataFrame whose text form is :func:`runs_text`.

    The data are the frame's own (nothing rounded or cut); its HTML is pandas'. A frame
    derived from it (a selection, a merge) is a plain DataFrame again, and it pickles as one.
    """
    view = _view_class()(frame)
    view.attrs["bizml_wording"] = Wording.of(registry)
    return view


def _view_class() -> type[pd.DataFrame]:
    if _VIEW:
        return _VIEW[0]
    import pandas as pd

    class RunsFrame(pd.DataFrame):
        """Runs as a DataFrame; shown in a terminal as :func:`runs_text` words them."""

        @property
        def _constructor(self) -> type[pd.DataFrame]:
            return pd.DataFrame

        def __repr__(self) -> str:
            wording = self.attrs.get("bizml_wording")
            return runs_text(self, wording if isinstance(wording, Wording) else Wording())

        def __reduce__(self) -> Any:
            return pd.DataFrame(self).__reduce__()

    RunsFrame.__module__ = __name__
    RunsFrame.__qualname__ = "RunsFrame"
    _VIEW.append(RunsFrame)
    return RunsFrame


__all__ = [
    "Column",
    "Wording",
    "cut",
    "runs_text",
    "runs_view",
    "table_text",
    "terminal_width",
    "with_sync",
]
