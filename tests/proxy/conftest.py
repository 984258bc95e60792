"""Real proxies on loopback (pproxy), for the proxy tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.proxy import ProxyServer


@pytest.fixture(scope="session")
def proxy_server() -> Iterator[ProxyServer]:
    """HTTP + SOCKS5 proxy, no credentials."""
    with ProxyServer() as proxy:
        yield proxy


@pytest.fixture(scope="session")
def auth_proxy_server() -> Iterator[ProxyServer]:
    """HTTP + SOCKS5 proxy that wants `proxyuser:proxypass`."""
    with ProxyServer(auth=True) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def tls_proxy_server() -> Iterator[ProxyServer]:
    """HTTP proxy behind TLS (an `https://` proxy URL), wanting credentials."""
    with ProxyServer(auth=True, tls_on=True) as proxy:
        yield proxy
