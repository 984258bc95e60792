"""
`Client` and `AsyncClient`: the public classes, over `ClientCore`
(`_client_core.py`), where the logic of sending is written once, async.

`AsyncClient` awaits the core. `Client` runs the very same coroutines on the
sync backend, and hands the `AsyncResponse` they return out as a `Response`,
a sync view of the same body.
"""

from __future__ import annotations

import functools
import typing

from ._auth import AuthTypes
from ._backends._drive import drive
from ._client_base import EventHook, EventHooks, URLTypes
from ._client_core import ClientCore, PendingRedirect, ProxiesTypes
from ._config import (
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_POOL_LIMITS,
    DEFAULT_TIMEOUT,
    CertTypes,
    PoolLimits,
    TimeoutTypes,
    VerifyTypes,
)
from ._cookies import CookieTypes
from ._headers import HeaderTypes
from ._models import AsyncResponse, BaseResponse, Request, Response
from ._params import QueryParamTypes
from ._retries import RetryTypes
from ._sending import SendOptions

__all__ = ["AsyncClient", "Client"]


class AsyncClient(ClientCore[typing.Awaitable[AsyncResponse]]):
    """
    An async HTTP client: connection pooling, redirects, cookies, auth.

    ```python
    async with httpcore.AsyncClient() as client:
        response = await client.get("https://example.org/")
        response = await client.get("https://example.org/", stream=True)
        async for chunk in response.stream():
            ...
    ```

    - `auth`: `(user, password)` (Basic), an `httpcore.Auth` (`BasicAuth`,
      `DigestAuth`, `NetRCAuth`, your own), or a callable
      `(Request) -> Request`; used only on the origin of each request sent
      (redirects elsewhere get none). Credentials in a URL
      (`https://user:pass@host/`) are sent as Basic auth, and removed from
      the URL.
    - `params`, `headers`, `cookies`: defaults merged into every request.
    - `verify`: True (certifi's CA bundle, or `SSL_CERT_FILE` /
      `SSL_CERT_DIR` with `trust_env`), False, a CA file or folder path, or
      an `ssl.SSLContext`; `cert`: a client certificate file, or
      `(cert file, key file[, password])`.
    - `timeout`: seconds (float), None, a `Timeout` or a tuple;
      `pool_limits`: a `PoolLimits`.
    - `max_redirects` (20); `base_url`: the URL relative request URLs join
      onto (see `join_base_url`).
    - `http2` (True): HTTP/2 by ALPN when the server offers it, else
      HTTP/1.1; many concurrent requests share one HTTP/2 connection.
    - `proxies`: a proxy URL (`http://`, `https://`, `socks5://`,
      `socks5h://`, with optional `user:pass@`), a `Proxy`, or a mapping
      from URL patterns (`"all://"`, `"https://"`, `"all://*.example.com"`,
      `"https://example.com:8443"`) to those, or None to go direct; the
      most specific pattern wins. See the proxies page of the docs.
    - `trust_env` (True): `SSL_CERT_FILE` / `SSL_CERT_DIR`, `.netrc`
      credentials (the file in `NETRC`, else `~/.netrc`) for requests with
      no other auth, looked up by each hop's host, and, when `proxies` is
      not given, `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`
      (either case).
    - `dispatch`: a dispatcher to send through instead of the default pool,
      async or sync (a sync one blocks the event loop while it works).
    - `event_hooks`: `{"request": [...], "response": [...]}`, functions or
      async functions called with each request and each response.
    - `backend`: `"asyncio"`, `"sync"`, or None to detect the running library.
    - `retries`: None or 0 (the default: no retries), an int `n`
      (`Retry(total=n)`), or a `Retry`: which failures and responses are
      sent again, how often, after how long. See the timeouts page.
    """

    def _run(
        self, request: Request, options: SendOptions
    ) -> typing.Awaitable[AsyncResponse]:
        if options.allow_redirects:
            # No redirect is left pending: the core's coroutine, as it is.
            return self._send_async(request, options)
        return self._run_wrapped(request, options)

    async def _run_wrapped(
        self, request: Request, options: SendOptions
    ) -> AsyncResponse:
        return self._wrap(await self._send_async(request, options))

    def _wrap(self, response: AsyncResponse) -> AsyncResponse:
        pending = response._next
        if isinstance(pending, PendingRedirect):
            response._next = functools.partial(self._next, response, pending)
        return response

    async def _next(
        self, previous: AsyncResponse, pending: PendingRedirect
    ) -> AsyncResponse:
        await previous.aclose()
        return self._wrap(await self._resume_async(pending, previous))

    async def close(self) -> None:
        """Close the client and its connections."""
        await self._close_async()

    aclose = close

    async def __aenter__(self) -> AsyncClient:
        self._check_open()
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


