"""Timeout, PoolLimits and Proxy: small value objects."""

from __future__ import annotations

import pytest

import httpcore
from httpcore._config import (
    ssl_context_for,
    time_left,
    total_exceeded,
    with_deadline,
)


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
        ((httpcore.Timeout(),), {"total": 1}, TypeError),
        ((), {"total": -1}, ValueError),
        ((), {"total": "1"}, TypeError),
    ],
)
def test_timeout_rejects_bad_values(args, kwargs, error):
    with pytest.raises(error):
        httpcore.Timeout(*args, **kwargs)


def test_timeout_total_is_none_by_default():
    assert httpcore.Timeout().total is None
    assert httpcore.Timeout(None, total=float("inf")).total is None


def test_timeout_total_in_equality_hash_and_repr():
    timeout = httpcore.Timeout(10, total=30)
    assert timeout.total == 30.0
    assert timeout.read == 10.0  # no deadline yet: the phases as given
    assert timeout == httpcore.Timeout(10.0, total=30.0)
    assert hash(timeout) == hash(httpcore.Timeout(10.0, total=30.0))
    assert timeout != httpcore.Timeout(10.0)
    assert timeout != httpcore.Timeout(10.0, total=31.0)
    assert repr(timeout) == "Timeout(timeout=10.0, total=30.0)"
    assert repr(httpcore.Timeout(10, connect=2, total=30)) == (
        "Timeout(connect=2.0, read=10.0, write=10.0, pool=10.0, total=30.0)"
    )
    assert httpcore.Timeout(timeout) == timeout  # a copy keeps the total
    assert httpcore.Timeout((1, 2), total=3).total == 3.0


def test_a_deadline_bounds_every_phase_by_the_time_left():
    timeout = with_deadline(httpcore.Timeout(10.0, connect=None, total=1.0))
    for phase in (timeout.connect, timeout.read, timeout.write, timeout.pool):
        assert phase is not None and 0 < phase <= 1.0
    assert with_deadline(timeout) is timeout  # fixed once, by the outermost caller
    # Equal as configurations; a copy drops the deadline.
    assert timeout == httpcore.Timeout(10.0, connect=None, total=1.0)
    assert httpcore.Timeout(timeout).read == 10.0
    short = with_deadline(httpcore.Timeout(0.5, total=10.0))
    assert short.read == 0.5  # the phase's own limit, when it is less


def test_no_total_means_no_deadline():
    timeout = httpcore.Timeout(2.0)
    assert with_deadline(timeout) is timeout
    assert time_left(timeout) is None


def test_a_phase_read_past_the_deadline_raises_its_timeout():
    timeout = with_deadline(httpcore.Timeout(10.0, total=0.0))
    for phase, error in [
        ("connect", httpcore.ConnectTimeout),
        ("read", httpcore.ReadTimeout),
        ("write", httpcore.WriteTimeout),
        ("pool", httpcore.PoolTimeout),
    ]:
        with pytest.raises(error, match=r"the total timeout of 0\.0 s was exceeded"):
            getattr(timeout, phase)


def test_total_exceeded_rewords_a_timeout_at_the_deadline_only():
    request = httpcore.Request("GET", "http://127.0.0.1/")
    original = httpcore.ReadTimeout("Timed out after 0.2 seconds.", request=request)
    expired = with_deadline(httpcore.Timeout(10.0, total=0.0))
    error = total_exceeded(expired, original)
    assert type(error) is httpcore.ReadTimeout
    assert "reading the response: the total timeout of 0.0 s" in str(error)
    assert error.__cause__ is original and error.request is request
    assert total_exceeded(expired, error) is error  # said already
    pending = with_deadline(httpcore.Timeout(10.0, total=60.0))
    assert total_exceeded(pending, original) is original
    assert total_exceeded(httpcore.Timeout(10.0), original) is original


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
