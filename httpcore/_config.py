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
import time
import typing

from ._exceptions import (
    ConnectTimeout,
    PoolTimeout,
    ReadTimeout,
    TimeoutException,
    WriteTimeout,
)
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
    "time_left",
    "total_exceeded",
    "with_deadline",
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
    - `total` (keyword only, `None` by default): the whole request, every
      redirect, auth round, retry and backoff sleep included, and reading
      the body. Each wait is then bounded by what is left of it too; when
      that runs out, the phase's usual exception (`ReadTimeout`...) says
      the total timeout was exceeded.

    ```python
    Timeout(10.0)                 # 10 s for every phase
    Timeout(10.0, connect=2.0)    # 2 s to connect, 10 s for the rest
    Timeout(10.0, total=30.0)     # and 30 s for the whole request
    Timeout(None)                 # no timeouts at all
    ```
    """

    __slots__ = ("_connect", "_deadline", "_pool", "_read", "_total", "_write")

    _connect: float | None
    _read: float | None
    _write: float | None
    _pool: float | None
    _total: float | None
    # An absolute `time.monotonic()` time, fixed by `with_deadline()` when a
    # request starts: then each phase is what is left until it, if less.
    _deadline: float | None

    def __init__(
        self,
        timeout: TimeoutTypes | _Unset = UNSET,
        *,
        connect: float | _Unset | None = UNSET,
        read: float | _Unset | None = UNSET,
        write: float | _Unset | None = UNSET,
        pool: float | _Unset | None = UNSET,
        total: float | None = None,
    ) -> None:
        default: float | None
        self._deadline = None
        if isinstance(timeout, Timeout):
            given = (connect, read, write, pool)
            if any(v is not UNSET for v in given) or total is not None:
                raise TypeError("Pass either a Timeout or per-phase values, not both.")
            self._connect, self._read = timeout._connect, timeout._read
            self._write, self._pool = timeout._write, timeout._pool
            self._total = timeout._total
            return
        self._total = _check(total)
        if isinstance(timeout, tuple):
            values = [*timeout, *([None] * (4 - len(timeout)))]
            if len(timeout) > 4:
                raise TypeError("A timeout tuple has at most 4 values.")
            checked = [_check(v) for v in values]
            self._connect, self._read, self._write, self._pool = checked
            return
        if timeout is UNSET:
            default = 5.0
        else:
            default = _check(typing.cast(float | None, timeout))
        self._connect = default if connect is UNSET else _check(connect)
        self._read = default if read is UNSET else _check(read)
        self._write = default if write is UNSET else _check(write)
        self._pool = default if pool is UNSET else _check(pool)

    @property
    def connect(self) -> float | None:
        """Seconds to connect (TCP and TLS), or `None`."""
        if self._deadline is None:
            return self._connect
        return self._left(self._connect, "connect")

    @property
    def read(self) -> float | None:
        """Seconds to wait for each chunk of the response, or `None`."""
        if self._deadline is None:
            return self._read
        return self._left(self._read, "read")

    @property
    def write(self) -> float | None:
        """Seconds to wait to send each chunk of the request, or `None`."""
        if self._deadline is None:
            return self._write
        return self._left(self._write, "write")

    @property
    def pool(self) -> float | None:
        """Seconds to wait for a connection from the pool, or `None`."""
        if self._deadline is None:
            return self._pool
        return self._left(self._pool, "pool")

    @property
    def total(self) -> float | None:
        """Seconds for the whole request, or `None` (no overall limit)."""
        return self._total

    def _left(self, limit: float | None, phase: str) -> float | None:
        """`limit`, or the time left until the deadline when that is less."""
        left = typing.cast(float, self._deadline) - time.monotonic()
        if left <= 0:
            # Never hand a backend 0 (a non-blocking socket): fail now.
            raise _exceeded(self, _PHASE_ERRORS[phase])
        return left if limit is None or left < limit else limit

    def _values(self) -> tuple[float | None, ...]:
        return (self._connect, self._read, self._write, self._pool, self._total)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeout) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        total = "" if self._total is None else f", total={self._total}"
        phases = {self._connect, self._read, self._write, self._pool}
        if len(phases) == 1:
            return f"Timeout(timeout={self._connect}{total})"
        return (
            f"Timeout(connect={self._connect}, read={self._read}, "
            f"write={self._write}, pool={self._pool}{total})"
        )


def with_deadline(timeout: Timeout) -> Timeout:
    """
    `timeout` with its `total` counted from now: what the outermost entry
    point of a request (the client's send, the pool's) passes down. The same
    object when there is no total, or when its deadline is fixed already.
    """
    if timeout._total is None or timeout._deadline is not None:
        return timeout
    bound = Timeout(timeout)
    bound._deadline = time.monotonic() + timeout._total
    return bound


def time_left(timeout: Timeout) -> float | None:
    """Seconds left until `timeout`'s deadline (maybe <= 0), None without one."""
    if timeout._deadline is None:
        return None
    return timeout._deadline - time.monotonic()


# A wait cut short by the deadline times out at the deadline, give or take
# the backends' clock rounding; a phase's own timeout that happens to end
# within this of it is reported as the total's too.
_DEADLINE_SLACK = 0.002


def total_exceeded(timeout: Timeout, exc: TimeoutException) -> TimeoutException:
    """
    The error to raise for `exc`, a phase's timeout: one of the same class
    that says the total timeout was exceeded when the deadline is what
    expired, else `exc` itself.
    """
    left = time_left(timeout)
    if left is None or left > _DEADLINE_SLACK or _TOTAL_MARK in str(exc):
        return exc
    error = _exceeded(timeout, type(exc))
    error._request = exc._request
    error.__cause__ = exc  # as `raise error from exc` would
    error.__suppress_context__ = True
    return error


def _exceeded(timeout: Timeout, error: type[TimeoutException]) -> TimeoutException:
    what = _PHASE_WORDS.get(error, "")
    return error(f"Timed out{what}: {_TOTAL_MARK} of {timeout._total} s was exceeded.")


_TOTAL_MARK = "the total timeout"
_PHASE_ERRORS: dict[str, type[TimeoutException]] = {
    "connect": ConnectTimeout,
    "read": ReadTimeout,
    "write": WriteTimeout,
    "pool": PoolTimeout,
}
_PHASE_WORDS: dict[type[TimeoutException], str] = {
    ConnectTimeout: " while connecting",
    ReadTimeout: " while reading the response",
    WriteTimeout: " while sending the request",
    PoolTimeout: " while waiting for a connection from the pool",
}


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
                # Imported only here: certifi finds its bundle through
                # `importlib.resources`, some 10 ms of a cold start.
                import certifi

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
