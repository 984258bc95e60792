"""
Read timeouts on a reused connection, where each request brings its own. The
asyncio backend keeps one lazy timer per stream and only moves its deadline
(`_backends/asyncio.py`, `_Deadline`), so these check that a timer left by
an earlier request neither fires late for a shorter timeout nor early for a
longer one. They hold on every backend.
"""

from __future__ import annotations

import time

import pytest

import httpcore

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def answer_then(second: str):
    """Answer the first request at once; the second after 1 s, or never."""

    def handler(conn):
        conn.read_request()
        conn.send(OK)
        conn.read_request()
        if second == "late":
            time.sleep(1.0)
            conn.send(OK)
        conn.wait_for_close(timeout=15.0)

    return handler


async def test_a_short_read_timeout_after_a_long_one_fires_on_its_own_time(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(answer_then("never"))
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        first = await pool.request("GET", server.url + "/", timeout=60.0)
        assert first.content == b"ok"
        started = time.monotonic()
        timeout = httpcore.Timeout(60.0, read=0.3)
        with pytest.raises(httpcore.ReadTimeout, match=r"after 0\.3 seconds"):
            await pool.request("GET", server.url + "/", timeout=timeout)
        # Not the 60 s the first request's timer was set for.
        assert time.monotonic() - started < 30.0
        assert server.accepted == 1
        assert pool.pool_info()["active"] == 0


async def test_a_long_read_timeout_after_a_short_one_is_not_cut_short(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(answer_then("late"))
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        timeout = httpcore.Timeout(60.0, read=0.2)
        first = await pool.request("GET", server.url + "/", timeout=timeout)
        assert first.content == b"ok"
        # The first request's 0.2 s timer fires while this one waits 1 s.
        second = await pool.request("GET", server.url + "/", timeout=30.0)
        assert second.content == b"ok"
        assert server.accepted == 1
