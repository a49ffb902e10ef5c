"""Print the NPY_DISABLE_CPU_FEATURES value that switches off this CPU's widest SIMD tier.

numpy picks its SIMD kernels at run time from the CPU: an unstable sort on ties or
the last digit of a float sum can differ between a machine with AVX-512 and one
without. `.ci/run` runs the notebooks a second time with the widest tier this
machine has switched off (AVX-512 here means the AVX2 kernels most users' CPUs run;
an AVX2 machine falls back to numpy's baseline), so such an output fails in CI.

numpy's own report decides: the targets it dispatches to (``__cpu_dispatch__``) that
this CPU has (``__cpu_features__``). Baseline features cannot be switched off and
unknown names are ignored with only an ImportWarning, so the value is checked in a
fresh interpreter before it is printed: numpy must import with it, report each named
feature off, and run none of its kernels on them.

Usage: NPY_DISABLE_CPU_FEATURES="$(python .ci/simd_off.py)" pytest notebooks
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

# The widest tiers first. x86: AVX-512 (numpy >= 2.4 names it X86_V4 plus AVX512_*,
# older numpy AVX512F, AVX512_SKX, ...), then the AVX2 level (X86_V3, or AVX2, FMA3, ...).
# aarch64: SVE, then the ASIMD extensions.
TIERS: list[tuple[str, Callable[[str], bool]]] = [
    ("AVX-512", lambda name: name == "X86_V4" or name.startswith("AVX512")),
    ("AVX2", lambda name: name in {"X86_V3", "AVX", "F16C", "FMA3", "FMA4", "XOP", "AVX2"}),
    ("SVE", lambda name: name.startswith("SVE")),
    ("ASIMD extensions", lambda name: name in {"ASIMDHP", "ASIMDDP", "ASIMDFHM"}),
]

REPORT = """
import json
try:
    from numpy._core import _multiarray_umath as m
except ImportError:  # numpy < 2
    from numpy.core import _multiarray_umath as m
print(json.dumps({
    "features": {k: bool(v) for k, v in m.__cpu_features__.items()},
    "dispatch": list(m.__cpu_dispatch__),
    "baseline": list(m.__cpu_baseline__),
    "current": sorted({
        target["current"]
        for by_signature in getattr(m, "__cpu_targets_info__", {}).values()
        for target in by_signature.values()
    }),
}))
"""


def numpy_report(disabled: str | None = None) -> dict[str, Any]:
    """numpy's CPU report from a fresh interpreter, with ``disabled`` switched off."""
    env = dict(os.environ)
    env.pop("NPY_DISABLE_CPU_FEATURES", None)
    if disabled is not None:
        env["NPY_DISABLE_CPU_FEATURES"] = disabled
    done = subprocess.run(
        [sys.executable, "-W", "error::ImportWarning", "-c", REPORT],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        where = f" with NPY_DISABLE_CPU_FEATURES={disabled!r}" if disabled is not None else ""
        sys.exit(f"simd_off: numpy failed to import{where}:\n{done.stderr.strip()}")
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def widest_tier(report: dict[str, Any]) -> tuple[str, list[str]]:
    """The widest tier with a target numpy dispatches to and this CPU has, and those targets."""
    enabled = [name for name in report["dispatch"] if report["features"].get(name)]
    if not enabled:
        sys.exit(
            "simd_off: numpy dispatches to no SIMD target above its baseline "
            f"({' '.join(report['baseline'])}) on this CPU, so there is nothing to "
            "switch off; run the CPU check on a machine with AVX2 or AVX-512"
        )
    for tier, member in TIERS:
        names = [name for name in enabled if member(name)]
        if names:
            return tier, names
    return enabled[-1], enabled[-1:]  # another architecture: numpy lists targets narrow to wide


def main() -> None:
    before = numpy_report()
    tier, names = widest_tier(before)
    value = " ".join(names)
    after = numpy_report(value)
    still_on = [name for name in names if after["features"].get(name)]
    still_run = [name for name in names if name in after["current"]]
    if still_on or still_run:
        sys.exit(
            f"simd_off: NPY_DISABLE_CPU_FEATURES={value!r} did not switch off "
            f"{' '.join(still_on + still_run)} (numpy still reports it on or runs kernels on it)"
        )
    print(
        f"simd_off: switching off {tier} ({value}); numpy's kernels ran on "
        f"{', '.join(before['current']) or 'n/a'}, now on {', '.join(after['current']) or 'n/a'}",
        file=sys.stderr,
    )
    print(value)


if __name__ == "__main__":
    main()
