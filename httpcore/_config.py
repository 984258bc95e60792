"""
Configuration values: `Timeout`, `PoolLimits`, `Proxy`, and the SSL context cache.

SSL contexts are expensive to build (loading the CA bundle parses hundreds of
certificates), so `ssl_context_for()` builds one per distinct configuration
and hands the same object out afterwards. Because equal configurations share
one context object, the pool can key connections by the context's identity:
a `verify=False` connection can never serve a verified request.
"""

from __future__ import annotations

import math
import os
import ssl
import threading
import typing

import certifi

from ._urls import URL

__all__ = [
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_POOL_LIMITS",
    "DEFAULT_TIMEOUT",
    "CertTypes",
    "PoolLimits",
    "Proxy",
    "Timeout",
    "TimeoutTypes",
    "VerifyTypes",
    "ssl_context_for",
]

CertTypes = typing.Union[str, tuple[str, str], tuple[str, str, str]]
VerifyTypes = typing.Union[bool, str, ssl.SSLContext]
TimeoutTypes = typing.Union[
    float,
    None,
    tuple[float | None, ...],
    "Timeout",
]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: typing.Any = _Unset()


class Timeout:
    """
    Timeouts, in seconds, for each phase of a request; `None` means no limit.

    - `connect`: opening the TCP connection and the TLS handshake.
    - `read`: waiting for each chunk of data from the server.
    - `write`: sending each chunk of the request.
    - `pool`: waiting for a free connection from the pool.

    ```python
    Timeout(10.0)                 # 10 s for every phase
    Timeout(10.0, connect=2.0)    # 2 s to connect, 10 s for the rest
    Timeout(None)                 # no timeouts at all
    ```
    """

    __slots__ = ("connect", "pool", "read", "write")

    connect: float | None
    read: float | None
    write: float | None
    pool: float | None

    def __init__(
        self,
        timeout: TimeoutTypes | _Unset = UNSET,
        *,
        connect: float | _Unset | None = UNSET,
        read: float | _Unset | None = UNSET,
        write: float | _Unset | None = UNSET,
        pool: float | _Unset | None = UNSET,
    ) -> None:
        default: float | None
        if isinstance(timeout, Timeout):
            if any(v is not UNSET for v in (connect, read, write, pool)):
                raise TypeError("Pass either a Timeout or per-phase values, not both.")
            self.connect, self.read = timeout.connect, timeout.read
            self.write, self.pool = timeout.write, timeout.pool
            return
        if isinstance(timeout, tuple):
            values = [*timeout, *([None] * (4 - len(timeout)))]
            if len(timeout) > 4:
                raise TypeError("A timeout tuple has at most 4 values.")
            self.connect, self.read, self.write, self.pool = (_check(v) for v in values)
            return
        if timeout is UNSET:
            default = 5.0
        else:
            default = _check(typing.cast(float | None, timeout))
        self.connect = default if connect is UNSET else _check(connect)
        self.read = default if read is UNSET else _check(read)
        self.write = default if write is UNSET else _check(write)
        self.pool = default if pool is UNSET else _check(pool)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeout) and (
            self.connect,
            self.read,
            self.write,
            self.pool,
        ) == (other.connect, other.read, other.write, other.pool)

    def __hash__(self) -> int:
        return hash((self.connect, self.read, self.write, self.pool))

    def __repr__(self) -> str:
        phases = {self.connect, self.read, self.write, self.pool}
        if len(phases) == 1:
            return f"Timeout(timeout={self.connect})"
        return (
            f"Timeout(connect={self.connect}, read={self.read}, "
            f"write={self.write}, pool={self.pool})"
        )


def _check(value: typing.Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"A timeout must be a number of seconds or None, not {value!r}."
        )
    if value < 0:
        raise ValueError(f"A timeout cannot be negative, got {value!r}.")
    if math.isinf(value):
        return None  # float("inf") means no limit: say so the one way
    return float(value)


