"""
Helpers for the fault-injection suite: scripted replies, and the checks every
fault test ends with (no connection left active, nothing reused that should
not be).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import httpcore
from tests.servers.scripted import ScriptedConnection

GENUINE = b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ngenuine"


def check_pool_clean(pool: httpcore.AsyncConnectionPool) -> None:
    """No connection active or connecting, no request waiting."""
    info = pool.pool_info()
    assert info["active"] == 0, info
    assert info["connecting"] == 0, info
    assert info["waiting"] == 0, info


@pytest.fixture
def pool_is_clean() -> Callable[[httpcore.AsyncConnectionPool], None]:
    """`pool_is_clean(pool)` asserts the pool holds nothing active."""
    return check_pool_clean


def first_then_genuine(data: bytes) -> Callable[[ScriptedConnection], None]:
    """
    A handler: the first connection answers its request with `data` (in one
    write) and then answers any further request on it with `GENUINE`; every
    later connection answers with `GENUINE` only. So a client that reuses
    the first connection after a response with stray bytes reads those bytes
    as its next response, and one that opens a new connection reads GENUINE.
    """
    connections = 0

    def handler(conn: ScriptedConnection) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            conn.read_request()
            conn.send(data)
        for _ in range(2):  # bounded: a test sends at most two requests
            if not conn.read_request():
                return
            conn.send(GENUINE)

    return handler


def reply(data: bytes, *, then: str = "close") -> Callable[[ScriptedConnection], None]:
    """A handler: read the request, send `data`, then `close`, `reset`, or
    `hold` (keep the connection open until the client closes it)."""

    def handler(conn: ScriptedConnection) -> None:
        conn.read_request()
        conn.send(data)
        if then == "close":
            conn.close()
        elif then == "reset":
            conn.reset()
        elif then == "hold":
            conn.wait_for_close(timeout=10.0)
        else:  # pragma: no cover - a typo in a test
            raise ValueError(then)

    return handler
