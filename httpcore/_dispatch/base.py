"""The dispatcher interface: what a client sends requests through."""

from __future__ import annotations

import typing

from .._config import Timeout

if typing.TYPE_CHECKING:  # pragma: no cover
    from .._models import AsyncResponse, Request, Response


class AsyncDispatcher(typing.Protocol):
    """Anything with `send` and `close`: the pool, a proxy, a mock."""

    async def send(
        self, request: Request, *, timeout: Timeout | None = None
    ) -> AsyncResponse: ...

    async def close(self) -> None: ...


class SyncDispatcher(typing.Protocol):
    """The sync form of `AsyncDispatcher`."""

    def send(self, request: Request, *, timeout: Timeout | None = None) -> Response: ...

    def close(self) -> None: ...
