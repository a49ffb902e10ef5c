"""Project-wide pytest set-up (applies to tests/ and to the nbval-checked notebooks/)."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

import pytest

# Each card also carries the whole run record (ids, times) as JSON, an observation card
# its observation record (its id, when it was recorded): a copy of what
# text/plain and text/html already show, so nbval compares those two instead.
VOLATILE_MIME = ("application/vnd.bizml.run+json", "application/vnd.bizml.observation+json")


def pytest_collectstart(collector: Any) -> None:
    if getattr(collector, "fspath", None) is not None and collector.fspath.ext == ".ipynb":
        collector.skip_compare = (*collector.skip_compare, *VOLATILE_MIME)


# --------------------------------------------------------------------------- no network
#
# The suite must not reach the network: nothing in bizml_nb needs it, and a test that
# quietly did would pass here and hang or fail elsewhere. From configure to unconfigure,
# connecting a socket to anything but loopback (127.0.0.0/8, ::1, "localhost") or a
# Unix socket raises NetworkBlockedError at once, without a DNS lookup.
#
# This guards the pytest process only. The kernels nbval and nbclient start are
# separate processes and are not patched; they talk to pytest over loopback ZMQ
# (libzmq's own sockets), which the guard would allow anyway, as it allows the
# loopback TCP a browser test would use.


class NetworkBlockedError(ConnectionRefusedError):
    """An attempt to connect outside this machine during the test suite."""


_ORIGINAL: dict[str, Any] = {}
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.split("%", 1)[0].strip("[]").lower()  # "fe80::1%eth0", "[::1]"
    if name in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # a host name: refused without resolving it
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _check(family: int, address: Any) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return  # AF_UNIX (paths) and other local families
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_loopback(host):
        raise NetworkBlockedError(
            f"network access is blocked in the test suite: connect to {address!r} refused "
            "(only loopback and Unix sockets are allowed; see conftest.py)"
        )


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(self.family, address)
    return _ORIGINAL["connect"](self, address)  # type: ignore[no-any-return]


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(self.family, address)
    return _ORIGINAL["connect_ex"](self, address)  # type: ignore[no-any-return]


def _guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
    family = socket.AF_INET6 if ":" in str(address[0]) else socket.AF_INET
    _check(family, address)
    return _ORIGINAL["create_connection"](address, *args, **kwargs)  # type: ignore[no-any-return]


def block_network() -> None:
    """Refuse non-loopback connections in this process (idempotent)."""
    if _ORIGINAL:
        return
    _ORIGINAL.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        create_connection=socket.create_connection,
    )
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.create_connection = _guarded_create_connection


def unblock_network() -> None:
    """Put the original socket functions back."""
    if not _ORIGINAL:
        return
    socket.socket.connect = _ORIGINAL["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _ORIGINAL["connect_ex"]  # type: ignore[method-assign]
    socket.create_connection = _ORIGINAL["create_connection"]
    _ORIGINAL.clear()


def pytest_configure(config: Any) -> None:
    block_network()
    if os.environ.get(NO_SKIP_ENV, "") not in ("", "0"):
        config.pluginmanager.register(NoSkip(), "bizml-no-skip")


def pytest_unconfigure(config: Any) -> None:
    unblock_network()


# --------------------------------------------------------------------------- no skips in CI
#
# On a developer machine a test may skip and say why (no Chromium, no chattr). In CI
# every such reason must be met: `.ci/run` sets BIZML_NO_SKIP=1, and then a skipped
# test, module or notebook cell fails the session, listed with its reason. An xfail is
# not a skip and is left alone.

NO_SKIP_ENV = "BIZML_NO_SKIP"


class NoSkip:
    """Collects every skip of the session and turns a passing session into a failed one."""

    def __init__(self) -> None:
        self.skipped: list[tuple[str, str]] = []

    def _record(self, report: pytest.CollectReport | pytest.TestReport) -> None:
        if not report.skipped or hasattr(report, "wasxfail"):
            return
        reason = report.longrepr
        if isinstance(reason, tuple) and len(reason) == 3:  # (path, line, "Skipped: why")
            reason = str(reason[2]).removeprefix("Skipped: ")
        self.skipped.append((report.nodeid, str(reason)))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._record(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        passing = (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
        if self.skipped and session.exitstatus in passing:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.skipped:
            return
        write = terminalreporter.line
        terminalreporter.section(f"skipped, and {NO_SKIP_ENV}=1 forbids it", red=True, bold=True)
        for nodeid, reason in self.skipped:
            write(f"SKIPPED {nodeid or '(collection)'}: {reason}", red=True)
        write(
            f"{len(self.skipped)} skipped: with {NO_SKIP_ENV}=1 (set by .ci/run) a skip fails "
            "the run. Give this machine what each reason asks for; to let tests skip on a "
            f"developer machine, run pytest without {NO_SKIP_ENV}.",
            red=True,
            bold=True,
        )
