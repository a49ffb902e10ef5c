"""The figures the notebooks show are the same whichever SIMD kernels numpy runs.

numpy picks its kernels at run time from the CPU (AVX2, AVX-512, ...): an unstable
sort orders ties differently with each, and the last digits of a sum or an ``exp``
differ. Saved notebook outputs must not depend on that, or nbval fails on a user's
machine that is not the one that saved them. Here the same figures (the generated
data, the quickstart's and the recommender example's rankings and NDCG, an ROI
record's figures) are computed in fresh interpreters with this CPU's widest kernels
switched off (``NPY_DISABLE_CPU_FEATURES``), with every kernel above numpy's baseline
switched off, and with a single-threaded BLAS, and compared with the default run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

PROBE = r"""
import hashlib, json, sys
from pathlib import Path

import numpy as np

try:
    from numpy._core import _multiarray_umath as umath
except ImportError:  # numpy < 2
    from numpy.core import _multiarray_umath as umath

from bizml_nb.core._records import figure, portable
from bizml_nb.interfaces.datasets import ndcg_at_k, recsys_interactions
from bizml_nb.finance.maturity import survey_prior
from bizml_nb.finance.roi import Investment, Triangular, evaluate, simulate

NOTEBOOKS = Path(sys.argv[1])
off = sys.argv[2].split()
out = {}
still_on = [name for name in off if umath.__cpu_features__.get(name)]


def digest(*arrays):
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def cell_defining(notebook, name):
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    return next("".join(c["source"]) for c in cells if c["cell_type"] == "code" and name in "".join(c["source"]))


for seed in (0, 13):
    data = recsys_interactions(seed=seed)
    out[f"recsys_interactions(seed={seed})"] = digest(data.train, data.held_out)

quick = {}
exec(cell_defining("quickstart.ipynb", "def ndcg_at_10"), quick)
pop = np.where(quick["train"] > 0, -np.inf, quick["popularity_model"]())
out["quickstart: data"] = digest(quick["train"], quick["held_out"])
out["quickstart: popularity top 10"] = digest(np.argsort(-pop, axis=1, kind="stable")[:, :10])
out["quickstart: NDCG@10 popularity, low rank"] = [
    quick["evaluate"](quick["popularity_model"]()),
    quick["evaluate"](quick["low_rank_model"](k=2)),
]

recsys = {}
exec(cell_defining("recsys_take_rate.ipynb", "def factorisation"), recsys)
ev = recsys["evaluate"]
out["recsys example: NDCG@10 of its models"] = [
    ev(recsys["popularity"]()),
    ev(recsys["ensemble"](rank=6)),
    *(ev(recsys["factorisation"](rank)) for rank in (1, 6, 16)),
]

ties = np.random.default_rng(0).integers(0, 4, size=(200, 300)).astype(float)
held = np.random.default_rng(1).permuted(np.tile(np.arange(300), (200, 1)), axis=1)[:, :5]
out["ndcg_at_k on tied scores"] = figure(ndcg_at_k(ties, held, k=10))

project = Investment(
    annual_benefit=Triangular.from_interval(1.22e6, 3.95e6, 7.07e6),
    data_cost=30_000.0, eng_months=18.0, monthly_rate=20_000.0, infra_setup=120_000.0,
    cloud_per_year=400_000.0, maintenance_share=0.25, deploy_days=survey_prior(), years=3,
)
result, sim = evaluate(project), simulate(project, draws=20_000, seed=20_261_128)
out["roi record figures"] = portable(
    {"npv": result.npv, "roi": result.roi, "irr": result.irr, "p10_p50_p90": sim.npv_percentiles()}
)
print(json.dumps({"still_on": still_on, "figures": out}))
"""


def numpy_targets() -> tuple[list[str], list[str]]:
    """The SIMD targets numpy dispatches to that this CPU has (narrow to wide), and its baseline."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy < 2
        from numpy.core import _multiarray_umath as umath  # type: ignore[no-redef]
    features = umath.__cpu_features__
    return [name for name in umath.__cpu_dispatch__ if features.get(name)], list(
        umath.__cpu_baseline__
    )


def probe(disabled: str = "", **env: str) -> dict[str, Any]:
    """The figures from a fresh interpreter with ``disabled`` SIMD targets switched off."""
    environ = {**os.environ, **env}
    environ.pop("NPY_DISABLE_CPU_FEATURES", None)
    if disabled:
        environ["NPY_DISABLE_CPU_FEATURES"] = disabled
    done = subprocess.run(
        # an unknown or undispatched name is only an ImportWarning: make it an error
        [sys.executable, "-W", "error::ImportWarning", "-c", PROBE, str(NOTEBOOKS), disabled],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])  # after what cells print
    assert report["still_on"] == [], f"NPY_DISABLE_CPU_FEATURES={disabled!r} left them on"
    figures: dict[str, Any] = report["figures"]
    return figures


def differences(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    return [
        f"{key}: {expected[key]!r} != {got.get(key)!r}"
        for key in expected
        if got.get(key) != expected[key]
    ]


@pytest.mark.slow
def test_the_notebooks_figures_do_not_depend_on_the_cpus_simd_kernels() -> None:
    enabled, baseline = numpy_targets()
    if not enabled:
        pytest.skip(
            f"numpy runs only its baseline kernels ({' '.join(baseline)}) on this CPU: there "
            "are no wider SIMD kernels to switch off and compare with"
        )
    widest = [name for name in enabled if "512" in name or name == "X86_V4"] or enabled[-1:]
    default = probe()
    for disabled in dict.fromkeys([" ".join(widest), " ".join(enabled)]):
        assert differences(default, probe(disabled)) == [], f"with {disabled} switched off"


@pytest.mark.slow
def test_the_notebooks_figures_do_not_depend_on_the_blas_thread_count() -> None:
    default = probe()
    single = probe(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    assert differences(default, single) == []
