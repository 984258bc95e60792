"""
The send flow of `Client` and `AsyncClient`, written once: `ClientCore`.

How it works. The logic of sending is written once, async, in `ClientCore`:

```
_send_async -> redirect flow (a generator: _redirects.py), per hop:
                 the hop's auth (hop_auth: _sending.py), then
                 auth flow (a generator: _auth.py, _digest.py), per request:
                   retry flow (a generator: _retries.py), per attempt:
                     request hooks -> dispatcher -> cookie jar -> response hooks
```

Layers not in use are skipped, as most sends need none of them: the
redirect flow starts at the first redirect; a hop with no auth, under a
client with no retries, goes straight to its one attempt; hooks run only
when there are some. The default pool checks each request
(`check_request`) itself; the client checks those it hands any other
dispatcher.

A `Timeout(total=...)` is given its deadline as `_send_async` starts: the
timeout passed down is then bounded by it at every wait, the body's reads
included (see `with_deadline` in _config.py).

`AsyncClient` awaits it. `Client` runs the very same coroutines on the sync
backend: its pool is an `AsyncConnectionPool(backend="sync")`, whose
primitives block and never suspend, so `drive()` runs each call to completion
in one step. The `AsyncResponse` it returns is handed out as a `Response`, a
sync view of the same body. The two clients (`_client.py`) differ only in how
they run the core and wrap its responses: `_run`, `close` and the `with`
blocks.
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
import typing

from ._auth import Auth, AuthTypes, build_auth
from ._backends.base import Backend
from ._client_base import BaseClient, EventHook, EventHooks, URLTypes
from ._config import (
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_POOL_LIMITS,
    DEFAULT_TIMEOUT,
    UNSET,
    CertTypes,
    PoolLimits,
    Timeout,
    TimeoutTypes,
    VerifyTypes,
    ssl_context_for,
    time_left,
    with_deadline,
)
from ._content import is_replayable, not_replayable
from ._cookies import CookieTypes
from ._dispatch.base import AsyncDispatcher
from ._dispatch.common import resolve_backend
from ._dispatch.connection_pool import AsyncConnectionPool
from ._dispatch.proxy import proxy_dispatcher
from ._dispatch.trace import safe_url
from ._exceptions import RequestError
from ._headers import HeaderTypes
from ._models import AsyncResponse, BaseResponse, Request, check_request
from ._params import QueryParamTypes
from ._proxies import ProxyDispatch, ProxyRoutes
from ._redirects import REDIRECT_CODES, RedirectFlow, is_followable, redirect_flow
from ._retries import Attempt, Retry, RetryTypes, retry_flow
from ._sending import SendOptions, discard, hop_auth, take_url_credentials

__all__ = ["ClientCore", "PendingRedirect", "ProxiesTypes"]

logger = logging.getLogger("httpcore.client")

ProxiesTypes = typing.Any

_T = typing.TypeVar("_T")


class PendingRedirect:
    """A redirect not followed (`allow_redirects=False`): what `next()` resumes."""

    __slots__ = ("flow", "options")

    def __init__(self, flow: RedirectFlow, options: SendOptions) -> None:
        self.flow = flow
        self.options = options


class _SyncDispatch:
    """A sync dispatcher behind the async interface; its calls block."""

    def __init__(self, dispatch: typing.Any) -> None:
        self._dispatch = dispatch

    async def send(
        self, request: Request, *, timeout: Timeout | None = None
    ) -> AsyncResponse:
        response = self._dispatch.send(request, timeout=timeout)
        if isinstance(response, AsyncResponse):
            return response
        if not isinstance(response, BaseResponse):
            raise TypeError(
                f"The dispatcher's send() returned {response!r}, not a Response."
            )
        # The same state, seen through the async API: the body of every
        # response is an async byte stream, which runs under any backend.
        view = AsyncResponse.__new__(AsyncResponse)
        view.__dict__.update(response.__dict__)
        return view

    async def close(self) -> None:
        self._dispatch.close()


def _adapt_dispatch(dispatch: typing.Any, *, sync_only: bool) -> AsyncDispatcher:
    send = getattr(dispatch, "send", None)
    if not callable(send) or not callable(getattr(dispatch, "close", None)):
        raise TypeError(
            f"dispatch={dispatch!r} is not a dispatcher: it needs "
            "send(request, *, timeout) and close() methods."
        )
    import inspect

    if not inspect.iscoroutinefunction(send):
        return _SyncDispatch(dispatch)
    if sync_only:
        raise TypeError(
            f"dispatch={dispatch!r} is async: the sync Client needs a sync "
            "dispatcher (send() and close() not async), such as ConnectionPool. "
            "Use httpcore.AsyncClient with an async dispatcher."
        )
    return typing.cast(AsyncDispatcher, dispatch)


class ClientCore(BaseClient[_T]):
    """The dispatcher, and the async logic of sending, for both clients."""

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
        backend: str | Backend | None = None,
        retries: RetryTypes = None,
    ) -> None:
        if not isinstance(max_redirects, int) or max_redirects < 0:
            raise ValueError(
                f"max_redirects must be an int >= 0, not {max_redirects!r}."
            )
        self.auth = auth
        self.params = params
        self.headers = headers
        self.cookies = cookies
        self.timeout = timeout
        self.base_url = base_url
        self.event_hooks = event_hooks
        self.max_redirects = max_redirects
        self.retries = retries
        self._backend_choice = backend
        self._verify = verify
        self._cert = cert
        self._trust_env = trust_env
        self._closed = False
        self._http2 = http2
        self._dispatch: AsyncDispatcher
        # The pools check each request (`check_request`) before they pick a
        # connection: the client checks those it hands another dispatcher.
        self._checks_requests = dispatch is not None
        if dispatch is None:
            pool_options: dict[str, typing.Any] = {
                "verify": verify,
                "cert": cert,
                "timeout": self.timeout,
                "pool_limits": pool_limits,
                "http2": self._http2,
                "trust_env": trust_env,
                "backend": "sync" if self._is_sync else backend,
            }
            self._dispatch = AsyncConnectionPool(**pool_options)
            routes = (
                ProxyRoutes.from_env()
                if proxies is None and trust_env
                else ProxyRoutes(proxies)
            )
            if routes:
                self._dispatch = ProxyDispatch(
                    self._dispatch,
                    routes,
                    functools.partial(proxy_dispatcher, **pool_options),
                )
            return
        if proxies is not None:
            raise ValueError(
                "proxies= configures the default connection pool, which dispatch= "
                "replaces: use a proxy dispatcher (AsyncHTTPProxy...) instead."
            )
        unused = [
            name
            for name, given in (
                ("verify", verify is not True),
                ("cert", cert is not None),
                ("pool_limits", pool_limits != DEFAULT_POOL_LIMITS),
                ("backend", backend is not None),
            )
            if given
        ]
        if unused:
            raise ValueError(
                f"{', '.join(unused)} configure the default connection pool, which "
                "dispatch= replaces: configure your dispatcher instead."
            )
        self._dispatch = _adapt_dispatch(dispatch, sync_only=self._is_sync)

    # --- the core: written once, async ---------------------------------------

    def _send(
        self,
        request: Request,
        *,
        stream: bool,
        allow_redirects: bool,
        auth: AuthTypes | None,
        verify: VerifyTypes,
        cert: CertTypes | None,
        timeout: TimeoutTypes,
    ) -> _T:
        options = self._options(
            request,
            stream=stream,
            allow_redirects=allow_redirects,
            auth=auth,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )
        return self._run(request, options)

    def _run(self, request: Request, options: SendOptions) -> _T:
        """Run `_send_async` and wrap its response: what the clients differ in."""
        raise NotImplementedError  # pragma: no cover

    def _options(
        self,
        request: Request,
        *,
        stream: bool,
        allow_redirects: bool,
        auth: AuthTypes | None,
        verify: VerifyTypes,
        cert: CertTypes | None,
        timeout: TimeoutTypes,
    ) -> SendOptions:
        """Resolve a send's arguments against the client's settings."""
        if auth is UNSET:
            resolved, netrc = self._auth, self._trust_env
        else:
            # `auth=None` on a request: no auth from the client or `.netrc`.
            resolved, netrc = build_auth(auth), self._trust_env and auth is not None
        ssl_context = None
        if verify is not UNSET or cert is not UNSET:
            verify = self._verify if verify is UNSET else verify
            cert = self._cert if cert is UNSET else cert
            if (verify, cert) != (self._verify, self._cert):
                ssl_context = ssl_context_for(
                    verify, cert, http2=self._http2, trust_env=self._trust_env
                )
        return SendOptions(
            stream=stream,
            allow_redirects=allow_redirects,
            auth=resolved,
            url_auth=take_url_credentials(request),
            netrc=netrc,
            url=request.url,
            ssl_context=ssl_context,
            timeout=self._timeout if timeout is UNSET else Timeout(timeout),
        )

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(
                "This client has been closed: it cannot send requests any more. "
                "Create a new client."
            )

    def _send_async(
        self, request: Request, options: SendOptions
    ) -> typing.Coroutine[typing.Any, typing.Any, AsyncResponse]:
        """
        The send, as a coroutine: a closed client or a bad request raise
        once it runs, as its first step.
        """
        return self._chain(None, request, [], options)

    def _redirects(self, request: Request) -> RedirectFlow:
        """The redirect flow of a chain that starts with `request` (sent already)."""
        flow = redirect_flow(request, self.max_redirects, self._cookies)
        next(flow)
        return flow

    async def _resume_async(
        self, pending: PendingRedirect, previous: BaseResponse
    ) -> AsyncResponse:
        """The hop after `previous` (closed already): what `response.next()` runs."""
        self._check_open()
        # A new call: a `total` counts afresh (`Timeout()` drops the deadline).
        pending.options.timeout = with_deadline(Timeout(pending.options.timeout))
        request = pending.flow.send(previous)
        history = [*previous.history, previous]
        return await self._chain(pending.flow, request, history, pending.options)

    async def _chain(
        self,
        flow: RedirectFlow | None,
        request: Request,
        history: list[BaseResponse],
        options: SendOptions,
    ) -> AsyncResponse:
        """
        Send `request`, then the redirects `flow` asks for while followed.
        With no `flow` yet, `request` is the first: the flow starts at the
        first redirect (most sends never meet one).
        """
        if flow is None:  # a new send (`_resume_async` checked its own)
            self._check_open()
            if self._checks_requests:
                check_request(request)
            # A `total` counts from here, over every hop, round and retry.
            options.timeout = with_deadline(options.timeout)
        while True:
            auth = hop_auth(request, options)
            if auth is None and self._retry is None:
                response = await self._send_attempt(request, options)
            else:
                response = await self._send_handling_auth(request, auth, options)
            response.history = history
            if response.status_code not in REDIRECT_CODES:
                break
            if flow is None:
                flow = self._redirects(request)
            if not options.allow_redirects:
                if is_followable(response):
                    response._next = PendingRedirect(flow, options)
                break
            try:
                request = flow.send(response)
            except StopIteration:
                break
            except BaseException:
                await response.aclose()
                raise
            await discard(response)
            history = [*history, response]
        if not options.stream:
            try:
                await response.read()
            finally:
                if not response.is_closed:  # read to its end, it is closed
                    await response.aclose()
        return response

    async def _send_handling_auth(
        self, request: Request, auth: Auth | None, options: SendOptions
    ) -> AsyncResponse:
        if auth is None:
            return await self._send_one(request, options)
        if auth.requires_request_body:
            await request.aread()
        flow = auth.auth_flow(request)
        sent: list[object] = []  # the bodies sent, to catch a one-shot resent
        try:
            request = next(flow)
            while True:
                response = await self._send_one(request, options)
                sent.append(request.stream)
                try:
                    if auth.requires_response_body:
                        await response.read()
                    request = flow.send(response)
                    if not is_replayable(request.stream) and any(
                        request.stream is body for body in sent
                    ):
                        raise not_replayable(
                            f"The auth flow answers a {int(response.status_code)} "
                            "by sending the request again"
                        )
                except StopIteration:
                    return response
                except BaseException:
                    await response.aclose()
                    raise
                await discard(response)
        finally:
            flow.close()

    async def _send_one(self, request: Request, options: SendOptions) -> AsyncResponse:
        """One request, sent again as the client's `Retry` says."""
        retry = self._retry
        if retry is None:
            return await self._send_attempt(request, options)
        flow = retry_flow(request, retry, time_left=lambda: time_left(options.timeout))
        try:
            attempt = next(flow)
            while True:
                if attempt.wait > 0:
                    await resolve_backend(self._sleep_backend()).sleep(attempt.wait)
                try:
                    response = await self._send_attempt(attempt.request, options)
                except RequestError as exc:
                    attempt = flow.throw(exc)  # raises `exc` when it is final
                else:
                    try:
                        attempt = flow.send(response)
                    except StopIteration:
                        return response
                    except BaseException:
                        await response.aclose()
                        raise
                    try:
                        await discard(response)
                    except RequestError:
                        pass  # closed: its connection is not reused
                _log_retry(attempt, retry)
        finally:
            flow.close()

    def _sleep_backend(self) -> str | Backend | None:
        return "sync" if self._is_sync else self._backend_choice

    async def _send_attempt(
        self, request: Request, options: SendOptions
    ) -> AsyncResponse:
        """One request through the dispatcher, with hooks and the cookie jar."""
        if options.ssl_context is not None:
            request.extensions["ssl_context"] = options.ssl_context
        hooks = self._event_hooks
        if hooks["request"]:
            await self._run_hooks("request", request)
        started = time.perf_counter()
        response = await self._dispatch.send(request, timeout=options.timeout)
        response._decode_content = True
        if response._request is None:
            response.request = request
        if response._elapsed is None:
            elapsed = time.perf_counter() - started
            response._elapsed = datetime.timedelta(seconds=elapsed)
        try:
            self._cookies.extract_cookies(response)
            if hooks["response"]:
                await self._run_hooks("response", response)
        except BaseException:
            await response.aclose()
            raise
        return response

    async def _run_hooks(self, event: str, argument: Request | AsyncResponse) -> None:
        import inspect  # (`inspect` is slow to import; most clients have no hooks)

        for hook in self._event_hooks[event]:
            result = self._call_hook(hook, argument)
            if inspect.isawaitable(result):
                await result

    def _call_hook(self, hook: EventHook, argument: Request | AsyncResponse) -> object:
        return hook(argument)

    async def _close_async(self) -> None:
        if not self._closed:
            self._closed = True
            await self._dispatch.close()


def _log_retry(attempt: Attempt, retry: Retry) -> None:
    request = attempt.request
    logger.debug(
        "retry %d of %d for %s %s in %.3g s, after %s",
        attempt.number,
        retry.total,
        request.method,
        safe_url(request),
        attempt.wait,
        attempt.reason,
    )
