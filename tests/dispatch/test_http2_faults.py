"""
HTTP/2 faults, against a scripted h2 peer (`tests/servers/h2peer.py`): GOAWAY,
RST_STREAM, SETTINGS changes, a window that never opens, broken responses.
After each: no active connection left, the pool's stream counts agree with
h2's, and no socket open.
"""

from __future__ import annotations

import threading

import h2.events
import pytest
from h2.errors import ErrorCodes
from h2.settings import SettingCodes

import httpcore
from httpcore._dispatch import http2
from tests.dispatch.test_http2 import assert_settled, gather
from tests.servers import h2peer


def h2c_pool(backend: str, **kwargs) -> httpcore.AsyncConnectionPool:
    """Prior-knowledge HTTP/2 over plain TCP: what the peer speaks."""
    kwargs.setdefault("timeout", 5.0)
    return httpcore.AsyncConnectionPool(
        backend=backend, http1=False, http2=True, **kwargs
    )


async def finish(pool: httpcore.AsyncConnectionPool, server) -> None:
    """Let the peer's scripts end, and fail on any error they raised."""
    await pool.backend.sleep(0.01)  # asyncio closes sockets on the next turn
    assert server.join(5.0), "the peer's scripts did not finish"
    assert server.errors == []


def echo_path(request: h2peer.PeerRequest) -> bytes:
    return request.path


async def test_get_from_the_peer(backend, scripted_server, no_fd_leak):
    server = scripted_server(h2peer.serve(lambda peer: peer.serve_forever(echo_path)))
    async with h2c_pool(backend) as pool:
        response = await pool.request("GET", server.url + "/hello")
        assert response.protocol == "HTTP/2"
        assert response.content == b"/hello"
        assert_settled(pool)
    await finish(pool, server)


async def test_h2_over_tls_by_alpn(backend, scripted_server, ca_file, no_fd_leak):
    handler = h2peer.serve(lambda peer: peer.serve_forever(echo_path))
    server = scripted_server(handler, tls=True, alpn=["h2"])
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=ca_file, http2=True
    ) as pool:
        response = await pool.request("GET", server.url + "/tls")
        assert response.protocol == "HTTP/2"
        assert response.content == b"/tls"
    await finish(pool, server)


async def test_rst_stream_fails_only_its_stream(backend, scripted_server, no_fd_leak):
    def script(peer: h2peer.H2Peer) -> None:
        [first] = peer.wait_for_requests(1)
        peer.reset(first, ErrorCodes.INTERNAL_ERROR)
        second = peer.wait_for_requests(2)[1]
        peer.respond(second, body=b"ok")
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="INTERNAL_ERROR"):
            await pool.request("GET", server.url + "/first")
        assert_settled(pool)
        response = await pool.request("GET", server.url + "/second")
        assert response.content == b"ok"
        assert_settled(pool)
        assert len(pool.connections) == 1
    await finish(pool, server)
    assert server.accepted == 1


async def test_refused_stream_is_sent_again(backend, scripted_server, no_fd_leak):
    def script(peer: h2peer.H2Peer) -> None:
        [first] = peer.wait_for_requests(1)
        peer.reset(first, ErrorCodes.REFUSED_STREAM)
        second = peer.wait_for_requests(2)[1]
        peer.respond(second, body=peer.requests[second].path)
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        response = await pool.request("GET", server.url + "/again")
        assert response.content == b"/again"
        assert_settled(pool)
    await finish(pool, server)


