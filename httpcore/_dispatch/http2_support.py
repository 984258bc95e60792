"""
The parts of the HTTP/2 protocol (`http2.py`) that stand on their own: its
h2 connection, the record of one request, the guard around h2, the response
body, and the conversion of request headers.
"""

from __future__ import annotations

import logging
import threading
import typing

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from h2.errors import ErrorCodes
from hyperframe.frame import DataFrame, Frame, GoAwayFrame, HeadersFrame

from .._content import ByteStream
from .._exceptions import ReadTimeout, RemoteProtocolError, TransportError
from .._models import Request
from .http11 import EXPECT_100_TIMEOUT, IDEMPOTENT, StaleConnection
from .trace import report, trace

logger = logging.getLogger("httpcore.http2")

if typing.TYPE_CHECKING:  # pragma: no cover
    from h2._typing import Buffer

    from .http2 import HTTP2Protocol

# Hop-by-hop headers have no place in HTTP/2 (RFC 9113 8.2.2); Host becomes
# `:authority`.
DROPPED_HEADERS = frozenset(
    {
        b"connection",
        b"host",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"upgrade",
    }
)


# Responses that never have a body (RFC 9110 6.4.1).
NO_CONTENT_STATUS = frozenset({b"204", b"304"})
MAX_INFORMATIONAL = 100  # 1xx responses allowed before the final one

StreamEvent = typing.Union[
    h2.events.ResponseReceived,
    h2.events.InformationalResponseReceived,
    h2.events.DataReceived,
    h2.events.TrailersReceived,
    h2.events.StreamEnded,
    h2.events.StreamReset,
]
STREAM_EVENTS = (
    h2.events.ResponseReceived,
    h2.events.InformationalResponseReceived,
    h2.events.DataReceived,
    h2.events.TrailersReceived,
    h2.events.StreamEnded,
    h2.events.StreamReset,
)


class H2Connection(h2.connection.H2Connection):
    """
    h2's connection, except that a GOAWAY does not end it on the spot.

    h2 closes its whole state machine on GOAWAY (python-hyper/h2#1181), which
    would fail the streams the server promised to finish. RFC 9113 6.8 lets
    them complete: here the frame only reports `ConnectionTerminated`, and
    the protocol opens no new stream afterwards.
    """

    def __init__(self, config: h2.config.H2Configuration) -> None:
        super().__init__(config=config)
        self._preface: bytearray | None = bytearray()  # first bytes, until checked

    def receive_data(self, data: Buffer) -> list[h2.events.Event]:
        if self._preface is not None:
            self._check_preface(data)
        events = super().receive_data(data)
        # h2 checks a frame's length once the whole frame has arrived: a peer
        # that does not speak HTTP/2 would have it buffer up to 16 MiB first.
        pending = self.incoming_buffer._data
        if len(pending) >= 3:
            length = int.from_bytes(pending[:3], "big")
            if length > self.max_inbound_frame_size:
                self._terminate_connection(ErrorCodes.FRAME_SIZE_ERROR)
                raise h2.exceptions.FrameTooLargeError(
                    f"Received a frame of {length} bytes, more than the "
                    f"{self.max_inbound_frame_size} allowed."
                )
        return events

    def _check_preface(self, data: Buffer) -> None:
        """RFC 9113 3.4: the server's preface is a SETTINGS frame."""
        assert self._preface is not None
        head = self._preface
        head += memoryview(data)[: 9 - len(head)]
        # Type SETTINGS, no ACK flag, stream 0: as far as the bytes go.
        if (
            (len(head) > 3 and head[3] != 0x04)
            or (len(head) > 4 and head[4] & 0x01)
            or any(head[5:9])
        ):
            self._preface = None
            raise h2.exceptions.ProtocolError(
                "The server did not answer in HTTP/2 (its first frame is not "
                f"SETTINGS): it sent {bytes(memoryview(data)[:32])!r}"
            )
        if len(head) == 9:
            self._preface = None

    def _receive_goaway_frame(
        self, frame: GoAwayFrame
    ) -> tuple[list[Frame], list[h2.events.Event]]:
        event = h2.events.ConnectionTerminated()
        try:
            event.error_code = ErrorCodes(frame.error_code)
        except ValueError:
            event.error_code = frame.error_code
        event.last_stream_id = frame.last_stream_id
        event.additional_data = frame.additional_data or None
        return [], [event]

    # A response whose body does not match its content-length, or a body on
    # a 204, a 304 or a HEAD response, is malformed: RFC 9113 8.1.1 makes that
    # an error of its stream, where h2 ends the whole connection.

    def _receive_headers_frame(
        self, frame: HeadersFrame
    ) -> tuple[list[Frame], list[h2.events.Event]]:
        frames, events = super()._receive_headers_frame(frame)
        for event in events:
            if isinstance(event, h2.events.ResponseReceived) and not (
                event.stream_ended
            ):
                status = next((v for k, v in event.headers if k == b":status"), b"")
                if status in NO_CONTENT_STATUS:
                    # h2 expects a body as long as the content-length (which
                    # here describes another response) or any body at all.
                    self.streams[frame.stream_id]._expected_content_length = 0
        return frames, events

    def _receive_data_frame(
        self, frame: DataFrame
    ) -> tuple[list[Frame], list[h2.events.Event]]:
        try:
            return super()._receive_data_frame(frame)
        except h2.exceptions.InvalidBodyLengthError as exc:
            stream_id = frame.stream_id
            frames = self.streams[stream_id].reset_stream(ErrorCodes.PROTOCOL_ERROR)
            # Nobody reads this frame: hand its share of the window back.
            self.acknowledge_received_data(frame.flow_controlled_length, stream_id)
            event = MalformedResponse(
                stream_id=stream_id,
                error_code=ErrorCodes.PROTOCOL_ERROR,
                remote_reset=False,
            )
            event.reason = (
                f"{exc.actual_length} bytes of body where "
                f"{exc.expected_length} were expected"
            )
            return frames, [event]


