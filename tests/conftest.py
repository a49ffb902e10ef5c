"""Fixtures: a fresh project folder per test, and an IPython shell with the extension."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the current folder, with no BIZML_LEDGER override."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BIZML_LEDGER", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def _shell() -> Any:
    from IPython.testing.globalipapp import start_ipython

    return start_ipython()


@pytest.fixture
def ip(_shell: Any, project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test IPython shell with bizml_nb loaded, working in a fresh project folder."""
    # As in a fresh kernel, no builtins._: IPython does not set `_` while it exists, and
    # plain Python's displayhook (doctest.testmod in another test) leaves it behind.
    monkeypatch.delattr(builtins, "_", raising=False)
    _shell.run_line_magic("load_ext", "bizml_nb")
    yield _shell
    _shell.run_line_magic("unload_ext", "bizml_nb")


RECSYS_SETUP = [
    "init --project recsys-home --currency USD",
    "metric take_rate --unit ratio --direction higher --baseline 0.112 --target 0.120 "
    '--value-per-unit 2.5e9 --owner "growth PM" --description "quality plays / recommendations seen"',
    'link ndcg@10 take_rate --elasticity 0.35 --interval 0.20 0.50 --source "A/B tests 2026 Q1-Q3"',
]


@pytest.fixture
def recsys(ip: Any) -> Any:
    """The shell after the quickstart's init, metric and link lines."""
    for line in RECSYS_SETUP:
        ip.run_line_magic("bizml", line)
    return ip
