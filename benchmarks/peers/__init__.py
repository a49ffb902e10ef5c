"""Workers that measure bizml_nb's peers, each run by the peer's own venv interpreter.

Every worker is a plain script (``python benchmarks/peers/mlflow_worker.py --dir D``)
that imports only the standard library, its tool and pandas, plus :mod:`common`
from this folder. ``benchmarks.bench_peers`` runs them and prints the comparison.
"""
