"""
HTTP/1.1 over one network stream, with h11.

This module only pumps bytes: h11 turns a request into bytes and bytes into
response events; every h11 error is translated into httpcore's own. One
request at a time; when a response ends cleanly h11 starts its next cycle
and the connection can serve another.

Besides the plain exchange:

- Informational (1xx) responses are skipped, and reported to `trace` as
  `http11.receive_informational_response`; more than
  `MAX_INFORMATIONAL_RESPONSES` of them before the final response is an error.
- Limits on what a server may send: a response head (or chunk header) still
  incomplete after `MAX_HEADER_BYTES` bytes (h11 checks between reads, so a
  head that completes within the same read may be up to `READ_SIZE` longer),
  more than `MAX_RESPONSE_HEADERS` header fields (as http.client), or an HTTP
  version other than 1.x is a `RemoteProtocolError`.
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
  which first returns the bytes h11 had read past the response head. The
  pool forgets the connection at once; the stream lives until the response
  is closed.
"""

from __future__ import annotations

import logging
import typing

import h11

from .._backends.base import NetworkStream
from .._backends.streams import UpgradedStream
from .._config import Timeout, total_exceeded
from .._content import ByteStream
from .._exceptions import (
    LocalProtocolError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    TimeoutException,
    WriteError,
    WriteTimeout,
    map_exceptions,
)
from .._models import AsyncResponse, Request
from .trace import report, trace

# Reads start at READ_SIZE. In a body framed by Content-Length, each read
# that fills its buffer makes the next one 4 times larger, up to
# MAX_READ_SIZE: a large body then costs a few big reads instead of many
# small ones. Heads and chunked bodies keep to READ_SIZE, so that h11's
# MAX_HEADER_BYTES limit on an unfinished head or chunk line stays exact (it
# only sees what a read could not complete).
READ_SIZE = 64 * 1024
MAX_READ_SIZE = 1024 * 1024
MAX_HEADER_BYTES = 100 * 1024
MAX_RESPONSE_HEADERS = 100
MAX_INFORMATIONAL_RESPONSES = 20
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
EXPECT_100_TIMEOUT = 1.0