async def test_goaway_retries_unprocessed_streams(backend, scripted_server, no_fd_leak):
    # Four requests on the first connection. The server answers the first,
    # starts the second, sends GOAWAY naming the second as the last it will
    # process, then finishes it: the second completes, the last two go out
    # again on a new connection.
    def script(peer: h2peer.H2Peer) -> None:
        if peer.index > 1:
            peer.serve_forever(lambda request: b"retried " + request.path)
            return
        first, second, *_ = peer.wait_for_requests(4)
        peer.respond(first, body=b"first " + peer.requests[first].path)
        peer.send_headers(second, 200)
        peer.goaway(last_stream_id=second)
        peer.send_data(second, b"second " + peer.requests[second].path, end=True)
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:

        async def get(i: int) -> bytes:
            return (await pool.request("GET", f"{server.url}/{i}")).content

        bodies = await gather(backend, [lambda i=i: get(i) for i in range(4)])
        kinds = sorted(body.split()[0] for body in bodies)
        assert kinds == [b"first", b"retried", b"retried", b"second"]
        assert sorted(body.split()[1] for body in bodies) == [
            b"/0",
            b"/1",
            b"/2",
            b"/3",
        ]
        assert len(pool.connections) == 1  # the first closed once drained
        assert_settled(pool)
    await finish(pool, server)
    assert server.accepted == 2


async def test_goaway_then_close_while_idle(backend, scripted_server, no_fd_leak):
    def script(peer: h2peer.H2Peer) -> None:
        if peer.index > 1:
            peer.serve_forever(echo_path)
            return
        [first] = peer.wait_for_requests(1)
        peer.respond(first, body=b"/first")
        peer.goaway(last_stream_id=first)

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        assert (await pool.request("GET", server.url + "/first")).content == b"/first"
        server.join(5.0)  # the first connection is closed by now
        response = await pool.request("GET", server.url + "/second")
        assert response.content == b"/second"
        assert_settled(pool)
    await finish(pool, server)
    assert server.accepted == 2


async def test_idle_connection_closed_without_goaway(
    backend, scripted_server, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        if peer.index > 1:
            peer.serve_forever(echo_path)
            return
        [first] = peer.wait_for_requests(1)
        peer.respond(first, body=b"/first")
        peer.conn.close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        await pool.request("GET", server.url + "/first")
        server.join(5.0)
        response = await pool.request("GET", server.url + "/second")
        assert response.content == b"/second"  # stale: sent again
    await finish(pool, server)


async def test_lowering_max_concurrent_streams_mid_flight(
    backend, scripted_server, no_fd_leak
):
    # Three requests on one connection; after the first arrives the server
    # allows one stream at a time. Once the client has acknowledged that, no
    # request may arrive while another is open (h2 would raise, and the
    # script fail): six more requests then go one at a time.
    seen_after_ack: list[int] = []

    def script(peer: h2peer.H2Peer) -> None:
        peer.wait_for_requests(1)
        peer.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: 1})
        acked = False
        while not peer.closed:
            for event in peer.receive(0.05):
                if isinstance(event, h2.events.SettingsAcknowledged):
                    acked = True
                elif acked and isinstance(event, h2.events.RequestReceived):
                    seen_after_ack.append(peer.h2.open_inbound_streams)
            for stream_id in peer.unanswered()[:1]:
                peer.respond(stream_id, body=peer.requests[stream_id].path)

    server = scripted_server(h2peer.serve(script))
    limits = httpcore.PoolLimits(max_connections=1)
    async with h2c_pool(backend, pool_limits=limits) as pool:

        async def get(i: int) -> bytes:
            return (await pool.request("GET", f"{server.url}/{i}")).content

        bodies = await gather(backend, [lambda i=i: get(i) for i in range(3)])
        assert bodies == [f"/{i}".encode() for i in range(3)]
        [connection] = pool.connections
        assert connection.stream_capacity == 1
        bodies = await gather(backend, [lambda i=i: get(i) for i in range(6)])
        assert bodies == [f"/{i}".encode() for i in range(6)]
        assert_settled(pool)
    await finish(pool, server)
    assert len(seen_after_ack) >= 6
    assert all(count <= 1 for count in seen_after_ack), seen_after_ack
    assert server.accepted == 1


