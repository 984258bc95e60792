"""Timeout, PoolLimits and Proxy: small value objects."""

from __future__ import annotations

import pytest

import httpcore
from httpcore._config import ssl_context_for


def test_timeout_defaults_to_five_seconds_everywhere():
    timeout = httpcore.Timeout()
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (5.0,) * 4
    assert timeout == httpcore.DEFAULT_TIMEOUT
    assert repr(timeout) == "Timeout(timeout=5.0)"


def test_timeout_per_phase():
    timeout = httpcore.Timeout(10, connect=2)
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (
        2.0,
        10.0,
        10.0,
        10.0,
    )
    assert "connect=2.0" in repr(timeout)
    assert hash(timeout) == hash(httpcore.Timeout(10.0, connect=2.0))


def test_timeout_none_and_tuple_and_copy():
    assert httpcore.Timeout(None).read is None
    timeout = httpcore.Timeout((1, 2))
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (
        1.0,
        2.0,
        None,
        None,
    )
    assert httpcore.Timeout(timeout) == timeout
    assert timeout != "not a timeout"


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        (("1",), {}, TypeError),
        ((True,), {}, TypeError),
        ((-1,), {}, ValueError),
        (((1, 2, 3, 4, 5),), {}, TypeError),
        ((httpcore.Timeout(),), {"read": 1}, TypeError),
    ],
)
def test_timeout_rejects_bad_values(args, kwargs, error):
    with pytest.raises(error):
        httpcore.Timeout(*args, **kwargs)


def test_pool_limits():
    limits = httpcore.PoolLimits()
    assert limits == httpcore.DEFAULT_POOL_LIMITS
    assert (
        limits.max_connections,
        limits.max_keepalive_connections,
        limits.keepalive_expiry,
    ) == (100, 20, 5.0)
    assert hash(limits) == hash(httpcore.PoolLimits(100, 20, 5.0))
    assert "max_connections=100" in repr(limits)
    assert limits != 3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_connections": 0},
        {"max_connections": -1},
        {"max_keepalive_connections": 1.5},
    ],
)
def test_pool_limits_reject_bad_values(kwargs):
    with pytest.raises(ValueError):
        httpcore.PoolLimits(**kwargs)


def test_proxy_takes_credentials_from_the_url():
    proxy = httpcore.Proxy("http://user:pass@proxy.local:3128")
    assert proxy.auth == ("user", "pass")
    assert "user" not in str(proxy.url)
    assert "[secure]" in repr(proxy)
    assert httpcore.Proxy("socks5://p:1080", headers={"a": "b"}).headers == {"a": "b"}


def test_proxy_rejects_unknown_schemes():
    with pytest.raises(ValueError, match="Unsupported proxy scheme"):
        httpcore.Proxy("ftp://proxy.local")


def test_pool_rejects_bad_arguments():
    with pytest.raises(ValueError, match="http1"):
        httpcore.AsyncConnectionPool(http1=False)
    with pytest.raises(ValueError, match="http1"):
        httpcore.AsyncConnectionPool(http1=False, http2=False)
    with pytest.raises(ValueError, match="Unknown backend"):
        httpcore.AsyncConnectionPool(backend="curio").backend  # noqa: B018


def test_pool_http2_offers_h2_by_alpn():
    # HTTP/2 over the network is tested in tests/dispatch/test_http2.py.
    http2 = httpcore.AsyncConnectionPool(http2=True)
    assert http2._default_ssl() is ssl_context_for(True, http2=True)
    http11 = httpcore.AsyncConnectionPool()
    assert http11._default_ssl() is ssl_context_for(True, http2=False)
    assert http2._default_ssl() is not http11._default_ssl()
    prior_knowledge = httpcore.AsyncConnectionPool(http1=False, http2=True)
    assert prior_knowledge._may_be_http2(("http", "example.org", 80, 0, None))
    assert not http2._may_be_http2(("http", "example.org", 80, 0, None))
    assert http2._may_be_http2(("https", "example.org", 443, 0, None))
