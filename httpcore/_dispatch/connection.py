"""
One pooled connection: it opens TCP (or a Unix socket), adds TLS for https,
then hands the stream to the protocol that ALPN picked (or, with prior
knowledge, HTTP/2 over plain TCP).

Its state is always one of `ConnectionState`'s, and only the pool changes it,
inside the pool's bookkeeping:

```
CONNECTING --connected--> ACTIVE --response done--> IDLE --picked--> ACTIVE
     |                       |                       |
     +--failed/cancelled-----+----error/not reusable-+--expired/evicted--> CLOSED
```

An HTTP/2 connection is ACTIVE while it carries at least one stream (the
pool counts them in `streams_in_use`) and IDLE with none.
"""

from __future__ import annotations

import enum
import logging
import ssl
import typing

from .._backends.base import Backend, NetworkStream, SocketOption
from .._config import Timeout, time_left
from .._exceptions import ConnectError, ConnectTimeout
from .._models import AsyncResponse, Request
from .._urls import Origin
from .http11 import HTTP11Protocol
from .trace import trace

if typing.TYPE_CHECKING:  # pragma: no cover
    # Imported when a connection first speaks HTTP/2: h2 and hpack are a
    # large part of `import httpcore`, and many programs never need them.
    from .http2 import HTTP2Protocol

logger = logging.getLogger("httpcore.connection")


def _is_http2(protocol: object) -> typing.TypeGuard[HTTP2Protocol]:
    return getattr(protocol, "is_http2", False) is True


RETRY_BACKOFF = 0.5  # seconds before the first retry; doubled each time
# (scheme, host, port, id of the SSL context or 0, SNI hostname): connections
# are shared only between requests with equal keys.
PoolKey = tuple[str, str, int, int, str | None]


class ConnectionState(enum.Enum):
    CONNECTING = "connecting"  # holds a pool slot; no usable stream yet
    IDLE = "idle"  # connected, kept alive, serving nothing
    ACTIVE = "active"  # serving a request (HTTP/2: one or more)
    CLOSED = "closed"  # gone; holds no slot


