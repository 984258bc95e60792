"""
HTTP/1.1 connections that die, stall or go stale: resets, silence, a server
that closes at once, keep-alive connections closed while idle or just after
a request went out, and a response that comes before the request body was
sent. The server's own count of connections proves which one served what.
"""

from __future__ import annotations

import pytest

import httpcore
from tests.faults.conftest import GENUINE, reply

BIG_BODY = b"x" * (16 * 1024 * 1024)  # more than loopback socket buffers hold
TOO_LARGE = (
    b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\n"
    b"Connection: close\r\n\r\ntoo big!"
)


# --- Resets, silence, instant close -------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="before-any-byte"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Le", id="mid-head"),
    ],
)
async def test_reset_before_the_head_ends_is_read_error(
    backend, scripted_server, data, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(data, then="reset"))
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        with pytest.raises(httpcore.ReadError, match="reset") as info:
            await pool.request("GET", server.url + "/")
        assert info.value.request.method == "GET"
        pool_is_clean(pool)
        assert pool.connections == []


async def test_server_that_never_answers_is_read_timeout(
    backend, silent_server, pool_is_clean, no_fd_leak
):
    timeout = httpcore.Timeout(10.0, read=0.2)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=timeout) as pool:
        with pytest.raises(httpcore.ReadTimeout) as info:
            await pool.request("GET", silent_server.url + "/")
        assert info.value.request.method == "GET"
        pool_is_clean(pool)
        assert pool.connections == []


async def test_server_that_closes_at_once_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    def handler(conn):
        conn.shutdown_write()  # FIN at once, before reading anything
        conn.wait_for_close()

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        with pytest.raises(
            httpcore.RemoteProtocolError, match="closed the connection without sending"
        ):
            await pool.request("GET", server.url + "/")
        pool_is_clean(pool)
        assert pool.connections == []
        assert server.accepted == 1  # a fresh connection is not retried


# --- Keep-alive connections that go stale -------------------------------------


async def test_idle_connection_closed_by_server_is_not_used_again(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    seen = []

    def handler(conn):
        seen.append(conn.read_request())
        conn.send(GENUINE)  # keep-alive, as far as the client can tell
        conn.close()

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        assert (await pool.request("GET", server.url + "/")).content == b"genuine"
        assert server.join(timeout=10.0)  # the server has closed it by now
        assert (await pool.request("GET", server.url + "/")).content == b"genuine"
        assert server.accepted == 2
        assert len(seen) == 2  # no request was lost on the dead connection
        pool_is_clean(pool)


def stale_after_first(answer_later: bool):
    """Connection 1 answers a request, then reads the next and closes without
    answering. Later connections answer (or, not `answer_later`, close)."""
    requests = []

    def handler(conn):
        first = not requests
        requests.append(conn.read_request())
        if first or answer_later:
            conn.send(GENUINE)
        if first:
            requests.append(conn.read_request())
        conn.close()

    return handler, requests


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_idempotent_request_on_connection_closed_after_write_is_retried(
    backend, scripted_server, method, pool_is_clean, no_fd_leak
):
    handler, requests = stale_after_first(answer_later=True)
    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        await pool.request("GET", server.url + "/")
        response = await pool.request(method, server.url + "/")
        assert response.content == b"genuine"
        assert server.accepted == 2
        verb = method.encode()
        assert [r.split(b" ")[0] for r in requests] == [b"GET", verb, verb]
        pool_is_clean(pool)


async def test_stale_connection_retry_happens_once(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    handler, requests = stale_after_first(answer_later=False)
    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        await pool.request("GET", server.url + "/")
        with pytest.raises(
            httpcore.RemoteProtocolError, match="closed the connection without sending"
        ):
            await pool.request("GET", server.url + "/")
        assert server.accepted == 2
        assert len(requests) == 3
        pool_is_clean(pool)
        assert pool.connections == []


async def test_post_on_connection_closed_after_write_is_not_retried(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    handler, requests = stale_after_first(answer_later=True)
    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        await pool.request("GET", server.url + "/")
        with pytest.raises(
            httpcore.RemoteProtocolError, match="POST request is not idempotent"
        ) as info:
            await pool.request("POST", server.url + "/", content=b"once")
        assert "closed the connection without sending a response" in str(info.value)
        assert info.value.request.method == "POST"
        assert server.accepted == 1
        assert requests[1].endswith(b"\r\n\r\nonce")
        pool_is_clean(pool)
        assert pool.connections == []


# --- A response before the request body was sent ------------------------------


async def test_early_response_then_reset_is_returned(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # The server refuses after the head and closes with the body unread (so
    # the kernel resets): the upload fails, and the 413 it sent is returned.
    def handler(conn):
        conn.read_head()
        conn.send(TOO_LARGE)
        conn.reset()

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request("POST", server.url + "/", content=BIG_BODY)
        assert response.status == 413
        assert response.content == b"too big!"
        pool_is_clean(pool)
        assert pool.connections == []


async def test_early_response_then_half_close_is_returned(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # A careful server: it answers, half-closes and drains the body.
    def handler(conn):
        conn.read_head()
        conn.send(TOO_LARGE)
        conn.shutdown_write()
        conn.wait_for_close(timeout=10.0)

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=10.0) as pool:
        response = await pool.request(
            "POST", server.url + "/", content=iter([BIG_BODY[:65536]] * 256)
        )
        assert response.status == 413
        assert response.content == b"too big!"
        pool_is_clean(pool)
        assert pool.connections == []


async def test_early_response_to_a_stalled_upload_is_returned(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # The server answers after the head and stops reading, without closing:
    # the upload stalls until the write timeout, and then the 413 that is
    # waiting is returned rather than a WriteTimeout.
    def handler(conn):
        conn.read_head()
        conn.send(TOO_LARGE)
        conn.hold()

    server = scripted_server(handler)
    timeout = httpcore.Timeout(10.0, write=0.3)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=timeout) as pool:
        response = await pool.request("POST", server.url + "/", content=BIG_BODY)
        assert response.status == 413
        assert response.content == b"too big!"
        pool_is_clean(pool)
        assert pool.connections == []


async def test_stalled_upload_without_answer_is_write_timeout(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    def handler(conn):
        conn.read_head()
        conn.hold()

    server = scripted_server(handler)
    timeout = httpcore.Timeout(10.0, write=0.3)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=timeout) as pool:
        with pytest.raises(httpcore.WriteTimeout) as info:
            await pool.request("POST", server.url + "/", content=BIG_BODY)
        assert info.value.request.method == "POST"
        pool_is_clean(pool)
        assert pool.connections == []
