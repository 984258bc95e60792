"""httpcore's requests-style API: one `Client` / `AsyncClient` for the whole run."""

from __future__ import annotations

import typing

from . import Options, StatusError

COLD_START = """
import httpcore
with httpcore.Client(verify={ca!r}) as client:
    assert client.get({url!r}).status_code == 200
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

        self.client = httpcore.Client(**_config(options))

    def get(self, url: str) -> int:
        response = self.client.get(url)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content)

    def post(self, url: str, body: bytes) -> int:
        response = self.client.post(url, content=body)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content)

    def http_version(self, url: str) -> str:
        return str(self.client.get(url).protocol)

    def close(self) -> None:
        self.client.close()


class Async:
    def __init__(self, options: Options) -> None:
        import httpcore

        self.client = httpcore.AsyncClient(**_config(options))

    async def get(self, url: str) -> int:
        response = await self.client.get(url)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content)

    async def post(self, url: str, body: bytes) -> int:
        response = await self.client.post(url, content=body)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content)

    async def http_version(self, url: str) -> str:
        return str((await self.client.get(url)).protocol)

    async def close(self) -> None:
        await self.client.close()


def open_sync(options: Options) -> Sync:
    return Sync(options)


async def open_async(options: Options) -> Async:
    return Async(options)
