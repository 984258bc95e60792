"""Backend features seen through the pool: sockets, options, flow control."""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest

import httpcore

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@pytest.fixture
def unix_server(tmp_path):
    """A one-connection-at-a-time HTTP server on a Unix socket."""
    path = str(tmp_path / "server.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)
    listener.settimeout(0.05)  # so the loop sees `stop` promptly
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5.0)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if data:
                    conn.sendall(OK)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path
    stop.set()
    thread.join(5.0)
    listener.close()
    os.unlink(path)


async def test_unix_domain_socket(backend, unix_server):
    async with httpcore.AsyncConnectionPool(backend=backend, uds=unix_server) as pool:
        response = await pool.request("GET", "http://localhost/")
        assert response.content == b"ok"


async def test_unix_domain_socket_missing(backend, tmp_path):
    missing = str(tmp_path / "missing.sock")
    async with httpcore.AsyncConnectionPool(backend=backend, uds=missing) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", "http://localhost/")


async def test_local_address_and_socket_options(backend, server):
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    async with httpcore.AsyncConnectionPool(
        backend=backend, local_address="127.0.0.1", socket_options=options
    ) as pool:
        async with pool.stream("GET", server.url + "/conn") as response:
            stream = response.extensions["network_stream"]
            sock = stream.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
            client_addr = stream.get_extra_info("client_addr")
            assert client_addr[0] == "127.0.0.1"
            assert stream.get_extra_info("server_addr")[1] == server.port
            assert stream.get_extra_info("ssl_object") is None
            assert stream.get_extra_info("no-such-info") is None
            body = json.loads(await response.read())
        assert body["client_port"] == client_addr[1]


async def test_bad_socket_option_is_a_connect_error(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(lambda conn: conn.wait_for_close())
    options = [(socket.SOL_SOCKET, 123456, 1)]
    async with httpcore.AsyncConnectionPool(
        backend=backend, socket_options=options
    ) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", server.url + "/")
        assert pool.connections == []


async def test_large_upload_waits_for_the_peer(backend, server):
    body = os.urandom(20 * 1024 * 1024)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=20.0) as pool:
        response = await pool.request("POST", server.url + "/echo_body", content=body)
        assert response.content == body


async def test_large_streamed_upload(backend, server):
    chunk = b"x" * 65536
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=20.0) as pool:
        response = await pool.request(
            "POST", server.url + "/echo_body", content=iter([chunk] * 160)
        )
        assert len(response.content) == 160 * 65536


async def test_early_response_while_uploading(backend, scripted_server, no_fd_leak):
    # The server refuses the upload as soon as it sees the head, then closes:
    # the client reports the server's answer, not its own failed write.
    def handler(conn):
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.sock.recv(65536)
        conn.send(
            b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\n"
            b"Connection: close\r\n\r\nbig!"
        )
        conn.reset()

    server = scripted_server(handler)
    body = iter([b"x" * 65536] * 800)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=5.0) as pool:
        try:
            response = await pool.request("POST", server.url + "/", content=body)
        except httpcore.ReadError:
            # The reset can overtake the 413 in the client's receive buffer;
            # then there is nothing to report but the error.
            pass
        else:
            assert response.status == 413
            assert response.content == b"big!"
        assert pool.connections == []


async def test_reset_mid_body_gives_read_error(backend, scripted_server, no_fd_leak):
    def handler(conn):
        conn.read_request()
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"a" * 10)
        conn.reset()

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=5.0) as pool:
        with pytest.raises((httpcore.ReadError, httpcore.RemoteProtocolError)):
            await pool.request("GET", server.url + "/")
        assert pool.connections == []


async def test_is_readable_reports_a_closed_idle_connection(backend, scripted_server):
    def handler(conn):
        conn.read_request()
        conn.send(OK)
        conn.close()

    server = scripted_server(handler)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        async with pool.stream("GET", server.url + "/") as response:
            stream = response.extensions["network_stream"]
            await response.read()
        server.join()
        await pool.backend.sleep(0.05)
        assert stream.get_extra_info("is_readable") is True


async def test_no_timeouts_at_all(backend, server):
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=None) as pool:
        async with pool.stream("GET", server.url + "/") as response:
            stream = response.extensions["network_stream"]
            await stream.write(b"")  # nothing to send: returns at once
            assert await response.read() == b"Hello, world!"


async def test_slow_name_lookup_is_a_connect_timeout(async_backend, monkeypatch):
    import time

    def slow_lookup(*args, **kwargs):
        time.sleep(0.5)
        raise socket.gaierror("too late anyway")

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    async with httpcore.AsyncConnectionPool(
        backend=async_backend, timeout=0.05
    ) as pool:
        with pytest.raises(httpcore.ConnectTimeout):
            await pool.request("GET", "http://slow.test/")


async def test_infinite_timeouts_mean_no_limit(backend, server):
    inf = float("inf")
    assert httpcore.Timeout(inf) == httpcore.Timeout(None)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=inf) as pool:
        response = await pool.request(
            "POST",
            server.url + "/echo_body",
            headers=[(b"Expect", b"100-continue")],
            content=b"hello",
            extensions={"timeout": {"read": inf}, "expect_100_timeout": inf},
        )
        assert response.content == b"hello"
        event = pool.backend.create_event()
        event.set()
        assert await event.wait(inf) is True
        async with pool.stream("GET", server.url + "/") as response:
            stream = response.extensions["network_stream"]
            await stream.write(b"", inf)
            assert await response.read() == b"Hello, world!"
