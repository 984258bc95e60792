"""
`ClientWire`, the sans-IO HTTP/1.1 client parser, alone (no network): how it
frames requests, and how it reads responses, fed whole and a byte at a time
(every response here is read both ways, and must give the same outcome).
The differential tests against h11: test_http11_wire_vs_h11.py.
"""

from __future__ import annotations

import typing

import pytest

from httpcore import LocalProtocolError, RemoteProtocolError
from httpcore._dispatch.http11_wire import (
    DONE,
    END,
    ERROR,
    MAX_HEADER_BYTES,
    NEED_DATA,
    SWITCHED,
    ClientWire,
)

HOST = [(b"Host", b"example.com")]


class Outcome(typing.NamedTuple):
    heads: list[tuple[int, bytes, list[tuple[bytes, bytes]], bytes]]
    body: bytes
    ended: bool
    switched: bool
    trailing: bytes
    reusable: bool


def new_wire(
    method: bytes = b"GET", headers: list[tuple[bytes, bytes]] | None = None
) -> ClientWire:
    wire = ClientWire()
    wire.start_request(method, b"/", HOST if headers is None else headers)
    wire.send_end()
    return wire


def pump(wire: ClientWire, pieces: typing.Iterable[bytes], eof: bool) -> Outcome:
    heads = []
    body = []
    ended = False
    for piece in [*pieces, b""] if eof else pieces:
        wire.receive_data(piece)
        for _ in range(len(piece) + 4):  # at most an event per byte: a hang guard
            if ended or wire.their_state is SWITCHED:
                break
            event = wire.next_event()
            if event is NEED_DATA:
                break
            if event is END:
                ended = True
            elif isinstance(event, bytes):
                assert event, "an empty piece of body"
                body.append(event)
            else:
                heads.append(event)
        else:
            raise AssertionError("the wire never asked for more data")
    switched = wire.their_state is SWITCHED
    return Outcome(
        heads,  # type: ignore[arg-type]
        b"".join(body),
        ended,
        switched,
        wire.trailing_data,
        wire.reusable(),
    )


def read(
    data: bytes,
    method: bytes = b"GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    eof: bool = False,
) -> Outcome:
    """The response read whole, and a byte at a time: the same outcome."""
    whole = pump(new_wire(method, headers), [data], eof)
    pieces = [data[i : i + 1] for i in range(len(data))]
    assert pump(new_wire(method, headers), pieces, eof) == whole
    return whole


def refused(
    data: bytes,
    method: bytes = b"GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    eof: bool = False,
) -> str:
    """The message of the error, the same read whole or a byte at a time."""
    messages = []
    for pieces in ([data], [data[i : i + 1] for i in range(len(data))]):
        wire = new_wire(method, headers)
        with pytest.raises(RemoteProtocolError) as info:
            pump(wire, pieces, eof)
        assert wire.their_state is ERROR
        assert not wire.reusable()
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    return messages[0]


def head_fields(data: bytes) -> list[tuple[bytes, bytes]]:
    outcome = read(data)
    assert outcome.ended
    return outcome.heads[-1][2]


# --- Requests ------------------------------------------------------------------


def test_request_with_content_length_sends_exactly_that_many_bytes() -> None:
    wire = ClientWire()
    headers = [*HOST, (b"Content-Length", b"5")]
    head = wire.start_request(b"POST", b"/upload?x=1", headers)
    assert head == (
        b"POST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\n"
    )
    assert wire.send_data(b"abc") == b"abc"
    assert wire.send_data(b"") == b""
    assert wire.send_data(b"de") == b"de"
    assert wire.send_end() == b""
    assert wire.our_state is DONE


