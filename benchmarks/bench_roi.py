"""ROI figures: the 100,000-draw Monte Carlo, and each template executed end to end.

python -m benchmarks.bench_roi
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

Row = tuple[str, str, str]


def measure(repeat: int = 5) -> list[Row]:
    """Median time of simulate() over 100,000 draws and 61 months; each template's run."""
    from bizml_nb.finance.maturity import survey_prior
    from bizml_nb.finance.roi import Investment, Triangular, simulate
    from bizml_nb.interfaces.templates import list_templates, run

    investment = Investment(
        annual_benefit=Triangular(1e6, 2e6, 4e6),
        eng_months=Triangular(4, 6, 10),
        deploy_days=survey_prior(),
        cloud_per_year=Triangular(5e4, 1e5, 2e5),
    )
    simulate(investment, draws=1_000)  # warm up numpy
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        simulate(investment, draws=100_000)
        times.append(time.perf_counter() - start)
    rows: list[Row] = [
        (
            "ROI Monte Carlo, 100,000 draws x 61 months (median)",
            f"{statistics.median(times):.2f} s",
            "< 1 s",
        )
    ]
    with tempfile.TemporaryDirectory(prefix="bizml-bench-roi-") as folder:
        for template in list_templates():
            out = Path(folder) / f"{template.name}.ipynb"
            start = time.perf_counter()
            run(template.name, None, out, progress=False, cwd=folder)
            rows.append(
                (
                    f"template {template.name}, kernel start included",
                    f"{time.perf_counter() - start:.1f} s",
                    "< 15 s",
                )
            )
    return rows


def main() -> None:
    for name, result, goal in measure():
        print(f"{name:<58} {result:<10} {goal}")


if __name__ == "__main__":
    main()
