"""
HTTP/2 over one network stream, with h2: many requests at once.

How this works. One `HTTP2Protocol` owns an h2 connection and the stream;
each request is an h2 stream, driven by the task or thread that sent it.
There is no background reader (the sync backend cannot run one), so:

- `_guard` (a `threading.Lock`, never held across an await) protects every
  call into h2.
- `_write_lock` (a backend lock) orders writes. Its holder changes h2, takes
  `data_to_send()` and writes it: header blocks reach the wire in the order
  HPACK encoded them, and stream ids go out in increasing order. A write
  that a cancellation interrupts still hands all its bytes over (the trio
  backend shields its writes; asyncio's buffer them at once), so one
  cancelled request never leaves half a frame that breaks the others.
- `_read_lock` (a backend lock). A request that needs something (an event on
  its stream, flow-control window, a free stream) and finds it missing takes
  the lock, looks again, reads once from the socket, feeds h2, sorts the
  events into per-stream queues, sends what h2 owes the peer (acks) and lets
  go. Whoever reads delivers everyone's events.

Flow control does not throttle: 16 MiB windows, and a chunk is acknowledged
when the consumer takes it, so WINDOW_UPDATEs follow the reader's pace.

Stream slots. The pool counts the streams it hands out; every request gives
its slot back exactly once (`_forget`), synchronously, however it ends: its
body read to the end, an error, a cancellation, a response dropped unread.
A stream still open is reset in the same step (the RST_STREAM leaves with the
next write), so the pool's count and h2's open streams agree once things
settle. Work that cannot wait for `_guard` (a finalizer running while this
thread holds it) is queued and done by whoever holds it next.

GOAWAY. Streams above the frame's `last_stream_id` were never processed:
they fail with `StaleConnection` and the pool sends them again on another
connection. The others carry on; the connection takes no new streams and
closes when its last one ends.
"""

from __future__ import annotations

import collections
import logging
import typing

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from h2.errors import ErrorCodes
from h2.settings import SettingCodes

from .._backends.base import Backend, NetworkStream
from .._config import Timeout, time_left, total_exceeded
from .._content import ByteStream
from .._exceptions import (
    ConnectTimeout,
    LocalProtocolError,
    PoolTimeout,
    ReadTimeout,
    RemoteProtocolError,
    TimeoutException,
    TransportError,
    WriteTimeout,
)
from .._models import AsyncResponse, Request
from .http2_support import (
    STREAM_EVENTS,
    Exchange,
    Guard,
    H2Connection,
    HTTP2Body,
    StreamEvent,
    copy_error,
    refused_body,
    report_informational,
    request_headers,
    reset_message,
    stream_error,
)
from .http11 import StaleConnection
from .trace import trace

logger = logging.getLogger("httpcore.http2")

READ_SIZE = 256 * 1024
MAX_CHUNK = 256 * 1024  # DATA frames joined into one body chunk, at most
MAX_STREAMS = 100  # our cap on concurrent streams per connection
WINDOW = 2**24
LOCAL_SETTINGS: dict[SettingCodes | int, int] = {
    SettingCodes.ENABLE_PUSH: 0,
    SettingCodes.MAX_CONCURRENT_STREAMS: MAX_STREAMS,
    SettingCodes.INITIAL_WINDOW_SIZE: WINDOW,
    SettingCodes.MAX_HEADER_LIST_SIZE: 2**16,
}
ReadyCheck = typing.Callable[[], bool]


