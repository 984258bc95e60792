"""
The pool's decisions, tested without sockets: which connection a request
gets, which ones close, and who waits. Connections here never connect; a
stub protocol answers `is_readable`.
"""

from __future__ import annotations

import httpcore
from httpcore._dispatch.connection import AsyncHTTPConnection, ConnectionState

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
