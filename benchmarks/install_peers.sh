#!/usr/bin/env bash
# Install the peer trackers that `python -m benchmarks` compares bizml_nb with,
# each into its own virtual environment under benchmarks/.venvs/ (git-ignored):
#
#   benchmarks/.venvs/mlflow    mlflow (full package: its SQLite backend needs it)
#   benchmarks/.venvs/trackio   trackio (local-first, SQLite)
#
# Idempotent: a venv that already holds the pinned version is left alone.
# Usage: bash benchmarks/install_peers.sh [PYTHON]   (default: the python on PATH)
#
# Pins: mlflow 3.17.2 is the release whose full package installs here (a bare
# `pip install mlflow` may resolve to a release whose mlflow-skinny twin is not
# published yet); trackio 0.43.0.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${1:-${PYTHON:-python}}"
VENVS="${PEER_VENVS:-$HERE/.venvs}"  # bench_peers.py looks in benchmarks/.venvs
MLFLOW_VERSION="${MLFLOW_VERSION:-3.17.2}"
TRACKIO_VERSION="${TRACKIO_VERSION:-0.43.0}"

# pip, without the warnings this machine's pip config prints for index folders it lacks.
pip_in() {
    local py="$1"
    shift
    "$py" -m pip "$@" 2> >(grep -v "^WARNING: Location '.*' is ignored" >&2)
}

# One venv: NAME, the distribution whose version is pinned, then the pip requirements.
install_peer() {
    local name="$1" dist="$2" version="$3"
    shift 3
    local venv="$VENVS/$name" py="$VENVS/$name/bin/python"
    if [[ -x "$py" ]]; then
        local have
        have="$("$py" -c "import importlib.metadata as m, pandas; print(m.version('$dist'))" 2>/dev/null || true)"
        if [[ "$have" == "$version" ]]; then
            echo "$name: $dist $have and pandas already installed in $venv; nothing to do"
            return 0
        fi
        echo "$name: $venv lacks $dist $version or pandas; installing into it"
    else
        echo "$name: creating $venv with $("$PYTHON" --version 2>&1)"
        "$PYTHON" -m venv "$venv"
        pip_in "$py" install --quiet --upgrade pip
    fi
    local t0=$SECONDS
    if pip_in "$py" install --quiet "$@"; then
        echo "$name: installed $* in $((SECONDS - t0)) s"
        pip_in "$py" list --format=freeze \
            | grep -iE "^($dist|pandas|numpy|sqlalchemy|alembic)==" | sed "s/^/$name:   /"
    else
        echo "$name: FAILED to install $* (see pip's output above); its benchmark rows will say so"
        return 1
    fi
}

mkdir -p "$VENVS"
status=0
install_peer mlflow mlflow "$MLFLOW_VERSION" "mlflow==$MLFLOW_VERSION" pandas || status=1
install_peer trackio trackio "$TRACKIO_VERSION" "trackio==$TRACKIO_VERSION" pandas || status=1
echo "done: venvs in $VENVS; run \`python -m benchmarks\` to compare"
exit $status