def test_request_with_chunked_body_frames_each_piece_and_ends_with_last_chunk() -> None:
    wire = ClientWire()
    wire.start_request(b"POST", b"/", [*HOST, (b"transfer-encoding", b"Chunked")])
    assert wire.send_data(b"hello") == b"5\r\nhello\r\n"
    assert wire.send_data(b"") == b""  # an empty chunk would end the body
    assert wire.send_data(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
    assert wire.send_end() == b"0\r\n\r\n"
    assert wire.our_state is DONE


def test_request_without_body_headers_has_an_empty_body() -> None:
    wire = ClientWire()
    assert wire.start_request(b"GET", b"/", HOST) == (
        b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
    )
    with pytest.raises(LocalProtocolError, match="Too much data"):
        wire.send_data(b"x")
    assert wire.our_state is ERROR


def test_request_with_too_little_data_for_its_content_length_is_refused() -> None:
    wire = ClientWire()
    wire.start_request(b"PUT", b"/", [*HOST, (b"Content-Length", b"4")])
    wire.send_data(b"ab")
    with pytest.raises(LocalProtocolError, match="2 bytes were never sent"):
        wire.send_end()
    assert wire.our_state is ERROR


def test_request_with_too_much_data_for_its_content_length_is_refused() -> None:
    wire = ClientWire()
    wire.start_request(b"PUT", b"/", [*HOST, (b"Content-Length", b"2")])
    with pytest.raises(LocalProtocolError, match="Too much data"):
        wire.send_data(b"abc")
    with pytest.raises(LocalProtocolError, match="state ERROR"):
        wire.send_end()


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([], "Missing mandatory Host"),
        ([(b"host", b"a"), (b"Content-Length", b"1, 1")], "one whole number"),
        ([(b"host", b"a"), (b"Content-Length", b"-1")], "one whole number"),
        ([(b"host", b"a"), (b"Content-Length", b"")], "one whole number"),
        ([(b"host", b"a"), (b"Content-Length", b"1" * 21)], "one whole number"),
        (
            [(b"host", b"a"), (b"Content-Length", b"1"), (b"content-length", b"1")],
            "one whole number",
        ),
        ([(b"host", b"a"), (b"Transfer-Encoding", b"gzip")], "only Transfer-Encoding"),
        (
            [(b"host", b"a"), (b"Transfer-Encoding", b"gzip, chunked")],
            "only Transfer-Encoding",
        ),
        (
            [(b"host", b"a")] + [(b"Transfer-Encoding", b"chunked")] * 2,
            "only Transfer-Encoding",
        ),
        (
            [
                (b"host", b"a"),
                (b"Content-Length", b"3"),
                (b"Transfer-Encoding", b"chunked"),
            ],
            "both Content-Length and Transfer-Encoding",
        ),
    ],
)
def test_request_that_cannot_be_framed_is_refused(
    headers: list[tuple[bytes, bytes]], message: str
) -> None:
    wire = ClientWire()
    with pytest.raises(LocalProtocolError, match=message):
        wire.start_request(b"POST", b"/", headers)


@pytest.mark.parametrize(
    ("method", "target", "headers"),
    [
        (b"GET / HTTP/1.1\r\nX:", b"/", HOST),
        (b"GET", b"/ HTTP/1.1\r\nEvil: 1\r\n\r\nGET /", HOST),
        (b"GET", b"/", [*HOST, (b"X-A", b"a\r\nEvil: 1")]),
        (b"GET", b"/", [*HOST, (b"X-A", b"a\nb")]),
        (b"GET", b"/", [*HOST, (b"X-A", b"a\rb")]),
        (b"GET", b"/", [*HOST, (b"Evil: 1\r\nX-A", b"a")]),
    ],
)
def test_request_with_cr_or_lf_in_method_target_or_header_is_refused(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    wire = ClientWire()
    with pytest.raises(LocalProtocolError, match="hold CR or LF"):
        wire.start_request(method, target, headers)
    assert wire.our_state == "IDLE"


def test_sending_in_the_wrong_state_is_refused() -> None:
    wire = ClientWire()
    with pytest.raises(LocalProtocolError, match="Cannot send body data in state IDLE"):
        wire.send_data(b"x")
    with pytest.raises(LocalProtocolError, match="Cannot end the request body"):
        wire.send_end()
    wire.start_request(b"GET", b"/", HOST)
    with pytest.raises(LocalProtocolError, match="last one is in state SEND_BODY"):
        wire.start_request(b"GET", b"/", HOST)
    wire.send_end()
    with pytest.raises(LocalProtocolError, match="state DONE"):
        wire.send_data(b"x")
    with pytest.raises(LocalProtocolError, match="state DONE"):
        wire.send_end()
    with pytest.raises(LocalProtocolError, match="last one is in state DONE"):
        wire.start_request(b"GET", b"/", HOST)


def test_request_with_connection_close_leaves_the_connection_unreusable() -> None:
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    for value in (b"close", b"Keep-Alive, CLOSE"):
        outcome = read(response, headers=[*HOST, (b"Connection", value)])
        assert outcome.ended and outcome.body == b"ok"
        assert not outcome.reusable


# --- Status lines --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status_line", "status", "reason", "version"),
    [
        (b"HTTP/1.1 200 OK", 200, b"OK", b"1.1"),
        (b"HTTP/1.1 200", 200, b"", b"1.1"),
        (b"HTTP/1.1 200 ", 200, b"", b"1.1"),
        (b"HTTP/1.1 404 Not  Found\t!", 404, b"Not  Found\t!", b"1.1"),
        (b"HTTP/1.1 200  OK ", 200, b" OK ", b"1.1"),
        (b"HTTP/1.1 200 \x80\xe9t\xe9\xff", 200, b"\x80\xe9t\xe9\xff", b"1.1"),
        (b"HTTP/1.0 200 OK", 200, b"OK", b"1.0"),
        (b"HTTP/1.1 999 Odd", 999, b"Odd", b"1.1"),
    ],
)
def test_status_line_is_read(
    status_line: bytes, status: int, reason: bytes, version: bytes
) -> None:
    outcome = read(status_line + b"\r\nContent-Length: 0\r\n\r\n")
    assert outcome.heads[0][0::3] == (status, version)
    assert outcome.heads[0][1] == reason


