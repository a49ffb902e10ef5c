"""bizml_nb.monitor beside NannyML: label-free performance estimation plus univariate drift.

    bash benchmarks/install_nannyml.sh     # once: benchmarks/.venvs/nannyml
    python -m benchmarks.bench_monitor [--rows 1000000] [--features 20] [--chunk-size 10000]
                                       [--reference 100000] [--repeat 3] [--seed 0]

The workload, for both tools: a binary classifier's analysis period of ``--rows``
rows x ``--features`` numeric features plus its probability and predicted class
(covariate shift on x0 and x1 in the second half; P(y | x) unchanged), checked
in chunks of ``--chunk-size`` against a labelled reference of ``--reference``
rows: CBPE estimates of ROC AUC, F1, accuracy, precision and recall, and
Jensen-Shannon drift on every feature, the probability and the predicted class.

- bizml_nb: ``Reference.fit`` once, then ``reference.check`` timed (median of
  ``--repeat``, imports warm), in this process, on the analysis frame without
  its target column.
- NannyML 0.13.1: ``CBPE.estimate`` and ``UnivariateDriftCalculator.calculate``
  timed after their ``fit``, in its own venv (this file run as a worker with
  ``--worker``), on the same rows passed as .npy files, with usage logging off
  (``NML_DISABLE_USAGE_LOGGING=1``). Skipped, with the reason printed, when the
  venv is missing or fails.

Agreement: each tool's estimates per chunk against the realised metrics of the
same chunk (scikit-learn on the held-back labels): mean and largest absolute
difference. Memory: the peak that ``check`` allocates (tracemalloc, which sees
NumPy's buffers) on the same analysis rows with references of two sizes.
Figures, not pass/fail tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENV_PYTHON = HERE / ".venvs" / "nannyml" / "bin" / "python"
METRICS = ("accuracy", "f1", "roc_auc")
NANNYML_METRICS = ["roc_auc", "f1", "accuracy", "precision", "recall"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=1_000_000, help="analysis rows")
    parser.add_argument("--features", type=int, default=20, help="numeric features")
    parser.add_argument("--chunk-size", type=int, default=10_000, help="rows per chunk")
    parser.add_argument("--reference", type=int, default=100_000, help="reference rows")
    parser.add_argument("--repeat", type=int, default=3, help="timed repeats (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peer", action="store_true", help="skip NannyML")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--worker", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        nannyml_worker(Path(args.worker))
        return
    print_table(measure(args))


# --------------------------------------------------------------------------- measuring


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from bizml_nb.interfaces.datasets import classifier_drift
    from bizml_nb.monitor import Reference

    started = time.perf_counter()
    data = classifier_drift(
        args.reference,
        args.rows,
        n_features=args.features,
        drift="covariate",
        n_shifted=2,
        segment=False,
        seed=args.seed,
    )
    features = list(data.features)
    reference_frame = data.reference.drop(columns=["timestamp"])
    analysis = data.analysis.drop(columns=["timestamp", "target"])
    labelled = data.analysis.drop(columns=["timestamp"])
    figures: dict[str, Any] = {
        "args": vars(args),
        "shifted": list(data.shifted),
        "generate_s": time.perf_counter() - started,
    }

    started = time.perf_counter()
    reference = Reference.fit(
        reference_frame,
        features=features,
        prediction="prediction",
        proba="proba",
        target="target",
    )
    figures["bizml_fit_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = reference.save(Path(tmp) / "reference.json")
        figures["reference_json_kb"] = path.stat().st_size / 1024

    reference.check(analysis.iloc[: 2 * args.chunk_size], chunk_size=args.chunk_size)  # warm
    times = []
    result = None
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        result = reference.check(analysis, chunk_size=args.chunk_size)
        times.append(time.perf_counter() - started)
    assert result is not None
    figures["bizml_check_s"] = statistics.median(times)
    figures["bizml_check_all_s"] = times

    # Realised metrics per chunk (scikit-learn on the labels), outside the timing.
    truth = reference.check(labelled, chunk_size=args.chunk_size)
    realised = {m: truth.performance[m].realised for m in METRICS}
    figures["realised_accuracy_range"] = [
        float(np.nanmin(realised["accuracy"])),
        float(np.nanmax(realised["accuracy"])),
    ]
    figures["bizml_agreement"] = _agreement(
        {m: result.performance[m].estimate for m in METRICS}, realised
    )
    drift = result.drift["jensen_shannon"]
    figures["bizml_alerts"] = {
        c: int(n) for c, n in zip(result.columns, drift.alerts.sum(axis=0), strict=True)
    }
    figures["memory"] = _memory(data, features, args)

    if args.no_peer:
        figures["nannyml"] = {"skipped": "--no-peer"}
    else:
        figures["nannyml"] = run_nannyml(reference_frame, analysis, features, args)
        estimates = figures["nannyml"].get("estimates")
        if estimates:
            figures["nannyml_agreement"] = _agreement(
                {m: np.asarray(estimates[m], dtype=float) for m in METRICS}, realised
            )
    return figures


def _agreement(estimates: dict[str, Any], realised: dict[str, Any]) -> dict[str, list[float]]:
    import numpy as np

    out = {}
    for metric in METRICS:
        gap = np.abs(np.asarray(estimates[metric]) - np.asarray(realised[metric]))
        out[metric] = [float(np.nanmean(gap)), float(np.nanmax(gap))]
    return out


def _memory(data: Any, features: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Peak allocation of check on the same analysis rows, for references of two sizes."""
    import tracemalloc

    from bizml_nb.monitor import Reference

    analysis = data.analysis.drop(columns=["timestamp", "target"])
    out: dict[str, Any] = {}
    for rows in (max(1_000, args.reference // 10), args.reference):
        reference = Reference.fit(
            data.reference.iloc[:rows],
            features=features,
            prediction="prediction",
            proba="proba",
            target="target",
        )
        reference.check(analysis.iloc[: 2 * args.chunk_size], chunk_size=args.chunk_size)
        tracemalloc.start()
        reference.check(analysis, chunk_size=args.chunk_size)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[str(rows)] = peak / 2**20
    return out


def run_nannyml(
    reference: Any, analysis: Any, features: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    import numpy as np

    if not VENV_PYTHON.exists():
        return {"skipped": "not installed: run `bash benchmarks/install_nannyml.sh`"}
    columns = [*features, "proba", "prediction"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        np.save(folder / "reference.npy", reference[[*columns, "target"]].to_numpy(np.float64))
        np.save(folder / "analysis.npy", analysis[columns].to_numpy(np.float64))
        spec = {"features": features, "chunk_size": args.chunk_size, "repeat": args.repeat}
        (folder / "spec.json").write_text(json.dumps(spec))
        env = {**os.environ, "NML_DISABLE_USAGE_LOGGING": "1", "PYTHONWARNINGS": "ignore"}
        try:
            done = subprocess.run(
                [str(VENV_PYTHON), str(Path(__file__).resolve()), "--worker", str(folder)],
                capture_output=True,
                text=True,
                env=env,
                timeout=1800,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"skipped": "NannyML did not finish within 30 minutes"}
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"skipped": f"NannyML failed: {' | '.join(tail)}"}
        result: dict[str, Any] = json.loads((folder / "result.json").read_text())
        return result


# --------------------------------------------------------------------------- the NannyML worker


def nannyml_worker(folder: Path) -> None:
    """Run in NannyML's venv (no bizml_nb there): fit, then time estimate and calculate."""
    import logging
    import warnings

    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    import importlib.metadata

    import nannyml as nml
    import numpy as np
    import pandas as pd

    spec = json.loads((folder / "spec.json").read_text())
    features = spec["features"]
    columns = [*features, "proba", "prediction"]
    ref = pd.DataFrame(np.load(folder / "reference.npy"), columns=[*columns, "target"])
    ana = pd.DataFrame(np.load(folder / "analysis.npy"), columns=columns)
    for frame in (ref, ana):
        frame["prediction"] = frame["prediction"].astype(np.int64)
    ref["target"] = ref["target"].astype(np.int64)
    chunk = int(spec["chunk_size"])

    out: dict[str, Any] = {"version": importlib.metadata.version("nannyml")}
    cbpe_s, drift_s = [], []
    estimates: dict[str, list[float]] = {}
    alerts: dict[str, int] = {}
    for _ in range(max(1, int(spec["repeat"]))):
        started = time.perf_counter()
        estimator = nml.CBPE(
            y_pred_proba="proba",
            y_pred="prediction",
            y_true="target",
            problem_type="classification_binary",
            metrics=NANNYML_METRICS,
            chunk_size=chunk,
        )
        estimator.fit(ref)
        out["cbpe_fit_s"] = time.perf_counter() - started
        started = time.perf_counter()
        result = estimator.estimate(ana)
        cbpe_s.append(time.perf_counter() - started)

        started = time.perf_counter()
        calculator = nml.UnivariateDriftCalculator(
            column_names=columns,
            treat_as_categorical=["prediction"],
            continuous_methods=["jensen_shannon"],
            categorical_methods=["jensen_shannon"],
            chunk_size=chunk,
        )
        calculator.fit(ref)
        out["drift_fit_s"] = time.perf_counter() - started
        started = time.perf_counter()
        drift = calculator.calculate(ana)
        drift_s.append(time.perf_counter() - started)

        frame = result.filter(period="analysis").to_df()
        estimates = {m: frame[(m, "value")].astype(float).tolist() for m in METRICS}
        table = drift.filter(period="analysis").to_df()
        alerts = {c: int(table[(c, "jensen_shannon", "alert")].sum()) for c in columns}
    out.update(
        cbpe_s=statistics.median(cbpe_s),
        drift_s=statistics.median(drift_s),
        estimates=estimates,
        alerts=alerts,
    )
    (folder / "result.json").write_text(json.dumps(out))


# --------------------------------------------------------------------------- printing


def _alert_rate(alerts: dict[str, int], group: Any, chunks: int) -> str:
    chosen = [n for c, n in alerts.items() if group(c)]
    if not chosen:
        return ""
    return f"{100 * sum(chosen) / (chunks * len(chosen)):.1f}%"


def print_table(f: dict[str, Any]) -> None:
    args = f["args"]
    chunks = -(-args["rows"] // args["chunk_size"])
    nml = f["nannyml"]
    peer = "skipped" not in nml
    print(
        f"bizml_nb.monitor beside NannyML: {args['rows']:,} rows x {args['features']} numeric "
        f"features + proba + prediction, {chunks} chunks of {args['chunk_size']:,}, reference "
        f"{args['reference']:,} rows; covariate shift on {', '.join(f['shifted'])}"
    )
    print(f"(data generated in {f['generate_s']:.1f} s; times are medians of {args['repeat']})")
    rows: list[tuple[str, str, str, str]] = []
    label = f"NannyML {nml.get('version', '')}".strip()

    def ratio(peer_s: float | None, ours: float) -> str:
        return f"{peer_s / ours:.0f}x" if peer_s else ""

    rows.append(
        (
            "fit on the reference",
            f"{f['bizml_fit_s']:.2f} s",
            f"{nml['cbpe_fit_s'] + nml['drift_fit_s']:.2f} s" if peer else "",
            "",
        )
    )
    if peer:
        rows.append(("  CBPE estimate", "", f"{nml['cbpe_s']:.2f} s", ""))
        rows.append(("  univariate drift (JS)", "", f"{nml['drift_s']:.2f} s", ""))
    total = nml["cbpe_s"] + nml["drift_s"] if peer else None
    rows.append(
        (
            "check: CBPE + JS drift (goal < 5 s, >= 10x)",
            f"{f['bizml_check_s']:.2f} s",
            f"{total:.2f} s" if total else "",
            ratio(total, f["bizml_check_s"]),
        )
    )
    for metric in METRICS:
        ours = f["bizml_agreement"][metric]
        theirs = f.get("nannyml_agreement", {}).get(metric)
        rows.append(
            (
                f"|estimate - realised| {metric}, mean / max",
                f"{ours[0]:.4f} / {ours[1]:.4f}",
                f"{theirs[0]:.4f} / {theirs[1]:.4f}" if theirs else "",
                "",
            )
        )
    shifted = f["shifted"]
    for group, label_text in (
        (lambda c: c in shifted, f"JS alerts, shifted features ({', '.join(shifted)})"),
        (lambda c: c.startswith("x") and c not in shifted, "JS alerts, unshifted features"),
        (lambda c: not c.startswith("x"), "JS alerts, proba and prediction"),
    ):
        rows.append(
            (
                f"{label_text}, % of chunks",
                _alert_rate(f["bizml_alerts"], group, chunks),
                _alert_rate(nml.get("alerts", {}), group, chunks) if peer else "",
                "",
            )
        )
    memory = f["memory"]
    sizes = list(memory)
    rows.append(
        (
            f"check peak memory, reference {int(sizes[0]):,} / {int(sizes[1]):,} rows",
            f"{memory[sizes[0]]:.0f} / {memory[sizes[1]]:.0f} MiB",
            "",
            "",
        )
    )
    rows.append(("reference JSON", f"{f['reference_json_kb']:.0f} kB", "", ""))
    header = ("measure", "bizml_nb", label or "NannyML", "NannyML / bizml_nb")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    lo, hi = f["realised_accuracy_range"]
    print(f"realised accuracy per chunk ranges {lo:.3f} to {hi:.3f}")
    if not peer:
        print(f"NannyML: {nml['skipped']}")


if __name__ == "__main__":
    if "--worker" not in sys.argv:
        sys.path.insert(0, str(HERE.parent))
    main()