async def test_max_concurrent_streams_zero_then_raised(
    backend, scripted_server, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        peer.receive(0.3)
        assert peer.requests == {}, "a stream opened while none were allowed"
        peer.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: 10})
        peer.serve_forever(echo_path)

    settings = {SettingCodes.MAX_CONCURRENT_STREAMS: 0}
    server = scripted_server(h2peer.serve(script, settings=settings))
    async with h2c_pool(backend) as pool:

        async def get(i: int) -> bytes:
            return (await pool.request("GET", f"{server.url}/{i}")).content

        bodies = await gather(backend, [lambda i=i: get(i) for i in range(3)])
        assert bodies == [b"/0", b"/1", b"/2"]
        assert_settled(pool)
    await finish(pool, server)
    assert server.accepted <= 3


@pytest.mark.parametrize("body", ["bytes", "iterator"])
async def test_window_that_never_opens_gives_write_timeout(
    backend, scripted_server, body, no_fd_leak
):
    resets: list[int | None] = []

    def script(peer: h2peer.H2Peer) -> None:
        peer.wait(lambda: any(r.reset is not None for r in peer.requests.values()))
        resets.extend(r.reset for r in peer.requests.values() if r.method == b"POST")
        [get] = peer.wait_for_requests(1)
        peer.respond(get, body=b"still here")
        peer.wait_for_close()

    settings = {SettingCodes.INITIAL_WINDOW_SIZE: 0}
    server = scripted_server(h2peer.serve(script, settings=settings))
    data = b"x" * 100_000
    content = data if body == "bytes" else iter([data])
    async with h2c_pool(backend, timeout=httpcore.Timeout(5.0, write=0.3)) as pool:
        with pytest.raises(httpcore.WriteTimeout):
            await pool.request("POST", server.url + "/upload", content=content)
        assert_settled(pool)
        response = await pool.request("GET", server.url + "/")
        assert response.content == b"still here"
        assert_settled(pool)
    await finish(pool, server)
    assert resets == [ErrorCodes.CANCEL]


@pytest.mark.parametrize(
    "header",
    [
        (b"X-Upper", b"1"),
        (b"connection", b"close"),
        (b"transfer-encoding", b"chunked"),
    ],
)
async def test_illegal_response_headers(backend, scripted_server, header, no_fd_leak):
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_headers(stream_id, 200, [header], end=True)
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script, validate=False))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError):
            await pool.request("GET", server.url + "/")
        assert_settled(pool)
        assert pool.connections == []
    await finish(pool, server)


async def test_connection_closed_mid_body(backend, scripted_server, no_fd_leak):
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_headers(stream_id, 200, [(b"content-length", b"100")])
        peer.send_data(stream_id, b"partial")
        peer.conn.close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        async with pool.stream("GET", server.url + "/") as response:
            assert response.status == 200
            with pytest.raises(httpcore.RemoteProtocolError, match="closed"):
                await response.read()
        assert_settled(pool)
        assert pool.connections == []
    await finish(pool, server)


async def test_connection_closed_before_any_response(
    backend, scripted_server, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        peer.wait_for_requests(1)
        peer.conn.close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError):
            await pool.request("GET", server.url + "/")
        assert pool.connections == []
    await finish(pool, server)
    assert server.accepted == 1  # a fresh connection is not retried