@pytest.mark.parametrize(
    "status_line",
    [
        b"HTTP/1.1 20 OK",
        b"HTTP/1.1 2000 OK",
        b"HTTP/1.1 2x0 OK",
        b"http/1.1 200 OK",
        b"HTTP/1.1  200 OK",
        b"HTTP/1.1 200\tOK",
        b"HTTP/11 200 OK",
        b"HTTP/1.1",
        b" HTTP/1.1 200 OK",
        b"ICY 200 OK",
        b"HTTP/1.1 200 O\x00K",
        b"HTTP/1.1 200 O\x7fK",
        b"HTTP/1.1 200 O\x01K",
        b"HTTP/1.1 200 O\x0bK",
        b"HTTP/1.1 200 O\rK",
        b"",
    ],
)
def test_malformed_status_line_is_refused(status_line: bytes) -> None:
    message = refused(status_line + b"\r\nContent-Length: 0\r\n\r\n")
    assert message == f"The server sent an illegal status line: {status_line!r}."


def test_status_below_100_is_refused() -> None:
    message = refused(b"HTTP/1.1 099 Low\r\n\r\n")
    assert "the status_code 99 is below 100" in message


@pytest.mark.parametrize("version", [b"2.0", b"0.9", b"3.1"])
def test_http_version_other_than_1_x_is_refused(version: bytes) -> None:
    message = refused(b"HTTP/" + version + b" 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert message == (f"The server answered in HTTP/{version.decode()}, not HTTP/1.x.")


# --- Header fields -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (b"A:b", (b"A", b"b")),
        (b"A: b ", (b"A", b"b")),
        (b"A:\t b \t", (b"A", b"b")),
        (b"A: b  c\td", (b"A", b"b  c\td")),
        (b"A:", (b"A", b"")),
        (b"A:  \t ", (b"A", b"")),
        (b"X-Obs: \x80caf\xe9\xff", (b"X-Obs", b"\x80caf\xe9\xff")),
        (b"!#$%&'*+-.^_`|~09aZ: v", (b"!#$%&'*+-.^_`|~09aZ", b"v")),
        (b"A: b:c;d,e", (b"A", b"b:c;d,e")),
    ],
)
def test_header_field_is_read_without_its_surrounding_whitespace(
    line: bytes, field: tuple[bytes, bytes]
) -> None:
    fields = head_fields(
        b"HTTP/1.1 200 OK\r\n" + line + b"\r\nContent-Length: 0\r\n\r\n"
    )
    assert fields == [field, (b"Content-Length", b"0")]


@pytest.mark.parametrize(
    ("lines", "value"),
    [
        (b"A: b\r\n c", b"b c"),
        (b"A: b \t\r\n\t  c \t", b"b c"),
        (b"A: b\r\n c\r\n  d", b"b c d"),
        (b"A:\r\n c", b"c"),
        (b"A: b\r\n \t", b"b"),
        (b"A: b\n c", b"b c"),
    ],
)
def test_obs_fold_is_replaced_by_one_space(lines: bytes, value: bytes) -> None:
    fields = head_fields(
        b"HTTP/1.1 200 OK\r\n" + lines + b"\r\nContent-Length: 0\r\n\r\n"
    )
    assert fields == [(b"A", value), (b"Content-Length", b"0")]


