"""
TLS over a stream that is already TLS, for the sync backend: TLS in TLS,
as through a CONNECT tunnel of an HTTPS proxy.

`ssl.SSLSocket` cannot wrap another `SSLSocket`, so the inner TLS session is
an `ssl.SSLObject` over two memory BIOs: its records are read from and
written to the outer stream, whose own TLS wraps them again.

Thread-safe like `SyncTLSStream` (HTTP/2 reads in one thread while another
writes): every call into the `SSLObject` is made under `_lock`, never held
while waiting on the outer stream, and bytes leave the outgoing BIO under
`_send_lock`, in the order OpenSSL produced them.
"""

from __future__ import annotations

import functools
import ssl
import threading
import typing

from .._exceptions import (
    ConnectError,
    NetworkError,
    ReadError,
    TransportError,
    WriteError,
)
from .base import NetworkStream

READ_SIZE = 64 * 1024
T = typing.TypeVar("T")


class SyncTLSInTLSStream:
    """An `SSLObject` session carried by another (TLS) stream."""

    __slots__ = ("_incoming", "_lock", "_outer", "_outgoing", "_send_lock", "_ssl")

    def __init__(
        self,
        outer: NetworkStream,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None,
    ) -> None:
        self._outer = outer
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._ssl = ssl_context.wrap_bio(
            self._incoming, self._outgoing, server_hostname=server_hostname
        )
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()

    async def handshake(self, timeout: float | None) -> None:
        try:
            await self._run(self._ssl.do_handshake, timeout, ConnectError)
        except BaseException:
            self.close_nowait()
            raise

    async def _run(
        self,
        operation: typing.Callable[[], T],
        timeout: float | None,
        error_class: type[NetworkError],
    ) -> T:
        """Call `operation` until OpenSSL has what it needs from the outer stream."""
        while True:
            with self._lock:
                try:
                    result = operation()
                    want_read = False
                except ssl.SSLWantReadError:
                    want_read = True
                except ssl.SSLError as exc:
                    raise error_class(str(exc)) from exc
            await self._flush(timeout)
            if not want_read:
                return result
            data = await self._outer.read(READ_SIZE, timeout)
            with self._lock:
                if data:
                    self._incoming.write(data)
                else:
                    self._incoming.write_eof()

    async def _flush(self, timeout: float | None) -> None:
        with self._send_lock:
            with self._lock:
                data = self._outgoing.read()
            if data:
                await self._outer.write(data, timeout)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return await self._run(
                lambda: self._ssl.read(max_bytes), timeout, ReadError
            )
        except ReadError as exc:
            # A peer that closes without close_notify ends the stream, as
            # `SSLSocket`'s suppress_ragged_eofs does for plain TLS.
            if isinstance(exc.__cause__, (ssl.SSLZeroReturnError, ssl.SSLEOFError)):
                return b""
            raise

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        view = memoryview(data)
        while view:
            # After a "want", OpenSSL needs the same buffer again.
            written = await self._run(
                functools.partial(self._ssl.write, view), timeout, WriteError
            )
            view = view[written:]

    async def aclose(self) -> None:
        self.close_nowait()

    def close_nowait(self) -> None:
        self._outer.close_nowait()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None,
        timeout: float | None,
    ) -> NetworkStream:
        return await start_tls_in_tls(self, ssl_context, server_hostname, timeout)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "ssl_object":
            return self._ssl
        return self._outer.get_extra_info(info)


async def start_tls_in_tls(
    outer: NetworkStream,
    ssl_context: ssl.SSLContext,
    server_hostname: str | None,
    timeout: float | None,
) -> NetworkStream:
    """TLS over `outer`, which is a TLS stream already."""
    stream = SyncTLSInTLSStream(outer, ssl_context, server_hostname)
    try:
        await stream.handshake(timeout)
    except TransportError as exc:
        if isinstance(exc, ConnectError):
            raise
        raise ConnectError(str(exc)) from exc
    return stream
