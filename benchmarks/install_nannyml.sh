#!/usr/bin/env bash
# Install NannyML, the peer that `python -m benchmarks.bench_monitor` compares
# bizml_nb.monitor with, into its own virtual environment (git-ignored):
#
#   benchmarks/.venvs/nannyml    nannyml + statsmodels + pandas + pyarrow (bench_monitor_scale reads Parquet)
#
# Idempotent: a venv that already holds the pinned version is left alone.
# Usage: bash benchmarks/install_nannyml.sh [PYTHON]   (default: the python on PATH)
#
# Pin: nannyml 0.13.1 installs here beside pandas 3, but imports statsmodels
# without declaring it, so statsmodels is installed beside it. NannyML sends
# usage telemetry unless NML_DISABLE_USAGE_LOGGING=1: set here and by the benchmark.
set -euo pipefail

export NML_DISABLE_USAGE_LOGGING=1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${1:-${PYTHON:-python}}"
VENVS="${PEER_VENVS:-$HERE/.venvs}"  # bench_monitor.py looks in benchmarks/.venvs
NANNYML_VERSION="${NANNYML_VERSION:-0.13.1}"
VENV="$VENVS/nannyml"
PY="$VENV/bin/python"

# pip, without the warnings this machine's pip config prints for index folders it lacks.
pip_in() {
    local py="$1"
    shift
    "$py" -m pip "$@" 2> >(grep -v "^WARNING: Location '.*' is ignored" >&2)
}

check='import importlib.metadata as m, statsmodels, pandas, nannyml; print(m.version("nannyml"))'
mkdir -p "$VENVS"
if [[ -x "$PY" ]]; then
    have="$("$PY" -c "$check" 2>/dev/null || true)"
    if [[ "$have" == "$NANNYML_VERSION" ]]; then
        echo "nannyml: nannyml $have, statsmodels and pandas already installed in $VENV; nothing to do"
        exit 0
    fi
    echo "nannyml: $VENV lacks a working nannyml $NANNYML_VERSION; installing into it"
else
    echo "nannyml: creating $VENV with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
    pip_in "$PY" install --quiet --upgrade pip
fi
t0=$SECONDS
if pip_in "$PY" install --quiet "nannyml==$NANNYML_VERSION" statsmodels pandas pyarrow; then
    if have="$("$PY" -c "$check" 2>&1)"; then
        echo "nannyml: installed nannyml $have in $((SECONDS - t0)) s"
        pip_in "$PY" list --format=freeze \
            | grep -iE "^(nannyml|pandas|numpy|scipy|scikit-learn|statsmodels)==" | sed "s/^/nannyml:   /"
    else
        echo "nannyml: installed but \`import nannyml\` fails: $have"
        exit 1
    fi
else
    echo "nannyml: FAILED to install nannyml==$NANNYML_VERSION (see pip's output above); the benchmark will say so"
    exit 1
fi
