"""The connection pool over HTTP/2 against hypercorn (TLS, ALPN), every backend."""

from __future__ import annotations

import gc
import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import httpcore
from httpcore._config import ssl_context_for
from httpcore._dispatch.connection import ConnectionState
from httpcore._dispatch.http2 import HTTP2Protocol
from tests.concurrency import Cancelled, cancel_after, cancel_some, gather, sleep
from tests.servers.app import app, pattern
from tests.servers.hypercorn_server import LiveServer


def h2_pool(backend, ca_file, **kwargs) -> httpcore.AsyncConnectionPool:
    return httpcore.AsyncConnectionPool(
        backend=backend, verify=ca_file, http2=True, **kwargs
    )


def assert_settled(pool: httpcore.AsyncConnectionPool) -> None:
    """No request in flight: the pool's stream counts agree with h2's."""
    info = pool.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0, info
    for connection in pool.connections:
        assert connection.streams_in_use == 0
        protocol = connection._protocol
        if isinstance(protocol, HTTP2Protocol):
            assert protocol.open_streams == 0


@pytest.fixture(scope="module")
def http11_tls_server():
    """Hypercorn over TLS offering only http/1.1 by ALPN."""
    with LiveServer(app, tls=True, alpn=["http/1.1"]) as live:
        yield live


async def test_get(backend, tls_server, ca_file):
    async with h2_pool(backend, ca_file) as pool:
        response = await pool.request("GET", tls_server.url + "/")
        assert response.status == 200
        assert response.protocol == "HTTP/2"
        assert response.http_version == "HTTP/2"
        assert response.content == b"Hello, world!"
        assert response.headers["content-type"] == "text/plain"
        assert not any(name.startswith(":") for name in response.headers)
        assert pool.pool_info()["idle"] == 1
        [connection] = pool.connections
        assert connection.is_http2 and "HTTP/2, idle" in repr(connection)
        assert_settled(pool)


async def test_connection_is_reused(backend, tls_server, ca_file):
    async with h2_pool(backend, ca_file) as pool:
        ports = set()
        for _ in range(5):
            response = await pool.request("GET", tls_server.url + "/conn")
            ports.add(json.loads(response.content)["client_port"])
        assert len(ports) == 1
        [connection] = pool.connections
        assert connection.requests_served == 5


async def test_request_headers_are_converted(backend, tls_server, ca_file):
    async with h2_pool(backend, ca_file) as pool:
        response = await pool.request(
            "POST",
            tls_server.url + "/echo?a=1",
            headers=[
                (b"X-Custom", b"Yes"),
                (b"Connection", b"keep-alive"),
                (b"Keep-Alive", b"timeout=5"),
                (b"Proxy-Connection", b"keep-alive"),
                (b"Upgrade", b"websocket"),
                (b"TE", b"gzip"),
            ],
            content=b"hello",
        )
        echo = json.loads(response.content)
        names = [name for name, _ in echo["headers"]]
        headers = dict(echo["headers"])
        assert echo["http_version"] == "2"
        assert echo["method"] == "POST" and echo["query"] == "a=1"
        assert echo["body"] == "hello"
        assert headers["x-custom"] == "Yes"
        assert headers["host"] == tls_server.url.split("//")[1]  # from :authority
        for hop_by_hop in ("connection", "keep-alive", "proxy-connection", "upgrade"):
            assert hop_by_hop not in names
        assert "te" not in names


async def test_te_trailers_and_host_header_are_kept(backend, tls_server, ca_file):
    async with h2_pool(backend, ca_file) as pool:
        response = await pool.request(
            "GET",
            tls_server.url + "/echo",
            headers=[(b"Host", b"example.org"), (b"TE", b"trailers")],
        )
        headers = dict(json.loads(response.content)["headers"])
        assert headers["host"] == "example.org"
        assert headers["te"] == "trailers"


async def test_target_extension_sets_the_path(backend, tls_server, ca_file):
    async with h2_pool(backend, ca_file) as pool:
        response = await pool.request(
            "GET", tls_server.url + "/", extensions={"target": b"/echo?x=y"}
        )
        echo = json.loads(response.content)
        assert echo["path"] == "/echo" and echo["query"] == "x=y"


