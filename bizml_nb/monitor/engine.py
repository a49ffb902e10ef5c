"""Data the monitor does not hold in memory: Parquet files, DuckDB relations, Ibis tables.

A source is opened as an Ibis table and the monitor's statistics are run on it as
aggregate queries (:mod:`bizml_nb.monitor.queries`); only per-chunk summaries come
back. A Parquet path or glob is read by an embedded DuckDB with a memory limit
(``memory_limit``, default ``"1GB"``) and a spill folder (``temp_directory``, default
a folder in the system's temporary directory), so a large check spills to disk
instead of failing. A DuckDB relation runs in its own connection (the queries are
compiled to DuckDB SQL); an Ibis table on its own backend (Spark, BigQuery, ...).
DuckDB and Ibis are imported only here, when such a source is given.

Times with a time zone (DuckDB's TIMESTAMPTZ) are cut into days, weeks and months in
UTC (:func:`utc_wall_clock`), whatever the process's or the session's time zone; the
connections opened here also set the session's ``TimeZone`` to UTC. A TIMESTAMPTZ_NS
column (pandas' nanosecond times with a zone, written to Parquet) is read as
microseconds with its zone, so it counts as a time column.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import did_you_mean
from bizml_nb.monitor.constants import MonitorError

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence

    import ibis.expr.types as ir
    import pandas as pd

MEMORY_LIMIT = "1GB"  # DuckDB's memory limit for Parquet sources; it spills beyond it
CALIBRATION_ROWS = 1_000_000  # (score, label) pairs an engine's reference is calibrated on
FILE = "bizml_file"  # the Parquet file of a row, and its row number in the file
FILE_ROW = "bizml_file_row"
FILE_INDEX = "bizml_file_index"  # DuckDB's number of the file (a whole number: cheaper to compare)
_VIEW = "bizml_source"


def is_engine_source(source: Any) -> bool:
    """A Parquet path or glob, a DuckDB relation or an Ibis table (not a DataFrame)."""
    if isinstance(source, str | Path):
        return True
    kind = type(source)
    module = kind.__module__ or ""
    return (module.startswith("duckdb") and kind.__name__ == "DuckDBPyRelation") or (
        module.startswith("ibis.") and kind.__name__ == "Table"
    )


@dataclass
class Source:
    """An opened source: its Ibis table, a name for messages, and how to run a query."""

    table: ir.Table
    name: str
    files: bool  # a Parquet path: FILE and FILE_ROW columns give the row order
    run: Callable[[ir.Expr], pd.DataFrame]
    progress: Callable[[str], None] = field(default=lambda what: None)
    queries: int = 0
    backend: Any = None  # the monitor's own DuckDB connection (Parquet sources)
    views: int = 0
    sql: bool = False  # a DuckDB relation: the queries are compiled to DuckDB SQL

    def freeze(self, expr: ir.Table) -> ir.Table:
        """``expr`` as a view of the monitor's own DuckDB connection, so that the queries built
        on it compile only their own part (Ibis compiles a large expression, such as the
        calibration map's search, slowly); ``expr`` itself on other backends, whose catalog
        the monitor does not write to."""
        if self.backend is None:
            return expr
        self.views += 1
        name = f"bizml_step_{self.views}"
        view: ir.Table = self.backend.create_view(name, expr, overwrite=True)
        return view

    def execute(self, expr: ir.Expr, what: str) -> pd.DataFrame:
        """Run one query; a failure of the engine becomes one MonitorError naming the source."""
        try:
            out = self.run(expr)
        except MonitorError:
            raise
        except Exception as exc:  # the engine's own errors (I/O, types, memory)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MonitorError(f"cannot read {self.name} ({what}): {first}") from None
        self.queries += 1
        self.progress(what)
        return out

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.table.columns if c not in (FILE, FILE_ROW, FILE_INDEX))

    def require(self, wanted: Sequence[str]) -> None:
        missing = [n for n in wanted if n not in self.columns]
        if missing:
            quoted = ", ".join(repr(m) for m in missing)
            raise MonitorError(
                f"{self.name} lacks the column{'s' if len(missing) > 1 else ''} {quoted}"
                f"{did_you_mean(missing[0], list(self.columns))}"
            )

    def dtype(self, name: str) -> Any:
        return self.table.schema()[name]

    def require_numbers(self, name: str, what: str) -> None:
        dtype = self.dtype(name)
        if not (dtype.is_numeric() or dtype.is_boolean()):
            raise MonitorError(
                f"the {what} column {name!r} of {self.name} must hold numbers (its type is {dtype})"
            )

    def time_columns(self) -> list[str]:
        return [c for c in self.columns if self.dtype(c).is_timestamp() or self.dtype(c).is_date()]

    def utc_wall_clock(self, name: str) -> ir.Value:
        """Column ``name`` as times without a zone: a time with a zone as its UTC wall clock
        (explicitly, not through the session's time zone), a time without one as it is."""
        column: Any = self.table[name]
        dtype = self.dtype(name)
        if not (dtype.is_timestamp() and dtype.timezone is not None):
            return column.cast("timestamp")
        if _backend_name(self) in ("duckdb", "postgres"):
            return _timezone_function()("UTC", column)
        # other backends: their own cast to UTC, then to a time without a zone
        return column.cast(f"timestamp('UTC', {dtype.scale or 6})").cast("timestamp")


def _backend_name(source: Source) -> str:
    if source.backend is not None or source.sql:
        return "duckdb"
    try:
        return str(source.table._find_backend(use_default=True).name)
    except Exception:  # an unbound table: the default backend (DuckDB)
        return "duckdb"


@functools.cache
def _timezone_function() -> Any:
    """DuckDB's and PostgreSQL's ``timezone(zone, timestamptz)``: the wall clock in ``zone``."""
    import ibis
    import ibis.expr.datatypes as dt

    def timezone(zone: Any, ts: Any) -> Any:
        """The wall clock of ``ts`` in ``zone``."""

    # the types as objects: this module's annotations are strings
    timezone.__annotations__ = {
        "zone": str,
        "ts": dt.Timestamp(timezone="UTC"),
        "return": dt.Timestamp(),
    }
    return ibis.udf.scalar.builtin(timezone, name="timezone")


def known_times(table: ir.Table) -> ir.Table:
    """``table`` with its TIMESTAMPTZ_NS columns (unknown to Ibis) as times with the zone UTC."""
    import ibis.expr.datatypes as dt

    fixed = {
        name: table[name].cast(dt.Timestamp(timezone="UTC", scale=6))
        for name, dtype in table.schema().items()
        if dtype.is_unknown() and "TIMESTAMPTZ_NS" in str(dtype).upper()
    }
    return table.mutate(**fixed) if fixed else table


def connect(
    memory_limit: str | None = MEMORY_LIMIT,
    temp_directory: str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> Any:
    """An Ibis DuckDB connection with a memory limit and a folder to spill to."""
    import tempfile

    import ibis

    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise MonitorError(f"threads must be a positive whole number (not {threads!r})")
    folder = (
        Path(temp_directory)
        if temp_directory is not None
        else Path(tempfile.gettempdir()) / "bizml_duckdb"
    )
    config: dict[str, Any] = {"temp_directory": str(folder)}
    if memory_limit is not None:
        config["memory_limit"] = str(memory_limit)
    if threads is not None:
        config["threads"] = threads
    try:
        con = ibis.duckdb.connect(**config)
        con.raw_sql("SET TimeZone = 'UTC'")
        return con
    except Exception as exc:
        raise MonitorError(
            f"cannot start DuckDB with {config}: {str(exc).splitlines()[0]}"
        ) from None


def open_source(
    source: Any,
    *,
    what: str,
    memory_limit: str | None = MEMORY_LIMIT,
    temp_directory: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    progress: Any = None,
) -> Source:
    """The source as an Ibis table: Parquet (DuckDB), a DuckDB relation, or an Ibis table."""
    try:
        import ibis
    except ImportError:
        raise MonitorError(
            f"{what} is not a DataFrame: reading it needs DuckDB and Ibis "
            '(pip install "bizml_nb[monitor]")'
        ) from None
    if isinstance(source, str | Path):
        return _parquet(
            str(source),
            what,
            memory_limit=memory_limit,
            temp_directory=temp_directory,
            threads=threads,
            progress=progress,
        )
    kind = type(source)
    if kind.__name__ == "DuckDBPyRelation":
        return _relation(source, what, progress)
    name = f"{what} (an Ibis table)"
    del ibis

    def run(expr: Any) -> pd.DataFrame:
        out: pd.DataFrame = expr.execute()  # on the table's backend (a memtable: Ibis's default)
        return out

    files = FILE in source.columns and FILE_ROW in source.columns  # spark.read_parquet's
    return Source(known_times(source), name, files, run, _progress(progress))


def _parquet(
    path: str,
    what: str,
    *,
    memory_limit: str | None,
    temp_directory: str | os.PathLike[str] | None,
    threads: int | None,
    progress: Any,
) -> Source:
    import glob

    name = f"{what} ({path})"
    remote = "://" in path
    if not remote:
        if any(ch in path for ch in "*?["):
            if not glob.glob(path, recursive=True):
                raise MonitorError(f"{name}: no file matches {path!r}")
        elif not Path(path).is_file():
            raise MonitorError(f"{name}: {path!r} is not a file")
    con = connect(memory_limit, temp_directory, threads)
    try:
        table = con.read_parquet(path, filename=FILE, file_row_number=True)
        if "file_index" not in table.columns:  # else DuckDB's virtual column is hidden
            # the file's number beside its name: row positions then compare numbers, not text
            quoted = "'" + path.replace("'", "''") + "'"
            con.raw_sql(
                f"CREATE OR REPLACE TEMP VIEW bizml_parquet AS SELECT *, file_index AS "
                f"{FILE_INDEX} FROM read_parquet({quoted}, filename='{FILE}', "
                "file_row_number=true)"
            )
            table = con.table("bizml_parquet")
        table = known_times(table.rename({FILE_ROW: "file_row_number"}))
    except Exception as exc:
        raise MonitorError(
            f"cannot read {name} as Parquet: {str(exc).strip().splitlines()[0]}"
        ) from None
    return Source(table, name, True, con.execute, _progress(progress), backend=con)


def _relation(rel: Any, what: str, progress: Any) -> Source:
    """A DuckDB relation, queried in its own connection through SQL compiled from Ibis."""
    import ibis

    name = f"{what} (a DuckDB relation)"
    try:
        schema = ibis.Schema.from_pyarrow(rel.limit(0).to_arrow_table().schema)
    except Exception as exc:
        raise MonitorError(f"cannot read {name}: {str(exc).strip().splitlines()[0]}") from None
    table = ibis.table(schema, name=_VIEW)

    def run(expr: Any) -> pd.DataFrame:
        sql = ibis.to_sql(expr, dialect="duckdb")
        out: pd.DataFrame = rel.query(_VIEW, str(sql)).to_df()
        return out

    return Source(table, name, False, run, _progress(progress), sql=True)


def _progress(progress: Any) -> Callable[[str], None]:
    """``progress``: None or False (quiet), True (a bar: tqdm.auto if installed), or a
    function called with (queries done, queries planned, what) after each query."""
    if progress is None or progress is False:
        return lambda what: None
    if callable(progress):
        return _Counter(progress)
    if progress is True:
        return _Bar()
    raise MonitorError(f"progress must be True, False or a function (not {progress!r})")


class _Counter:
    def __init__(self, report: Callable[[int, int, str], None]) -> None:
        self.report = report
        self.done = 0
        self.total = 0

    def __call__(self, what: str) -> None:
        self.done += 1
        self.report(self.done, max(self.total, self.done), what)


class _Bar(_Counter):
    def __init__(self) -> None:
        super().__init__(self._show)
        self.bar: Any = None

    def _show(self, done: int, total: int, what: str) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            print(f"bizml monitor: query {done}/{total}: {what}", flush=True)
            return
        if self.bar is None:
            self.bar = tqdm(total=total, desc="bizml monitor", unit="query")
        self.bar.total = total
        self.bar.set_postfix_str(what, refresh=False)
        self.bar.update(1)
        if done >= total:
            self.bar.close()


def plan(source: Source, total: int) -> None:
    """Tell the progress report how many queries the check will run."""
    if isinstance(source.progress, _Counter):
        source.progress.total = total
