"""
The sync backend: blocking sockets behind the async interface.

Every primitive is an `async def` that blocks until it is done and never
suspends, so `drive()` runs a core coroutine to completion in one step.
Thread-safe: the same pool can serve many threads at once, and one stream can
be read by one thread while another writes to it (HTTP/2).
"""

from __future__ import annotations

import io
import select
import socket
import ssl
import threading
import time
import typing

from .._exceptions import (
    ConnectError,
    ConnectTimeout,
    ExceptionMap,
    ReadError,
    ReadTimeout,
    TimeoutException,
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
    finite,
    handshake_cut_short,
    poll_writable,
    readable_poller,
    tls_handshake_errors,
)
from .happy_eyeballs import AddrInfo, getaddrinfo, open_socket
from .sync_tls import start_tls_in_tls

ErrorMap = dict[type[BaseException], type[Exception]]
READ_ERRORS: ErrorMap = {TimeoutError: ReadTimeout, OSError: ReadError}
WRITE_ERRORS: ErrorMap = {TimeoutError: WriteTimeout, OSError: WriteError}
CONNECT_ERRORS: ErrorMap = {TimeoutError: ConnectTimeout, OSError: ConnectError}


class _MapErrors(ExceptionMap):
    """`map_exceptions`, with timeouts saying how long, as on other backends."""

    __slots__ = ("_timeout",)

    def __init__(self, errors: ErrorMap, timeout: float | None) -> None:
        super().__init__(errors)
        self._timeout = timeout

    def _message(self, exc: Exception, to_exc: type[Exception]) -> str:
        if isinstance(exc, TimeoutError) and issubclass(to_exc, TimeoutException):
            return f"Timed out after {self._timeout} seconds."  # not "timed out"
        return super()._message(exc, to_exc)


class SyncStream:
    """A blocking socket, with TLS through `ssl.SSLSocket`."""

    __slots__ = ("_poller", "_sock", "_timeout")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout: float | None = sock.gettimeout()
        self._poller: select.poll | None = None  # for `is_readable`

    def _set_timeout(self, timeout: float | None) -> None:
        timeout = finite(timeout)
        if timeout != self._timeout:
            self._sock.settimeout(timeout)
            self._timeout = timeout

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _MapErrors(READ_ERRORS, timeout):
            self._set_timeout(timeout)
            return self._sock.recv(max_bytes)

    async def read_exactly(
        self,
        size: int,
        timeout: float | None = None,
        prefix: bytes = b"",
        within: float | None = None,
    ) -> bytes:
        """
        `prefix` and then `size` bytes more, fewer only if the peer closed
        first, as one bytes object that the socket fills directly: a large
        body framed by Content-Length costs no copy and no join. `timeout`
        bounds each wait; `within`, if given, the whole read.
        """
        deadline = None if within is None else time.monotonic() + within
        filler = _Filler(prefix, self._recv_into, timeout, deadline)
        # io.BufferedReader.read(n) allocates the bytes object once and has
        # the raw reader fill it; with a 1-byte buffer every byte goes
        # straight there. (Closing the reader closes `filler`, not the socket.)
        with _MapErrors(READ_ERRORS, timeout):
            with io.BufferedReader(filler, buffer_size=1) as reader:
                return reader.read(len(prefix) + size)

    def _recv_into(self, buffer: memoryview, timeout: float | None) -> int:
        self._set_timeout(timeout)
        return self._sock.recv_into(buffer)

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        with _MapErrors(WRITE_ERRORS, timeout):
            self._set_timeout(timeout)
            self._sock.sendall(data)

    async def aclose(self) -> None:
        self.close_nowait()

    def close_nowait(self) -> None:
        try:
            self._sock.close()
        except OSError:  # pragma: no cover - close() of a socket rarely fails
            pass

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None,
        timeout: float | None,
    ) -> NetworkStream:
        with _MapErrors(tls_handshake_errors(CONNECT_ERRORS), timeout):
            try:
                self._set_timeout(timeout)
                sock = ssl_context.wrap_socket(
                    self._sock, server_hostname=server_hostname
                )
            except HANDSHAKE_CUT_SHORT as exc:
                self.close_nowait()
                raise handshake_cut_short(exc) from exc
            except BaseException:
                self.close_nowait()
                raise
        return SyncTLSStream(sock)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "ssl_object":
            return self._sock if isinstance(self._sock, ssl.SSLSocket) else None
        if info == "socket":
            return self._sock
        if self._sock.fileno() < 0:  # closed
            return True if info == "is_readable" else None
        if info == "client_addr":
            return self._sock.getsockname()
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "is_readable":
            if self._poller is None:
                self._poller = readable_poller(self._sock.fileno())
            return bool(self._poller.poll(0))
        return None


