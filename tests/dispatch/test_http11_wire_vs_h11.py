"""
Differential tests: `ClientWire` and h11 0.16 (client role), the reference
it replaced, read the same response bytes, fed in the same random pieces,
and must agree: the same heads (status, reason, headers, version), the same
body, the same end of message and reusability, and the same point where a
switch of protocol leaves bytes behind; or both refuse the bytes.

Where they differ by design, the difference is applied to h11's outcome by
`expected_wire_outcome`, never by discarding an example:

- the wire refuses an HTTP version other than 1.x (h11 accepts 0.x to 9.x);
- the wire refuses more than MAX_RESPONSE_HEADERS header fields;
- the wire refuses control characters other than HTAB (0x01-0x08,
  0x0E-0x1F, 0x7F) in a reason phrase, a field value or a trailer value,
  which RFC 9110 5.5 excludes; h11 accepts them;
- a response framed by both Content-Length and Transfer-Encoding is read
  as chunked by both, but the wire does not reuse the connection after it
  (it may be an attempt at smuggling);
- unfolding obs-fold, the wire replaces the whole `OWS CRLF RWS` with one SP
  (RFC 9112 5.2); h11 keeps the OWS before the fold: values are compared
  with their runs of blanks collapsed, only when the input has a fold;
- h11 rewrites framing headers (a Content-Length list becomes one value, a
  repeated one is dropped, Transfer-Encoding is lowercased); the wire
  reports them as received: both are compared in h11's form;
- h11 refuses an incomplete head that starts with a byte below 0x21 before
  its end arrives; the wire waits for its end (or the end of the stream)
  and then refuses it.

The wire refuses to send a request with both Content-Length and
Transfer-Encoding (h11 sends it chunked). Both refuse a 101 without
Upgrade. The wire's head-size limit (exact, 100 KiB) is not
reached here: every input is far smaller.
"""

from __future__ import annotations

import itertools
import re
import typing

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httpcore import LocalProtocolError, RemoteProtocolError
from httpcore._dispatch import http11_wire as wire_module
from httpcore._dispatch.http11_wire import END, NEED_DATA, SWITCHED, ClientWire

pytestmark = pytest.mark.timeout(60)

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Outcome = tuple[typing.Any, ...]

REQUESTS = {
    "GET": (b"GET", [(b"Host", b"example.com")]),
    "HEAD": (b"HEAD", [(b"Host", b"example.com")]),
    "CONNECT": (b"CONNECT", [(b"Host", b"example.com:443")]),
    "UPGRADE": (b"GET", [(b"Host", b"example.com"), (b"Upgrade", b"websocket")]),
    "CLOSE": (b"GET", [(b"Host", b"example.com"), (b"Connection", b"close")]),
}


# --- Running each parser -------------------------------------------------------


def split(data: bytes, cuts: typing.Iterable[int]) -> list[bytes]:
    points = sorted({cut for cut in cuts if 0 < cut < len(data)})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def run_wire(request: str, pieces: list[bytes], eof: bool) -> Outcome:
    method, headers = REQUESTS[request]
    wire = ClientWire()
    wire.start_request(method, b"/", headers)
    wire.send_end()
    heads: list[tuple[int, bytes, list[tuple[bytes, bytes]], bytes]] = []
    body: list[bytes] = []
    ended = False
    try:
        for piece in [*pieces, b""] if eof else pieces:
            wire.receive_data(piece)
            # At most one event per byte, and a few more: a hang guard.
            for _ in range(len(piece) + 4):
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
                    status, reason, fields, version = event  # type: ignore[misc]
                    heads.append((status, reason, list(fields), version))
            else:
                raise AssertionError("the wire never asked for more data")
    except RemoteProtocolError as exc:
        return ("error", str(exc))
    switched = wire.their_state is SWITCHED
    return (
        "ok",
        heads,
        b"".join(body),
        ended,
        wire.trailing_data if switched else None,
        wire.reusable(),
    )


