"""Socket helpers shared by the backends."""

from __future__ import annotations

import math
import select
import socket
import ssl
import typing

from .._exceptions import ConnectError
from .base import SocketOption


def apply_socket_options(
    sock: socket.socket, options: typing.Iterable[SocketOption] | None
) -> None:
    for option in options or ():
        sock.setsockopt(*option)


def check_port(port: int) -> None:
    """Before any lookup or socket: a port no server can listen on."""
    if not 0 < port < 65536:
        # Port 0 is valid in a URL, but means "any port" to the kernel.
        raise ConnectError(f"Invalid port {port}: not a port from 1 to 65535.")


def is_socket_readable(sock: socket.socket | None) -> bool:
    """
    True when an idle connection's socket has something to read: the peer
    closed it, reset it, or sent bytes no request asked for. Either way the
    connection cannot be reused. One non-blocking poll, no read.
    """
    if sock is None or sock.fileno() < 0:
        return True
    return bool(readable_poller(sock.fileno()).poll(0))


def readable_poller(fd: int) -> select.poll:
    """A poll object for `fd`'s readability: a stream checked before every
    reuse keeps one (while `fd` is open: a closed descriptor's number may be
    taken by another socket)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return poller


def finite(timeout: float | None) -> float | None:
    """None for no limit, also when given as float("inf") (blocking calls refuse it)."""
    if timeout is None or math.isinf(timeout):
        return None
    return timeout


def check_unix_sockets() -> None:
    """Unix domain sockets are not on every platform (not on Windows)."""
    if not hasattr(socket, "AF_UNIX"):  # pragma: no cover - POSIX runs the tests
        raise RuntimeError("Unix domain sockets (uds=) are not available here.")


def poll_writable(
    socks: list[socket.socket], timeout: float | None
) -> list[socket.socket]:
    """The sockets of `socks` that are writable, once one is or `timeout` ends."""
    poller = select.poll()
    for sock in socks:
        poller.register(sock, select.POLLOUT)
    timeout = finite(timeout)
    wait = None if timeout is None else math.ceil(timeout * 1000)
    ready = {fd for fd, _ in poller.poll(wait)}
    return [sock for sock in socks if sock.fileno() in ready]


def tls_handshake_errors(
    base: typing.Mapping[type[BaseException], type[Exception]],
) -> dict[type[BaseException], type[Exception]]:
    """Map TLS failures (bad certificate, garbage from the peer) to ConnectError."""
    return {ssl.SSLError: ConnectError, ssl.CertificateError: ConnectError, **base}


# A handshake the server cut short: OpenSSL's words for it (or asyncio's bare
# ConnectionResetError) do not say so plainly.
HANDSHAKE_CUT_SHORT = (ssl.SSLEOFError, ConnectionError)


def handshake_cut_short(exc: BaseException) -> ConnectError:
    """The error for a server that closed the connection mid-handshake."""
    detail = str(exc) or type(exc).__name__
    return ConnectError(
        f"The server closed the connection during the TLS handshake ({detail})."
    )
