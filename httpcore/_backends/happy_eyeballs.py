"""
Opening a TCP connection the happy eyeballs way (RFC 8305), on every backend.

How this works. The host is resolved, and its addresses are put in the
order of RFC 8305 section 4: the family of the first address first, then the
two families alternately (IPv6, IPv4, IPv6, ...). One connection attempt
starts; the next starts when it fails, or after `ATTEMPT_DELAY` seconds
without an answer, and so on. The first attempt to connect wins and every
other one is closed: a host whose IPv6 route is broken costs 250 ms, not a
connect timeout.

The decisions are made by `AttemptPlan`, which does no I/O and takes the
time as an argument, so its ordering and staggering are unit-tested without
a clock. `open_socket` carries them out with non-blocking sockets; a backend
gives it only a resolver and a way to wait until any of several sockets is
writable (a poll, an event loop's writer callbacks, trio's
`wait_writable`), which is why the sync backend can race attempts without a
thread.
"""

from __future__ import annotations

import collections
import errno
import ipaddress
import os
import socket
import typing

from .._exceptions import ConnectError, ConnectTimeout
from .base import SocketOption
from .common import apply_socket_options

ATTEMPT_DELAY = 0.25  # RFC 8305's recommended "Connection Attempt Delay"

# (family, type, proto, canonname, sockaddr), as `socket.getaddrinfo` gives.
AddrInfo = tuple[
    socket.AddressFamily, socket.SocketKind, int, str, tuple[typing.Any, ...]
]
_IN_PROGRESS = frozenset(
    {errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK, errno.EALREADY}
)


class Connector(typing.Protocol):
    """What a backend lends `open_socket`."""

    async def resolve(
        self, host: str, port: int, timeout: float | None
    ) -> list[AddrInfo]: ...

    async def wait_writable(
        self, socks: list[socket.socket], timeout: float | None
    ) -> list[socket.socket]:
        """The sockets of `socks` that are writable, once one is or `timeout` ends."""

    def monotonic(self) -> float: ...


def getaddrinfo(host: str, port: int) -> list[AddrInfo]:
    """The blocking lookup the backends run (in a thread, for async ones)."""
    return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))


def interleave(infos: typing.Sequence[AddrInfo]) -> list[AddrInfo]:
    """RFC 8305 section 4: the first address's family first, then alternate."""
    if not infos:
        return []
    first = infos[0][0]
    preferred = [info for info in infos if info[0] == first]
    others = [info for info in infos if info[0] != first]
    ordered: list[AddrInfo] = []
    for index in range(max(len(preferred), len(others))):
        ordered.extend(
            group[index] for group in (preferred, others) if index < len(group)
        )
    return ordered


T = typing.TypeVar("T")


class AttemptPlan(typing.Generic[T]):
    """
    When each connection attempt starts. No I/O, no clock: the caller passes
    the time. `start(now)` gives the next address once it is due (at once for
    the first, `delay` after the previous start, or as soon as an attempt has
    failed); `next_start()` says when to ask again.
    """

    __slots__ = ("_delay", "_due_at", "_pending", "errors")

    def __init__(self, addresses: typing.Iterable[T], delay: float = ATTEMPT_DELAY):
        self._pending = collections.deque(addresses)
        self._delay = delay
        self._due_at: float | None = None  # None: the next one may start now
        self.errors: list[Exception] = []

    @property
    def exhausted(self) -> bool:
        """Every address has had its attempt started."""
        return not self._pending

    def start(self, now: float) -> T | None:
        """The address whose attempt starts now, or None if none is due."""
        if not self._pending or (self._due_at is not None and now < self._due_at):
            return None
        self._due_at = now + self._delay
        return self._pending.popleft()

    def failed(self, error: Exception) -> None:
        """An attempt failed: the next one need not wait for the delay."""
        self.errors.append(error)
        self._due_at = None

    def next_start(self) -> float | None:
        """When the next attempt is due: None if none is left, or it is due now."""
        return None if not self._pending else self._due_at


async def open_socket(
    connector: Connector,
    host: str,
    port: int,
    timeout: float | None,
    *,
    local_address: str | None = None,
    socket_options: typing.Iterable[SocketOption] | None = None,
) -> socket.socket:
    """A connected, non-blocking TCP socket to `host`, by happy eyeballs."""
    clock = connector.monotonic
    deadline = None if timeout is None else clock() + timeout
    try:
        if _family_of(host) is not None:
            infos = getaddrinfo(host, port)  # an IP address: no lookup to wait for
        else:
            infos = await connector.resolve(host, port, timeout)
    except OSError as exc:
        raise ConnectError(str(exc) or repr(exc)) from exc
    family = _family_of(local_address)
    if family is not None:
        infos = [info for info in infos if info[0] == family]
    if not infos:
        raise ConnectError(
            f"{host!r} has no address of the family of local_address {local_address!r}."
        )
    options = list(socket_options or ())
    plan: AttemptPlan[AddrInfo] = AttemptPlan(interleave(infos))
    in_flight: dict[socket.socket, AddrInfo] = {}
    try:
        while True:
            now = clock()
            info = plan.start(now)
            if info is not None:
                try:
                    in_flight[_start_attempt(info, local_address, options)] = info
                except OSError as exc:
                    plan.failed(exc)
                continue
            if not in_flight:
                assert plan.exhausted
                raise _failure(host, port, plan.errors)
            wake = plan.next_start()
            if deadline is not None:
                if now >= deadline:
                    raise ConnectTimeout(
                        f"Timed out after {timeout} seconds connecting to "
                        f"{host}:{port}."
                    )
                wake = deadline if wake is None else min(wake, deadline)
            wait = None if wake is None else max(wake - now, 0.0)
            for sock in await connector.wait_writable(list(in_flight), wait):
                in_flight.pop(sock)
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if error == 0:
                    return sock
                sock.close()
                plan.failed(OSError(error, _strerror(error)))
    finally:
        for sock in in_flight:
            sock.close()


def _start_attempt(
    info: AddrInfo, local_address: str | None, options: list[SocketOption]
) -> socket.socket:
    """A socket whose non-blocking connect has begun (or already succeeded)."""
    family, kind, proto, _, address = info
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        apply_socket_options(sock, options)
        if local_address is not None:
            sock.bind((local_address, 0))
        error = sock.connect_ex(address)
        if error != 0 and error not in _IN_PROGRESS:
            raise OSError(error, _strerror(error))
    except BaseException:
        sock.close()
        raise
    return sock


def _family_of(address: str | None) -> socket.AddressFamily | None:
    if address is None:
        return None
    try:
        version = ipaddress.ip_address(address).version
    except ValueError:
        return None  # a name: let each attempt's bind() decide
    return socket.AF_INET6 if version == 6 else socket.AF_INET


def _strerror(error: int) -> str:
    try:
        return os.strerror(error)
    except ValueError:  # pragma: no cover - an unknown errno
        return f"error {error}"


def _failure(host: str, port: int, errors: list[Exception]) -> ConnectError:
    """The error for "every attempt failed", chained to the last failure."""
    reasons = "; ".join(dict.fromkeys(str(error) for error in errors))
    error = ConnectError(f"Could not connect to {host}:{port}: {reasons}")
    if errors:
        error.__cause__ = errors[-1]
    return error
