"""
The clients under test, and the small interface each one implements.

Each client lives in its own module here, which imports its library lazily
(inside functions): the parent process imports every module to read its
`COLD_START` snippet, but only the worker running in the client's environment
imports the library itself.

A client module provides:

- `open_sync(options) -> SyncClient` and/or `async open_async(options) ->
  AsyncClient`: one shared client configured the way the library's docs
  recommend for throughput (a shared session or pool, sized for the
  concurrency). `get(url)` / `post(url, body)` send one request, read the whole
  body, check the status, and return the body's length.
- `COLD_START`: a Python snippet, formatted with `url` and `ca`, that imports
  the library, builds a client and sends one request (run with `python -c`).
- optionally `CUSTOM`: scenario id -> a function running that scenario its own
  way (pycurl's multi interface serves HTTP/2 streams without asyncio).
"""

from __future__ import annotations

import dataclasses
import importlib
import types
import typing

from ..scenarios import Scenario

Env = typing.Literal["main", "peers", "niquests"]


@dataclasses.dataclass(frozen=True)
class Options:
    """How a worker asks a client module to configure its client."""

    ca_file: str
    pool_size: int
    http2: bool


class SyncClient(typing.Protocol):
    def get(self, url: str) -> int: ...
    def post(self, url: str, body: bytes) -> int: ...
    def http_version(self, url: str) -> str: ...
    def close(self) -> None: ...


class AsyncClient(typing.Protocol):
    async def get(self, url: str) -> int: ...
    async def post(self, url: str, body: bytes) -> int: ...
    async def http_version(self, url: str) -> str: ...
    async def close(self) -> None: ...


class StatusError(Exception):
    """The server answered with something other than 200 OK."""


@dataclasses.dataclass(frozen=True)
class ClientSpec:
    """What the parent needs to know about a client without importing it."""

    name: str
    env: Env
    module: str
    distribution: str  # for the version in the results header
    sync: bool
    async_: bool
    http2: bool  # the library can speak HTTP/2 at all
    reference: bool = False  # a native-core reference row, not a direct peer
    custom: frozenset[str] = frozenset()  # scenario ids run by module.CUSTOM
    note: str = ""

    def load(self) -> types.ModuleType:
        return importlib.import_module(f"{__name__}.{self.module}")

    def api_for(self, scenario: Scenario) -> str | None:
        """The API ("sync", "async", "custom", "cold") that runs `scenario`, or None."""
        if scenario.api == "cold":
            return "cold"
        if scenario.id in self.custom:
            return "custom"
        if scenario.http2 and not self.http2:
            return None
        if scenario.api == "sync":
            return "sync" if self.sync else None
        if scenario.api == "async":
            return "async" if self.async_ else None
        return "sync" if self.sync else "async"


CLIENTS: list[ClientSpec] = [
    ClientSpec(
        "httpcore",
        "main",
        "httpcore_client",
        "httpcore",
        sync=True,
        async_=True,
        http2=True,
        note="`Client` / `AsyncClient`, the requests-style API",
    ),
    ClientSpec(
        "httpcore-pool",
        "main",
        "httpcore_pool",
        "httpcore",
        sync=True,
        async_=True,
        http2=True,
        note="`ConnectionPool` / `AsyncConnectionPool`, the low-level API",
    ),
    ClientSpec(
        "httpx",
        "peers",
        "httpx_client",
        "httpx",
        sync=True,
        async_=True,
        http2=True,
        note="`Client` / `AsyncClient`, `http2=True` for HTTP/2 rows (`h2`)",
    ),
    ClientSpec(
        "aiohttp",
        "peers",
        "aiohttp_client",
        "aiohttp",
        sync=False,
        async_=True,
        http2=False,
        note="one `ClientSession`, `TCPConnector(limit=...)`; async only",
    ),
    ClientSpec(
        "requests",
        "peers",
        "requests_client",
        "requests",
        sync=True,
        async_=False,
        http2=False,
        note="one `Session` with an `HTTPAdapter(pool_maxsize=...)`",
    ),
    ClientSpec(
        "urllib3",
        "peers",
        "urllib3_client",
        "urllib3",
        sync=True,
        async_=False,
        http2=False,
        note="one `PoolManager(maxsize=...)`",
    ),
    ClientSpec(
        "niquests",
        "niquests",
        "niquests_client",
        "niquests",
        sync=True,
        async_=True,
        http2=True,
        note="`Session` / `AsyncSession`; HTTP/2 and 3 disabled except on HTTP/2 rows",
    ),
    ClientSpec(
        "pycurl",
        "peers",
        "pycurl_client",
        "pycurl",
        sync=True,
        async_=False,
        http2=True,
        reference=True,
        custom=frozenset({"h2-100"}),
        note="libcurl; one `Curl` handle per thread; HTTP/2 streams via `CurlMulti`",
    ),
    ClientSpec(
        "pyreqwest",
        "peers",
        "pyreqwest_client",
        "pyreqwest",
        sync=True,
        async_=True,
        http2=True,
        reference=True,
        note="Rust reqwest/hyper core; `SyncClient` / `Client`",
    ),
]

BY_NAME: dict[str, ClientSpec] = {spec.name: spec for spec in CLIENTS}
