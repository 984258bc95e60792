"""
One pooled connection: it opens TCP (or a Unix socket), adds TLS for https,
then hands the stream to the protocol that ALPN picked.

Its state is always one of `ConnectionState`'s, and only the pool changes it,
inside the pool's bookkeeping:

```
CONNECTING --connected--> ACTIVE --response done--> IDLE --picked--> ACTIVE
     |                       |                       |
     +--failed/cancelled-----+----error/not reusable-+--expired/evicted--> CLOSED
```
"""

from __future__ import annotations

import enum
import ssl
import typing

from .._backends.base import Backend, NetworkStream, SocketOption
from .._config import Timeout
from .._exceptions import ConnectError, ConnectTimeout
from .._models import AsyncResponse, Request
from .._urls import Origin
from .http11 import HTTP11Protocol

# (scheme, host, port, id of the SSL context or 0, SNI hostname): connections
# are shared only between requests with equal keys.
PoolKey = tuple[str, str, int, int, str | None]


class ConnectionState(enum.Enum):
    CONNECTING = "connecting"  # holds a pool slot; no usable stream yet
    IDLE = "idle"  # connected, kept alive, serving nothing
    ACTIVE = "active"  # serving a request
    CLOSED = "closed"  # gone; holds no slot


class AsyncHTTPConnection:
    """A connection to one origin, with one TLS configuration."""

    __slots__ = (
        "_protocol",
        "idle_since",
        "key",
        "on_release",
        "origin",
        "sni_hostname",
        "ssl_context",
        "state",
    )

    def __init__(
        self,
        origin: Origin,
        key: PoolKey,
        *,
        ssl_context: ssl.SSLContext | None,
        sni_hostname: str | None = None,
    ) -> None:
        self.origin = origin
        self.key = key
        self.ssl_context = ssl_context
        self.sni_hostname = sni_hostname
        self.state = ConnectionState.CONNECTING
        self.idle_since = 0.0
        self._protocol: HTTP11Protocol | None = None
        # Set by the pool: called once per response with "can be reused".
        self.on_release: typing.Callable[[AsyncHTTPConnection, bool], None] = _unpooled

    async def connect(
        self,
        backend: Backend,
        timeout: Timeout,
        *,
        retries: int = 0,
        local_address: str | None = None,
        uds: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> None:
        """Open the stream (with TLS for https) and choose the protocol."""
        attempt = 0
        while True:
            try:
                stream = await self._open(
                    backend, timeout, local_address, uds, socket_options
                )
                break
            except (ConnectError, ConnectTimeout):
                if attempt >= retries:
                    raise
                await backend.sleep(0.5 * (2**attempt))
                attempt += 1
        self._protocol = HTTP11Protocol(stream, self._response_done)

    async def _open(
        self,
        backend: Backend,
        timeout: Timeout,
        local_address: str | None,
        uds: str | None,
        socket_options: typing.Iterable[SocketOption] | None,
    ) -> NetworkStream:
        if uds is not None:
            stream = await backend.connect_unix_socket(
                uds, timeout.connect, socket_options=socket_options
            )
        else:
            stream = await backend.connect_tcp(
                self.origin.host,
                self.origin.port,
                timeout.connect,
                local_address=local_address,
                socket_options=socket_options,
            )
        if self.origin.is_ssl:
            assert self.ssl_context is not None
            stream = await stream.start_tls(
                self.ssl_context,
                server_hostname=self.sni_hostname or self.origin.host,
                timeout=timeout.connect,
            )
        return stream

    async def handle_request(self, request: Request, timeout: Timeout) -> AsyncResponse:
        assert self._protocol is not None
        return await self._protocol.handle_request(request, timeout)

    def _response_done(self, reusable: bool) -> None:
        if not reusable:
            self.close_nowait()
        self.on_release(self, reusable)

    def has_expired(self, now: float, keepalive_expiry: float | None) -> bool:
        """An idle connection past its keep-alive time, or closed by the server."""
        if keepalive_expiry is not None and now - self.idle_since > keepalive_expiry:
            return True
        assert self._protocol is not None
        return bool(self._protocol.stream.get_extra_info("is_readable"))

    @property
    def requests_served(self) -> int:
        return 0 if self._protocol is None else self._protocol.requests_started

    def close_nowait(self) -> None:
        if self._protocol is not None:
            self._protocol.stream.close_nowait()

    def info(self) -> str:
        """A one-line description, for logs and reprs."""
        return f"{self.origin!r}, HTTP/1.1, {self.state.value}"

    def __repr__(self) -> str:
        return f"<AsyncHTTPConnection [{self.info()}]>"


def _unpooled(connection: AsyncHTTPConnection, reusable: bool) -> None:
    pass
