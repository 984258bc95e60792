"""
What `Client` and `AsyncClient` share that does no I/O: their settings, how a
request is built from the client's defaults, and the HTTP verbs.

The verbs are written once. Each returns whatever `_send` returns: a
`Response` for `Client`, an awaitable of an `AsyncResponse` for `AsyncClient`
(`await client.get(url)`); sending is in `_client_core.py`.
"""

from __future__ import annotations

import typing

from .__version__ import __version__
from ._auth import Auth, AuthTypes, build_auth
from ._config import (
    UNSET,
    CertTypes,
    Timeout,
    TimeoutTypes,
    VerifyTypes,
)
from ._content import RequestContent, RequestData
from ._cookies import Cookies, CookieTypes
from ._decoders import ACCEPT_ENCODING
from ._exceptions import InvalidURL
from ._headers import Headers, HeaderTypes
from ._models import Request
from ._multipart import RequestFiles
from ._params import QueryParams, QueryParamTypes
from ._retries import Retry, RetryTypes, build_retry
from ._urls import URL

__all__ = ["USER_AGENT", "BaseClient", "EventHooks", "join_base_url"]

USER_AGENT = f"python-httpcore/{__version__}"

URLTypes = typing.Union[URL, str]
EventHook = typing.Callable[..., typing.Any]
EventHooks = typing.Mapping[str, typing.Iterable[EventHook]]

_T = typing.TypeVar("_T")


def default_headers() -> Headers:
    """The headers every request of a client starts from (Host comes from the URL)."""
    return Headers(
        [
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*"),
            ("Accept-Encoding", ACCEPT_ENCODING),
            ("Connection", "keep-alive"),
        ]
    )


def join_base_url(base_url: URL, url: URL) -> URL:
    """
    Join a relative `url` onto `base_url`.

    The base URL is a folder: its path gets a trailing `/` if it has none,
    and a leading `/` of `url` is ignored, so `url` always lands under it
    (`http://h/api` + `users` or `/users` -> `http://h/api/users`). Then
    `url` resolves as RFC 3986 says (`..` climbs out, a query replaces the
    base's). A network-path reference (`//host/path`) keeps only the base's
    scheme.
    """
    if url.authority or str(url).startswith("//"):
        return base_url.resolve_with(url)
    folder = base_url.path if base_url.path.endswith("/") else base_url.path + "/"
    base = base_url.copy_with(path=folder, query="", fragment="")
    if url.path.startswith("/"):
        url = url.copy_with(path=url.path.lstrip("/"))
    return base.resolve_with(url)


