"""
Which proxy a request goes through: `proxies=` patterns and the environment.

How this works. `proxies=` becomes a list of `(URLPattern, Proxy or None)`
sorted most specific first, so routing a URL is the first pattern that
matches it (None: go direct). Under `trust_env` with no `proxies=`, the
environment gives the same shape: `ALL_PROXY` is `"all://"`, `HTTP_PROXY`
`"http://"`, `HTTPS_PROXY` `"https://"`, and `NO_PROXY` a `NoProxy` rule
checked first. All of this is pure: no I/O, testable without sockets.
"""

from __future__ import annotations

import ipaddress
import os
import typing

from ._config import Proxy, Timeout
from ._urls import URL

if typing.TYPE_CHECKING:  # pragma: no cover
    from ._dispatch.base import AsyncDispatcher
    from ._models import AsyncResponse, Request

__all__ = [
    "NoProxy",
    "ProxyDispatch",
    "ProxyRoutes",
    "URLPattern",
    "proxies_from_env",
]

ProxyValue = typing.Union[str, URL, Proxy, None]


class URLPattern:
    """
    A routing pattern: `"all://"`, `"http://"`, `"https://example.com:8443"`,
    `"all://*.example.com"` (subdomains only), `"all://*example.com"` (the
    domain and its subdomains), `"all://example.com"` (that host).
    """

    __slots__ = ("host", "pattern", "port", "scheme", "wildcard")

    def __init__(self, pattern: str) -> None:
        if "://" not in pattern:
            raise ValueError(
                f"Proxy pattern {pattern!r} needs a scheme: 'all://', 'http://', "
                "'https://', e.g. 'all://example.com'."
            )
        self.pattern = pattern
        scheme, _, rest = pattern.partition("://")
        self.scheme = "" if scheme == "all" else scheme.lower()
        rest = rest.rstrip("/")
        host, port = rest, None
        if rest.startswith("["):
            end = rest.index("]")
            host, tail = rest[1:end], rest[end + 1 :]
            if tail.startswith(":"):
                port = int(tail[1:])
        elif rest.count(":") == 1:
            host, _, port_text = rest.partition(":")
            port = int(port_text)
        self.port = port
        self.wildcard = ""
        if host.startswith("*."):
            self.wildcard, host = "sub", host[2:]
        elif host.startswith("*"):
            self.wildcard, host = "any", host[1:]
        self.host = host.lower()

    def matches(self, url: URL) -> bool:
        if self.scheme and url.scheme != self.scheme:
            return False
        if self.port is not None and url.port != self.port:
            return False
        if not self.host:
            return True
        host = url.host.lower()
        if self.wildcard == "sub":
            return host.endswith("." + self.host)
        if self.wildcard == "any":
            return host == self.host or host.endswith("." + self.host)
        return host == self.host

    @property
    def priority(self) -> tuple[bool, int, bool]:
        """Sort key, higher first: a port, a longer host, then a scheme."""
        return (self.port is not None, len(self.host), bool(self.scheme))

    def __repr__(self) -> str:
        return f"URLPattern({self.pattern!r})"


class NoProxy:
    """
    `NO_PROXY`: comma-separated hosts (and their subdomains), `.domain`
    suffixes, `*` (everything), IP addresses, CIDR ranges, and `host:port`.
    """

    __slots__ = ("_all", "_rules")

    def __init__(self, value: str) -> None:
        self._all = False
        self._rules: list[tuple[typing.Any, int | None]] = []
        for entry in value.replace(" ", ",").split(","):
            entry = entry.strip().lower()
            if not entry:
                continue
            if entry == "*":
                self._all = True
                continue
            host, port = _split_host_port(entry)
            try:
                network: typing.Any = ipaddress.ip_network(host, strict=False)
            except ValueError:
                network = host.lstrip(".").lstrip("*").lstrip(".")
            self._rules.append((network, port))

    def bypasses(self, url: URL) -> bool:
        """Whether `url` goes direct."""
        if self._all:
            return True
        host = url.host.lower().strip("[]")
        try:
            address: typing.Any = ipaddress.ip_address(host)
        except ValueError:
            address = None
        for rule, port in self._rules:
            if port is not None and url.port != port:
                continue
            if isinstance(rule, str):
                if host == rule or host.endswith("." + rule):
                    return True
            elif (
                address is not None
                and address.version == rule.version
                and address in rule
            ):
                return True
        return False


