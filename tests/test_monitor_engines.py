"""The monitor on data an engine reads: Parquet (DuckDB), a DuckDB relation, an Ibis table.

Every figure of the result must equal the pandas path's on the same rows, to
floating-point rounding, for row, time and category chunks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

duckdb = pytest.importorskip("duckdb")
ibis = pytest.importorskip("ibis")

from bizml_nb.interfaces.datasets import classifier_drift  # noqa: E402
from bizml_nb.monitor import MonitorError, Reference  # noqa: E402
from bizml_nb.monitor.engine import connect  # noqa: E402

ALL = ("jensen_shannon", "psi", "kolmogorov_smirnov", "wasserstein", "chi2")
FEATURES = ["x0", "x1", "x2", "segment"]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = classifier_drift(12_000, 24_000, n_features=3, seed=3)
    ref = Reference.fit(
        data.reference, features=FEATURES, prediction="prediction", proba="proba", target="target"
    )
    df = data.analysis.reset_index(drop=True)
    rng = np.random.default_rng(1)
    df["x2"] = df["x2"].where(rng.random(len(df)) > 0.03)  # missing values
    df["segment"] = df["segment"].astype(str)
    df.loc[rng.random(len(df)) < 0.01, "segment"] = "never seen"
    target = df["target"].astype(float)
    df["target"] = target.where(np.arange(len(df)) < 15_000)  # labels for the first part only
    df["row_id"] = np.arange(len(df))
    folder = tmp_path_factory.mktemp("logs")
    for i, part in enumerate(np.array_split(np.arange(len(df)), 3)):
        df.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    return {"ref": ref, "df": df, "glob": str(folder / "*.parquet"), "folder": folder}


def same(a: Any, b: Any, *, positions: bool = True) -> None:
    """Every figure of two results alike (to 1e-9), and every text equal."""
    fa, fb = a.to_frame(), b.to_frame()
    if not positions:
        fa = fa.drop(columns=[c for c in ("start", "end") if c in fa])
        fb = fb.drop(columns=[c for c in ("start", "end") if c in fb])
    assert list(fa.columns) == list(fb.columns)
    assert fa.shape == fb.shape
    assert len(fa) > 0
    numeric = fa.select_dtypes("number").columns
    np.testing.assert_allclose(
        fa[numeric].to_numpy(float), fb[numeric].to_numpy(float), rtol=1e-9, atol=1e-12
    )
    rest = [c for c in fa.columns if c not in numeric]
    pd.testing.assert_frame_equal(fa[rest], fb[rest], check_dtype=False)
    assert a.chunks == b.chunks
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.missing, b.missing)
    np.testing.assert_array_equal(a.outside, b.outside)
    np.testing.assert_array_equal(a.labelled, b.labelled)
    for name, est in a.performance.items():
        other = b.performance[name]
        np.testing.assert_allclose(est.estimate, other.estimate, rtol=1e-9)
        np.testing.assert_allclose(est.realised, other.realised, rtol=1e-9)
        np.testing.assert_array_equal(est.alerts, other.alerts)
    for method, drift in a.drift.items():
        np.testing.assert_allclose(drift.values, b.drift[method].values, rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(drift.alerts, b.drift[method].alerts)


def test_row_chunks_of_parquet_files_equal_the_dataframe(case: dict[str, Any]) -> None:
    ref, df = case["ref"], case["df"]
    expected = ref.check(df, chunk_size=5_000, methods=ALL)
    got = ref.check(case["glob"], chunk_size=5_000, methods=ALL)
    same(expected, got)
    assert got.starts == (0, 5_000, 10_000, 15_000, 20_000)
    assert expected.missing[:, list(expected.columns).index("x2")].sum() > 0
    assert not math.isnan(got.performance["accuracy"].realised[0])
    assert math.isnan(got.performance["accuracy"].realised[-1])  # no labels there
    # one thread or two: the same figures
    same(expected, ref.check(case["glob"], chunk_size=5_000, methods=ALL, threads=1))
    # chunks=K equal parts, and the default
    same(ref.check(df, chunks=7), ref.check(case["glob"], chunks=7))
    same(ref.check(df), ref.check(case["glob"]))


def test_time_chunks_by_day_week_month(case: dict[str, Any]) -> None:
    ref, df = case["ref"], case["df"]
    for word, freq in (("day", "D"), ("week", "W"), ("month", "M")):
        expected = ref.check(df, by="timestamp", freq=freq, methods=ALL)
        got = ref.check(case["glob"], chunk_by=word, methods=ALL)
        same(expected, got, positions=False)
        assert got.chunks[0] == str(pd.Timestamp(df["timestamp"].min()).to_period(freq))
        # chunk_by means the same for a DataFrame
        same(expected, ref.check(df, chunk_by=word, methods=ALL))


def zoned(df: pd.DataFrame, start: str, step: str, unit: str) -> pd.DataFrame:
    """3,000 rows of ``df``, logged every ``step`` from ``start`` (UTC), written with the
    New York time zone (pandas keeps it; Parquet and DuckDB keep only the instant)."""
    times = pd.date_range(start, periods=3_000, freq=step, tz="UTC").tz_convert("America/New_York")
    out = df.iloc[:3_000].drop(columns=["timestamp"]).reset_index(drop=True)
    out["logged"] = pd.Series(times).astype(f"datetime64[{unit}, America/New_York]")
    return out


# Worked out by hand, in UTC:
# one row a minute from 2026-01-01 00:00: 1,440 on Jan 1, 1,440 on Jan 2, the last 120 on
# Jan 3 (New York days would give 300 / 1,440 / 1,260).
DAYS = (("2026-01-01", "2026-01-02", "2026-01-03"), [1_440, 1_440, 120])
# one row every 2 minutes (30 an hour) from Saturday 2026-01-31 20:00 to 2026-02-04 23:58:
# January holds its last 4 hours (120 rows), February the other 2,880 (New York: 270 /
# 2,730); the week Monday 01-26 to Sunday 02-01 holds 4 + 24 hours (840 rows), the next
# week the other 2,160.
MONTHS = (("2026-01", "2026-02"), [120, 2_880])
WEEKS = (("2026-01-26/2026-02-01", "2026-02-02/2026-02-08"), [840, 2_160])


def zoned_sources(df: pd.DataFrame, folder: Any) -> dict[str, Any]:
    """The same rows as a DataFrame, a Parquet file, DuckDB relations and Ibis tables, the
    engines' sessions set to Tokyo time so that only an explicit rule gives UTC periods."""
    path = folder / "zoned.parquet"
    df.to_parquet(path, index=False)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Tokyo'")
    con.register("logs", df)
    backend = ibis.duckdb.connect()
    backend.raw_sql("SET TimeZone = 'Asia/Tokyo'")
    return {
        "DataFrame": df,
        "Parquet": str(path),
        "relation of the file": con.read_parquet(str(path)),
        "relation of the DataFrame": con.sql("select * from logs"),
        "Ibis table of the file": backend.read_parquet(str(path)),
        "Ibis memtable": ibis.memtable(df),
    }


