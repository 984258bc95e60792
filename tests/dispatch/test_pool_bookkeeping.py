"""
The pool's decisions, tested without sockets: which connection a request
gets, which ones close, and who waits. Connections here never connect; a
stub protocol answers `is_readable`.
"""

from __future__ import annotations

import httpcore
from httpcore._dispatch.connection import AsyncHTTPConnection, ConnectionState
from httpcore._dispatch.http2 import HTTP2Protocol

IDLE = ConnectionState.IDLE
ACTIVE = ConnectionState.ACTIVE
CONNECTING = ConnectionState.CONNECTING
CLOSED = ConnectionState.CLOSED


class StubStream:
    def __init__(self) -> None:
        self.readable = False
        self.closed = False

    def get_extra_info(self, info: str) -> object:
        assert info == "is_readable"
        return self.readable

    def close_nowait(self) -> None:
        self.closed = True


class StubProtocol:
    def __init__(self) -> None:
        self.stream = StubStream()
        self.requests_started = 0


def make_pool(**limits) -> httpcore.AsyncConnectionPool:
    return httpcore.AsyncConnectionPool(
        backend="sync", pool_limits=httpcore.PoolLimits(**limits)
    )


def request(host: str = "a.example") -> httpcore.Request:
    return httpcore.Request("GET", f"http://{host}/")


def key_of(req: httpcore.Request):
    return ("http", req.url.host, req.url.port, 0, None)


def take(pool, req, now: float = 0.0) -> AsyncHTTPConnection | None:
    with pool._locked:
        return pool._take_locked(key_of(req), req, None, now)


def connected(conn: AsyncHTTPConnection) -> StubStream:
    """Pretend `conn` connected: give it a stub protocol."""
    conn._protocol = StubProtocol()  # type: ignore[assignment]
    conn.state = ACTIVE
    return conn._protocol.stream  # type: ignore[union-attr]


def release(pool, conn, reusable: bool = True) -> None:
    pool._release(conn, reusable)


def test_new_connection_starts_connecting_and_counts():
    pool = make_pool()
    conn = take(pool, request())
    assert conn is not None and conn.state is CONNECTING
    assert pool.pool_info()["connecting"] == 1


def test_released_connection_is_reused_most_recent_first():
    pool = make_pool()
    first, second = take(pool, request()), take(pool, request())
    connected(first), connected(second)
    release(pool, first)
    release(pool, second)
    assert pool.pool_info()["idle"] == 2
    assert take(pool, request()) is second  # LIFO: the warmest socket


def test_idle_connections_are_kept_per_origin():
    pool = make_pool()
    conn = take(pool, request("a.example"))
    connected(conn)
    release(pool, conn)
    other = take(pool, request("b.example"))
    assert other is not conn and other.state is CONNECTING
    assert take(pool, request("a.example")) is conn


def test_expired_or_readable_idle_connection_is_closed_not_reused():
    pool = make_pool(keepalive_expiry=5.0)
    old, dead = take(pool, request()), take(pool, request())
    old_stream, dead_stream = connected(old), connected(dead)
    release(pool, old)
    old.idle_since = -10.0  # idle for ten seconds
    release(pool, dead)
    dead_stream.readable = True  # the server closed it while idle
    fresh = take(pool, request(), now=0.0)
    assert fresh not in (old, dead) and fresh.state is CONNECTING
    assert old_stream.closed and dead_stream.closed
    assert pool.pool_info() == {
        "connecting": 1,
        "idle": 0,
        "active": 0,
        "closed": 0,
        "waiting": 0,
    }


def test_not_reusable_connection_is_closed_on_release():
    pool = make_pool()
    conn = take(pool, request())
    stream = connected(conn)
    release(pool, conn, reusable=False)
    assert conn.state is CLOSED and stream.closed
    assert pool.connections == []


def test_max_keepalive_closes_the_oldest_idle_connection():
    pool = make_pool(max_keepalive_connections=1)
    first, second = take(pool, request()), take(pool, request())
    first_stream, _ = connected(first), connected(second)
    release(pool, first)
    release(pool, second)
    assert first.state is CLOSED and first_stream.closed
    assert second.state is IDLE


def test_full_pool_evicts_an_idle_connection_of_another_origin():
    pool = make_pool(max_connections=1)
    conn = take(pool, request("a.example"))
    stream = connected(conn)
    release(pool, conn)
    other = take(pool, request("b.example"))
    assert other is not None and stream.closed
    assert pool.connections == [other]


def test_full_pool_with_everything_active_gives_nothing():
    pool = make_pool(max_connections=1)
    conn = take(pool, request())
    connected(conn)
    assert take(pool, request()) is None
    assert take(pool, request("b.example")) is None


