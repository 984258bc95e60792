"""Picking the backend: detection, names, the trio extra; trio's own paths."""

from __future__ import annotations

import asyncio
import gc
import sys

import pytest
import trio

import httpcore
from httpcore._dispatch.common import resolve_backend


def test_backend_names():
    assert resolve_backend("asyncio").name == "asyncio"
    assert resolve_backend("trio").name == "trio"
    assert resolve_backend("sync").name == "sync"
    backend = resolve_backend("sync")
    assert resolve_backend(backend) is backend
    with pytest.raises(ValueError, match="Unknown backend 'curio'"):
        resolve_backend("curio")


def test_detects_trio_and_asyncio():
    async def name() -> str:
        return httpcore.AsyncConnectionPool().backend.name

    assert trio.run(name) == "trio"
    assert asyncio.run(name()) == "asyncio"
    assert resolve_backend(None).name == "asyncio"  # outside any loop


def test_async_client_detects_trio(server):
    async def main() -> int:
        async with httpcore.AsyncClient() as client:
            response = await client.get(server.url + "/")
            return response.status_code

    assert trio.run(main) == 200


def test_missing_trio_is_a_clear_error(monkeypatch):
    monkeypatch.delitem(sys.modules, "httpcore._backends.trio", raising=False)
    monkeypatch.setitem(sys.modules, "trio", None)  # import trio fails
    with pytest.raises(RuntimeError, match=r"pip install httpcore\[trio\]"):
        resolve_backend("trio")
    assert resolve_backend(None).name == "asyncio"


def test_trio_stream_closed_outside_trio(server):
    # A response dropped after trio.run returned is closed by its finalizer,
    # outside trio: the socket still closes, without error.
    async def main() -> httpcore.AsyncResponse:
        pool = httpcore.AsyncConnectionPool()
        return await pool.send(httpcore.Request("GET", server.url + "/"))

    response = trio.run(main)
    stream = response.extensions["network_stream"]
    del response
    gc.collect()
    assert stream.get_extra_info("socket").fileno() == -1
    assert stream.get_extra_info("is_readable") is True
    assert stream.get_extra_info("server_addr") is None


def test_trio_write_is_not_broken_by_cancellation(server):
    trio.run(_write_while_cancelled, server.port)


async def _write_while_cancelled(port: int) -> None:
    # A write that a cancellation interrupts hands all its bytes over: the
    # connection stays usable by whoever writes next.
    backend = resolve_backend("trio")
    stream = await backend.connect_tcp("127.0.0.1", port, 5.0)
    try:
        with trio.CancelScope() as scope:
            scope.cancel()
            await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 5.0)
            await trio.sleep(1)  # the cancellation lands here
        assert scope.cancelled_caught
        data = b""
        while b"Hello, world!" not in data:
            data += await stream.read(65536, 5.0)
    finally:
        await stream.aclose()


def test_trio_event_and_lock():
    async def main() -> None:
        backend = resolve_backend("trio")
        event = backend.create_event()
        assert await event.wait(0.01) is False
        assert await event.wait(-1) is False
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_set_later, event)
            # An infinite timeout is no timeout (not an error).
            assert await event.wait(float("inf")) is True
        assert event.is_set()
        lock = backend.create_lock()
        await lock.acquire()
        lock.release()

    trio.run(main)


async def _set_later(event) -> None:
    await trio.sleep(0.01)
    event.set()


def test_trio_unsupported_platform_is_a_connect_error(
    monkeypatch, closed_port, tmp_path, no_fd_leak
):
    # trio raises NotImplementedError for what a platform lacks.
    async def unsupported(sock) -> None:
        raise NotImplementedError("no wait_writable here")

    def no_trio_sockets(sock) -> None:
        raise NotImplementedError("no trio sockets here")

    monkeypatch.setattr(trio.lowlevel, "wait_writable", unsupported)
    monkeypatch.setattr(trio.socket, "from_stdlib_socket", no_trio_sockets)

    async def main() -> None:
        backend = resolve_backend("trio")
        with pytest.raises(httpcore.ConnectError, match="Not supported by trio"):
            await backend.connect_tcp("127.0.0.1", closed_port, 1.0)
        with pytest.raises(httpcore.ConnectError, match="Not supported by trio"):
            await backend.connect_unix_socket(str(tmp_path / "x.sock"), 1.0)

    trio.run(main)
