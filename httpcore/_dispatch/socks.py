"""
SOCKS5 proxies: `AsyncSOCKSProxy` and its sync facade `SOCKSProxy`.

How this works. Like an HTTP tunnel, but the handshake is SOCKS5, spoken by
socksio (sans-IO: it only turns requests into bytes and bytes into replies):
offer the auth methods (none, or username/password when credentials are
given), authenticate, then CONNECT to the origin. `socks5://` resolves the
origin's host here and sends an IP address; `socks5h://` sends the host name
and lets the proxy resolve it. After a successful reply the stream is a raw
pipe to the origin: TLS (with ALPN) and HTTP follow as on a direct
connection, one connection per origin, pooled. Every failure (bad
credentials, no acceptable method, a refused connect, a closed socket) is a
`ProxyError` with the proxy's answer, and the socket is closed.
"""

from __future__ import annotations

import importlib.util
import ssl
import typing

from .._backends.base import Backend, NetworkStream, SocketOption
from .._config import Proxy, Timeout
from .._exceptions import ConnectError, ProxyError
from .._models import Request
from .._urls import URL, Origin
from .connection import AsyncHTTPConnection, PoolKey
from .connection_pool import AsyncConnectionPool
from .sync import ConnectionPool

__all__ = ["AsyncSOCKSProxy", "SOCKSProxy"]


class SOCKSConnection(AsyncHTTPConnection):
    """A connection to an origin through a SOCKS5 proxy."""

    __slots__ = ("_auth", "_proxy_origin", "_remote_dns")

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
        auth: tuple[str, str] | None,
        remote_dns: bool,
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
        self._auth = auth
        self._remote_dns = remote_dns

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
        host = self.origin.host
        if not self._remote_dns:
            infos = await backend.resolve(host, self.origin.port, timeout.connect)
            if not infos:  # pragma: no cover - getaddrinfo raises instead
                raise ConnectError(f"No address found for {host!r}.")
            host = infos[0][4][0]
        stream = await super()._open_transport(
            backend, timeout, request, local_address, uds, socket_options
        )
        try:
            await self._handshake(stream, host, timeout)
        except BaseException:
            stream.close_nowait()
            raise
        return stream

    async def _handshake(
        self, stream: NetworkStream, host: str, timeout: Timeout
    ) -> None:
        from socksio import socks5  # imported when first needed: see __init__

        conn = socks5.SOCKS5Connection()
        method = (
            socks5.SOCKS5AuthMethod.NO_AUTH_REQUIRED
            if self._auth is None
            else socks5.SOCKS5AuthMethod.USERNAME_PASSWORD
        )
        conn.send(socks5.SOCKS5AuthMethodsRequest([method]))
        reply = await self._exchange(conn, stream, timeout)
        if not isinstance(reply, socks5.SOCKS5AuthReply) or reply.method != method:
            got = getattr(reply, "method", reply)
            raise ProxyError(
                f"The SOCKS5 proxy at {self._proxy_origin!r} accepts no offered "
                f"auth method: offered {method.name}, it answered {got!r}."
            )
        if self._auth is not None:
            username, password = self._auth
            conn.send(
                socks5.SOCKS5UsernamePasswordRequest(
                    username.encode("utf-8"), password.encode("utf-8")
                )
            )
            reply = await self._exchange(conn, stream, timeout)
            if (
                not isinstance(reply, socks5.SOCKS5UsernamePasswordReply)
                or not reply.success
            ):
                raise ProxyError(
                    f"The SOCKS5 proxy at {self._proxy_origin!r} refused the "
                    "username and password."
                )
        conn.send(
            socks5.SOCKS5CommandRequest.from_address(
                socks5.SOCKS5Command.CONNECT, (host, self.origin.port)
            )
        )
        reply = await self._exchange(conn, stream, timeout)
        if (
            not isinstance(reply, socks5.SOCKS5Reply)
            or reply.reply_code != socks5.SOCKS5ReplyCode.SUCCEEDED
        ):
            code = getattr(reply, "reply_code", reply)
            name = getattr(code, "name", code)
            raise ProxyError(
                f"The SOCKS5 proxy at {self._proxy_origin!r} could not connect to "
                f"{host}:{self.origin.port}: {name}."
            )

    async def _exchange(
        self, conn: typing.Any, stream: NetworkStream, timeout: Timeout
    ) -> typing.Any:
        from socksio import ProtocolError

        await stream.write(conn.data_to_send(), timeout.write)
        data = b""
        while True:
            chunk = await stream.read(4096, timeout.read)
            if not chunk:
                raise ProxyError(
                    f"The SOCKS5 proxy at {self._proxy_origin!r} closed the "
                    "connection during the handshake."
                )
            data += chunk
            try:
                return conn.receive_data(data)
            except ProtocolError as exc:
                if len(data) < 262:  # a reply may come in pieces
                    continue  # pragma: no cover - replies are small
                raise ProxyError(
                    f"The SOCKS5 proxy at {self._proxy_origin!r} sent an invalid "
                    f"reply: {exc}"
                ) from exc


class AsyncSOCKSProxy(AsyncConnectionPool):
    """
    An async pool whose connections go through a SOCKS5 proxy.

    ```python
    async with httpcore.AsyncSOCKSProxy("socks5h://user:pass@proxy:1080") as proxy:
        response = await proxy.request("GET", "https://example.org/")
    ```

    `socks5://` resolves host names locally, `socks5h://` at the proxy.
    Needs socksio: `pip install httpcore[socks]`. Other arguments are
    `AsyncConnectionPool`'s.
    """

    def __init__(
        self,
        proxy_url: str | URL | Proxy,
        *,
        proxy_auth: tuple[str, str] | None = None,
        **kwargs: typing.Any,
    ) -> None:
        if importlib.util.find_spec("socksio") is None:  # pragma: no cover
            raise RuntimeError(
                "SOCKS proxies need the socksio package: pip install httpcore[socks]"
            )
        super().__init__(**kwargs)
        proxy = proxy_url if isinstance(proxy_url, Proxy) else Proxy(proxy_url)
        if proxy.url.scheme not in ("socks5", "socks5h"):
            raise ValueError(
                "AsyncSOCKSProxy needs a socks5:// or socks5h:// proxy URL, "
                f"not {proxy.url}."
            )
        self.proxy = proxy
        port = proxy.url.port or 1080  # SOCKS's registered port
        self._proxy_origin = proxy.url.copy_with(scheme="http", port=port).origin
        self._proxy_auth = proxy_auth or proxy.auth
        self._remote_dns = proxy.url.scheme == "socks5h"

    def _new_connection(
        self, key: PoolKey, request: Request, ssl_context: ssl.SSLContext | None
    ) -> AsyncHTTPConnection:
        return SOCKSConnection(
            request.url.origin,
            key,
            ssl_context=ssl_context,
            sni_hostname=request.extensions.get("sni_hostname"),
            http1=self._http1,
            http2=self._http2,
            proxy_origin=self._proxy_origin,
            auth=self._proxy_auth,
            remote_dns=self._remote_dns,
        )


class SOCKSProxy(ConnectionPool):
    """
    A sync pool whose connections go through a SOCKS5 proxy:
    `AsyncSOCKSProxy` driven on the sync backend.
    """

    def __init__(
        self,
        proxy_url: str | URL | Proxy,
        *,
        proxy_auth: tuple[str, str] | None = None,
        **kwargs: typing.Any,
    ) -> None:
        self._pool = AsyncSOCKSProxy(
            proxy_url, proxy_auth=proxy_auth, backend="sync", **kwargs
        )
