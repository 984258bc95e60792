"""
A slow HTTP/1.1 server for load and contention tests, in a subprocess.

`SlowServer()` starts `python -m tests.servers.slow` and reads the port it
bound on 127.0.0.1. The server is a small asyncio protocol (no framework, so
it holds thousands of keep-alive connections cheaply) and runs in its own
process, so it has its own interpreter lock and file descriptors: the
client's descriptors can be counted alone.

Routes (GET; a request body, framed by Content-Length, is read and dropped):

- `/delay/<ms>`: answers `ok` after `ms` milliseconds.
- `/barrier/<name>/<n>`: answers `ok` once `n` requests for `/barrier/<name>/`
  are in flight at once (a request whose connection closes leaves). A group
  that never fills answers nobody: the client's timeout says so.
- `/bytes/<n>`: answers `n` bytes at once.
- `/stats`: JSON `{"open": ..., "peak": ..., "requests": ...}` about the
  server's connections so far (`peak`: the most open at once).

Anything else is a 404.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import typing

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
MAX_HEAD = 16 * 1024


class _Stats:
    def __init__(self) -> None:
        self.open = 0
        self.peak = 0
        self.requests = 0


class _Barrier:
    def __init__(self, size: int) -> None:
        self.size = size
        self.waiting: set[asyncio.Future[None]] = set()


class _Server:
    def __init__(self) -> None:
        self.stats = _Stats()
        self.barriers: dict[str, _Barrier] = {}

    async def join_barrier(self, name: str, size: int) -> None:
        barrier = self.barriers.setdefault(name, _Barrier(size))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        barrier.waiting.add(future)
        if len(barrier.waiting) >= barrier.size:
            del self.barriers[name]
            for waiter in barrier.waiting:
                if not waiter.done():
                    waiter.set_result(None)
        try:
            await future
        finally:
            barrier.waiting.discard(future)


class _Connection(asyncio.Protocol):
    def __init__(self, server: _Server) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.Transport, transport)
        stats = self.server.stats
        stats.open += 1
        stats.peak = max(stats.peak, stats.open)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.stats.open -= 1
        if self.task is not None:
            self.task.cancel()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._next()

    def _next(self) -> None:
        """Start answering the next whole request, one at a time."""
        if self.task is not None and not self.task.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                self._close()
            return
        head = self.buffer[:end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        self.buffer = self.buffer[end + 4 + length :]
        target = head.split(" ", 2)[1]
        self.task = asyncio.ensure_future(self._answer(target))

    async def _answer(self, target: str) -> None:
        self.server.stats.requests += 1
        parts = target.split("/")
        status, body = b"200 OK", b"ok"
        if len(parts) == 3 and parts[1] == "delay":
            await asyncio.sleep(int(parts[2]) / 1000)
        elif len(parts) == 4 and parts[1] == "barrier":
            await self.server.join_barrier(parts[2], int(parts[3]))
        elif len(parts) == 3 and parts[1] == "bytes":
            body = b"x" * int(parts[2])
        elif target == "/stats":
            stats = self.server.stats
            body = json.dumps(vars(stats)).encode()
        else:
            status, body = b"404 Not Found", b"not found"
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.write(
            b"HTTP/1.1 %s\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body)
        )
        asyncio.get_running_loop().call_soon(self._next)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def raise_fd_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; the new value."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def _main() -> None:
    raise_fd_limit()
    server = _Server()
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(
        lambda: _Connection(server), "127.0.0.1", 0, backlog=4096
    )
    port = listener.sockets[0].getsockname()[1]
    print(port, flush=True)
    # Stop when the parent closes our stdin (or dies).
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    await reader.read()
    listener.close()


class SlowServer:
    """The slow server in a subprocess; a context manager."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.servers.slow"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        )
        assert self._process.stdout is not None
        line = self._read_line(START_TIMEOUT)
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}"

    def _read_line(self, timeout: float) -> bytes:
        import selectors

        stdout = self._process.stdout
        assert stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                self.stop()
                raise RuntimeError("the slow server did not start")
        line = stdout.readline()
        if not line.strip():
            self.stop()
            raise RuntimeError("the slow server exited before it listened")
        return line

    def stats(self) -> dict[str, int]:
        """The server's connection counts, asked over a connection of its own."""
        import socket

        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while not data.endswith(b"}"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        return typing.cast(dict[str, int], json.loads(data.split(b"\r\n\r\n")[1]))

    def stop(self) -> None:
        process = self._process
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            process.kill()
            process.wait(STOP_TIMEOUT)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> SlowServer:
        return self

    def __exit__(self, *args: object) -> None:
        self.stop()


if __name__ == "__main__":
    asyncio.run(_main())
