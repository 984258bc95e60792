"""Socket helpers shared by the backends."""

from __future__ import annotations

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


def is_socket_readable(sock: socket.socket | None) -> bool:
    """
    True when an idle connection's socket has something to read: the peer
    closed it, reset it, or sent bytes no request asked for. Either way the
    connection cannot be reused. One non-blocking poll, no read.
    """
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def tls_handshake_errors(
    base: typing.Mapping[type[BaseException], type[Exception]],
) -> dict[type[BaseException], type[Exception]]:
    """Map TLS failures (bad certificate, garbage from the peer) to ConnectError."""
    return {ssl.SSLError: ConnectError, ssl.CertificateError: ConnectError, **base}