def test_release_grants_the_first_waiter():
    pool = make_pool(max_connections=1)
    conn = take(pool, request())
    connected(conn)
    from httpcore._dispatch.connection_pool import _Waiter

    first = _Waiter(key_of(request()), request(), pool.backend.create_event())
    second = _Waiter(key_of(request()), request(), pool.backend.create_event())
    pool._waiters.extend([first, second])
    release(pool, conn)
    assert first.connection is conn and first.event.is_set()
    assert second.connection is None and list(pool._waiters) == [second]


def test_waiter_that_leaves_returns_its_grant():
    pool = make_pool(max_connections=1)
    from httpcore._dispatch.connection_pool import _Waiter

    waiter = _Waiter(key_of(request()), request(), pool.backend.create_event())
    pool._waiters.append(waiter)
    with pool._locked:
        pool._grant_locked(0.0)
    assert waiter.connection is not None
    with pool._locked:
        pool._give_back_locked(waiter)  # cancelled before it could connect
    assert pool.connections == []


def test_release_while_the_lock_is_held_is_applied_on_unlock():
    pool = make_pool()
    conn = take(pool, request())
    connected(conn)
    with pool._locked:
        release(pool, conn)  # e.g. a finalizer running inside a locked section
        assert conn.state is ACTIVE  # queued, not applied under our feet
    assert conn.state is IDLE


# --- HTTP/2: streams, capacity, and requests waiting for a connection ------


class StubHTTP2(HTTP2Protocol):
    """An HTTP/2 protocol reduced to what the pool reads: its capacity."""

    def __init__(self, capacity: int = 100) -> None:  # no super(): no socket
        self._stream = StubStream()  # type: ignore[assignment]
        self.max_streams = capacity
        self._error = None
        self._last_stream_id = None
        self.requests_started = 0


def h2_pool(**limits) -> httpcore.AsyncConnectionPool:
    return httpcore.AsyncConnectionPool(
        backend="sync", http2=True, pool_limits=httpcore.PoolLimits(**limits)
    )


def secure(host: str = "a.example") -> httpcore.Request:
    return httpcore.Request("GET", f"https://{host}/")


def h2_key(req: httpcore.Request):
    return ("https", req.url.host, req.url.port, 0, None)


def take_h2(pool, req) -> AsyncHTTPConnection | None:
    with pool._locked:
        return pool._take_locked(h2_key(req), req, None, 0.0)


def connect_h2(pool, conn, capacity: int = 100) -> StubHTTP2:
    protocol = StubHTTP2(capacity)
    conn._protocol = protocol  # type: ignore[assignment]
    pool._connected(conn)
    return protocol


def waiter_for(pool, req):
    from httpcore._dispatch.connection_pool import _Waiter

    key = h2_key(req) if req.url.scheme == "https" else key_of(req)
    return _Waiter(key, req, pool.backend.create_event())


def test_http2_connection_carries_streams_up_to_its_capacity():
    pool = h2_pool()
    conn = take_h2(pool, secure())
    assert conn is not None and conn.state is CONNECTING
    assert take_h2(pool, secure()) is None  # wait for it: it may be HTTP/2
    connect_h2(pool, conn, capacity=3)
    assert conn.state is ACTIVE and conn.streams_in_use == 1
    assert take_h2(pool, secure()) is conn
    assert take_h2(pool, secure()) is conn
    assert conn.streams_in_use == 3 and not pool._spare
    other = take_h2(pool, secure())  # full: a new connection
    assert other is not None and other is not conn
    release(pool, conn)
    assert conn.streams_in_use == 2 and conn in pool._spare
    assert take_h2(pool, secure()) is conn
    for _ in range(3):
        release(pool, conn)
    assert conn.state is IDLE and conn.streams_in_use == 0
    assert conn in pool._idle_all and not pool._spare
    assert "HTTP/2, idle, 0 streams" in repr(conn)


def test_idle_http2_connection_is_picked_up_again():
    pool = h2_pool()
    conn = take_h2(pool, secure())
    connect_h2(pool, conn)
    release(pool, conn)
    assert take_h2(pool, secure()) is conn
    assert conn.state is ACTIVE and conn.streams_in_use == 1
    assert take_h2(pool, secure()) is conn  # filed again, with room to spare


def test_capacity_follows_the_server_down_and_up():
    pool = h2_pool()
    conn = take_h2(pool, secure())
    protocol = connect_h2(pool, conn, capacity=10)
    take_h2(pool, secure())
    protocol.max_streams = 1  # SETTINGS: one stream at a time
    pool._capacity_changed(conn)
    assert not pool._spare
    assert take_h2(pool, secure()) is not conn  # full now: another connection
    release(pool, conn)
    assert not pool._spare  # one stream still open, and one allowed
    protocol.max_streams = 5
    pool._capacity_changed(conn)
    assert take_h2(pool, secure()) is conn


