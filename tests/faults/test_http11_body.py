"""
HTTP/1.1 response bodies whose framing is broken or in doubt.

A body the framing cannot delimit ends in `RemoteProtocolError`. When the
body can be delimited but bytes follow it that no request asked for (past a
Content-Length; a body on a HEAD, 204 or 304 response) the response is
returned as framed and its connection is closed: reusing it would serve
those bytes as the next response (response smuggling). Each smuggling test
sends a second request and proves it got the genuine answer, on a new
connection.
"""

from __future__ import annotations

import threading

import pytest

import httpcore
from httpcore._dispatch.http11 import MAX_HEADER_BYTES, READ_SIZE
from tests.faults.conftest import GENUINE, first_then_genuine, reply

SMUGGLED = b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


async def expect_remote_protocol_error(backend, server, match, pool_is_clean):
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match=match) as info:
            await pool.request("GET", server.url + "/")
        assert info.value.request.method == "GET"
        pool_is_clean(pool)
        assert pool.connections == []


async def expect_second_request_genuine(backend, server, method, first, pool_is_clean):
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request(method, server.url + "/")
        assert response.content == first
        pool_is_clean(pool)
        assert pool.connections == []  # closed, not pooled
        second = await pool.request("GET", server.url + "/")
        assert second.content == b"genuine"
        assert server.accepted == 2
        pool_is_clean(pool)


# --- Content-Length -----------------------------------------------------------


async def test_body_shorter_than_content_length_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
    match = "received 3 bytes, expected 10"
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_body_longer_than_content_length_is_not_served_as_next_response(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    server = scripted_server(first_then_genuine(head + SMUGGLED))
    await expect_second_request_genuine(backend, server, "GET", b"ok", pool_is_clean)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(b"Content-Length: 1\r\nContent-Length: 2\r\n", id="two-fields"),
        pytest.param(b"Content-Length: 2, 3\r\n", id="list"),
    ],
)
async def test_conflicting_content_lengths_are_remote_protocol_error(
    backend, scripted_server, fields, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\n" + fields + b"\r\nabc"))
    match = "conflicting Content-Length headers"
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_repeated_equal_content_lengths_are_accepted(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # RFC 9110 8.6: identical values may be taken as one.
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok"
    server = scripted_server(reply(head))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.content == b"ok"
        pool_is_clean(pool)


@pytest.mark.parametrize("value", [b"-1", b"1e3", b"abc", b"+2", b"9" * 30])
async def test_invalid_content_length_is_remote_protocol_error(
    backend, scripted_server, value, pool_is_clean, no_fd_leak
):
    head = b"HTTP/1.1 200 OK\r\nContent-Length: " + value + b"\r\n\r\nok"
    server = scripted_server(reply(head))
    await expect_remote_protocol_error(
        backend, server, "bad Content-Length", pool_is_clean
    )


async def test_content_length_with_transfer_encoding_is_parsed_chunked_then_closed(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # RFC 9112 6.3: Transfer-Encoding overrides Content-Length; such a
    # response may be an attempt at smuggling, so its connection is not reused.
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    server = scripted_server(first_then_genuine(head + b"2\r\nok\r\n0\r\n\r\n"))
    await expect_second_request_genuine(backend, server, "GET", b"ok", pool_is_clean)


@pytest.mark.parametrize(
    "coding", [b"gzip", b"gzip, chunked", b"chunked, chunked", b""]
)
async def test_unsupported_transfer_encoding_is_remote_protocol_error(
    backend, scripted_server, coding, pool_is_clean, no_fd_leak
):
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: " + coding + b"\r\n\r\n"
    server = scripted_server(reply(head + b"2\r\nok\r\n0\r\n\r\n"))
    match = "Only Transfer-Encoding: chunked is supported"
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


# --- Chunked framing ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "match"),
    [
        pytest.param(b"zz\r\nok\r\n0\r\n\r\n", "illegal chunk header", id="non-hex"),
        pytest.param(b"-2\r\nok\r\n0\r\n\r\n", "illegal chunk header", id="negative"),
        pytest.param(b"0x2\r\nok\r\n0\r\n\r\n", "illegal chunk header", id="0x"),
        pytest.param(b"\r\nok\r\n0\r\n\r\n", "illegal chunk header", id="empty-size"),
        pytest.param(
            b"f" * 24 + b"\r\nok\r\n0\r\n\r\n", "illegal chunk header", id="huge-size"
        ),
        pytest.param(
            b"2\r\nokXX0\r\n\r\n", "malformed chunk footer", id="no-crlf-after-data"
        ),
        pytest.param(
            b"2\r\nok\r\n", "incomplete chunked read", id="eof-before-last-chunk"
        ),
        pytest.param(b"5\r\nok", "incomplete chunked read", id="eof-in-chunk-data"),
        pytest.param(
            b"2\r\nok\r\n0\r\n", "incomplete chunked read", id="eof-before-trailer-end"
        ),
    ],
)
async def test_bad_chunked_framing_is_remote_protocol_error(
    backend, scripted_server, body, match, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(CHUNKED + body))
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_oversized_chunk_size_line_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    extension = b";x=" + b"a" * (MAX_HEADER_BYTES + READ_SIZE)
    server = scripted_server(reply(CHUNKED + b"2" + extension + b"\r\nok\r\n0\r\n\r\n"))
    match = "chunk header or trailer larger than the limit of MAX_HEADER_BYTES="
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_bad_chunk_while_streaming_closes_the_connection(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(CHUNKED + b"2\r\nok\r\nzz\r\n", then="hold"))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        async with pool.stream("GET", server.url + "/") as response:
            chunks = []
            with pytest.raises(httpcore.RemoteProtocolError, match="illegal chunk"):
                async for chunk in response.raw():
                    chunks.append(chunk)
            assert b"".join(chunks) == b"ok"
        pool_is_clean(pool)
        assert pool.connections == []


# --- Bodies where there must be none ------------------------------------------


@pytest.mark.parametrize(
    ("method", "head"),
    [
        pytest.param(
            "HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n", id="HEAD"
        ),
        pytest.param("GET", b"HTTP/1.1 204 No Content\r\n\r\n", id="204"),
        pytest.param(
            "GET", b"HTTP/1.1 204 No Content\r\nContent-Length: 8\r\n\r\n", id="204-cl"
        ),
        pytest.param("GET", b"HTTP/1.1 304 Not Modified\r\n\r\n", id="304"),
        pytest.param(
            "GET",
            b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
            id="304-chunked",
        ),
    ],
)
async def test_body_on_bodiless_response_is_not_served_as_next_response(
    backend, scripted_server, method, head, pool_is_clean, no_fd_leak
):
    server = scripted_server(first_then_genuine(head + SMUGGLED))
    await expect_second_request_genuine(backend, server, method, b"", pool_is_clean)


async def test_bodiless_response_without_stray_bytes_keeps_its_connection(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # The control for the test above: without stray bytes, reuse is right.
    server = scripted_server(first_then_genuine(b"HTTP/1.1 204 No Content\r\n\r\n"))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        assert (await pool.request("GET", server.url + "/")).status == 204
        second = await pool.request("GET", server.url + "/")
        assert second.content == b"genuine"
        assert server.accepted == 1
        pool_is_clean(pool)


# --- The connection dies in the body ------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", id="length"),
        pytest.param(CHUNKED + b"a\r\nabc", id="chunked"),
    ],
)
async def test_close_mid_body_while_streaming_is_remote_protocol_error(
    backend, scripted_server, head, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(head))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        async with pool.stream("GET", server.url + "/") as response:
            assert response.status == 200
            with pytest.raises(
                httpcore.RemoteProtocolError, match="without sending complete"
            ):
                await response.read()
        pool_is_clean(pool)
        assert pool.connections == []


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", id="length"),
        pytest.param(CHUNKED + b"a\r\nabc", id="chunked"),
        pytest.param(b"HTTP/1.0 200 OK\r\n\r\nabc", id="until-close"),
    ],
)
async def test_reset_mid_body_is_read_error(
    backend, scripted_server, head, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(head, then="reset"))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        with pytest.raises(httpcore.ReadError, match="reset") as info:
            await pool.request("GET", server.url + "/")
        assert info.value.request.method == "GET"
        pool_is_clean(pool)
        assert pool.connections == []


