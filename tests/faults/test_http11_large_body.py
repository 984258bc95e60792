"""
Large bodies framed by Content-Length, read in full. On the sync backend such
a body is read straight into one buffer (`SyncStream.read_exactly`); on the
async backends it is read piece by piece. Either way the body is exact, the
connection is reused after it, and a body cut short, a silent server or the
total deadline end in the usual error with nothing left behind.
"""

from __future__ import annotations

import pytest

import httpcore
from httpcore._dispatch.http11 import WHOLE_BODY_MIN
from tests.faults.conftest import GENUINE

# Not a multiple of any read size, and every byte value, so a misplaced
# piece shows.
BODY = bytes(range(256)) * (WHOLE_BODY_MIN // 256 * 3) + b"the end"
HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY)


def in_pieces(conn, data: bytes, size: int = 100_000) -> None:
    for start in range(0, len(data), size):
        conn.send(data[start : start + size])


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
async def test_large_body_read_in_full_is_exact_and_keeps_its_connection(
    backend, scripted_server, ca_file, tls, pool_is_clean, no_fd_leak
):
    def handler(conn):
        conn.read_request()
        in_pieces(conn, HEAD + BODY)
        if conn.read_request():  # bounded: the test sends two requests
            conn.send(GENUINE)

    server = scripted_server(handler, tls=tls)
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=ca_file, http2=False, timeout=10.0
    ) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.content == BODY
        second = await pool.request("GET", server.url + "/")
        assert second.content == b"genuine"
        assert server.accepted == 1
        pool_is_clean(pool)


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
async def test_large_body_cut_short_is_remote_protocol_error(
    backend, scripted_server, ca_file, tls, pool_is_clean, no_fd_leak
):
    sent = WHOLE_BODY_MIN + 1000

    def handler(conn):
        conn.read_request()
        in_pieces(conn, HEAD + BODY[:sent])
        conn.close()

    server = scripted_server(handler, tls=tls)
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=ca_file, http2=False, timeout=10.0
    ) as pool:
        match = f"received {sent} bytes, expected {len(BODY)}"
        with pytest.raises(httpcore.RemoteProtocolError, match=match) as info:
            await pool.request("GET", server.url + "/")
        assert info.value.request.method == "GET"
        pool_is_clean(pool)
        assert pool.connections == []


async def test_large_body_silence_is_read_timeout(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    def handler(conn):
        conn.read_request()
        in_pieces(conn, HEAD + BODY[: WHOLE_BODY_MIN // 2])
        conn.wait_for_close(timeout=10.0)

    server = scripted_server(handler)
    timeout = httpcore.Timeout(10.0, read=0.3)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=timeout) as pool:
        with pytest.raises(httpcore.ReadTimeout, match=r"Timed out after 0\.3 seconds"):
            await pool.request("GET", server.url + "/")
        pool_is_clean(pool)
        assert pool.connections == []


async def test_large_body_trickling_in_is_bounded_by_the_total_deadline(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    # Each read gets a byte well within the read timeout: only the total
    # deadline can end this (the server would take hours to send it all).
    def handler(conn):
        conn.read_request()
        conn.send(HEAD + BODY[:1000])
        conn.sendall_slowly(BODY[1000:], delay=0.02, chunk_size=100)

    server = scripted_server(handler)
    timeout = httpcore.Timeout(10.0, total=0.6)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=timeout) as pool:
        with pytest.raises(httpcore.ReadTimeout, match=r"the total timeout of 0\.6 s"):
            await pool.request("GET", server.url + "/")
        pool_is_clean(pool)
        assert pool.connections == []