def test_obs_fold_before_any_field_is_refused() -> None:
    message = refused(b"HTTP/1.1 200 OK\r\n x: y\r\nContent-Length: 0\r\n\r\n")
    assert message == (
        "The server sent a continuation line at start of headers: b' x: y'."
    )


def test_bare_lf_ends_lines_and_the_head() -> None:
    outcome = read(b"HTTP/1.1 200 OK\nContent-Length: 2\r\nA: b\n\nokHTTP")
    assert outcome.heads[0][2] == [(b"Content-Length", b"2"), (b"A", b"b")]
    assert outcome.body == b"ok" and outcome.ended
    assert outcome.trailing == b"HTTP" and not outcome.reusable
    outcome = read(b"HTTP/1.1 204 No Content\r\nA: b\r\n\nx")
    assert outcome.heads[0][2] == [(b"A", b"b")] and outcome.trailing == b"x"


@pytest.mark.parametrize(
    "line",
    [
        b"A: b\rc",
        b"A: b\r",
        b"A\r: b",
        b"\rA: b",
        b"A: b\x00",
        b"A: \x00",
        b"A\x00: b",
        b"A: b\x7f",
        b"A: b\x01c",
        b"A: b\x1f",
        b"A: b\x0bc",
        b"A: b\x0cc",
        b"A : b",
        b"A\t: b",
        b": b",
        b"A b",
        b"A",
        b"(A): b",
        b"\x80: b",
    ],
)
def test_illegal_header_line_is_refused(line: bytes) -> None:
    message = refused(b"HTTP/1.1 200 OK\r\n" + line + b"\r\nContent-Length: 0\r\n\r\n")
    assert message == f"The server sent an illegal header line: {line!r}."


def test_header_count_limit_is_exact() -> None:
    fields = b"A: b\r\n" * 99
    assert (
        len(head_fields(b"HTTP/1.1 200 OK\r\n" + fields + b"Content-Length: 0\r\n\r\n"))
        == 100
    )
    # Folded lines are one field.
    folded = b"A: b\r\n c\r\n" * 99
    assert (
        len(head_fields(b"HTTP/1.1 200 OK\r\n" + folded + b"Content-Length: 0\r\n\r\n"))
        == 100
    )
    message = refused(
        b"HTTP/1.1 200 OK\r\n" + fields + b"A: b\r\nContent-Length: 0\r\n\r\n"
    )
    assert message == (
        "The server sent 101 header fields, more than the limit of "
        "MAX_RESPONSE_HEADERS=100."
    )


def head_of_size(size: int) -> bytes:
    """A response head of exactly `size` bytes, without its blank line."""
    start = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: "
    return start + b"v" * (size - len(start))


@pytest.mark.timeout(20)  # a hang guard: it takes well under a second
def test_head_size_limit_is_exact_however_it_is_read() -> None:
    outcome = read(head_of_size(MAX_HEADER_BYTES) + b"\r\n\r\n")
    assert outcome.ended and outcome.heads[0][0] == 200
    outcome = read(head_of_size(MAX_HEADER_BYTES - 1) + b"\n\n")
    assert outcome.ended
    limit = f"larger than the limit of MAX_HEADER_BYTES={MAX_HEADER_BYTES} bytes."
    assert limit in refused(head_of_size(MAX_HEADER_BYTES + 1) + b"\r\n\r\n")
    assert limit in refused(head_of_size(MAX_HEADER_BYTES + 1) + b"\n\n")


def test_head_that_cannot_end_within_the_limit_is_refused_before_it_ends() -> None:
    wire = new_wire()
    wire.receive_data(head_of_size(MAX_HEADER_BYTES) + b"\r\n\r")
    assert wire.next_event() is NEED_DATA  # this head may still be legal
    wire = new_wire()
    wire.receive_data(head_of_size(MAX_HEADER_BYTES + 1) + b"\r\n\r")
    with pytest.raises(RemoteProtocolError, match="MAX_HEADER_BYTES"):
        wire.next_event()


# --- Informational responses, switching protocols ------------------------------