logger = logging.getLogger("httpcore.http11")
_REQUEST_ERRORS = {
    h11.LocalProtocolError: LocalProtocolError,
    UnicodeError: LocalProtocolError,
}
# The response head: status, reason, headers, HTTP version.
Head = tuple[int, bytes, list[tuple[bytes, bytes]], bytes]


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
        "_framing_doubtful",
        "_grow_reads",
        "_grow_reads",
        "_h11",
        "_on_detach",
        "_on_response_done",
        "_read_size",
        "_response_bytes",
        "_stream",
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
        self._h11 = h11.Connection(
            h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES
        )
        self._on_response_done = on_response_done
        self._on_detach = on_detach
        self._read_size = READ_SIZE
        self.requests_started = 0
        self.detached = False  # the stream belongs to an upgraded response
        self._response_bytes = False  # did any byte of this response arrive?
        self._framing_doubtful = False  # close, do not reuse, once it is done
        self._grow_reads = False  # a body framed by Content-Length is read

    @property
    def stream(self) -> NetworkStream:
        return self._stream

    async def handle_request(self, request: Request, timeout: Timeout) -> AsyncResponse:
        reused = self.requests_started > 0
        self.requests_started += 1
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
                head = await self._receive_response_head(request, timeout)
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
        if self._h11.their_state is h11.SWITCHED_PROTOCOL:
            buffered, _ = self._h11.trailing_data
            network_stream = UpgradedStream(self._stream, bytes(buffered))
            body = UpgradedBody(network_stream)
            self.detached = True
            if self._on_detach is not None:
                self._on_detach()
        else:
            body = HTTP11Body(self, request, timeout)
        return AsyncResponse(
            status,
            headers=headers,
            stream=body,
            request=request,
            extensions={
                "http_version": b"HTTP/" + http_version,
                "reason_phrase": reason,
                "network_stream": network_stream,
            },
        )

    async def _send_request(self, request: Request, timeout: Timeout) -> Head | None:
        """Send the request; a final response that came instead of a 100."""
        target = request.extensions.get("target") or request.url.raw_path
        # check_request has refused what h11 would; this is the backstop.
        with map_exceptions(_REQUEST_ERRORS):
            if isinstance(target, str):
                target = target.encode("ascii")
            h11_request = h11.Request(
                method=request.method.encode("ascii"),
                target=target,
                headers=request.headers.raw,
            )
        stream = request.stream
        whole = stream._data if isinstance(stream, ByteStream) else None
        expect = whole != b"" and _expects_continue(request)
        info = {"request": request}
        async with trace("http11.send_request_headers", logger, request, info):
            with map_exceptions({h11.LocalProtocolError: LocalProtocolError}):
                head = self._h11.send(h11_request) or b""
                if whole is not None and not expect:
                    # A body known in full goes out with the head, in one write.
                    if whole:
                        head += self._h11.send(h11.Data(data=whole)) or b""
                    head += self._h11.send(h11.EndOfMessage()) or b""
            await self._stream.write(head, timeout.write)
        if expect:
            final = await self._wait_for_continue(request, timeout.read)
            if final is not None:
                return final
        async with trace("http11.send_request_body", logger, request, info):
            if whole is not None and not expect:
                return None  # sent with the head
            await self._send_body(request, timeout)
        return None

    async def _send_body(self, request: Request, timeout: Timeout) -> None:
        # `timeout.write` is read per write: with a `total`, it shrinks.
        with map_exceptions({h11.LocalProtocolError: LocalProtocolError}):
            async for chunk in request.stream:
                data = self._h11.send(h11.Data(data=chunk))
                if data:
                    await self._stream.write(data, timeout.write)
            data = self._h11.send(h11.EndOfMessage())
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
            status, reason, headers, http_version = head
            step.return_value = (b"HTTP/" + http_version, status, reason, headers)
        return head

    async def _receive_head(
        self,
        request: Request,
        timeout: Timeout | float | None,
        until_continue: bool = False,
    ) -> Head:
        informational = 0
        while True:
            event = await self.receive_event(timeout)
            headers = event.headers.raw_items()
            _check_head(event.http_version, headers)
            head = (event.status_code, bytes(event.reason), headers, event.http_version)
            if isinstance(event, h11.Response):
                names = {name.lower() for name, _ in headers}
                if b"content-length" in names and b"transfer-encoding" in names:
                    self._framing_doubtful = True
                self._grow_reads = (
                    b"content-length" in names and b"transfer-encoding" not in names
                )
                return head
            # An informational response: a 101 ends HTTP on the connection
            # (h11 only accepts it after an Upgrade request); 100 Continue
            # and 103 Early Hints are reported, and skipped.
            if event.status_code == 101:
                return head
            await report(
                "http11.receive_informational_response",
                logger,
                request,
                {
                    "request": request,
                    "status_code": event.status_code,
                    "reason_phrase": head[1],
                    "headers": headers,
                },
            )
            if until_continue and event.status_code == 100:
                return head
            informational += 1
            if informational > MAX_INFORMATIONAL_RESPONSES:
                raise RemoteProtocolError(
                    f"The server sent {informational} informational (1xx) "
                    "responses and no final one (the limit is "
                    f"MAX_INFORMATIONAL_RESPONSES={MAX_INFORMATIONAL_RESPONSES})."
                )

    async def receive_event(self, timeout: Timeout | float | None) -> typing.Any:
        """The next h11 event; a `Timeout`'s `read` is taken per read (a
        `total` shrinks it), a number is the limit of each read."""
        connection = self._h11
        while True:
            state = connection.their_state  # h11 moves to ERROR as it raises
            try:
                event = connection.next_event()
            except h11.RemoteProtocolError as exc:
                raise RemoteProtocolError(_explain(exc, state)) from exc
            if event is not h11.NEED_DATA:
                return event
            limit = timeout.read if isinstance(timeout, Timeout) else timeout
            size = self._read_size
            data = await self._stream.read(size, limit)
            if len(data) == size and size < MAX_READ_SIZE and self._grow_reads:
                self._read_size = size * 4
            if not data and connection.their_state is h11.SEND_RESPONSE:
                if connection.trailing_data[0]:
                    raise RemoteProtocolError(
                        "The server closed the connection in the middle of the "
                        "response head."
                    )
                raise RemoteProtocolError(
                    "The server closed the connection without sending a response."
                )
            if data:
                self._response_bytes = True
            connection.receive_data(data)

    def response_finished(self, complete: bool) -> None:
        """Called once per response: True when the body was read to its end."""
        reusable = False
        connection = self._h11
        if (
            complete
            and connection.our_state is h11.DONE
            and connection.their_state is h11.DONE
            # Bytes past the end of the response are no answer to anything:
            # never serve them as the next response.
            and not connection.trailing_data[0]
            and not self._framing_doubtful
        ):
            connection.start_next_cycle()
            reusable = True
        self._on_response_done(reusable)


