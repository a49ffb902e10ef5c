"""The monitor on Spark in local mode (local[2]) through Ibis: every figure equals the pandas path's.

One session for the module (Spark starts once, about 10 s); small data, few queries. In CI
(`.ci/run`) Java and pyspark are installed and BIZML_NO_SKIP=1 turns a skip into a failure.
"""

from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="the Spark tests need pyspark (pip install -e '.[test]')")
ibis = pytest.importorskip("ibis")
if shutil.which("java") is None:
    pytest.skip(
        "the Spark tests need Java (apt-get install default-jre-headless)", allow_module_level=True
    )

from bizml_nb.interfaces.datasets import classifier_drift  # noqa: E402
from bizml_nb.monitor import MonitorError, Reference  # noqa: E402
from bizml_nb.monitor import spark as monitor_spark  # noqa: E402
from bizml_nb.monitor.spark import local_session, read_parquet  # noqa: E402
from tests.test_monitor_engines import (  # noqa: E402
    ALL,
    DAYS,
    FEATURES,
    MONTHS,
    WEEKS,
    alike,
    same,
    zoned,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

JS = ("jensen_shannon",)
KW: dict[str, Any] = {
    "features": FEATURES,
    "prediction": "prediction",
    "proba": "proba",
    "target": "target",
}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = local_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A reference (isotonic calibration map) and 9,000 rows to check, as a DataFrame and as
    three Parquet files written by pandas (nanosecond times); labels for the first part only."""
    data = classifier_drift(6_000, 9_000, n_features=3, seed=3)
    reference = data.reference.assign(segment=data.reference["segment"].astype(str))
    ref = Reference.fit(reference, **KW)
    assert ref.calibration["isotonic"]
    df = data.analysis.reset_index(drop=True)
    rng = np.random.default_rng(1)
    df["x2"] = df["x2"].where(rng.random(len(df)) > 0.03)  # missing values
    df["segment"] = df["segment"].astype(str)
    df.loc[rng.random(len(df)) < 0.02, "segment"] = "never seen"
    df["target"] = df["target"].astype(float).where(np.arange(len(df)) < 5_000)
    df["row_id"] = np.arange(len(df))
    assert df["timestamp"].dtype == "datetime64[ns]"
    folder = tmp_path_factory.mktemp("spark_logs")
    for i, part in enumerate(np.array_split(np.arange(len(df)), 3)):
        df.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    reference.iloc[:2_500].to_parquet(folder / "ref-a.parquet", index=False)
    reference.iloc[2_500:].to_parquet(folder / "ref-b.parquet", index=False)
    return {"ref": ref, "df": df, "reference": reference, "folder": folder}


def test_local_session_is_local_quiet_and_in_utc(spark: Any) -> None:
    conf = spark.sparkContext.getConf()
    assert spark.sparkContext.master == "local[2]"
    assert conf.get("spark.ui.enabled") == "false"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert conf.get("spark.pyspark.python") == sys.executable


def test_time_chunks_by_day_week_month_equal_the_dataframe(
    spark: Any, case: dict[str, Any]
) -> None:
    ref, df = case["ref"], case["df"]
    table = read_parquet(str(case["folder"] / "part-*.parquet"), session=spark)
    assert "bizml_file" in table.columns  # the row's file and place, hidden from the monitor
    for word, freq, methods in (("day", "D", ALL), ("week", "W", JS), ("month", "M", JS)):
        expected = ref.check(df, by="timestamp", freq=freq, methods=methods)
        got = ref.check(table, chunk_by=word, methods=methods)
        same(expected, got, positions=False)
        assert got.chunks[0] == str(pd.Timestamp(df["timestamp"].min()).to_period(freq))
    assert not np.isnan(got.performance["accuracy"].realised[0])  # labels there


def test_times_with_a_zone_are_cut_in_utc_whatever_the_session_zone(
    spark: Any, case: dict[str, Any], tmp_path: Path
) -> None:
    ref = case["ref"]
    for start, step, cuts in (
        ("2026-01-01 00:00", "min", [("day", DAYS)]),
        ("2026-01-31 20:00", "2min", [("week", WEEKS), ("month", MONTHS)]),
    ):
        df = zoned(case["df"], start, step, "ns")  # New York times, nanoseconds
        path = tmp_path / f"zoned-{step}.parquet"
        df.to_parquet(path, index=False)
        table = read_parquet(path, session=spark)
        spark.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
        try:
            for word, (chunks, rows) in cuts:
                got = ref.check(table, chunk_by=word)
                assert got.chunks == chunks
                assert list(got.rows) == rows
                same(ref.check(df, chunk_by=word), got, positions=False)
        finally:
            spark.conf.set("spark.sql.session.timeZone", "UTC")


def test_category_chunks_and_a_spark_table_through_ibis(spark: Any, case: dict[str, Any]) -> None:
    ref, df = case["ref"], case["df"]
    frame = spark.createDataFrame(df.drop(columns=["timestamp"]))
    frame.createOrReplaceTempView("bizml_test_logs")
    table = ibis.pyspark.connect(spark).table("bizml_test_logs")
    same(ref.check(df, by="segment"), ref.check(table, chunk_by="segment"), positions=False)


def test_row_chunks_follow_the_files_or_order_by(spark: Any, case: dict[str, Any]) -> None:
    ref, df = case["ref"], case["df"]
    table = read_parquet(case["folder"] / "part-*.parquet", session=spark)
    expected = ref.check(df, chunk_size=2_000, methods=ALL)
    got = ref.check(table, chunk_size=2_000, methods=ALL)
    same(expected, got)
    assert got.starts == (0, 2_000, 4_000, 6_000, 8_000)
    assert np.isnan(got.performance["accuracy"].realised[-1])  # no labels there
    shuffled = spark.createDataFrame(
        df.sample(frac=1.0, random_state=0).drop(columns=["timestamp"])
    )
    shuffled.createOrReplaceTempView("bizml_test_shuffled")
    ordered = ibis.pyspark.connect(spark).table("bizml_test_shuffled")
    same(ref.check(df, chunks=3), ref.check(ordered, chunks=3, order_by="row_id"))
    with pytest.raises(MonitorError, match="order_by=COLUMN"):
        ref.check(ordered, chunk_size=2_000)


def test_files_whose_names_spark_escapes_keep_the_order_of_their_names(
    spark: Any, case: dict[str, Any], tmp_path: Path
) -> None:
    # Spark names a file by its URI ("a%20b.parquet"); in bytes "a b" < "a!b" < "a%20b", so
    # ordering the URIs would put a!b first, where DuckDB and pandas put "a b"
    ref, df = case["ref"], case["df"]
    names = ["a b.parquet", "a!b.parquet", "a+b.parquet"]
    for name, part in zip(names, np.array_split(np.arange(len(df)), 3), strict=True):
        df.iloc[part].to_parquet(tmp_path / name, index=False)
    expected = ref.check(df, chunk_size=2_000, methods=JS)
    same(expected, ref.check(str(tmp_path / "*.parquet"), chunk_size=2_000, methods=JS))
    table = read_parquet(tmp_path / "*.parquet", session=spark)
    same(expected, ref.check(table, chunk_size=2_000, methods=JS))


def test_fit_on_spark_equals_the_dataframe_fit(spark: Any, case: dict[str, Any]) -> None:
    a = Reference.fit(case["reference"], **KW)
    table = read_parquet(case["folder"] / "ref-*.parquet", session=spark)
    b = Reference.fit(table, **KW)
    alike(a.to_record(), b.to_record())  # quantiles, edges, calibration map (file order)
    same(a.check(case["df"], methods=ALL), b.check(case["df"], methods=ALL))


def test_bad_sources_are_named(spark: Any, case: dict[str, Any], tmp_path: Path) -> None:
    ref, df = case["ref"], case["df"]
    with pytest.raises(MonitorError, match=r"no Parquet file matches .*nothing-\*\.parquet"):
        read_parquet(tmp_path / "nothing-*.parquet", session=spark)
    with pytest.raises(MonitorError, match="is not a file"):
        read_parquet(tmp_path / "absent.parquet", session=spark)
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(MonitorError, match=r"cannot read .*bad\.parquet' as Parquet on Spark"):
        read_parquet(tmp_path / "bad.parquet", session=spark)
    df.drop(columns=["x1"]).to_parquet(tmp_path / "no_x1.parquet")
    with pytest.raises(
        MonitorError, match=r"the data to check \(an Ibis table\) lacks the column 'x1'"
    ):
        ref.check(read_parquet(tmp_path / "no_x1.parquet", session=spark), chunk_by="day")
    df.assign(x0="text").to_parquet(tmp_path / "text.parquet")
    with pytest.raises(MonitorError, match=r"numeric feature column 'x0' of .*must hold numbers"):
        ref.check(read_parquet(tmp_path / "text.parquet", session=spark), chunk_by="day")


def test_without_pyspark_or_java_the_message_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if not installed
    with pytest.raises(MonitorError, match=r"pip install 'bizml_nb\[spark\]'"):
        local_session()
    with pytest.raises(MonitorError, match=r"pip install 'bizml_nb\[spark\]'"):
        read_parquet("logs/*.parquet")
    monkeypatch.undo()
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(monitor_spark.shutil, "which", lambda name: None)
    with pytest.raises(
        MonitorError, match=r"Spark needs Java: .*apt-get install default-jre-headless"
    ):
        local_session()


def test_the_searches_as_udfs_equal_numpy(spark: Any) -> None:
    """Above CASE_LIMIT breakpoints the quantile-grid bin and the calibration map are UDFs
    on Spark; they give np.searchsorted's and np.interp's values, ties and ends included."""
    from bizml_nb.monitor import queries

    rng = np.random.default_rng(7)
    grid = np.unique(np.round(rng.normal(size=4 * monitor_spark.CASE_LIMIT), 3))
    assert len(grid) > monitor_spark.CASE_LIMIT
    levels = np.sort(rng.random(len(grid)))
    x = np.concatenate([rng.normal(size=3_000), grid[:50], [grid[0] - 1.0, grid[-1] + 1.0]])
    frame = spark.createDataFrame(pd.DataFrame({"i": np.arange(len(x)), "x": x}))
    frame.createOrReplaceTempView("bizml_test_search")
    t = ibis.pyspark.connect(spark).table("bizml_test_search")
    found = (
        t.select(
            "i",
            bin=queries.rank_below(t.x, list(grid)),
            p=queries.interp(t.x, list(grid), list(levels)),
        )
        .execute()
        .sort_values("i")
    )
    np.testing.assert_array_equal(found["bin"], np.searchsorted(grid, x, side="left"))
    np.testing.assert_array_equal(found["p"], np.interp(x, grid, levels))
