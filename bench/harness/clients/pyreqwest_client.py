"""pyreqwest: Rust's reqwest (hyper, rustls) behind a Python API; a reference row."""

from __future__ import annotations

import typing

from . import Options, StatusError

COLD_START = """
from pyreqwest.client import SyncClientBuilder
with open({ca!r}, "rb") as file:
    ca = file.read()
with SyncClientBuilder().add_root_certificate_pem(ca).build() as client:
    assert client.get({url!r}).build().send().status == 200
"""


def _configure(builder: typing.Any, options: Options) -> typing.Any:
    with open(options.ca_file, "rb") as file:
        builder = builder.add_root_certificate_pem(file.read())
    builder = builder.pool_max_idle_per_host(options.pool_size)
    return builder.http2(True) if options.http2 else builder.http1_only()


class Sync:
    def __init__(self, options: Options) -> None:
        from pyreqwest.client import SyncClientBuilder

        self.client = _configure(SyncClientBuilder(), options).build()

    def get(self, url: str) -> int:
        response = self.client.get(url).build().send()
        if response.status != 200:
            raise StatusError(response.status)
        return len(response.bytes())

    def post(self, url: str, body: bytes) -> int:
        response = self.client.post(url).body_bytes(body).build().send()
        if response.status != 200:
            raise StatusError(response.status)
        return len(response.bytes())

    def http_version(self, url: str) -> str:
        return str(self.client.get(url).build().send().version)

    def close(self) -> None:
        self.client.close()


class Async:
    def __init__(self, options: Options) -> None:
        from pyreqwest.client import ClientBuilder

        self.client = _configure(ClientBuilder(), options).build()

    async def get(self, url: str) -> int:
        response = await self.client.get(url).build().send()
        if response.status != 200:
            raise StatusError(response.status)
        return len(await response.bytes())

    async def post(self, url: str, body: bytes) -> int:
        response = await self.client.post(url).body_bytes(body).build().send()
        if response.status != 200:
            raise StatusError(response.status)
        return len(await response.bytes())

    async def http_version(self, url: str) -> str:
        return str((await self.client.get(url).build().send()).version)

    async def close(self) -> None:
        await self.client.close()


def open_sync(options: Options) -> Sync:
    return Sync(options)


async def open_async(options: Options) -> Async:
    return Async(options)
