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
import sys
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
from .connection import AsyncHTTPConnection, ConnectionState, PoolKey
from .http11 import StaleConnection

CONNECTING = ConnectionState.CONNECTING
IDLE = ConnectionState.IDLE
ACTIVE = ConnectionState.ACTIVE
CLOSED = ConnectionState.CLOSED


class _Waiter:
    """A request waiting for a slot; `connection` is set when one is granted."""

    __slots__ = ("connection", "event", "key", "request")

    def __init__(self, key: PoolKey, request: Request, event: typing.Any) -> None:
        self.key = key
        self.request = request
        self.event = event
        self.connection: AsyncHTTPConnection | None = None


def resolve_backend(backend: str | Backend | None) -> Backend:
    """The backend named, or the one of the running async library."""
    if backend is None:
        trio = sys.modules.get("trio")
        if trio is not None:
            try:
                trio.lowlevel.current_task()
            except RuntimeError:
                pass
            else:  # pragma: no cover - until the trio backend lands
                backend = "trio"
        backend = backend or "asyncio"
    if not isinstance(backend, str):
        return backend
    if backend == "asyncio":
        from .._backends.asyncio import AsyncioBackend

        return AsyncioBackend()
    if backend == "sync":
        from .._backends.sync import SyncBackend

        return SyncBackend()
    raise ValueError(
        f"Unknown backend {backend!r}: use 'asyncio', 'sync', or None to detect "
        "the running library."
    )


def _timeout_from(
    request: Request, timeout: Timeout | float | None, default: Timeout
) -> Timeout:
    extension = request.extensions.get("timeout")
    if isinstance(extension, dict):
        return Timeout(
            connect=extension.get("connect", default.connect),
            read=extension.get("read", default.read),
            write=extension.get("write", default.write),
            pool=extension.get("pool", default.pool),
        )
    if extension is not None:
        return Timeout(extension)
    if timeout is None:
        return default
    return timeout if isinstance(timeout, Timeout) else Timeout(timeout)


class AsyncConnectionPool:
    """
    A pool of HTTP connections: the low-level async client.

    ```python
    async with httpcore.AsyncConnectionPool() as pool:
        response = await pool.request("GET", "https://example.org/")
        print(response.status, response.content)
    ```

    No redirects, cookies, auth or decoding at this level: bytes in, bytes out.
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
        if http2:
            raise NotImplementedError(
                "HTTP/2 is not available yet; use http2=False (the pool's default)."
            )
        if not http1:
            raise ValueError("At least one of http1 and http2 must be enabled.")
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
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._released: collections.deque[tuple[AsyncHTTPConnection, bool]] = (
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
            info["waiting"] = len(self._waiters)
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
    ) -> _StreamContext:
        """`async with pool.stream(...) as response`: the body is not read yet."""
        request = Request(
            method, url, headers=headers, content=content, extensions=extensions
        )
        return _StreamContext(self, request)

    async def send(
        self, request: Request, *, timeout: Timeout | float | None = None
    ) -> AsyncResponse:
        """Send one request; the response's body is left unread."""
        try:
            return await self._send(
                request, _timeout_from(request, timeout, self._timeout)
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
            for connection in connections:
                connection.state = CLOSED
            while self._waiters:
                self._waiters.popleft().event.set()
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
                response = await connection.handle_request(request, timeout)
            except StaleConnection as exc:
                self._discard(connection)
                if retried:
                    raise exc.cause from None
                retried = True
                continue
            except BaseException:
                self._discard(connection)
                raise
            response._elapsed = datetime.timedelta(
                seconds=backend.monotonic() - started
            )
            return response

    def _default_ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl_context_for(
                self._verify, self._cert, http2=False, trust_env=self._trust_env
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
            if not self._waiters:
                connection = self._take_locked(
                    key, request, ssl_context, backend.monotonic()
                )
                if connection is not None:
                    return connection
            waiter = _Waiter(key, request, backend.create_event())
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
        """An idle connection for `key`, or a new one if there is room."""
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
            return connection
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
        )
        connection.on_release = self._release
        self._connections.add(connection)
        return connection

    def _close_locked(self, connection: AsyncHTTPConnection) -> None:
        if connection.state is IDLE:
            idle = self._idle.get(connection.key)
            if idle is not None:
                idle.pop(connection, None)
                if not idle:
                    del self._idle[connection.key]
            self._idle_all.pop(connection, None)
        connection.state = CLOSED
        self._connections.discard(connection)
        connection.close_nowait()

    def _to_idle_locked(self, connection: AsyncHTTPConnection, now: float) -> None:
        connection.state = IDLE
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
        while self._waiters:
            waiter = self._waiters[0]
            connection = self._take_locked(
                waiter.key,
                waiter.request,
                self._ssl_for(waiter),
                now,
            )
            if connection is None:
                return
            self._waiters.popleft()
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
            try:
                self._waiters.remove(waiter)
            except ValueError:  # pragma: no cover - already granted or closed
                pass
            return
        waiter.connection = None
        if connection.state is CONNECTING:
            self._connections.discard(connection)
            connection.state = CLOSED
        elif connection.state is ACTIVE:
            self._to_idle_locked(connection, self.backend.monotonic())
        self._grant_locked(self.backend.monotonic())

    def _connected(self, connection: AsyncHTTPConnection) -> None:
        with self._locked:
            if connection.state is CONNECTING:
                connection.state = ACTIVE
            elif connection.state is CLOSED:  # the pool closed meanwhile
                connection.close_nowait()

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
        while pool._released and pool._lock.acquire(blocking=False):
            try:
                pool._drain_released_locked()
            finally:
                pool._lock.release()


class _StreamContext:
    def __init__(self, pool: AsyncConnectionPool, request: Request) -> None:
        self._pool = pool
        self._request = request
        self._response: AsyncResponse | None = None

    async def __aenter__(self) -> AsyncResponse:
        self._response = await self._pool.send(self._request)
        return self._response

    async def __aexit__(self, *args: object) -> None:
        assert self._response is not None
        await self._response.close()