def run_h11(
    request: str, pieces: list[bytes], eof: bool
) -> tuple[Outcome, list[tuple[bytes, bytes]]]:
    """h11's outcome, and the trailer fields it read (the wire drops them)."""
    method, headers = REQUESTS[request]
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=1 << 30)
    conn.send(h11.Request(method=method, target=b"/", headers=headers))
    conn.send(h11.EndOfMessage())
    heads = []
    body: list[bytes] = []
    trailers: list[tuple[bytes, bytes]] = []
    ended = False
    try:
        for piece in [*pieces, b""] if eof else pieces:
            conn.receive_data(piece)
            for _ in range(len(piece) + 4):
                if ended or conn.their_state is h11.SWITCHED_PROTOCOL:
                    break
                event = conn.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    break
                if isinstance(event, h11.EndOfMessage):
                    ended = True
                    trailers = list(event.headers.raw_items())
                elif isinstance(event, h11.Data):
                    body.append(event.data)
                elif isinstance(event, h11.ConnectionClosed):
                    break
                else:
                    assert isinstance(event, (h11.Response, h11.InformationalResponse))
                    heads.append(
                        (
                            event.status_code,
                            event.reason,
                            list(event.headers.raw_items()),
                            event.http_version,
                        )
                    )
            else:
                raise AssertionError("h11 never asked for more data")
    except h11.RemoteProtocolError as exc:
        return ("error", str(exc)), []
    switched = conn.their_state is h11.SWITCHED_PROTOCOL
    reusable = (
        conn.our_state is h11.DONE
        and conn.their_state is h11.DONE
        and conn.trailing_data == (b"", False)
    )
    return (
        "ok",
        heads,
        b"".join(body),
        ended,
        conn.trailing_data[0] if switched else None,
        reusable,
    ), trailers


# --- The documented differences ------------------------------------------------

CONTROLS = re.compile(rb"[\x01-\x08\x0e-\x1f\x7f]")
BLANKS = re.compile(rb"[ \t]+")
FOLD = re.compile(rb"\n[ \t]")


