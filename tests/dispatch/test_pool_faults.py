"""
Bad arguments, connect failures and a TLS handshake that stalls: each ends
in a typed httpcore error, and leaves no active connection in the pool and
no socket open. (Broken HTTP/1.1 servers: tests/faults/test_http11_*.py.)
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


async def test_tls_handshake_with_silent_server_gives_connect_timeout(
    backend, silent_server, no_fd_leak
):
    url = silent_server.url.replace("http://", "https://")
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=0.2) as pool:
        with pytest.raises(httpcore.ConnectTimeout):
            await pool.request("GET", url + "/")
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


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([(b"X-Bad", b"a\r\nInjected: yes")], "CR, LF, NUL"),
        ([(b"X-Bad", b"a\nb")], "CR, LF, NUL"),
        ([(b"X-Bad", b"a\x00b")], "CR, LF, NUL"),
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
