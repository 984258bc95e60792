"""Upgrade (101), CONNECT, and `Expect: 100-continue`, on every backend."""

from __future__ import annotations

import socket
import ssl
import typing

import pytest

import httpcore
from tests.concurrency import wait_until
from tests.servers import h2peer
from tests.servers.scripted import ScriptedConnection

UPGRADE = [(b"Upgrade", b"echo"), (b"Connection", b"Upgrade")]
SWITCHING = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
)


def read_head(conn: ScriptedConnection) -> bytes:
    """Read up to the end of a request's head, and not a byte of its body."""
    head = b""
    while b"\r\n\r\n" not in head:
        byte = conn.sock.recv(1)
        if not byte:
            break
        head += byte
    return head


def echo(conn: ScriptedConnection) -> None:
    """Echo raw bytes until the client closes."""
    while True:
        try:
            data = conn.sock.recv(65536)
        except OSError:
            return
        if not data:
            return
        conn.send(data)


def switch_then_echo(answer: bytes) -> typing.Callable[[ScriptedConnection], None]:
    def handler(conn: ScriptedConnection) -> None:
        read_head(conn)
        # The head and the first bytes of the new protocol in one packet.
        conn.send(answer + b"early")
        echo(conn)

    return handler


async def read_exactly(stream: typing.Any, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = await stream.read(n - len(data), 5.0)
        assert chunk, "closed early"
        data += chunk
    return data


async def test_upgrade_hands_over_the_raw_stream(backend, scripted_server, no_fd_leak):
    server = scripted_server(switch_then_echo(SWITCHING))
    limits = httpcore.PoolLimits(max_connections=1)
    async with httpcore.AsyncConnectionPool(
        backend=backend, pool_limits=limits
    ) as pool:
        async with pool.stream("GET", server.url + "/", headers=UPGRADE) as response:
            assert response.status == 101
            assert response.headers["upgrade"] == "echo"
            stream = response.extensions["network_stream"]
            # The bytes that came with the head come first.
            assert await stream.read(3) == b"ear"
            assert stream.get_extra_info("is_readable") is True
            assert await stream.read(1000) == b"ly"
            await stream.write(b"ping")
            assert await read_exactly(stream, 4) == b"ping"
            # The connection left the pool: its slot serves other requests.
            assert pool.connections == []
            other = scripted_server(switch_then_echo(SWITCHING))
            async with pool.stream("GET", other.url + "/", headers=UPGRADE) as second:
                assert second.status == 101
        # Closing the response closed the stream.
        with pytest.raises(httpcore.NetworkError):
            await stream.write(b"more")
            await stream.read(10)
            await stream.write(b"more")


async def test_connect_hands_over_the_tunnel(backend, scripted_server, no_fd_leak):
    server = scripted_server(
        switch_then_echo(b"HTTP/1.1 200 Connection established\r\n\r\n")
    )
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        async with pool.stream(
            "CONNECT",
            server.url + "/",
            extensions={"target": b"example.org:443"},
        ) as response:
            assert response.status == 200
            assert response.reason_phrase == "Connection established"
            tunnel = response.extensions["network_stream"]
            assert await read_exactly(tunnel, 5) == b"early"
            await tunnel.write(b"through the tunnel")
            assert await read_exactly(tunnel, 18) == b"through the tunnel"
            assert pool.connections == []


async def test_refused_connect_is_an_ordinary_response(backend, scripted_server):
    def handler(conn: ScriptedConnection) -> None:
        for _ in range(2):
            assert conn.read_request().startswith(b"CONNECT example.org:443 ")
            conn.send(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b"Content-Length: 2\r\n\r\nno"
            )

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        for _ in range(2):  # and the connection is reused
            response = await pool.request(
                "CONNECT", server.url + "/", extensions={"target": b"example.org:443"}
            )
            assert response.status == 407 and response.content == b"no"
        assert server.accepted == 1


def test_sync_pool_exposes_a_blocking_stream(scripted_server, no_fd_leak):
    server = scripted_server(switch_then_echo(SWITCHING))
    with httpcore.ConnectionPool() as pool:
        with pool.stream("GET", server.url + "/", headers=UPGRADE) as response:
            stream = response.extensions["network_stream"]
            assert stream.read(5) == b"early"
            stream.write(b"sync", timeout=5.0)
            assert stream.read(4, timeout=5.0) == b"sync"
            assert stream.get_extra_info("socket").family == socket.AF_INET
            with stream:
                pass  # closes it
        assert pool.connections == []


async def test_declined_upgrade_keeps_http(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request("GET", server.url + "/", headers=UPGRADE)
        assert response.status == 200 and response.content == b"Hello, world!"
        assert pool.pool_info()["idle"] == 1


# --- Expect: 100-continue --------------------------------------------------------

EXPECT = [(b"Expect", b"100-continue")]


def read_body(conn: ScriptedConnection, length: int) -> bytes:
    data = b""
    while len(data) < length:
        chunk = conn.sock.recv(length - len(data))
        if not chunk:
            break
        data += chunk
    return data


async def test_expect_continue_waits_for_100(backend, scripted_server):
    seen: list[bytes] = []

    def handler(conn: ScriptedConnection) -> None:
        seen.append(read_head(conn))
        conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = read_body(conn, 5)
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + body)

    server = scripted_server(handler)
    events: list[str] = []

    async def atrace(name: str, info: dict[str, typing.Any]) -> None:
        events.append(name)

    def trace(name: str, info: dict[str, typing.Any]) -> None:
        events.append(name)

    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request(
            "POST",
            server.url + "/",
            headers=EXPECT,
            content=b"hello",
            extensions={
                "trace": trace if backend == "sync" else atrace,
                "expect_100_timeout": 5.0,
            },
        )
        assert response.status == 200 and response.content == b"hello"
        assert pool.pool_info()["idle"] == 1
    assert b"expect: 100-continue" in seen[0].lower()
    assert events.index("http11.receive_informational_response") < events.index(
        "http11.send_request_body.started"
    )


@pytest.mark.parametrize("status", [417, 401])
async def test_final_response_instead_of_100_skips_the_body(
    backend, scripted_server, status, no_fd_leak
):
    after_head: list[bytes] = []

    def handler(conn: ScriptedConnection) -> None:
        read_head(conn)
        conn.send(f"HTTP/1.1 {status} No\r\nContent-Length: 2\r\n\r\nno".encode())
        rest = b""
        conn.sock.settimeout(5.0)
        try:
            while chunk := conn.sock.recv(65536):
                rest += chunk
        except ConnectionResetError:
            pass  # closed by an abort
        after_head.append(rest)

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request(
            "PUT",
            server.url + "/",
            headers=EXPECT,
            content=iter([b"a" * 1000] * 10),
            extensions={"expect_100_timeout": 5.0},
        )
        assert response.status == status and response.content == b"no"
        # The request was never completed: the connection cannot be reused.
        assert pool.connections == []
    await wait_until(backend, lambda: after_head)
    assert after_head == [b""]


async def test_no_answer_to_expect_sends_the_body_after_a_while(
    backend, scripted_server
):
    def handler(conn: ScriptedConnection) -> None:
        read_head(conn)
        body = read_body(conn, 5)  # arrives once the client stops waiting
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + body)

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request(
            "POST",
            server.url + "/",
            headers=EXPECT,
            content=b"hello",
            extensions={"expect_100_timeout": 0.05},
        )
        assert response.content == b"hello"
        # A read timeout shorter than expect_100_timeout bounds the wait too.
        response = await pool.request(
            "POST",
            server.url + "/",
            headers=EXPECT,
            content=b"hello",
            extensions={"timeout": {"read": 0.05}},
        )
        assert response.content == b"hello"


