"""
Contention: 1,000 requests at concurrency 200 through a pool of a few slots,
a seeded random half of them cancelled at random moments (waiting for the
pool, connecting, sending, reading). Then every slot of the pool must still
be usable at once: `max_connections` requests (HTTP/2: every stream of
every connection) to an endpoint that answers only once that many are in
flight together. A slot lost to a cancellation would leave the group one
short, and the requests would time out.
"""

from __future__ import annotations

import random
import threading
import time
import typing

from h2.settings import SettingCodes

import httpcore
from httpcore._dispatch.http2 import HTTP2Protocol
from tests.concurrency import Cancelled, gather, run_until
from tests.servers import h2peer

REQUESTS = 1000
CONCURRENCY = 200
TIMEOUT = 20.0  # generous: a request waits behind up to 200 others
SEED = 20261122


def assert_idle(pool: httpcore.AsyncConnectionPool) -> None:
    info = pool.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0, info
    for connection in pool.connections:
        assert connection.streams_in_use == 0, connection
        protocol = connection._protocol
        if isinstance(protocol, HTTP2Protocol):
            assert protocol.open_streams == 0, connection


async def hammer(
    backend: str, pool: httpcore.AsyncConnectionPool, url: str
) -> tuple[int, int]:
    """
    REQUESTS requests to `url + "/delay/<ms>"` from CONCURRENCY workers; a
    seeded random half cancelled after a random 0-30 ms. Every request not
    cancelled must succeed. Returns (cancelled, completed).
    """
    rng = random.Random(SEED)
    jobs = [
        (rng.randrange(0, 20), rng.random() < 0.5, rng.uniform(0, 0.03))
        for _ in range(REQUESTS)
    ]
    jobs.reverse()
    outcomes: list[typing.Any] = []

    async def worker() -> None:
        while jobs:
            delay_ms, cancel, after = jobs.pop()

            async def send(delay_ms: int = delay_ms) -> httpcore.AsyncResponse:
                return await pool.request("GET", f"{url}/delay/{delay_ms}")

            if cancel:
                outcomes.append(await run_until(backend, send, after))
            else:
                outcomes.append(await send())

    await gather(backend, [worker] * CONCURRENCY)
    assert len(outcomes) == REQUESTS
    cancelled = sum(isinstance(outcome, Cancelled) for outcome in outcomes)
    completed = [o for o in outcomes if not isinstance(o, Cancelled)]
    assert all(response.status == 200 for response in completed)
    assert all(response.content == b"ok" for response in completed)
    return cancelled, len(completed)


async def all_at_once(
    backend: str, pool: httpcore.AsyncConnectionPool, url: str, slots: int
) -> None:
    """`slots` requests that the server answers only once all are in flight."""
    name = f"group{random.randrange(10**9)}"
    responses = await gather(
        backend,
        [lambda: pool.request("GET", f"{url}/barrier/{name}/{slots}")] * slots,
    )
    assert [r.status for r in responses] == [200] * slots


async def test_http11_pool_keeps_every_slot_under_cancellations(
    async_backend, slow_server, no_fd_leak
):
    limits = httpcore.PoolLimits(max_connections=50, max_keepalive_connections=50)
    async with httpcore.AsyncConnectionPool(
        backend=async_backend, pool_limits=limits, timeout=TIMEOUT
    ) as pool:
        cancelled, completed = await hammer(async_backend, pool, slow_server.url)
        # Both kinds happened in numbers (the seed makes it so; a machine
        # slow enough to finish every request before its timer is not).
        assert cancelled > 100 and completed > REQUESTS // 2, (cancelled, completed)
        assert_idle(pool)
        await all_at_once(async_backend, pool, slow_server.url, 50)
        assert_idle(pool)
        assert len(pool.connections) <= 50


class Barriers:
    """Groups of requests held until `n` of them are in flight (any connection)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived: dict[bytes, int] = {}

    def arrive(self, name: bytes) -> None:
        with self._lock:
            self._arrived[name] = self._arrived.get(name, 0) + 1

    def full(self, name: bytes, size: int) -> bool:
        with self._lock:
            return self._arrived.get(name, 0) >= size


def slow_h2_script(barriers: Barriers) -> h2peer.Script:
    """The slow server's routes, on the scripted HTTP/2 peer."""

    def script(peer: h2peer.H2Peer) -> None:
        due: dict[int, float] = {}
        joined: set[int] = set()
        while not peer.closed:
            peer.receive(0.002)
            now = time.monotonic()
            for stream_id in peer.unanswered():
                request = peer.requests[stream_id]
                if request.reset is not None:
                    request.answered = True  # cancelled: nothing to answer
                    continue
                parts = request.path.split(b"/")
                if parts[1] == b"delay":
                    when = due.setdefault(stream_id, now + int(parts[2]) / 1000)
                    if now >= when:
                        peer.respond(stream_id, body=b"ok")
                elif parts[1] == b"barrier":
                    if stream_id not in joined:
                        joined.add(stream_id)
                        barriers.arrive(parts[2])
                    if barriers.full(parts[2], int(parts[3])):
                        peer.respond(stream_id, body=b"ok")

    return script


async def test_http2_pool_keeps_every_stream_under_cancellations(
    async_backend, scripted_server, ca_file, no_fd_leak
):
    # 5 connections of 10 streams: 50 slots for 200 workers.
    handler = h2peer.serve(
        slow_h2_script(Barriers()),
        settings={SettingCodes.MAX_CONCURRENT_STREAMS: 10},
    )
    server = scripted_server(handler, tls=True, alpn=["h2"])
    limits = httpcore.PoolLimits(max_connections=5, max_keepalive_connections=5)
    async with httpcore.AsyncConnectionPool(
        backend=async_backend,
        verify=ca_file,
        http2=True,
        pool_limits=limits,
        timeout=TIMEOUT,
    ) as pool:
        cancelled, completed = await hammer(async_backend, pool, server.url)
        assert cancelled > 100 and completed > REQUESTS // 2, (cancelled, completed)
        assert_idle(pool)
        await all_at_once(async_backend, pool, server.url, 50)
        assert_idle(pool)
        assert all(c.is_http2 for c in pool.connections)
        assert len(pool.connections) == 5
    await pool.backend.sleep(0.01)  # asyncio closes sockets on its next turn
    assert server.join(10.0)
    # A request cancelled while its connection was opening closes it in the
    # middle of the TLS handshake: the server sees an OSError (SSLEOFError),
    # as it should. Anything else (an h2 error, a failed assertion) is a bug.
    assert [e for e in server.errors if not isinstance(e, OSError)] == []