class HTTP2Protocol:
    """The HTTP/2 side of one connection."""

    is_http2 = True  # how a connection tells, without importing this module

    def __init__(
        self,
        stream: NetworkStream,
        backend: Backend,
        on_stream_done: typing.Callable[[], None],
        on_capacity_changed: typing.Callable[[], None],
    ) -> None:
        self._stream = stream
        self._backend = backend
        self._on_stream_done = on_stream_done
        self._on_capacity_changed = on_capacity_changed
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self._h2 = H2Connection(config=config)
        self._guard = Guard(self)
        self._read_lock = backend.create_lock()
        self._write_lock = backend.create_lock()
        self._queues: dict[int, collections.deque[StreamEvent]] = {}
        # The timeouts of streams whose request has a `total`: their body
        # reads are bounded by its deadline (HTTP2Body holds a number).
        self._bounded: dict[int, Timeout] = {}
        # Filled under `_guard` or without it (finalizers), drained under it.
        self._deferred: collections.deque[tuple[Exchange, bool]] = collections.deque()
        self._streams_done = 0  # slots to give back once `_guard` is released
        self._capacity_changed = False
        self._error: TransportError | None = None
        self._last_stream_id: int | None = None  # from a GOAWAY
        self._settings_received = False
        self._write_timeout: float | None = None
        self._completed = 0
        self.requests_started = 0
        self.max_streams = 1  # until the server's SETTINGS say more

    @property
    def stream(self) -> NetworkStream:
        return self._stream

    @property
    def accepting(self) -> bool:
        """Whether new streams may open: no GOAWAY, no connection error."""
        return self._error is None and self._last_stream_id is None

    @property
    def capacity(self) -> int:
        """How many streams the pool may have open at once on this connection."""
        return self.max_streams if self.accepting else 0

    @property
    def open_streams(self) -> int:
        """h2's own count of open streams (for tests and `info()`)."""
        with self._guard:
            return self._h2.open_outbound_streams

    # --- the connection ---------------------------------------------------

    async def start(self, timeout: Timeout, request: Request | None = None) -> None:
        """Send the preface and our settings; wait for the server's settings."""
        # Writes for the whole connection (acks, window updates): the write
        # limit, not any one request's deadline (`Timeout()` drops it).
        self._write_timeout = Timeout(timeout).write
        info = {"request": request}
        async with trace("http2.send_connection_init", logger, request, info):
            await self._write_lock.acquire()
            try:
                with self._guard:
                    self._h2.initiate_connection()
                    self._h2.update_settings(LOCAL_SETTINGS)
                    self._h2.increment_flow_control_window(WINDOW)
                    data = self._h2.data_to_send()
                await self._write(data, timeout.connect)
            finally:
                self._write_lock.release()
        await self._wait_for(
            lambda: self._settings_received or self._error is not None,
            timeout.connect,
            ConnectTimeout,
        )
        if self._error is not None:
            raise copy_error(self._error)

    def _fail(self, error: TransportError) -> None:
        """The connection is unusable: every stream fails with `error`."""
        if self._error is None:
            self._error = error
            self._capacity_changed = True

    async def _write(self, data: bytes, timeout: float | None) -> None:
        """Write, under `_write_lock`. A failed write breaks the connection."""
        try:
            await self._stream.write(data, timeout)
        except TransportError as exc:
            with self._guard:
                self._fail(exc)
            raise

    async def _write_for(
        self, exchange: Exchange, data: bytes, timeout: float | None
    ) -> None:
        """`_write` for one request: a broken connection may mean a stale one."""
        try:
            await self._write(data, timeout)
        except TransportError:
            raise stream_error(self, exchange) from None

    async def _flush(self) -> None:
        """Send whatever h2 has queued (acks, WINDOW_UPDATEs, resets)."""
        await self._write_lock.acquire()
        try:
            with self._guard:
                data = self._h2.data_to_send()
            if data:
                await self._write(data, self._write_timeout)
        finally:
            self._write_lock.release()

    async def _wait_for(
        self,
        ready: ReadyCheck,
        timeout: float | None,
        timeout_error: type[TransportError],
    ) -> None:
        """Read from the connection, a frame batch at a time, until `ready()`."""
        if ready():
            return
        clock = self._backend.monotonic
        deadline = None if timeout is None else clock() + timeout
        while not ready():
            await self._read_lock.acquire()
            try:
                if ready():
                    return
                remaining = None if deadline is None else deadline - clock()
                if remaining is not None and remaining <= 0:
                    raise timeout_error(f"Timed out after {timeout} seconds.")
                try:
                    await self._receive(remaining)
                except ReadTimeout as exc:
                    # The read had what was left of `timeout`: name all of it.
                    raise timeout_error(f"Timed out after {timeout} seconds.") from exc
            finally:
                self._read_lock.release()

    async def _receive(self, timeout: float | None) -> None:
        """One read: feed h2, sort the events, send what h2 owes the peer."""
        try:
            data = await self._stream.read(READ_SIZE, timeout)
        except ReadTimeout:
            raise
        except TransportError as exc:
            with self._guard:
                self._fail(exc)
            return
        with self._guard:
            if not data:
                self._fail(
                    RemoteProtocolError("The server closed the HTTP/2 connection.")
                )
                return
            try:
                events = self._h2.receive_data(data)
            except h2.exceptions.ProtocolError as exc:
                error = RemoteProtocolError(f"HTTP/2 protocol error: {exc}")
                error.__cause__ = exc
                self._fail(error)
                events = []
            for event in events:
                self._dispatch(event)
            pending = self._h2.data_to_send()
        if pending:
            await self._write_lock.acquire()
            try:
                await self._write(pending, self._write_timeout)
            except TransportError:
                pass  # the connection has failed: the streams will say so
            finally:
                self._write_lock.release()

    def _dispatch(self, event: h2.events.Event) -> None:
        """Under `_guard`: hand an event to its stream, or apply it."""
        if isinstance(event, STREAM_EVENTS):
            queue = self._queues.get(event.stream_id)
            if queue is not None:
                queue.append(event)
            elif isinstance(event, h2.events.DataReceived):
                # Nobody will read it: hand the window back at once.
                self._h2.acknowledge_received_data(
                    event.flow_controlled_length, event.stream_id
                )
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            self._settings_received = True
            remote = self._h2.remote_settings.max_concurrent_streams
            self.max_streams = min(remote, MAX_STREAMS)
            self._capacity_changed = True
        elif isinstance(event, h2.events.ConnectionTerminated):
            last = event.last_stream_id or 0
            if self._last_stream_id is None or last < self._last_stream_id:
                self._last_stream_id = last
            self._capacity_changed = True

    # --- one request --------------------------------------------------------

    async def handle_request(self, request: Request, timeout: Timeout) -> AsyncResponse:
        exchange = Exchange(request)
        self._write_timeout = Timeout(timeout).write  # see `start`
        info: dict[str, typing.Any] = {"request": request}
        try:
            async with trace(
                "http2.send_request_headers", logger, request, info
            ) as step:
                rest = await self._open_stream(exchange, request, timeout)
                step.return_value = exchange.stream_id
            info = {"request": request, "stream_id": exchange.stream_id}
            if not (exchange.expect_continue and await refused_body(self, exchange)):
                async with trace("http2.send_request_body", logger, request, info):
                    await self._send_body(exchange, request, rest, timeout)
                exchange.sent_all = True
            async with trace(
                "http2.receive_response_headers", logger, request, info
            ) as step:
                event = await self._receive_response(exchange, timeout)
                step.return_value = event.headers
        except BaseException as exc:
            self._forget(exchange, complete=False)
            if isinstance(exc, Exception) and self._error is None:
                try:
                    await self._flush()  # the reset, without waiting for others
                except Exception:
                    pass
            raise
        if time_left(timeout) is not None:
            self._bounded[typing.cast(int, exchange.stream_id)] = timeout
        status = 0
        headers = []
        for name, value in event.headers:
            if name == b":status":
                status = int(value)
            elif not name.startswith(b":"):
                headers.append((name, value))
        return AsyncResponse(
            status,
            headers=headers,
            stream=HTTP2Body(self, exchange, timeout.read),
            request=request,
            extensions={
                "http_version": b"HTTP/2",
                "reason_phrase": b"",
                "network_stream": self._stream,
                "stream_id": exchange.stream_id,
            },
        )

    async def _open_stream(
        self, exchange: Exchange, request: Request, timeout: Timeout
    ) -> bytes | None:
        """
        Send the headers, and a body known in full as far as the window
        allows. Returns what is left of that body, or None for a streamed one.
        """
        headers = request_headers(request)
        body = request.stream
        whole = body._data if isinstance(body, ByteStream) else None
        while True:
            # The pool never hands out more slots than the server allows, but
            # the server may have lowered its limit since: wait for a stream.
            await self._wait_for(self._can_open_now, timeout.pool, PoolTimeout)
            await self._write_lock.acquire()
            try:
                with self._guard:
                    if not self._can_open():
                        continue
                    if not self.accepting:
                        raise stream_error(self, exchange)
                    try:
                        stream_id = self._h2.get_next_available_stream_id()
                    except h2.exceptions.NoAvailableStreamIDError:
                        self._fail(LocalProtocolError("No stream ids are left."))
                        raise stream_error(self, exchange) from None
                    exchange.stream_id = stream_id
                    exchange.reused = self._completed > 0
                    self._queues[stream_id] = collections.deque()
                    self.requests_started += 1
                    rest = whole
                    try:
                        self._h2.send_headers(
                            stream_id, headers, end_stream=whole == b""
                        )
                        if whole and not exchange.expect_continue:
                            rest = whole[self._send_data(stream_id, whole, end=True) :]
                    except h2.exceptions.ProtocolError as exc:
                        if self._error is not None:
                            raise stream_error(self, exchange) from None
                        # h2 may have encoded part of the header block: the
                        # connection's HPACK state can no longer be trusted.
                        error = LocalProtocolError(f"Invalid HTTP/2 request: {exc}")
                        self._fail(error)
                        raise error from exc
                    data = self._h2.data_to_send()
                await self._write_for(exchange, data, timeout.write)
            finally:
                self._write_lock.release()
            return rest

    def _can_open(self) -> bool:
        """Under `_guard`: True when a stream may open, or never will."""
        if not self.accepting:
            return True
        limit = self._h2.remote_settings.max_concurrent_streams
        # `streams` holds the open streams and some closed ones not yet swept:
        # when it is small enough, counting the open ones is not needed.
        streams = self._h2.streams
        return len(streams) < limit or self._h2.open_outbound_streams < limit

    def _can_open_now(self) -> bool:
        with self._guard:
            return self._can_open()

    def _send_data(self, stream_id: int, data: bytes, *, end: bool) -> int:
        """Under `_guard`: queue as much of `data` as the windows allow."""
        window = self._h2.local_flow_control_window(stream_id)
        frame_size = self._h2.max_outbound_frame_size
        view = memoryview(data)
        sent = 0
        while sent < len(view) and window > 0:
            size = min(window, frame_size, len(view) - sent)
            last = end and sent + size == len(view)
            self._h2.send_data(stream_id, view[sent : sent + size], end_stream=last)
            sent += size
            window -= size
        return sent

    async def _send_body(
        self,
        exchange: Exchange,
        request: Request,
        rest: bytes | None,
        timeout: Timeout,
    ) -> None:
        if rest is None:
            async for chunk in request.stream:
                if chunk and not await self._send_chunk(exchange, chunk, timeout):
                    return
        elif rest:
            if not await self._send_chunk(exchange, rest, timeout):
                return
        else:
            return  # all sent with the headers, END_STREAM included
        await self._send_chunk(exchange, b"", timeout)

    async def _send_chunk(
        self, exchange: Exchange, chunk: bytes, timeout: Timeout
    ) -> bool:
        """
        Send `chunk` as the window allows; `b""` ends the stream. False when
        the server closed the stream meanwhile (it answered early): stop
        sending and read its response.
        """
        stream_id = typing.cast(int, exchange.stream_id)
        while True:
            if chunk:
                await self._wait_for(
                    lambda: self._window(stream_id) != 0, timeout.write, WriteTimeout
                )
            if self._error is not None:
                raise stream_error(self, exchange)
            await self._write_lock.acquire()
            try:
                with self._guard:
                    if self._stream_closed(stream_id):
                        return False
                    try:
                        if chunk:
                            sent = self._send_data(stream_id, chunk, end=False)
                        else:
                            self._h2.end_stream(stream_id)
                            sent = 0
                    except h2.exceptions.ProtocolError as exc:
                        if self._error is None:
                            raise LocalProtocolError(str(exc)) from exc
                        raise stream_error(self, exchange) from None
                    data = self._h2.data_to_send()
                if data:
                    await self._write_for(exchange, data, timeout.write)
            finally:
                self._write_lock.release()
            chunk = chunk[sent:]
            if not chunk:
                return True

    def _window(self, stream_id: int) -> int:
        """The send window; -1 once the stream or the connection is closed."""
        with self._guard:
            if self._error is not None:
                return -1
            if self._stream_closed(stream_id):
                return -1
            return self._h2.local_flow_control_window(stream_id)

    def _stream_closed(self, stream_id: int) -> bool:
        """Under `_guard`: the server reset the stream (it may have answered)."""
        stream = self._h2.streams.get(stream_id)
        return stream is None or stream.closed

    async def _receive_response(
        self, exchange: Exchange, timeout: Timeout
    ) -> h2.events.ResponseReceived:
        while True:
            event = await self.next_event(exchange, timeout.read)
            if isinstance(event, h2.events.ResponseReceived):
                exchange.responded = True
                return event
            if isinstance(event, h2.events.InformationalResponseReceived):
                await report_informational(exchange, event)

    async def next_event(
        self, exchange: Exchange, timeout: float | None
    ) -> StreamEvent:
        """The stream's next event; its failure (or the connection's) raised."""
        stream_id = typing.cast(int, exchange.stream_id)
        queue = self._queues.get(stream_id)
        if queue is None:
            raise RemoteProtocolError("The stream has been closed.")
        await self._wait_for(
            lambda: bool(queue) or self._stream_failed(stream_id), timeout, ReadTimeout
        )
        if not queue:
            raise stream_error(self, exchange)
        event = queue.popleft()
        if isinstance(event, h2.events.StreamReset):
            error = RemoteProtocolError(reset_message(event))
            if event.error_code == ErrorCodes.REFUSED_STREAM and not exchange.responded:
                raise StaleConnection(error)  # not processed: safe to retry
            raise error
        return event

    def _stream_failed(self, stream_id: int) -> bool:
        last = self._last_stream_id
        return self._error is not None or (last is not None and stream_id > last)

    # --- giving a stream back -------------------------------------------

    async def read_body(self, exchange: Exchange, timeout: float | None) -> bytes:
        """
        The next part of the response body, b"" at its end. DATA frames that
        arrived together are joined, and acknowledged as the consumer takes
        them: the server may then send that much more.
        """
        bounded = self._bounded.get(typing.cast(int, exchange.stream_id))
        while True:
            try:
                event = await self.next_event(
                    exchange, timeout if bounded is None else bounded.read
                )
            except TimeoutException as exc:
                error = exc if bounded is None else total_exceeded(bounded, exc)
                if error is not exc:
                    raise error from exc
                raise
            if isinstance(event, h2.events.DataReceived):
                stream_id = typing.cast(int, exchange.stream_id)
                chunks = [event.data]
                size = event.flow_controlled_length
                queue = self._queues[stream_id]
                while (
                    queue
                    and isinstance(queue[0], h2.events.DataReceived)
                    and size < MAX_CHUNK
                ):
                    more = typing.cast(h2.events.DataReceived, queue.popleft())
                    chunks.append(more.data)
                    size += more.flow_controlled_length
                with self._guard:
                    self._h2.acknowledge_received_data(size, stream_id)
                await self._flush()
                data = b"".join(chunks)
                if data:
                    return data
            elif isinstance(event, h2.events.StreamEnded):
                self._forget(exchange, complete=True)
                if not exchange.sent_all:  # answered early: reset our side now
                    await self._flush()
                return b""
            # Trailers are not exposed; the stream's end follows them.

    def _forget(self, exchange: Exchange, *, complete: bool) -> None:
        """
        Give the stream's slot back, resetting the stream unless it completed.
        Never blocks: from a finalizer the work is queued for `_guard`'s holder.
        """
        if exchange.done:
            return
        exchange.done = True
        self._deferred.append((exchange, complete))
        self._guard.try_drain()

    def _drain_deferred(self) -> None:
        """Under `_guard`: finish the streams queued by `_forget`."""
        while self._deferred:
            exchange, complete = self._deferred.popleft()
            stream_id = exchange.stream_id
            if stream_id is not None:
                queue = self._queues.pop(stream_id, None)
                self._bounded.pop(stream_id, None)
                unread = sum(
                    event.flow_controlled_length
                    for event in queue or ()
                    if isinstance(event, h2.events.DataReceived)
                )
                try:
                    stream = self._h2.streams.get(stream_id)
                    if stream is not None and not stream.closed:
                        self._h2.reset_stream(stream_id, ErrorCodes.CANCEL)
                    if unread:
                        self._h2.acknowledge_received_data(unread, stream_id)
                except h2.exceptions.H2Error:
                    pass  # the connection has failed already
            if complete:
                self._completed += 1
            self._streams_done += 1
