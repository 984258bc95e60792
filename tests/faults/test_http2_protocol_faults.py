"""
HTTP/2 peers that break the protocol: garbage instead of the server preface,
malformed frames, frames on the wrong stream, oversized or endless header
blocks, bodies that contradict their headers, 1xx abuse, illegal SETTINGS and
window overflows, and a stream the server never answers.

Connection errors fail every stream and drop the connection; stream errors
(RFC 9113 5.4) fail one stream and leave the others, and the connection,
serving. After each: no active connection, h2's stream counts back to zero
where the connection survives, no socket left open.
"""

from __future__ import annotations

import re

import pytest
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from hyperframe.frame import (
    ContinuationFrame,
    HeadersFrame,
    PingFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

import httpcore
from tests.concurrency import gather
from tests.dispatch.test_http2 import assert_settled
from tests.dispatch.test_http2_faults import echo_path, finish, h2c_pool
from tests.servers import h2peer
from tests.servers.h2peer import raw_frame
from tests.servers.scripted import ScriptedConnection

STATUS_200 = b"\x88"  # HPACK: the static table's ":status: 200"


def assert_dropped(pool: httpcore.AsyncConnectionPool) -> None:
    assert_settled(pool)
    assert pool.connections == []


def broken_after_request(*frames) -> h2peer.Script:
    """A script answering the first request with raw `frames`."""

    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_frames(*(make(stream_id) for make in frames))
        peer.wait_for_close()

    return script


# --- not HTTP/2 at all ------------------------------------------------------------

NOT_A_PREFACE = {
    "http11": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    "garbage": bytes(range(256)) * 2,
    "ping-first": PingFrame(0, opaque_data=b"12345678").serialize(),
}


def answer_preface_with(data: bytes):
    def handler(conn: ScriptedConnection) -> None:
        conn.sock.recv(65536)  # the client's preface and SETTINGS
        conn.send(data)
        conn.wait_for_close()

    return handler


@pytest.mark.parametrize("answer", list(NOT_A_PREFACE))
async def test_no_settings_preface_over_h2c(
    backend, scripted_server, answer, no_fd_leak
):
    server = scripted_server(answer_preface_with(NOT_A_PREFACE[answer]))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="HTTP/2 protocol error"):
            await pool.request("GET", server.url + "/")
        assert_dropped(pool)
    await finish(pool, server)


@pytest.mark.parametrize("answer", ["http11", "garbage"])
async def test_no_settings_preface_after_alpn_chose_h2(
    backend, scripted_server, ca_file, answer, no_fd_leak
):
    handler = answer_preface_with(NOT_A_PREFACE[answer])
    server = scripted_server(handler, tls=True, alpn=["h2"])
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=ca_file, http2=True, timeout=5.0
    ) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="HTTP/2 protocol error"):
            await pool.request("GET", server.url + "/")
        assert_dropped(pool)
    await finish(pool, server)
    assert server.accepted == 1  # no second try over HTTP/1.1


# --- malformed frames, frames where they may not be ------------------------------


DATA, HEADERS, RST_STREAM, SETTINGS, PING = 0x0, 0x1, 0x3, 0x4, 0x6
END_HEADERS = 0x4
BROKEN_FRAMES = {
    # A PING's payload is 8 bytes: a FRAME_SIZE_ERROR.
    "short-ping": lambda sid: raw_frame(PING, 0, b"abc"),
    # DATA, HEADERS and RST_STREAM belong to a stream; SETTINGS and PING do not.
    "data-on-stream-0": lambda sid: raw_frame(DATA, 0, b"x"),
    "headers-on-stream-0": lambda sid: raw_frame(HEADERS, 0, STATUS_200, END_HEADERS),
    "rst-on-stream-0": lambda sid: raw_frame(RST_STREAM, 0, b"\x00\x00\x00\x02"),
    "settings-on-a-stream": lambda sid: raw_frame(SETTINGS, sid),
    "ping-on-a-stream": lambda sid: raw_frame(PING, sid, b"12345678"),
    # A header block HPACK cannot decode (an index past the tables).
    "bad-hpack": lambda sid: raw_frame(HEADERS, sid, b"\xff\xff\xff\x0f", END_HEADERS),
    # A response on a stream the client never opened (server streams are even).
    "headers-on-stream-2": lambda sid: raw_frame(HEADERS, 2, STATUS_200, END_HEADERS),
}


