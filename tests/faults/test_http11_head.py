"""
HTTP/1.1 response heads that are broken, truncated, too large, or odd but
legal. A broken one ends in `RemoteProtocolError` with a message that says
what was wrong, and its connection is closed, never pooled; an odd but legal
one (RFC 9112) is parsed as the RFC says.
"""

from __future__ import annotations

import pytest

import httpcore
from httpcore._dispatch.http11 import (
    MAX_HEADER_BYTES,
    MAX_INFORMATIONAL_RESPONSES,
    MAX_RESPONSE_HEADERS,
    READ_SIZE,
)
from tests.faults.conftest import GENUINE, first_then_genuine, reply

TAIL = b"Content-Length: 2\r\n\r\nok"


async def expect_remote_protocol_error(backend, server, match, pool_is_clean):
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match=match) as info:
            await pool.request("GET", server.url + "/")
        assert info.value.request.method == "GET"
        pool_is_clean(pool)
        assert pool.connections == []


# --- The status line ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status_line", "match"),
    [
        pytest.param(b"HTTX/1.1 200 OK", "illegal status line", id="bad-protocol"),
        pytest.param(b"http/1.1 200 OK", "illegal status line", id="lowercase-http"),
        pytest.param(b"HTTP/1 200 OK", "illegal status line", id="no-minor-version"),
        pytest.param(b"HTTP/1.1 2x0 OK", "illegal status line", id="non-digit-code"),
        pytest.param(b"HTTP/1.1 2000 OK", "illegal status line", id="4-digit-code"),
        pytest.param(b"HTTP/1.1 099 X", "status_code", id="code-below-100"),
        pytest.param(b"HTTP/2.0 200 OK", r"HTTP/2\.0, not HTTP/1\.x", id="http2"),
        pytest.param(b"HTTP/0.9 200 OK", r"HTTP/0\.9, not HTTP/1\.x", id="http09"),
        pytest.param(b"garbage", "illegal status line", id="garbage"),
    ],
)
async def test_malformed_status_line_is_remote_protocol_error(
    backend, scripted_server, status_line, match, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(status_line + b"\r\n" + TAIL))
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


@pytest.mark.parametrize(
    ("status_line", "reason"),
    [
        # RFC 9112 4: the reason phrase may be empty; h11 also forgives the
        # missing space before it, as most clients do.
        pytest.param(b"HTTP/1.1 200 ", b"", id="empty-reason"),
        pytest.param(b"HTTP/1.1 200", b"", id="no-reason-no-space"),
        # RFC 9110 2.5: a higher minor version is read as HTTP/1.1.
        pytest.param(b"HTTP/1.2 200 OK", b"OK", id="http-1.2"),
    ],
)
async def test_lenient_status_line_is_parsed(
    backend, scripted_server, status_line, reason, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(status_line + b"\r\n" + TAIL))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.status == 200
        assert response.extensions["reason_phrase"] == reason
        assert response.content == b"ok"
        pool_is_clean(pool)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        pytest.param(b"", "without sending a response", id="eof-before-status"),
        pytest.param(b"HTTP/1.1 20", "middle of the response head", id="eof-in-status"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Le",
            "middle of the response head",
            id="eof-in-headers",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
            "middle of the response head",
            id="eof-before-blank-line",
        ),
    ],
)
async def test_eof_in_head_is_remote_protocol_error(
    backend, scripted_server, data, match, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(data))
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


# --- Size and count limits ----------------------------------------------------