class AsyncHTTPConnection:
    """A connection to one origin, with one TLS configuration."""

    __slots__ = (
        "_http1",
        "_http2",
        "_protocol",
        "idle_since",
        "key",
        "on_capacity_changed",
        "on_release",
        "origin",
        "sni_hostname",
        "ssl_context",
        "state",
        "streams_in_use",
    )

    def __init__(
        self,
        origin: Origin,
        key: PoolKey,
        *,
        ssl_context: ssl.SSLContext | None,
        sni_hostname: str | None = None,
        http1: bool = True,
        http2: bool = False,
    ) -> None:
        self.origin = origin
        self.key = key
        self.ssl_context = ssl_context
        self.sni_hostname = sni_hostname
        self._http1 = http1
        self._http2 = http2
        self.state = ConnectionState.CONNECTING
        self.idle_since = 0.0
        # Requests the pool has handed this connection: HTTP/1.1 one at most,
        # HTTP/2 up to `stream_capacity`.
        self.streams_in_use = 0
        self._protocol: HTTP11Protocol | HTTP2Protocol | None = None
        # Set by the pool: called once per response with "can be reused".
        self.on_release: typing.Callable[[AsyncHTTPConnection, bool], None] = _unpooled
        # Set by the pool: an HTTP/2 connection's capacity for streams changed.
        self.on_capacity_changed: typing.Callable[[AsyncHTTPConnection], None] = (
            _unpooled_capacity
        )

    async def connect(
        self,
        backend: Backend,
        timeout: Timeout,
        *,
        request: Request | None = None,
        retries: int = 0,
        local_address: str | None = None,
        uds: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> None:
        """
        Open the stream (with TLS for https) and choose the protocol. A
        failed attempt is retried `retries` times, after 0.5 s, 1 s, 2 s...
        """
        attempt = 0
        while True:
            try:
                stream = await self._open(
                    backend, timeout, request, local_address, uds, socket_options
                )
                break
            except (ConnectError, ConnectTimeout):
                if attempt >= retries:
                    raise
                delay = RETRY_BACKOFF * (2**attempt)
                left = time_left(timeout)
                if left is not None and delay >= left:
                    raise  # the wait would end past the total timeout
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "connect attempt %d to %r failed; retrying in %s s",
                        attempt + 1,
                        self.origin,
                        delay,
                    )
                await backend.sleep(delay)
                attempt += 1
        if self._speaks_http2(stream):
            from .http2 import HTTP2Protocol

            protocol = HTTP2Protocol(
                stream,
                backend,
                on_stream_done=self._stream_done,
                on_capacity_changed=self._capacity_changed,
            )
            self._protocol = protocol  # so that a failed start is closed
            await protocol.start(timeout, request)
        else:
            self._protocol = HTTP11Protocol(
                stream, self._response_done, on_detach=self._detached
            )

    def _speaks_http2(self, stream: NetworkStream) -> bool:
        if not self.origin.is_ssl:
            return self._http2 and not self._http1  # h2c, by prior knowledge
        ssl_object = stream.get_extra_info("ssl_object")
        alpn = None if ssl_object is None else ssl_object.selected_alpn_protocol()
        if alpn == "h2":
            return True
        if not self._http1:
            if alpn is None and self._http2:
                return True  # no ALPN at all: HTTP/2 by prior knowledge
            stream.close_nowait()
            raise ConnectError(
                f"The server chose {alpn!r} by ALPN, but HTTP/1.1 is disabled "
                "(http1=False)."
            )
        return False

    async def _open(
        self,
        backend: Backend,
        timeout: Timeout,
        request: Request | None,
        local_address: str | None,
        uds: str | None,
        socket_options: typing.Iterable[SocketOption] | None,
    ) -> NetworkStream:
        stream = await self._open_transport(
            backend, timeout, request, local_address, uds, socket_options
        )
        if self.origin.is_ssl:
            assert self.ssl_context is not None
            try:
                stream = await start_tls(
                    stream,
                    self.ssl_context,
                    self.sni_hostname or self.origin.host,
                    timeout,
                    request,
                )
            except BaseException:
                stream.close_nowait()
                raise
            if logger.isEnabledFor(logging.DEBUG):
                ssl_object = stream.get_extra_info("ssl_object")
                logger.debug(
                    "TLS to %r: version=%s alpn=%r",
                    self.origin,
                    ssl_object.version(),
                    ssl_object.selected_alpn_protocol(),
                )
        return stream

    async def _open_transport(
        self,
        backend: Backend,
        timeout: Timeout,
        request: Request | None,
        local_address: str | None,
        uds: str | None,
        socket_options: typing.Iterable[SocketOption] | None,
    ) -> NetworkStream:
        """The byte stream to the origin, before TLS: TCP or a Unix socket
        (a proxy connection overrides this to go through the proxy)."""
        stream: NetworkStream
        if uds is not None:
            info: dict[str, typing.Any] = {
                "path": uds,
                "timeout": timeout.connect,
                "socket_options": socket_options,
            }
            async with trace(
                "connection.connect_unix_socket", logger, request, info
            ) as step:
                stream = await backend.connect_unix_socket(
                    uds, timeout.connect, socket_options=socket_options
                )
                step.return_value = stream
        else:
            host, port = self.address
            info = {
                "host": host,
                "port": port,
                "local_address": local_address,
                "timeout": timeout.connect,
                "socket_options": socket_options,
            }
            async with trace("connection.connect_tcp", logger, request, info) as step:
                stream = await backend.connect_tcp(
                    host,
                    port,
                    timeout.connect,
                    local_address=local_address,
                    socket_options=socket_options,
                )
                step.return_value = stream
        return stream

    @property
    def address(self) -> tuple[str, int]:
        """Where TCP goes: the origin (or, for a tunnel, the proxy)."""
        return self.origin.host, self.origin.port

    def handle_request(
        self, request: Request, timeout: Timeout
    ) -> typing.Coroutine[typing.Any, typing.Any, AsyncResponse]:
        # The protocol's coroutine itself, not one more around it.
        assert self._protocol is not None
        return self._protocol.handle_request(request, timeout)

    @property
    def is_http2(self) -> bool:
        return _is_http2(self._protocol)

    @property
    def stream_capacity(self) -> int:
        """HTTP/2: how many streams may be open now (0 after GOAWAY or an error)."""
        if _is_http2(self._protocol):
            return self._protocol.capacity
        return 1

    def _response_done(self, reusable: bool) -> None:
        if not reusable:
            self.close_nowait()
        self.on_release(self, reusable)

    def _detached(self) -> None:
        """HTTP ended on this connection (101, CONNECT): its stream is the
        response's now, and the pool forgets the connection."""
        self.on_release(self, False)

    def _stream_done(self) -> None:
        self.on_release(self, True)

    def _capacity_changed(self) -> None:
        self.on_capacity_changed(self)

    def has_expired(self, now: float, keepalive_expiry: float | None) -> bool:
        """An idle connection past its keep-alive time, or closed by the server."""
        if keepalive_expiry is not None and now - self.idle_since > keepalive_expiry:
            return True
        protocol = self._protocol
        assert protocol is not None
        if _is_http2(protocol):
            # Bytes waiting on an idle HTTP/2 connection are normal (a PING, a
            # late WINDOW_UPDATE); a GOAWAY among them makes the next stream
            # fail as unprocessed, and the pool sends it again.
            return protocol.capacity == 0
        return bool(protocol.stream.get_extra_info("is_readable"))

    @property
    def requests_served(self) -> int:
        return 0 if self._protocol is None else self._protocol.requests_started

    def close_nowait(self) -> None:
        protocol = self._protocol
        if protocol is None or (
            isinstance(protocol, HTTP11Protocol) and protocol.detached
        ):
            return  # nothing open, or the stream is an upgraded response's
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("close connection %s", self.info())
        protocol.stream.close_nowait()

    def info(self) -> str:
        """A one-line description, for logs and reprs."""
        if _is_http2(self._protocol):
            return (
                f"{self.origin!r}, HTTP/2, {self.state.value}, "
                f"{self.streams_in_use} streams"
            )
        return f"{self.origin!r}, HTTP/1.1, {self.state.value}"

    def __repr__(self) -> str:
        return f"<AsyncHTTPConnection [{self.info()}]>"


async def start_tls(
    stream: NetworkStream,
    ssl_context: ssl.SSLContext,
    server_hostname: str,
    timeout: Timeout,
    request: Request | None,
) -> NetworkStream:
    """TLS over `stream` (which may itself be TLS: to a proxy), traced."""
    info = {
        "ssl_context": ssl_context,
        "server_hostname": server_hostname,
        "timeout": timeout.connect,
    }
    async with trace("connection.start_tls", logger, request, info) as step:
        stream = await stream.start_tls(
            ssl_context, server_hostname=server_hostname, timeout=timeout.connect
        )
        step.return_value = stream
    return stream


def _unpooled(connection: AsyncHTTPConnection, reusable: bool) -> None:
    pass


def _unpooled_capacity(connection: AsyncHTTPConnection) -> None:
    pass