async def test_trailers_and_informational_responses_are_skipped(
    backend, scripted_server, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_headers(stream_id, 103, [(b"link", b"</style.css>")])
        peer.send_headers(stream_id, 200)
        peer.send_data(stream_id, b"body")
        peer.h2.send_headers(stream_id, [(b"x-checksum", b"abc")], end_stream=True)
        peer.flush()
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.status == 200
        assert response.content == b"body"
        assert "x-checksum" not in response.headers
        assert_settled(pool)
    await finish(pool, server)


async def test_server_ping_is_answered(backend, scripted_server, no_fd_leak):
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.ping()
        peer.wait(
            lambda: any(isinstance(e, h2.events.PingAckReceived) for e in peer.events)
        )
        peer.respond(stream_id, body=b"pong")
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.content == b"pong"
    await finish(pool, server)


async def test_upload_waits_for_window_updates(backend, scripted_server, no_fd_leak):
    # The server's windows are the 65,535-byte default: a 1 MB body needs
    # many WINDOW_UPDATEs, which the peer sends as it reads.
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1, timeout=10.0)
        peer.respond(stream_id, body=bytes(peer.requests[stream_id].body))
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    data = bytes(range(256)) * 4096
    async with h2c_pool(backend) as pool:
        response = await pool.request("PUT", server.url + "/", content=data)
        assert response.content == data
    await finish(pool, server)


async def test_response_dropped_unread_resets_its_stream(
    backend, scripted_server, no_fd_leak
):
    resets: list[int | None] = []
    done = threading.Event()

    def script(peer: h2peer.H2Peer) -> None:
        [first] = peer.wait_for_requests(1)
        peer.send_headers(first, 200)
        peer.send_data(first, b"x" * 1000)
        peer.wait(lambda: peer.requests[first].reset is not None)
        resets.append(peer.requests[first].reset)
        done.set()
        peer.serve_forever(echo_path)

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        response = await pool.send(httpcore.Request("GET", server.url + "/first"))
        await response.close()  # unread: the stream is reset at once
        assert done.wait(5.0)
        assert_settled(pool)
        response = await pool.request("GET", server.url + "/second")
        assert response.content == b"/second"
    await finish(pool, server)
    assert resets == [ErrorCodes.CANCEL]


async def test_connection_closed_before_the_server_settings(
    backend, scripted_server, no_fd_leak
):
    def handler(conn) -> None:
        conn.sock.recv(65536)  # the client's preface
        conn.close()

    server = scripted_server(handler)
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="closed"):
            await pool.request("GET", server.url + "/")
        assert pool.connections == []


async def test_idle_connection_reset_by_the_server(
    backend, scripted_server, no_fd_leak
):
    answered = threading.Event()

    def script(peer: h2peer.H2Peer) -> None:
        if peer.index > 1:
            peer.serve_forever(echo_path)
            return
        [first] = peer.wait_for_requests(1)
        peer.respond(first, body=b"/first")
        answered.wait(5.0)  # a reset could destroy the unread response
        peer.conn.reset()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        await pool.request("GET", server.url + "/first")
        answered.set()
        server.join(5.0)
        response = await pool.request("GET", server.url + "/second")
        assert response.content == b"/second"
    await finish(pool, server)


async def test_connection_reset_while_waiting_for_the_response(
    backend, scripted_server, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        peer.wait_for_requests(1)
        peer.conn.reset()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.ReadError):
            await pool.request("GET", server.url + "/")
        assert pool.connections == []
    await finish(pool, server)