def h11_form(fields: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Header fields as h11 reports them (see its normalize_and_validate)."""
    result = []
    seen_length = False
    for name, value in fields:
        lowered = name.lower()
        if lowered == b"content-length":
            if seen_length:
                continue
            seen_length = True
            value = {item.strip() for item in value.split(b",")}.pop()
        elif lowered == b"transfer-encoding":
            value = value.lower()
        result.append((name, value))
    return result


def bodiless(request: str, status: int) -> bool:
    return (
        request == "HEAD"
        or status in (204, 304)
        or (request == "CONNECT" and 200 <= status < 300)
    )


def expected_wire_outcome(
    request: str,
    data: bytes,
    h11_outcome: Outcome,
    trailers: list[tuple[bytes, bytes]],
) -> Outcome:
    """h11's outcome, with the documented differences applied."""
    if h11_outcome[0] == "error":
        return ("error",)
    _, heads, body, ended, trailing, reusable = h11_outcome
    for _, reason, fields, version in heads:
        if (
            not version.startswith(b"1.")
            or len(fields) > wire_module.MAX_RESPONSE_HEADERS
            or CONTROLS.search(reason)
            or any(CONTROLS.search(value) for _, value in fields)
        ):
            return ("error",)
    if any(CONTROLS.search(value) for _, value in trailers):
        return ("error",)
    if heads and heads[-1][0] >= 200 and not bodiless(request, heads[-1][0]):
        names = {name.lower() for name, _ in heads[-1][2]}
        if {b"content-length", b"transfer-encoding"} <= names:
            reusable = False
    return ("ok", normalize_heads(heads, data), body, ended, trailing, reusable)


def normalize_heads(heads: list[typing.Any], data: bytes) -> list[typing.Any]:
    folded = FOLD.search(data) is not None
    result = []
    for status, reason, fields, version in heads:
        fields = h11_form(fields)
        if folded:
            fields = [(name, BLANKS.sub(b" ", value)) for name, value in fields]
        result.append((status, reason, fields, version))
    return result


def check_agreement(request: str, data: bytes, cuts: typing.Iterable[int], eof: bool):
    pieces = split(data, cuts)
    ours = run_wire(request, pieces, eof)
    reference, trailers = run_h11(request, pieces, eof)
    expected = expected_wire_outcome(request, data, reference, trailers)
    if ours[0] == "error":
        assert expected == ("error",), (ours, reference)
        return
    if (
        expected == ("error",)
        and "illegal request line" in reference[1]
        and not ours[3]
        and not eof
    ):
        # h11 refused an incomplete head by its first byte; the wire waits
        # for more, and refuses it when the stream ends.
        assert run_wire(request, pieces, True)[0] == "error", ours
        return
    assert expected != ("error",), (ours, reference)
    ok, heads, body, ended, trailing, reusable = ours
    if FOLD.search(data):
        heads = [
            (s, r, [(n, BLANKS.sub(b" ", v)) for n, v in h11_form(f)], v_)
            for s, r, f, v_ in heads
        ]
    else:
        heads = [(s, r, h11_form(f), v_) for s, r, f, v_ in heads]
    assert (ok, heads, body, ended, trailing, reusable) == expected, reference


# --- Generating responses ------------------------------------------------------

TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
VCHAR = bytes(range(0x21, 0x7F)) + b"\x80\xa0\xff"
MUTATION_BYTES = b"\r\n\t :;,09af\x00\x7f\x80\xff"

FRAMING_LINES = [
    b"Content-Length: 3\r\n",
    b"Content-Length: 0\r\n",
    b"Content-Length: 3, 3\r\n",
    b"Content-Length: 3, 4\r\n",
    b"Content-Length: ,\r\n",
    b"Content-Length: 0x3\r\n",
    b"Content-Length: 99999999999999999999999\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: Chunked\r\n",
    b"Transfer-Encoding: gzip, chunked\r\n",
    b"Transfer-Encoding: identity\r\n",
    b"Connection: close\r\n",
    b"HTTP/1.1 200 OK\r\n",
    b"\r\n",
]
FRAMING_FIELDS = [line.rstrip(b"\r\n") for line in FRAMING_LINES[:12]]


names = st.one_of(
    st.sampled_from([b"Server", b"Content-Type", b"set-cookie", b"X-A", b"Via"]),
    st.text(TOKEN, min_size=1, max_size=6).map(str.encode),
)
ows = st.sampled_from([b"", b" ", b"\t", b"  ", b" \t"])
words = st.lists(st.sampled_from(VCHAR), min_size=1, max_size=6).map(bytes)
values = st.lists(
    st.tuples(words, st.sampled_from([b" ", b"\t", b"  "])), max_size=3
).map(lambda parts: b"".join(w + s for w, s in parts).rstrip(b" \t"))
eols = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n"])


@st.composite
def header_block(draw: st.DrawFn, framing: list[bytes]) -> bytes:
    """Header lines (each with its line end), framing ones mixed in."""
    lines = [
        name + b":" + draw(ows) + value + draw(ows)
        for name, value in draw(st.lists(st.tuples(names, values), max_size=4))
    ]
    fold: bool = draw(st.booleans())
    if lines and fold:
        lines[-1] += draw(ows) + draw(eols) + draw(st.sampled_from([b" ", b"\t"]))
        lines[-1] += draw(values)  # obs-fold
    for line in framing:
        lines.insert(draw(st.integers(0, len(lines))), line)
    return b"".join(line + draw(eols) for line in lines)


@st.composite
def status_line(draw: st.DrawFn, status: int) -> bytes:
    version = draw(st.sampled_from([b"1.1", b"1.1", b"1.1", b"1.0", b"1.2", b"2.0"]))
    reason = draw(
        st.sampled_from(
            [
                b"",
                b" OK",
                b" Not Found",
                b" ",
                b"  two  spaces",
                b" \xe9t\xe9",
                b" tab\there",
                b" : ; ,",
            ]
        )
    )
    return b"HTTP/" + version + b" %d" % status + reason + draw(eols)


@st.composite
def chunked_body(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """The encoded body and what it decodes to."""
    chunks = draw(st.lists(st.binary(min_size=1, max_size=12), max_size=4))
    out = []
    for chunk in chunks:
        size = draw(st.sampled_from([b"%x", b"%X", b"0%x"])) % len(chunk)
        ext = draw(st.sampled_from([b"", b";a=b", b"; name", b';q="x;y"', b" "]))
        out.append(size + ext + b"\r\n" + chunk + b"\r\n")
    out.append(draw(st.sampled_from([b"0", b"000", b"0;end"])) + b"\r\n")
    trailer_framing = draw(
        st.lists(st.sampled_from([b"X-Checksum: abc", *FRAMING_FIELDS]), max_size=2)
    )
    out.append(draw(header_block(trailer_framing)) + draw(eols))
    return b"".join(out), b"".join(chunks)


@st.composite
def responses(draw: st.DrawFn) -> tuple[str, bytes, bool]:
    """A request kind, a well-formed response stream to it, and whether the
    stream ends after it."""
    request = draw(st.sampled_from(sorted(REQUESTS)))
    data = b""
    for status in draw(st.lists(st.sampled_from([100, 102, 103]), max_size=2)):
        info_framing = draw(st.lists(st.sampled_from(FRAMING_FIELDS), max_size=1))
        data += draw(status_line(status))
        data += draw(header_block(info_framing)) + draw(eols)
    finals = [200, 201, 204, 304, 404, 500]
    if request == "UPGRADE":
        finals.append(101)
    status = draw(st.sampled_from(finals))
    framing = draw(st.sampled_from(["length", "chunked", "close", "none"]))
    payload = draw(st.binary(max_size=24))
    fields: list[bytes] = []
    if framing == "length":
        fields.append(b"Content-Length: %d" % len(payload))
        body = payload
    elif framing == "chunked":
        fields.append(b"Transfer-Encoding: chunked")
        body, payload = draw(chunked_body())
    else:
        body = payload if framing == "close" else b""
    if draw(st.booleans()):
        fields.append(
            b"Connection: " + draw(st.sampled_from([b"close", b"keep-alive"]))
        )
    data += draw(status_line(status)) + draw(header_block(fields)) + draw(eols)
    if status == 101 or not bodiless(request, status):
        data += body
    if draw(st.booleans()):
        data += draw(st.sampled_from([b"", b"HTTP/1.1 200 OK\r\n\r\n", b"x", b"\r\n"]))
    return request, data, framing == "close" or draw(st.booleans())


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes, bool]:
    request, data, eof = draw(responses())
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "line"]))
        if kind == "line":
            # A framing header (or a line that ends the head early) put at a
            # line start, so that it is read as a whole line.
            starts = [0] + [m.end() for m in re.finditer(rb"\n", data)]
            where = draw(st.sampled_from(starts))
            data = data[:where] + draw(st.sampled_from(FRAMING_LINES)) + data[where:]
        elif kind == "insert":
            new = bytes([draw(st.sampled_from(MUTATION_BYTES))])
            data = data[:where] + new + data[where:]
        elif where < len(data):
            new = b""
            if kind == "replace":
                new = bytes([draw(st.sampled_from(MUTATION_BYTES))])
            data = data[:where] + new + data[where + 1 :]
    return request, data, eof


