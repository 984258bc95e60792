"""
HTTP proxies: `AsyncHTTPProxy` and its sync facade `HTTPProxy`.

How this works. A proxy dispatcher is a connection pool whose connections go
through the proxy; only the pool key and the connection class change.

- `http://` targets are forwarded: every one of them shares the pool key
  `("forward", proxy host, proxy port, ...)`, so connections to the proxy
  are pooled and reused whatever the origin. A `ForwardConnection` is a plain
  connection to the proxy that sends each request with an absolute-form
  target (`GET http://example.org/ HTTP/1.1`) and the proxy's headers
  (`Proxy-Authorization`, `proxy_headers`) added.
- `https://` targets go through a tunnel, one per origin, keyed like a
  direct connection. A `TunnelConnection` opens TCP to the proxy (and TLS to
  it for an `https://` proxy), sends `CONNECT host:port` with the proxy's
  headers, and on a 2xx takes the raw stream the HTTP/1.1 protocol hands
  over. From there it is an ordinary connection: TLS to the origin inside
  the tunnel (TLS in TLS for an https proxy), ALPN, HTTP/1.1 or HTTP/2. The
  proxy's credentials went out with the CONNECT only: nothing inside the
  tunnel, and nothing to the origin, carries them.
- A refused CONNECT (any non-2xx) or a proxy that closes early raises
  `ProxyError` with the proxy's status and reason; the socket is closed.
"""

from __future__ import annotations

import base64
import ssl
import typing

from .._backends.base import Backend, NetworkStream, SocketOption
from .._config import Proxy, Timeout, ssl_context_for
from .._exceptions import (
    ProxyError,
    ReadError,
    RemoteProtocolError,
    WriteError,
)
from .._headers import Headers as HeaderMap
from .._headers import HeaderTypes
from .._models import AsyncResponse, Request
from .._request import check_header_fields
from .._urls import URL, Origin
from .connection import AsyncHTTPConnection, PoolKey, start_tls
from .connection_pool import AsyncConnectionPool
from .http11 import HTTP11Protocol
from .sync import ConnectionPool

__all__ = ["AsyncHTTPProxy", "HTTPProxy", "proxy_dispatcher", "proxy_header_list"]

Headers = list[tuple[bytes, bytes]]


def proxy_header_list(
    auth: tuple[str, str] | None, headers: HeaderTypes | None
) -> Headers:
    """
    The headers that go to the proxy only: its credentials and extras. They
    join requests inside the connection, after the request checks: a bad one
    is refused here, when the proxy is set up, before any byte is sent.
    """
    result: Headers = []
    if auth is not None:
        username, password = auth
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        result.append((b"Proxy-Authorization", f"Basic {token}".encode("ascii")))
    result.extend(HeaderMap(headers).raw)
    check_header_fields(result)
    return result


def _host_port(origin: Origin) -> str:
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    return f"{host}:{origin.port}"


class ForwardConnection(AsyncHTTPConnection):
    """A connection to the proxy itself, for `http://` targets."""

    __slots__ = ("_proxy_headers",)

    def __init__(
        self,
        origin: Origin,
        key: PoolKey,
        *,
        ssl_context: ssl.SSLContext | None,
        proxy_headers: Headers,
    ) -> None:
        super().__init__(origin, key, ssl_context=ssl_context)
        self._proxy_headers = proxy_headers

    async def handle_request(self, request: Request, timeout: Timeout) -> AsyncResponse:
        forwarded = Request(
            request.method,
            request.url,
            headers=[*request.headers.raw, *self._proxy_headers],
            stream=request.stream,
            extensions={**request.extensions, "target": str(request.url)},
        )
        response = await super().handle_request(forwarded, timeout)
        response.request = request
        return response


class TunnelConnection(AsyncHTTPConnection):
    """A connection to an origin through a CONNECT tunnel."""

    __slots__ = ("_proxy_headers", "_proxy_origin", "_proxy_ssl")

    def __init__(
        self,
        origin: Origin,
        key: PoolKey,
        *,
        ssl_context: ssl.SSLContext | None,
        sni_hostname: str | None,
        http1: bool,
        http2: bool,
        proxy_origin: Origin,
        proxy_ssl: ssl.SSLContext | None,
        proxy_headers: Headers,
    ) -> None:
        super().__init__(
            origin,
            key,
            ssl_context=ssl_context,
            sni_hostname=sni_hostname,
            http1=http1,
            http2=http2,
        )
        self._proxy_origin = proxy_origin
        self._proxy_ssl = proxy_ssl
        self._proxy_headers = proxy_headers

    @property
    def address(self) -> tuple[str, int]:
        return self._proxy_origin.host, self._proxy_origin.port

    async def _open_transport(
        self,
        backend: Backend,
        timeout: Timeout,
        request: Request | None,
        local_address: str | None,
        uds: str | None,
        socket_options: typing.Iterable[SocketOption] | None,
    ) -> NetworkStream:
        stream = await super()._open_transport(
            backend, timeout, request, local_address, uds, socket_options
        )
        try:
            if self._proxy_ssl is not None:
                stream = await start_tls(
                    stream, self._proxy_ssl, self._proxy_origin.host, timeout, request
                )
            return await self._connect(stream, timeout)
        except BaseException:
            stream.close_nowait()
            raise

    async def _connect(self, stream: NetworkStream, timeout: Timeout) -> NetworkStream:
        target = _host_port(self.origin)
        connect = Request(
            "CONNECT",
            URL(f"http://{target}/"),
            headers=[(b"Host", target.encode("ascii")), *self._proxy_headers],
            extensions={"target": target},
        )
        protocol = HTTP11Protocol(stream, _ignore)
        try:
            response = await protocol.handle_request(connect, timeout)
        except (ReadError, WriteError, RemoteProtocolError) as exc:
            raise ProxyError(
                f"The proxy at {self._proxy_origin!r} closed the connection or "
                f"failed during CONNECT {target}: {exc}",
                request=connect,
            ) from exc
        if not 200 <= response.status < 300:
            reason = response.extensions.get("reason_phrase", b"")
            if isinstance(reason, bytes):
                reason = reason.decode("latin-1")
            raise ProxyError(
                f"The proxy at {self._proxy_origin!r} refused CONNECT {target}: "
                f"{response.status} {reason}",
                request=connect,
            )
        network_stream: NetworkStream = response.extensions["network_stream"]
        return network_stream


