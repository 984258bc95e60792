"""Cancelling a request (asyncio) at each await point leaves the pool clean."""

from __future__ import annotations

import asyncio

import httpcore


def assert_clean(pool: httpcore.AsyncConnectionPool) -> None:
    info = pool.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0, info


async def cancel_after(coro, delay: float) -> None:
    task = asyncio.ensure_future(coro)
    await asyncio.sleep(delay)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:  # pragma: no cover - the test's timing is generous
        raise AssertionError("the request finished before it was cancelled")


async def test_cancel_while_waiting_for_the_pool(server):
    limits = httpcore.PoolLimits(max_connections=1)
    async with httpcore.AsyncConnectionPool(pool_limits=limits, timeout=5.0) as pool:
        async with pool.stream("GET", server.url + "/") as held:
            await cancel_after(pool.request("GET", server.url + "/"), 0.05)
            assert pool.pool_info()["waiting"] == 0
            await held.read()
        assert_clean(pool)
        assert (await pool.request("GET", server.url + "/")).status == 200


async def test_cancel_while_reading_the_response_head(server, no_fd_leak):
    async with httpcore.AsyncConnectionPool(timeout=5.0) as pool:
        await cancel_after(pool.request("GET", server.url + "/slow?delay=2"), 0.1)
        assert_clean(pool)
        assert pool.connections == []


async def test_cancel_while_connecting(silent_server, no_fd_leak):
    url = silent_server.url.replace("http://", "https://")
    async with httpcore.AsyncConnectionPool(timeout=5.0) as pool:
        await cancel_after(pool.request("GET", url + "/"), 0.1)
        assert_clean(pool)
        assert pool.connections == []


async def test_cancel_while_reading_the_body(server, no_fd_leak):
    async with httpcore.AsyncConnectionPool(timeout=5.0) as pool:

        async def read_slowly() -> None:
            async with pool.stream("GET", server.url + "/bytes/50000000") as response:
                async for _ in response.stream():
                    await asyncio.sleep(0.01)

        await cancel_after(read_slowly(), 0.1)
        assert_clean(pool)
        assert pool.connections == []


async def test_cancel_a_waiter_granted_a_connection_before_it_ran(server):
    # The slot is handed to the waiter and the waiter is cancelled before it
    # can resume: the grant must come back to the pool.
    limits = httpcore.PoolLimits(max_connections=1)
    async with httpcore.AsyncConnectionPool(pool_limits=limits, timeout=5.0) as pool:
        held = await pool.send(httpcore.Request("GET", server.url + "/"))
        waiter = asyncio.ensure_future(pool.request("GET", server.url + "/"))
        await asyncio.sleep(0.05)
        await held.read()
        await held.close()  # grants the connection to the waiter...
        waiter.cancel()  # ...which is cancelled before it resumes
        try:
            await waiter
        except asyncio.CancelledError:
            pass
        assert_clean(pool)
        assert (await pool.request("GET", server.url + "/")).status == 200


async def test_many_requests_with_half_cancelled(server):
    limits = httpcore.PoolLimits(max_connections=10)
    async with httpcore.AsyncConnectionPool(pool_limits=limits, timeout=10.0) as pool:
        tasks = [
            asyncio.ensure_future(pool.request("GET", server.url + "/slow?delay=0.05"))
            for _ in range(60)
        ]
        await asyncio.sleep(0.02)
        for task in tasks[::2]:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(r.status == 200 for r in results[1::2])
        assert_clean(pool)
        responses = await asyncio.gather(
            *(pool.request("GET", server.url + "/") for _ in range(10))
        )
        assert [r.status for r in responses] == [200] * 10