def test_informational_heads_come_before_the_final_one() -> None:
    outcome = read(
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    )
    assert [head[0] for head in outcome.heads] == [100, 103, 200]
    assert outcome.heads[1][2] == [(b"Link", b"</s.css>")]
    assert outcome.body == b"ok" and outcome.ended and outcome.reusable


def test_informational_head_with_a_bad_content_length_is_refused() -> None:
    message = refused(
        b"HTTP/1.1 100 Continue\r\nContent-Length: x\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    )
    assert message == "The server sent a bad Content-Length: b'x'."


def test_101_without_an_upgrade_request_is_refused() -> None:
    message = refused(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: ws\r\n\r\n")
    assert "did not ask to upgrade" in message
    # An empty Upgrade header offers no protocol.
    message = refused(
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n", headers=[*HOST, (b"Upgrade", b"")]
    )
    assert "did not ask to upgrade" in message


def test_101_after_an_upgrade_request_switches_and_keeps_what_follows() -> None:
    headers = [*HOST, (b"Connection", b"upgrade"), (b"Upgrade", b"websocket")]
    data = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00"
    outcome = read(data, headers=headers)
    assert outcome.switched and outcome.heads[0][0] == 101
    assert outcome.trailing == b"\x81\x00" and not outcome.reusable
    wire = new_wire(headers=headers)
    wire.receive_data(data)
    wire.next_event()
    with pytest.raises(RemoteProtocolError, match="state SWITCHED"):
        wire.next_event()


def test_upgrade_request_answered_by_a_normal_response_reads_it() -> None:
    outcome = read(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        headers=[*HOST, (b"Upgrade", b"websocket")],
    )
    assert outcome.body == b"ok" and outcome.reusable and not outcome.switched


def test_2xx_to_connect_switches_and_keeps_what_follows() -> None:
    outcome = read(
        b"HTTP/1.1 200 Connection Established\r\nContent-Length: 5\r\n\r\n\x16\x03\x01",
        method=b"CONNECT",
    )
    assert outcome.switched and outcome.trailing == b"\x16\x03\x01"
    assert outcome.body == b"" and not outcome.ended


def test_refusal_of_connect_is_read_as_a_normal_response() -> None:
    outcome = read(
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno",
        method=b"CONNECT",
    )
    assert not outcome.switched and outcome.body == b"no" and outcome.reusable


# --- Framing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status"), [(b"HEAD", 200), (b"GET", 204), (b"GET", 304), (b"HEAD", 404)]
)
def test_bodiless_response_ends_with_its_head(method: bytes, status: int) -> None:
    data = b"HTTP/1.1 %d X\r\nContent-Length: 10\r\n\r\n" % status
    outcome = read(data, method=method)
    assert outcome.ended and outcome.body == b"" and outcome.reusable
    data = b"HTTP/1.1 %d X\r\nTransfer-Encoding: chunked\r\n\r\n" % status
    assert read(data, method=method).reusable
    # Bytes after it are no part of it: kept, and the connection is not reused.
    outcome = read(data + b"0\r\n\r\n", method=method)
    assert outcome.ended and outcome.trailing == b"0\r\n\r\n" and not outcome.reusable


@pytest.mark.parametrize(
    "fields",
    [
        b"Content-Length: 3, 3\r\n",
        b"Content-Length: 3,3\r\n",
        b"Content-Length: 3 ,\t3\r\n",
        b"Content-Length: 3\r\ncontent-length: 3\r\n",
        b"Content-Length: 3\r\nContent-Length: 3, 3\r\n",
        b"Content-Length: 003\r\n",
    ],
)
def test_content_length_list_of_equal_values_is_one_value(fields: bytes) -> None:
    outcome = read(b"HTTP/1.1 200 OK\r\n" + fields + b"\r\nabc")
    assert outcome.body == b"abc" and outcome.ended and outcome.reusable


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (b"Content-Length: 3, 4", "conflicting Content-Length"),
        (b"Content-Length: 3\r\nContent-Length: 4", "conflicting Content-Length"),
        (b"Content-Length: 3\r\nContent-Length: 3, 4", "conflicting Content-Length"),
        (b"Content-Length: 3,,3", "conflicting Content-Length"),
        (b"Content-Length: ", "bad Content-Length: b''"),
        (b"Content-Length: ,", "bad Content-Length: b','"),
        (b"Content-Length: abc", "bad Content-Length: b'abc'"),
        (b"Content-Length: -1", "bad Content-Length: b'-1'"),
        (b"Content-Length: +3", "bad Content-Length: b'+3'"),
        (b"Content-Length: 0x3", "bad Content-Length: b'0x3'"),
        (b"Content-Length: 3 3", "bad Content-Length: b'3 3'"),
        (b"Content-Length: " + b"1" * 21, "bad Content-Length"),
        (b"Transfer-Encoding: gzip", "Transfer-Encoding b'gzip'"),
        (b"Transfer-Encoding: gzip, chunked", "Only Transfer-Encoding: chunked"),
        (b"Transfer-Encoding: chunked, chunked", "Only Transfer-Encoding: chunked"),
        (b"Transfer-Encoding: identity", "Only Transfer-Encoding: chunked"),
        (b"Transfer-Encoding: ", "Only Transfer-Encoding: chunked"),
        (
            b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
            "Only Transfer-Encoding: chunked",
        ),
    ],
)
def test_bad_framing_headers_are_refused(fields: bytes, message: str) -> None:
    assert message in refused(b"HTTP/1.1 200 OK\r\n" + fields + b"\r\n\r\nabc")
    # In a response that has no body too.
    assert message in refused(b"HTTP/1.1 304 OK\r\n" + fields + b"\r\n\r\n")


