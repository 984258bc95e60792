"""
`Timeout(total=...)`: one deadline for a whole request, against servers that
keep each wait short but never finish (the dribbling server), across
redirects, retries and their waits, for the client and the pool alone, over
HTTP/1.1 and HTTP/2, on every backend.
"""

from __future__ import annotations

import re
import threading
import time

import h2.exceptions
import pytest

import httpcore
from tests.servers import h2peer

# Each wait alone is well within `read`; only the total can end the request.
DRIBBLE = httpcore.Timeout(5.0, read=1.0, total=0.5)
MESSAGE = re.escape("the total timeout of 0.5 s was exceeded")
STEP = 0.1  # seconds between the bytes a dribbling server sends
MAX_STEPS = 100  # bounds every dribble (10 s), were the client not to stop it


def dribble(conn, data: bytes) -> None:
    """Send `data` a byte every STEP seconds, until the client hangs up."""
    try:
        conn.sendall_slowly(data, STEP)
    except OSError:
        pass  # the client gave up: what the test wants


def dribbling_body(conn) -> None:
    conn.read_request()
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
    dribble(conn, b"x" * MAX_STEPS)


def dribbling_head(conn) -> None:
    conn.read_request()
    dribble(conn, b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"x" * MAX_STEPS)


def assert_settled(pool) -> None:
    info = pool.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0, info