@pytest.mark.parametrize("unit", ["us", "ns"])
def test_times_with_a_zone_are_cut_in_utc_on_every_source(
    case: dict[str, Any], tmp_path: Any, unit: str
) -> None:
    ref = case["ref"]
    for start, step, cuts in (
        ("2026-01-01 00:00", "min", [("day", "D", DAYS)]),
        ("2026-01-31 20:00", "2min", [("week", "W", WEEKS), ("month", "M", MONTHS)]),
    ):
        df = zoned(case["df"], start, step, unit)
        folder = tmp_path / f"{unit}-{step}"
        folder.mkdir()
        for word, freq, (chunks, rows) in cuts:
            expected = ref.check(df, chunk_by=word)
            assert expected.chunks == chunks
            assert list(expected.rows) == rows
            for name, source in zoned_sources(df, folder).items():
                for got in (
                    ref.check(source, chunk_by=word),
                    ref.check(source, by="logged", freq=freq),
                ):
                    assert got.chunks == chunks, name
                    assert list(got.rows) == rows, name
                    same(expected, got, positions=False)


def test_zoned_times_are_cut_alike_whatever_the_machines_time_zone(
    case: dict[str, Any], tmp_path: Any
) -> None:
    df = zoned(case["df"], "2026-01-01 00:00", "min", "ns")
    df.to_parquet(tmp_path / "zoned.parquet", index=False)
    case["ref"].save(tmp_path / "ref.json")
    script = """
import json, sys
import duckdb, pandas as pd
from bizml_nb.monitor import Reference
ref = Reference.load(sys.argv[1] + "/ref.json")
path = sys.argv[1] + "/zoned.parquet"
df = pd.read_parquet(path)
out = {}
for name, source in (("DataFrame", df), ("Parquet", path),
                     ("relation", duckdb.sql(f"select * from read_parquet('{path}')"))):
    result = ref.check(source, chunk_by="day")
    out[name] = [list(result.chunks), [int(r) for r in result.rows]]
print(json.dumps(out))
"""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "TZ": "Asia/Tokyo"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("DataFrame", "Parquet", "relation"):
        assert found[name] == [list(DAYS[0]), DAYS[1]], name


