"""Run every benchmark and print one table: `python -m benchmarks`.

    python -m benchmarks [--runs 10000] [--cells 300]                 # bench_core
                         [--records 200] [--peer-runs 10000] [--starts 5] [--full-fill]
                         [--core-only | --peers-only]
                         [--scale-sizes 1000000,10000000,100000000 | --no-scale]

The core figures (benchmarks/bench_core.py) come first, then bizml_nb beside its
peers (benchmarks/bench_peers.py; peers installed by benchmarks/install_peers.sh).
The peer figures are measured first, before the core ones start an IPython shell
in this process, so that bizml_nb's own recording is timed in a plain interpreter.
Last, the monitor on Parquet logs at 1, 10 and 100 million rows beside pandas,
NannyML and Spark (benchmarks/bench_monitor_scale.py; about 20 GB of temporary
files and 15 minutes here; ``--no-scale`` skips it).
"""

from __future__ import annotations

import argparse

from benchmarks import bench_core, bench_monitor, bench_monitor_scale, bench_peers, bench_roi


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench_core.add_arguments(parser)
    bench_peers.add_arguments(parser)
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--core-only", action="store_true", help="skip the peer comparison")
    only.add_argument("--peers-only", action="store_true", help="skip the core figures")
    parser.add_argument(
        "--scale-sizes",
        default="1000000,10000000,100000000",
        help="rows of Parquet logs for the monitor at scale (bench_monitor_scale --sizes)",
    )
    parser.add_argument("--no-scale", action="store_true", help="skip the monitor at scale")
    args = parser.parse_args(argv)
    load = bench_core.load_average()

    rows: list[bench_core.Row] = []
    notes: list[str] = []
    peer_rows: list[bench_core.Row] = []
    if not args.core_only:
        figures = bench_peers.measure(args)
        peer_rows = bench_peers.rows(figures, args)
        notes = bench_peers.notes(figures)
    if not args.peers_only:
        rows += bench_core.measure(args)
        rows += bench_roi.measure()
    if peer_rows:
        rows.append(("-- beside its peers (ratio = peer's time / bizml_nb's)", "", ""))
        rows += peer_rows
    bench_core.print_table("bizml_nb benchmarks", rows, notes, load_at_start=load)
    if not args.core_only and not args.peers_only:
        print()
        monitor = argparse.Namespace(
            rows=1_000_000,
            features=20,
            chunk_size=10_000,
            reference=100_000,
            repeat=3,
            seed=0,
            no_peer=False,
        )
        bench_monitor.print_table(bench_monitor.measure(monitor))
    if not args.no_scale and not args.core_only:
        print()
        scale = bench_monitor_scale.options(sizes=args.scale_sizes)
        bench_monitor_scale.print_table(bench_monitor_scale.run(scale))


if __name__ == "__main__":
    main()
