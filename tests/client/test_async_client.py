"""
`AsyncClient` against the real server, on every backend: under "sync" the
test coroutine is driven without an event loop, so this also proves that the
client core never suspends on anything but the backend.
"""

from __future__ import annotations

import gc
import json
import tracemalloc

import pytest

import httpcore
from tests.servers.app import COMPRESSIBLE_TEXT, HELLO, LATIN1_HTML, pattern


def echo_headers(response) -> dict[str, str]:
    return dict(response.json()["headers"])


async def test_get(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(server.url + "/")
        assert isinstance(response, httpcore.AsyncResponse)
        assert response.status_code is httpcore.StatusCode.OK
        assert response.reason_phrase == "OK"
        assert response.protocol == "HTTP/1.1"
        assert response.content == HELLO
        assert response.text == HELLO.decode()
        assert response.url == server.url + "/"
        assert response.request.method == "GET"
        assert response.elapsed.total_seconds() > 0
        assert response.is_closed
        assert response.history == []


async def test_default_headers_reach_the_server(backend, server):
    async with httpcore.AsyncClient(
        backend=backend, headers={"X-Client": "1"}
    ) as client:
        response = await client.get(server.url + "/echo", headers={"x-request": "2"})
        headers = echo_headers(response)
        assert headers["user-agent"] == f"python-httpcore/{httpcore.__version__}"
        assert headers["accept"] == "*/*"
        assert "gzip" in headers["accept-encoding"]
        assert headers["connection"] == "keep-alive"
        assert headers["host"] == server.url.split("//")[1]
        assert headers["x-client"] == "1"
        assert headers["x-request"] == "2"


async def test_params_and_base_url(backend, server):
    async with httpcore.AsyncClient(
        backend=backend, base_url=server.url, params={"a": "client", "b": "1"}
    ) as client:
        response = await client.get("/echo?a=url&c=3", params={"b": "2"})
        assert response.json()["path"] == "/echo"
        assert response.json()["query"] == "a=client&c=3&b=2"


@pytest.mark.parametrize("size", [0, 1, 100_000])
async def test_body_sizes(backend, server, size):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(f"{server.url}/bytes/{size}")
        assert response.content == pattern(size)
        assert response.headers["content-length"] == str(size)
        streamed = await client.get(f"{server.url}/bytes/{size}", stream=True)
        chunks = [chunk async for chunk in streamed.stream()]
        assert b"".join(chunks) == pattern(size)
        assert all(chunks)
        assert streamed.is_closed


async def test_50mb_streamed_with_bounded_memory(backend, server):
    size = 50 * 1024 * 1024
    async with httpcore.AsyncClient(backend=backend, timeout=30) as client:
        gc.collect()
        tracemalloc.start()
        try:
            response = await client.get(f"{server.url}/bytes/{size}", stream=True)
            total = 0
            async for chunk in response.stream():
                total += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert total == size
        assert peak < 10 * 1024 * 1024, f"peak memory {peak} bytes"


async def test_post_json(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.post(server.url + "/echo", json={"a": [1, "é"]})
        echo = response.json()
        assert echo["method"] == "POST"
        assert echo["body"].encode("latin-1").decode() == '{"a":[1,"é"]}'
        assert echo_headers(response)["content-type"] == "application/json"


async def test_post_form(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.post(
            server.url + "/echo", data={"a": "1", "b": ["x", "y"]}
        )
        assert response.json()["body"] == "a=1&b=x&b=y"


@pytest.mark.parametrize("method", ["put", "patch"])
async def test_put_and_patch_with_content(backend, server, method):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await getattr(client, method)(
            server.url + "/echo", content="text body"
        )
        echo = response.json()
        assert echo["method"] == method.upper()
        assert echo["body"] == "text body"
        assert echo_headers(response)["content-length"] == "9"


async def test_other_verbs(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        assert (await client.delete(server.url + "/echo")).json()["method"] == "DELETE"
        assert (await client.options(server.url + "/echo")).json()[
            "method"
        ] == "OPTIONS"
        head = await client.head(server.url + "/")
        assert head.content == b""
        assert head.headers["content-length"] == str(len(HELLO))
        custom = await client.request("PROPFIND", server.url + "/echo")
        assert custom.json()["method"] == "PROPFIND"


async def test_iterator_bodies(backend, server):
    async def agen():
        yield b"async "
        yield b"body"

    async with httpcore.AsyncClient(backend=backend) as client:
        sync_body = await client.post(
            server.url + "/echo", content=iter([b"sync ", b"body"])
        )
        assert sync_body.json()["body"] == "sync body"
        assert echo_headers(sync_body)["transfer-encoding"] == "chunked"
        async_body = await client.post(server.url + "/echo", content=agen())
        assert async_body.json()["body"] == "async body"


async def test_stream_true_holds_the_connection_until_read(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        pool = client._dispatch
        response = await client.get(server.url + "/bytes/1000", stream=True)
        assert pool.pool_info()["active"] == 1
        with pytest.raises(httpcore.ResponseNotRead):
            _ = response.content
        assert await response.read() == pattern(1000)
        assert response.content == pattern(1000)
        info = pool.pool_info()
        assert info["active"] == 0 and info["idle"] == 1


async def test_streaming_twice_and_after_close(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(server.url + "/bytes/10", stream=True)
        async for _ in response.stream():
            pass
        with pytest.raises(httpcore.StreamConsumed):
            response.stream()
        closed = await client.get(server.url + "/bytes/10", stream=True)
        await closed.aclose()
        with pytest.raises(httpcore.ResponseClosed):
            await closed.read()
        assert client._dispatch.pool_info()["active"] == 0


async def test_content_decoding(backend, server):
    from httpcore._decoders import SUPPORTED_DECODERS

    routes = ["/gzip", "/deflate"]
    routes += ["/brotli"] if "br" in SUPPORTED_DECODERS else []
    routes += ["/zstd"] if "zstd" in SUPPORTED_DECODERS else []
    async with httpcore.AsyncClient(backend=backend) as client:
        for route in routes:
            response = await client.get(server.url + route)
            assert response.content == COMPRESSIBLE_TEXT, route
        raw = await client.get(server.url + "/gzip", stream=True)
        compressed = b"".join([chunk async for chunk in raw.raw()])
        assert len(compressed) == int(raw.headers["content-length"])
        assert len(compressed) < len(COMPRESSIBLE_TEXT)


async def test_text_encodings(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        latin = await client.get(
            server.url + "/charset", params={"encoding": "latin-1", "text": "café"}
        )
        assert latin.charset_encoding == "iso8859-1"
        assert latin.text == "café"
        guessed = await client.get(server.url + "/html_no_charset")
        assert guessed.charset_encoding is None
        assert guessed.text == LATIN1_HTML
        data = await client.get(server.url + "/json")
        assert data.json() == {"hello": "world"}


async def test_stream_text_and_lines(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            server.url + "/charset", params={"text": "a\r\nb\nc"}, stream=True
        )
        assert [line async for line in response.stream_lines()] == ["a", "b", "c"]
        response = await client.get(server.url + "/charset", stream=True)
        assert (
            "".join([text async for text in response.stream_text()]) == "Hello, world!"
        )


async def test_status_errors(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(server.url + "/status/500")
        assert response.status_code == 500
        assert response.is_server_error
        with pytest.raises(httpcore.HTTPStatusError, match="Server error '500"):
            response.raise_for_status()
        ok = await client.get(server.url + "/status/204")
        assert ok.raise_for_status() is ok


async def test_connections_are_reused(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        ports = {
            (await client.get(server.url + "/conn")).json()["client_port"]
            for _ in range(3)
        }
        assert len(ports) == 1


async def test_timeouts(backend, server):
    async with httpcore.AsyncClient(backend=backend, timeout=0.2) as client:
        with pytest.raises(httpcore.ReadTimeout):
            await client.get(server.url + "/slow", params={"delay": "2"})
        response = await client.get(
            server.url + "/slow", params={"delay": "0.3"}, timeout=5
        )
        assert response.text == "ok"
    async with httpcore.AsyncClient(backend=backend, timeout=None) as client:
        with pytest.raises(httpcore.ReadTimeout):
            await client.get(server.url + "/slow", params={"delay": "2"}, timeout=0.1)


async def test_event_hooks(backend, server):
    seen = []

    def on_request(request):
        seen.append(("request", request.url.path))

    async def on_response(response):
        seen.append(("response", response.status_code))

    hooks = {"request": [on_request], "response": [on_response]}
    async with httpcore.AsyncClient(backend=backend, event_hooks=hooks) as client:
        await client.get(server.url + "/redirect/1")
    assert seen == [
        ("request", "/redirect/1"),
        ("response", 302),
        ("request", "/redirect/0"),
        ("response", 200),
    ]


async def test_response_hook_can_raise(backend, server):
    async def check(response):
        await response.read()
        response.raise_for_status()

    async with httpcore.AsyncClient(
        backend=backend, event_hooks={"response": [check]}
    ) as client:
        with pytest.raises(httpcore.HTTPStatusError):
            await client.get(server.url + "/status/404")
        assert client._dispatch.pool_info()["active"] == 0
        assert (await client.get(server.url + "/")).content == HELLO


async def test_tls(backend, tls_server, ca_file):
    async with httpcore.AsyncClient(backend=backend, verify=ca_file) as client:
        response = await client.get(tls_server.url + "/")
        assert response.content == HELLO
    async with httpcore.AsyncClient(backend=backend, trust_env=False) as client:
        with pytest.raises(httpcore.ConnectError):
            await client.get(tls_server.url + "/")
        # A request of its own with other TLS settings, on its own connection.
        response = await client.get(tls_server.url + "/", verify=ca_file)
        assert response.content == HELLO
        response = await client.get(tls_server.url + "/", verify=False)
        assert response.content == HELLO
        assert len(client._dispatch.connections) == 2


async def test_errors_before_io(backend, scripted_server):
    def handler(conn):
        conn.read_request()
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    scripted = scripted_server(handler)
    async with httpcore.AsyncClient(backend=backend) as client:
        with pytest.raises(httpcore.LocalProtocolError, match="CR, LF"):
            await client.get(scripted.url, headers={"X-Bad": "a\r\nInjected: 1"})
        with pytest.raises(TypeError, match="JSON"):
            await client.post(scripted.url, json={"a": {1, 2}})
        with pytest.raises(TypeError):
            await client.get(scripted.url, bogus=1)  # type: ignore[call-arg]
        with pytest.raises(httpcore.InvalidURL, match="base_url"):
            await client.get("/relative")
        with pytest.raises(httpcore.LocalProtocolError, match="method"):
            await client.request("GE T", scripted.url)
    assert scripted.accepted == 0


async def test_closed_client_raises(backend, server):
    client = httpcore.AsyncClient(backend=backend)
    assert (await client.get(server.url + "/")).content == HELLO
    await client.aclose()
    assert client.is_closed
    with pytest.raises(RuntimeError, match="client has been closed"):
        await client.get(server.url + "/")
    with pytest.raises(RuntimeError, match="client has been closed"):
        async with client:
            pass
    await client.close()  # closing twice is fine


async def test_async_dispatch(backend, server):
    pool = httpcore.AsyncConnectionPool(backend=backend)
    async with httpcore.AsyncClient(dispatch=pool) as client:
        response = await client.get(server.url + "/redirect/1")
        assert response.text == "done"
    with pytest.raises(RuntimeError):
        await pool.request("GET", server.url + "/")  # closed with the client


async def test_sync_dispatch_in_the_async_client(backend, server):
    pool = httpcore.ConnectionPool()
    async with httpcore.AsyncClient(dispatch=pool) as client:
        response = await client.get(server.url + "/gzip")
        assert response.content == COMPRESSIBLE_TEXT
        streamed = await client.get(server.url + "/bytes/100", stream=True)
        assert [chunk async for chunk in streamed.stream()] == [pattern(100)]
    assert pool.pool_info()["idle"] == 0


async def test_sync_dispatch_returning_read_responses(backend):
    from tests.client import SyncMockDispatch

    def handler(request):
        return httpcore.Response(200, json={"path": request.url.path}, request=request)

    dispatch = SyncMockDispatch(handler)
    async with httpcore.AsyncClient(dispatch=dispatch) as client:
        response = await client.get("http://example.org/p")
        assert response.json() == {"path": "/p"}
    assert dispatch.closed


async def test_dispatch_returning_garbage(backend):
    class Bad:
        def send(self, request, *, timeout=None):
            return "not a response"

        def close(self):
            pass

    async with httpcore.AsyncClient(dispatch=Bad()) as client:
        with pytest.raises(TypeError, match="not a Response"):
            await client.get("http://example.org/")


async def test_json_roundtrip_through_echo_body(backend, server):
    payload = {"list": list(range(100)), "text": "x" * 1000}
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.put(server.url + "/echo_body", json=payload)
        assert json.loads(response.content) == payload


async def test_dispatchers_may_leave_request_and_elapsed_unset(backend):
    from tests.client import MockDispatch, SyncMockDispatch

    def bare(request):
        return httpcore.AsyncResponse(200, content=b"bare")

    for dispatch in (MockDispatch(bare), SyncMockDispatch(bare)):
        async with httpcore.AsyncClient(dispatch=dispatch) as client:
            response = await client.get("http://example.org/x")
            assert response.content == b"bare"
            assert response.request.url == "http://example.org/x"
            assert response.elapsed.total_seconds() >= 0
