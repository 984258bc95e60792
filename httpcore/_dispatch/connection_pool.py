"""
The connection pool: keep-alive, limits, and waiting for a free slot.

How it works. Every decision (which connection serves a request, which ones
close, who waits) is made in plain methods ending in `_locked`, with no I/O
and no await, under one `threading.Lock` that is never held across an await.
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
import ssl
import threading
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
)
from .._exceptions import PoolTimeout, RequestError, UnsupportedProtocol
from .._models import AsyncResponse, Request, check_request
from .common import StreamContext, resolve_backend, timeout_from
from .connection import AsyncHTTPConnection, ConnectionState, PoolKey
from .http11 import StaleConnection
from .slots import SpareStreams, WaitQueue
from .slots import Waiter as _Waiter

CONNECTING = ConnectionState.CONNECTING
IDLE = ConnectionState.IDLE
ACTIVE = ConnectionState.ACTIVE
CLOSED = ConnectionState.CLOSED
# Keys remembered as HTTP/1.1-only (ALPN chose it), so that their requests
# do not wait for each connection to find out again; oldest forgotten first.
MAX_HTTP11_KEYS = 1024


class AsyncConnectionPool:
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
        self._http1 = http1
        self._http2 = http2
        self._verify = verify
        self._cert = cert
        self._trust_env = trust_env
        self._ssl_context: ssl.SSLContext | None = None
        self._timeout = timeout if isinstance(timeout, Timeout) else Timeout(timeout)
        self._limits = pool_limits
        self._retries = retries
        self._local_address = local_address
        self._uds = uds
        self._socket_options = list(socket_options) if socket_options else None
        self._backend_choice = backend
        self._backend: Backend | None = None

        self._lock = threading.Lock()
        self._locked = _Locked(self)
        self._connections: set[AsyncHTTPConnection] = set()
        self._idle: dict[PoolKey, dict[AsyncHTTPConnection, None]] = {}
        self._idle_all: dict[AsyncHTTPConnection, None] = {}
        self._spare = SpareStreams()
        self._opening: dict[PoolKey, AsyncHTTPConnection] = {}
        self._blocked: dict[PoolKey, collections.deque[_Waiter]] = {}
        self._http11_keys: dict[PoolKey, None] = {}
        self._waiters = WaitQueue()
        # (connection, reusable) for a response done; (connection, None) for
        # an HTTP/2 connection whose capacity changed.
        self._released: collections.deque[tuple[AsyncHTTPConnection, bool | None]] = (
            collections.deque()
        )
        self._closed = False

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
    ) -> AsyncResponse:
        """Send a request and read its whole body."""
        request = Request(
            method, url, headers=headers, content=content, extensions=extensions
        )
        response = await self.send(request)
        try:
            await response.read()
        finally:
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
    ) -> StreamContext:
        """`async with pool.stream(...) as response`: the body is not read yet."""
        request = Request(
            method, url, headers=headers, content=content, extensions=extensions
        )
        return StreamContext(self, request)

    async def send(
        self, request: Request, *, timeout: Timeout | float | None = None
    ) -> AsyncResponse:
        """Send one request; the response's body is left unread."""
        try:
            return await self._send(
                request, timeout_from(request, timeout, self._timeout)
            )
        except RequestError as exc:
            if exc._request is None:
                exc._request = request
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

    async def _send(self, request: Request, timeout: Timeout) -> AsyncResponse:
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
        sni = request.extensions.get("sni_hostname")
        key: PoolKey = (
            url.scheme,
            url.host,
            typing.cast(int, url.port),
            0 if ssl_context is None else id(ssl_context),
            sni,
        )
        backend = self.backend
        started = backend.monotonic()
        pool_deadline = None if timeout.pool is None else started + timeout.pool
        retried = False
        while True:
            connection = await self._acquire(key, request, ssl_context, pool_deadline)
            # Once an HTTP/2 connection serves the request, a failure is the
            # stream's: the protocol has given the stream back already.
            stream_only = False
            try:
                if connection.state is CONNECTING:
                    await connection.connect(
                        backend,
                        timeout,
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

    # --- bookkeeping: no I/O, no await, always under the lock -----------------

    def _check_open_locked(self) -> None:
        if self._closed:
            raise RuntimeError("The connection pool is closed; create a new one.")

    def _take_locked(
        self,
        key: PoolKey,
        request: Request,
        ssl_context: ssl.SSLContext | None,
        now: float,
    ) -> AsyncHTTPConnection | None:
        """
        A stream on an HTTP/2 connection for `key`, an idle connection, or a
        new one if there is room. None when the request must wait, for room or
        for the key's connection that is still connecting.
        """
        connection = self._spare.take(key)
        if connection is not None:
            return connection
        idle = self._idle.get(key)
        while idle:
            connection, _ = idle.popitem()
            del self._idle_all[connection]
            if not idle:
                del self._idle[key]
            if connection.has_expired(now, self._limits.keepalive_expiry):
                self._close_locked(connection)
                continue
            connection.state = ACTIVE
            connection.streams_in_use = 1
            if connection.is_http2:
                self._spare.update(connection)
            return connection
        if key in self._opening:
            return None
        limit = self._limits.max_connections
        if limit is not None and len(self._connections) >= limit:
            if not self._idle_all:
                return None
            self._close_locked(next(iter(self._idle_all)))
        url = request.url
        connection = AsyncHTTPConnection(
            url.origin,
            key,
            ssl_context=ssl_context,
            sni_hostname=request.extensions.get("sni_hostname"),
            http1=self._http1,
            http2=self._http2,
        )
        connection.on_release = self._release
        connection.on_capacity_changed = self._capacity_changed
        connection.streams_in_use = 1
        self._connections.add(connection)
        if self._may_be_http2(key):
            self._opening[key] = connection
        return connection

    def _may_be_http2(self, key: PoolKey) -> bool:
        if not self._http2 or key in self._http11_keys:
            return False
        return key[0] == "https" or not self._http1

    def _stream_done_locked(self, connection: AsyncHTTPConnection, now: float) -> None:
        """An HTTP/2 stream gave its slot back."""
        if connection.state is ACTIVE:
            connection.streams_in_use -= 1
            self._h2_changed_locked(connection, now)

    def _h2_changed_locked(self, connection: AsyncHTTPConnection, now: float) -> None:
        """An HTTP/2 connection's streams or capacity changed: re-file it."""
        capacity = connection.stream_capacity
        if connection.state is IDLE:
            if capacity == 0:  # GOAWAY, or an error, while idle
                self._close_locked(connection)
            return
        if connection.state is not ACTIVE:
            return
        if connection.streams_in_use > 0:
            self._spare.update(connection)
            return
        # No stream left: idle, or closed if it can take no more.
        self._spare.drop(connection)
        if capacity == 0 or self._closed:
            self._close_locked(connection)
        else:
            self._to_idle_locked(connection, now)

    def _close_locked(self, connection: AsyncHTTPConnection) -> None:
        if connection.state is IDLE:
            idle = self._idle.get(connection.key)
            if idle is not None:
                idle.pop(connection, None)
                if not idle:
                    del self._idle[connection.key]
            self._idle_all.pop(connection, None)
        elif connection.state is CONNECTING:
            self._waiters.push_front(self._unblock_locked(connection))
        self._spare.drop(connection)
        connection.state = CLOSED
        self._connections.discard(connection)
        connection.close_nowait()

    def _unblock_locked(
        self, connection: AsyncHTTPConnection
    ) -> collections.deque[_Waiter]:
        """The requests that waited for `connection` to connect, if any."""
        key = connection.key
        if self._opening.get(key) is not connection:
            return collections.deque()
        del self._opening[key]
        return self._blocked.pop(key, collections.deque())

    def _to_idle_locked(self, connection: AsyncHTTPConnection, now: float) -> None:
        connection.state = IDLE
        connection.streams_in_use = 0
        connection.idle_since = now
        self._idle.setdefault(connection.key, {})[connection] = None
        self._idle_all[connection] = None
        keep = self._limits.max_keepalive_connections
        if keep is not None:
            while len(self._idle_all) > keep:
                self._close_locked(next(iter(self._idle_all)))

    def _expire_locked(self, now: float) -> None:
        """Close idle connections past their keep-alive time, oldest first."""
        expiry = self._limits.keepalive_expiry
        if expiry is None:
            return
        while self._idle_all:
            oldest = next(iter(self._idle_all))
            if now - oldest.idle_since <= expiry:
                break
            self._close_locked(oldest)

    def _grant_locked(self, now: float) -> None:
        """Serve waiting requests, first come first served, while slots allow."""
        waiters = self._waiters
        # Streams free on HTTP/2 connections: to the first waiters of their key.
        if self._spare and waiters:
            for key in [k for k in self._spare.pool_keys() if waiters.has_key(k)]:
                while (waiter := waiters.first_of(key)) is not None:
                    connection = self._spare.take(key)
                    if connection is None:
                        break
                    waiters.remove(waiter)
                    self._hand_over(waiter, connection)
        # Then in arrival order: idle connections, and new ones while there
        # is room. A request whose key has a connection still connecting
        # waits for it, aside.
        while (waiter := waiters.head()) is not None:
            key = waiter.key
            connection = self._take_locked(
                key, waiter.request, self._ssl_for(waiter), now
            )
            if connection is None and key not in self._opening:
                return  # no room: the head keeps its place
            waiters.remove(waiter)
            if connection is not None:
                self._hand_over(waiter, connection)
            else:
                self._blocked.setdefault(key, collections.deque()).append(waiter)

    @staticmethod
    def _hand_over(waiter: _Waiter, connection: AsyncHTTPConnection) -> None:
        waiter.connection = connection
        waiter.event.set()

    def _ssl_for(self, waiter: _Waiter) -> ssl.SSLContext | None:
        if waiter.key[0] != "https":
            return None
        return waiter.request.extensions.get("ssl_context") or self._default_ssl()

    def _give_back_locked(self, waiter: _Waiter) -> None:
        """A waiter that leaves (timeout, cancellation) returns its grant."""
        connection = waiter.connection
        if connection is None:
            if not self._waiters.remove(waiter):
                blocked = self._blocked.get(waiter.key)
                if blocked is not None and waiter in blocked:
                    blocked.remove(waiter)
                    if not blocked:
                        del self._blocked[waiter.key]
            return
        waiter.connection = None
        now = self.backend.monotonic()
        if connection.state is CONNECTING:
            self._close_locked(connection)
        elif connection.state is ACTIVE:
            if connection.is_http2:
                self._stream_done_locked(connection, now)
            else:
                self._to_idle_locked(connection, now)
        self._grant_locked(now)

    def _connected(self, connection: AsyncHTTPConnection) -> None:
        with self._locked:
            waiting = self._unblock_locked(connection)
            if connection.state is CONNECTING:
                connection.state = ACTIVE
                key = connection.key
                if connection.is_http2:
                    self._http11_keys.pop(key, None)
                    # The requests that waited for it take streams on it.
                    capacity = connection.stream_capacity
                    while waiting and connection.streams_in_use < capacity:
                        connection.streams_in_use += 1
                        self._hand_over(waiting.popleft(), connection)
                    self._spare.update(connection)
                elif self._may_be_http2(key):
                    self._http11_keys[key] = None
                    if len(self._http11_keys) > MAX_HTTP11_KEYS:
                        del self._http11_keys[next(iter(self._http11_keys))]
            elif connection.state is CLOSED:  # the pool closed meanwhile
                connection.close_nowait()
            self._waiters.push_front(waiting)
            self._grant_locked(self.backend.monotonic())

    def _discard(self, connection: AsyncHTTPConnection) -> None:
        """A connection that failed, or was cancelled, before its response."""
        with self._locked:
            if connection.state is not CLOSED:
                self._close_locked(connection)
            else:
                connection.close_nowait()
            self._grant_locked(self.backend.monotonic())

    def _release(self, connection: AsyncHTTPConnection, reusable: bool) -> None:
        """
        A response is done with its connection. Called from body streams, and
        from their finalizers, possibly while this thread already holds the
        lock: so never block on it; queue the release for the holder instead.
        """
        self._released.append((connection, reusable))
        self._try_drain()

    def _capacity_changed(self, connection: AsyncHTTPConnection) -> None:
        """An HTTP/2 connection's capacity changed (SETTINGS, GOAWAY, error)."""
        self._released.append((connection, None))
        self._try_drain()

    def _try_drain(self) -> None:
        while self._released and self._lock.acquire(blocking=False):
            try:
                self._drain_released_locked()
            finally:
                self._lock.release()

    def _drain_released_locked(self) -> None:
        if not self._released:
            return
        now = self.backend.monotonic()
        while self._released:
            connection, reusable = self._released.popleft()
            if reusable is None or connection.is_http2:
                if reusable is None:
                    self._h2_changed_locked(connection, now)
                else:
                    self._stream_done_locked(connection, now)
                continue
            if connection.state is not ACTIVE:
                continue
            if reusable and not self._closed:
                self._to_idle_locked(connection, now)
            else:
                self._close_locked(connection)
        self._expire_locked(now)
        self._grant_locked(now)


class _Locked:
    """
    `with pool._locked:` holds the pool's lock, and on leaving it applies the
    releases that were queued while it was held.
    """

    __slots__ = ("_pool",)

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    def __enter__(self) -> None:
        self._pool._lock.acquire()

    def __exit__(self, *args: object) -> None:
        pool = self._pool
        try:
            pool._drain_released_locked()
        finally:
            pool._lock.release()
        pool._try_drain()