class MalformedResponse(h2.events.StreamReset):
    """The stream reset because its response broke the rules (PROTOCOL_ERROR)."""

    reason = ""


class Exchange:
    """One request on the connection: its stream and how far it got."""

    __slots__ = (
        "done",
        "expect_continue",
        "idempotent",
        "informational",
        "request",
        "responded",
        "reused",
        "sent_all",
        "stream_id",
    )

    def __init__(self, request: Request) -> None:
        self.request = request
        self.stream_id: int | None = None
        self.idempotent = request.method in IDEMPOTENT
        body = request.stream
        self.expect_continue = (
            not (isinstance(body, ByteStream) and not body._data)
            and (request.headers.get("expect") or "").strip().lower() == "100-continue"
        )
        self.reused = False  # a response had completed on the connection before
        self.sent_all = False
        self.responded = False
        self.done = False  # its slot is given back (or queued to be)
        self.informational = 0  # 1xx responses received


class Guard:
    """
    `with protocol._guard:` holds the lock around h2. On leaving, the streams
    queued by `_forget` meanwhile are finished and, unlocked, the pool is told
    of slots given back and of capacity changes. Nothing here ever blocks on
    the lock except `__enter__`: a finalizer may run while its own thread
    holds it.
    """

    __slots__ = ("_protocol", "raw")

    def __init__(self, protocol: HTTP2Protocol) -> None:
        self._protocol = protocol
        self.raw = threading.Lock()

    def __enter__(self) -> None:
        self.raw.acquire()

    def __exit__(self, *args: object) -> None:
        self.raw.release()
        self.try_drain()

    def try_drain(self) -> None:
        protocol = self._protocol
        while (
            protocol._deferred or protocol._streams_done or protocol._capacity_changed
        ) and self.raw.acquire(blocking=False):
            try:
                protocol._drain_deferred()
                done, protocol._streams_done = protocol._streams_done, 0
                changed = protocol._capacity_changed
                protocol._capacity_changed = False
            finally:
                self.raw.release()
            if changed:
                protocol._on_capacity_changed()
            for _ in range(done):
                protocol._on_stream_done()


class HTTP2Body:
    """
    The body of one HTTP/2 response, as an async byte stream.

    Reading it to the end, closing it, an error, or dropping it unread gives
    the stream's slot back; the connection serves other streams throughout.
    """

    __slots__ = ("__weakref__", "_exchange", "_protocol", "_step", "_timeout")

    def __init__(
        self, protocol: HTTP2Protocol, exchange: Exchange, timeout: float | None
    ) -> None:
        self._protocol = protocol
        self._exchange = exchange
        self._timeout = timeout
        self._step: typing.Any = None  # the receive_response_body trace, once begun

    def __aiter__(self) -> HTTP2Body:
        return self

    def _info(self) -> dict[str, typing.Any]:
        exchange = self._exchange
        return {"request": exchange.request, "stream_id": exchange.stream_id}

    async def __anext__(self) -> bytes:
        protocol, exchange = self._protocol, self._exchange
        if exchange.done:
            raise StopAsyncIteration
        if self._step is None:
            self._step = trace(
                "http2.receive_response_body", logger, exchange.request, self._info()
            )
            await self._step.__aenter__()
        try:
            data = await protocol.read_body(exchange, self._timeout)
        except BaseException as exc:
            protocol._forget(exchange, complete=False)
            await self._step.__aexit__(type(exc), exc, None)
            raise
        if not data:
            await self._step.__aexit__(None, None, None)
            raise StopAsyncIteration
        return data

    async def aclose(self) -> None:
        exchange = self._exchange
        async with trace(
            "http2.response_closed", logger, exchange.request, self._info()
        ):
            if not exchange.done:
                self._protocol._forget(exchange, complete=False)
                try:
                    await self._protocol._flush()  # send the reset now
                except Exception:
                    pass

    def __del__(self) -> None:
        # Dropped without being read or closed: give the slot back.
        if not self._exchange.done:
            self._protocol._forget(self._exchange, complete=False)