def cuts_for(data: bytes) -> st.SearchStrategy[list[int]]:
    every_byte = st.just(list(range(len(data) + 1)))
    some = st.lists(st.integers(0, len(data)), max_size=6)
    return st.one_of(some, some, every_byte)


# --- The tests -----------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_wire_and_h11_agree_on_well_formed_responses(data: st.DataObject) -> None:
    request, stream, eof = data.draw(responses())
    check_agreement(request, stream, data.draw(cuts_for(stream)), eof)


@SETTINGS
@given(st.data())
def test_wire_and_h11_agree_on_mutated_responses(data: st.DataObject) -> None:
    request, stream, eof = data.draw(mutated())
    check_agreement(request, stream, data.draw(cuts_for(stream)), eof)


@SETTINGS
@given(
    st.sampled_from(sorted(REQUESTS)),
    st.lists(st.sampled_from(FRAMING_LINES[:12]), min_size=1, max_size=3),
    st.sampled_from([200, 204, 304, 404]),
    st.sampled_from([b"", b"abc", b"3\r\nabc\r\n0\r\n\r\n", b"abcdef"]),
    st.booleans(),
    st.lists(st.integers(0, 80), max_size=4),
)
def test_wire_and_h11_agree_on_duplicated_and_conflicting_framing(
    request: str,
    framing: list[bytes],
    status: int,
    body: bytes,
    eof: bool,
    cuts: list[int],
) -> None:
    stream = b"HTTP/1.1 %d OK\r\n" % status + b"".join(framing) + b"\r\n" + body
    check_agreement(request, stream, cuts, eof)


