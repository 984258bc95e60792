"""
Load: many requests at once against the slow server (a few milliseconds per
response, in a process of its own), with bounded descriptors and memory and
no deadlock.

- asyncio and trio: 20,000 requests from 1,000 concurrent tasks, through a
  pool of 1,000 connections: the server holds 1,000 connections at once.
- sync: one `Client` shared by 100 threads, 5,000 requests (threads cost
  more per request; the number keeps the run within a few seconds).

Each run samples the process's open descriptors and resident memory while it
goes, and must finish before an outer deadline, which fails with the pool's
state instead of hanging.

Last, responses dropped without `close()` (the last reference gone, then
`gc.collect()`), through `AsyncClient` on every backend and the sync
`Client`: each gives its connection back (HTTP/2: its stream, on a connection
that stays), so a pool of one connection goes on serving.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import threading
import time
import typing
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest

import httpcore
from tests import helpers
from tests.concurrency import sleep

DELAY_MS = 3
SLACK_FDS = 16  # beyond one per connection: event loop, wakeup pipes, epoll...
MAX_RSS_GROWTH = 100 * 1024 * 1024  # bytes, over the run: ~100 KB per connection
# Bytes, over the second half of the run, once every connection is open: a
# leak of 2 KB per request would show as 20 MB there.
MAX_RSS_GROWTH_LATER = 20 * 1024 * 1024
DROPS = 5  # responses dropped in a row, on one connection
DEADLINE = 50.0  # seconds, under pytest's 60 s per test: a deadlock fails here


def rss() -> int:
    """Resident memory of this process, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Sampler:
    """Samples open descriptors and memory in a thread, every few ms."""

    def __init__(self) -> None:
        self.fds_before = helpers.open_fd_count()
        self.rss_before = rss()
        self.peak_fds = self.fds_before
        self.peak_rss = self.rss_before
        self.samples = 0
        self.rss_halfway: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_fds = max(self.peak_fds, helpers.open_fd_count())
            self.peak_rss = max(self.peak_rss, rss())
            self.samples += 1

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def halfway(self) -> None:
        """Call once, half-way through the requests."""
        gc.collect()
        self.rss_halfway = rss()

    def check(self, max_connections: int) -> None:
        assert self.samples > 10  # it did sample during the run
        assert self.rss_halfway is not None
        later = rss() - self.rss_halfway
        assert later < MAX_RSS_GROWTH_LATER, (
            f"resident memory grew by {later >> 20} MB in the second half"
        )
        growth = self.peak_fds - self.fds_before
        assert growth <= max_connections + SLACK_FDS, growth
        assert self.peak_rss - self.rss_before < MAX_RSS_GROWTH, (
            f"resident memory grew by {(self.peak_rss - self.rss_before) >> 20} MB"
        )


def limits(connections: int) -> httpcore.PoolLimits:
    return httpcore.PoolLimits(
        max_connections=connections, max_keepalive_connections=connections
    )


def assert_fds_back(before: dict[int, str]) -> None:
    leaked = helpers.wait_for_fds(before, timeout=5.0)
    assert not leaked, helpers.describe_leak(leaked)