class PoolLimits:
    """
    Limits on the connection pool.

    - `max_connections`: connections open at once, in use or idle (None: no limit).
    - `max_keepalive_connections`: idle connections kept for reuse.
    - `keepalive_expiry`: seconds an idle connection is kept before it is closed.
    """

    __slots__ = ("keepalive_expiry", "max_connections", "max_keepalive_connections")

    def __init__(
        self,
        max_connections: int | None = 100,
        max_keepalive_connections: int | None = 20,
        keepalive_expiry: float | None = 5.0,
    ) -> None:
        for name, value in (
            ("max_connections", max_connections),
            ("max_keepalive_connections", max_keepalive_connections),
        ):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative int or None.")
        if max_connections == 0:
            raise ValueError("max_connections must be at least 1.")
        self.max_connections = max_connections
        self.max_keepalive_connections = max_keepalive_connections
        self.keepalive_expiry = _check(keepalive_expiry)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PoolLimits) and (
            self.max_connections,
            self.max_keepalive_connections,
            self.keepalive_expiry,
        ) == (
            other.max_connections,
            other.max_keepalive_connections,
            other.keepalive_expiry,
        )

    def __hash__(self) -> int:
        return hash(
            (
                self.max_connections,
                self.max_keepalive_connections,
                self.keepalive_expiry,
            )
        )

    def __repr__(self) -> str:
        return (
            f"PoolLimits(max_connections={self.max_connections}, "
            f"max_keepalive_connections={self.max_keepalive_connections}, "
            f"keepalive_expiry={self.keepalive_expiry})"
        )


class Proxy:
    """A proxy: its URL, and optional credentials and headers for the proxy only."""

    __slots__ = ("auth", "headers", "url")

    def __init__(
        self,
        url: str | URL,
        *,
        auth: tuple[str, str] | None = None,
        headers: typing.Mapping[str, str] | None = None,
    ) -> None:
        url = URL(url)
        if url.scheme not in ("http", "https", "socks5", "socks5h"):
            raise ValueError(f"Unsupported proxy scheme {url.scheme!r} in {url}.")
        if auth is None and url.username:
            auth = (url.username, url.password)
            url = url.copy_with(userinfo="")
        self.url = url
        self.auth = auth
        self.headers = dict(headers or {})

    def __repr__(self) -> str:
        auth = ", auth=[secure]" if self.auth else ""
        return f"Proxy({str(self.url)!r}{auth})"


DEFAULT_TIMEOUT = Timeout(5.0)
DEFAULT_POOL_LIMITS = PoolLimits()
DEFAULT_MAX_REDIRECTS = 20

# --- SSL contexts -----------------------------------------------------------

_ssl_cache: dict[tuple[typing.Any, ...], ssl.SSLContext] = {}
_ssl_cache_lock = threading.Lock()


def ssl_context_for(
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    *,
    http1: bool = True,
    http2: bool = False,
    trust_env: bool = True,
) -> ssl.SSLContext:
    """
    The SSL context for a configuration, built once and cached.

    `verify` is True (the certifi bundle, or `SSL_CERT_FILE` / `SSL_CERT_DIR`
    when `trust_env`), False, a CA file or folder path, or an `SSLContext`
    that is used as it is.
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if not isinstance(verify, (bool, str)):
        raise TypeError(
            f"verify must be a bool, a path or an SSLContext, not {verify!r}."
        )
    env: tuple[str | None, str | None] = (None, None)
    if verify is True and trust_env:
        env = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    alpn = tuple(name for name, on in (("h2", http2), ("http/1.1", http1)) if on) or (
        "http/1.1",
    )
    key = (verify, cert, alpn, env)
    context = _ssl_cache.get(key)
    if context is None:
        with _ssl_cache_lock:
            context = _ssl_cache.get(key)
            if context is None:
                context = _build_ssl_context(verify, cert, alpn, env)
                _ssl_cache[key] = context
    return context


def _build_ssl_context(
    verify: bool | str,
    cert: CertTypes | None,
    alpn: tuple[str, ...],
    env: tuple[str | None, str | None],
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        if verify is True:
            cafile, capath = env
            if cafile and os.path.isfile(cafile):
                context.load_verify_locations(cafile=cafile)
            elif capath and os.path.isdir(capath):
                context.load_verify_locations(capath=capath)
            else:
                context.load_verify_locations(cafile=certifi.where())
        elif os.path.isfile(verify):
            context.load_verify_locations(cafile=verify)
        elif os.path.isdir(verify):
            context.load_verify_locations(capath=verify)
        else:
            raise OSError(
                f"Could not find a CA bundle at {verify!r}: pass verify=True, "
                "False, an existing file or folder path, or an ssl.SSLContext."
            )
    if cert is not None:
        if isinstance(cert, str):
            context.load_cert_chain(cert)
        else:
            context.load_cert_chain(*cert)
    context.set_alpn_protocols(list(alpn))
    if hasattr(context, "keylog_filename"):
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog:  # pragma: no cover - a debugging aid
            context.keylog_filename = keylog
    return context
