"""
The sync `Client` itself, against the real server: plain functions, no event
loop. It runs the async core on the sync backend, so these tests prove the
facade: responses, streaming, redirects, cookies, hooks, dispatchers, threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import tracemalloc

import pytest

import httpcore
from tests.client import SyncMockDispatch
from tests.servers.app import COMPRESSIBLE_TEXT, HELLO, pattern


def test_get(server):
    with httpcore.Client() as client:
        response = client.get(server.url + "/")
        assert isinstance(response, httpcore.Response)
        assert response.status_code is httpcore.StatusCode.OK
        assert response.text == "Hello, world!"
        assert response.content == HELLO
        assert response.elapsed.total_seconds() > 0
        assert response.is_closed
        info = client._dispatch.pool_info()
        assert info["active"] == 0 and info["idle"] == 1


def test_pool_runs_on_the_sync_backend():
    from httpcore._backends.sync import SyncBackend

    with httpcore.Client() as client:
        assert isinstance(client._dispatch.backend, SyncBackend)


def test_post_json(server):
    with httpcore.Client() as client:
        response = client.post(server.url + "/echo", json={"hello": "world"})
        response.raise_for_status()
        echo = response.json()
        assert echo["method"] == "POST"
        assert echo["body"] == '{"hello":"world"}'


def test_post_iterator_and_file(server, tmp_path):
    path = tmp_path / "upload.bin"
    path.write_bytes(b"file body")
    with httpcore.Client() as client:
        response = client.post(server.url + "/echo_body", content=iter([b"a", b"b"]))
        assert response.content == b"ab"
        with open(path, "rb") as file:
            response = client.post(server.url + "/echo", content=file)
        assert response.json()["body"] == "file body"
        assert dict(response.json()["headers"])["content-length"] == "9"


@pytest.mark.parametrize("size", [0, 1])
def test_small_bodies(server, size):
    with httpcore.Client() as client:
        assert client.get(f"{server.url}/bytes/{size}").content == pattern(size)
        response = client.get(f"{server.url}/bytes/{size}", stream=True)
        assert b"".join(response.stream()) == pattern(size)


def test_stream(server):
    with httpcore.Client() as client:
        response = client.get(server.url + "/stream/5?size=1000", stream=True)
        assert client._dispatch.pool_info()["active"] == 1
        with pytest.raises(httpcore.ResponseNotRead):
            _ = response.content
        chunks = list(response.stream())
        assert b"".join(chunks) == pattern(1000) * 5
        assert response.is_closed
        with pytest.raises(httpcore.StreamConsumed):
            response.stream()
        assert client._dispatch.pool_info()["active"] == 0


def test_stream_read_and_lines(server):
    with httpcore.Client() as client:
        response = client.get(server.url + "/gzip", stream=True)
        assert response.read() == COMPRESSIBLE_TEXT
        assert response.content == COMPRESSIBLE_TEXT
        lines = client.get(
            server.url + "/charset", params={"text": "x\ny\r\n"}, stream=True
        )
        assert list(lines.stream_lines()) == ["x", "y"]
        with client.get(server.url + "/bytes/10", stream=True) as unread:
            pass
        assert unread.is_closed
        assert client._dispatch.pool_info()["active"] == 0


def test_50mb_streamed_with_bounded_memory(server):
    size = 50 * 1024 * 1024
    with httpcore.Client(timeout=30) as client:
        gc.collect()
        tracemalloc.start()
        try:
            response = client.get(f"{server.url}/bytes/{size}", stream=True)
            total = sum(len(chunk) for chunk in response.stream())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert total == size
    assert peak < 10 * 1024 * 1024, f"peak memory {peak} bytes"


def test_redirects_and_history(server):
    with httpcore.Client() as client:
        response = client.get(server.url + "/redirect/2")
        assert response.text == "done"
        assert len(response.history) == 2
        assert all(isinstance(r, httpcore.Response) for r in response.history)
        assert [r.status_code for r in response.history] == [302, 302]
        # Redirect hops are closed, their bodies discarded unread.
        assert all(r.is_closed for r in response.history)
        with pytest.raises(httpcore.ResponseNotRead):
            _ = response.history[0].content


def test_cookies(server):
    with httpcore.Client(cookies={"pre": "0"}) as client:
        client.get(server.url + "/set_cookie?a=1")
        assert client.cookies["a"] == "1"
        assert client.get(server.url + "/cookies").json() == {"pre": "0", "a": "1"}


def test_closed_client(server):
    client = httpcore.Client()
    client.get(server.url + "/")
    client.close()
    assert client.is_closed
    with pytest.raises(RuntimeError, match="client has been closed"):
        client.get(server.url + "/")
    with pytest.raises(RuntimeError, match="client has been closed"):
        with client:
            pass
    client.close()


def test_async_iterator_body_is_refused_before_io(scripted_server):
    scripted = scripted_server(lambda conn: conn.read_request())

    async def body():
        yield b"x"

    with httpcore.Client() as client:
        generator = body()
        with pytest.raises(TypeError, match="AsyncClient"):
            client.post(scripted.url, content=generator)
        request = httpcore.Request("POST", scripted.url, content=body())
        with pytest.raises(TypeError, match="AsyncClient"):
            client.send(request)
    assert scripted.accepted == 0


def test_errors_before_io(scripted_server):
    scripted = scripted_server(lambda conn: conn.read_request())
    with httpcore.Client() as client:
        with pytest.raises(httpcore.LocalProtocolError):
            client.get(scripted.url, headers={"X-Bad": "a\nb"})
        with pytest.raises(TypeError):
            client.post(scripted.url, json=object())
        with pytest.raises(TypeError):
            client.post(scripted.url, jsn={})  # type: ignore[call-arg]
        with pytest.raises(httpcore.InvalidURL):
            client.get("relative/path")
    assert scripted.accepted == 0


def test_event_hooks_see_sync_responses(server):
    seen = []

    def on_response(response):
        assert isinstance(response, httpcore.Response)
        seen.append(response.read())

    with httpcore.Client(event_hooks={"response": [on_response]}) as client:
        response = client.get(server.url + "/")
        # The hook read the body: the client keeps it.
        assert response.content == HELLO
        streamed = client.get(server.url + "/bytes/5", stream=True)
        assert streamed.content == pattern(5)
    assert seen == [HELLO, pattern(5)]


def test_request_hook_can_change_the_request(server):
    def sign(request):
        request.headers["X-Signed"] = "yes"

    with httpcore.Client(event_hooks={"request": [sign]}) as client:
        response = client.get(server.url + "/echo")
        assert dict(response.json()["headers"])["x-signed"] == "yes"


def test_sync_dispatch(server):
    pool = httpcore.ConnectionPool()
    with httpcore.Client(dispatch=pool) as client:
        response = client.get(server.url + "/redirect/1")
        assert response.text == "done"
        streamed = client.get(server.url + "/bytes/100", stream=True)
        assert list(streamed.stream()) == [pattern(100)]
    assert pool.pool_info()["idle"] == 0


def test_mock_dispatch():
    def handler(request):
        return httpcore.Response(201, json={"got": request.url.path}, request=request)

    dispatch = SyncMockDispatch(handler)
    with httpcore.Client(
        dispatch=dispatch, base_url="https://api.example.org/v1"
    ) as client:
        response = client.post("items", json={})
        assert response.status_code == httpcore.StatusCode.CREATED
        assert response.json() == {"got": "/v1/items"}
    assert dispatch.closed


def test_send_a_prepared_request(server):
    with httpcore.Client(headers={"X-Default": "1"}) as client:
        request = client.prepare_request(
            httpcore.Request("PUT", server.url + "/echo", content=b"x")
        )
        response = client.send(request, timeout=5)
        echo = response.json()
        assert echo["method"] == "PUT"
        assert dict(echo["headers"])["x-default"] == "1"
        assert response.request is request


def test_one_client_in_many_threads(server):
    with httpcore.Client() as client:

        def fetch(n):
            return client.get(f"{server.url}/bytes/{n}").content

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(fetch, range(40)))
    assert results == [pattern(n) for n in range(40)]


def test_works_inside_a_running_event_loop(server):
    async def main():
        with httpcore.Client() as client:
            return client.get(server.url + "/").content

    assert asyncio.run(main()) == HELLO
