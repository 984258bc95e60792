"""Pure unit tests: proxy patterns, NO_PROXY, and the environment."""

from __future__ import annotations

import pytest

from httpcore._config import Proxy
from httpcore._proxies import NoProxy, ProxyRoutes, URLPattern, proxies_from_env
from httpcore._urls import URL

ENV_NAMES = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"]


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("all://", "http://example.com", True),
        ("all://", "https://example.com", True),
        ("http://", "http://example.com", True),
        ("http://", "https://example.com", False),
        ("all://example.com", "https://example.com", True),
        ("all://example.com", "https://www.example.com", False),
        ("all://*.example.com", "https://www.example.com", True),
        ("all://*.example.com", "https://example.com", False),
        ("all://*example.com", "https://example.com", True),
        ("all://*example.com", "https://a.b.example.com", True),
        ("https://example.com:8443", "https://example.com:8443", True),
        ("https://example.com:8443", "https://example.com", False),
        ("all://[::1]:8080", "http://[::1]:8080/", True),
    ],
)
def test_pattern(pattern, url, matches):
    assert URLPattern(pattern).matches(URL(url)) is matches


def test_pattern_needs_scheme():
    with pytest.raises(ValueError):
        URLPattern("example.com")


def test_most_specific_wins():
    routes = ProxyRoutes(
        {
            "all://": "http://all:1",
            "https://": "http://secure:1",
            "all://*.example.com": "http://example:1",
            "https://example.com:8443": "http://port:1",
            "all://direct.example.com": None,
        }
    )

    def host(url):
        proxy = routes.route(URL(url))
        return None if proxy is None else proxy.url.host

    assert host("http://other.org/") == "all"
    assert host("https://other.org/") == "secure"
    assert host("https://www.example.com/") == "example"
    assert host("https://example.com:8443/") == "port"
    assert host("https://direct.example.com/") is None
    assert len(routes.proxies()) == 4


def test_single_proxy_values():
    proxy = Proxy("http://p:1", auth=("u", "p"))
    assert ProxyRoutes(proxy).route(URL("https://x/")) is proxy
    assert ProxyRoutes("http://p:1").route(URL("http://x/")).url.host == "p"
    assert not ProxyRoutes(None)
    assert not ProxyRoutes({"all://": None})


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypass"),
    [
        ("*", "http://anything/", True),
        ("example.com", "http://example.com/", True),
        ("example.com", "http://www.example.com/", True),
        ("example.com", "http://notexample.com/", False),
        (".example.com", "http://www.example.com/", True),
        (".example.com", "http://example.com/", True),
        ("10.0.0.1", "http://10.0.0.1/", True),
        ("10.0.0.1", "http://10.0.0.2/", False),
        ("10.0.0.0/8", "http://10.9.8.7/", True),
        ("10.0.0.0/8", "http://11.0.0.1/", False),
        ("10.0.0.0/8", "http://example.com/", False),
        ("::1", "http://[::1]:80/", True),
        ("fd00::/8", "http://[fd12::1]/", True),
        ("example.com:8080", "http://example.com:8080/", True),
        ("example.com:8080", "http://example.com/", False),
        ("a.org, b.org", "http://b.org/", True),
        ("", "http://b.org/", False),
    ],
)
def test_no_proxy(no_proxy, url, bypass):
    assert NoProxy(no_proxy).bypasses(URL(url)) is bypass


def test_env_both_cases(clean_env):
    clean_env.setenv("HTTP_PROXY", "http://upper:1")
    clean_env.setenv("https_proxy", "lower:2")
    clean_env.setenv("ALL_PROXY", "socks5://all:3")
    clean_env.setenv("no_proxy", "localhost,127.0.0.0/8")
    proxies, no_proxy = proxies_from_env()
    assert proxies == {
        "all://": "socks5://all:3",
        "http://": "http://upper:1",
        "https://": "http://lower:2",
    }
    routes = ProxyRoutes.from_env()
    assert routes.route(URL("http://x/")).url.host == "upper"
    assert routes.route(URL("https://x/")).url.host == "lower"
    assert routes.route(URL("ftp://x/")).url.host == "all"
    assert routes.route(URL("http://127.0.0.1:8000/")) is None
    assert routes.route(URL("http://localhost/")) is None
    assert no_proxy is not None


def test_env_empty(clean_env):
    assert proxies_from_env() == ({}, None)
    assert not ProxyRoutes.from_env()
