"""
The pool's bookkeeping: which connection serves a request, which ones
close, who waits. No I/O and no await: every method ending in `_locked`
runs under one `threading.Lock` that is never held across an await, and
`AsyncConnectionPool` (in `connection_pool.py`) does the connecting and
sending around it. See that module for how the pieces fit.
"""

from __future__ import annotations

import collections
import ssl
import threading

from .._backends.base import Backend
from .._config import PoolLimits
from .._models import Request
from .connection import AsyncHTTPConnection, ConnectionState, PoolKey
from .slots import SpareStreams, WaitQueue
from .slots import Waiter as _Waiter

CONNECTING = ConnectionState.CONNECTING
IDLE = ConnectionState.IDLE
ACTIVE = ConnectionState.ACTIVE
CLOSED = ConnectionState.CLOSED
# Keys remembered as HTTP/1.1-only (ALPN chose it), so that their requests
# do not wait for each connection to find out again; oldest forgotten first.
MAX_HTTP11_KEYS = 1024


class PoolState:
    """The pool's indexes of connections and waiters, and the decisions on them."""

    def __init__(self, limits: PoolLimits, *, http1: bool, http2: bool) -> None:
        self._limits = limits
        self._http1 = http1
        self._http2 = http2
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

    # What the pool provides.

    @property
    def backend(self) -> Backend:
        raise NotImplementedError

    def _default_ssl(self) -> ssl.SSLContext:
        raise NotImplementedError

    # --- the decisions -------------------------------------------------------

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
        connection = self._new_connection(key, request, ssl_context)
        connection.on_release = self._release
        connection.on_capacity_changed = self._capacity_changed
        connection.streams_in_use = 1
        self._connections.add(connection)
        if self._may_be_http2(key):
            self._opening[key] = connection
        return connection

    def _new_connection(
        self, key: PoolKey, request: Request, ssl_context: ssl.SSLContext | None
    ) -> AsyncHTTPConnection:
        """A new connection for `key` (no I/O; proxies override this)."""
        return AsyncHTTPConnection(
            request.url.origin,
            key,
            ssl_context=ssl_context,
            sni_hostname=request.extensions.get("sni_hostname"),
            http1=self._http1,
            http2=self._http2,
        )

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

    def __init__(self, pool: PoolState) -> None:
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
