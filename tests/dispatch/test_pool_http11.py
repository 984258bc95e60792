"""The connection pool over HTTP/1.1 against a real server, on every backend."""

from __future__ import annotations

import gc
import json

import pytest

import httpcore


def assert_pool_clean(pool: httpcore.AsyncConnectionPool) -> None:
    info = pool.pool_info()
    assert info["active"] == 0, info
    assert info["connecting"] == 0, info
    assert info["waiting"] == 0, info


async def test_get(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.status == 200
        assert response.status_code == httpcore.StatusCode.OK
        assert response.content == b"Hello, world!"
        assert response.protocol == "HTTP/1.1"
        assert response.reason_phrase == "OK"
        assert response.headers["content-type"].startswith("text/plain")
        assert response.elapsed.total_seconds() >= 0
        assert_pool_clean(pool)


async def test_connection_is_reused(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        ports = set()
        for _ in range(5):
            response = await pool.request("GET", server.url + "/conn")
            ports.add(json.loads(response.content)["client_port"])
        assert len(ports) == 1
        assert pool.pool_info()["idle"] == 1


async def test_request_headers_and_body_are_sent(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request(
            "POST",
            server.url + "/echo?a=1",
            headers=[(b"X-Custom", b"yes")],
            content=b"hello",
        )
        echo = json.loads(response.content)
        headers = dict(echo["headers"])
        assert echo["method"] == "POST"
        assert echo["query"] == "a=1"
        assert headers["x-custom"] == "yes"
        assert headers["content-length"] == "5"
        assert headers["host"] == server.url.split("//")[1]
        assert echo["body"] == "hello"


async def test_iterator_body_is_sent_chunked(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        chunks = iter([b"hello, ", b"world"])
        response = await pool.request("PUT", server.url + "/echo", content=chunks)
        echo = json.loads(response.content)
        assert dict(echo["headers"])["transfer-encoding"] == "chunked"
        assert echo["body"] == "hello, world"


async def test_post_without_body_sends_content_length_zero(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request("POST", server.url + "/echo")
        assert dict(json.loads(response.content)["headers"])["content-length"] == "0"


async def test_stream_reads_body_in_chunks(backend, server):
    size = 5 * 1024 * 1024
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        async with pool.stream("GET", f"{server.url}/bytes/{size}") as response:
            assert response.status == 200
            with pytest.raises(httpcore.ResponseNotRead):
                response.content  # noqa: B018
            total = 0
            async for chunk in response.stream():
                total += len(chunk)
            assert total == size
            with pytest.raises(httpcore.StreamConsumed):
                response.stream()
        assert pool.pool_info()["idle"] == 1
        assert_pool_clean(pool)


async def test_raw_does_not_decode(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        async with pool.stream("GET", server.url + "/gzip") as response:
            raw = b"".join([chunk async for chunk in response.raw()])
        assert raw[:2] == b"\x1f\x8b"  # still gzip: the pool does not decode


async def test_closing_an_unread_response_closes_its_connection(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        async with pool.stream("GET", f"{server.url}/bytes/1000000") as response:
            assert response.status == 200
        assert pool.pool_info() == {
            "connecting": 0,
            "idle": 0,
            "active": 0,
            "closed": 0,
            "waiting": 0,
        }
        response = await pool.request("GET", server.url + "/")
        assert response.status == 200


async def test_dropped_response_gives_its_slot_back(backend, server):
    limits = httpcore.PoolLimits(max_connections=1)
    async with httpcore.AsyncConnectionPool(
        backend=backend, pool_limits=limits, timeout=2.0
    ) as pool:
        response = await pool.send(
            httpcore.Request("GET", server.url + "/bytes/100000")
        )
        assert pool.pool_info()["active"] == 1
        del response
        gc.collect()
        assert_pool_clean(pool)
        # The one slot is free again: this would be a PoolTimeout otherwise.
        response = await pool.request("GET", server.url + "/")
        assert response.status == 200


async def test_head_request_has_no_body(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request("HEAD", server.url + "/")
        assert response.content == b""
        assert pool.pool_info()["idle"] == 1


async def test_keepalive_expiry_closes_idle_connections(backend, server):
    limits = httpcore.PoolLimits(keepalive_expiry=0.05)
    async with httpcore.AsyncConnectionPool(
        backend=backend, pool_limits=limits
    ) as pool:
        first = await pool.request("GET", server.url + "/conn")
        await pool.backend.sleep(0.2)
        second = await pool.request("GET", server.url + "/conn")
        assert json.loads(first.content) != json.loads(second.content)
        assert pool.pool_info()["idle"] == 1


async def test_max_keepalive_connections(backend, server):
    limits = httpcore.PoolLimits(max_connections=3, max_keepalive_connections=1)
    async with httpcore.AsyncConnectionPool(
        backend=backend, pool_limits=limits
    ) as pool:
        streams = [pool.stream("GET", server.url + "/") for _ in range(3)]
        responses = [await stream.__aenter__() for stream in streams]
        assert pool.pool_info()["active"] == 3
        for stream, response in zip(streams, responses, strict=True):
            await response.read()
            await stream.__aexit__(None, None, None)
        assert pool.pool_info()["idle"] == 1
        assert len(pool.connections) == 1


async def test_pool_timeout_when_exhausted(backend, server):
    limits = httpcore.PoolLimits(max_connections=1)
    timeout = httpcore.Timeout(5.0, pool=0.1)
    async with httpcore.AsyncConnectionPool(
        backend=backend, pool_limits=limits, timeout=timeout
    ) as pool:
        async with pool.stream("GET", server.url + "/") as response:
            with pytest.raises(httpcore.PoolTimeout) as info:
                await pool.request("GET", server.url + "/")
            assert "max_connections=1" in str(info.value)
            assert info.value.request.url == server.url + "/"
            await response.read()
        assert pool.pool_info()["idle"] == 1
        assert_pool_clean(pool)


async def test_waiting_request_gets_a_connection_for_another_origin(backend, server):
    # One slot, held idle by origin A: a request for origin B must evict it
    # rather than wait for a pool timeout.
    limits = httpcore.PoolLimits(max_connections=1)
    other = server.url.replace("127.0.0.1", "localhost")
    async with httpcore.AsyncConnectionPool(
        backend=backend, pool_limits=limits, timeout=2.0
    ) as pool:
        await pool.request("GET", server.url + "/")
        response = await pool.request("GET", other + "/")
        assert response.status == 200
        assert len(pool.connections) == 1


async def test_closed_pool_refuses_requests(backend, server):
    pool = httpcore.AsyncConnectionPool(backend=backend)
    await pool.request("GET", server.url + "/")
    await pool.close()
    assert pool.connections == []
    with pytest.raises(RuntimeError, match="closed"):
        await pool.request("GET", server.url + "/")


async def test_target_extension_sets_the_request_target(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request(
            "GET", server.url + "/ignored", extensions={"target": b"/echo?raw=1"}
        )
        assert json.loads(response.content)["query"] == "raw=1"


async def test_timeout_extension_overrides_the_pool_timeout(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=None) as pool:
        with pytest.raises(httpcore.ReadTimeout):
            await pool.request(
                "GET",
                server.url + "/slow?delay=2",
                extensions={"timeout": {"read": 0.1}},
            )
        assert_pool_clean(pool)
