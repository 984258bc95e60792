"""
HTTP/1.1 over one network stream.

This module only pumps bytes: `http11_wire.ClientWire` (sans-IO) turns a
request into bytes and bytes into response heads and body pieces, and
raises httpcore's own errors. One request at a time; when a response ends
cleanly the wire starts its next cycle and the connection can serve another.

Besides the plain exchange:

- Informational (1xx) responses are skipped, and reported to `trace` as
  `http11.receive_informational_response`; more than
  `MAX_INFORMATIONAL_RESPONSES` of them before the final response is an error.
- Limits on what a server may send: a response head, chunk header or
  trailer section larger than `MAX_HEADER_BYTES` bytes, more than
  `MAX_RESPONSE_HEADERS` header fields (as http.client), or an HTTP version
  other than 1.x is a `RemoteProtocolError`.
- A connection is reused only when its framing is beyond doubt: the response
  ended cleanly, nothing more arrived after it (bytes past a Content-Length,
  or a body on a HEAD, 204 or 304 response, would be read as the next
  response: response smuggling), and it did not carry both Content-Length and
  Transfer-Encoding (parsed by Transfer-Encoding, RFC 9112 6.3, then closed).
- `Expect: 100-continue` (a header the caller sets): the head goes out
  alone, then the body once a 100 arrives, or after `expect_100_timeout`
  seconds (an extension; 1 s by default) without an answer. A final response
  that comes instead (a 417, a 401) is returned and the body never sent; the
  connection then closes with it, since the request was never completed.
- Upgrade and CONNECT: after a 101, or a 2xx to CONNECT, HTTP ends on this
  connection. The response's `network_stream` extension is the raw stream,
  which first returns the bytes already read past the response head. The
  pool forgets the connection at once; the stream lives until the response
  is closed.
"""

from __future__ import annotations

import logging
import typing

from .._backends.base import NetworkStream
from .._backends.streams import UpgradedStream
from .._config import Timeout, time_left, total_exceeded
from .._content import ByteStream
from .._exceptions import (
    LocalProtocolError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    TimeoutException,
    WriteError,
    WriteTimeout,
)
from .._models import AsyncResponse, Request
from .http11_wire import (
    END,
    MAX_HEADER_BYTES,
    MAX_RESPONSE_HEADERS,
    NEED_DATA,
    SWITCHED,
    ClientWire,
    Event,
    Head,
)
from .trace import UNTRACED, report, trace, tracing

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_INFORMATIONAL_RESPONSES",
    "MAX_RESPONSE_HEADERS",
    "READ_SIZE",
    "HTTP11Protocol",
    "StaleConnection",
]

# Reads start at READ_SIZE. In a body framed by Content-Length, each read
# that fills its buffer makes the next one 4 times larger, up to
# MAX_READ_SIZE: a large body then costs a few big reads instead of many
# small ones. (Chunked bodies keep to READ_SIZE: many small chunks in one
# big read would cost a slice each.)
READ_SIZE = 64 * 1024
MAX_READ_SIZE = 1024 * 1024
MAX_INFORMATIONAL_RESPONSES = 20
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
EXPECT_100_TIMEOUT = 1.0

logger = logging.getLogger("httpcore.http11")
# Larger bodies known in full go out in a write of their own, not copied
# onto the end of the head.
JOIN_BODY_LIMIT = 64 * 1024
# A body read in full (`HTTP11Body.whole`) at least this large, and framed by
# Content-Length, is read into one buffer where the stream can.
WHOLE_BODY_MIN = 256 * 1024