async def test_silence_mid_body_is_read_timeout(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
    server = scripted_server(reply(head, then="hold"))
    timeout = httpcore.Timeout(10.0, read=0.2)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=timeout) as pool:
        async with pool.stream("GET", server.url + "/") as response:
            with pytest.raises(httpcore.ReadTimeout):
                await response.read()
        pool_is_clean(pool)
        assert pool.connections == []


async def test_close_delimited_body_ends_at_close(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # An HTTP/1.0 response without Content-Length: the body runs to EOF.
    server = scripted_server(reply(b"HTTP/1.0 200 OK\r\n\r\nall of it"))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.content == b"all of it"
        pool_is_clean(pool)
        assert pool.connections == []


# --- Bytes on an idle connection ----------------------------------------------


async def test_unsolicited_bytes_on_idle_connection_are_not_the_next_response(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # A server that sends something while the connection is idle (a 408
    # before it closes, say): the pool must not take that as the answer to
    # the next request, even if the event loop has not read them yet.
    idle, sent = threading.Event(), threading.Event()
    connections = []

    def handler(conn):
        connections.append(conn)
        if len(connections) == 1:
            conn.read_request()
            conn.send(GENUINE)
            assert idle.wait(10.0)  # the client has read the response
            conn.send(SMUGGLED)
            sent.set()
        for _ in range(2):
            if not conn.read_request():
                return
            conn.send(GENUINE)

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        assert (await pool.request("GET", server.url + "/")).content == b"genuine"
        idle.set()
        assert sent.wait(10.0)
        second = await pool.request("GET", server.url + "/")
        assert second.content == b"genuine"
        assert server.accepted == 2
        pool_is_clean(pool)