def test_content_length_of_twenty_digits_is_accepted() -> None:
    wire = new_wire()
    wire.receive_data(
        b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 20 + b"\r\n\r\nab"
    )
    assert wire.next_event()[0] == 200  # type: ignore[index]
    assert wire.framed_by_length
    assert wire.next_event() == b"ab"
    assert wire.next_event() is NEED_DATA


def test_response_with_content_length_and_chunked_is_read_chunked_not_reused() -> None:
    outcome = read(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: Chunked\r\n"
        b"\r\n3\r\nabc\r\n0\r\n\r\n"
    )
    assert outcome.body == b"abc" and outcome.ended
    assert not outcome.reusable


def test_chunked_body_with_extensions_whitespace_and_any_hex_case() -> None:
    outcome = read(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n"
        b"1 \t\r\n,\r\n"
        b'0000A; a; b="c;d"\r\n0123456789\r\n'
        b"c\r\n hello world\r\n"
        b"0;last\r\n\r\n"
    )
    assert outcome.body == b"hello,0123456789 hello world"
    assert outcome.ended and outcome.reusable


def test_chunked_body_with_trailers_reads_to_their_end() -> None:
    for trailers in (
        b"A: b\r\nC: d\r\n\r\n",
        b"A: b\n\n",
        b"A: b\r\n \tfold\r\n\r\n",
        b"\n",
    ):
        outcome = read(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
            + trailers
        )
        assert outcome.body == b"ok" and outcome.ended and outcome.reusable


@pytest.mark.parametrize(
    ("trailers", "message"),
    [
        (b"A b\r\n\r\n", "illegal trailer line: b'A b'"),
        (b"A: \x00\r\n\r\n", "illegal trailer line: b'A: \\x00'"),
        (b"A: b\rc\r\n\r\n", "illegal trailer line"),
        (b" A: b\r\n\r\n", "continuation line at start of trailers"),
        (b"Content-Length: x\r\n\r\n", "bad Content-Length"),
        (b"Transfer-Encoding: gzip\r\n\r\n", "Only Transfer-Encoding: chunked"),
    ],
)
def test_malformed_trailer_is_refused(trailers: bytes, message: str) -> None:
    assert message in refused(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
        + trailers
    )


@pytest.mark.parametrize(
    "line",
    [b"", b"g", b"-1", b"0x5", b" 5", b"5 x", b"+5", b"5\n", b"1" * 21, b"\x005"],
)
def test_illegal_chunk_header_is_refused(line: bytes) -> None:
    message = refused(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + line
        + b"\r\nhello\r\n"
    )
    assert message == f"The server sent an illegal chunk header: {line!r}."


def test_chunk_header_with_bare_lf_is_refused() -> None:
    message = refused(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"
    )
    assert message == "The server sent an illegal chunk header: b'5\\nhello'."