class Client(ClientCore[Response]):
    """
    An HTTP client: connection pooling, redirects, cookies, auth.

    ```python
    with httpcore.Client() as client:
        response = client.get("https://example.org/")
        response = client.post("https://example.org/", json={"a": 1})
    ```

    The arguments are `AsyncClient`'s but `backend`: the sync client runs
    the same core on blocking sockets, with no event loop, so it works in
    threads and inside a running event loop alike. Its `dispatch` and
    `event_hooks` must be sync; bodies from async iterators need
    `AsyncClient`.
    """

    _is_sync = True

    def __init__(
        self,
        *,
        auth: AuthTypes | None = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        verify: VerifyTypes = True,
        cert: CertTypes | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        pool_limits: PoolLimits = DEFAULT_POOL_LIMITS,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        base_url: URLTypes | None = None,
        http2: bool = True,
        proxies: ProxiesTypes = None,
        trust_env: bool = True,
        dispatch: typing.Any = None,
        event_hooks: EventHooks | None = None,
        retries: RetryTypes = None,
    ) -> None:
        super().__init__(
            auth=auth,
            params=params,
            headers=headers,
            cookies=cookies,
            verify=verify,
            cert=cert,
            timeout=timeout,
            pool_limits=pool_limits,
            max_redirects=max_redirects,
            base_url=base_url,
            http2=http2,
            proxies=proxies,
            trust_env=trust_env,
            dispatch=dispatch,
            event_hooks=event_hooks,
            retries=retries,
        )

    def _run(self, request: Request, options: SendOptions) -> Response:
        if not hasattr(request.stream, "__iter__"):
            raise TypeError(
                "The request body is an async iterator: the sync Client sends "
                "bodies from bytes, str, files and sync iterators. Use "
                "httpcore.AsyncClient for async ones."
            )
        return self._wrap(drive(self._send_async(request, options)))

    def _wrap(self, response: AsyncResponse) -> Response:
        sync = Response._from_async(response)
        if response.history:
            sync.history = [_as_sync(item) for item in response.history]
        pending = response._next
        if isinstance(pending, PendingRedirect):
            sync._next = functools.partial(self._next, sync, pending)
        return sync

    def _next(self, previous: Response, pending: PendingRedirect) -> Response:
        previous.close()
        return self._wrap(drive(self._resume_async(pending, previous)))

    def _call_hook(self, hook: EventHook, argument: Request | AsyncResponse) -> object:
        if not isinstance(argument, AsyncResponse):
            return hook(argument)
        view = Response._from_async(argument)
        try:
            return hook(view)
        finally:
            # The view is a copy: keep what the hook did (read it, closed it).
            argument.__dict__.update(view.__dict__)

    def close(self) -> None:
        """Close the client and its connections."""
        drive(self._close_async())

    def __enter__(self) -> Client:
        self._check_open()
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


def _as_sync(response: BaseResponse) -> Response:
    if isinstance(response, Response):
        return response
    return Response._from_async(response)
