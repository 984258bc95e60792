"""
The backend interface: everything the core may await.

The core (dispatchers, connections, client logic) awaits nothing but these
primitives, so the same code runs on asyncio, trio, or the sync backend, whose
primitives block and never suspend.

Timeouts are passed per operation, as seconds or None, and raise the
matching httpcore `TimeoutException`; every other failure is translated to an
httpcore exception at this layer.
"""

from __future__ import annotations

import ssl
import typing

SocketOption = typing.Union[
    tuple[int, int, int],
    tuple[int, int, bytes | bytearray],
    tuple[int, int, None, int],
]


class NetworkStream(typing.Protocol):
    """A connected byte stream: TCP or a Unix socket, with or without TLS."""

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Bytes from the peer; b"" once the peer has closed its side."""

    async def write(self, data: bytes, timeout: float | None = None) -> None: ...

    async def aclose(self) -> None:
        """Close the stream. Never raises, never blocks for long."""

    def close_nowait(self) -> None:
        """Close without awaiting: for finalizers and abandoned responses."""

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None,
        timeout: float | None,
    ) -> NetworkStream: ...

    def get_extra_info(self, info: str) -> typing.Any:
        """`ssl_object`, `client_addr`, `server_addr`, `socket`, `is_readable`."""


class Event(typing.Protocol):
    def set(self) -> None: ...

    def is_set(self) -> bool: ...

    async def wait(self, timeout: float | None) -> bool:
        """True once set; False when `timeout` elapsed first."""


class Lock(typing.Protocol):
    async def acquire(self) -> None: ...

    def release(self) -> None: ...


class Backend(typing.Protocol):
    """The primitives of one I/O library."""

    name: str

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None,
        *,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> NetworkStream: ...

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None,
        *,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> NetworkStream: ...

    async def resolve(
        self, host: str, port: int, timeout: float | None
    ) -> list[typing.Any]:
        """`socket.getaddrinfo` results for `host` (SOCK_STREAM)."""

    async def sleep(self, seconds: float) -> None: ...

    def create_event(self) -> Event: ...

    def create_lock(self) -> Lock: ...

    def monotonic(self) -> float: ...