@pytest.mark.parametrize(
    ("after", "shown"),
    [
        (b"XY", b"X"),
        (b"\rX", b"\rX"),
        (b"\r\r", b"\r\r"),
        (b"\n", b"\n"),
        (b"\n\r", b"\n"),
    ],
)
def test_chunk_data_not_followed_by_crlf_is_refused(after: bytes, shown: bytes) -> None:
    message = refused(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello" + after
    )
    assert message == (
        f"The server sent a malformed chunk footer: {shown!r} (expected b'\\r\\n')."
    )


def test_chunk_header_size_limit_is_exact() -> None:
    start = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    line = b"1;" + b"x" * (MAX_HEADER_BYTES - 2)
    outcome = read(start + line + b"\r\na\r\n0\r\n\r\n")
    assert outcome.body == b"a" and outcome.ended
    message = refused(start + line + b"x\r\na\r\n0\r\n\r\n")
    assert "chunk header or trailer larger than the limit" in message


def test_close_delimited_body_ends_with_the_stream_and_is_not_reused() -> None:
    outcome = read(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nall of\r\n\r\nthis", eof=True)
    assert outcome.body == b"all of\r\n\r\nthis" and outcome.ended
    assert not outcome.reusable
    outcome = read(b"HTTP/1.1 200 OK\r\n\r\npart")
    assert outcome.body == b"part" and not outcome.ended


# --- The end of the stream in every state ---------------------------------------

CLOSED_IN_BODY = (
    "The server closed the connection without sending complete message body"
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The server closed the connection without sending a response."),
        (
            b"HTTP/1.1 100 Continue\r\n\r\n",
            "The server closed the connection without sending a response.",
        ),
        (b"H", "The server closed the connection in the middle of the response head."),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r",
            "The server closed the connection in the middle of the response head.",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            f"{CLOSED_IN_BODY}: received 0 bytes, expected 5.",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
            f"{CLOSED_IN_BODY}: received 2 bytes, expected 5.",
        ),
    ]
    + [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + rest,
            f"{CLOSED_IN_BODY}: incomplete chunked read.",
        )
        for rest in [
            b"",
            b"5",
            b"5\r",
            b"5\r\n",
            b"5\r\nhel",
            b"5\r\nhello",
            b"5\r\nhello\r",
            b"5\r\nhello\r\n0",
            b"5\r\nhello\r\n0\r\n",
            b"5\r\nhello\r\n0\r\n\r",
            b"5\r\nhello\r\n0\r\nA: b\r\n",
        ]
    ],
)
def test_end_of_stream_before_the_end_of_the_response_is_refused(
    data: bytes, message: str
) -> None:
    assert refused(data, eof=True) == message


def test_end_of_stream_after_the_response_leaves_it_complete_but_unreusable() -> None:
    outcome = read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", eof=True)
    assert outcome.ended and outcome.body == b"ok" and not outcome.reusable


# --- Keeping the connection ----------------------------------------------------

CHUNKED_OK = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
)


@pytest.mark.parametrize(
    ("data", "reusable"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", True),
        (CHUNKED_OK, True),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", False),
        (
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
            False,
        ),
        (b"HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok", True),  # read as 1.1
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", False),
        (
            b"HTTP/1.1 200 OK\r\nConnection: x, Close\r\nContent-Length: 2\r\n\r\nok",
            False,
        ),
        (b"HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 2\r\n\r\nok", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokX", False),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\n", False),
        (CHUNKED_OK + b"X", False),
    ],
)
def test_connection_is_reusable_only_after_a_clean_http11_keep_alive_response(
    data: bytes, reusable: bool
) -> None:
    outcome = read(data)
    assert outcome.ended and outcome.body == b"ok"
    assert outcome.reusable is reusable
    assert outcome.trailing == data[data.index(b"ok") + 2 :].replace(
        b"\r\n0\r\n\r\n", b"", 1
    )


def test_start_next_cycle_serves_the_next_exchange() -> None:
    wire = ClientWire()
    # The body of each response: a HEAD request's has none, whatever its
    # Content-Length says.
    for method, body in ((b"GET", b"one!"), (b"HEAD", b""), (b"GET", b"two!")):
        wire.start_request(method, b"/", HOST)
        wire.send_end()
        wire.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" + body)
        assert wire.next_event()[0] == 200  # type: ignore[index]
        if body:
            assert wire.next_event() == body
        assert wire.next_event() is END
        assert wire.reusable()
        wire.start_next_cycle()
        assert (wire.our_state, wire.their_state) == ("IDLE", "RECV_HEAD")


