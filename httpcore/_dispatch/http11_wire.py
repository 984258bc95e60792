"""
The HTTP/1.1 wire format of a client, sans-IO: requests to bytes, bytes to
responses. Nothing here does I/O; `http11.py` pumps bytes between a
`ClientWire` and a network stream.

How it works. One `ClientWire` serves one connection, one exchange at a
time. Each side of the exchange is in a named state:

    our side    IDLE -> SEND_BODY -> DONE
    their side  RECV_HEAD -> RECV_BODY -> DONE
                          `-> SWITCHED (a 101, or a 2xx to CONNECT: not HTTP now)
                any -> ERROR (the connection can only be closed)

`start_request` turns a request head into bytes and fixes how its body is
framed (Content-Length, chunked, or none); `send_data` and `send_end` frame
the body. `receive_data` takes what the stream read (`b""` at its end), and
each `next_event` returns one of: `NEED_DATA`; a response head, as a `Head`
tuple (informational ones too: the caller skips them); a piece of body, as
`bytes`; or `END` when the body is complete. When both sides are DONE and
the connection may be kept alive, `start_next_cycle` begins the next
exchange.

It is a purpose-built replacement for h11 on the hot path: the same grammar
(RFC 9110 and 9112, as strict as h11 0.16, which the tests use as a
reference), at a fraction of the cost per request, because a client needs
only half of h11's state machine and a response head can be checked with a
few whole-head scans instead of one per field. Every error is an httpcore
exception: `RemoteProtocolError` for what the server sent, and
`LocalProtocolError` for a request that cannot be framed.

Limits on what a server may send: a response head, or a chunk header or
trailer section, larger than `MAX_HEADER_BYTES` (exact, however the bytes
arrive); more than `MAX_RESPONSE_HEADERS` header fields (as http.client);
an HTTP version other than 1.x. Framing fields are checked in every head
(1xx too) and in trailers, as h11 does; controls other than HTAB are
refused anywhere in a head (RFC 9110 5.5; h11 lets most of them through).
"""

from __future__ import annotations

import re
import typing

from .._exceptions import LocalProtocolError, RemoteProtocolError

MAX_HEADER_BYTES = 100 * 1024
MAX_RESPONSE_HEADERS = 100

# The response head: status, reason, headers, HTTP version (b"1.1").
Head = tuple[int, bytes, list[tuple[bytes, bytes]], bytes]


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NEED_DATA = _Sentinel("NEED_DATA")
END = _Sentinel("END")
Event = typing.Union[Head, bytes, _Sentinel]

# The states (see the module docstring).
IDLE = "IDLE"
SEND_BODY = "SEND_BODY"
RECV_HEAD = "RECV_HEAD"
RECV_BODY = "RECV_BODY"
DONE = "DONE"
SWITCHED = "SWITCHED"
ERROR = "ERROR"

# How a body is delimited.
_LENGTH = 0  # by Content-Length (or empty: a length of 0)
_CHUNKED = 1
_CLOSE = 2  # by the end of the connection (responses only)

# Used with `fullmatch`: a `$` would also match before a final "\n".
_STATUS_LINE = re.compile(
    rb"HTTP/([0-9]\.[0-9]) ([0-9]{3})(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?"
)
# The value's own spaces stay; those around it go (no lazy `.*?` before
# `[ \t]*`, which would backtrack quadratically over a run of spaces).
_FIELD = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*[^ \t])?[ \t]*")
# What no head may hold anywhere: controls other than tab, CR and LF (CR and
# LF are checked where lines are split).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every field line of a plain head at once (see `_quick_head`).
_FIELDS = re.compile(rb"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\r\n]*)\r\n", re.M)
_BLANK_LINE = re.compile(rb"\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")
_CHUNK_HEADER = re.compile(rb"([0-9A-Fa-f]{1,20})(?:;.*)?[ \t]*")
_DIGITS = re.compile(rb"[0-9]{1,20}")
_NO_BODY_STATUS = (204, 304)


