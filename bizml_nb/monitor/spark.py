"""The monitor on Spark: a quiet local session, Parquet logs as an Ibis table, two searches.

``Reference.check`` and ``Reference.fit`` take an Ibis table on any backend; this module
gives Spark what it lacks for that. :func:`local_session` starts Spark in local mode
(``local[2]``) with small shuffles, no UI, the session time zone UTC and few logs;
:func:`read_parquet` opens Parquet files as an Ibis table with each row's file and
place in it, so that row chunks follow the files' order as with DuckDB, and with
times in a form Spark reads whatever the session's time zone.

Two statistics are searches over sorted breakpoints: the calibration map
(``np.interp``) and the quantile-grid bin (``np.searchsorted``). On every engine
they are nested ``CASE`` expressions (:mod:`bizml_nb.monitor.queries`), but on
Spark such an expression over a 1,001-point quantile grid, in the histograms'
aggregate, is Java code beyond the JVM's 64 KB limit for one method: Spark logs the
failed compilation (a long stack trace) and interprets the plan instead, about
2.5 s per numeric column even at 24,000 rows. So on Spark a search over more than
:data:`CASE_LIMIT` breakpoints is a vectorized pandas UDF (:func:`searchsorted`,
:func:`interp`) calling the NumPy function the DataFrame path calls, in Spark's
Python workers (``spark.pyspark.python`` is this interpreter in a
:func:`local_session`); a smaller one stays a ``CASE``, which Spark compiles.

pyspark and the JVM are imported only inside the functions.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.monitor.constants import MonitorError
from bizml_nb.monitor.engine import FILE, FILE_ROW

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir
    from pyspark.sql import SparkSession

INSTALL = "pip install 'bizml_nb[spark]'"
JAVA = (
    "Spark needs Java: install a Java runtime (`apt-get install default-jre-headless`, "
    "or Java 17 or 21 from elsewhere) and put `java` on the PATH or set JAVA_HOME"
)
# Above this many breakpoints a search is a UDF on Spark: 512 still compiles (measured)
CASE_LIMIT = 512
_EPOCH = "TIMESTAMP_NTZ'1970-01-01 00:00:00'"
_views = itertools.count(1)


def _pyspark() -> Any:
    try:
        import ibis.backends.pyspark  # noqa: F401
        import pyspark
    except ImportError:
        raise MonitorError(f"the monitor on Spark needs pyspark and Ibis: `{INSTALL}`") from None
    return pyspark


def _java() -> None:
    import os

    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return
    if shutil.which("java") is None:
        raise MonitorError(JAVA)


def local_session(master: str = "local[2]", **conf: Any) -> SparkSession:
    """A Spark session in local mode for the monitor, quiet and small.

    No web UI and no progress bars, ``spark.sql.shuffle.partitions`` 4 (the monitor's
    groups are per chunk: small), the session time zone UTC, 1 GB for the driver (the
    executors run in it in local mode), only errors in the log, the driver on
    127.0.0.1 (for a ``local`` master), and this Python for the workers. ``conf`` adds or overrides Spark
    settings: ``local_session(**{"spark.driver.memory": "4g"})``. An existing session
    is returned as it is (Spark has one per process; its static settings stay).
    """
    import sys

    _pyspark()
    _java()
    from pyspark.sql import SparkSession

    settings: dict[str, Any] = {
        "spark.app.name": "bizml monitor",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": "1g",
        "spark.log.level": "ERROR",
        "spark.pyspark.python": sys.executable,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }
    if master.startswith("local"):  # nothing but this machine needs to reach the driver
        settings.update({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"})
    settings.update(conf)
    builder = SparkSession.builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: most often no usable Java
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MonitorError(f"cannot start Spark ({master}): {first}. {JAVA}") from None


def read_parquet(path_or_glob: str | Path, *, session: SparkSession | None = None) -> ir.Table:
    """Parquet files as an Ibis table on Spark, for ``Reference.check`` and ``Reference.fit``.

    ``path_or_glob`` is a file, a folder of Parquet files or a glob (as Spark reads it;
    ``s3a://...`` too); ``session`` defaults to the active session, else a
    :func:`local_session`. Each row carries its file and its place in the file (hidden
    from the monitor's columns), so row chunks need no ``order_by``: the files sorted
    by path, then the rows in each. Times with a zone (Spark's TIMESTAMP) become their
    UTC wall clock as TIMESTAMP_NTZ, so days, weeks and months are cut in UTC whatever
    the session's time zone, as for a DataFrame; pandas' nanosecond times, which Spark
    cannot read as times, are read as microseconds (this sets the session's
    ``spark.sql.legacy.parquet.nanosAsLong``).
    """
    _pyspark()
    import ibis

    path = str(path_or_glob)
    local = "://" not in path
    files = _local_files(path) if local else []
    spark = session
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession() or local_session()
    nanos = _nanosecond_times(files)
    if nanos:
        spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
    try:
        frame = spark.read.parquet(path)
        columns = [_as_time(name, dtype, nanos.get(name)) for name, dtype in _fields(frame)]
        frame = frame.selectExpr(
            *columns, f"_metadata.file_path AS {FILE}", f"_metadata.row_index AS {FILE_ROW}"
        )
        view = f"bizml_parquet_{next(_views)}"
        frame.createOrReplaceTempView(view)
        table: ir.Table = ibis.pyspark.connect(spark).table(view)
    except MonitorError:
        raise
    except Exception as exc:  # Spark's own errors: not Parquet, unreadable, a type it lacks
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MonitorError(f"cannot read {path!r} as Parquet on Spark: {first}") from None
    return table


def _local_files(path: str) -> list[str]:
    """The Parquet files a local path or glob names; one MonitorError if there are none."""
    import glob

    if any(ch in path for ch in "*?["):
        found = sorted(glob.glob(path, recursive=True))
        if not found:
            raise MonitorError(f"no Parquet file matches {path!r}")
        return found
    where = Path(path)
    if where.is_dir():
        found = sorted(str(p) for p in where.rglob("*.parquet"))
        if not found:
            raise MonitorError(f"the folder {path!r} holds no Parquet file")
        return found
    if not where.is_file():
        raise MonitorError(f"{path!r} is not a file")
    return [path]


def _nanosecond_times(files: Sequence[str]) -> dict[str, bool]:
    """The nanosecond time columns of the first file, each with whether it has a zone."""
    if not files:
        return {}
    import importlib

    try:  # pyarrow comes with ibis' pyspark backend; untyped, so imported as Any
        pa: Any = importlib.import_module("pyarrow")
        schema = importlib.import_module("pyarrow.parquet").read_schema(files[0])
    except Exception:  # not Parquet: Spark's own message follows
        return {}
    return {
        field.name: field.type.tz is not None
        for field in schema
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns"
    }


def _fields(frame: Any) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.typeName()) for f in frame.schema.fields]


def _as_time(name: str, dtype: str, nanos_zoned: bool | None) -> str:
    """Spark SQL for column ``name``: a time with a zone as its UTC wall clock without one,
    nanoseconds (read as a long) as microseconds, anything else as it is."""
    column = "`" + name.replace("`", "``") + "`"
    if nanos_zoned is not None and dtype == "long":  # nanoseconds since the epoch
        micros = f"(({column} - pmod({column}, 1000)) div 1000)"  # floor, also before 1970
        return f"timestampadd(MICROSECOND, {micros}, {_EPOCH}) AS {column}"
    if dtype == "timestamp":  # an instant: its UTC wall clock, not the session's
        return f"timestampadd(MICROSECOND, unix_micros({column}), {_EPOCH}) AS {column}"
    return column


def on_spark(expr: ir.Expr) -> bool:
    """Whether ``expr`` runs on Spark (Ibis' pyspark backend)."""
    try:
        return str(expr._find_backend(use_default=False).name) == "pyspark"
    except Exception:  # unbound (a DuckDB relation's table) or several backends
        return False


def searchsorted(x: ir.FloatingValue, grid: Sequence[float]) -> ir.IntegerValue:
    """``np.searchsorted(grid, x, side="left")`` per row, as a vectorized UDF on Spark."""
    import ibis
    import ibis.expr.datatypes as dt
    import numpy as np

    points = np.asarray(grid, dtype=np.float64)

    def bizml_grid_bin(values: Any) -> Any:
        import numpy as np
        import pandas as pd

        found = np.searchsorted(points, values.to_numpy(dtype=np.float64, na_value=np.nan))
        return pd.Series(found.astype(np.int64), index=values.index)

    udf = ibis.udf.scalar.pandas(bizml_grid_bin, signature=((dt.float64,), dt.int64))
    result: ir.IntegerValue = udf(x)
    return result


def interp(x: ir.FloatingValue, xs: Sequence[float], ys: Sequence[float]) -> ir.FloatingValue:
    """``np.interp(x, xs, ys)`` per row, as a vectorized UDF on Spark."""
    import ibis
    import ibis.expr.datatypes as dt
    import numpy as np

    at, to = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)

    def bizml_calibrated(values: Any) -> Any:
        import numpy as np
        import pandas as pd

        return pd.Series(
            np.interp(values.to_numpy(dtype=np.float64, na_value=np.nan), at, to),
            index=values.index,
        )

    udf = ibis.udf.scalar.pandas(bizml_calibrated, signature=((dt.float64,), dt.float64))
    result: ir.FloatingValue = udf(x)
    return result
