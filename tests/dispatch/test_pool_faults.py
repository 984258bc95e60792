"""
Broken servers and bad arguments: each ends in a typed httpcore error, and
leaves no active connection in the pool and no socket open.
"""

from __future__ import annotations

import pytest

import httpcore

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def reply(data: bytes, *, close: bool = True):
    def handler(conn):
        conn.read_request()
        conn.send(data)
        if close:
            conn.close()
        else:
            conn.wait_for_close()

    return handler


def assert_nothing_left(pool: httpcore.AsyncConnectionPool) -> None:
    info = pool.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0, info


async def test_silent_server_gives_read_timeout(backend, silent_server, no_fd_leak):
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=0.2) as pool:
        with pytest.raises(httpcore.ReadTimeout):
            await pool.request("GET", silent_server.url + "/")
        assert_nothing_left(pool)
        assert pool.connections == []


async def test_tls_handshake_with_silent_server_gives_connect_timeout(
    backend, silent_server, no_fd_leak
):
    url = silent_server.url.replace("http://", "https://")
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=0.2) as pool:
        with pytest.raises(httpcore.ConnectTimeout):
            await pool.request("GET", url + "/")
        assert pool.connections == []


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", id="bad-status"),
        pytest.param(b"garbage\r\n\r\n", id="garbage"),
        pytest.param(b"", id="close-before-answer"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", id="short"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            id="bad-chunk",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            id="conflicting-length",
        ),
    ],
)
async def test_broken_response_gives_remote_protocol_error(
    backend, scripted_server, response, no_fd_leak
):
    server = scripted_server(reply(response))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=2.0) as pool:
        with pytest.raises(httpcore.RemoteProtocolError) as info:
            await pool.request("GET", server.url + "/")
        assert str(info.value)
        assert info.value.request.method == "GET"
        assert_nothing_left(pool)
        assert pool.connections == []


async def test_server_closing_before_answer_says_so(backend, scripted_server):
    server = scripted_server(reply(b""))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=2.0) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="without sending"):
            await pool.request("GET", server.url + "/")


async def test_short_body_while_streaming(backend, scripted_server, no_fd_leak):
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=2.0) as pool:
        async with pool.stream("GET", server.url + "/") as response:
            assert response.status == 200
            with pytest.raises(httpcore.RemoteProtocolError):
                await response.read()
        assert_nothing_left(pool)
        assert pool.connections == []


async def test_connection_refused_gives_connect_error(backend, closed_port, no_fd_leak):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", f"http://127.0.0.1:{closed_port}/")
        assert pool.connections == []


async def test_connect_retries_then_fails(backend, closed_port):
    async with httpcore.AsyncConnectionPool(backend=backend, retries=1) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", f"http://127.0.0.1:{closed_port}/")
        assert pool.connections == []


async def test_idle_connection_closed_by_server_is_replaced(backend, scripted_server):
    # Each connection answers one request and then closes, though the
    # response said keep-alive: the next request must go out on a new one.
    server = scripted_server(reply(OK))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=2.0) as pool:
        for _ in range(3):
            response = await pool.request("GET", server.url + "/")
            assert response.content == b"ok"
        assert server.accepted == 3


async def test_connection_closed_after_request_written_is_retried_once(
    backend, scripted_server
):
    # The server reads the second request, then closes without answering:
    # a stale keep-alive connection. An idempotent request is sent again.
    def handler(conn):
        if server.accepted == 1:
            conn.read_request()
            conn.send(OK)
            conn.read_request()
        else:
            conn.read_request()
            conn.send(OK)
        conn.close()

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=2.0) as pool:
        await pool.request("GET", server.url + "/")
        # Let the first connection's server side read and close.
        await pool.backend.sleep(0.1)
        response = await pool.request("GET", server.url + "/")
        assert response.content == b"ok"
        assert server.accepted == 2


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([(b"X-Bad", b"a\r\nInjected: yes")], "CR, LF or NUL"),
        ([(b"X-Bad", b"a\nb")], "CR, LF or NUL"),
        ([(b"X-Bad", b"a\x00b")], "CR, LF or NUL"),
        ([(b"X Bad", b"a")], "header name"),
        ([(b"X-Bad\r\n", b"a")], "header name"),
    ],
)
async def test_bad_headers_are_refused_before_any_byte(
    backend, scripted_server, headers, message
):
    server = scripted_server(reply(OK))
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.LocalProtocolError, match=message):
            await pool.request("GET", server.url + "/", headers=headers)
    assert server.accepted == 0


@pytest.mark.parametrize("method", ["GE T", "GET\r\n", "G\x00T", "GÉT", ""])
async def test_bad_method_is_refused_before_any_byte(backend, scripted_server, method):
    server = scripted_server(reply(OK))
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.LocalProtocolError, match="method"):
            await pool.request(method, server.url + "/")
    assert server.accepted == 0


@pytest.mark.parametrize("url", ["http:///path", "http://", "https://:443/"])
async def test_url_without_host_is_refused(backend, url):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.InvalidURL):
            await pool.request("GET", url)


@pytest.mark.parametrize("url", ["ftp://example.org/", "file:///etc/passwd"])
async def test_unsupported_scheme_is_refused(backend, url):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises((httpcore.UnsupportedProtocol, httpcore.InvalidURL)) as info:
            await pool.request("GET", url)
        assert "scheme" in str(info.value) or "host" in str(info.value)


async def test_unsupported_scheme_names_it(backend):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.UnsupportedProtocol, match="'ftp'"):
            await pool.request("GET", "ftp://example.org/")


async def test_body_longer_than_content_length_is_refused(backend, scripted_server):
    server = scripted_server(reply(OK))
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.LocalProtocolError):
            await pool.request(
                "POST",
                server.url + "/",
                headers=[(b"Content-Length", b"2")],
                content=iter([b"abc"]),
            )
        assert_nothing_left(pool)
