"""
`ConnectionPool`: the sync low-level client.

It is the async `AsyncConnectionPool` running on the sync backend, each call
driven to completion with `drive()`: one copy of the pool's logic, no event
loop, safe in threads and inside a running event loop.
"""

from __future__ import annotations

import contextlib
import typing

from .._backends._drive import drive
from .._backends.base import SocketOption
from .._config import (
    DEFAULT_POOL_LIMITS,
    DEFAULT_TIMEOUT,
    CertTypes,
    PoolLimits,
    Timeout,
    VerifyTypes,
)
from .._models import Request, Response
from .connection import AsyncHTTPConnection
from .connection_pool import AsyncConnectionPool


class ConnectionPool:
    """
    A pool of HTTP connections: the low-level sync client.

    ```python
    with httpcore.ConnectionPool() as pool:
        response = pool.request("GET", "https://example.org/")
        print(response.status, response.content)
    ```

    Thread-safe: share one pool between threads, HTTP/2 connections included
    (`http2=True`: many threads' requests then share one connection). No
    redirects, cookies, auth or decoding at this level: bytes in, bytes out.
    """

    def __init__(
        self,
        *,
        verify: VerifyTypes = True,
        cert: CertTypes | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        pool_limits: PoolLimits = DEFAULT_POOL_LIMITS,
        http1: bool = True,
        http2: bool = False,
        retries: int = 0,
        local_address: str | None = None,
        uds: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
        trust_env: bool = True,
    ) -> None:
        self._pool = AsyncConnectionPool(
            verify=verify,
            cert=cert,
            timeout=timeout,
            pool_limits=pool_limits,
            http1=http1,
            http2=http2,
            retries=retries,
            local_address=local_address,
            uds=uds,
            socket_options=socket_options,
            trust_env=trust_env,
            backend="sync",
        )

    @property
    def connections(self) -> list[AsyncHTTPConnection]:
        """A snapshot of every connection in the pool, for inspection."""
        return self._pool.connections

    def pool_info(self) -> dict[str, int]:
        """Counts of connections by state, and of waiting requests."""
        return self._pool.pool_info()

    def request(
        self,
        method: str | bytes,
        url: str,
        *,
        headers: typing.Any = None,
        content: typing.Any = None,
        extensions: dict[str, typing.Any] | None = None,
        timeout: Timeout | float | None = None,
    ) -> Response:
        """Send a request and read its whole body."""
        # Sent, read and closed in the core, in one drive.
        response = self._pool.request(
            method,
            url,
            headers=headers,
            content=content,
            extensions=extensions,
            timeout=timeout,
        )
        return Response._from_async(drive(response))

    @contextlib.contextmanager
    def stream(
        self,
        method: str | bytes,
        url: str,
        *,
        headers: typing.Any = None,
        content: typing.Any = None,
        extensions: dict[str, typing.Any] | None = None,
        timeout: Timeout | float | None = None,
    ) -> typing.Iterator[Response]:
        """`with pool.stream(...) as response`: the body is not read yet."""
        request = Request(
            method, url, headers=headers, content=content, extensions=extensions
        )
        with self._send(request, timeout) as response:
            yield response

    def send(
        self, request: Request, *, timeout: Timeout | float | None = None
    ) -> Response:
        """Send one request; the response's body is left unread."""
        return self._send(request, timeout)

    def _send(
        self, request: Request, timeout: Timeout | float | None = None
    ) -> Response:
        return Response._from_async(drive(self._pool.send(request, timeout=timeout)))

    def close(self) -> None:
        """Close every connection; later requests fail."""
        drive(self._pool.close())

    def __enter__(self) -> ConnectionPool:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()