async def test_stream_ids_running_out_moves_to_a_new_connection(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(h2peer.serve(lambda peer: peer.serve_forever(echo_path)))
    async with h2c_pool(backend) as pool:
        await pool.request("GET", server.url + "/first")
        [connection] = pool.connections
        connection._protocol._h2.highest_outbound_stream_id = 2**31 - 1
        response = await pool.request("GET", server.url + "/second")
        assert response.content == b"/second"
        assert connection not in pool.connections
        assert_settled(pool)
    await finish(pool, server)
    assert server.accepted == 2


async def test_request_h2_refuses_fails_locally(
    backend, scripted_server, monkeypatch, no_fd_leak
):
    # The pool and check_request() keep such requests out; should one get
    # through, h2's refusal is a LocalProtocolError.
    def duplicate_path(request: httpcore.Request) -> list[tuple[bytes, bytes]]:
        return [*headers_of(request), (b":path", b"/again")]

    headers_of = http2.request_headers
    server = scripted_server(h2peer.serve(lambda peer: peer.serve_forever(echo_path)))
    async with h2c_pool(backend) as pool:
        monkeypatch.setattr(http2, "request_headers", duplicate_path)
        with pytest.raises(httpcore.LocalProtocolError, match=":path"):
            await pool.request("GET", server.url + "/")
        monkeypatch.undo()
        # h2 may have half-encoded the headers: the connection is dropped.
        assert pool.connections == []
        assert (await pool.request("GET", server.url + "/ok")).content == b"/ok"
    await finish(pool, server)


async def test_early_response_while_uploading(backend, scripted_server, no_fd_leak):
    # The server never opens its window, answers 413 as soon as it has the
    # headers and resets the stream with NO_ERROR: the client stops sending
    # and reads the answer.
    def script(peer: h2peer.H2Peer) -> None:
        peer.wait(lambda: bool(peer.requests))
        [stream_id] = peer.requests
        peer.respond(stream_id, 413, body=b"too large")
        peer.reset(stream_id, ErrorCodes.NO_ERROR)
        peer.serve_forever(echo_path)

    settings = {SettingCodes.INITIAL_WINDOW_SIZE: 0}
    server = scripted_server(h2peer.serve(script, settings=settings))
    async with h2c_pool(backend) as pool:
        response = await pool.request(
            "POST", server.url + "/upload", content=iter([b"x" * 100_000] * 3)
        )
        assert response.status == 413 and response.content == b"too large"
        assert_settled(pool)
        assert (await pool.request("GET", server.url + "/ok")).content == b"/ok"
    await finish(pool, server)


async def test_connection_closed_while_waiting_for_the_window(
    backend, scripted_server, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        peer.wait(lambda: bool(peer.requests))
        peer.conn.close()

    settings = {SettingCodes.INITIAL_WINDOW_SIZE: 0}
    server = scripted_server(h2peer.serve(script, settings=settings))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="closed"):
            await pool.request("POST", server.url + "/", content=b"x" * 1000)
        assert pool.connections == []
    await finish(pool, server)


async def test_pool_timeout_while_no_stream_is_allowed(
    backend, scripted_server, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        peer.wait_for_close()

    settings = {SettingCodes.MAX_CONCURRENT_STREAMS: 0}
    server = scripted_server(h2peer.serve(script, settings=settings))
    timeout = httpcore.Timeout(5.0, pool=0.3)
    async with h2c_pool(backend, timeout=timeout) as pool:
        with pytest.raises(httpcore.PoolTimeout):
            await pool.request("GET", server.url + "/")
        assert_settled(pool)
        assert pool.connections == []  # it can serve nothing: closed
    await finish(pool, server)


async def test_unknown_error_codes_are_reported(backend, scripted_server, no_fd_leak):
    def script(peer: h2peer.H2Peer) -> None:
        if peer.index > 1:
            peer.serve_forever(echo_path)
            return
        [first] = peer.wait_for_requests(1)
        peer.reset(first, 0xABC)
        second = peer.wait_for_requests(2)[1]
        peer.respond(second, body=b"/second")
        peer.goaway(last_stream_id=second, code=0x1FF)
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="0xabc"):
            await pool.request("GET", server.url + "/first")
        assert (await pool.request("GET", server.url + "/second")).status == 200
        assert (await pool.request("GET", server.url + "/third")).status == 200
        assert_settled(pool)
    await finish(pool, server)


async def test_goaway_disowning_an_answered_stream(
    backend, scripted_server, no_fd_leak
):
    # A server that names an earlier stream in GOAWAY than one it is already
    # answering: that response fails; it is not sent again.
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_headers(stream_id, 200)
        peer.goaway(last_stream_id=0)
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        async with pool.stream("GET", server.url + "/") as response:
            with pytest.raises(httpcore.RemoteProtocolError, match="GOAWAY"):
                await response.read()
        assert pool.connections == []
    await finish(pool, server)
    assert server.accepted == 1