async def test_a_dribbling_body_ends_at_the_total_timeout(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(dribbling_body)
    async with httpcore.AsyncClient(backend=backend, timeout=DRIBBLE) as client:
        with pytest.raises(httpcore.ReadTimeout, match=MESSAGE):
            await client.get(server.url + "/")
        assert_settled(client._dispatch)
        assert client._dispatch.connections == []


async def test_a_streamed_body_stays_under_the_total_timeout(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(dribbling_body)
    async with httpcore.AsyncClient(backend=backend, timeout=DRIBBLE) as client:
        response = await client.get(server.url + "/", stream=True)
        assert response.status_code == 200
        with pytest.raises(httpcore.ReadTimeout, match=MESSAGE):
            await response.read()
        assert_settled(client._dispatch)
        assert client._dispatch.connections == []


async def test_a_dribbling_head_ends_at_the_total_timeout_of_a_pool(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(dribbling_head)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.ReadTimeout, match=MESSAGE) as info:
            await pool.request("GET", server.url + "/", timeout=DRIBBLE)
        assert info.value.request.url == server.url + "/"
        assert_settled(pool)
        assert pool.connections == []


async def test_a_body_read_after_a_pool_send_stays_under_its_total_timeout(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(dribbling_body)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        request = httpcore.Request("GET", server.url + "/")
        response = await pool.send(request, timeout=DRIBBLE)
        with pytest.raises(httpcore.ReadTimeout, match=MESSAGE):
            await response.read()
        assert_settled(pool)
        assert pool.connections == []


async def test_a_dribbling_http2_body_ends_at_the_total_timeout(
    backend, scripted_server, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_headers(stream_id, 200, [(b"content-length", b"100")])
        try:
            for _ in range(MAX_STEPS):
                if peer.closed or peer.requests[stream_id].reset is not None:
                    return
                peer.send_data(stream_id, b"x")
                until = time.monotonic() + STEP
                while not peer.closed and (left := until - time.monotonic()) > 0:
                    peer.receive(left)
        except (OSError, h2.exceptions.StreamClosedError):
            pass  # the client gave up

    server = scripted_server(h2peer.serve(script))
    async with httpcore.AsyncConnectionPool(
        backend=backend, http1=False, http2=True
    ) as pool:
        response = await pool.send(
            httpcore.Request("GET", server.url + "/"), timeout=DRIBBLE
        )
        assert response.protocol == "HTTP/2"
        with pytest.raises(httpcore.ReadTimeout, match=MESSAGE):
            await response.read()
        assert_settled(pool)


async def test_the_total_timeout_spans_redirects(backend, scripted_server, no_fd_leak):
    hops: list[bytes] = []
    lock = threading.Lock()

    def handler(conn) -> None:
        # Each hop answers within 0.2 s, far within `read`; their sum does not
        # fit in the total.
        while raw := conn.read_request():
            with lock:
                hops.append(raw)
                n = len(hops)
            time.sleep(0.2)
            conn.send(
                f"HTTP/1.1 302 Found\r\nLocation: /{n}\r\n"
                "Content-Length: 0\r\n\r\n".encode()
            )

    server = scripted_server(handler)
    timeout = httpcore.Timeout(5.0, read=1.0, total=1.0)
    async with httpcore.AsyncClient(
        backend=backend, timeout=timeout, max_redirects=50
    ) as client:
        # Most likely a ReadTimeout; a PoolTimeout if the deadline falls
        # between two hops.
        with pytest.raises(
            httpcore.TimeoutException, match=re.escape("total timeout of 1.0 s")
        ):
            await client.get(server.url + "/")
        assert_settled(client._dispatch)
    with lock:
        assert 2 <= len(hops) < 20, hops


async def test_the_total_timeout_spans_retries_and_their_backoff(
    backend, scripted_server, no_fd_leak
):
    sent: list[bytes] = []

    def handler(conn) -> None:
        while raw := conn.read_request():
            sent.append(raw)
            conn.send(b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n")

    server = scripted_server(handler)
    # Waits of 0, 0.2, 0.4, 0.8... s: the total runs out long before 20 retries.
    retry = httpcore.Retry(20, backoff_factor=0.1)
    timeout = httpcore.Timeout(5.0, total=0.5)
    async with httpcore.AsyncClient(
        backend=backend, timeout=timeout, retries=retry
    ) as client:
        response = await client.get(server.url + "/")
        # The wait that would pass the deadline is not taken: the last 503
        # comes back.
        assert response.status_code == 503
        assert_settled(client._dispatch)
    assert 2 <= len(sent) <= 4, len(sent)


async def test_read_timeouts_retried_stop_at_the_total_timeout(
    backend, silent_server, no_fd_leak
):
    timeout = httpcore.Timeout(5.0, read=0.3, total=0.8)
    async with httpcore.AsyncClient(
        backend=backend, timeout=timeout, retries=10
    ) as client:
        with pytest.raises(
            httpcore.ReadTimeout, match=re.escape("total timeout of 0.8 s")
        ):
            await client.get(silent_server.url + "/")
        assert_settled(client._dispatch)
        assert client._dispatch.connections == []
    assert 2 <= silent_server.accepted <= 4


async def test_a_pool_wait_ends_at_the_total_timeout(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(dribbling_body)
    limits = httpcore.PoolLimits(max_connections=1)
    async with httpcore.AsyncConnectionPool(
        backend=backend, pool_limits=limits
    ) as pool:
        held = await pool.send(httpcore.Request("GET", server.url + "/"))
        try:
            with pytest.raises(
                httpcore.PoolTimeout, match=re.escape("total timeout of 0.3 s")
            ):
                await pool.request(
                    "GET", server.url + "/", timeout=httpcore.Timeout(5.0, total=0.3)
                )
        finally:
            await held.aclose()
        assert_settled(pool)


async def test_a_tls_handshake_ends_at_the_total_timeout(
    backend, silent_server, no_fd_leak
):
    url = silent_server.url.replace("http://", "https://")
    timeout = httpcore.Timeout(5.0, total=0.3)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(
            httpcore.ConnectTimeout, match=re.escape("total timeout of 0.3 s")
        ):
            await pool.request("GET", url + "/", timeout=timeout)
        assert_settled(pool)
        assert pool.connections == []


async def test_a_pools_connect_retry_does_not_wait_past_the_total_timeout(
    backend, closed_port, no_fd_leak
):
    # The pool's own connect retries wait 0.5 s first: past the deadline, so
    # the refusal itself is raised, not a timeout after a useless wait.
    timeout = httpcore.Timeout(5.0, total=0.3)
    async with httpcore.AsyncConnectionPool(backend=backend, retries=3) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request(
                "GET", f"http://127.0.0.1:{closed_port}/", timeout=timeout
            )
        assert_settled(pool)
        assert pool.connections == []