def _head_lines(head: bytes) -> tuple[list[bytes], bool]:
    """
    A head (without its blank line) split into lines, which end in CRLF or a
    bare LF; and whether every byte is allowed, so no line needs a look.
    """
    crlf = head.count(b"\r\n")
    if head.count(b"\n") == crlf and head.count(b"\r") == crlf:
        # The common case: every line ends in CRLF; no CR or LF stands alone.
        return head.split(b"\r\n"), _CONTROL.search(head) is None
    return _LINE_END.split(head), False


def _find_head_end(buffer: bytes, start: int = 0) -> tuple[int, int]:
    """
    Where the head ends and where what follows it starts, or (-1, -1). No
    blank line starts before `start` (an earlier search looked there).
    """
    end = buffer.find(b"\r\n\r\n", start)
    # The first CRLF CRLF ends the head unless a blank line with a bare LF
    # comes before it.
    if (
        end >= 0
        and buffer.find(b"\n\n", start, end) < 0
        and buffer.find(b"\n\r\n", start, end + 2) < 0
    ):
        return end, end + 4
    # A bare LF ends a line too (RFC 9112 2.2).
    match = _BLANK_LINE.search(buffer, start)
    if match is None:
        return -1, -1
    start = match.start()
    return (start - 1 if start and buffer[start - 1] == 13 else start), match.end()


def _quick_head(
    head: bytes, buffer: bytes, end: int
) -> tuple[bytes, list[tuple[bytes, bytes]] | None]:
    """
    The status line and header fields of a plain head, in a few scans of the
    whole head instead of a regex per line; None for the fields when the head
    is not plain (a bare CR or LF, a control character, a fold, a malformed
    line, or OWS to strip at a line's end), which `_head` then reads line by
    line, with the error that names the line.
    """
    crlf = head.count(b"\r\n")
    if (
        head.count(b"\n") != crlf
        or head.count(b"\r") != crlf
        or _CONTROL.search(head) is not None
    ):
        return b"", None
    if not crlf:
        return head, []
    line_end = head.find(b"\r\n")
    block = buffer[line_end + 2 : end + 2]  # each field line, with its CRLF
    fields: list[tuple[bytes, bytes]] = _FIELDS.findall(block)
    # One match per line (each match starts a line and ends with its CRLF):
    # any other line would leave one missing.
    if len(fields) != crlf or b" \r\n" in block or b"\t\r\n" in block:
        return b"", None
    return head[:line_end], fields


def _check_lines(lines: list[bytes], what: str) -> None:
    """Refuse a line holding a control character or a CR that stands alone."""
    for line in lines:
        if b"\r" in line or _CONTROL.search(line):
            raise RemoteProtocolError(
                f"The server sent an illegal {what} line: {line!r}."
            )


def parse_fields(lines: list[bytes], what: str = "header") -> list[tuple[bytes, bytes]]:
    """
    Header (or trailer) lines as (name, value) pairs, obs-fold unfolded. The
    lines hold no control characters (see `_check_lines`).
    """
    fields: list[tuple[bytes, bytes]] = []
    append = fields.append
    for line in lines:
        match = _FIELD.fullmatch(line)
        if match is not None:
            append(match.groups(b""))  # type: ignore[arg-type]
        elif line[:1] in (b" ", b"\t"):
            # RFC 9112 5.2: obs-fold; a recipient replaces it with one SP.
            if not fields:
                raise RemoteProtocolError(
                    f"The server sent a continuation line at start of {what}s: "
                    f"{line!r}."
                )
            name, value = fields[-1]
            # The OWS before the fold goes with it; an empty side adds no SP.
            folded = line.strip(b" \t")
            if folded:
                fields[-1] = (name, value + b" " + folded if value else folded)
        else:
            raise RemoteProtocolError(
                f"The server sent an illegal {what} line: {line!r}."
            )
    return fields


def _comma_tokens(value: bytes) -> list[bytes]:
    return [token.strip(b" \t").lower() for token in value.split(b",")]