def _ignore(reusable: bool) -> None:
    pass


class AsyncHTTPProxy(AsyncConnectionPool):
    """
    An async pool whose requests go through an HTTP proxy.

    ```python
    async with httpcore.AsyncHTTPProxy("http://user:pass@proxy:3128") as proxy:
        response = await proxy.request("GET", "https://example.org/")
    ```

    `http://` targets are forwarded to the proxy; `https://` ones go through
    a CONNECT tunnel (one per origin, pooled), then TLS to the origin, with
    HTTP/2 if `http2=True`. An `https://` proxy URL adds TLS to the proxy.
    `proxy_auth` (or credentials in the URL) and `proxy_headers` go to the
    proxy only. Other arguments are `AsyncConnectionPool`'s.
    """

    def __init__(
        self,
        proxy_url: str | URL | Proxy,
        *,
        proxy_auth: tuple[str, str] | None = None,
        proxy_headers: HeaderTypes | None = None,
        **kwargs: typing.Any,
    ) -> None:
        super().__init__(**kwargs)
        proxy = (
            proxy_url
            if isinstance(proxy_url, Proxy)
            else Proxy(proxy_url, auth=proxy_auth)
        )
        if proxy.url.scheme not in ("http", "https"):
            raise ValueError(
                "AsyncHTTPProxy needs an http:// or https:// proxy URL, "
                f"not {proxy.url}."
            )
        self.proxy = proxy
        self._proxy_origin = proxy.url.origin
        extra = HeaderMap(proxy.headers)
        extra.update(proxy_headers)
        self._proxy_headers = proxy_header_list(proxy_auth or proxy.auth, extra)
        self._proxy_ssl_context: ssl.SSLContext | None = None

    def _proxy_ssl(self) -> ssl.SSLContext | None:
        if not self._proxy_origin.is_ssl:
            return None
        if self._proxy_ssl_context is None:
            # HTTP/1.1 only to the proxy: CONNECT and forwarding speak it.
            self._proxy_ssl_context = ssl_context_for(
                self._verify, self._cert, trust_env=self._trust_env
            )
        return self._proxy_ssl_context

    def _pool_key(
        self, request: Request, ssl_context: ssl.SSLContext | None
    ) -> PoolKey:
        if request.url.scheme == "http":
            origin = self._proxy_origin
            return ("forward", origin.host, origin.port, 0, None)
        return super()._pool_key(request, ssl_context)

    def _new_connection(
        self, key: PoolKey, request: Request, ssl_context: ssl.SSLContext | None
    ) -> AsyncHTTPConnection:
        if key[0] == "forward":
            return ForwardConnection(
                self._proxy_origin,
                key,
                ssl_context=self._proxy_ssl(),
                proxy_headers=self._proxy_headers,
            )
        return TunnelConnection(
            request.url.origin,
            key,
            ssl_context=ssl_context,
            sni_hostname=request.extensions.get("sni_hostname"),
            http1=self._http1,
            http2=self._http2,
            proxy_origin=self._proxy_origin,
            proxy_ssl=self._proxy_ssl(),
            proxy_headers=self._proxy_headers,
        )


class HTTPProxy(ConnectionPool):
    """
    A sync pool whose requests go through an HTTP proxy: `AsyncHTTPProxy`
    driven on the sync backend.

    ```python
    with httpcore.HTTPProxy("http://proxy:3128") as proxy:
        response = proxy.request("GET", "https://example.org/")
    ```
    """

    def __init__(
        self,
        proxy_url: str | URL | Proxy,
        *,
        proxy_auth: tuple[str, str] | None = None,
        proxy_headers: HeaderTypes | None = None,
        **kwargs: typing.Any,
    ) -> None:
        self._pool = AsyncHTTPProxy(
            proxy_url,
            proxy_auth=proxy_auth,
            proxy_headers=proxy_headers,
            backend="sync",
            **kwargs,
        )


def proxy_dispatcher(proxy: Proxy, **options: typing.Any) -> AsyncConnectionPool:
    """The async dispatcher for `proxy`, whatever its scheme; `options` are
    the connection pool's."""
    if proxy.url.scheme in ("socks5", "socks5h"):
        from .socks import AsyncSOCKSProxy

        return AsyncSOCKSProxy(proxy, **options)
    return AsyncHTTPProxy(proxy, **options)