async def test_streaming_download(backend, tls_server, ca_file):
    size = 5 * 1024 * 1024
    async with h2_pool(backend, ca_file) as pool:
        async with pool.stream("GET", f"{tls_server.url}/bytes/{size}") as response:
            assert response.protocol == "HTTP/2"
            digest = hashlib.sha256()
            chunks = 0
            async for chunk in response.stream():
                digest.update(chunk)
                chunks += 1
        assert chunks > 1
        assert digest.digest() == hashlib.sha256(pattern(size)).digest()
        assert_settled(pool)


async def test_streamed_upload(backend, tls_server, ca_file):
    size = 3 * 1024 * 1024 + 7
    data = pattern(size)
    chunks = [data[i : i + 100_000] for i in range(0, size, 100_000)]
    async with h2_pool(backend, ca_file) as pool:
        response = await pool.request(
            "POST", tls_server.url + "/echo_body", content=iter(chunks)
        )
        assert response.status == 200
        assert response.protocol == "HTTP/2"
        assert response.content == data
        # A large body known in full goes out as the window allows, too.
        response = await pool.request(
            "PUT", tls_server.url + "/echo_body", content=data
        )
        assert response.content == data
        assert len(pool.connections) == 1
        assert_settled(pool)


async def test_empty_bodies(backend, tls_server, ca_file):
    async with h2_pool(backend, ca_file) as pool:
        response = await pool.request("POST", tls_server.url + "/echo_body")
        assert response.content == b""
        response = await pool.request("HEAD", tls_server.url + "/")
        assert response.status == 200 and response.content == b""
        response = await pool.request("GET", tls_server.url + "/status/204")
        assert response.status == 204 and response.content == b""
        response = await pool.request(
            "POST", tls_server.url + "/echo_body", content=iter([b"", b"x", b""])
        )
        assert response.content == b"x"
        assert_settled(pool)


async def test_http2_false_speaks_http11_to_the_same_server(
    backend, tls_server, ca_file
):
    async with httpcore.AsyncConnectionPool(backend=backend, verify=ca_file) as pool:
        response = await pool.request("GET", tls_server.url + "/echo")
        assert response.protocol == "HTTP/1.1"
        assert json.loads(response.content)["http_version"] == "1.1"


async def test_http11_only_server_with_http2_enabled(
    backend, http11_tls_server, ca_file
):
    async with h2_pool(backend, ca_file) as pool:
        responses = await gather(
            backend,
            [lambda: pool.request("GET", http11_tls_server.url + "/")] * 4,
        )
        assert {r.protocol for r in responses} == {"HTTP/1.1"}
        assert not any(c.is_http2 for c in pool.connections)
        assert_settled(pool)


async def test_http1_false_offers_only_h2_by_alpn(
    backend, http11_tls_server, ca_file, no_fd_leak
):
    # The server prefers HTTP/1.1 but we offer only h2: ALPN agrees on
    # nothing, so we speak HTTP/2 by prior knowledge (which hypercorn accepts)
    # instead of being talked down to HTTP/1.1.
    async with h2_pool(backend, ca_file, http1=False) as pool:
        response = await pool.request("GET", http11_tls_server.url + "/")
        assert response.protocol == "HTTP/2"
    assert ssl_context_for(ca_file, http1=False, http2=True) is not ssl_context_for(
        ca_file, http2=True
    )


async def test_http1_false_over_tls(backend, tls_server, ca_file):
    async with h2_pool(backend, ca_file, http1=False) as pool:
        response = await pool.request("GET", tls_server.url + "/")
        assert response.protocol == "HTTP/2"


async def test_prior_knowledge_h2c(backend, server):
    async with httpcore.AsyncConnectionPool(
        backend=backend, http1=False, http2=True
    ) as pool:
        response = await pool.request("GET", server.url + "/echo")
        assert response.protocol == "HTTP/2"
        assert json.loads(response.content)["http_version"] == "2"


