"""
HTTP/1.1 over one network stream, with h11.

This module only pumps bytes: h11 turns a request into bytes and bytes into
response events; every h11 error is translated into httpcore's own. One
request at a time; when a response ends cleanly h11 starts its next cycle
and the connection can serve another.
"""

from __future__ import annotations

import typing

import h11

from .._backends.base import NetworkStream
from .._config import Timeout
from .._content import ByteStream
from .._exceptions import (
    LocalProtocolError,
    ReadError,
    RemoteProtocolError,
    WriteError,
    map_exceptions,
)
from .._models import AsyncResponse, Request

READ_SIZE = 64 * 1024
MAX_HEADER_BYTES = 100 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


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

    __slots__ = ("_h11", "_on_response_done", "_stream", "requests_started")

    def __init__(
        self,
        stream: NetworkStream,
        on_response_done: typing.Callable[[bool], None],
    ) -> None:
        self._stream = stream
        self._h11 = h11.Connection(
            h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES
        )
        self._on_response_done = on_response_done
        self.requests_started = 0

    @property
    def stream(self) -> NetworkStream:
        return self._stream

    async def handle_request(self, request: Request, timeout: Timeout) -> AsyncResponse:
        reused = self.requests_started > 0
        self.requests_started += 1
        wrote_all = False
        try:
            try:
                await self._send_request(request, timeout)
                wrote_all = True
            except WriteError:
                # The server may have answered early (a 413, say) and closed:
                # read its response rather than report the failed write.
                pass
            event = await self._receive_response_head(timeout.read)
        except (ReadError, WriteError, RemoteProtocolError) as exc:
            no_response = self._h11.their_state is h11.SEND_RESPONSE
            if (
                reused
                and no_response
                and (not wrote_all or request.method in IDEMPOTENT)
            ):
                raise StaleConnection(exc) from exc
            raise
        headers = event.headers.raw_items()
        extensions = {
            "http_version": b"HTTP/" + event.http_version,
            "reason_phrase": bytes(event.reason),
            "network_stream": self._stream,
        }
        body = HTTP11Body(self, timeout.read)
        return AsyncResponse(
            event.status_code,
            headers=headers,
            stream=body,
            request=request,
            extensions=extensions,
        )

    async def _send_request(self, request: Request, timeout: Timeout) -> None:
        target = request.extensions.get("target") or request.url.raw_path
        h11_request = h11.Request(
            method=request.method.encode("ascii"),
            target=target,
            headers=request.headers.raw,
        )
        with map_exceptions({h11.LocalProtocolError: LocalProtocolError}):
            head = self._h11.send(h11_request)
            stream = request.stream
            if isinstance(stream, ByteStream):
                # A body known in full goes out with the head, in one write.
                parts = [head]
                if stream._data:
                    parts.append(self._h11.send(h11.Data(data=stream._data)))
                parts.append(self._h11.send(h11.EndOfMessage()))
                await self._stream.write(b"".join(p for p in parts if p), timeout.write)
                return
            await self._stream.write(head or b"", timeout.write)
            async for chunk in stream:
                data = self._h11.send(h11.Data(data=chunk))
                if data:
                    await self._stream.write(data, timeout.write)
            data = self._h11.send(h11.EndOfMessage())
        if data:
            await self._stream.write(data, timeout.write)

    async def _receive_response_head(self, timeout: float | None) -> h11.Response:
        while True:
            event = await self.receive_event(timeout)
            if isinstance(event, h11.Response):
                return event
            if (
                isinstance(event, h11.InformationalResponse)
                and event.status_code == 101
            ):
                # h11 reports a 101 as informational; it ends HTTP here.
                return h11.Response(
                    status_code=101,
                    headers=event.headers,
                    reason=event.reason,
                    http_version=event.http_version,
                )
            # Other 1xx responses (100 Continue, 103 Early Hints) are skipped.

    async def receive_event(self, timeout: float | None) -> typing.Any:
        connection = self._h11
        while True:
            with map_exceptions({h11.RemoteProtocolError: RemoteProtocolError}):
                event = connection.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self._stream.read(READ_SIZE, timeout)
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


class HTTP11Body:
    """
    The body of one HTTP/1.1 response, as an async byte stream.

    Reading it to the end gives the connection back for reuse; closing it
    early, an error, or dropping it unread closes the connection.
    """

    __slots__ = ("__weakref__", "_done", "_protocol", "_timeout")

    def __init__(self, protocol: HTTP11Protocol, timeout: float | None) -> None:
        self._protocol = protocol
        self._timeout = timeout
        self._done = False

    def __aiter__(self) -> HTTP11Body:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            raise StopAsyncIteration
        try:
            event = await self._protocol.receive_event(self._timeout)
        except BaseException:
            self._finish(complete=False)
            raise
        if isinstance(event, h11.Data):
            data = event.data
            return data if isinstance(data, bytes) else bytes(data)
        if isinstance(event, h11.EndOfMessage):
            self._finish(complete=True)
            raise StopAsyncIteration
        # A ConnectionClosed event before EndOfMessage: h11 reports short
        # bodies as errors, so this is a close-delimited body that ended.
        self._finish(complete=False)
        raise StopAsyncIteration

    def _finish(self, complete: bool) -> None:
        if not self._done:
            self._done = True
            self._protocol.response_finished(complete)

    async def aclose(self) -> None:
        self._finish(complete=False)

    def __del__(self) -> None:
        # Dropped without being read or closed: give the slot back.
        if not self._done:
            self._finish(complete=False)
