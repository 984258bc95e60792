"""
The trio backend: trio's socket and TLS streams, trio's cancellation.

Imported only when a pool runs under trio (the `trio` extra).

How cancellation is kept from breaking a connection:

- A read cancelled while it waits has taken no byte (trio guarantees it for
  sockets, and `SSLStream` only reads from its socket), so the connection
  stays usable.
- A write is shielded from cancellation: a `send_all` cancelled half-way
  leaves an unknown part of the data sent, and would break an HTTP/2
  connection that other requests share (`SSLStream` marks itself broken).
  So a write hands all its bytes over and the cancellation lands after it.
  But a write can block for as long as the peer does not read: a watcher
  task, cancelled with the caller, then gives the shielded write
  `WRITE_GRACE` seconds more; a write still blocked after that is abandoned
  and its stream closed (it can no longer be trusted), and the caller's
  cancellation goes on. Every write is also bounded by its write timeout,
  and closing the connection (the pool's `close`) wakes it.
- Closing never awaits: it closes the socket at once, which also works from
  a finalizer, where trio cannot be awaited (outside trio's run, the socket
  is closed without telling trio, which is then not watching it).

Timeouts are `trio.fail_after` scopes; `TooSlowError` becomes the matching
httpcore timeout, and trio's `BrokenResourceError`, `ClosedResourceError`
and `OSError` become `ReadError`, `WriteError` or `ConnectError`, chained.
"""

from __future__ import annotations

import math
import socket
import ssl
import time
import typing

import trio

from .._exceptions import (
    ConnectError,
    ConnectTimeout,
    NetworkError,
    ReadError,
    ReadTimeout,
    TimeoutException,
    WriteError,
    WriteTimeout,
)
from .base import NetworkStream, SocketOption
from .common import (
    HANDSHAKE_CUT_SHORT,
    apply_socket_options,
    check_port,
    check_unix_sockets,
    handshake_cut_short,
    is_socket_readable,
)
from .happy_eyeballs import AddrInfo, getaddrinfo, open_socket

_BROKEN = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)


# How much longer a write may go on once its caller is cancelled (see the
# module's docstring).
WRITE_GRACE = 0.5


async def _grace_when_cancelled(shield: trio.CancelScope) -> None:
    try:
        await trio.sleep_forever()
    finally:
        # Cancelled with the caller, or by the write itself once it is done.
        shield.deadline = min(shield.deadline, trio.current_time() + WRITE_GRACE)


def _ungroup(group: BaseException) -> BaseException:
    """The one exception a write's nursery gathered (trio groups even one):
    the caller's `Cancelled`, or an error of the write itself. (A
    `BaseExceptionGroup`: builtin from Python 3.11 only.)"""
    leaves = []
    pending = [group]
    while pending:
        exc = pending.pop()
        inner = getattr(exc, "exceptions", None)
        if inner is not None:
            pending.extend(inner)
        else:
            leaves.append(exc)
    errors = [exc for exc in leaves if not isinstance(exc, trio.Cancelled)]
    exc = errors[0] if errors else leaves[0]
    if isinstance(exc, _BROKEN):
        error = WriteError(_describe(exc))
        error.__cause__ = exc
        return error
    return exc


def _forever(timeout: float | None) -> float:
    return math.inf if timeout is None else max(timeout, 0.0)


def _describe(exc: BaseException) -> str:
    """A message for `exc`; trio's own errors often carry theirs in the cause."""
    message = str(exc)
    if not message and exc.__cause__ is not None:
        message = str(exc.__cause__)
    return message or repr(exc)


def _translate(
    exc: Exception,
    timeout: float | None,
    timeout_class: type[TimeoutException],
    error_class: type[NetworkError],
) -> Exception:
    if isinstance(exc, trio.TooSlowError):
        return timeout_class(f"Timed out after {timeout} seconds.")
    return error_class(_describe(exc))


