"""Regenerate every template and executed notebook, in the order they depend on each other.

    python tools/build_all.py

1. ``build_quickstart.py``: notebooks/quickstart.ipynb;
2. ``build_examples.py``: notebooks/recsys_take_rate.ipynb and fraud_threshold.ipynb;
3. ``build_templates.py``: templates/roi_analysis.ipynb, adoption_maturity.ipynb and
   notebooks/roi_example.ipynb (its benefit is read from recsys_take_rate.ipynb);
4. ``build_scalability_template.py``: templates/scalability_planning.ipynb;
5. ``build_monitoring_template.py``: templates/silent_failure_monitoring.ipynb, then
   notebooks/monitoring_example.ipynb and scalability_example.ipynb (executed from the
   templates of steps 4 and 5).

Each script runs in a process of its own and the first failure stops the build.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = (
    "build_quickstart.py",
    "build_examples.py",
    "build_templates.py",
    "build_scalability_template.py",
    "build_monitoring_template.py",
)


def main(argv: list[str] | None = None) -> None:
    if argv if argv is not None else sys.argv[1:]:
        raise SystemExit("usage: python tools/build_all.py")
    for script in ORDER:
        print(f"== tools/{script}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / script)], cwd=HERE.parent, check=False)
        if done.returncode != 0:
            raise SystemExit(f"tools/{script} failed (exit status {done.returncode})")


if __name__ == "__main__":
    main()