def test_start_next_cycle_is_refused_when_the_connection_cannot_be_reused() -> None:
    wire = new_wire()
    with pytest.raises(LocalProtocolError, match="cannot serve another request"):
        wire.start_next_cycle()  # the response has not been read
    wire.receive_data(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
    wire.next_event()
    assert wire.next_event() is END
    with pytest.raises(LocalProtocolError, match="cannot serve another request"):
        wire.start_next_cycle()


def test_error_state_is_final() -> None:
    wire = new_wire()
    wire.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")
    with pytest.raises(RemoteProtocolError, match="bad Content-Length"):
        wire.next_event()
    with pytest.raises(RemoteProtocolError, match="state ERROR"):
        wire.next_event()
    assert not wire.reusable()


# --- No quadratic work ----------------------------------------------------------
# Hang guards, not timings: each takes well under a second when the work is
# linear, and minutes when it is quadratic.


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b" " * 100_000, b""),
        (b"x" + b" " * 100_000 + b"y", b"x" + b" " * 100_000 + b"y"),
        (b"x" + b" \t" * 50_000, b"x"),
        (b"\t " * 50_000 + b"x", b"x"),
    ],
)
def test_long_runs_of_whitespace_in_a_header_value_parse_in_one_pass(
    value: bytes, expected: bytes
) -> None:
    wire = new_wire()
    wire.receive_data(
        b"HTTP/1.1 200 OK\r\nA: " + value + b"\r\nContent-Length: 0\r\n\r\n"
    )
    assert wire.next_event()[2][0] == (b"A", expected)  # type: ignore[index]


@pytest.mark.timeout(10)
def test_long_header_line_without_a_colon_is_refused_in_one_pass() -> None:
    wire = new_wire()
    wire.receive_data(b"HTTP/1.1 200 OK\r\n" + b"a" * 100_000 + b"\r\n\r\n")
    with pytest.raises(RemoteProtocolError, match="illegal header line"):
        wire.next_event()


@pytest.mark.timeout(10)
def test_64_kib_of_one_byte_chunks_are_read_in_one_pass() -> None:
    wire = new_wire()
    count = 64 * 1024
    wire.receive_data(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"1\r\nx\r\n" * count
        + b"0\r\n\r\n"
    )
    assert wire.next_event()[0] == 200  # type: ignore[index]
    pieces = []
    for _ in range(count + 1):
        event = wire.next_event()
        if event is END:
            break
        pieces.append(event)
    assert b"".join(pieces) == b"x" * count  # type: ignore[arg-type]
    assert wire.reusable()


@pytest.mark.timeout(20)
def test_head_trailer_and_chunk_header_sent_a_byte_at_a_time_are_not_rescanned() -> (
    None
):
    # Each byte costs a search of the last few bytes, not of all of them.
    filler = b"x" * (MAX_HEADER_BYTES - 100)
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nA: " + filler + b"\r\n\r\n"
        b"1;" + filler + b"\r\na\r\n0\r\nT: " + filler + b"\r\n\r\n"
    )
    wire = new_wire()
    events = []
    for i in range(len(data)):
        wire.receive_data(data[i : i + 1])
        event = wire.next_event()
        if event is not NEED_DATA:
            events.append(event)
    assert [
        event if not isinstance(event, tuple) else event[0] for event in events
    ] == [
        200,
        b"a",
        END,
    ]


# --- Handing a body framed by length over to the stream ------------------------


def test_length_left_counts_the_body_not_yet_returned_buffered_or_not() -> None:
    wire = new_wire()
    assert wire.length_left == 0  # no body being read
    wire.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    wire.next_event()
    assert wire.framed_by_length and wire.length_left == 10
    assert wire.next_event() == b"abc"
    assert wire.length_left == 7
    wire.receive_data(b"defghij")
    assert wire.next_event() == b"defghij"
    assert wire.length_left == 0 and not wire.framed_by_length


def test_take_buffered_hands_over_the_unparsed_bytes_to_be_given_back() -> None:
    wire = new_wire()
    wire.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc")
    wire.next_event()
    assert wire.take_buffered() == b"abc"
    assert wire.take_buffered() == b""
    assert wire.next_event() is NEED_DATA  # nothing kept
    wire.receive_data(b"abcdef")  # given back, with what was read after them
    assert wire.next_event() == b"abcdef"
    assert wire.next_event() is END and wire.reusable()
