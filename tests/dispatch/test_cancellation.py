"""Cancelling a request (asyncio, trio) at each await point leaves the pool clean."""

from __future__ import annotations

import httpcore
from tests.concurrency import Cancelled, cancel_after, cancel_some, gather, sleep


def assert_clean(pool: httpcore.AsyncConnectionPool) -> None:
    info = pool.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0, info


async def test_cancel_while_waiting_for_the_pool(async_backend, server):
    limits = httpcore.PoolLimits(max_connections=1)
    async with httpcore.AsyncConnectionPool(
        backend=async_backend, pool_limits=limits, timeout=5.0
    ) as pool:
        async with pool.stream("GET", server.url + "/") as held:
            await cancel_after(
                async_backend, lambda: pool.request("GET", server.url + "/"), 0.05
            )
            assert pool.pool_info()["waiting"] == 0
            await held.read()
        assert_clean(pool)
        assert (await pool.request("GET", server.url + "/")).status == 200


async def test_cancel_while_reading_the_response_head(
    async_backend, server, no_fd_leak
):
    async with httpcore.AsyncConnectionPool(backend=async_backend, timeout=5.0) as pool:
        await cancel_after(
            async_backend,
            lambda: pool.request("GET", server.url + "/slow?delay=2"),
            0.1,
        )
        assert_clean(pool)
        assert pool.connections == []


async def test_cancel_while_connecting(async_backend, silent_server, no_fd_leak):
    url = silent_server.url.replace("http://", "https://")
    async with httpcore.AsyncConnectionPool(backend=async_backend, timeout=5.0) as pool:
        await cancel_after(async_backend, lambda: pool.request("GET", url + "/"), 0.1)
        assert_clean(pool)
        assert pool.connections == []


async def test_cancel_while_reading_the_body(async_backend, server, no_fd_leak):
    async with httpcore.AsyncConnectionPool(backend=async_backend, timeout=5.0) as pool:

        async def read_slowly() -> None:
            async with pool.stream("GET", server.url + "/bytes/50000000") as response:
                async for _ in response.stream():
                    await sleep(async_backend, 0.01)

        await cancel_after(async_backend, read_slowly, 0.1)
        assert_clean(pool)
        assert pool.connections == []


async def test_cancel_a_waiter_granted_a_connection_before_it_ran(
    async_backend, server
):
    # The slot is handed to the waiter and the waiter is cancelled before it
    # can resume: the grant must come back to the pool.
    limits = httpcore.PoolLimits(max_connections=1)
    async with httpcore.AsyncConnectionPool(
        backend=async_backend, pool_limits=limits, timeout=5.0
    ) as pool:
        held = await pool.send(httpcore.Request("GET", server.url + "/"))

        async def release() -> None:
            await held.read()
            await held.close()  # grants the connection to the waiter...

        # ...which is cancelled right after, before it resumes.
        await cancel_right_after(
            async_backend, lambda: pool.request("GET", server.url + "/"), release
        )
        assert_clean(pool)
        assert (await pool.request("GET", server.url + "/")).status == 200


async def cancel_right_after(backend: str, make, step) -> None:
    """Start `make()`; once it waits, run `step()` and cancel it at once."""
    if backend == "asyncio":
        import asyncio

        task = asyncio.ensure_future(make())
        await asyncio.sleep(0.05)
        await step()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return
    import trio

    scope = trio.CancelScope()

    async def run() -> None:
        with scope:
            await make()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run)
        await trio.sleep(0.05)
        await step()
        scope.cancel()


async def test_many_requests_with_half_cancelled(async_backend, server):
    limits = httpcore.PoolLimits(max_connections=10)
    async with httpcore.AsyncConnectionPool(
        backend=async_backend, pool_limits=limits, timeout=10.0
    ) as pool:
        results = await cancel_some(
            async_backend,
            [lambda: pool.request("GET", server.url + "/slow?delay=0.05")] * 60,
            lambda index: index % 2 == 0,
            delay=0.02,
        )
        assert all(isinstance(r, Cancelled) for r in results[::2])
        assert all(r.status == 200 for r in results[1::2])
        assert_clean(pool)
        responses = await gather(
            async_backend, [lambda: pool.request("GET", server.url + "/")] * 10
        )
        assert [r.status for r in responses] == [200] * 10