async def test_hundred_concurrent_requests_share_one_connection(
    backend, tls_server, ca_file
):
    async with h2_pool(backend, ca_file) as pool:

        async def one(i: int) -> tuple[int, str]:
            response = await pool.request("GET", f"{tls_server.url}/echo?i={i}")
            return response.status, json.loads(response.content)["query"]

        results = await gather(backend, [lambda i=i: one(i) for i in range(100)])
        assert results == [(200, f"i={i}") for i in range(100)]
        assert len(pool.connections) == 1
        assert pool.connections[0].requests_served == 100
        assert_settled(pool)


async def test_more_streams_than_the_server_allows_open_a_second_connection(
    async_backend, tls_server, ca_file
):
    # hypercorn allows 100 concurrent streams; 150 slow requests need two
    # connections, and no more. (Async only: 150 threads would be silly.)
    async with h2_pool(async_backend, ca_file, timeout=20.0) as pool:
        url = tls_server.url + "/slow?delay=0.3"
        responses = await gather(
            async_backend, [lambda: pool.request("GET", url)] * 150
        )
        assert all(r.status == 200 for r in responses)
        assert len(pool.connections) == 2
        assert_settled(pool)


def test_ten_threads_share_one_sync_pool_for_a_thousand_requests(
    tls_server, ca_file, no_fd_leak
):
    with httpcore.ConnectionPool(verify=ca_file, http2=True, timeout=30.0) as pool:
        failures = []

        def work(thread: int) -> int:
            done = 0
            for i in range(100):
                query = f"t={thread}&i={i}"
                response = pool.request("GET", f"{tls_server.url}/echo?{query}")
                echo = json.loads(response.content)
                if response.protocol != "HTTP/2" or echo["query"] != query:
                    failures.append((query, response.protocol, echo["query"]))
                done += 1
            return done

        with ThreadPoolExecutor(max_workers=10) as executor:
            counts = list(executor.map(work, range(10)))
        assert failures == []
        assert sum(counts) == 1000
        assert len(pool.connections) == 1
        assert pool.connections[0].requests_served == 1000
        assert_settled(pool._pool)


def test_sync_threads_stream_bodies_concurrently(tls_server, ca_file):
    size = 1024 * 1024
    with httpcore.ConnectionPool(verify=ca_file, http2=True, timeout=30.0) as pool:
        barrier = threading.Barrier(4)

        def work(_: int) -> bytes:
            with pool.stream("GET", f"{tls_server.url}/bytes/{size}") as response:
                barrier.wait(timeout=10)
                return b"".join(response.stream())

        with ThreadPoolExecutor(max_workers=4) as executor:
            bodies = list(executor.map(work, range(4)))
        assert all(body == pattern(size) for body in bodies)
        assert len(pool.connections) == 1
        assert_settled(pool._pool)


async def test_cancelling_half_of_200_requests(
    async_backend, tls_server, ca_file, no_fd_leak
):
    async with h2_pool(async_backend, ca_file, timeout=20.0) as pool:
        url = tls_server.url + "/slow?delay=0.5"
        results = await cancel_some(
            async_backend,
            [lambda: pool.request("GET", url)] * 200,
            lambda index: index % 2 == 0,
            delay=0.2,
        )
        assert all(isinstance(r, Cancelled) for r in results[::2])
        assert all(r.status == 200 for r in results[1::2])
        await sleep(async_backend, 0)
        assert_settled(pool)
        connections = pool.connections
        assert len(connections) <= 2
        for connection in connections:
            assert connection.streams_in_use == 0
            assert connection._protocol.open_streams == 0
        # The connection is still usable.
        responses = await gather(
            async_backend, [lambda: pool.request("GET", tls_server.url + "/")] * 20
        )
        assert [r.status for r in responses] == [200] * 20
        assert pool.connections == connections
        assert_settled(pool)


async def test_cancel_while_reading_the_body(async_backend, tls_server, ca_file):
    async with h2_pool(async_backend, ca_file) as pool:

        async def read_slowly() -> None:
            url = tls_server.url + "/bytes/50000000"
            async with pool.stream("GET", url) as response:
                async for _ in response.stream():
                    await sleep(async_backend, 0.01)

        await cancel_after(async_backend, read_slowly, 0.2)
        assert_settled(pool)
        response = await pool.request("GET", tls_server.url + "/")
        assert response.status == 200 and len(pool.connections) == 1