# Each documented difference, shown once on a fixed input: a change in either
# parser that removes one shows here.
@pytest.mark.parametrize(
    ("request_kind", "stream", "wire_message"),
    [
        ("GET", b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", "not HTTP/1.x"),
        ("GET", b"HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n", "status line"),
        ("GET", b"HTTP/1.1 200 OK\r\nA: \x7f\r\nContent-Length: 0\r\n\r\n", "header"),
        (
            "GET",
            b"HTTP/1.1 200 OK\r\n" + b"A: b\r\n" * 101 + b"Content-Length: 0\r\n\r\n",
            "MAX_RESPONSE_HEADERS=100",
        ),
        (
            "GET",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"0\r\nA: \x1f\r\n\r\n",
            "trailer",
        ),
    ],
)
def test_documented_difference_wire_refuses_what_h11_accepts(
    request_kind: str, stream: bytes, wire_message: str
) -> None:
    assert run_h11(request_kind, [stream], False)[0][0] == "ok"
    ours = run_wire(request_kind, [stream], False)
    assert ours[0] == "error" and wire_message in ours[1], ours


def test_documented_difference_wire_does_not_reuse_after_length_and_chunked() -> None:
    stream = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n3\r\nabc\r\n0\r\n\r\n"
    )
    reference, _ = run_h11("GET", [stream], False)
    ours = run_wire("GET", [stream], False)
    assert reference[2:4] == ours[2:4] == (b"abc", True)
    assert reference[5] is True and ours[5] is False


def test_documented_difference_obs_fold_takes_the_blanks_before_it() -> None:
    stream = b"HTTP/1.1 200 OK\r\nA: x \t\r\n  y\r\nContent-Length: 0\r\n\r\n"
    assert run_h11("GET", [stream], False)[0][1][0][2][0] == (b"A", b"x \t y")
    assert run_wire("GET", [stream], False)[1][0][2][0] == (b"A", b"x y")


def test_both_refuse_a_101_without_upgrade() -> None:
    stream = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"
    assert run_h11("GET", [stream], False)[0][0] == "error"
    ours = run_wire("GET", [stream], False)
    assert ours[0] == "error" and "did not ask to upgrade" in ours[1], ours


def test_documented_difference_wire_refuses_a_request_with_length_and_chunked() -> None:
    # h11 sends it (chunked); RFC 9112 6.2 forbids a sender to: a proxy
    # could frame it either way.
    headers = [
        (b"Host", b"a"),
        (b"Content-Length", b"3"),
        (b"Transfer-Encoding", b"chunked"),
    ]
    conn = h11.Connection(h11.CLIENT)
    assert conn.send(h11.Request(method="POST", target="/", headers=headers))
    with pytest.raises(LocalProtocolError, match="both Content-Length"):
        ClientWire().start_request(b"POST", b"/", headers)
