"""
Wrappers around a backend's network stream, the same for every backend.

- `UpgradedStream`: the stream a 101 or CONNECT response hands over, which
  first returns the bytes the HTTP/1.1 parser had already read past the
  response head (a server may send them in the same packet).
- `SyncNetworkStream`: what the sync API (`ConnectionPool`, `Client`)
  exposes as a response's `network_stream`: the same stream, with blocking
  methods, driven like the rest of the sync API.
"""

from __future__ import annotations

import ssl
import typing

from .._exceptions import ConnectError
from ._drive import drive
from .base import NetworkStream


class UpgradedStream:
    """A network stream with some bytes already received: those come first."""

    __slots__ = ("_buffer", "_stream")

    def __init__(self, stream: NetworkStream, buffered: bytes) -> None:
        self._stream = stream
        self._buffer = buffered

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._buffer:
            data = self._buffer[:max_bytes]
            self._buffer = self._buffer[max_bytes:]
            return data
        return await self._stream.read(max_bytes, timeout)

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        await self._stream.write(data, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    def close_nowait(self) -> None:
        self._stream.close_nowait()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> NetworkStream:
        if self._buffer:
            self.close_nowait()
            raise ConnectError(
                "The server sent bytes before the TLS handshake could start."
            )
        return await self._stream.start_tls(ssl_context, server_hostname, timeout)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable" and self._buffer:
            return True
        return self._stream.get_extra_info(info)


class SyncNetworkStream:
    """
    A response's network stream, for the sync API.

    ```python
    with pool.stream("GET", url, headers=upgrade_headers) as response:
        stream = response.extensions["network_stream"]
        stream.write(b"hello")
        reply = stream.read(1024)
    ```
    """

    __slots__ = ("_stream",)

    def __init__(self, stream: NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Up to `max_bytes` bytes; b"" once the peer has closed its side."""
        return drive(self._stream.read(max_bytes, timeout))

    def write(self, data: bytes, timeout: float | None = None) -> None:
        drive(self._stream.write(data, timeout))

    def close(self) -> None:
        drive(self._stream.aclose())

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> SyncNetworkStream:
        """TLS over this stream (over a CONNECT tunnel, say)."""
        stream = drive(self._stream.start_tls(ssl_context, server_hostname, timeout))
        return SyncNetworkStream(stream)

    def get_extra_info(self, info: str) -> typing.Any:
        """`ssl_object`, `client_addr`, `server_addr`, `socket`, `is_readable`."""
        return self._stream.get_extra_info(info)

    def __enter__(self) -> SyncNetworkStream:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()