async def refused_body(protocol: HTTP2Protocol, exchange: Exchange) -> bool:
    """
    `Expect: 100-continue`: wait for the server's first answer. True when
    it is a final response (do not send the body); False after a 100, or
    when `expect_100_timeout` passes first.
    """
    stream_id = typing.cast(int, exchange.stream_id)
    queue = protocol._queues[stream_id]
    request = exchange.request
    wait = request.extensions.get("expect_100_timeout", EXPECT_100_TIMEOUT)
    try:
        await protocol._wait_for(
            lambda: bool(queue) or protocol._stream_failed(stream_id),
            wait,
            ReadTimeout,
        )
    except ReadTimeout:
        return False
    first = queue[0] if queue else None
    if isinstance(first, h2.events.InformationalResponseReceived):
        queue.popleft()
        await report_informational(exchange, first)
        return False
    return isinstance(first, h2.events.ResponseReceived)


async def report_informational(
    exchange: Exchange, event: h2.events.InformationalResponseReceived
) -> None:
    """A 1xx response on the stream: skipped, and reported to `trace`."""
    exchange.responded = True  # the server has the request
    status = next((int(v) for k, v in event.headers if k == b":status"), 0)
    if status == 101:
        # RFC 9113 8.6: HTTP/2 has no protocol switch.
        raise RemoteProtocolError("Malformed HTTP/2 response: status 101.")
    exchange.informational += 1
    if exchange.informational > MAX_INFORMATIONAL:
        # A server could otherwise hold the request forever with 1xx.
        raise RemoteProtocolError(
            f"More than {MAX_INFORMATIONAL} informational (1xx) responses."
        )
    await report(
        "http2.receive_informational_response",
        logger,
        exchange.request,
        {
            "request": exchange.request,
            "stream_id": exchange.stream_id,
            "status_code": status,
            "headers": [(k, v) for k, v in event.headers if k[:1] != b":"],
        },
    )


def request_headers(request: Request) -> list[tuple[bytes, bytes]]:
    url = request.url
    authority = b""
    fields = []
    for name, value in request.headers.raw_lower:
        if name in DROPPED_HEADERS:
            if name == b"host" and not authority:
                authority = value
            continue
        if name == b"te" and value.strip().lower() != b"trailers":
            continue
        fields.append((name, value))
    if not authority:
        authority = url.netloc_for_host_header.encode("ascii")
    target = request.extensions.get("target") or url.raw_path
    if isinstance(target, str):
        target = target.encode("ascii")
    return [
        (b":method", request.method.encode("ascii")),
        (b":authority", authority),
        (b":scheme", url.scheme.encode("ascii")),
        (b":path", target),
        *fields,
    ]


def stream_error(protocol: HTTP2Protocol, exchange: Exchange) -> Exception:
    """Why the stream cannot go on, as the exception to raise."""
    last = protocol._last_stream_id
    stream_id = exchange.stream_id
    if last is not None and (stream_id is None or stream_id > last):
        refused = RemoteProtocolError(
            "The server is closing the HTTP/2 connection (GOAWAY) and did "
            "not process the request."
        )
        # Sent again elsewhere, unless the server answered it after all.
        return refused if exchange.responded else StaleConnection(refused)
    assert protocol._error is not None
    error = copy_error(protocol._error)
    # As over HTTP/1.1: a connection that had served a response and then
    # broke before answering most likely went stale while idle.
    unanswered = not exchange.responded and (
        exchange.idempotent or not exchange.sent_all
    )
    if stream_id is None or (exchange.reused and unanswered):
        return StaleConnection(error)
    return error


def copy_error(error: TransportError) -> TransportError:
    """A fresh exception per stream, chained to the connection's failure."""
    copy = type(error)(str(error))
    copy.__cause__ = error
    return copy


def reset_message(event: h2.events.StreamReset) -> str:
    """What a reset of the stream says to the user."""
    name = error_name(event.error_code)
    if isinstance(event, MalformedResponse):
        return f"Malformed HTTP/2 response: {event.reason} ({name})."
    if not event.remote_reset:
        # h2 reset it: the server broke a rule of the stream (flow control...).
        return f"The server broke HTTP/2's rules on the stream ({name})."
    return f"The server reset the HTTP/2 stream ({name})."


def error_name(code: int) -> str:
    try:
        return ErrorCodes(code).name
    except ValueError:
        return hex(code)