def _framing_fields(
    headers: list[tuple[bytes, bytes]],
) -> tuple[bytes | None, bool, bool]:
    """
    The Content-Length (one value), whether Transfer-Encoding is chunked, and
    whether Connection asks to close. These fields are refused when they are
    malformed wherever they come, in a 1xx head or a trailer section too.
    """
    length: bytes | None = None
    chunked = False
    close = False
    for name, value in headers:
        if len(name) not in (10, 14, 17):
            continue  # none of the names below
        lowered = name.lower()
        if lowered == b"content-length":
            number = value
            if b"," in value:  # a list of equal values is one value
                values = {item.strip(b" \t") for item in value.split(b",")}
                number = values.pop() if len(values) == 1 else b""
                if values:
                    raise RemoteProtocolError(
                        "The server sent conflicting Content-Length headers."
                    )
            if length is not None and number != length:
                raise RemoteProtocolError(
                    "The server sent conflicting Content-Length headers."
                )
            length = number
            if not _DIGITS.fullmatch(length):
                raise RemoteProtocolError(
                    f"The server sent a bad Content-Length: {value!r}."
                )
        elif lowered == b"transfer-encoding":
            if chunked or value.lower() != b"chunked":
                raise RemoteProtocolError(
                    f"The server sent Transfer-Encoding {value!r}. Only "
                    "Transfer-Encoding: chunked is supported."
                )
            chunked = True
        elif lowered == b"connection" and b"close" in _comma_tokens(value):
            close = True
    return length, chunked, close