def _check_head(http_version: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """Refuse what h11 accepts but an HTTP/1.1 client should not."""
    if not http_version.startswith(b"1."):
        version = http_version.decode("ascii", "replace")
        raise RemoteProtocolError(
            f"The server answered in HTTP/{version}, not HTTP/1.x."
        )
    if len(headers) > MAX_RESPONSE_HEADERS:
        raise RemoteProtocolError(
            f"The server sent {len(headers)} header fields, more than the limit "
            f"of MAX_RESPONSE_HEADERS={MAX_RESPONSE_HEADERS}."
        )


def _explain(exc: h11.RemoteProtocolError, state: object) -> str:
    """h11's message, reworded where it would puzzle a user."""
    message = str(exc)
    if exc.error_status_hint == 431:  # "Receive buffer too long"
        where = (
            "response head" if state is h11.SEND_RESPONSE else "chunk header or trailer"
        )
        return (
            f"The server sent a {where} larger than the limit of "
            f"MAX_HEADER_BYTES={MAX_HEADER_BYTES} bytes."
        )
    if "_SWITCH_UPGRADE" in message:
        return (
            "The server switched protocols (101) though the request did not ask "
            "to upgrade."
        )
    return message


def _expects_continue(request: Request) -> bool:
    value = request.headers.get("expect")
    return value is not None and value.strip().lower() == "100-continue"


class HTTP11Body:
    """
    The body of one HTTP/1.1 response, as an async byte stream.

    Reading it to the end gives the connection back for reuse; closing it
    early, an error, or dropping it unread closes the connection.
    """

    __slots__ = ("__weakref__", "_done", "_protocol", "_request", "_step", "_timeout")

    def __init__(
        self, protocol: HTTP11Protocol, request: Request, timeout: Timeout
    ) -> None:
        self._protocol = protocol
        self._request = request
        self._timeout = timeout
        self._done = False
        self._step: typing.Any = None  # the receive_response_body trace, once begun

    def __aiter__(self) -> HTTP11Body:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        if self._step is None:
            request = self._request
            self._step = trace(
                "http11.receive_response_body", logger, request, {"request": request}
            )
            await self._step.__aenter__()
        try:
            event = await self._protocol.receive_event(self._timeout)
        except BaseException as exc:
            error = exc
            if isinstance(exc, TimeoutException):
                error = total_exceeded(self._timeout, exc)
            self._finish(complete=False)
            await self._step.__aexit__(type(error), error, None)
            if error is not exc:
                raise error from exc
            raise
        if isinstance(event, h11.Data):
            data = event.data
            return data if isinstance(data, bytes) else bytes(data)
        # EndOfMessage; or ConnectionClosed before it: h11 reports short
        # bodies as errors, so this is a close-delimited body that ended.
        self._finish(complete=isinstance(event, h11.EndOfMessage))
        await self._step.__aexit__(None, None, None)
        raise StopAsyncIteration

    def _finish(self, complete: bool) -> None:
        if not self._done:
            self._done = True
            self._protocol.response_finished(complete)

    async def aclose(self) -> None:
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
