"""The scale benchmark runs end to end on a small dataset (figures, not speed, are checked)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from benchmarks import bench_monitor_scale as bench

if TYPE_CHECKING:
    import argparse
    from pathlib import Path


def _args() -> argparse.Namespace:
    return bench.options(sizes="30000", features=4, reference=5_000, repeat=1)


def test_pandas_and_duckdb_workers_agree_on_the_same_files(tmp_path: Path) -> None:
    args = _args()
    made = bench.dataset(args, tmp_path, 30_000)
    assert made["spec"]["rows"] == 30_000
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["part-00000.parquet"]
    again = bench.dataset(args, tmp_path, 30_000)  # the marker: not written twice
    assert again == made
    pandas = bench.one("pandas", "rows:10000", tmp_path, args, repeat=1)
    duck = bench.one("duckdb", "rows:10000", tmp_path, args, repeat=1)
    assert "error" not in pandas, pandas
    assert "error" not in duck, duck
    assert pandas["chunks"] == duck["chunks"] == 3
    assert duck["accuracy"] == pytest.approx(pandas["accuracy"], rel=1e-12)
    day = bench.one("duckdb", "day", tmp_path, args, repeat=1)
    assert day["chunks"] == 30  # the rows spread over 30 days
    figures = {
        "sizes": {
            30_000: {
                **made,
                "runs": [
                    {**pandas, "engine": "pandas", "chunking": "rows:10000"},
                    {**duck, "engine": "duckdb", "chunking": "rows:10000"},
                ],
            }
        }
    }
    lines = bench.summary(figures)
    assert lines[0].startswith("30,000 rows: ")
    assert "rows:10000: pandas / DuckDB time" in lines[1]
    assert "same alerted columns: True" in lines[1]


def test_a_worker_that_fails_is_reported_not_raised(tmp_path: Path) -> None:
    args = _args()
    bench.dataset(args, tmp_path, 30_000)
    failed = bench.one("duckdb", "by-nothing", tmp_path, args, repeat=1)
    assert "by-nothing" in failed["error"]