class StaleConnection(Exception):
    """
    A reused connection failed before any byte of the response arrived, in a
    way that shows the server never took the request (it had closed the idle
    connection). The pool sends the request again on a fresh connection.
    """

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class HTTP11Protocol:
    """The HTTP/1.1 side of one connection."""

    __slots__ = (
        "_grow_reads",
        "_on_detach",
        "_on_response_done",
        "_read_size",
        "_response_bytes",
        "_stream",
        "_traced",
        "_wire",
        "detached",
        "requests_started",
    )

    def __init__(
        self,
        stream: NetworkStream,
        on_response_done: typing.Callable[[bool], None],
        on_detach: typing.Callable[[], None] | None = None,
    ) -> None:
        self._stream = stream
        self._wire = ClientWire()
        self._on_response_done = on_response_done
        self._on_detach = on_detach
        self._read_size = READ_SIZE
        self.requests_started = 0
        self.detached = False  # the stream belongs to an upgraded response
        self._response_bytes = False  # did any byte of this response arrive?
        self._traced = False  # does the current request's trace listen?
        self._grow_reads = False  # a body framed by Content-Length is read

    @property
    def stream(self) -> NetworkStream:
        return self._stream

    async def handle_request(self, request: Request, timeout: Timeout) -> AsyncResponse:
        reused = self.requests_started > 0
        self.requests_started += 1
        self._traced = tracing(request, logger)
        self._response_bytes = False
        self._read_size = READ_SIZE
        self._grow_reads = False
        wrote_all = False
        head: Head | None = None
        try:
            try:
                head = await self._send_request(request, timeout)
                wrote_all = True
            except WriteError:
                # The server may have answered early (a 413, say) and closed:
                # read its response rather than report the failed write.
                pass
            except WriteTimeout:
                # Stuck sending because the server stopped reading: if it
                # has answered (an early 413), that answer says more.
                if not self._stream.get_extra_info("is_readable"):
                    raise
            if head is None:
                head = await (
                    self._receive_response_head(request, timeout)
                    if self._traced
                    else self._receive_head(request, timeout)
                )
        except (ReadError, WriteError, RemoteProtocolError) as exc:
            # Stale only if the server sent nothing at all: a malformed
            # answer shows it did take the request.
            no_response = not self._response_bytes
            if (
                reused
                and no_response
                and (not wrote_all or request.method in IDEMPOTENT)
            ):
                raise StaleConnection(exc) from exc
            if reused and no_response:
                raise type(exc)(
                    f"{exc} The connection had served a request before and may "
                    f"have gone stale, but a {request.method} request is not "
                    "idempotent, so it was not sent again."
                ) from exc
            raise
        status, reason, headers, http_version = head
        network_stream: NetworkStream = self._stream
        body: HTTP11Body | UpgradedBody
        if self._wire.their_state is SWITCHED:
            buffered = self._wire.trailing_data
            network_stream = UpgradedStream(self._stream, buffered)
            body = UpgradedBody(network_stream)
            self.detached = True
            if self._on_detach is not None:
                self._on_detach()
        else:
            body = HTTP11Body(self, request, timeout, self._traced)
        return AsyncResponse(
            status,
            headers=headers,
            stream=body,
            request=request,
            extensions={
                "http_version": _http_version(http_version),
                "reason_phrase": reason,
                "network_stream": network_stream,
            },
        )

    async def _send_request(self, request: Request, timeout: Timeout) -> Head | None:
        """Send the request; a final response that came instead of a 100."""
        target = request.extensions.get("target") or request.url.raw_path
        # check_request has refused what cannot be sent; this is the backstop.
        try:
            if isinstance(target, str):
                target = target.encode("ascii")
            method = request.method.encode("ascii")
        except UnicodeError as exc:
            raise LocalProtocolError(str(exc)) from exc
        stream = request.stream
        whole = stream._data if isinstance(stream, ByteStream) else None
        expect = whole != b"" and _expects_continue(request)
        traced = self._traced
        info = {"request": request} if traced else {}
        wire = self._wire
        async with (
            trace("http11.send_request_headers", logger, request, info)
            if traced
            else UNTRACED
        ):
            head = wire.start_request(method, target, request.headers.raw)
            rest = b""
            if whole is not None and not expect:
                # A body known in full goes out with the head: in one write
                # when it is small, else right after it.
                body = wire.send_data(whole) + wire.send_end()
                if len(body) <= JOIN_BODY_LIMIT:
                    head += body
                else:
                    rest = body
            await self._stream.write(head, timeout.write)
            if rest:
                await self._stream.write(rest, timeout.write)
        if expect:
            final = await self._wait_for_continue(request, timeout.read)
            if final is not None:
                return final
        async with (
            trace("http11.send_request_body", logger, request, info)
            if traced
            else UNTRACED
        ):
            if whole is not None and not expect:
                return None  # sent with the head
            await self._send_body(request, timeout)
        return None

    async def _send_body(self, request: Request, timeout: Timeout) -> None:
        # `timeout.write` is read per write: with a `total`, it shrinks.
        wire = self._wire
        async for chunk in request.stream:
            data = wire.send_data(chunk)
            if data:
                await self._stream.write(data, timeout.write)
        data = wire.send_end()
        if data:
            await self._stream.write(data, timeout.write)

    async def _wait_for_continue(
        self, request: Request, read_timeout: float | None
    ) -> Head | None:
        """After the head of an `Expect: 100-continue` request: go on, or not?"""
        wait = request.extensions.get("expect_100_timeout", EXPECT_100_TIMEOUT)
        if read_timeout is not None and (wait is None or read_timeout < wait):
            wait = read_timeout
        try:
            head = await self._receive_head(request, wait, until_continue=True)
        except ReadTimeout:
            return None  # no answer: send the body anyway (RFC 9110 10.1.1)
        return None if head[0] == 100 else head

    async def _receive_response_head(self, request: Request, timeout: Timeout) -> Head:
        info = {"request": request}
        async with trace(
            "http11.receive_response_headers", logger, request, info
        ) as step:
            head = await self._receive_head(request, timeout)
            if step is not UNTRACED:
                status, reason, headers, version = head
                step.return_value = (_http_version(version), status, reason, headers)
        return head

    async def _receive_head(
        self,
        request: Request,
        timeout: Timeout | float | None,
        until_continue: bool = False,
    ) -> Head:
        informational = 0
        while True:
            head = typing.cast(Head, await self.receive_event(timeout))
            status = head[0]
            if status >= 200:
                self._grow_reads = self._wire.framed_by_length
                return head
            # An informational response: a 101 ends HTTP on the connection
            # (the wire only accepts it after an Upgrade request); 100
            # Continue and 103 Early Hints are reported, and skipped.
            if status == 101:
                return head
            await report(
                "http11.receive_informational_response",
                logger,
                request,
                {
                    "request": request,
                    "status_code": status,
                    "reason_phrase": head[1],
                    "headers": head[2],
                },
            )
            if until_continue and status == 100:
                return head
            informational += 1
            if informational > MAX_INFORMATIONAL_RESPONSES:
                raise RemoteProtocolError(
                    f"The server sent {informational} informational (1xx) "
                    "responses and no final one (the limit is "
                    f"MAX_INFORMATIONAL_RESPONSES={MAX_INFORMATIONAL_RESPONSES})."
                )

    async def receive_event(self, timeout: Timeout | float | None) -> Event:
        """The next response head, piece of body or `END`; a `Timeout`'s
        `read` is taken per read (a `total` shrinks it), a number is the
        limit of each read."""
        wire = self._wire
        while True:
            event = wire.next_event()
            if event is not NEED_DATA:
                return event
            limit = timeout.read if isinstance(timeout, Timeout) else timeout
            size = self._read_size
            data = await self._stream.read(size, limit)
            if data:
                self._response_bytes = True
                if len(data) == size and size < MAX_READ_SIZE and self._grow_reads:
                    self._read_size = size * 4
            wire.receive_data(data)

    def response_finished(self, complete: bool) -> None:
        """Called once per response: True when the body was read to its end."""
        wire = self._wire
        reusable = complete and wire.reusable()
        if reusable:
            wire.start_next_cycle()
        self._on_response_done(reusable)