async def test_oversized_head_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # h11 checks the size between reads: beyond MAX_HEADER_BYTES + READ_SIZE,
    # the head is refused however the reads split it.
    big = b"X-Big: " + b"a" * (MAX_HEADER_BYTES + READ_SIZE) + b"\r\n"
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\n" + big + TAIL))
    match = (
        f"response head larger than the limit of MAX_HEADER_BYTES={MAX_HEADER_BYTES}"
    )
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_too_many_header_fields_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # Small fields: far below the byte limit, so only the count can refuse them.
    fields = b"X: a\r\n" * MAX_RESPONSE_HEADERS  # + Content-Length: one too many
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\n" + fields + TAIL))
    match = "101 header fields, more than the limit of MAX_RESPONSE_HEADERS=100"
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_header_fields_up_to_the_limit_are_accepted(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    fields = b"X: a\r\n" * (MAX_RESPONSE_HEADERS - 1)
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\n" + fields + TAIL))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request("GET", server.url + "/")
        assert len(response.headers.raw) == MAX_RESPONSE_HEADERS
        assert response.content == b"ok"
        pool_is_clean(pool)


# --- Header lines -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "match"),
    [
        pytest.param(b"Bogus", "illegal header line", id="no-colon"),
        pytest.param(b"X: a\rb", "illegal header line", id="bare-cr-in-value"),
        pytest.param(b"X: a\x00b", "illegal header line", id="nul-in-value"),
        pytest.param(b"X : a", "illegal header line", id="space-before-colon"),
        pytest.param(b": a", "illegal header line", id="empty-name"),
        pytest.param(b"X Y: a", "illegal header line", id="space-in-name"),
    ],
)
async def test_malformed_header_line_is_remote_protocol_error(
    backend, scripted_server, line, match, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\n" + line + b"\r\n" + TAIL))
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_bare_cr_ending_the_status_line_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(b"HTTP/1.1 200 OK\rX: a\r\n" + TAIL))
    match = "illegal status line"
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_obs_fold_is_unfolded_into_one_value(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # RFC 9112 5.2: a user agent replaces each obs-fold with SP. The framing
    # is not in doubt, so the connection is reused.
    head = b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n \tb\r\n" + TAIL
    server = scripted_server(first_then_genuine(head))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.headers.raw[0] == (b"X-Folded", b"a b")
        assert response.content == b"ok"
        second = await pool.request("GET", server.url + "/")
        assert second.content == b"genuine"
        assert server.accepted == 1
        pool_is_clean(pool)


async def test_obs_fold_before_any_field_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\n  folded\r\n" + TAIL))
    match = "continuation line at start of headers"
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_bare_lf_line_endings_are_accepted(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # RFC 9112 2.2: a recipient MAY take a lone LF as a line terminator.
    server = scripted_server(reply(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.content == b"ok"
        pool_is_clean(pool)


# --- Informational responses --------------------------------------------------


async def test_informational_responses_before_the_final_one_are_skipped(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    informational = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 102 Processing\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    )
    server = scripted_server(
        first_then_genuine(informational + b"HTTP/1.1 200 OK\r\n" + TAIL)
    )
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.status == 200
        assert response.content == b"ok"
        # Nothing of the 1xx heads is left over to spoil the next response.
        second = await pool.request("GET", server.url + "/")
        assert second.content == b"genuine"
        assert server.accepted == 1
        pool_is_clean(pool)


async def test_informational_flood_is_bounded(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    flood = b"HTTP/1.1 103 Early Hints\r\n\r\n" * (MAX_INFORMATIONAL_RESPONSES + 1)
    server = scripted_server(reply(flood + b"HTTP/1.1 200 OK\r\n" + TAIL))
    match = f"MAX_INFORMATIONAL_RESPONSES={MAX_INFORMATIONAL_RESPONSES}"
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


async def test_informational_responses_up_to_the_limit_are_accepted(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    hints = b"HTTP/1.1 103 Early Hints\r\n\r\n" * MAX_INFORMATIONAL_RESPONSES
    server = scripted_server(reply(hints + b"HTTP/1.1 200 OK\r\n" + TAIL))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.content == b"ok"
        pool_is_clean(pool)


async def test_unrequested_switching_protocols_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    switch = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"
    )
    server = scripted_server(reply(switch + b"raw bytes of another protocol"))
    match = r"switched protocols \(101\) though the request did not ask to upgrade"
    await expect_remote_protocol_error(backend, server, match, pool_is_clean)


# --- A malformed answer on a reused connection is not "stale" -----------------


async def test_malformed_answer_on_reused_connection_is_not_retried(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # The server took the second request and answered it badly: sending it
    # again as if the connection had been stale would repeat it.
    requests = []

    def handler(conn):
        requests.append(conn.read_request())
        conn.send(GENUINE)
        requests.append(conn.read_request())
        conn.send(b"HTTP/1.1 2x0 Broken\r\n\r\n")
        conn.close()

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        assert (await pool.request("GET", server.url + "/")).content == b"genuine"
        with pytest.raises(httpcore.RemoteProtocolError, match="illegal status line"):
            await pool.request("GET", server.url + "/")
        assert server.accepted == 1
        assert len(requests) == 2
        pool_is_clean(pool)
        assert pool.connections == []