@pytest.mark.parametrize("frame", list(BROKEN_FRAMES))
async def test_broken_frame_fails_the_connection(
    backend, scripted_server, frame, no_fd_leak
):
    make = BROKEN_FRAMES[frame]

    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_raw(make(stream_id))
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="HTTP/2 protocol error"):
            await pool.request("GET", server.url + "/")
        assert_dropped(pool)
    await finish(pool, server)


# --- header blocks too large, or endless --------------------------------------------


async def test_oversized_header_list_fails_cleanly(
    backend, scripted_server, no_fd_leak
):
    # 200 KB of headers, over the 64 KiB the client advertises.
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        big = [(f"x-big-{i}".encode(), b"v" * 1000) for i in range(200)]
        try:
            peer.send_headers(stream_id, 200, big, end=True)
        except OSError:
            return  # the client hung up part-way: fine
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="header"):
            await pool.request("GET", server.url + "/")
        assert_dropped(pool)
    await finish(pool, server)


async def test_continuation_flood_fails_without_buffering_it(
    backend, scripted_server, no_fd_leak
):
    # A header block that never ends: CONTINUATION frames of 16 KiB, up to
    # 64 MiB in all. The client must give up early, not buffer them until
    # its read timeout.
    sent: list[int] = []

    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_frames(HeadersFrame(stream_id, data=STATUS_200))
        chunk = ContinuationFrame(stream_id, data=b"\x00" * 16384).serialize()
        try:
            for count in range(4096):
                peer.conn.send(chunk)
                sent.append(count)
        except OSError:
            return
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend, timeout=30.0) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match=r"(?i)continuation"):
            await pool.request("GET", server.url + "/")
        assert_dropped(pool)
    await finish(pool, server)
    assert len(sent) < 4096  # the client hung up long before the end


# --- bodies that contradict their headers: errors of one stream ------------------


def two_streams(first: h2peer.Script) -> h2peer.Script:
    """`first(peer, stream_id)` breaks the first request; the second is answered."""

    def script(peer: h2peer.H2Peer) -> None:
        [warm_up] = peer.wait_for_requests(1)
        peer.respond(warm_up, body=b"/warm-up")
        first_id, second_id = peer.wait_for_requests(3)[1:]
        if peer.requests[first_id].path != b"/broken":
            first_id, second_id = second_id, first_id
        first(peer, first_id)
        peer.respond(second_id, body=peer.requests[second_id].path)
        peer.serve_forever(echo_path)

    return script


async def one_stream_fails(
    backend: str, server, match: str, method: str = "GET"
) -> httpcore.AsyncConnectionPool:
    """Two requests at once: the first fails with `match`, the second succeeds."""
    async with h2c_pool(backend) as pool:
        # One connection, its settings known: both requests go on it.
        await pool.request("GET", server.url + "/warm-up")

        async def broken() -> str:
            try:
                response = await pool.request(method, server.url + "/broken")
            except httpcore.RemoteProtocolError as exc:
                return str(exc)
            return f"no error: {response.status} {response.content!r}"

        async def fine() -> bytes:
            return (await pool.request("GET", server.url + "/fine")).content

        error, body = await gather(backend, [broken, fine])
        assert re.search(match, error), error
        assert body == b"/fine"
        assert_settled(pool)
        # The connection carries on.
        assert (await pool.request("GET", server.url + "/after")).content == b"/after"
        assert len(pool.connections) == 1
        assert_settled(pool)
    return pool


@pytest.mark.parametrize(
    ("declared", "sent"), [(b"10", b"x" * 20), (b"10", b"x" * 5), (b"0", b"x")]
)
async def test_body_length_not_matching_content_length_fails_its_stream(
    backend, scripted_server, declared, sent, no_fd_leak
):
    def first(peer: h2peer.H2Peer, stream_id: int) -> None:
        peer.send_headers(stream_id, 200, [(b"content-length", declared)])
        peer.send_data(stream_id, sent, end=True)

    server = scripted_server(h2peer.serve(two_streams(first)))
    match = (
        rf"Malformed HTTP/2 response: {len(sent)} bytes of body where {int(declared)}"
    )
    pool = await one_stream_fails(backend, server, match)
    await finish(pool, server)
    assert server.accepted == 1


