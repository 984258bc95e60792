"""
The connection pool: keep-alive, limits, and waiting for a free slot.

How it works. Every decision (which connection serves a request, which ones
close, who waits) is made in plain methods ending in `_locked` (in
`pool_state.py`), with no I/O and no await, under one `threading.Lock` that
is never held across an await.
Under asyncio or trio those sections are atomic anyway; under the sync
backend the lock makes the pool thread-safe. The slow work, connecting and
sending, happens outside it.

- Idle connections are kept per pool key (origin + TLS configuration) in
  insertion-ordered dicts, so picking one is O(1) (the most recently used,
  whose socket is warmest) and so is finding the oldest idle connection of
  all, the first to evict or expire.
- Requests that find no slot wait in one FIFO queue. When a slot frees, the
  head of the queue gets an idle connection for its key, or a new
  connection if there is room, or room made by closing the oldest idle
  connection of another key.
- HTTP/2 connections carry many streams: `_spare` keeps, per key, the active
  ones with a stream to spare, so a request takes a stream in O(1), and a
  stream freed there goes to the first waiter of its key even behind a
  request that cannot be served yet. A connection that may turn out to be
  HTTP/2 (https with http2, or prior knowledge) is the only one opened for
  its key while it connects: the key's other requests wait for it in
  `_blocked` (out of the FIFO, so other keys are not held up) and then take
  streams on it, or connections as usual if ALPN chose HTTP/1.1.
- A granted connection is in a named state at every point: a request
  cancelled while waiting, connecting or sending gives back exactly what it
  held (see `_give_back_locked`).
- A response dropped without being closed closes its connection from the
  body's finalizer; the pool learns of it through `_release`, which never
  blocks (if the lock is busy the release is queued for its holder).
"""

from __future__ import annotations

import collections
import datetime
import logging
import ssl
import typing

from .._backends.base import Backend, SocketOption
from .._config import (
    DEFAULT_POOL_LIMITS,
    DEFAULT_TIMEOUT,
    CertTypes,
    PoolLimits,
    Timeout,
    VerifyTypes,
    ssl_context_for,
    total_exceeded,
    with_deadline,
)
from .._exceptions import (
    PoolTimeout,
    RequestError,
    TimeoutException,
    UnsupportedProtocol,
)
from .._models import AsyncResponse, Request, check_request
from .common import StreamContext, resolve_backend, timeout_from
from .connection import AsyncHTTPConnection, ConnectionState, PoolKey
from .http11 import StaleConnection
from .pool_state import CLOSED, CONNECTING, PoolState
from .slots import Waiter as _Waiter
from .trace import check_trace, safe_url

logger = logging.getLogger("httpcore.pool")


