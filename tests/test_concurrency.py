"""Several processes editing one bizml.toml at once: every edit is kept, none is lost.

Each test starts its writers, waits until every one of them reports that it is
ready (imports done), then lets them all go at once through their stdin: a
barrier without clocks or sleeps.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from bizml_nb.core._io import WriteError
from bizml_nb.core.registry import FILENAME, BusinessMetric, Registry, init_file, upsert_metric

if TYPE_CHECKING:
    from pathlib import Path

TIMEOUT_S = 300

DECLARE = """
import os, sys
import bizml_nb
root, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.chdir(root)
print("ready", flush=True)
sys.stdin.readline()
for i in range(count):
    name = f"{prefix}_{i}"
    declared = bizml_nb.metric(name, unit="count", direction="higher", baseline=float(i))
    assert (declared.name, declared.baseline) == (name, i), declared
"""

KERNEL = """
import os, sys
from IPython.testing.globalipapp import start_ipython
root, stop = sys.argv[1], sys.argv[2]
os.chdir(root)
ip = start_ipython()
ip.run_line_magic("load_ext", "bizml_nb")
print("ready", flush=True)
sys.stdin.readline()
count = 0
while not os.path.exists(stop) or count < 20:
    ip.run_line_magic("bizml", f"metric K_{count} --unit count --direction higher --baseline {count}")
    assert ip.user_ns["bizml_nb"].project().registry.metric(f"K_{count}").baseline == count
    count += 1
print(count, flush=True)
"""

HOLD = """
import sys
from bizml_nb.core._io import locked
with locked(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _start(script: str, *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )


def _wait_ready(procs: list[subprocess.Popen[str]], word: str = "ready") -> None:
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != word:
            _out, err = proc.communicate(timeout=TIMEOUT_S)
            pytest.fail(f"a writer did not start: {line!r} {err}")


def _go(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()


def test_processes_declaring_at_once_keep_every_metric(tmp_path: Path) -> None:
    """4 processes x 25 `bizml_nb.metric(...)` calls into one project: all 100 are there,
    and each process sees its declaration the moment it returns."""
    init_file(tmp_path / FILENAME, project="shared", currency="USD")
    workers, count = 4, 25
    procs = [_start(DECLARE, str(tmp_path), f"P{w}", str(count)) for w in range(workers)]
    _wait_ready(procs)
    _go(procs)
    for proc in procs:
        _out, err = proc.communicate(timeout=TIMEOUT_S)
        assert (proc.returncode, err) == (0, "")
    registry = Registry.load(tmp_path / FILENAME)
    expected = {f"P{w}_{i}": float(i) for w in range(workers) for i in range(count)}
    assert {name: m.baseline for name, m in registry.metrics.items()} == expected
    assert (registry.name, registry.currency) == ("shared", "USD")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{FILENAME}.lock", FILENAME]


def test_a_kernel_and_the_cli_editing_at_once_lose_nothing(tmp_path: Path) -> None:
    """An IPython shell declaring KPIs with `%bizml metric` in a loop while `bizml init
    --currency` runs 12 times: every KPI is kept and the last currency set wins."""
    bizml = shutil.which("bizml")
    assert bizml is not None, "the bizml command is installed with the package"
    init_file(tmp_path / FILENAME, project="shared", currency="USD")
    stop = tmp_path / "stop"
    kernel = _start(KERNEL, str(tmp_path), str(stop))
    _wait_ready([kernel])
    _go([kernel])
    currencies = [
        "EUR",
        "GBP",
        "JPY",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "CAD",
        "AUD",
    ]
    for currency in currencies:
        cli = subprocess.run(
            [bizml, "init", "--currency", currency],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        assert (cli.returncode, cli.stderr) == (0, ""), cli.stdout
        assert cli.stdout == (
            f"updated {tmp_path.resolve() / FILENAME}: project 'shared', currency {currency}\n"
        )
    stop.touch()
    out, err = kernel.communicate(timeout=TIMEOUT_S)
    assert (kernel.returncode, err) == (0, "")
    *said, last = out.splitlines()
    declared = int(last)
    assert said == [f"created business metric 'K_{i}' in {FILENAME}" for i in range(declared)]
    registry = Registry.load(tmp_path / FILENAME)
    assert {name: m.baseline for name, m in registry.metrics.items()} == {
        f"K_{i}": float(i) for i in range(declared)
    }
    assert (registry.name, registry.currency) == ("shared", "AUD")


def test_an_edit_waits_for_the_lock_and_then_names_its_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another process holds the edit lock, an edit gives up after the timeout with a
    message naming that process and the lock file; bizml.toml is left as it was."""
    path = tmp_path / FILENAME
    init_file(path, project="p")
    before = path.read_bytes()
    holder = _start(HOLD, str(path))
    try:
        _wait_ready([holder], "held")
        monkeypatch.setattr("bizml_nb.core.registry.toml_edit.LOCK_TIMEOUT_S", 0.0)
        with pytest.raises(WriteError) as info:
            upsert_metric(path, BusinessMetric("m", "count", "higher"))
    finally:
        holder.communicate("done\n", timeout=TIMEOUT_S)
    lock = tmp_path / f".{FILENAME}.lock"
    assert str(info.value) == (
        f"{path} is being edited by another process (pid {holder.pid} on "
        f"{socket.gethostname()}: -c {path}); waited 0 s for its lock {lock}. Try again when "
        "it has finished; if that process is gone, delete the lock file"
    )
    assert path.read_bytes() == before
    assert upsert_metric(path, BusinessMetric("m", "count", "higher")) == "created"