async def test_closing_an_unread_response_resets_only_its_stream(
    backend, tls_server, ca_file
):
    async with h2_pool(backend, ca_file) as pool:
        async with pool.stream("GET", tls_server.url + "/bytes/10000000") as response:
            async for chunk in response.raw():
                assert chunk
                break
        assert_settled(pool)
        response = await pool.request("GET", tls_server.url + "/")
        assert response.content == b"Hello, world!"
        assert len(pool.connections) == 1


async def test_dropped_response_gives_its_stream_back(backend, tls_server, ca_file):
    limits = httpcore.PoolLimits(max_connections=1)
    async with h2_pool(backend, ca_file, pool_limits=limits) as pool:
        response = await pool.send(
            httpcore.Request("GET", tls_server.url + "/bytes/1000000")
        )
        assert pool.connections[0].streams_in_use == 1
        del response
        gc.collect()
        assert_settled(pool)
        response = await pool.request("GET", tls_server.url + "/")
        assert response.status == 200


async def test_read_timeout_fails_only_its_stream(backend, tls_server, ca_file):
    async with h2_pool(backend, ca_file) as pool:
        slow = httpcore.Request(
            "GET", tls_server.url + "/slow?delay=5", extensions={"timeout": 0.2}
        )
        with pytest.raises(httpcore.ReadTimeout):
            await pool.send(slow)
        assert_settled(pool)
        response = await pool.request("GET", tls_server.url + "/")
        assert response.status == 200
        assert len(pool.connections) == 1


async def test_idle_http2_connections_expire(backend, tls_server, ca_file):
    limits = httpcore.PoolLimits(keepalive_expiry=0.2)
    async with h2_pool(backend, ca_file, pool_limits=limits) as pool:
        first = await pool.request("GET", tls_server.url + "/conn")
        [old] = pool.connections
        await pool.backend.sleep(0.3)
        second = await pool.request("GET", tls_server.url + "/conn")
        assert old.state is ConnectionState.CLOSED
        assert old not in pool.connections and len(pool.connections) == 1
        assert json.loads(first.content) != json.loads(second.content)


async def test_max_keepalive_applies_to_idle_http2_connections(
    backend, tls_server, ca_file
):
    limits = httpcore.PoolLimits(max_keepalive_connections=0)
    async with h2_pool(backend, ca_file, pool_limits=limits) as pool:
        await pool.request("GET", tls_server.url + "/")
        assert pool.connections == []


async def test_pool_timeout_while_the_only_connection_is_full(
    async_backend, tls_server, ca_file
):
    # One connection allowed, hypercorn's 100 streams all busy: request 101
    # waits for a stream, and times out.
    limits = httpcore.PoolLimits(max_connections=1)
    async with h2_pool(async_backend, ca_file, pool_limits=limits) as pool:
        url = tls_server.url + "/slow?delay=2"

        async def late_request() -> None:
            # Once all 100 streams are taken (however slowly a loaded machine
            # sends them): a fixed sleep could let the first ones finish.
            for _ in range(2000):  # at most 20 s
                in_use = [c.streams_in_use for c in pool.connections]
                if in_use == [100]:
                    break
                await sleep(async_backend, 0.01)
            assert [c.streams_in_use for c in pool.connections] == [100]
            request = httpcore.Request(
                "GET", url, extensions={"timeout": {"pool": 0.1}}
            )
            with pytest.raises(httpcore.PoolTimeout):
                await pool.send(request)

        held = [lambda: pool.request("GET", url)] * 100
        results = await gather(async_backend, [*held, late_request])
        assert all(r.status == 200 for r in results[:100])
        assert_settled(pool)


async def test_closed_pool_with_http2(backend, tls_server, ca_file):
    pool = h2_pool(backend, ca_file)
    await pool.request("GET", tls_server.url + "/")
    await pool.close()
    assert pool.connections == []
    with pytest.raises(RuntimeError, match="closed"):
        await pool.request("GET", tls_server.url + "/")
