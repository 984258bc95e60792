"""
Cancelling a request (asyncio, trio) at each await point leaves the pool clean.

The scripted servers below stop at one step of the exchange (they never
answer the ClientHello, never read, never send SETTINGS...), so a request
is cancelled exactly while it waits there. After each: no active,
connecting or waiting entry in the pool; the connection is closed, or idle
and reusable with no HTTP/2 stream left open; no descriptor left open. Each
runs through the pool and through `AsyncClient`.
"""

from __future__ import annotations

import contextlib
import threading
import typing

import pytest
from h2.errors import ErrorCodes
from h2.settings import SettingCodes

import httpcore
from httpcore._dispatch.connection import ConnectionState
from httpcore._dispatch.http2 import HTTP2Protocol
from tests.concurrency import (
    Cancelled,
    Factory,
    background,
    cancel_after,
    cancel_some,
    cancel_when,
    gather,
    sleep,
    wait_until,
)
from tests.servers import h2peer
from tests.servers.scripted import ScriptedConnection
from tests.servers.slow import SlowServer

TIMEOUT = 10.0  # generous: no timeout is what these tests are about


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


# --- one await point at a time, against servers that stop there --------------


def assert_cancelled_cleanly(pool: httpcore.AsyncConnectionPool) -> None:
    """Nothing in flight, and every connection left is idle, with no stream."""
    assert_clean(pool)
    for connection in pool.connections:
        assert connection.state is ConnectionState.IDLE
        assert connection.streams_in_use == 0
        protocol = connection._protocol
        if isinstance(protocol, HTTP2Protocol):
            assert protocol.open_streams == 0


Request = typing.Callable[..., typing.Awaitable[typing.Any]]


@contextlib.asynccontextmanager
async def requester(
    via: str,
    backend: str,
    ca_file: str,
    *,
    http2: bool = False,
    timeout: httpcore.Timeout | float = TIMEOUT,
    max_connections: int = 100,
) -> typing.AsyncIterator[tuple[Request, httpcore.AsyncConnectionPool]]:
    """`request(method, url, **kwargs)` through a pool or an `AsyncClient`,
    which reads the whole body; and the pool underneath."""
    limits = httpcore.PoolLimits(max_connections=max_connections)
    if via == "pool":
        pool = httpcore.AsyncConnectionPool(
            backend=backend,
            verify=ca_file,
            http2=http2,
            timeout=timeout,
            pool_limits=limits,
        )
        async with pool:
            yield pool.request, pool
        return
    client = httpcore.AsyncClient(
        backend=backend,
        verify=ca_file,
        http2=http2,
        timeout=timeout,
        pool_limits=limits,
        trust_env=False,
    )
    async with client:
        dispatch = client._dispatch
        assert isinstance(dispatch, httpcore.AsyncConnectionPool)
        yield client.request, dispatch


VIA = pytest.mark.parametrize("via", ["pool", "client"])


@contextlib.contextmanager
def holding() -> typing.Iterator[threading.Event]:
    """An event a server handler waits on; set when the test ends, whatever
    happens, so that the server can stop."""
    release = threading.Event()
    try:
        yield release
    finally:
        release.set()


async def finish(backend: str, server: typing.Any) -> None:
    """Wait, letting the event loop run (asyncio closes sockets on its next
    turn), until the server's handlers have all returned."""
    await wait_until(backend, lambda: server.join(0), TIMEOUT)


@VIA
async def test_cancel_during_the_tls_handshake(
    async_backend, scripted_server, ca_file, via, no_fd_leak
):
    hello = threading.Event()
    closed: list[bool] = []

    def handler(conn: ScriptedConnection) -> None:
        conn.sock.recv(5)  # the ClientHello's record header: never answered
        hello.set()
        closed.append(conn.wait_for_close(TIMEOUT))

    server = scripted_server(handler)
    url = server.url.replace("http://", "https://") + "/"
    async with requester(via, async_backend, ca_file) as (request, pool):
        await cancel_when(async_backend, lambda: request("GET", url), hello.is_set)
        assert_cancelled_cleanly(pool)
        assert pool.connections == []
    await finish(async_backend, server)
    assert closed == [True]


