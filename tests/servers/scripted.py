"""
Byte-scripted servers, for the responses no real server would send.

A `ScriptedServer` accepts connections on 127.0.0.1 in a background thread and
runs `handler(conn)` for each one in a thread of its own. The handler reads and
writes raw bytes through a `ScriptedConnection`:

    def handler(conn):
        conn.read_request()
        conn.send(b"HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nabc")
        conn.close()

A connection still open when its handler returns is closed gracefully; a
handler that wants to hold it open blocks, in `wait_for_close` for instance.

Everything is bounded in time: each socket has a timeout, `stop()` wakes every
blocked handler by shutting its socket down and joins all threads with a
deadline. An exception in a handler is recorded in `server.errors` instead of
escaping its thread (where pytest would report it against some other test).
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable

from tests.servers import tls

SOCKET_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
MAX_HEAD = 64 * 1024


class ScriptedConnection:
    """One accepted connection, as a handler sees it."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self._stopping = stopping
        self._buffer = b""
        self._lock = threading.Lock()
        self.closed = False

    @property
    def alpn_protocol(self) -> str | None:
        """The protocol the TLS handshake selected (None over plain TCP)."""
        if isinstance(self.sock, ssl.SSLSocket):
            return self.sock.selected_alpn_protocol()
        return None

    # --- Reading ------------------------------------------------------------

    def _fill(self) -> bool:
        """Read more bytes into the buffer; False when the peer has closed."""
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLEOFError):
            data = b""
        self._buffer += data
        return bool(data)

    def _read_until(self, delimiter: bytes) -> bytes | None:
        while delimiter not in self._buffer:
            if len(self._buffer) > MAX_HEAD:
                raise ValueError(f"no {delimiter!r} in the first {MAX_HEAD} bytes")
            if not self._fill():
                return None
        index = self._buffer.index(delimiter) + len(delimiter)
        data, self._buffer = self._buffer[:index], self._buffer[index:]
        return data

    def _read_exactly(self, n: int) -> bytes | None:
        while len(self._buffer) < n:
            if not self._fill():
                return None
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def read_request(self) -> bytes:
        """Read one request, head and body; return its raw bytes.

        The body is framed by Content-Length or chunked encoding, as the
        request's headers say. Returns b"" if the peer closed before sending
        anything, and whatever arrived if it closed part-way.
        """
        head = self._read_until(b"\r\n\r\n")
        if head is None:
            partial, self._buffer = self._buffer, b""
            return partial
        fields = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip().lower()
        if b"chunked" in fields.get(b"transfer-encoding", b""):
            return head + self._read_chunked()
        length = int(fields.get(b"content-length", b"0"))
        body = self._read_exactly(length)
        if body is None:
            body, self._buffer = self._buffer, b""
        return head + body

    def read_head(self) -> bytes:
        """Read a request's head only, leaving its body unread (b"" on EOF)."""
        return self._read_until(b"\r\n\r\n") or b""

    def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size_line = self._read_until(b"\r\n")
            if size_line is None:
                break
            parts.append(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                # Trailer fields, then the empty line that ends the message.
                while (line := self._read_until(b"\r\n")) is not None:
                    parts.append(line)
                    if line == b"\r\n":
                        return b"".join(parts)
                break
            data = self._read_exactly(size + 2)
            if data is None:
                break
            parts.append(data)
        # The peer closed part-way: return what arrived.
        parts.append(self._buffer)
        self._buffer = b""
        return b"".join(parts)

    def wait_for_close(self, timeout: float = 5.0) -> bool:
        """Wait until the peer closes its side; True if it did in `timeout`.

        Bytes that arrive meanwhile are kept for `read_request`.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopping.is_set():
                return False
            self.sock.settimeout(min(remaining, SOCKET_TIMEOUT))
            try:
                if not self._fill():
                    return True
            except TimeoutError:
                return False
            except OSError:
                return True
            finally:
                if not self.closed:
                    self.sock.settimeout(SOCKET_TIMEOUT)

    def hold(self, timeout: float = 10.0) -> None:
        """Keep the connection open without reading, until `stop()` or
        `timeout`: the peer's writes then stall once the buffers fill."""
        self._stopping.wait(timeout)

    # --- Writing ------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def sendall_slowly(self, data: bytes, delay: float, chunk_size: int = 1) -> None:
        """Send `data` `chunk_size` bytes at a time, `delay` seconds apart."""
        for start in range(0, len(data), chunk_size):
            if start and self._stopping.wait(delay):
                return
            self.sock.sendall(data[start : start + chunk_size])

    # --- Closing ------------------------------------------------------------

    def shutdown_write(self) -> None:
        """Send FIN but keep reading: a half-close, as a careful server does."""
        self.sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        """Close gracefully: close_notify over TLS, then FIN."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            try:
                if isinstance(self.sock, ssl.SSLSocket):
                    # Send close_notify without waiting for the peer's.
                    self.sock.setblocking(False)
                    try:
                        self.sock.unwrap()
                    except (ssl.SSLError, OSError):
                        pass
                self.sock.shutdown(socket.SHUT_WR)
                # Unread input would turn our FIN into a RST: discard it.
                self.sock.setblocking(False)
                while self.sock.recv(65536):
                    pass
            except (OSError, ValueError):
                pass
            finally:
                self.sock.close()

    def reset(self) -> None:
        """Close abortively: SO_LINGER 0 makes the kernel send a RST."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            try:
                linger = struct.pack("ii", 1, 0)
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            except OSError:
                pass
            finally:
                self.sock.close()

    def _abort(self) -> None:
        """Wake a handler blocked on this socket (used by `stop()`)."""
        with self._lock:
            if not self.closed:
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _release(self) -> None:
        with self._lock:
            if not self.closed:
                self.closed = True
                self.sock.close()


Handler = Callable[[ScriptedConnection], object]


class ScriptedServer:
    def __init__(
        self,
        handler: Handler,
        *,
        tls: bool = False,
        alpn: list[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.handler = handler
        self.tls = tls or ssl_context is not None
        if self.tls and ssl_context is None:
            ssl_context = _default_server_context(alpn or ["http/1.1"])
        self._ssl_context = ssl_context
        self.connections: list[ScriptedConnection] = []
        self.errors: list[BaseException] = []
        self.accepted = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        # Short, so the accept loop notices stop() promptly.
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"scripted:{self.port}", daemon=True
        )
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                if not self._stopping.is_set():
                    self.errors.append(exc)
                return
            sock.settimeout(SOCKET_TIMEOUT)
            thread = threading.Thread(
                target=self._serve, args=(sock,), name=f"scripted:{self.port}:conn"
            )
            thread.daemon = True
            with self._lock:
                if self._stopping.is_set():
                    sock.close()
                    return
                self.accepted += 1
                self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        if self._ssl_context is not None:
            # Handshake later, in this thread, once stop() can reach the socket.
            try:
                sock = self._ssl_context.wrap_socket(
                    sock, server_side=True, do_handshake_on_connect=False
                )
            except BaseException as exc:
                sock.close()
                self.errors.append(exc)
                return
        conn = ScriptedConnection(sock, self._stopping)
        with self._lock:
            self.connections.append(conn)
            if self._stopping.is_set():
                return
        try:
            if isinstance(sock, ssl.SSLSocket):
                sock.do_handshake()
            self.handler(conn)
        except BaseException as exc:
            # Once stop() has shut the sockets down, I/O errors are expected.
            if not (self._stopping.is_set() and isinstance(exc, OSError)):
                self.errors.append(exc)
        if not self._stopping.is_set():
            conn.close()

    def join(self, timeout: float = 5.0) -> bool:
        """Wait for the handlers started so far to return; True if they did.

        Lets a test look at what its handlers saw, without the race of
        calling `stop()` while they are still running.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        return not any(thread.is_alive() for thread in threads)

    def stop(self) -> None:
        """Close the listener and every connection; join every thread."""
        with self._lock:
            self._stopping.set()
        try:
            # Wakes the acceptor now rather than at its next poll (Linux).
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        deadline = time.monotonic() + STOP_TIMEOUT
        self._acceptor.join(max(deadline - time.monotonic(), 0.0))
        self._listener.close()
        with self._lock:
            connections = list(self.connections)
            threads = list(self._threads)
        for conn in connections:
            conn._abort()
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        with self._lock:
            connections = list(self.connections)
        # Only now close: a socket closed under a thread still blocked on it
        # would not wake it, and its fd number could be reused meanwhile.
        for conn in connections:
            conn._release()
        alive = [t.name for t in threads if t.is_alive()]
        if alive:
            raise RuntimeError(f"scripted handlers did not stop: {alive}")


def _default_server_context(alpn: list[str]) -> ssl.SSLContext:
    return tls.server_ssl_context(alpn=alpn)