class BaseClient(typing.Generic[_T]):
    """Settings, request building and the verbs of both clients."""

    # True for `Client`: its hooks and dispatcher must be sync.
    _is_sync = False

    # Set by the client's constructor, along with the settings below.
    max_redirects: int
    _closed: bool

    # --- settings -------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether `close()` was called; a closed client sends nothing more."""
        return self._closed

    @property
    def auth(self) -> Auth | None:
        """The authentication for every request: `None`, or an `Auth`."""
        return self._auth

    @auth.setter
    def auth(self, auth: AuthTypes | None) -> None:
        self._auth = build_auth(auth)

    @property
    def params(self) -> QueryParams:
        """Query parameters added to every request's URL."""
        return self._params

    @params.setter
    def params(self, params: QueryParamTypes | None) -> None:
        self._params = QueryParams(params)

    @property
    def headers(self) -> Headers:
        """
        Headers of every request: `User-Agent`, `Accept`, `Accept-Encoding`
        and `Connection` defaults, with the client's `headers=` over them.
        """
        return self._headers

    @headers.setter
    def headers(self, headers: HeaderTypes | None) -> None:
        merged = default_headers()
        merged.update(headers)
        self._headers = merged

    @property
    def cookies(self) -> Cookies:
        """The cookie jar: sent with requests, updated from every response."""
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: CookieTypes | None) -> None:
        self._cookies = Cookies(cookies)

    @property
    def timeout(self) -> Timeout:
        """The default `Timeout` of every request."""
        return self._timeout

    @timeout.setter
    def timeout(self, timeout: TimeoutTypes) -> None:
        self._timeout = Timeout(timeout)

    @property
    def retries(self) -> Retry | None:
        """
        The `Retry` policy of every request, or None (no retries); set it to
        an int `n` (`Retry(total=n)`), a `Retry`, or None / 0.
        """
        return self._retry

    @retries.setter
    def retries(self, retries: RetryTypes) -> None:
        self._retry = build_retry(retries)

    @property
    def base_url(self) -> URL | None:
        """The URL that relative request URLs are joined onto (see `join_base_url`)."""
        return self._base_url

    @base_url.setter
    def base_url(self, base_url: URLTypes | None) -> None:
        self._base_url = None if base_url is None else URL(base_url)

    @property
    def event_hooks(self) -> dict[str, list[EventHook]]:
        """`{"request": [...], "response": [...]}`: callables run on each one."""
        return self._event_hooks

    @event_hooks.setter
    def event_hooks(self, event_hooks: EventHooks | None) -> None:
        hooks: dict[str, list[EventHook]] = {"request": [], "response": []}
        for name, functions in (event_hooks or {}).items():
            if name not in hooks:
                raise ValueError(
                    f"Unknown event hook {name!r}: the events are 'request' and "
                    "'response'."
                )
            for function in functions:
                if not callable(function):
                    raise TypeError(
                        f"An event hook must be callable, not {function!r}."
                    )
                import inspect  # not at import: slow to load, for hooks only

                if inspect.iscoroutinefunction(function) and self._is_sync:
                    raise TypeError(
                        f"The event hook {function!r} is async: the sync Client "
                        "takes plain functions; use it with httpcore.AsyncClient."
                    )
                hooks[name].append(function)
        self._event_hooks = hooks

    # --- building requests ----------------------------------------------------

    def build_request(
        self,
        method: str,
        url: URLTypes,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
    ) -> Request:
        """
        A `Request` with the client's defaults merged in: `url` joined onto
        `base_url` when relative; the URL's query, then the client's
        `params`, then `params` (a later one wins for the same name); the
        client's headers, then `headers` (case-insensitive, `headers` wins);
        the client's cookies and `cookies` (for this request only).
        """
        request = Request(
            method,
            self._merge_url(url),
            params=self._params.merge(params) if self._params or params else None,
            headers=self._merge_headers(headers),
            content=content,
            data=data,
            files=files,
            json=json,
        )
        jar = self._cookies
        if cookies:
            jar = Cookies(jar)
            jar.update(cookies)
        jar.set_cookie_header(request)
        return request

    def prepare_request(self, request: Request) -> Request:
        """
        A copy of `request` with the client's defaults under its own: the
        client's `params` for names its URL lacks, the client's headers for
        names it lacks, and the client's cookies unless it has a `Cookie`
        header. It shares `request`'s body.
        """
        url = request.url
        if self._params:
            query = self._params.merge(url.params)
            url = url.copy_with(query=str(query))
        prepared = Request(
            request.method,
            url,
            headers=self._merge_headers(request.headers),
            stream=request.stream,
            extensions=dict(request.extensions),
        )
        self._cookies.set_cookie_header(prepared)
        return prepared

    def _merge_url(self, url: URLTypes) -> URL:
        parsed = URL(url, allow_relative=True)
        if parsed.scheme:
            return parsed
        if self._base_url is None:
            raise InvalidURL(
                f"The URL {str(url)!r} is relative and the client has no "
                "base_url: pass a full URL, like 'https://example.org/path', or "
                "give the client a base_url."
            )
        return join_base_url(self._base_url, parsed)

    def _merge_headers(self, headers: HeaderTypes | None) -> Headers:
        if headers is None and self._headers.get_raw(b"host") is None:
            return self._headers  # the request copies it
        merged = self._headers.copy()
        merged.update(headers)
        if merged.get_raw(b"host") is not None:
            # A Host given by the caller (or a prepared request) goes first,
            # where `Request` puts the one it makes from the URL.
            raw = merged.raw
            merged = Headers(
                [item for item in raw if item[0].lower() == b"host"]
                + [item for item in raw if item[0].lower() != b"host"]
            )
        return merged

    # --- sending: what the clients implement ------------------------------------

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
        raise NotImplementedError  # pragma: no cover

    def send(
        self,
        request: Request,
        *,
        stream: bool = False,
        allow_redirects: bool = True,
        verify: VerifyTypes = UNSET,
        cert: CertTypes | None = UNSET,
        timeout: TimeoutTypes = UNSET,
    ) -> _T:
        """
        Send `request` as it is (see `prepare_request` to merge the client's
        defaults in), with the client's auth, redirects and cookie jar.
        Arguments as for `request()`.
        """
        return self._send(
            request,
            stream=stream,
            allow_redirects=allow_redirects,
            auth=UNSET,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )

    # --- the verbs -------------------------------------------------------------

    def request(
        self,
        method: str,
        url: URLTypes,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | None = UNSET,
        stream: bool = False,
        allow_redirects: bool = True,
        verify: VerifyTypes = UNSET,
        cert: CertTypes | None = UNSET,
        timeout: TimeoutTypes = UNSET,
    ) -> _T:
        """
        Build a request (see `build_request`) and send it.

        - `content` (bytes, str, or an iterator of bytes, sent chunked when its
          length is unknown), `data` (form fields), `files` (a multipart
          upload, with `data` as its fields) or `json`: the body.
        - `auth`, `verify`, `cert`, `timeout`: this request's, instead of the
          client's. `auth=None` sends no auth, neither the client's nor
          `.netrc`'s; credentials in the URL (`user:pass@`) still apply.
        - `stream=True` returns before the body is read: read it with
          `read()` / `stream()`, or `close()` the response.
        - `allow_redirects=False` returns a redirect response as it is;
          `response.next()` then follows it.
        """
        request = self.build_request(
            method,
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
        )
        return self._send(
            request,
            stream=stream,
            allow_redirects=allow_redirects,
            auth=auth,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )

    def get(
        self,
        url: URLTypes,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | None = UNSET,
        stream: bool = False,
        allow_redirects: bool = True,
        verify: VerifyTypes = UNSET,
        cert: CertTypes | None = UNSET,
        timeout: TimeoutTypes = UNSET,
    ) -> _T:
        """Send a `GET` request; see `request()`."""
        return self.request(
            "GET",
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            stream=stream,
            allow_redirects=allow_redirects,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )

    def options(
        self,
        url: URLTypes,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | None = UNSET,
        stream: bool = False,
        allow_redirects: bool = True,
        verify: VerifyTypes = UNSET,
        cert: CertTypes | None = UNSET,
        timeout: TimeoutTypes = UNSET,
    ) -> _T:
        """Send an `OPTIONS` request; see `request()`."""
        return self.request(
            "OPTIONS",
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            stream=stream,
            allow_redirects=allow_redirects,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )

    def head(
        self,
        url: URLTypes,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | None = UNSET,
        stream: bool = False,
        allow_redirects: bool = False,
        verify: VerifyTypes = UNSET,
        cert: CertTypes | None = UNSET,
        timeout: TimeoutTypes = UNSET,
    ) -> _T:
        """Send a `HEAD` request (redirects not followed by default); see above."""
        return self.request(
            "HEAD",
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            stream=stream,
            allow_redirects=allow_redirects,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )

    def post(
        self,
        url: URLTypes,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | None = UNSET,
        stream: bool = False,
        allow_redirects: bool = True,
        verify: VerifyTypes = UNSET,
        cert: CertTypes | None = UNSET,
        timeout: TimeoutTypes = UNSET,
    ) -> _T:
        """Send a `POST` request; see `request()`."""
        return self.request(
            "POST",
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            stream=stream,
            allow_redirects=allow_redirects,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )

    def put(
        self,
        url: URLTypes,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | None = UNSET,
        stream: bool = False,
        allow_redirects: bool = True,
        verify: VerifyTypes = UNSET,
        cert: CertTypes | None = UNSET,
        timeout: TimeoutTypes = UNSET,
    ) -> _T:
        """Send a `PUT` request; see `request()`."""
        return self.request(
            "PUT",
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            stream=stream,
            allow_redirects=allow_redirects,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )

    def patch(
        self,
        url: URLTypes,
        *,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: RequestFiles | None = None,
        json: typing.Any = None,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | None = UNSET,
        stream: bool = False,
        allow_redirects: bool = True,
        verify: VerifyTypes = UNSET,
        cert: CertTypes | None = UNSET,
        timeout: TimeoutTypes = UNSET,
    ) -> _T:
        """Send a `PATCH` request; see `request()`."""
        return self.request(
            "PATCH",
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            stream=stream,
            allow_redirects=allow_redirects,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )

    def delete(
        self,
        url: URLTypes,
        *,
        params: QueryParamTypes | None = None,
        headers: HeaderTypes | None = None,
        cookies: CookieTypes | None = None,
        auth: AuthTypes | None = UNSET,
        stream: bool = False,
        allow_redirects: bool = True,
        verify: VerifyTypes = UNSET,
        cert: CertTypes | None = UNSET,
        timeout: TimeoutTypes = UNSET,
    ) -> _T:
        """Send a `DELETE` request; see `request()`."""
        return self.request(
            "DELETE",
            url,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            stream=stream,
            allow_redirects=allow_redirects,
            verify=verify,
            cert=cert,
            timeout=timeout,
        )