def _split_host_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        host, _, tail = entry[1:].partition("]")
        return host, int(tail[1:]) if tail.startswith(":") else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if port.isdigit():
            return host, int(port)
    return entry, None


def _env(name: str) -> str | None:
    return os.environ.get(name.lower()) or os.environ.get(name.upper()) or None


def _env_proxy_url(value: str) -> str:
    # `HTTP_PROXY=proxy:3128` is common: a bare host means an HTTP proxy.
    return value if "://" in value else f"http://{value}"


def proxies_from_env() -> tuple[dict[str, ProxyValue], NoProxy | None]:
    """The proxies that `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and
    `NO_PROXY` (either case) ask for."""
    proxies: dict[str, ProxyValue] = {}
    for name, pattern in (
        ("all_proxy", "all://"),
        ("http_proxy", "http://"),
        ("https_proxy", "https://"),
    ):
        value = _env(name)
        if value:
            proxies[pattern] = _env_proxy_url(value)
    no_proxy = _env("no_proxy")
    return proxies, NoProxy(no_proxy) if no_proxy else None


def _as_proxy(value: ProxyValue) -> Proxy | None:
    if value is None or isinstance(value, Proxy):
        return value
    return Proxy(value)


class ProxyRoutes:
    """`proxies=` (or the environment) as an ordered routing table."""

    __slots__ = ("_no_proxy", "routes")

    def __init__(
        self,
        proxies: ProxyValue | typing.Mapping[str, ProxyValue],
        no_proxy: NoProxy | None = None,
    ) -> None:
        if proxies is None:
            mapping: typing.Mapping[str, ProxyValue] = {}
        elif isinstance(proxies, (str, URL, Proxy)):
            mapping = {"all://": proxies}
        else:
            mapping = proxies
        routes = [(URLPattern(key), _as_proxy(value)) for key, value in mapping.items()]
        routes.sort(key=lambda route: route[0].priority, reverse=True)
        self.routes = routes
        self._no_proxy = no_proxy

    @classmethod
    def from_env(cls) -> ProxyRoutes:
        proxies, no_proxy = proxies_from_env()
        return cls(proxies, no_proxy)

    def __bool__(self) -> bool:
        return any(proxy is not None for _, proxy in self.routes)

    def proxies(self) -> list[Proxy]:
        """Every distinct proxy of the table, in routing order."""
        seen: list[Proxy] = []
        for _, proxy in self.routes:
            if proxy is not None and proxy not in seen:
                seen.append(proxy)
        return seen

    def route(self, url: URL) -> Proxy | None:
        """The proxy for `url`, or None to go direct."""
        if self._no_proxy is not None and self._no_proxy.bypasses(url):
            return None
        for pattern, proxy in self.routes:
            if pattern.matches(url):
                return proxy
        return None


class ProxyDispatch:
    """
    The client's dispatcher when proxies are in use: each request goes to
    the dispatcher of its route (one per proxy, made by `make`), or to
    `direct`.
    """

    def __init__(
        self,
        direct: AsyncDispatcher,
        routes: ProxyRoutes,
        make: typing.Callable[[Proxy], AsyncDispatcher],
    ) -> None:
        self.direct = direct
        self.routes = routes
        self.dispatchers = {id(proxy): make(proxy) for proxy in routes.proxies()}

    def dispatcher_for(self, url: URL) -> AsyncDispatcher:
        proxy = self.routes.route(url)
        return self.direct if proxy is None else self.dispatchers[id(proxy)]

    async def send(
        self, request: Request, *, timeout: Timeout | None = None
    ) -> AsyncResponse:
        dispatcher = self.dispatcher_for(request.url)
        return await dispatcher.send(request, timeout=timeout)

    async def close(self) -> None:
        try:
            for dispatcher in self.dispatchers.values():
                await dispatcher.close()
        finally:
            await self.direct.close()