async def test_http2_expect_continue(backend, scripted_server):
    def script(peer: h2peer.H2Peer) -> None:
        peer.wait(lambda: 1 in peer.requests)
        assert peer.requests[1].body == b""  # nothing before the 100
        peer.send_headers(1, 100)
        [stream_id] = peer.wait_for_requests(1)
        peer.respond(stream_id, body=bytes(peer.requests[stream_id].body))
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with httpcore.AsyncConnectionPool(
        backend=backend, http1=False, http2=True
    ) as pool:
        response = await pool.request(
            "POST",
            server.url + "/",
            headers=EXPECT,
            content=b"hello",
            extensions={"expect_100_timeout": 5.0},
        )
        assert response.content == b"hello"


async def test_http2_final_response_instead_of_100(backend, scripted_server):
    bodies: list[bytes] = []

    def script(peer: h2peer.H2Peer) -> None:
        peer.wait(lambda: 1 in peer.requests)
        peer.respond(1, 417, body=b"no")
        peer.wait(lambda: peer.requests[1].reset is not None)
        bodies.append(bytes(peer.requests[1].body))
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with httpcore.AsyncConnectionPool(
        backend=backend, http1=False, http2=True
    ) as pool:
        response = await pool.request(
            "POST",
            server.url + "/",
            headers=EXPECT,
            content=b"hello",
            extensions={"expect_100_timeout": 5.0},
        )
        assert response.status == 417 and response.content == b"no"
        await wait_until(backend, lambda: bodies)
    assert bodies == [b""]


# --- TLS through a CONNECT tunnel -------------------------------------------------