class TrioStream:
    """A trio stream (socket, or TLS over it) and the socket beneath it."""

    __slots__ = ("_raw", "_stream")

    def __init__(self, stream: trio.abc.Stream, raw: socket.socket) -> None:
        self._stream = stream
        self._raw = raw  # the stdlib socket, for closing outside trio

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            if timeout is None:
                data = await self._stream.receive_some(max_bytes)
            else:
                with trio.fail_after(max(timeout, 0.0)):
                    data = await self._stream.receive_some(max_bytes)
        except (trio.TooSlowError, *_BROKEN) as exc:
            raise _translate(exc, timeout, ReadTimeout, ReadError) from exc
        return data if isinstance(data, bytes) else bytes(data)

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        if not data:
            return
        deadline = trio.current_time() + _forever(timeout)
        shield = trio.CancelScope(shield=True, deadline=deadline)
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_grace_when_cancelled, shield)
                try:
                    with shield:
                        await self._stream.send_all(data)
                    if shield.cancelled_caught and shield.deadline < deadline:
                        # Given up after the caller's cancellation (the watcher
                        # moved the deadline): some of `data` may have gone, so
                        # the stream is unusable. (After a plain write timeout
                        # it stays open: an early answer may still be read.)
                        self.close_nowait()
                finally:
                    nursery.cancel_scope.cancel()
        except _BROKEN as exc:
            raise WriteError(_describe(exc)) from exc
        except BaseException as exc:
            if not hasattr(exc, "exceptions"):
                raise
            raise _ungroup(exc) from None
        if shield.cancelled_caught:
            raise WriteTimeout(f"Timed out after {timeout} seconds.")

    async def aclose(self) -> None:
        self.close_nowait()

    def close_nowait(self) -> None:
        raw = self._raw
        if raw.fileno() < 0:
            return
        try:
            # Tells trio first, so that a task waiting on the socket wakes.
            trio.lowlevel.notify_closing(raw)
        except RuntimeError:
            pass  # outside trio's run: nothing is waiting on it
        raw.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None,
        timeout: float | None,
    ) -> NetworkStream:
        # https_compatible: servers often close without close_notify.
        tls = trio.SSLStream(
            self._stream,
            ssl_context,
            server_hostname=server_hostname,
            https_compatible=True,
        )
        try:
            with trio.fail_after(_forever(timeout)):
                await tls.do_handshake()
        except BaseException as exc:
            self.close_nowait()
            for error in (exc, exc.__cause__):
                if isinstance(error, HANDSHAKE_CUT_SHORT):
                    raise handshake_cut_short(error) from exc
            if isinstance(exc, (trio.TooSlowError, *_BROKEN)):
                raise _translate(exc, timeout, ConnectTimeout, ConnectError) from exc
            raise
        return TrioStream(tls, self._raw)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "ssl_object":
            # `SSLStream` passes the SSL object's methods through
            # (`selected_alpn_protocol`, `version`, `getpeercert`...).
            stream = self._stream
            return stream if isinstance(stream, trio.SSLStream) else None
        raw = self._raw
        if info == "socket":
            return raw
        if raw.fileno() < 0:
            return True if info == "is_readable" else None
        if info == "client_addr":
            return raw.getsockname()
        if info == "server_addr":
            return raw.getpeername()
        if info == "is_readable":
            return is_socket_readable(raw)
        return None


class TrioEvent:
    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = trio.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self, timeout: float | None) -> bool:
        with trio.move_on_after(_forever(timeout)):
            await self._event.wait()
            return True
        return False


class TrioLock:
    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = trio.Lock()

    async def acquire(self) -> None:
        await self._lock.acquire()

    def release(self) -> None:
        self._lock.release()


class TrioBackend:
    """trio's sockets and TLS streams, and its synchronization primitives."""

    name = "trio"

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
        try:
            raw = await open_socket(
                _CONNECTOR,
                host,
                port,
                timeout,
                local_address=local_address,
                socket_options=socket_options,
            )
        except NotImplementedError as exc:
            raise _unsupported(exc) from exc
        return _stream(raw)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None,
        *,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> NetworkStream:
        check_unix_sockets()
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            apply_socket_options(raw, socket_options)
            sock = trio.socket.from_stdlib_socket(raw)
            with trio.fail_after(_forever(timeout)):
                await sock.connect(path)
        except BaseException as exc:
            raw.close()
            if isinstance(exc, (trio.TooSlowError, OSError)):
                raise _translate(exc, timeout, ConnectTimeout, ConnectError) from exc
            if isinstance(exc, NotImplementedError):
                raise _unsupported(exc) from exc
            raise
        return _stream(raw)

    async def sleep(self, seconds: float) -> None:
        await trio.sleep(seconds)

    def create_event(self) -> TrioEvent:
        return TrioEvent()

    def create_lock(self) -> TrioLock:
        return TrioLock()

    async def resolve(
        self, host: str, port: int, timeout: float | None
    ) -> list[AddrInfo]:
        """Look `host` up (off the event loop for async backends)."""
        return await _CONNECTOR.resolve(host, port, timeout)

    def monotonic(self) -> float:
        # Not `trio.current_time()`: the pool reads the clock from
        # finalizers too, which may run outside trio's run.
        return time.monotonic()


def _unsupported(exc: NotImplementedError) -> ConnectError:
    # trio raises NotImplementedError for what a platform lacks (an I/O
    # primitive, a socket feature): the connection cannot be made.
    return ConnectError(f"Not supported by trio on this platform: {_describe(exc)}")


def _stream(raw: socket.socket) -> TrioStream:
    return TrioStream(trio.SocketStream(trio.socket.from_stdlib_socket(raw)), raw)


class _TrioConnector:
    """Happy eyeballs under trio: lookups in a thread, `wait_writable` tasks."""

    async def resolve(
        self, host: str, port: int, timeout: float | None
    ) -> list[AddrInfo]:
        try:
            with trio.fail_after(_forever(timeout)):
                return await trio.to_thread.run_sync(
                    getaddrinfo, host, port, abandon_on_cancel=True
                )
        except trio.TooSlowError as exc:
            raise ConnectTimeout(f"Timed out after {timeout} seconds.") from exc

    async def wait_writable(
        self, socks: list[socket.socket], timeout: float | None
    ) -> list[socket.socket]:
        ready: list[socket.socket] = []
        errors: list[Exception] = []

        async def watch(sock: socket.socket, done: trio.CancelScope) -> None:
            try:
                await trio.lowlevel.wait_writable(sock)
            except Exception as exc:
                # Kept out of the nursery, which would wrap it in a group.
                errors.append(exc)
            else:
                ready.append(sock)
            done.cancel()

        with trio.move_on_after(_forever(timeout)):
            async with trio.open_nursery() as nursery:
                for sock in socks:
                    nursery.start_soon(watch, sock, nursery.cancel_scope)
        if errors and not ready:
            raise errors[0]
        return ready

    def monotonic(self) -> float:
        return time.monotonic()


_CONNECTOR = _TrioConnector()
