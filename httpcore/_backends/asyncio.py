"""
The asyncio backend, at the protocol/transport level.

A `StreamReader` costs a task switch and a copy per read; here the protocol
keeps the chunks the transport hands it and a read returns the next one
whole, so a response usually costs one wake-up and no copy. Reading pauses
the transport once more than `HIGH_WATER` bytes wait unread.

Timeouts are deadlines on the read or drain future, checked by one lazy
timer per kind of wait (`_Deadline`): a wait only moves the deadline, and the
timer, when it fires, either ends the wait or sets itself for the new
deadline. A request then costs no timer handle of its own (one would cost
more than the rest of the wait). Nothing here creates a task.
"""

from __future__ import annotations

import asyncio
import collections
import os
import select
import socket
import ssl
import time
import typing

from .._exceptions import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
    map_exceptions,
)
from .base import NetworkStream, SocketOption
from .common import (
    HANDSHAKE_CUT_SHORT,
    apply_socket_options,
    check_port,
    check_unix_sockets,
    handshake_cut_short,
    readable_poller,
    tls_handshake_errors,
)
from .happy_eyeballs import AddrInfo, getaddrinfo, open_socket

HIGH_WATER = 1024 * 1024

CONNECT_ERRORS: dict[type[BaseException], type[Exception]] = {
    asyncio.TimeoutError: ConnectTimeout,
    TimeoutError: ConnectTimeout,
    OSError: ConnectError,
}


def _wake(fut: asyncio.Future[bool] | None, value: bool) -> None:
    if fut is not None and not fut.done():
        fut.set_result(value)