def test_category_chunks_relation_and_ibis_table(case: dict[str, Any]) -> None:
    ref, df = case["ref"], case["df"]
    expected = ref.check(df, by="segment", methods=ALL)
    con = duckdb.connect()
    rel = con.sql(f"select * from read_parquet('{case['glob']}')")
    same(expected, ref.check(rel, chunk_by="segment", methods=ALL), positions=False)
    table = ibis.duckdb.connect().read_parquet(case["glob"])
    same(expected, ref.check(table, by="segment", methods=ALL), positions=False)


def test_row_chunks_of_a_relation_follow_order_by(case: dict[str, Any]) -> None:
    ref, df = case["ref"], case["df"]
    shuffled = df.sample(frac=1.0, random_state=0)
    con = duckdb.connect()
    con.register("logs", shuffled)
    rel = con.sql("select * from logs")
    expected = ref.check(df, chunk_size=6_000)
    same(expected, ref.check(rel, chunk_size=6_000, order_by="row_id"))
    table = ibis.memtable(shuffled)
    same(expected, ref.check(table, chunk_size=6_000, order_by="row_id"))
    with pytest.raises(MonitorError, match="order_by=COLUMN"):
        ref.check(rel, chunk_size=6_000)


def test_progress_is_reported_per_query(case: dict[str, Any]) -> None:
    seen: list[tuple[int, int, str]] = []
    case["ref"].check(case["glob"], chunk_size=8_000, progress=lambda *a: seen.append(a))
    assert [s[0] for s in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][0] == seen[-1][1]
    assert any("histograms" in s[2] for s in seen)


def test_bad_sources_are_named(case: dict[str, Any], tmp_path: Any) -> None:
    ref, df = case["ref"], case["df"]
    with pytest.raises(MonitorError, match=r"no file matches .*nothing-\*\.parquet"):
        ref.check(str(tmp_path / "nothing-*.parquet"))
    with pytest.raises(MonitorError, match="is not a file"):
        ref.check(tmp_path / "absent.parquet")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(MonitorError, match=r"cannot read the data to check \(.*bad\.parquet\)"):
        ref.check(tmp_path / "bad.parquet")
    df.drop(columns=["x1"]).to_parquet(tmp_path / "no_x1.parquet")
    with pytest.raises(MonitorError, match=r"no_x1\.parquet\) lacks the column 'x1'"):
        ref.check(tmp_path / "no_x1.parquet")
    df.assign(x0="text").to_parquet(tmp_path / "text.parquet")
    with pytest.raises(MonitorError, match=r"numeric feature column 'x0' of .*must hold numbers"):
        ref.check(tmp_path / "text.parquet")
    df.assign(proba=df["proba"] * 2).to_parquet(tmp_path / "proba.parquet")
    with pytest.raises(MonitorError, match=r"probability column 'proba' of .* outside \[0, 1\]"):
        ref.check(tmp_path / "proba.parquet")
    df.assign(prediction=2).to_parquet(tmp_path / "pred.parquet")
    with pytest.raises(MonitorError, match=r"prediction column 'prediction' of .* 0 and 1"):
        ref.check(tmp_path / "pred.parquet")
    with pytest.raises(MonitorError, match="needs by=COLUMN"):
        ref.check(df.drop(columns=["timestamp"]), chunk_by="day")
    for source in (df, case["glob"]):
        with pytest.raises(MonitorError, match=r"^chunk_by=0 rows: a chunk needs at least 1 row"):
            ref.check(source, chunk_by=0)
    with pytest.raises(MonitorError, match=r"not a DataFrame|must be a pandas DataFrame"):
        ref.check(42)
    with pytest.raises(MonitorError, match="cannot start DuckDB"):
        ref.check(case["glob"], memory_limit="lots")


def test_memory_limit_and_spill_folder_are_set(tmp_path: Any) -> None:
    con = connect("300MB", tmp_path / "spill", threads=1)
    got = con.raw_sql(
        "select current_setting('memory_limit'), current_setting('temp_directory'), "
        "current_setting('threads')"
    ).fetchall()[0]
    assert got[0] in ("286.1 MiB", "300.0 MB")
    assert got[1] == str(tmp_path / "spill")
    assert int(got[2]) == 1
    default = connect().raw_sql("select current_setting('memory_limit')").fetchall()[0][0]
    assert default in ("953.6 MiB", "1.0 GB")


def alike(ra: dict[str, Any], rb: dict[str, Any]) -> None:
    """Two reference records alike: every count, edge, grid point and calibration breakpoint
    equal; sums of floats (means, stds, statistics) to rounding."""
    assert ra["calibration"] == rb["calibration"]  # the same pairs in the same order
    assert ra["confusion"] == rb["confusion"]
    assert ra["chunk_sizes"] == rb["chunk_sizes"]
    for key in ("metrics", "chunk_metrics"):
        for name, value in ra[key].items():
            np.testing.assert_allclose(value, rb[key][name], rtol=1e-12)
    for ca, cb in zip(ra["columns"], rb["columns"], strict=True):
        for field, value in ca.items():
            if field == "chunk_stats":
                for method, stats in value.items():
                    np.testing.assert_allclose(stats, cb[field][method], rtol=1e-9)
            elif field in ("mean", "std"):
                assert cb[field] == pytest.approx(value, rel=1e-12, abs=1e-15)
            else:
                assert cb[field] == value, (ca["name"], field)


