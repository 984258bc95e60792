"""httpx: one `Client` / `AsyncClient` with limits sized for the concurrency."""

from __future__ import annotations

import ssl
import typing

from . import Options, StatusError

COLD_START = """
import ssl
import httpx
with httpx.Client(verify=ssl.create_default_context(cafile={ca!r})) as client:
    assert client.get({url!r}).status_code == 200
"""


def _config(options: Options) -> dict[str, typing.Any]:
    import httpx

    limits = httpx.Limits(
        max_connections=options.pool_size,
        max_keepalive_connections=options.pool_size,
    )
    return {
        "verify": ssl.create_default_context(cafile=options.ca_file),
        "limits": limits,
        "http2": options.http2,
    }


class Sync:
    def __init__(self, options: Options) -> None:
        import httpx

        self.client = httpx.Client(**_config(options))

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
        return str(self.client.get(url).http_version)

    def close(self) -> None:
        self.client.close()


class Async:
    def __init__(self, options: Options) -> None:
        import httpx

        self.client = httpx.AsyncClient(**_config(options))

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
        return str((await self.client.get(url)).http_version)

    async def close(self) -> None:
        await self.client.aclose()


def open_sync(options: Options) -> Sync:
    return Sync(options)


async def open_async(options: Options) -> Async:
    return Async(options)
