"""Project-wide pytest set-up (applies to tests/ and to the nbval-checked notebooks/)."""

from __future__ import annotations

from typing import Any

# Each card also carries the whole run record (ids, times) as JSON: a copy of what
# text/plain and text/html already show, so nbval compares those two instead.
VOLATILE_MIME = ("application/vnd.bizml.run+json",)


def pytest_collectstart(collector: Any) -> None:
    if getattr(collector, "fspath", None) is not None and collector.fspath.ext == ".ipynb":
        collector.skip_compare = (*collector.skip_compare, *VOLATILE_MIME)