class ClientWire:
    """The client side of HTTP/1.1 on one connection, with no I/O."""

    __slots__ = (
        "_buffer",
        "_chunk_left",
        "_eof",
        "_framing_doubtful",
        "_head_request",
        "_keep_alive",
        "_pos",
        "_receive_framing",
        "_receive_left",
        "_received",
        "_searched",
        "_send_framing",
        "_send_left",
        "_switch_on_2xx",
        "_switch_on_101",
        "our_state",
        "their_state",
    )

    def __init__(self) -> None:
        self._buffer = b""
        self._pos = 0  # where unread bytes start in the buffer (chunked only)
        self._eof = False
        # While a head, trailer section or chunk header is incomplete: how
        # far it was searched for its end, so that a server sending it a
        # byte at a time costs no search over the whole buffer per byte.
        self._searched = 0
        self.our_state = IDLE
        self.their_state = RECV_HEAD
        self._reset_exchange()

    def _reset_exchange(self) -> None:
        self._keep_alive = True
        self._framing_doubtful = False
        self._head_request = False
        self._switch_on_101 = False
        self._switch_on_2xx = False
        self._send_framing = _LENGTH
        self._send_left = 0
        self._receive_framing = _LENGTH
        self._receive_left = 0  # bytes left, in a body framed by length
        self._received = 0  # body bytes so far, for the error message
        self._chunk_left = -1  # in a chunked body: -1 awaits a chunk header

    # --- The request ---------------------------------------------------------

    def start_request(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
    ) -> bytes:
        """The request head, as bytes; fixes how the body will be framed."""
        if self.our_state is not IDLE:
            raise LocalProtocolError(
                "Cannot send a request while the last one is in state "
                f"{self.our_state}."
            )
        host = False
        length: bytes | None = None
        chunked = False
        for name, value in headers:
            if len(name) not in (4, 7, 10, 14, 17):
                continue  # none of the names below
            lowered = name.lower()
            if lowered == b"host":
                host = True
            elif lowered == b"content-length":
                if length is not None or not _DIGITS.fullmatch(value):
                    raise LocalProtocolError(
                        f"Cannot send a request with Content-Length {value!r}: "
                        "one whole number is needed."
                    )
                length = value
            elif lowered == b"transfer-encoding":
                if value.strip(b" \t").lower() != b"chunked" or chunked:
                    raise LocalProtocolError(
                        f"Cannot send Transfer-Encoding {value!r}: only "
                        "Transfer-Encoding: chunked is supported."
                    )
                chunked = True
            elif (
                lowered == b"connection"
                and b"close" in value.lower()
                and b"close" in _comma_tokens(value)
            ):
                self._keep_alive = False
            elif lowered == b"upgrade" and any(_comma_tokens(value)):
                self._switch_on_101 = True
        if not host:
            raise LocalProtocolError("Missing mandatory Host: header.")
        if chunked and length is not None:
            # RFC 9112 6.2: such a request could be framed two ways.
            raise LocalProtocolError(
                "Cannot send a request with both Content-Length and Transfer-Encoding."
            )
        parts = [method, b" ", target, b" HTTP/1.1\r\n"]
        for name, value in headers:
            parts += (name, b": ", value, b"\r\n")
        parts.append(b"\r\n")
        head = b"".join(parts)
        # The backstop against a header split in two (check_request refuses
        # one before any connection is picked): a line per field, no more.
        lines = len(headers) + 2
        if head.count(b"\n") != lines or head.count(b"\r") != lines:
            raise LocalProtocolError(
                "Cannot send a request whose method, target or headers hold CR or LF."
            )
        self._head_request = method == b"HEAD"
        self._switch_on_2xx = method == b"CONNECT"
        if chunked:
            self._send_framing = _CHUNKED
        else:
            self._send_framing = _LENGTH
            self._send_left = 0 if length is None else int(length)
        self.our_state = SEND_BODY
        return head

    def send_data(self, data: bytes) -> bytes:
        """One piece of the request body, framed."""
        if self.our_state is not SEND_BODY:
            raise LocalProtocolError(
                f"Cannot send body data in state {self.our_state}."
            )
        if self._send_framing is _CHUNKED:
            return b"%x\r\n%b\r\n" % (len(data), data) if data else b""
        if len(data) > self._send_left:
            self.our_state = ERROR
            raise LocalProtocolError("Too much data for declared Content-Length.")
        self._send_left -= len(data)
        return data

    def send_end(self) -> bytes:
        """The end of the request body: the last chunk, or nothing."""
        if self.our_state is not SEND_BODY:
            raise LocalProtocolError(
                f"Cannot end the request body in state {self.our_state}."
            )
        if self._send_framing is _CHUNKED:
            self.our_state = DONE
            return b"0\r\n\r\n"
        if self._send_left:
            self.our_state = ERROR
            raise LocalProtocolError(
                f"Too little data for declared Content-Length: "
                f"{self._send_left} bytes were never sent."
            )
        self.our_state = DONE
        return b""

    # --- The response --------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """What the stream read; `b""` when it ended."""
        if data:
            if self._pos:
                self._buffer, self._pos = self._buffer[self._pos :], 0
            self._buffer = self._buffer + data if self._buffer else data
        else:
            self._eof = True

    @property
    def trailing_data(self) -> bytes:
        """Bytes received past the end of the current response."""
        return self._buffer[self._pos :]

    @property
    def framed_by_length(self) -> bool:
        """Is the body being received delimited by Content-Length?"""
        return self.their_state is RECV_BODY and self._receive_framing is _LENGTH

    @property
    def length_left(self) -> int:
        """In a body framed by Content-Length: its bytes not yet returned by
        `next_event`, those received and buffered included."""
        return self._receive_left if self.framed_by_length else 0

    def take_buffered(self) -> bytes:
        """
        The bytes received and not yet parsed, handed over: the wire keeps
        none of them, so they must come back, in order and before anything
        read after them, through `receive_data`. (They may run past the end
        of the body when the server sent more.)
        """
        data = self._buffer[self._pos :]
        self._buffer, self._pos, self._searched = b"", 0, 0
        return data

    def next_event(self) -> Event:
        state = self.their_state
        try:
            if state is RECV_BODY:
                if self._receive_framing is _LENGTH:
                    return self._length_body()
                if self._receive_framing is _CHUNKED:
                    return self._chunked_body()
                return self._close_body()
            if state is RECV_HEAD:
                return self._head()
        except RemoteProtocolError:
            self.their_state = ERROR
            raise
        if state is DONE:
            return END
        raise RemoteProtocolError(f"Cannot read a response in state {state}.")

    def reusable(self) -> bool:
        """Can the next exchange start on this connection?"""
        return (
            self.our_state is DONE
            and self.their_state is DONE
            and self._keep_alive
            and not self._framing_doubtful
            and not self._eof
            # Bytes past the end of the response are no answer to anything:
            # never serve them as the next response.
            and not self._buffer
        )

    def start_next_cycle(self) -> None:
        if not self.reusable():
            raise LocalProtocolError("This connection cannot serve another request.")
        self.our_state = IDLE
        self.their_state = RECV_HEAD
        self._reset_exchange()

    # --- Heads ---------------------------------------------------------------

    def _head(self) -> Event:
        buffer = self._buffer
        end, rest = _find_head_end(buffer, self._searched)
        if end < 0:
            # A blank line (at most 4 bytes) may still start at len - 3.
            self._searched = max(0, len(buffer) - 3)
            # The limit is exact, whatever the reads: refused once no head of
            # MAX_HEADER_BYTES bytes or less can end in what follows.
            if len(buffer) > MAX_HEADER_BYTES + 3:
                raise RemoteProtocolError(
                    "The server sent a response head larger than the limit of "
                    f"MAX_HEADER_BYTES={MAX_HEADER_BYTES} bytes."
                )
            if self._eof:
                if buffer:
                    raise RemoteProtocolError(
                        "The server closed the connection in the middle of the "
                        "response head."
                    )
                raise RemoteProtocolError(
                    "The server closed the connection without sending a response."
                )
            return NEED_DATA
        self._searched = 0
        if end > MAX_HEADER_BYTES:
            raise RemoteProtocolError(
                "The server sent a response head larger than the limit of "
                f"MAX_HEADER_BYTES={MAX_HEADER_BYTES} bytes."
            )
        raw = buffer[:end]
        self._buffer = buffer[rest:]
        status_line, headers = _quick_head(raw, buffer, end)
        lines: list[bytes] = []
        if headers is None:  # an odd or broken head: line by line
            lines, clean = _head_lines(raw)
            status_line = lines[0]
        match = _STATUS_LINE.fullmatch(status_line)
        if match is None:
            raise RemoteProtocolError(
                f"The server sent an illegal status line: {status_line!r}."
            )
        version, code, reason = match.groups()
        status = int(code)
        if version[0] != 49:  # b"1"
            raise RemoteProtocolError(
                f"The server answered in HTTP/{version.decode()}, not HTTP/1.x."
            )
        if status < 100:
            raise RemoteProtocolError(
                f"The server sent an illegal status line: {status_line!r} "
                f"(the status_code {status} is below 100)."
            )
        if headers is None:
            del lines[0]
            if not clean:
                _check_lines(lines, "header")
            headers = parse_fields(lines)
        if len(headers) > MAX_RESPONSE_HEADERS:
            raise RemoteProtocolError(
                f"The server sent {len(headers)} header fields, more than the "
                f"limit of MAX_RESPONSE_HEADERS={MAX_RESPONSE_HEADERS}."
            )
        head = (status, reason or b"", headers, version)
        if status < 200:
            _framing_fields(headers)  # checked, as in any head
            if status == 101:
                if not self._switch_on_101:
                    raise RemoteProtocolError(
                        "The server switched protocols (101) though the request "
                        "did not ask to upgrade."
                    )
                self.their_state = SWITCHED
            return head  # informational: another head follows
        self._frame_response(status, headers, version)
        return head

    def _frame_response(
        self, status: int, headers: list[tuple[bytes, bytes]], version: bytes
    ) -> None:
        """RFC 9112 6.3: how the body of this response is delimited."""
        length, chunked, close = _framing_fields(headers)
        if close:
            self._keep_alive = False
        if version == b"1.0":
            # HTTP/1.0 closes unless told otherwise; a higher minor version
            # is read as 1.1 (RFC 9110 2.5).
            self._keep_alive = False
        self.their_state = RECV_BODY
        if self._switch_on_2xx and status < 300:
            self.their_state = SWITCHED
        elif self._head_request or status in _NO_BODY_STATUS:
            self._receive_left = 0
            self.their_state = DONE
        elif chunked:
            # Content-Length too: parsed as chunked (RFC 9112 6.3), but this
            # may be an attempt at smuggling, so the connection is not reused.
            self._framing_doubtful = length is not None
            self._receive_framing = _CHUNKED
        elif length is not None:
            self._receive_left = int(length)
            if not self._receive_left:
                self.their_state = DONE
        else:
            self._receive_framing = _CLOSE
            self._keep_alive = False

    # --- Bodies --------------------------------------------------------------

    def _length_body(self) -> Event:
        buffer = self._buffer
        left = self._receive_left
        if not buffer:
            if self._eof:
                raise RemoteProtocolError(
                    "The server closed the connection without sending complete "
                    f"message body: received {self._received} bytes, expected "
                    f"{self._received + left}."
                )
            return NEED_DATA
        if len(buffer) <= left:
            data = buffer
            self._buffer = b""
        else:
            data = buffer[:left]
            self._buffer = buffer[left:]
        left -= len(data)
        self._receive_left = left
        self._received += len(data)
        if not left:
            self.their_state = DONE
        return data

    def _close_body(self) -> Event:
        buffer = self._buffer
        if buffer:
            self._buffer = b""
            return buffer
        if self._eof:
            self.their_state = DONE
            return END
        return NEED_DATA

    def _chunked_body(self) -> Event:
        # `_chunk_left`: > 0 inside a chunk's data; -2 after it, awaiting its
        # CRLF; -1 awaiting a chunk header; 0 after the last chunk, awaiting
        # the trailer section and its blank line. Many chunks may wait in one
        # read: `_pos` walks through the buffer, which is cut only once it is
        # used up, never once per chunk.
        buffer = self._buffer
        pos = self._pos
        size = len(buffer)
        while True:
            left = self._chunk_left
            if left > 0:
                if pos == size:
                    self._buffer, self._pos = b"", 0
                    return self._need_more_chunked()
                end = min(pos + left, size)
                data = buffer if (pos, end) == (0, size) else buffer[pos:end]
                self._chunk_left = left - (end - pos) or -2
                if end == size:
                    self._buffer, self._pos = b"", 0
                else:
                    self._pos = end
                return data
            if left == -2:
                if buffer[pos : pos + 2] == b"\r\n":
                    pos += 2
                    self._chunk_left = -1
                    continue
                self._buffer, self._pos = buffer[pos:], 0
                if self._buffer not in (b"", b"\r"):
                    # Up to the first wrong byte: the same however it is read.
                    bad = self._buffer[: 2 if self._buffer[:1] == b"\r" else 1]
                    raise RemoteProtocolError(
                        "The server sent a malformed chunk footer: "
                        f"{bad!r} (expected b'\\r\\n')."
                    )
                return self._need_more_chunked()
            if left == -1:
                # While waiting for a chunk header, it starts at 0.
                end = buffer.find(b"\r\n", max(pos, self._searched - 1))
                if end < 0:
                    self._buffer, self._pos = buffer[pos:], 0
                    self._searched = size - pos
                    self._check_size(size - pos - 1)  # CR may be its end
                    return self._need_more_chunked()
                self._searched = 0
                self._check_size(end - pos)
                line = buffer[pos:end]
                match = _CHUNK_HEADER.fullmatch(line)
                if match is None:
                    raise RemoteProtocolError(
                        f"The server sent an illegal chunk header: {line!r}."
                    )
                pos = end + 2
                self._chunk_left = int(match.group(1), 16)
                continue
            # The last chunk was read: the trailer section is all that is left.
            buffer = buffer[pos:]
            self._buffer, self._pos = buffer, 0
            if buffer[:2] == b"\r\n" or buffer[:1] == b"\n":
                self._buffer = buffer[2 if buffer[:1] == b"\r" else 1 :]
                self.their_state = DONE
                return END
            end, rest = _find_head_end(buffer, self._searched)
            if end < 0:
                self._searched = max(0, len(buffer) - 3)
                self._check_size(len(buffer) - 3)  # see `_head`
                return self._need_more_chunked()
            self._searched = 0
            self._check_size(end)
            trailers, clean = _head_lines(buffer[:end])
            if not clean:
                _check_lines(trailers, "trailer")
            # Checked (framing fields too, as h11 does), then dropped.
            _framing_fields(parse_fields(trailers, "trailer"))
            self._buffer = buffer[rest:]
            self.their_state = DONE
            return END

    def _check_size(self, size: int) -> None:
        if size > MAX_HEADER_BYTES:
            raise RemoteProtocolError(
                "The server sent a chunk header or trailer larger than the limit "
                f"of MAX_HEADER_BYTES={MAX_HEADER_BYTES} bytes."
            )

    def _need_more_chunked(self) -> Event:
        if self._eof:
            raise RemoteProtocolError(
                "The server closed the connection without sending complete "
                "message body: incomplete chunked read."
            )
        return NEED_DATA