@pytest.mark.parametrize("status", [204, 304])
async def test_body_on_a_no_content_status_fails_its_stream(
    backend, scripted_server, status, no_fd_leak
):
    def first(peer: h2peer.H2Peer, stream_id: int) -> None:
        peer.send_headers(stream_id, status)
        peer.send_data(stream_id, b"not allowed", end=True)

    server = scripted_server(h2peer.serve(two_streams(first), validate=False))
    pool = await one_stream_fails(backend, server, "Malformed HTTP/2 response")
    await finish(pool, server)


async def test_body_on_a_head_response_fails_its_stream(
    backend, scripted_server, no_fd_leak
):
    def first(peer: h2peer.H2Peer, stream_id: int) -> None:
        peer.send_headers(stream_id, 200, [(b"content-length", b"11")])
        peer.send_data(stream_id, b"not allowed", end=True)

    server = scripted_server(h2peer.serve(two_streams(first)))
    pool = await one_stream_fails(backend, server, "Malformed HTTP/2 response", "HEAD")
    await finish(pool, server)


@pytest.mark.parametrize("status", [204, 304])
async def test_no_content_status_with_content_length_and_no_body_is_fine(
    backend, scripted_server, status, no_fd_leak
):
    # RFC 9110: a 304's content-length describes the representation it
    # stands for; no body follows. Ending the stream with an empty DATA frame
    # is allowed too.
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_headers(stream_id, status, [(b"content-length", b"100")])
        peer.send_data(stream_id, b"", end=True)
        peer.serve_forever(echo_path)

    server = scripted_server(h2peer.serve(script, validate=False))
    async with h2c_pool(backend) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.status == status and response.content == b""
        assert (await pool.request("GET", server.url + "/next")).content == b"/next"
        assert_settled(pool)
    await finish(pool, server)


# --- informational responses -------------------------------------------------------


async def test_101_is_refused_over_http2(backend, scripted_server, no_fd_leak):
    def first(peer: h2peer.H2Peer, stream_id: int) -> None:
        peer.send_headers(stream_id, 101)
        peer.respond(stream_id, body=b"too late")

    server = scripted_server(h2peer.serve(two_streams(first), validate=False))
    pool = await one_stream_fails(backend, server, "status 101")
    await finish(pool, server)


async def test_flood_of_1xx_responses_fails_its_stream(
    backend, scripted_server, no_fd_leak
):
    resets: list[int | None] = []

    def first(peer: h2peer.H2Peer, stream_id: int) -> None:
        for _ in range(150):
            peer.h2.send_headers(stream_id, [(b":status", b"103")])
        peer.requests[stream_id].answered = True
        peer.flush()
        peer.wait(lambda: peer.requests[stream_id].reset is not None)
        resets.append(peer.requests[stream_id].reset)

    server = scripted_server(h2peer.serve(two_streams(first)))
    pool = await one_stream_fails(backend, server, "More than 100 informational")
    await finish(pool, server)
    assert resets == [ErrorCodes.CANCEL]


# --- SETTINGS and WINDOW_UPDATE out of bounds ---------------------------------------


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        (SettingCodes.INITIAL_WINDOW_SIZE, 2**31),
        (SettingCodes.MAX_FRAME_SIZE, 2**24),
        (SettingCodes.ENABLE_PUSH, 2),
    ],
)
async def test_invalid_setting_mid_flight_fails_the_connection(
    backend, scripted_server, setting, value, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_headers(stream_id, 200)
        frame = SettingsFrame(0)
        frame.settings = {setting: value}
        peer.send_frames(frame)
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        # The frame may come in the same read as the response's headers.
        with pytest.raises(httpcore.RemoteProtocolError, match="invalid value"):
            await pool.request("GET", server.url + "/")
        assert_dropped(pool)
    await finish(pool, server)


async def test_invalid_setting_in_the_preface(backend, scripted_server, no_fd_leak):
    def handler(conn: ScriptedConnection) -> None:
        conn.sock.recv(65536)
        frame = SettingsFrame(0)
        frame.settings = {SettingCodes.INITIAL_WINDOW_SIZE: 2**31}
        conn.send(frame.serialize())
        conn.wait_for_close()

    server = scripted_server(handler)
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match="invalid value"):
            await pool.request("GET", server.url + "/")
        assert_dropped(pool)
    await finish(pool, server)


