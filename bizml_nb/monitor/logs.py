"""A check of logs on disk: a saved reference against Parquet files or a CSV file, as a page.

What ``bizml monitor`` does, callable from Python::

    result = check_logs("monitor/reference.json", "logs/*.parquet", chunk_by="day")
    write_page(result, "monitor.html")  # refuses an existing file unless force=True

The data to check is chosen by its name: a path ending in ``.parquet`` or ``.pq``, a
glob (``*``, ``?``, ``[``) or a remote address (``s3://...``) is Parquet, read by an
engine (DuckDB, or Spark through :mod:`bizml_nb.monitor.spark`) without loading it;
a ``.csv`` file is read into pandas (:func:`read_csv`, as the monitoring template
reads it). ``engine="pandas"`` reads Parquet into memory too, in the row order an
engine uses (files sorted by name, then their rows).
"""

from __future__ import annotations

import glob
import html
import importlib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from bizml_nb.core._io import atomic_write_text
from bizml_nb.core.outputs import check_target, make_folder
from bizml_nb.monitor.constants import MonitorError
from bizml_nb.monitor.decision import ACTIONS, decide
from bizml_nb.monitor.engine import MEMORY_LIMIT, is_engine_source

if TYPE_CHECKING:
    import os

    import pandas as pd

    from bizml_nb.monitor.decision import Decision
    from bizml_nb.monitor.pricing import ValueSource
    from bizml_nb.monitor.reference import Reference
    from bizml_nb.monitor.result import MonitorResult

#: the engines that read Parquet: DuckDB (embedded), Spark (local or a given session), pandas
ENGINES = ("duckdb", "spark", "pandas")
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv",)
_GLOB = "*?["