async def test_20000_requests_at_concurrency_1000(async_backend, slow_server):
    requests, concurrency = 20_000, 1_000
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)  # raised by the fixture
    assert soft >= concurrency + 100, f"RLIMIT_NOFILE is {soft}: too low for this"
    url = f"{slow_server.url}/delay/{DELAY_MS}"
    gc.collect()
    fds_before = helpers.open_fds()
    pool = httpcore.AsyncConnectionPool(
        backend=async_backend, pool_limits=limits(concurrency), timeout=30.0
    )
    done = 0

    async def worker() -> None:
        nonlocal done
        for _ in range(requests // concurrency):
            response = await pool.request("GET", url)
            assert response.status == 200 and response.content == b"ok"
            done += 1
            if done == requests // 2:
                sampler.halfway()

    with Sampler() as sampler:
        async with pool:
            await within_deadline(
                async_backend,
                lambda: run_all(async_backend, worker, concurrency),
                lambda: f"{done} of {requests} done; pool: {pool.pool_info()}",
            )
            assert done == requests
            info = pool.pool_info()
            assert info["active"] == 0 and info["connecting"] == 0, info
            assert info["waiting"] == 0 and info["idle"] == concurrency, info
    await sleep(async_backend, 0.05)  # asyncio closes sockets on its next turn
    sampler.check(concurrency)
    assert slow_server.stats()["peak"] >= concurrency  # all open at once
    assert_fds_back(fds_before)


async def run_all(backend: str, work: typing.Callable[[], typing.Any], n: int) -> None:
    if backend == "asyncio":
        await asyncio.gather(*(work() for _ in range(n)))
        return
    import trio

    async with trio.open_nursery() as nursery:
        for _ in range(n):
            nursery.start_soon(work)


async def within_deadline(
    backend: str,
    make: typing.Callable[[], typing.Awaitable[None]],
    state: typing.Callable[[], str],
) -> None:
    """Run `make()`; past DEADLINE, fail with `state()` (a deadlock, likely)."""
    if backend == "asyncio":
        try:
            await asyncio.wait_for(make(), DEADLINE)
        except asyncio.TimeoutError:
            raise AssertionError(f"not finished in {DEADLINE} s: {state()}") from None
        return
    import trio

    with trio.move_on_after(DEADLINE) as scope:
        await make()
    if scope.cancelled_caught:
        raise AssertionError(f"not finished in {DEADLINE} s: {state()}")


def test_sync_client_shared_by_100_threads(slow_server):
    requests, threads = 5_000, 100
    url = f"{slow_server.url}/delay/{DELAY_MS}"
    gc.collect()
    fds_before = helpers.open_fds()
    done = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal done
        for _ in range(requests // threads):
            response = client.get(url)
            assert response.status_code == 200 and response.content == b"ok"
            with lock:
                done += 1
                if done == requests // 2:
                    sampler.halfway()

    with Sampler() as sampler:
        with httpcore.Client(
            pool_limits=limits(threads), timeout=30.0, trust_env=False
        ) as client:
            pool = typing.cast(typing.Any, client)._dispatch
            with ThreadPoolExecutor(max_workers=threads) as executor:
                futures = [executor.submit(worker) for _ in range(threads)]
                deadline = time.monotonic() + DEADLINE
                for future in futures:
                    remaining = deadline - time.monotonic()
                    try:
                        future.result(timeout=max(remaining, 0.0))
                    except TimeoutError:
                        raise AssertionError(
                            f"not finished in {DEADLINE} s: {done} of {requests} "
                            f"done; pool: {pool.pool_info()}"
                        ) from None
            assert done == requests
            info = pool.pool_info()
            assert info["active"] == 0 and info["connecting"] == 0, info
            assert info["waiting"] == 0 and info["idle"] <= threads, info
    sampler.check(threads)
    assert_fds_back(fds_before)


# --- responses dropped without close() --------------------------------------


def assert_idle(pool: typing.Any, idle: int) -> None:
    info = pool.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0 and info["idle"] == idle, info


@pytest.mark.parametrize("http2", [False, True], ids=["http11", "http2"])
async def test_dropped_responses_give_their_connection_back(
    backend, slow_server, tls_server, ca_file, http2, no_fd_leak
):
    # One connection: a response dropped without giving it back would make
    # the next request wait for ever (here: fail with PoolTimeout).
    url = (tls_server if http2 else slow_server).url
    async with httpcore.AsyncClient(
        backend=backend,
        verify=ca_file,
        http2=http2,
        pool_limits=limits(1),
        timeout=5.0,
        trust_env=False,
    ) as client:
        pool = typing.cast(typing.Any, client._dispatch)
        await client.get(url + ("/" if http2 else "/delay/0"))
        first = pool.connections
        for _ in range(DROPS):
            response = await client.get(url + "/bytes/100000", stream=True)
            assert pool.pool_info()["active"] == 1
            dropped = weakref.ref(response)
            del response  # unread, unclosed
            gc.collect()
            assert dropped() is None
            assert_idle(pool, 1 if http2 else 0)
        response = await client.get(url + ("/" if http2 else "/delay/0"))
        assert response.status_code == 200
        assert_idle(pool, 1)
        if http2:  # the stream was reset; the connection served them all
            assert pool.connections == first
            assert first[0]._protocol.open_streams == 0


def test_sync_client_dropped_responses_give_their_connection_back(
    tls_server, ca_file, no_fd_leak
):
    with httpcore.Client(
        verify=ca_file, pool_limits=limits(1), timeout=5.0, trust_env=False
    ) as client:
        pool = typing.cast(typing.Any, client)._dispatch
        client.get(tls_server.url + "/")
        first = pool.connections
        for _ in range(DROPS):
            response = client.get(tls_server.url + "/bytes/100000", stream=True)
            assert pool.pool_info()["active"] == 1
            dropped = weakref.ref(response)
            del response
            gc.collect()
            assert dropped() is None
            assert_idle(pool, 1)
        assert client.get(tls_server.url + "/").status_code == 200
        assert pool.connections == first
        assert_idle(pool, 1)
