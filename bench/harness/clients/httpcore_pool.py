"""httpcore's low-level API: one `ConnectionPool` / `AsyncConnectionPool`."""

from __future__ import annotations

import typing

from . import Options, StatusError

COLD_START = """
import httpcore
with httpcore.ConnectionPool(verify={ca!r}) as pool:
    assert pool.request("GET", {url!r}).status == 200
"""


def _config(options: Options) -> dict[str, typing.Any]:
    import httpcore

    limits = httpcore.PoolLimits(
        max_connections=options.pool_size,
        max_keepalive_connections=options.pool_size,
    )
    return {"verify": options.ca_file, "pool_limits": limits, "http2": options.http2}


class Sync:
    def __init__(self, options: Options) -> None:
        import httpcore

        self.pool = httpcore.ConnectionPool(**_config(options))

    def get(self, url: str) -> int:
        response = self.pool.request("GET", url)
        if response.status != 200:
            raise StatusError(response.status)
        return len(response.content)

    def post(self, url: str, body: bytes) -> int:
        response = self.pool.request("POST", url, content=body)
        if response.status != 200:
            raise StatusError(response.status)
        return len(response.content)

    def http_version(self, url: str) -> str:
        return str(self.pool.request("GET", url).http_version)

    def close(self) -> None:
        self.pool.close()


class Async:
    def __init__(self, options: Options) -> None:
        import httpcore

        self.pool = httpcore.AsyncConnectionPool(**_config(options))

    async def get(self, url: str) -> int:
        response = await self.pool.request("GET", url)
        if response.status != 200:
            raise StatusError(response.status)
        return len(response.content)

    async def post(self, url: str, body: bytes) -> int:
        response = await self.pool.request("POST", url, content=body)
        if response.status != 200:
            raise StatusError(response.status)
        return len(response.content)

    async def http_version(self, url: str) -> str:
        return str((await self.pool.request("GET", url)).http_version)

    async def close(self) -> None:
        await self.pool.close()


def open_sync(options: Options) -> Sync:
    return Sync(options)


async def open_async(options: Options) -> Async:
    return Async(options)