def is_parquet(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names Parquet data: a ``.parquet``/``.pq`` file, a glob, or an address.

    >>> is_parquet("logs/*.parquet"), is_parquet("day.pq"), is_parquet("recent.csv")
    (True, True, False)
    """
    text = str(path)
    return (
        any(ch in text for ch in _GLOB)
        or "://" in text
        or PurePosixPath(text).suffix.lower() in PARQUET_SUFFIXES
    )


def is_csv(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names one CSV file (by its extension, not a glob)."""
    return not is_parquet(path) and PurePosixPath(str(path)).suffix.lower() in CSV_SUFFIXES


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV file, with text columns that hold dates read as dates."""
    import contextlib

    import pandas as pd

    frame = pd.read_csv(path)
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue
        with contextlib.suppress(ValueError, TypeError):
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


def parquet_rows(path: str | os.PathLike[str]) -> int | None:
    """The rows of a local Parquet file or glob, from the files' footers (None: unknown)."""
    text = str(path)
    if "://" in text:
        return None
    files = [f for f in glob.glob(text, recursive=True) if Path(f).is_file()]
    try:
        pq: Any = importlib.import_module("pyarrow.parquet")
        return sum(int(pq.ParquetFile(f).metadata.num_rows) for f in files)
    except Exception:  # no pyarrow, or not Parquet: the engine names the problem
        return None


def parquet_columns(path: str | os.PathLike[str]) -> list[str] | None:
    """The column names of one Parquet file, from its footer (None if it cannot be read)."""
    try:
        pq: Any = importlib.import_module("pyarrow.parquet")
        return [str(name) for name in pq.read_schema(path).names]
    except Exception:  # no pyarrow, or not Parquet: loading the data names the problem
        return None


def data_of(path: str | os.PathLike[str], *, engine: str | None = None, what: str) -> Any:
    """The data at ``path`` as :meth:`Reference.check` takes it.

    Parquet: the path itself for DuckDB (the default), an Ibis table on Spark, a
    DataFrame with ``engine="pandas"``. A CSV file: a DataFrame (only pandas reads it).
    ``what`` names the data in messages (``"the data to check"``).
    """
    text = str(path)
    name = f"{what} ({text})"
    if engine is not None and engine not in ENGINES:
        raise MonitorError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if is_csv(text):
        if engine not in (None, "pandas", "duckdb"):
            raise MonitorError(
                f"{name} is a CSV file, read with pandas; the {engine} engine reads Parquet"
            )
        if not Path(text).is_file():
            raise MonitorError(f"{name}: {text!r} is not a file")
        try:
            return read_csv(text)
        except Exception as exc:  # pandas' own errors: encoding, parsing, an empty file
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MonitorError(f"cannot read {name} as CSV: {first}") from None
    if not is_parquet(text):
        raise MonitorError(
            f"{name} is neither Parquet (a .parquet or .pq file, or a glob of them) nor a "
            "CSV file (.csv)"
        )
    if engine in (None, "duckdb"):
        return text  # Reference.check reads it with DuckDB, out of core
    files = _files(text, name)
    if engine == "pandas":
        return _pandas_parquet(files, name)
    from bizml_nb.monitor.spark import read_parquet

    try:
        return read_parquet(text)
    except MonitorError:
        raise
    except Exception as exc:  # Spark's own errors (no Java, a file that is not Parquet)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MonitorError(f"cannot read {name} on Spark: {first}") from None


def _files(path: str, name: str) -> list[str]:
    """The local files a Parquet path or glob names, sorted by name as bytes."""
    if "://" in path:
        return [path]
    if any(ch in path for ch in _GLOB):
        found = [f for f in glob.glob(path, recursive=True) if Path(f).is_file()]
        if not found:
            raise MonitorError(f"{name}: no file matches {path!r}")
        return sorted(found, key=lambda f: f.encode("utf-8", "surrogateescape"))
    if not Path(path).is_file():
        raise MonitorError(f"{name}: {path!r} is not a file")
    return [path]


def _pandas_parquet(files: list[str], name: str) -> pd.DataFrame:
    import pandas as pd

    try:
        frames = [pd.read_parquet(f) for f in files]
    except Exception as exc:  # pyarrow's own errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MonitorError(f"cannot read {name} as Parquet: {first}") from None
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def check_logs(
    reference: Reference | str | os.PathLike[str],
    analysis: Any,
    *,
    engine: str | None = None,
    chunk_by: int | str | None = None,
    chunk_size: int | None = None,
    by: str | None = None,
    order_by: str | None = None,
    value: ValueSource = None,
    kpi: str | None = None,
    currency: str | None = None,
    memory_limit: str | None = MEMORY_LIMIT,
    temp_directory: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    progress: Any = None,
) -> MonitorResult:
    """Check ``analysis`` against ``reference`` (a :class:`Reference` or the path of its JSON).

    ``analysis``: a Parquet path or glob, or a CSV file (see the module's doc), or
    anything :meth:`Reference.check` takes. ``engine`` reads Parquet (``"duckdb"`` by
    default, ``"spark"``, ``"pandas"``). Without ``chunk_by``, ``chunk_size`` or ``by``
    the check cuts the rows into its default 10 equal parts. The other keywords are
    :meth:`Reference.check`'s; ``memory_limit``, ``temp_directory`` and ``threads`` apply
    to DuckDB.
    """
    from bizml_nb.monitor.reference import Reference

    if not isinstance(reference, Reference):
        reference = Reference.load(reference)
    data = (
        data_of(analysis, engine=engine, what="the data to check")
        if isinstance(analysis, str | Path)
        else analysis
    )
    keywords: dict[str, Any] = {
        "chunk_by": chunk_by,
        "chunk_size": chunk_size,
        "by": by,
        "order_by": order_by,
        "value": value,
        "kpi": kpi,
        "currency": currency,
        "memory_limit": memory_limit,
        "temp_directory": temp_directory,
        "threads": threads,
        "progress": progress,
    }
    try:
        return reference.check(data, **keywords)
    except MonitorError as exc:
        if data is analysis or is_engine_source(data):
            raise  # the engine's messages name the source
        raise MonitorError(_named(str(exc), f"the data to check ({analysis})")) from None


def _named(message: str, name: str) -> str:
    """``message`` about data read into memory, naming the file it was read from.

    >>> _named("the data to check lacks the column 'x1'", "the data to check (a.csv)")
    "the data to check (a.csv) lacks the column 'x1'"
    >>> _named("column 'x0' must hold numbers", "the data to check (a.csv)")
    "the data to check (a.csv): column 'x0' must hold numbers"
    """
    if message.startswith("the data to check"):
        return name + message.removeprefix("the data to check")
    return f"{name}: {message}"


def decision_of(result: MonitorResult) -> Decision | None:
    """The decision on a priced result (None when it was checked without ``value=``).

    Labels that came with the data decide too (:func:`~bizml_nb.monitor.decision.decide`
    with ``labels_used``): a loss they show calls for retraining.
    """
    if result.value is None:
        return None
    labelled = bool(result.labelled.sum() > 0)
    return decide(result, result if labelled else None, labels_used=labelled)


def at_least(action: str, level: str) -> bool:
    """Whether ``action`` is ``level`` or more urgent (retrain > investigate > no action).

    >>> at_least("retrain", "investigate"), at_least("no action", "investigate")
    (True, False)
    """
    if level not in ACTIONS:
        raise MonitorError(f"unknown level {level!r}; use one of {', '.join(ACTIONS)}")
    return ACTIONS.index(action) <= ACTIONS.index(level)


_STYLE = (
    "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1000px;"
    "margin:24px auto;color:#1f2328;line-height:1.45;padding:0 16px}"
    "h1{font-size:22px}.muted{color:#57606a;font-size:13px}"
    ".bizml-decision{background:#f6f8fa;border-left:4px solid #0969da;padding:8px 16px}"
    "img{max-width:100%}"
)


def page_html(result: MonitorResult, *, title: str, chart: bool = True) -> str:
    """A standalone HTML page: the title, the decision when priced, the result's card
    (:meth:`MonitorResult.html`) and its chart as an embedded PNG. Every string from the
    data or the user is escaped; the page needs no network."""
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    decision = decision_of(result)
    if decision is not None:
        parts.append(
            f"<p class='bizml-decision'><b>{e(decision.action)}</b>: {e(decision.reason)}</p>"
        )
    parts.append(result.html())
    if chart:
        parts.append(_chart_html(result))
    parts.append("</body></html>\n")
    return "".join(parts)


def _chart_html(result: MonitorResult) -> str:
    import base64

    import matplotlib.pyplot as plt

    from bizml_nb.core.figures import figure_png

    figure = result.plot()
    try:
        png = figure_png(figure)
    finally:
        plt.close(figure)
    data = base64.b64encode(png).decode("ascii")
    return (
        "<p class='muted'>Chunk by chunk: estimates with their band (+-3 SE), the value per "
        "year where priced, and each column's drift over its threshold (above 1: an alert).</p>"
        f"<img alt='the check, chunk by chunk' src='data:image/png;base64,{data}'>"
    )


def write_page(
    result: MonitorResult,
    out: str | os.PathLike[str],
    *,
    title: str = "bizml monitor",
    force: bool = False,
    flag: str = "force=True",
) -> Path:
    """Write :func:`page_html` to ``out`` atomically; an existing file only with ``force``."""
    target = Path(out)
    check_target(target, force=force, flag=flag)
    text = page_html(result, title=title)
    make_folder(target)
    atomic_write_text(target, text, force=force, flag=flag)
    return target


__all__ = [
    "ENGINES",
    "at_least",
    "check_logs",
    "data_of",
    "decision_of",
    "is_csv",
    "is_parquet",
    "page_html",
    "parquet_columns",
    "parquet_rows",
    "read_csv",
    "write_page",
]
