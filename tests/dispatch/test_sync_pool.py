"""The sync facade: threads, running inside an event loop, and `drive()`."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import httpcore
from httpcore._backends._drive import drive


def keepalive_server(scripted_server):
    """Answers every request on a connection, echoing the path; counts sockets."""
    state = {"open": 0, "peak": 0}
    lock = threading.Lock()

    def handler(conn):
        with lock:
            state["open"] += 1
            state["peak"] = max(state["peak"], state["open"])
        try:
            while True:
                request = conn.read_request()
                if not request:
                    break
                path = request.split(b" ", 2)[1]
                conn.send(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(path), path)
                )
        finally:
            with lock:
                state["open"] -= 1

    return scripted_server(handler), state


def test_twenty_threads_share_one_pool(scripted_server, no_fd_leak):
    server, state = keepalive_server(scripted_server)
    limits = httpcore.PoolLimits(max_connections=8, max_keepalive_connections=8)
    with httpcore.ConnectionPool(pool_limits=limits, timeout=10.0) as pool:
        peak_in_pool = 0

        def work(thread: int) -> int:
            nonlocal peak_in_pool
            for i in range(100):
                path = f"/{thread}/{i}"
                response = pool.request("GET", server.url + path)
                assert response.status == 200
                assert response.content == path.encode()
                peak_in_pool = max(peak_in_pool, len(pool.connections))
            return thread

        with ThreadPoolExecutor(max_workers=20) as executor:
            done = list(executor.map(work, range(20)))
        assert done == list(range(20))
        info = pool.pool_info()
        assert info["active"] == 0 and info["waiting"] == 0
    assert peak_in_pool <= 8
    assert state["peak"] <= 8
    assert server.accepted <= 8 + 2  # reconnects only if a socket went stale


def test_sync_pool_inside_a_running_event_loop(server):
    async def main() -> bytes:
        with httpcore.ConnectionPool() as pool:
            return pool.request("GET", server.url + "/").content

    assert asyncio.run(main()) == b"Hello, world!"


def test_sync_stream_and_send(server):
    with httpcore.ConnectionPool() as pool:
        with pool.stream("GET", server.url + "/bytes/100000") as response:
            assert isinstance(response, httpcore.Response)
            assert sum(len(chunk) for chunk in response.stream()) == 100000
        response = pool.send(httpcore.Request("GET", server.url + "/echo"))
        try:
            assert json.loads(response.read())["method"] == "GET"
        finally:
            response.close()
        assert pool.pool_info()["idle"] == 1
        assert len(pool.connections) == 1


def test_sync_read_timeout(silent_server, no_fd_leak):
    with httpcore.ConnectionPool(timeout=0.2) as pool:
        with pytest.raises(httpcore.ReadTimeout):
            pool.request("GET", silent_server.url + "/")
        assert pool.connections == []


def test_drive_refuses_a_coroutine_that_suspends():
    async def suspends() -> None:
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="suspended while running under the sync"):
        drive(suspends())


def test_drive_returns_the_value_and_raises_the_error():
    async def value() -> int:
        return 42

    async def error() -> None:
        raise ValueError("boom")

    assert drive(value()) == 42
    with pytest.raises(ValueError, match="boom"):
        drive(error())


def test_async_iterator_body_under_the_sync_backend_fails_clearly(server):
    class Body:
        def __aiter__(self):
            return self

        async def __anext__(self) -> bytes:
            await asyncio.sleep(0)
            raise StopAsyncIteration

    with httpcore.ConnectionPool() as pool:
        with pytest.raises(RuntimeError, match="sync backend"):
            pool.request("POST", server.url + "/echo", content=Body())
        assert pool.pool_info()["active"] == 0


@pytest.mark.parametrize("how", ["request", "stream"])
def test_sync_pool_takes_a_timeout_per_request(silent_server, how, no_fd_leak):
    timeout = httpcore.Timeout(10.0, total=0.3)
    with httpcore.ConnectionPool() as pool:
        with pytest.raises(httpcore.ReadTimeout, match=r"total timeout of 0\.3"):
            if how == "request":
                pool.request("GET", silent_server.url + "/", timeout=timeout)
            else:
                with pool.stream("GET", silent_server.url + "/", timeout=timeout):
                    pass  # pragma: no cover - the head never comes
        assert pool.pool_info()["active"] == 0
        assert pool.connections == []


async def test_async_pool_stream_takes_a_timeout(async_backend, silent_server):
    timeout = httpcore.Timeout(10.0, total=0.3)
    async with httpcore.AsyncConnectionPool(backend=async_backend) as pool:
        with pytest.raises(httpcore.ReadTimeout, match=r"total timeout of 0\.3"):
            async with pool.stream("GET", silent_server.url + "/", timeout=timeout):
                pass  # pragma: no cover - the head never comes
        assert pool.connections == []