def test_fit_from_parquet_equals_the_dataframe_fit(tmp_path: Any) -> None:
    data = classifier_drift(12_000, 6_000, n_features=3, seed=3)
    frame = data.reference.assign(segment=data.reference["segment"].astype(str))
    frame.iloc[:5_000].to_parquet(tmp_path / "a.parquet", index=False)
    frame.iloc[5_000:].to_parquet(tmp_path / "b.parquet", index=False)
    kw: dict[str, Any] = {
        "features": FEATURES,
        "prediction": "prediction",
        "proba": "proba",
        "target": "target",
    }
    a = Reference.fit(frame, **kw)
    seen: list[tuple[int, int, str]] = []
    b = Reference.fit(str(tmp_path / "*.parquet"), progress=lambda *a: seen.append(a), **kw)
    assert [s[0] for s in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][0] == seen[-1][1]
    alike(a.to_record(), b.to_record())
    same(a.check(data.analysis, methods=ALL), b.check(data.analysis, methods=ALL))
    # a seeded sample for the calibration map, stated on the reference and the result
    c = Reference.fit(str(tmp_path / "*.parquet"), calibration_rows=5_000, **kw)
    sample = c.calibration["sample"]
    assert sample["of"] == 12_000
    assert 4_000 < sample["rows"] < 6_000
    assert f"fitted on a sample of {sample['rows']:,} rows" in repr(c)
    again = Reference.fit(str(tmp_path / "*.parquet"), calibration_rows=5_000, threads=1, **kw)
    alike(c.to_record(), again.to_record())  # the same sample, whatever the threads
    notes = c.check(data.analysis).notes
    assert any("sample of" in note and "12,000 reference rows" in note for note in notes)
    frame.assign(target=frame["target"].where(frame.index > 10)).to_parquet(
        tmp_path / "nolabel.parquet"
    )
    with pytest.raises(MonitorError, match=r"target column 'target' of .*missing values"):
        Reference.fit(tmp_path / "nolabel.parquet", **kw)


def test_without_the_monitor_extra_the_message_names_it(
    case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "ibis", None)  # as if not installed
    with pytest.raises(MonitorError, match=r"needs DuckDB and Ibis \(pip install .*\[monitor\]"):
        case["ref"].check(case["glob"])


def test_a_column_named_file_index_is_data_not_the_file_order(
    case: dict[str, Any], tmp_path: Any
) -> None:
    # DuckDB hides its virtual column file_index behind a real column of that name: the
    # row order then comes from the file names, and the column stays the user's data
    ref, df = case["ref"], case["df"].copy()
    df["file_index"] = 7
    for i, part in enumerate(np.array_split(np.arange(len(df)), 3)):
        df.iloc[part].to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    same(
        ref.check(case["df"], chunk_size=5_000),
        ref.check(str(tmp_path / "*.parquet"), chunk_size=5_000),
    )


def test_grid_counts_of_values_on_the_grid_points_equal_the_dataframe(tmp_path: Any) -> None:
    # a whole-number feature: most values lie exactly on a grid point, where DuckDB's
    # histogram (values at or below a boundary) must rank them as searchsorted "left" does
    rng = np.random.default_rng(5)

    def frame(n: int, shift: int) -> pd.DataFrame:
        k = rng.integers(0, 5, n) + (rng.random(n) < 0.3) * shift
        proba = 1.0 / (1.0 + np.exp(-(k - 2.0)))
        return pd.DataFrame(
            {
                "k": k.astype(float),
                "proba": proba,
                "prediction": (proba >= 0.5).astype(int),
                "target": (rng.random(n) < proba).astype(int),
            }
        )

    ref = Reference.fit(
        frame(5_000, 0), features=["k"], proba="proba", prediction="prediction", target="target"
    )
    assert {0.0, 1.0, 2.0, 3.0, 4.0} <= set(ref.columns[0].grid)
    df = frame(6_000, 1)
    df.to_parquet(tmp_path / "logs.parquet")
    seen: list[str] = []
    methods = ("kolmogorov_smirnov", "wasserstein")
    got = ref.check(
        tmp_path / "logs.parquet",
        chunk_size=2_000,
        methods=methods,
        progress=lambda *a: seen.append(a[2]),
    )
    same(ref.check(df, chunk_size=2_000, methods=methods), got)
    assert "grid histograms" in seen