class SyncTLSStream(SyncStream):
    """
    A TLS socket that one thread may read while another writes (HTTP/2).

    OpenSSL forbids concurrent calls on one connection: a blocking `recv` in
    one thread and a `sendall` in another corrupt the records. So the socket
    is non-blocking, every TLS call is made under a lock and returns at once,
    and the waiting for the socket happens outside the lock.
    """

    __slots__ = ("_lock",)

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self._lock = threading.Lock()
        sock.setblocking(False)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout = finite(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        with _MapErrors(READ_ERRORS, timeout):
            while True:
                with self._lock:
                    try:
                        return self._sock.recv(max_bytes)
                    except ssl.SSLWantReadError:
                        wait_for = select.POLLIN
                    except ssl.SSLWantWriteError:
                        wait_for = select.POLLOUT
                self._wait(wait_for, deadline)

    def _recv_into(self, buffer: memoryview, timeout: float | None) -> int:
        deadline: float | None = None
        while True:
            with self._lock:
                try:
                    return self._sock.recv_into(buffer)
                except ssl.SSLWantReadError:
                    wait_for = select.POLLIN
                except ssl.SSLWantWriteError:
                    wait_for = select.POLLOUT
            # The clock starts at the first wait: most reads need none.
            if deadline is None and finite(timeout) is not None:
                deadline = time.monotonic() + typing.cast(float, timeout)
            self._wait(wait_for, deadline)

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        timeout = finite(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        view = memoryview(data)
        with _MapErrors(WRITE_ERRORS, timeout):
            while view:
                with self._lock:
                    try:
                        # After a "want", OpenSSL needs the same buffer again.
                        view = view[self._sock.send(view) :]
                        continue
                    except ssl.SSLWantWriteError:
                        wait_for = select.POLLOUT
                    except ssl.SSLWantReadError:
                        wait_for = select.POLLIN
                self._wait(wait_for, deadline)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None,
        timeout: float | None,
    ) -> NetworkStream:
        # TLS in TLS (through an HTTPS proxy's tunnel): an SSLSocket cannot
        # wrap another one.
        return await start_tls_in_tls(self, ssl_context, server_hostname, timeout)

    def _wait(self, events: int, deadline: float | None) -> None:
        if self._sock.fileno() < 0:
            raise OSError("The connection is closed.")
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimeoutError
        # A poll object of its own: threads may wait on one stream at once.
        poller = select.poll()
        poller.register(self._sock, events | select.POLLERR | select.POLLHUP)
        if not poller.poll(None if remaining is None else remaining * 1000):
            raise TimeoutError


class _Filler(io.RawIOBase):
    """The raw reader behind `SyncStream.read_exactly`: `prefix`, then the socket."""

    def __init__(
        self,
        prefix: bytes,
        recv_into: typing.Callable[[memoryview, float | None], int],
        timeout: float | None,
        deadline: float | None,
    ) -> None:
        self._prefix = prefix
        self._recv_into = recv_into
        self._timeout = timeout
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: typing.Any) -> int:
        # Called once per piece the socket gives (one per TLS record): lean.
        if self._prefix:
            view = memoryview(buffer).cast("B")
            count = min(len(view), len(self._prefix))
            view[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        if self._deadline is None:
            return self._recv_into(buffer, self._timeout)
        timeout = self._timeout
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        timeout = left if timeout is None else min(timeout, left)
        return self._recv_into(buffer, timeout)


class SyncEvent:
    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self, timeout: float | None) -> bool:
        return self._event.wait(finite(timeout))


class SyncLock:
    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()

    async def acquire(self) -> None:
        self._lock.acquire()

    def release(self) -> None:
        self._lock.release()


class SyncBackend:
    """Blocking sockets and `threading` primitives."""

    name = "sync"

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
        return SyncStream(sock)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None,
        *,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> NetworkStream:
        check_unix_sockets()
        with map_exceptions(CONNECT_ERRORS):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                apply_socket_options(sock, socket_options)
                sock.settimeout(finite(timeout))
                sock.connect(path)
            except BaseException:
                sock.close()
                raise
        return SyncStream(sock)

    async def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def create_event(self) -> SyncEvent:
        return SyncEvent()

    def create_lock(self) -> SyncLock:
        return SyncLock()

    async def resolve(
        self, host: str, port: int, timeout: float | None
    ) -> list[AddrInfo]:
        """Look `host` up (off the event loop for async backends)."""
        return await _CONNECTOR.resolve(host, port, timeout)

    def monotonic(self) -> float:
        return time.monotonic()


class _SyncConnector:
    """Happy eyeballs with blocking calls: a lookup, then `poll()`."""

    async def resolve(
        self, host: str, port: int, timeout: float | None
    ) -> list[AddrInfo]:
        return getaddrinfo(host, port)

    async def wait_writable(
        self, socks: list[socket.socket], timeout: float | None
    ) -> list[socket.socket]:
        return poll_writable(socks, timeout)

    def monotonic(self) -> float:
        return time.monotonic()


_CONNECTOR = _SyncConnector()
