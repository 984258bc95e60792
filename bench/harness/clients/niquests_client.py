"""niquests: one `Session` / `AsyncSession` (in its own venv: it forks urllib3)."""

from __future__ import annotations

import typing

from . import Options, StatusError

COLD_START = """
import niquests
with niquests.Session(verify={ca!r}) as session:
    assert session.get({url!r}).status_code == 200
"""

_VERSIONS = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2", 30: "HTTP/3"}


def _config(options: Options) -> dict[str, typing.Any]:
    # HTTP/3 is off everywhere (no QUIC on this server); HTTP/2 only on the
    # HTTP/2 rows, so that the TLS rows compare HTTP/1.1 with HTTP/1.1.
    return {
        "verify": options.ca_file,
        "pool_maxsize": options.pool_size,
        "disable_http2": not options.http2,
        "disable_http3": True,
    }


class Sync:
    def __init__(self, options: Options) -> None:
        import niquests

        self.session = niquests.Session(**_config(options))

    def get(self, url: str) -> int:
        response = self.session.get(url)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content or b"")

    def post(self, url: str, body: bytes) -> int:
        response = self.session.post(url, data=body)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content or b"")

    def http_version(self, url: str) -> str:
        return _VERSIONS.get(self.session.get(url).http_version or 0, "?")

    def close(self) -> None:
        self.session.close()


class Async:
    def __init__(self, options: Options) -> None:
        import niquests

        self.session = niquests.AsyncSession(**_config(options))

    async def get(self, url: str) -> int:
        response = await self.session.get(url)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content or b"")

    async def post(self, url: str, body: bytes) -> int:
        response = await self.session.post(url, data=body)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content or b"")

    async def http_version(self, url: str) -> str:
        response = await self.session.get(url)
        return _VERSIONS.get(response.http_version or 0, "?")

    async def close(self) -> None:
        await self.session.close()


def open_sync(options: Options) -> Sync:
    return Sync(options)


async def open_async(options: Options) -> Async:
    return Async(options)