def tunnel_then_tls(conn: ScriptedConnection) -> None:
    """Answer CONNECT, then be a TLS server inside the tunnel (TLS in TLS too)."""
    from tests.servers import tls

    read_head(conn)
    conn.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    inner = tls.server_ssl_context().wrap_bio(incoming, outgoing, server_side=True)

    def pump(step: typing.Callable[[], typing.Any]) -> typing.Any:
        while True:
            try:
                result = step()
            except ssl.SSLWantReadError:
                if outgoing.pending:
                    conn.send(outgoing.read())
                data = conn.sock.recv(65536)
                if not data:
                    raise ConnectionError("client closed") from None
                incoming.write(data)
                continue
            if outgoing.pending:
                conn.send(outgoing.read())
            return result

    pump(inner.do_handshake)
    request = b""
    while b"\r\n\r\n" not in request:
        request += pump(lambda: inner.read(65536))
    assert request.startswith(b"GET /inside HTTP/1.1\r\n")
    pump(lambda: inner.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ninside"))
    if b"close" in request:
        return  # no close_notify: the connection just ends
    try:
        pump(lambda: inner.read(65536))  # until the client closes
    except (ConnectionError, OSError, ssl.SSLError):
        pass


@pytest.mark.parametrize("proxy_tls", [False, True], ids=["tcp", "tls-in-tls"])
async def test_tls_through_a_connect_tunnel(
    backend, scripted_server, ca_file, proxy_tls, no_fd_leak
):
    from httpcore._config import ssl_context_for

    server = scripted_server(tunnel_then_tls, tls=proxy_tls)
    async with httpcore.AsyncConnectionPool(backend=backend, verify=ca_file) as pool:
        async with pool.stream(
            "CONNECT", server.url + "/", extensions={"target": b"localhost:443"}
        ) as response:
            assert response.status == 200
            tunnel = response.extensions["network_stream"]
            inner = await tunnel.start_tls(ssl_context_for(ca_file), "localhost", 5.0)
            await inner.write(b"GET /inside HTTP/1.1\r\nHost: localhost\r\n\r\n")
            reply = b""
            while not reply.endswith(b"inside"):
                chunk = await inner.read(65536, 5.0)
                assert chunk
                reply += chunk
            assert reply.startswith(b"HTTP/1.1 200 OK")
            await inner.aclose()


@pytest.mark.parametrize("proxy_tls", [False, True], ids=["tcp", "tls-in-tls"])
async def test_tls_through_a_tunnel_ends_without_close_notify(
    backend, scripted_server, ca_file, proxy_tls
):
    from httpcore._config import ssl_context_for

    server = scripted_server(tunnel_then_tls, tls=proxy_tls)
    async with httpcore.AsyncConnectionPool(backend=backend, verify=ca_file) as pool:
        async with pool.stream(
            "CONNECT", server.url + "/", extensions={"target": b"localhost:443"}
        ) as response:
            tunnel = response.extensions["network_stream"]
            inner = await tunnel.start_tls(ssl_context_for(ca_file), "localhost", 5.0)
            assert inner.get_extra_info("server_addr")[1] == server.port
            await inner.write(
                b"GET /inside HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            )
            reply = b""
            while chunk := await inner.read(65536, 5.0):
                reply += chunk
            assert reply.endswith(b"inside")
            await inner.aclose()


@pytest.mark.parametrize("proxy_tls", [False, True], ids=["tcp", "tls-in-tls"])
async def test_tls_through_a_tunnel_checks_the_certificate(
    backend, scripted_server, unknown_ca_file, proxy_tls, ca_file, no_fd_leak
):
    from httpcore._config import ssl_context_for

    server = scripted_server(tunnel_then_tls, tls=proxy_tls)
    async with httpcore.AsyncConnectionPool(backend=backend, verify=ca_file) as pool:
        async with pool.stream(
            "CONNECT", server.url + "/", extensions={"target": b"localhost:443"}
        ) as response:
            tunnel = response.extensions["network_stream"]
            with pytest.raises(httpcore.ConnectError, match="CERTIFICATE_VERIFY"):
                await tunnel.start_tls(
                    ssl_context_for(unknown_ca_file), "localhost", 5.0
                )


def test_sync_tls_through_a_connect_tunnel(scripted_server, ca_file, no_fd_leak):
    from httpcore._config import ssl_context_for

    server = scripted_server(tunnel_then_tls, tls=True)
    with httpcore.ConnectionPool(verify=ca_file) as pool:
        with pool.stream(
            "CONNECT", server.url + "/", extensions={"target": b"localhost:443"}
        ) as response:
            tunnel = response.extensions["network_stream"]
            with tunnel.start_tls(ssl_context_for(ca_file), "localhost") as inner:
                assert inner.get_extra_info("ssl_object").version() is not None
                inner.write(b"GET /inside HTTP/1.1\r\nHost: localhost\r\n\r\n")
                reply = b""
                while not reply.endswith(b"inside"):
                    reply += inner.read(65536, timeout=5.0)


async def test_reading_an_upgraded_body_ends_at_once(backend, scripted_server):
    server = scripted_server(switch_then_echo(SWITCHING))
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        async with pool.stream("GET", server.url + "/", headers=UPGRADE) as response:
            stream = response.extensions["network_stream"]
            # Reading the (empty) body closes the response, and so the stream.
            assert await response.read() == b""
            with pytest.raises(httpcore.NetworkError):
                await stream.write(b"x")
                await stream.read(1)
                await stream.write(b"x")


async def test_tls_cannot_start_after_early_bytes(backend, scripted_server):
    server = scripted_server(switch_then_echo(SWITCHING))
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        async with pool.stream("GET", server.url + "/", headers=UPGRADE) as response:
            stream = response.extensions["network_stream"]
            with pytest.raises(httpcore.ConnectError, match="before the TLS"):
                await stream.start_tls(ssl.create_default_context(), "localhost")