@VIA
async def test_cancel_while_writing_the_request(
    async_backend, scripted_server, ca_file, via, no_fd_leak
):
    # The server never reads: the body fills the socket buffers, and the
    # request waits in its write. (Under trio the write is shielded, so that
    # an HTTP/2 frame is never cut short: the cancellation must still end it,
    # after WRITE_GRACE, not at the write timeout.)
    accepted = threading.Event()
    with holding() as release:

        def handler(conn: ScriptedConnection) -> None:
            accepted.set()
            release.wait(TIMEOUT)

        server = scripted_server(handler)
        body = b"x" * (32 * 1024 * 1024)
        # A write timeout bounds the cost of the trio bug above.
        timeout = httpcore.Timeout(TIMEOUT, write=2.0)
        async with requester(via, async_backend, ca_file, timeout=timeout) as (
            send,
            pool,
        ):
            await cancel_when(
                async_backend,
                lambda: send("POST", server.url + "/", content=body),
                accepted.is_set,
                settle=0.3,
            )
            assert_cancelled_cleanly(pool)
            assert pool.connections == []


@VIA
async def test_cancel_while_waiting_for_the_response_head(
    async_backend, scripted_server, ca_file, via, no_fd_leak
):
    received = threading.Event()
    closed: list[bool] = []

    def handler(conn: ScriptedConnection) -> None:
        conn.read_request()
        received.set()
        closed.append(conn.wait_for_close(TIMEOUT))

    server = scripted_server(handler)
    async with requester(via, async_backend, ca_file) as (request, pool):
        await cancel_when(
            async_backend, lambda: request("GET", server.url + "/"), received.is_set
        )
        assert_cancelled_cleanly(pool)
        assert pool.connections == []
    await finish(async_backend, server)
    assert closed == [True]


@VIA
async def test_cancel_while_waiting_for_more_of_the_body(
    async_backend, scripted_server, ca_file, via, no_fd_leak
):
    sent_part = threading.Event()
    closed: list[bool] = []

    def handler(conn: ScriptedConnection) -> None:
        conn.read_request()
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
        sent_part.set()
        closed.append(conn.wait_for_close(TIMEOUT))

    server = scripted_server(handler)
    async with requester(via, async_backend, ca_file) as (request, pool):
        await cancel_when(
            async_backend, lambda: request("GET", server.url + "/"), sent_part.is_set
        )
        assert_cancelled_cleanly(pool)
        assert pool.connections == []
    await finish(async_backend, server)
    assert closed == [True]


@VIA
async def test_cancel_during_the_http2_handshake(
    async_backend, scripted_server, ca_file, via, no_fd_leak
):
    # ALPN picks h2, then the server never sends its SETTINGS.
    preface = threading.Event()
    closed: list[bool] = []

    def handler(conn: ScriptedConnection) -> None:
        assert conn.alpn_protocol == "h2"
        conn.sock.recv(24)
        preface.set()
        closed.append(conn.wait_for_close(TIMEOUT))

    server = scripted_server(handler, tls=True, alpn=["h2"])
    async with requester(via, async_backend, ca_file, http2=True) as (request, pool):
        await cancel_when(
            async_backend, lambda: request("GET", server.url + "/"), preface.is_set
        )
        assert_cancelled_cleanly(pool)
        assert pool.connections == []
    await finish(async_backend, server)
    assert closed == [True]
    assert server.errors == []


def echo_path(request: h2peer.PeerRequest) -> bytes:
    return request.path


