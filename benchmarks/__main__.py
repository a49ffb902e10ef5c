"""Run every benchmark and print one table: `python -m benchmarks`."""

from __future__ import annotations

from benchmarks import bench_core

if __name__ == "__main__":
    bench_core.main()
