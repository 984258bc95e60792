"""
Helpers shared by the tests: file descriptor leak checks.

The test servers run in this process, so a connection that the client has
closed may still hold a server-side descriptor for a moment, until the server
thread notices. The check therefore retries for a short, bounded while before
it calls anything a leak.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import socket
import struct
import time
from collections.abc import Iterator

FD_DIR = "/proc/self/fd"
SETTLE_TIMEOUT = 1.0


def fd_checks_supported() -> bool:
    return os.path.isdir(FD_DIR)


def open_fd_count() -> int:
    """How many file descriptors this process has open."""
    # Listing the directory opens one more descriptor, the same every time.
    return len(os.listdir(FD_DIR))


def open_fds() -> dict[int, str]:
    """Open descriptors and what each refers to ("socket:[1234]", a path...)."""
    fds = {}
    for name in os.listdir(FD_DIR):
        try:
            fds[int(name)] = os.readlink(os.path.join(FD_DIR, name))
        except OSError:
            pass  # Closed meanwhile, or the listing's own descriptor.
    return fds


def new_fds(before: dict[int, str]) -> dict[int, str]:
    """Descriptors open now that were not open (to the same thing) `before`."""
    return {fd: target for fd, target in open_fds().items() if before.get(fd) != target}


def wait_for_fds(
    before: dict[int, str], timeout: float = SETTLE_TIMEOUT
) -> dict[int, str]:
    """Collect garbage and wait until no descriptor beyond `before` is open.

    Returns what is still open after `timeout`: empty when nothing leaked.
    """
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        leaked = new_fds(before)
        if not leaked or time.monotonic() >= deadline:
            return leaked
        time.sleep(0.01)


def describe_leak(leaked: dict[int, str]) -> str:
    sockets = tcp_sockets()
    lines = [f"{len(leaked)} file descriptor(s) leaked:"]
    for fd, target in sorted(leaked.items()):
        match = re.fullmatch(r"socket:\[(\d+)\]", target)
        detail = sockets.get(int(match.group(1)), "") if match else ""
        lines.append(f"  fd {fd} -> {target} {detail}".rstrip())
    return "\n".join(lines)


_TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "0A": "LISTEN",
}


def tcp_sockets() -> dict[int, str]:
    """TCP sockets by inode, as "tcp 127.0.0.1:50000 -> 127.0.0.1:443 (STATE)"."""
    found = {}
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            with open(f"/proc/self/net/{name}") as table:
                rows = table.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, remote = _address(fields[1], family), _address(fields[2], family)
            state = _TCP_STATES.get(fields[3], fields[3])
            found[int(fields[9])] = f"{name} {local} -> {remote} ({state})"
    return found


def _address(field: str, family: int) -> str:
    # The kernel prints the address as host-order 32-bit words, in hex.
    host_hex, port_hex = field.split(":")
    words = [int(host_hex[i : i + 8], 16) for i in range(0, len(host_hex), 8)]
    host = socket.inet_ntop(family, struct.pack(f"={len(words)}I", *words))
    port = int(port_hex, 16)
    return f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"


@contextlib.contextmanager
def no_fd_leak(timeout: float = SETTLE_TIMEOUT) -> Iterator[None]:
    """Assert that the `with` block leaves no file descriptor open behind it.

    Inside a test body, for one step; the `no_fd_leak` fixture checks a whole
    test.
    """
    if not fd_checks_supported():  # No /proc: not Linux.
        yield
        return
    gc.collect()
    before = open_fds()
    yield
    leaked = wait_for_fds(before, timeout)
    assert not leaked, describe_leak(leaked)