@VIA
async def test_cancel_while_waiting_for_an_http2_stream(
    async_backend, scripted_server, ca_file, via, no_fd_leak
):
    # One stream at a time: the second request waits for the first's.
    held = threading.Event()
    with holding() as release:

        def script(peer: h2peer.H2Peer) -> None:
            [first] = peer.wait_for_requests(1)
            held.set()
            release.wait(TIMEOUT)
            peer.respond(first, body=b"first")
            peer.serve_forever(echo_path)

        handler = h2peer.serve(
            script, settings={SettingCodes.MAX_CONCURRENT_STREAMS: 1}
        )
        server = scripted_server(handler, tls=True, alpn=["h2"])
        async with requester(
            via, async_backend, ca_file, http2=True, max_connections=1
        ) as (request, pool):
            results: list[typing.Any] = []

            async def first() -> None:
                results.append(await request("GET", server.url + "/first"))

            async with background(async_backend) as start:
                start(first)
                await wait_until(async_backend, held.is_set, TIMEOUT)
                await cancel_when(
                    async_backend,
                    lambda: request("GET", server.url + "/second"),
                    lambda: pool.pool_info()["waiting"] == 1,
                )
                assert pool.pool_info()["waiting"] == 0
                release.set()
            [response] = results
            assert response.content == b"first"
            assert_cancelled_cleanly(pool)
            # The connection is reusable, with its one stream free.
            response = await request("GET", server.url + "/third")
            assert response.content == b"/third"
            assert len(pool.connections) == 1
            assert_cancelled_cleanly(pool)
    await finish(async_backend, server)
    assert server.errors == []


@VIA
async def test_cancel_while_waiting_for_http2_flow_control_window(
    async_backend, scripted_server, ca_file, via, no_fd_leak
):
    # The server allows 1 KiB per stream and never opens the window more.
    blocked = threading.Event()
    peers: list[h2peer.H2Peer] = []

    def script(peer: h2peer.H2Peer) -> None:
        peers.append(peer)
        peer.wait(lambda: any(len(r.body) >= 1024 for r in peer.requests.values()))
        blocked.set()
        peer.serve_forever(echo_path)

    handler = h2peer.serve(
        script, settings={SettingCodes.INITIAL_WINDOW_SIZE: 1024}, acknowledge=False
    )
    server = scripted_server(handler, tls=True, alpn=["h2"])
    async with requester(via, async_backend, ca_file, http2=True) as (request, pool):
        await cancel_when(
            async_backend,
            lambda: request("POST", server.url + "/upload", content=b"x" * 100_000),
            blocked.is_set,
        )
        assert_cancelled_cleanly(pool)
        [connection] = pool.connections
        # The connection survives: a new request reuses it.
        response = await request("GET", server.url + "/after")
        assert response.content == b"/after"
        assert pool.connections == [connection]
        assert_cancelled_cleanly(pool)
    await finish(async_backend, server)
    assert server.errors == []
    [peer] = peers
    upload = peer.requests[1]
    assert upload.path == b"/upload" and not upload.ended
    assert upload.reset == ErrorCodes.CANCEL


async def test_cancel_the_request_opening_an_http2_connection_others_wait_for(
    async_backend, scripted_server, ca_file, no_fd_leak
):
    # The first connection never finishes its HTTP/2 handshake; the requests
    # that wait for it (to share it) must go on without it once its opener
    # is cancelled.
    preface = threading.Event()
    serve = h2peer.serve(lambda peer: peer.serve_forever(echo_path))
    handlers = iter([None])

    def handler(conn: ScriptedConnection) -> None:
        if next(handlers, "serve") is None:
            conn.sock.recv(24)
            preface.set()
            conn.wait_for_close(TIMEOUT)
        else:
            serve(conn)

    server = scripted_server(handler, tls=True, alpn=["h2"])
    async with requester("pool", async_backend, ca_file, http2=True) as (_, pool):
        results: list[typing.Any] = []

        async def waiter(name: str) -> None:
            results.append(await pool.request("GET", f"{server.url}/{name}"))

        async with background(async_backend) as start:
            cancel_opener = start(lambda: pool.request("GET", server.url + "/a"))
            await wait_until(async_backend, preface.is_set, TIMEOUT)
            start(lambda: waiter("b"))
            start(lambda: waiter("c"))
            await wait_until(
                async_backend, lambda: pool.pool_info()["waiting"] == 2, TIMEOUT
            )
            cancel_opener()
        assert sorted(r.content for r in results) == [b"/b", b"/c"]
        assert all(r.protocol == "HTTP/2" for r in results)
        assert_cancelled_cleanly(pool)
        assert len(pool.connections) == 1
    await finish(async_backend, server)
    assert server.errors == []