def test_goaway_drains_the_connection_then_closes_it():
    pool = h2_pool()
    conn = take_h2(pool, secure())
    protocol = connect_h2(pool, conn)
    take_h2(pool, secure())
    protocol._last_stream_id = 3
    pool._capacity_changed(conn)
    assert conn.state is ACTIVE and not pool._spare
    release(pool, conn)
    assert conn.state is ACTIVE
    release(pool, conn)
    assert conn.state is CLOSED and pool.connections == []


def test_goaway_on_an_idle_connection_closes_it():
    pool = h2_pool()
    conn = take_h2(pool, secure())
    protocol = connect_h2(pool, conn)
    release(pool, conn)
    protocol._error = httpcore.RemoteProtocolError("gone")  # type: ignore[assignment]
    pool._capacity_changed(conn)
    assert conn.state is CLOSED and protocol.stream.closed


def test_waiters_for_a_connecting_key_get_streams_once_it_is_http2():
    pool = h2_pool()
    conn = take_h2(pool, secure())
    first, second = waiter_for(pool, secure()), waiter_for(pool, secure())
    other = waiter_for(pool, secure("b.example"))
    pool._waiters.extend([first, second, other])
    with pool._locked:
        pool._grant_locked(0.0)
    # The key's waiters are set aside; the other key is not held up.
    assert other.connection is not None and other.connection is not conn
    assert list(pool._blocked[h2_key(secure())]) == [first, second]
    assert pool.pool_info()["waiting"] == 2
    connect_h2(pool, conn)
    assert first.connection is conn and second.connection is conn
    assert conn.streams_in_use == 3 and pool.pool_info()["waiting"] == 0


def test_waiters_for_a_connecting_key_get_connections_if_it_is_http11():
    pool = h2_pool()
    conn = take_h2(pool, secure())
    first, second = waiter_for(pool, secure()), waiter_for(pool, secure())
    pool._waiters.extend([first, second])
    with pool._locked:
        pool._grant_locked(0.0)
    connected(conn)  # ALPN chose HTTP/1.1
    conn.state = CONNECTING
    pool._connected(conn)
    assert conn.state is ACTIVE
    # Both get a connection of their own at once: the key is known HTTP/1.1.
    assert first.connection not in (None, conn)
    assert second.connection not in (None, conn, first.connection)
    assert h2_key(secure()) in pool._http11_keys


def test_a_failed_connect_hands_its_waiters_back():
    pool = h2_pool()
    conn = take_h2(pool, secure())
    waiter = waiter_for(pool, secure())
    pool._waiters.append(waiter)
    with pool._locked:
        pool._grant_locked(0.0)
    assert waiter.connection is None
    pool._discard(conn)
    assert waiter.connection is not None and waiter.connection is not conn
    assert waiter.connection.state is CONNECTING


def test_waiter_that_leaves_while_set_aside():
    pool = h2_pool()
    take_h2(pool, secure())
    waiter = waiter_for(pool, secure())
    pool._waiters.append(waiter)
    with pool._locked:
        pool._grant_locked(0.0)
        pool._give_back_locked(waiter)
    assert pool._blocked == {} and pool.pool_info()["waiting"] == 0


def test_freed_stream_goes_to_its_key_behind_a_blocked_head():
    pool = h2_pool(max_connections=1)
    conn = take_h2(pool, secure())
    connect_h2(pool, conn, capacity=2)
    take_h2(pool, secure())
    head = waiter_for(pool, secure("b.example"))  # needs a connection: no room
    same_key = waiter_for(pool, secure())
    pool._waiters.extend([head, same_key])
    release(pool, conn)
    assert same_key.connection is conn and head.connection is None
    assert list(pool._waiters) == [head]
    release(pool, conn)
    release(pool, conn)  # idle now: the head may evict it
    assert conn.state is CLOSED and head.connection is not None


def test_give_back_of_a_granted_stream():
    pool = h2_pool()
    conn = take_h2(pool, secure())
    connect_h2(pool, conn)
    waiter = waiter_for(pool, secure())
    waiter.connection = take_h2(pool, secure())
    with pool._locked:
        pool._give_back_locked(waiter)  # cancelled before it could send
    assert conn.streams_in_use == 1


def test_wait_queue_drops_departed_waiters_lazily():
    from httpcore._dispatch.slots import WaitQueue

    pool = h2_pool()
    queue = WaitQueue()
    waiters = [waiter_for(pool, secure(f"{i % 3}.example")) for i in range(300)]
    queue.extend(waiters)
    for waiter in waiters[:250]:
        assert queue.remove(waiter)
    assert not queue.remove(waiters[0])
    assert len(queue) == 50 and list(queue) == waiters[250:]
    assert queue._entries < 200  # compacted
    assert queue.head() is waiters[250]
    assert queue.first_of(h2_key(secure("0.example"))) is waiters[252]
    assert queue.first_of(("https", "nobody", 443, 0, None)) is None
    assert queue.clear() == waiters[250:] and len(queue) == 0