class AsyncConnectionPool(PoolState):
    """
    A pool of HTTP connections: the low-level async client.

    ```python
    async with httpcore.AsyncConnectionPool() as pool:
        response = await pool.request("GET", "https://example.org/")
        print(response.status, response.content)
    ```

    No redirects, cookies, auth or decoding at this level: bytes in, bytes out.

    `http2=True` offers HTTP/2 by ALPN to https servers, alongside HTTP/1.1;
    `http1=False, http2=True` speaks HTTP/2 only, by prior knowledge (h2c) to
    http servers. Many requests to one origin then share one connection.

    An HTTP/1.1 response that breaks the protocol raises `RemoteProtocolError`:
    among others, a head larger than 100 KiB, more than 100 header fields,
    or more than 20 informational (1xx) responses before the final one. A
    connection is kept alive only when the response's framing leaves no doubt
    (nothing arrived past its end, no Content-Length beside
    Transfer-Encoding); otherwise it is closed, so that stray bytes are never
    read as the next response.
    """

    def __init__(
        self,
        *,
        verify: VerifyTypes = True,
        cert: CertTypes | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        pool_limits: PoolLimits = DEFAULT_POOL_LIMITS,
        http1: bool = True,
        http2: bool = False,
        retries: int = 0,
        local_address: str | None = None,
        uds: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
        trust_env: bool = True,
        backend: str | Backend | None = None,
    ) -> None:
        if not (http1 or http2):
            raise ValueError("At least one of http1 and http2 must be enabled.")
        super().__init__(pool_limits, http1=http1, http2=http2)
        self._verify = verify
        self._cert = cert
        self._trust_env = trust_env
        self._ssl_context: ssl.SSLContext | None = None
        self._timeout = timeout if isinstance(timeout, Timeout) else Timeout(timeout)
        self._retries = retries
        self._local_address = local_address
        self._uds = uds
        self._socket_options = list(socket_options) if socket_options else None
        self._backend_choice = backend
        self._backend: Backend | None = None

    # --- the public surface ------------------------------------------------

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = resolve_backend(self._backend_choice)
        return self._backend

    @property
    def connections(self) -> list[AsyncHTTPConnection]:
        """A snapshot of every connection in the pool, for inspection."""
        with self._locked:
            return list(self._connections)

    def pool_info(self) -> dict[str, int]:
        """Counts of connections by state, and of waiting requests."""
        with self._locked:
            info = {state.value: 0 for state in ConnectionState}
            for connection in self._connections:
                info[connection.state.value] += 1
            info["waiting"] = len(self._waiters) + sum(
                len(blocked) for blocked in self._blocked.values()
            )
            return info

    async def request(
        self,
        method: str | bytes,
        url: str,
        *,
        headers: typing.Any = None,
        content: typing.Any = None,
        extensions: dict[str, typing.Any] | None = None,
        timeout: Timeout | float | None = None,
    ) -> AsyncResponse:
        """Send a request and read its whole body."""
        request = Request(
            method, url, headers=headers, content=content, extensions=extensions
        )
        response = await self.send(request, timeout=timeout)
        try:
            await response.read()
        finally:
            if not response.is_closed:  # reading to the end closed it
                await response.close()
        return response

    def stream(
        self,
        method: str | bytes,
        url: str,
        *,
        headers: typing.Any = None,
        content: typing.Any = None,
        extensions: dict[str, typing.Any] | None = None,
        timeout: Timeout | float | None = None,
    ) -> StreamContext:
        """`async with pool.stream(...) as response`: the body is not read yet."""
        request = Request(
            method, url, headers=headers, content=content, extensions=extensions
        )
        return StreamContext(self, request, timeout)

    async def send(
        self, request: Request, *, timeout: Timeout | float | None = None
    ) -> AsyncResponse:
        """Send one request; the response's body is left unread."""
        # A `total` counts from here, unless a client fixed its deadline.
        timeout = with_deadline(timeout_from(request, timeout, self._timeout))
        # One coroutine, not one calling another: each coroutine of a request
        # in flight costs again at every garbage collection while it waits.
        try:
            if "trace" in request.extensions:
                check_trace(request, asynchronous=self.backend.name != "sync")
            key, ssl_context = self._route(request)
            backend = self.backend
            started = backend.monotonic()
            pool_deadline = None if timeout.pool is None else started + timeout.pool
            retried = False
            debug = logger.isEnabledFor(logging.DEBUG)
            while True:
                connection = await self._acquire(
                    key, request, ssl_context, pool_deadline
                )
                # Once an HTTP/2 connection serves the request, a failure is
                # the stream's: the protocol has given the stream back already.
                stream_only = False
                if debug:
                    _log_acquired(connection, request)
                try:
                    if connection.state is CONNECTING:
                        await connection.connect(
                            backend,
                            timeout,
                            request=request,
                            retries=self._retries,
                            local_address=self._local_address,
                            uds=self._uds,
                            socket_options=self._socket_options,
                        )
                        self._connected(connection)
                    stream_only = connection.is_http2
                    response = await connection.handle_request(request, timeout)
                except StaleConnection as exc:
                    if not stream_only:
                        self._discard(connection)
                    if retried:
                        raise exc.cause from None
                    retried = True
                    continue
                except BaseException:
                    if not stream_only:
                        self._discard(connection)
                    raise
                response._elapsed = datetime.timedelta(
                    seconds=backend.monotonic() - started
                )
                return response
        except RequestError as exc:
            if exc._request is None:
                exc._request = request
            if isinstance(exc, TimeoutException):
                error = total_exceeded(timeout, exc)
                if error is not exc:
                    raise error from exc
            raise

    async def close(self) -> None:
        """Close every connection; waiting and later requests fail."""
        with self._locked:
            self._closed = True
            connections = list(self._connections)
            self._connections.clear()
            self._idle.clear()
            self._idle_all.clear()
            self._spare.clear()
            self._opening.clear()
            for connection in connections:
                connection.state = CLOSED
            waiters = self._waiters.clear()
            for blocked in self._blocked.values():
                waiters.extend(blocked)
            self._blocked.clear()
            for waiter in waiters:
                waiter.event.set()
        for connection in connections:
            connection.close_nowait()

    aclose = close

    async def __aenter__(self) -> AsyncConnectionPool:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()

    # --- sending -------------------------------------------------------------

    def _route(self, request: Request) -> tuple[PoolKey, ssl.SSLContext | None]:
        """Check `request`; its pool key and TLS context (None for http)."""
        check_request(request)
        url = request.url
        if url.scheme not in ("http", "https"):
            raise UnsupportedProtocol(
                f"Unsupported URL scheme {url.scheme!r} in {str(url)!r}: httpcore "
                "speaks 'http' and 'https'."
            )
        if not url.host:
            raise UnsupportedProtocol(f"The URL {str(url)!r} has no host.")
        ssl_context = None
        if url.scheme == "https":
            ssl_context = request.extensions.get("ssl_context") or self._default_ssl()
        return self._pool_key(request, ssl_context), ssl_context

    def _pool_key(
        self, request: Request, ssl_context: ssl.SSLContext | None
    ) -> PoolKey:
        """Which connections may serve `request` (proxies override this)."""
        url = request.url
        return (
            url.scheme,
            url.host,
            typing.cast(int, url.port),
            0 if ssl_context is None else id(ssl_context),
            request.extensions.get("sni_hostname"),
        )

    def _default_ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl_context_for(
                self._verify,
                self._cert,
                http1=self._http1,
                http2=self._http2,
                trust_env=self._trust_env,
            )
        return self._ssl_context

    async def _acquire(
        self,
        key: PoolKey,
        request: Request,
        ssl_context: ssl.SSLContext | None,
        deadline: float | None,
    ) -> AsyncHTTPConnection:
        backend = self.backend
        with self._locked:
            self._check_open_locked()
            # A free stream may be taken even when others wait: they could
            # not use it (the grant loop serves each key's waiters first).
            connection = self._spare.take(key)
            if connection is None and not self._waiters:
                connection = self._take_locked(
                    key, request, ssl_context, backend.monotonic()
                )
            if connection is not None:
                return connection
            waiter = _Waiter(key, request, backend.create_event())
            if key in self._opening:
                self._blocked.setdefault(key, collections.deque()).append(waiter)
            else:
                self._waiters.append(waiter)
        timeout = None if deadline is None else max(deadline - backend.monotonic(), 0)
        try:
            await waiter.event.wait(timeout)
        except BaseException:
            with self._locked:
                self._give_back_locked(waiter)
            raise
        with self._locked:
            connection = waiter.connection
            if connection is None:
                self._give_back_locked(waiter)
                self._check_open_locked()
                raise PoolTimeout(
                    f"Timed out after {timeout} seconds waiting for a connection "
                    f"from the pool (max_connections={self._limits.max_connections})."
                )
        return connection


def _log_acquired(connection: AsyncHTTPConnection, request: Request) -> None:
    verb = "open new" if connection.state is CONNECTING else "reuse"
    logger.debug(
        "%s connection %s for %s %s",
        verb,
        connection.info(),
        request.method,
        safe_url(request),
    )