_HTTP_VERSIONS = {b"1.1": b"HTTP/1.1", b"1.0": b"HTTP/1.0"}


def _http_version(version: bytes) -> bytes:
    """b"1.1" -> b"HTTP/1.1", the `http_version` extension."""
    return _HTTP_VERSIONS.get(version) or b"HTTP/" + version


def _expects_continue(request: Request) -> bool:
    value = request.headers.get("expect")
    return value is not None and value.strip().lower() == "100-continue"


class HTTP11Body:
    """
    The body of one HTTP/1.1 response, as an async byte stream.

    Reading it to the end gives the connection back for reuse; closing it
    early, an error, or dropping it unread closes the connection.
    """

    __slots__ = (
        "__weakref__",
        "_done",
        "_protocol",
        "_request",
        "_step",
        "_timeout",
        "_traced",
        "whole",
    )

    def __init__(
        self,
        protocol: HTTP11Protocol,
        request: Request,
        timeout: Timeout,
        traced: bool = True,
    ) -> None:
        self._protocol = protocol
        self._request = request
        self._timeout = timeout
        self._done = False
        self._traced = traced
        # The receive_response_body trace, begun at the first read.
        self._step: typing.Any = None if traced else UNTRACED
        # Set by a caller that reads the body in full (`Response.read`): the
        # rest of a large body framed by Content-Length may then come as one
        # piece, on a stream that can fill one buffer directly (sync sockets).
        self.whole = False

    def __aiter__(self) -> HTTP11Body:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        step = self._step
        if step is None:
            request = self._request
            self._step = step = trace(
                "http11.receive_response_body", logger, request, {"request": request}
            )
            await step.__aenter__()
        try:
            if self.whole:
                self.whole = False
                event = await self._receive_whole()
            else:
                event = await self._protocol.receive_event(self._timeout)
        except BaseException as exc:
            error = exc
            if isinstance(exc, TimeoutException):
                error = total_exceeded(self._timeout, exc)
            self._finish(complete=False)
            if step is not UNTRACED:
                await step.__aexit__(type(error), error, None)
            if error is not exc:
                raise error from exc
            raise
        if event is not END:
            return typing.cast(bytes, event)
        self._finish(complete=True)
        if step is not UNTRACED:
            await step.__aexit__(None, None, None)
        raise StopAsyncIteration

    async def _receive_whole(self) -> Event:
        protocol = self._protocol
        wire = protocol._wire
        read_exactly = getattr(protocol.stream, "read_exactly", None)
        if (
            read_exactly is None
            or not wire.framed_by_length
            or wire.length_left < WHOLE_BODY_MIN
        ):
            return await protocol.receive_event(self._timeout)
        prefix = wire.take_buffered()
        size = wire.length_left - len(prefix)
        timeout = self._timeout
        if size > 0:
            data = await read_exactly(size, timeout.read, prefix, time_left(timeout))
            wire.receive_data(data)
            if len(data) < len(prefix) + size:
                wire.receive_data(b"")  # the server closed early: the wire says so
        else:  # all here already (and maybe more: the wire sees to that)
            wire.receive_data(prefix)
        return await protocol.receive_event(timeout)

    def _finish(self, complete: bool) -> None:
        if not self._done:
            self._done = True
            self._protocol.response_finished(complete)

    async def aclose(self) -> None:
        if not self._traced:
            self._finish(complete=False)
            return
        async with trace("http11.response_closed", logger, self._request, {}):
            self._finish(complete=False)

    def __del__(self) -> None:
        # Dropped without being read or closed: give the slot back.
        if not self._done:
            self._finish(complete=False)


class UpgradedBody:
    """
    The (empty) body of a 101 or CONNECT response. Closing the response
    closes the raw stream it handed over; until then the stream is the
    caller's to use. (Reading the body to its end closes the response too,
    as always: so do not read it.)
    """

    __slots__ = ("_stream",)

    def __init__(self, stream: NetworkStream) -> None:
        self._stream = stream

    def __aiter__(self) -> UpgradedBody:
        return self

    async def __anext__(self) -> bytes:
        raise StopAsyncIteration

    async def aclose(self) -> None:
        await self._stream.aclose()