async def test_window_update_overflowing_the_connection_window(
    backend, scripted_server, no_fd_leak
):
    def script(peer: h2peer.H2Peer) -> None:
        peer.wait_for_requests(1)
        peer.send_frames(WindowUpdateFrame(0, window_increment=2**31 - 1))
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        with pytest.raises(httpcore.RemoteProtocolError, match=r"(?i)window"):
            await pool.request("GET", server.url + "/")
        assert_dropped(pool)
    await finish(pool, server)


async def test_window_update_overflowing_a_stream_window_fails_the_stream(
    backend, scripted_server, no_fd_leak
):
    resets: list[int | None] = []

    def first(peer: h2peer.H2Peer, stream_id: int) -> None:
        peer.send_headers(stream_id, 200)
        peer.send_frames(WindowUpdateFrame(stream_id, window_increment=2**31 - 1))
        peer.wait(lambda: peer.requests[stream_id].reset is not None)
        resets.append(peer.requests[stream_id].reset)

    server = scripted_server(h2peer.serve(two_streams(first)))
    pool = await one_stream_fails(backend, server, "FLOW_CONTROL_ERROR")
    await finish(pool, server)
    assert resets == [ErrorCodes.FLOW_CONTROL_ERROR]


# --- a stream never answered ---------------------------------------------------------


async def test_stream_never_answered_times_out_alone(
    backend, scripted_server, no_fd_leak
):
    resets: list[int | None] = []

    def script(peer: h2peer.H2Peer) -> None:
        [warm_up] = peer.wait_for_requests(1)
        peer.respond(warm_up, body=b"/warm-up")
        silent, answered = peer.wait_for_requests(3)[1:]
        if peer.requests[silent].path != b"/silent":
            silent, answered = answered, silent
        peer.requests[silent].answered = True  # never
        peer.respond(answered, body=b"answered")
        peer.wait(lambda: peer.requests[silent].reset is not None, timeout=10.0)
        resets.append(peer.requests[silent].reset)
        peer.serve_forever(echo_path)

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        await pool.request("GET", server.url + "/warm-up")  # one connection
        timeout = httpcore.Timeout(10.0, read=0.5)

        async def silent() -> str:
            try:
                await pool.request("GET", server.url + "/silent", timeout=timeout)
            except httpcore.ReadTimeout as exc:
                return f"ReadTimeout: {exc}"
            return "answered?"

        async def answered() -> bytes:
            return (await pool.request("GET", server.url + "/answered")).content

        error, body = await gather(backend, [silent, answered])
        assert error == "ReadTimeout: Timed out after 0.5 seconds.", error
        assert body == b"answered"
        assert_settled(pool)  # the stream reset, its slot free
        [connection] = pool.connections
        assert connection._protocol.open_streams == 0
        assert (await pool.request("GET", server.url + "/after")).content == b"/after"
    await finish(pool, server)
    assert resets == [ErrorCodes.CANCEL]
    assert server.accepted == 1


# --- GOAWAY naming a stream below those in flight, mid-body -------------------------


async def test_goaway_mid_body_fails_only_the_disowned_streams(
    backend, scripted_server, no_fd_leak
):
    # Two responses started; GOAWAY keeps the first and disowns the second,
    # whose body has begun: it fails (not retried), the first completes.
    def script(peer: h2peer.H2Peer) -> None:
        for count in (1, 2):
            stream_id = peer.wait_for_requests(count)[-1]
            peer.send_headers(stream_id, 200)
            peer.send_data(stream_id, b"part ")
        first = peer.complete()[0]
        peer.goaway(last_stream_id=first)
        peer.send_data(first, b"rest", end=True)
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    async with h2c_pool(backend) as pool:
        one = await pool.send(httpcore.Request("GET", server.url + "/1"))
        two = await pool.send(httpcore.Request("GET", server.url + "/2"))
        with pytest.raises(httpcore.RemoteProtocolError, match="GOAWAY"):
            await two.read()
        assert await one.read() == b"part rest"
        assert_dropped(pool)
    await finish(pool, server)
    assert server.accepted == 1