class _Protocol(asyncio.Protocol):
    """Collects received chunks; wakes the one reader and the one writer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.reading_paused = False
        self.writing_paused = False
        self.read_waiter: asyncio.Future[bool] | None = None
        self.drain_waiter: asyncio.Future[bool] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > HIGH_WATER and not self.reading_paused:
            self.reading_paused = True
            assert self.transport is not None
            self.transport.pause_reading()
        _wake(self.read_waiter, True)

    def eof_received(self) -> bool:
        self.eof = True
        _wake(self.read_waiter, True)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self._salvage()
        self.eof = True
        self.error = exc
        _wake(self.read_waiter, True)
        _wake(self.drain_waiter, True)

    def _salvage(self) -> None:
        """
        Keep what the peer sent before the connection failed. A write that
        fails (the server answered an upload early with a 413, then reset)
        closes the transport at once, and what the kernel still holds for
        reading, the answer, would be lost with it; the socket is open until
        this callback returns. Plain TCP only: over TLS these are records.
        """
        transport = self.transport
        if transport is None or transport.get_extra_info("ssl_object") is not None:
            return
        sock = transport.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return
        for _ in range(16):  # bounded: an early answer is short
            try:
                data = os.read(sock.fileno(), 65536)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)
            self.buffered += len(data)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        _wake(self.drain_waiter, True)


class _Deadline:
    """
    The timeout of one kind of wait (reads, or drains) on one stream. The
    timer is set once and kept: a later wait with a later deadline only
    moves `deadline`, and the timer, when it fires early, sets itself again.
    """

    __slots__ = ("_handle", "_loop", "_when", "deadline", "future")

    # A timer may fire this much before its time (the loop's clock
    # resolution); it counts as on time.
    SLACK = 0.001

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._handle: asyncio.TimerHandle | None = None
        self._when = 0.0
        self.deadline = 0.0
        self.future: asyncio.Future[bool] | None = None

    def start(self, future: asyncio.Future[bool], timeout: float) -> None:
        self.future = future
        self.deadline = deadline = self._loop.time() + timeout
        if self._handle is None or self._when > deadline:
            self._set(deadline)

    def _set(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self._loop.call_at(when, self._fire)
        self._when = when

    def _fire(self) -> None:
        self._handle = None
        future = self.future
        if future is None or future.done():
            return  # the wait is over: the timer is set again by the next one
        if self.deadline - self._loop.time() > self.SLACK:
            self._set(self.deadline)
        else:
            future.set_result(False)

    def cancel(self) -> None:
        self.future = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class AsyncioStream:
    __slots__ = ("_deadlines", "_loop", "_poller", "_protocol", "_transport")

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()
        self._deadlines: dict[str, _Deadline] = {}
        self._poller: select.poll | None = None  # for `is_readable`

    def _waiter(self, attr: str, timeout: float | None) -> asyncio.Future[bool]:
        """
        The future the protocol wakes (`read_waiter` or `drain_waiter`): True
        when woken, False at the timeout. Awaited by the caller itself, not in
        a coroutine of its own: each coroutine of a request waiting costs
        again at every garbage collection while it waits.
        """
        fut: asyncio.Future[bool] = self._loop.create_future()
        setattr(self._protocol, attr, fut)
        if timeout is not None:
            deadline = self._deadlines.get(attr)
            if deadline is None:
                deadline = self._deadlines[attr] = _Deadline(self._loop)
            deadline.start(fut, timeout)
        return fut

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.chunks:
            if protocol.eof:
                return self._at_eof()
            try:
                woken = await self._waiter("read_waiter", timeout)
            finally:
                protocol.read_waiter = None
            if not woken:
                raise ReadTimeout(f"Timed out after {timeout} seconds.")
            if not protocol.chunks:
                return self._at_eof()
        data = protocol.chunks.popleft()
        if len(data) > max_bytes:
            protocol.chunks.appendleft(data[max_bytes:])
            data = data[:max_bytes]
        protocol.buffered -= len(data)
        if protocol.reading_paused and protocol.buffered <= HIGH_WATER // 4:
            protocol.reading_paused = False
            self._transport.resume_reading()
        return data

    def _at_eof(self) -> bytes:
        error = self._protocol.error
        if error is not None:
            raise ReadError(str(error) or repr(error)) from error
        return b""

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        if not data:
            return
        protocol = self._protocol
        if self._transport.is_closing() or protocol.error is not None:
            error = protocol.error
            raise WriteError("The connection was closed.") from error
        self._transport.write(data)
        while protocol.writing_paused:
            try:
                woken = await self._waiter("drain_waiter", timeout)
            finally:
                protocol.drain_waiter = None
            if not woken:
                raise WriteTimeout(f"Timed out after {timeout} seconds.")
            if protocol.error is not None or self._transport.is_closing():
                raise WriteError("The connection was closed.") from protocol.error

    async def aclose(self) -> None:
        self.close_nowait()

    def close_nowait(self) -> None:
        for deadline in self._deadlines.values():
            deadline.cancel()
        if not self._transport.is_closing():
            # Some bytes may wait unread: abort rather than wait for a clean
            # TLS shutdown that a peer may never answer.
            self._transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None,
        timeout: float | None,
    ) -> NetworkStream:
        with map_exceptions(tls_handshake_errors(CONNECT_ERRORS)):
            try:
                transport = await asyncio.wait_for(
                    self._loop.start_tls(
                        self._transport,
                        self._protocol,
                        ssl_context,
                        server_hostname=server_hostname,
                    ),
                    timeout,
                )
            except TypeError as exc:
                # CPython 3.11's asyncio fails this way when a handshake over
                # an SSL transport (TLS in TLS) fails: its `_force_close`
                # passes an argument `_abort()` does not take. The TLS error
                # is the context.
                self.close_nowait()
                cause = exc.__context__
                if not isinstance(cause, ssl.SSLError):  # pragma: no cover
                    raise
                raise ConnectError(str(cause)) from cause
            except HANDSHAKE_CUT_SHORT as exc:
                self.close_nowait()
                raise handshake_cut_short(exc) from exc
            except BaseException:
                self.close_nowait()
                raise
        assert transport is not None
        self._protocol.transport = transport
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            protocol = self._protocol
            if protocol.chunks or protocol.eof or self._transport.is_closing():
                return True
            # Bytes the loop has not read yet (a 408 sent just before the
            # server closed, say) are still in the socket: look there too.
            if self._poller is None:
                sock = self._transport.get_extra_info("socket")
                if sock is None or sock.fileno() < 0:
                    return True
                self._poller = readable_poller(sock.fileno())
            return bool(self._poller.poll(0))
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        return self._transport.get_extra_info(info)


class AsyncioEvent:
    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[bool]] = []

    def set(self) -> None:
        self._set = True
        for fut in self._waiters:
            _wake(fut, True)

    def is_set(self) -> bool:
        return self._set

    async def wait(self, timeout: float | None) -> bool:
        if self._set:
            return True
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(fut)
        handle = (
            None if timeout is None else loop.call_later(timeout, _wake, fut, False)
        )
        try:
            return await fut
        finally:
            self._waiters.remove(fut)
            if handle is not None:
                handle.cancel()


class AsyncioLock:
    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        await self._lock.acquire()

    def release(self) -> None:
        self._lock.release()


class AsyncioBackend:
    """Native asyncio: no anyio, no StreamReader."""

    name = "asyncio"

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None,
        *,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> NetworkStream:
        check_port(port)
        sock = await open_socket(
            _CONNECTOR,
            host,
            port,
            timeout,
            local_address=local_address,
            socket_options=socket_options,
        )
        loop = asyncio.get_running_loop()
        try:
            with map_exceptions(CONNECT_ERRORS):
                transport, protocol = await loop.create_connection(_Protocol, sock=sock)
        except BaseException:
            sock.close()
            raise
        return AsyncioStream(transport, protocol)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None,
        *,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> NetworkStream:
        check_unix_sockets()
        loop = asyncio.get_running_loop()
        with map_exceptions(CONNECT_ERRORS):
            transport, protocol = await asyncio.wait_for(
                loop.create_unix_connection(_Protocol, path), timeout
            )
        return _wrap(transport, protocol, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def create_event(self) -> AsyncioEvent:
        return AsyncioEvent()

    def create_lock(self) -> AsyncioLock:
        return AsyncioLock()

    async def resolve(
        self, host: str, port: int, timeout: float | None
    ) -> list[AddrInfo]:
        """Look `host` up (off the event loop for async backends)."""
        return await _CONNECTOR.resolve(host, port, timeout)

    def monotonic(self) -> float:
        # The clock asyncio's loop uses, readable outside the loop too (the
        # pool reads it from finalizers).
        return time.monotonic()


def _wrap(
    transport: asyncio.BaseTransport,
    protocol: _Protocol,
    socket_options: typing.Iterable[SocketOption] | None,
) -> AsyncioStream:
    transport = typing.cast(asyncio.Transport, transport)
    sock = transport.get_extra_info("socket")
    try:
        if sock is not None:
            apply_socket_options(sock, socket_options)
    except OSError as exc:
        transport.abort()
        raise ConnectError(str(exc)) from exc
    return AsyncioStream(transport, protocol)


class _AsyncioConnector:
    """Happy eyeballs on the event loop: lookups in its executor, writer callbacks."""

    async def resolve(
        self, host: str, port: int, timeout: float | None
    ) -> list[AddrInfo]:
        loop = asyncio.get_running_loop()
        with map_exceptions(CONNECT_ERRORS):
            return await asyncio.wait_for(
                loop.run_in_executor(None, getaddrinfo, host, port), timeout
            )

    async def wait_writable(
        self, socks: list[socket.socket], timeout: float | None
    ) -> list[socket.socket]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        ready: dict[socket.socket, None] = {}

        def writable(sock: socket.socket) -> None:
            ready[sock] = None
            _wake(fut, True)

        for sock in socks:
            loop.add_writer(sock.fileno(), writable, sock)
        handle = (
            None if timeout is None else loop.call_later(timeout, _wake, fut, False)
        )
        try:
            await fut
        finally:
            for sock in socks:
                loop.remove_writer(sock.fileno())
            if handle is not None:
                handle.cancel()
        return list(ready)

    def monotonic(self) -> float:
        return time.monotonic()


_CONNECTOR = _AsyncioConnector()
