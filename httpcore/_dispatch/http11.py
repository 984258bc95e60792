"""
HTTP/1.1 over one network stream, with h11.

This module only pumps bytes: h11 turns a request into bytes and bytes into
response events; every h11 error is translated into httpcore's own. One
request at a time; when a response ends cleanly h11 starts its next cycle
and the connection can serve another.

Besides the plain exchange:

- Informational (1xx) responses are skipped, and reported to `trace` as
  `http11.receive_informational_response`.
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
from .._config import Timeout
from .._content import ByteStream
from .._exceptions import (
    LocalProtocolError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    WriteError,
    map_exceptions,
)
from .._models import AsyncResponse, Request
from .trace import report, trace

# Reads start at READ_SIZE; each read that fills its buffer makes the next
# one 4 times larger, up to MAX_READ_SIZE, until the next response: a large
# body then costs a few big reads instead of many small ones.
READ_SIZE = 64 * 1024
MAX_READ_SIZE = 1024 * 1024
MAX_HEADER_BYTES = 100 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
EXPECT_100_TIMEOUT = 1.0

logger = logging.getLogger("httpcore.http11")
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
        "_h11",
        "_on_detach",
        "_on_response_done",
        "_read_size",
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

    @property
    def stream(self) -> NetworkStream:
        return self._stream

    async def handle_request(self, request: Request, timeout: Timeout) -> AsyncResponse:
        reused = self.requests_started > 0
        self.requests_started += 1
        self._read_size = READ_SIZE
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
            if head is None:
                head = await self._receive_response_head(request, timeout.read)
        except (ReadError, WriteError, RemoteProtocolError) as exc:
            no_response = self._h11.their_state is h11.SEND_RESPONSE
            if (
                reused
                and no_response
                and (not wrote_all or request.method in IDEMPOTENT)
            ):
                raise StaleConnection(exc) from exc
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
            body = HTTP11Body(self, request, timeout.read)
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
            await self._send_body(request, timeout.write)
        return None

    async def _send_body(self, request: Request, timeout: float | None) -> None:
        with map_exceptions({h11.LocalProtocolError: LocalProtocolError}):
            async for chunk in request.stream:
                data = self._h11.send(h11.Data(data=chunk))
                if data:
                    await self._stream.write(data, timeout)
            data = self._h11.send(h11.EndOfMessage())
        if data:
            await self._stream.write(data, timeout)

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

    async def _receive_response_head(
        self, request: Request, timeout: float | None
    ) -> Head:
        info = {"request": request}
        async with trace(
            "http11.receive_response_headers", logger, request, info
        ) as step:
            head = await self._receive_head(request, timeout)
            status, reason, headers, http_version = head
            step.return_value = (b"HTTP/" + http_version, status, reason, headers)
        return head

    async def _receive_head(
        self, request: Request, timeout: float | None, until_continue: bool = False
    ) -> Head:
        while True:
            event = await self.receive_event(timeout)
            headers = event.headers.raw_items()
            head = (event.status_code, bytes(event.reason), headers, event.http_version)
            if isinstance(event, h11.Response):
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

    async def receive_event(self, timeout: float | None) -> typing.Any:
        connection = self._h11
        while True:
            with map_exceptions({h11.RemoteProtocolError: RemoteProtocolError}):
                event = connection.next_event()
            if event is not h11.NEED_DATA:
                return event
            size = self._read_size
            data = await self._stream.read(size, timeout)
            if len(data) == size and size < MAX_READ_SIZE:
                self._read_size = size * 4
            if not data and connection.their_state is h11.SEND_RESPONSE:
                raise RemoteProtocolError(
                    "The server closed the connection without sending a response."
                )
            connection.receive_data(data)

    def response_finished(self, complete: bool) -> None:
        """Called once per response: True when the body was read to its end."""
        reusable = False
        connection = self._h11
        if (
            complete
            and connection.our_state is h11.DONE
            and connection.their_state is h11.DONE
        ):
            connection.start_next_cycle()
            reusable = True
        self._on_response_done(reusable)


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
        self, protocol: HTTP11Protocol, request: Request, timeout: float | None
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
            self._finish(complete=False)
            await self._step.__aexit__(type(exc), exc, None)
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
