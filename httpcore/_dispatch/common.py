"""What the dispatchers share: picking the backend, a request's timeouts."""

from __future__ import annotations

import sys
import typing

from .._backends.base import Backend
from .._config import Timeout
from .._models import AsyncResponse, Request


class _Sender(typing.Protocol):
    async def send(
        self, request: Request, *, timeout: Timeout | float | None = None
    ) -> AsyncResponse: ...


def resolve_backend(backend: str | Backend | None) -> Backend:
    """The backend named, or the one of the running async library."""
    if backend is None:
        backend = "trio" if _in_trio() else "asyncio"
    if not isinstance(backend, str):
        return backend
    if backend == "asyncio":
        from .._backends.asyncio import AsyncioBackend

        return AsyncioBackend()
    if backend == "trio":
        try:
            from .._backends.trio import TrioBackend
        except ImportError as exc:
            raise RuntimeError(
                "The trio backend needs the trio package: pip install httpcore[trio]"
            ) from exc
        return TrioBackend()
    if backend == "sync":
        from .._backends.sync import SyncBackend

        return SyncBackend()
    raise ValueError(
        f"Unknown backend {backend!r}: use 'asyncio', 'trio', 'sync', or None to "
        "detect the running library."
    )


def _in_trio() -> bool:
    """Whether this code runs inside `trio.run` (without importing trio)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


def timeout_from(
    request: Request, timeout: Timeout | float | None, default: Timeout
) -> Timeout:
    extension = request.extensions.get("timeout")
    if isinstance(extension, dict):
        return Timeout(
            connect=extension.get("connect", default.connect),
            read=extension.get("read", default.read),
            write=extension.get("write", default.write),
            pool=extension.get("pool", default.pool),
        )
    if extension is not None:
        return Timeout(extension)
    if timeout is None:
        return default
    return timeout if isinstance(timeout, Timeout) else Timeout(timeout)


class StreamContext:
    def __init__(
        self,
        pool: _Sender,
        request: Request,
        timeout: Timeout | float | None = None,
    ) -> None:
        self._pool = pool
        self._request = request
        self._timeout = timeout
        self._response: AsyncResponse | None = None

    async def __aenter__(self) -> AsyncResponse:
        self._response = await self._pool.send(self._request, timeout=self._timeout)
        return self._response

    async def __aexit__(self, *args: object) -> None:
        assert self._response is not None
        await self._response.close()
