"""
A real HTTP/1.1 and HTTP/2 server for tests: hypercorn in a background thread.

We bind the listening socket ourselves (port 0) and hand hypercorn a duplicate
of its file descriptor (`fd://N`), so the port is known before hypercorn runs
and no port is ever guessed. Hypercorn owns and closes the duplicate; we close
ours after hypercorn has stopped. Readiness is the socket entering the LISTEN
state (hypercorn's `asyncio.start_server` calls `listen()` and starts serving in
one step), so `start()` needs no probe request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import tempfile
import threading
import time
import typing

from hypercorn.asyncio import serve
from hypercorn.config import Config

from tests.servers import tls

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# Errors go to a logger of ours, which pytest captures and shows with a
# failing test; the access log stays off.
LOGGER = logging.getLogger("tests.servers.hypercorn")


class LiveServer:
    def __init__(
        self,
        app: typing.Any,
        *,
        tls: bool = False,
        alpn: list[str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.app = app
        self.tls = tls
        self.alpn = ["h2", "http/1.1"] if alpn is None else list(alpn)
        self.host = host
        self.port = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shutdown: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, 0))
        self.port = self._sock.getsockname()[1]

        config = self._config(os.dup(self._sock.fileno()))
        self._thread = threading.Thread(
            target=self._run, args=(config,), name=f"hypercorn:{self.port}", daemon=True
        )
        self._thread.start()

        deadline = time.monotonic() + START_TIMEOUT
        while not self._is_listening():
            if not self._thread.is_alive():
                self._cleanup()
                raise RuntimeError("hypercorn exited while starting") from self._error
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"hypercorn did not start in {START_TIMEOUT}s")
            time.sleep(0.005)

    def stop(self) -> None:
        thread = self._thread
        if thread is not None:
            deadline = time.monotonic() + STOP_TIMEOUT
            # The event loop may not exist yet if start() timed out early.
            while self._shutdown is None and thread.is_alive():
                if time.monotonic() > deadline:
                    break
                time.sleep(0.005)
            loop, shutdown = self._loop, self._shutdown
            if loop is not None and shutdown is not None:
                try:
                    loop.call_soon_threadsafe(shutdown.set)
                except RuntimeError:
                    pass  # The loop has already closed.
            thread.join(max(deadline - time.monotonic(), 0.0))
            if thread.is_alive():
                raise RuntimeError(f"hypercorn did not stop in {STOP_TIMEOUT}s")
        self._cleanup()
        if self._error is not None:
            raise RuntimeError("hypercorn failed") from self._error

    def _config(self, fd: int) -> Config:
        config = Config()
        config.bind = [f"fd://{fd}"]
        config.accesslog = None
        config.errorlog = LOGGER
        config.loglevel = "WARNING"
        # Longer than any client-side keep-alive expiry the tests use, so a
        # connection is never closed under a client that is about to reuse it.
        config.keep_alive_timeout = 15.0
        config.keep_alive_max_requests = 1_000_000
        config.graceful_timeout = 2.0
        if self.tls:
            self._tempdir = tempfile.TemporaryDirectory(prefix="httpcore-tls-")
            config.certfile, config.keyfile = tls.write_server_files(self._tempdir.name)
            config.alpn_protocols = self.alpn
        return config

    def _run(self, config: Config) -> None:
        try:
            asyncio.run(self._serve(config))
        except BaseException as exc:
            self._error = exc

    async def _serve(self, config: Config) -> None:
        self._loop = asyncio.get_running_loop()
        self._shutdown = asyncio.Event()
        await serve(self.app, config, shutdown_trigger=self._shutdown.wait)

    def _is_listening(self) -> bool:
        assert self._sock is not None
        if hasattr(socket, "SO_ACCEPTCONN"):
            return bool(self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))
        # No SO_ACCEPTCONN on this platform: try a connection instead.
        try:
            with socket.create_connection((self.host, self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def _cleanup(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
        self._thread = None
        self._loop = None
        self._shutdown = None
