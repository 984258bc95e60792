"""aiohttp: one `ClientSession` on a `TCPConnector(limit=...)`; async only."""

from __future__ import annotations

import ssl

from . import Options, StatusError

COLD_START = """
import asyncio
import ssl
import aiohttp
async def main():
    connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile={ca!r}))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get({url!r}) as response:
            await response.read()
            assert response.status == 200
asyncio.run(main())
"""


class Async:
    def __init__(self, options: Options) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(
            limit=options.pool_size,
            ssl=ssl.create_default_context(cafile=options.ca_file),
        )
        self.session = aiohttp.ClientSession(connector=connector)

    async def get(self, url: str) -> int:
        async with self.session.get(url) as response:
            body = await response.read()
            if response.status != 200:
                raise StatusError(response.status)
        return len(body)

    async def post(self, url: str, body: bytes) -> int:
        async with self.session.post(url, data=body) as response:
            answer = await response.read()
            if response.status != 200:
                raise StatusError(response.status)
        return len(answer)

    async def http_version(self, url: str) -> str:
        async with self.session.get(url) as response:
            await response.read()
            major, minor = response.version
        return f"HTTP/{major}.{minor}"

    async def close(self) -> None:
        await self.session.close()


async def open_async(options: Options) -> Async:
    return Async(options)