@pytest.mark.parametrize("delay", ["head", "body"])
async def test_cancel_an_http2_stream_keeps_the_connection(
    async_backend, tls_server, ca_file, delay, no_fd_leak
):
    path = "/slow?delay=5" if delay == "head" else "/bytes/100000000"
    async with requester("pool", async_backend, ca_file, http2=True) as (_, pool):
        await pool.request("GET", tls_server.url + "/")
        [connection] = pool.connections

        async def read_slowly() -> None:
            async with pool.stream("GET", tls_server.url + path) as response:
                async for _ in response.stream():
                    await sleep(async_backend, 0.01)

        await cancel_when(
            async_backend,
            read_slowly,
            lambda: connection.state.value == "active",
            settle=0.2,
        )
        assert_cancelled_cleanly(pool)
        assert pool.connections == [connection]
        response = await pool.request("GET", tls_server.url + "/")
        assert response.content == b"Hello, world!"
        assert pool.connections == [connection]
        assert_cancelled_cleanly(pool)


# --- every await point, one after another --------------------------------------


class Injector:
    """Counts the backend awaits of a request; cancels it at the `at`-th."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.count = 0
        self.armed = False
        self.cancel: typing.Callable[[], object] = lambda: None
        self.fired_at = ""

    def checkpoint(self, where: str) -> None:
        if not self.armed:
            return
        self.count += 1
        if self.count == self.at:
            self.fired_at = where
            self.cancel()  # lands at this await, or the next that suspends


class CheckpointStream:
    def __init__(self, stream: typing.Any, injector: Injector) -> None:
        self._stream = stream
        self._injector = injector

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._injector.checkpoint("read")
        data: bytes = await self._stream.read(max_bytes, timeout)
        return data

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        self._injector.checkpoint("write")
        await self._stream.write(data, timeout)

    async def start_tls(self, *args: typing.Any, **kwargs: typing.Any) -> typing.Any:
        self._injector.checkpoint("start_tls")
        stream = await self._stream.start_tls(*args, **kwargs)
        return CheckpointStream(stream, self._injector)

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self._stream, name)  # aclose, close_nowait, get_extra_info


class CheckpointBackend:
    """A backend whose every await is a checkpoint of `injector`."""

    def __init__(self, backend: typing.Any, injector: Injector) -> None:
        self._backend = backend
        self._injector = injector
        self.name = backend.name

    async def connect_tcp(self, *args: typing.Any, **kwargs: typing.Any) -> typing.Any:
        self._injector.checkpoint("connect_tcp")
        stream = await self._backend.connect_tcp(*args, **kwargs)
        return CheckpointStream(stream, self._injector)

    async def sleep(self, seconds: float) -> None:
        self._injector.checkpoint("sleep")
        await self._backend.sleep(seconds)

    def create_event(self) -> typing.Any:
        return _CheckpointWaits(self._backend.create_event(), self._injector, "wait")

    def create_lock(self) -> typing.Any:
        return _CheckpointWaits(self._backend.create_lock(), self._injector, "acquire")

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self._backend, name)  # monotonic, resolve...


class _CheckpointWaits:
    """An event or a lock whose `wait` / `acquire` is a checkpoint."""

    def __init__(self, inner: typing.Any, injector: Injector, method: str) -> None:
        self._inner = inner
        self._injector = injector
        self._method = method

    async def wait(self, timeout: float | None) -> bool:
        self._injector.checkpoint("event.wait")
        return bool(await self._inner.wait(timeout))

    async def acquire(self) -> None:
        self._injector.checkpoint("lock.acquire")
        await self._inner.acquire()

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self._inner, name)  # set, is_set, release


async def run_cancellable(
    backend: str, injector: Injector, make: Factory
) -> typing.Any:
    """Run `make()` where `injector` can cancel it: its result, or Cancelled()."""
    if backend == "asyncio":
        import asyncio

        task = asyncio.ensure_future(make())
        injector.cancel = task.cancel
        try:
            return await task
        except asyncio.CancelledError:
            if not task.cancelled():  # pragma: no cover - we were cancelled
                raise
            return Cancelled()
    import trio

    result: typing.Any = Cancelled()
    with trio.CancelScope() as scope:
        injector.cancel = scope.cancel
        result = await make()
    return result


MAX_CHECKPOINTS = 200  # far more awaits than any of these requests makes


@pytest.fixture(scope="module")
def slow_server() -> typing.Iterator[SlowServer]:
    with SlowServer() as running:
        yield running


SCENARIOS = {
    # name: (http2, method, path, body); "http11" goes to `slow_server`, in a
    # process of its own (hypercorn keeps a socket whose client left
    # mid-request in CLOSE_WAIT for seconds, which would count as a leak).
    # "client-" ones go through an `AsyncClient`: two redirects followed, or
    # a Digest challenge answered.
    "http11": (False, "GET", "/delay/0", None),
    "http11-tls-post": (False, "POST", "/echo_body", b"x" * 100_000),
    "http2": (True, "GET", "/", None),
    "http2-post": (True, "POST", "/echo_body", b"x" * 100_000),
    "client-http11-redirects": (False, "GET", "/redirect/2", None),
    "client-http2-redirects": (True, "GET", "/redirect/2", None),
    "client-http2-digest": (True, "GET", "/digest_auth", None),
}


@pytest.mark.parametrize(
    ("scenario", "reuse"),
    [
        pytest.param(scenario, reuse, id=f"{scenario}-{'reused' if reuse else 'new'}")
        for scenario, reuse in [
            ("http11", False),
            ("http11", True),
            ("http11-tls-post", False),
            ("http2", False),
            ("http2", True),
            ("http2-post", False),
            ("client-http11-redirects", False),
            ("client-http2-redirects", True),
            ("client-http2-digest", False),
        ]
    ],
)
async def test_cancel_at_every_await_point(
    async_backend, slow_server, tls_server, ca_file, scenario, reuse, no_fd_leak
):
    """
    Cancel the same request at its 1st backend await, then its 2nd, and so
    on until it has fewer awaits than that and completes. Each time the pool
    is left clean, and a request after it succeeds on the connection that
    survived, if any.
    """
    from httpcore._dispatch.common import resolve_backend

    http2, method, path, body = SCENARIOS[scenario]
    url = (slow_server.url if scenario == "http11" else tls_server.url) + path
    expected = body if body is not None else b"done" if "redirect" in path else None
    where: list[str] = []
    for at in range(1, MAX_CHECKPOINTS + 1):
        injector = Injector(at)
        backend = CheckpointBackend(resolve_backend(async_backend), injector)
        pool = httpcore.AsyncConnectionPool(
            backend=typing.cast(typing.Any, backend),
            verify=ca_file,
            http2=http2,
            timeout=TIMEOUT,
        )
        auth = httpcore.DigestAuth("user", "passwd") if "digest" in scenario else None
        client = httpcore.AsyncClient(dispatch=pool, auth=auth, trust_env=False)
        send = client.request if scenario.startswith("client") else pool.request
        async with pool, client:

            async def request(send: Request = send) -> typing.Any:
                response = await send(method, url, content=body)
                assert response.status == 200
                if expected is not None:
                    assert response.content == expected
                return response

            if reuse:
                await request()
            injector.armed = True
            result = await run_cancellable(async_backend, injector, request)
            injector.armed = False
            if injector.count < at:  # fewer awaits than `at`: it ran through
                assert not isinstance(result, Cancelled)
                assert at > 1 and where  # it was cancelled at some points
                return
            where.append(injector.fired_at)
            # Cancelled, or (trio) cancelled after its last checkpoint.
            assert isinstance(result, Cancelled) or result.status == 200
            assert_cancelled_cleanly(pool)
            survivors = pool.connections
            await request()
            assert_cancelled_cleanly(pool)
            if survivors:  # an idle connection survived: it was reused
                assert pool.connections == survivors
    raise AssertionError(f"still cancelled after {MAX_CHECKPOINTS} awaits: {where}")
