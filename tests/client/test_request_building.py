"""Pure unit tests: how a client builds requests from its defaults. No network."""

from __future__ import annotations

import ssl

import pytest

import httpcore
from httpcore._client_base import USER_AGENT, join_base_url
from httpcore._config import ssl_context_for
from httpcore._decoders import ACCEPT_ENCODING
from tests.client import MockDispatch, SyncMockDispatch, ok


@pytest.fixture
def client():
    with httpcore.Client(dispatch=SyncMockDispatch(ok)) as client:
        yield client


# --- headers --------------------------------------------------------------------------


def test_default_headers(client):
    request = client.build_request("GET", "http://example.org:8080/")
    assert request.headers.raw == [
        (b"Host", b"example.org:8080"),
        (b"User-Agent", USER_AGENT.encode()),
        (b"Accept", b"*/*"),
        (b"Accept-Encoding", ACCEPT_ENCODING.encode()),
        (b"Connection", b"keep-alive"),
    ]
    assert f"python-httpcore/{httpcore.__version__}" == USER_AGENT


def test_accept_encoding_lists_available_decoders_only():
    from httpcore._decoders import SUPPORTED_DECODERS

    names = [name.strip() for name in ACCEPT_ENCODING.split(",")]
    assert names and all(name in SUPPORTED_DECODERS for name in names)
    assert "identity" not in names


def test_client_headers_override_defaults_case_insensitively():
    client = httpcore.Client(headers={"user-agent": "me", "X-A": "1"})
    assert client.headers["User-Agent"] == "me"
    assert client.headers.get_list("user-agent") == ["me"]
    request = client.build_request("GET", "http://example.org/")
    assert request.headers["x-a"] == "1"
    client.close()


def test_request_headers_override_client_headers():
    client = httpcore.Client(headers={"X-A": "client", "X-B": "client"})
    request = client.build_request(
        "GET", "http://example.org/", headers={"x-a": "request", "X-C": "new"}
    )
    assert request.headers.get_list("X-A") == ["request"]
    assert request.headers["X-B"] == "client"
    assert request.headers["X-C"] == "new"
    # The client's own headers are left alone.
    assert client.headers["X-A"] == "client"
    client.close()


def test_request_headers_with_repeated_names_replace_the_client_value(client):
    request = client.build_request(
        "GET", "http://example.org/", headers=[("Accept", "a/b"), ("accept", "c/d")]
    )
    assert request.headers.get_list("accept") == ["a/b", "c/d"]


def test_host_header_can_be_overridden(client):
    request = client.build_request("GET", "http://example.org/", headers={"Host": "x"})
    assert request.headers.get_list("host") == ["x"]
    assert request.headers.raw[0] == (b"Host", b"x")


def test_headers_setter_keeps_defaults(client):
    client.headers = {"X-New": "1"}
    assert client.headers["X-New"] == "1"
    assert client.headers["Accept"] == "*/*"


# --- params ---------------------------------------------------------------------------


def test_params_merge_url_then_client_then_request():
    client = httpcore.Client(params={"a": "client", "b": "client"})
    request = client.build_request(
        "GET",
        "http://example.org/path?a=url&b=url&c=url",
        params={"b": "request", "d": "request"},
    )
    assert request.url.params.multi_items() == [
        ("a", "client"),
        ("b", "request"),
        ("c", "url"),
        ("d", "request"),
    ]
    client.close()


def test_params_accept_lists_and_primitives(client):
    request = client.build_request(
        "GET", "http://example.org/", params={"a": [1, 2], "b": True, "c": None}
    )
    assert request.url.query == "a=1&a=2&b=true&c="


def test_no_params_leaves_the_url_alone(client):
    request = client.build_request("GET", "http://example.org/p?x=1#frag")
    assert str(request.url) == "http://example.org/p?x=1#frag"


# --- base_url -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "url", "expected"),
    [
        ("http://h/api", "users", "http://h/api/users"),
        ("http://h/api", "/users", "http://h/api/users"),
        ("http://h/api/", "users", "http://h/api/users"),
        ("http://h/api/", "/users", "http://h/api/users"),
        ("http://h/api", "users/1?x=1", "http://h/api/users/1?x=1"),
        ("http://h/api?key=1", "users", "http://h/api/users"),
        ("http://h/api", "", "http://h/api/"),
        ("http://h/api", "?q=1", "http://h/api/?q=1"),
        ("http://h/api/v1", "../v2/users", "http://h/api/v2/users"),
        ("http://h", "users", "http://h/users"),
        ("https://h:8443/a/b", "c#top", "https://h:8443/a/b/c#top"),
        ("https://h/api", "//other/x", "https://other/x"),
    ],
)
def test_join_base_url(base, url, expected):
    joined = join_base_url(httpcore.URL(base), httpcore.URL(url, allow_relative=True))
    assert str(joined) == expected


def test_base_url_is_used_for_relative_urls_only():
    client = httpcore.Client(base_url="http://h/api")
    assert client.base_url == "http://h/api"
    relative = client.build_request("GET", "users")
    assert relative.url == "http://h/api/users"
    absolute = client.build_request("GET", "https://other.org/x")
    assert absolute.url == "https://other.org/x"
    assert client.build_request(
        "GET", httpcore.URL("users", allow_relative=True)
    ).url == ("http://h/api/users")
    client.close()


def test_relative_url_without_base_url_is_refused(client):
    with pytest.raises(httpcore.InvalidURL, match="base_url"):
        client.build_request("GET", "/users")


def test_base_url_must_be_absolute():
    with pytest.raises(httpcore.InvalidURL):
        httpcore.Client(base_url="/api")


# --- cookies --------------------------------------------------------------------------


def test_client_cookies_are_sent(client):
    client.cookies["a"] = "1"
    request = client.build_request("GET", "http://example.org/")
    assert request.headers["Cookie"] == "a=1"


def test_request_cookies_are_merged_for_that_request_only(client):
    client.cookies["a"] = "1"
    request = client.build_request("GET", "http://example.org/", cookies={"b": "2"})
    assert sorted(request.headers["Cookie"].split("; ")) == ["a=1", "b=2"]
    assert dict(client.cookies) == {"a": "1"}
    later = client.build_request("GET", "http://example.org/")
    assert later.headers["Cookie"] == "a=1"


def test_request_cookie_overrides_client_cookie_of_same_name(client):
    client.cookies["a"] = "1"
    request = client.build_request("GET", "http://example.org/", cookies={"a": "2"})
    assert request.headers["Cookie"] == "a=2"


def test_explicit_cookie_header_wins(client):
    client.cookies["a"] = "1"
    request = client.build_request(
        "GET", "http://example.org/", headers={"Cookie": "mine=1"}
    )
    assert request.headers.get_list("cookie") == ["mine=1"]


def test_no_cookies_no_header(client):
    assert "cookie" not in client.build_request("GET", "http://example.org/").headers


# --- bodies ---------------------------------------------------------------------------


def test_json_body(client):
    request = client.build_request("POST", "http://example.org/", json={"a": [1, "é"]})
    assert request.content == '{"a":[1,"é"]}'.encode()
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Content-Length"] == str(len(request.content))


def test_form_body(client):
    request = client.build_request("POST", "http://example.org/", data={"a": "1 2"})
    assert request.content == b"a=1+2"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_iterator_body_is_chunked(client):
    request = client.build_request("POST", "http://example.org/", content=iter([b"a"]))
    assert request.headers["Transfer-Encoding"] == "chunked"
    assert "content-length" not in request.headers


def test_non_serialisable_json_is_refused(client):
    with pytest.raises(TypeError, match="JSON"):
        client.build_request("POST", "http://example.org/", json={"a": object()})


def test_unknown_keyword_is_refused(client):
    with pytest.raises(TypeError):
        client.get("http://example.org/", jsn={"a": 1})  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        client.build_request("GET", "http://example.org/", param={})  # type: ignore[call-arg]


# --- prepare_request ------------------------------------------------------------------


def test_prepare_request_merges_the_client_defaults_under_the_request():
    client = httpcore.Client(
        params={"a": "client", "b": "client"}, headers={"X-A": "client", "X-B": "c"}
    )
    client.cookies["c"] = "1"
    request = httpcore.Request(
        "POST",
        "http://example.org/p?a=request",
        headers={"X-A": "request"},
        content=b"x",
    )
    prepared = client.prepare_request(request)
    assert prepared.url.params.multi_items() == [("a", "request"), ("b", "client")]
    assert prepared.headers.raw[0] == (b"Host", b"example.org")
    assert prepared.headers["X-A"] == "request"
    assert prepared.headers["X-B"] == "c"
    assert prepared.headers["User-Agent"] == USER_AGENT
    assert prepared.headers["Cookie"] == "c=1"
    assert prepared.headers["Content-Length"] == "1"
    assert prepared.content == b"x"
    assert prepared.method == "POST"
    client.close()


def test_prepare_request_without_client_params(client):
    request = httpcore.Request("GET", "http://example.org/p?a=1")
    assert client.prepare_request(request).url == "http://example.org/p?a=1"


# --- per-send options -----------------------------------------------------------------


def options(client, request, **kwargs):
    defaults = {
        "stream": False,
        "allow_redirects": True,
        "auth": httpcore._config.UNSET,
        "verify": httpcore._config.UNSET,
        "cert": httpcore._config.UNSET,
        "timeout": httpcore._config.UNSET,
    }
    return client._options(request, **{**defaults, **kwargs})


def test_timeout_resolution(client):
    request = client.build_request("GET", "http://example.org/")
    assert options(client, request).timeout == httpcore.DEFAULT_TIMEOUT
    assert options(client, request, timeout=None).timeout == httpcore.Timeout(None)
    assert options(client, request, timeout=2).timeout == httpcore.Timeout(2.0)
    client.timeout = 7
    assert client.timeout == httpcore.Timeout(7.0)
    assert options(client, request).timeout == httpcore.Timeout(7.0)


def test_auth_resolution():
    client = httpcore.Client(auth=("u", "p"))
    request = client.build_request("GET", "http://example.org/")
    assert isinstance(options(client, request).auth, httpcore.BasicAuth)
    assert options(client, request, auth=None).auth is None
    own = httpcore.Auth()
    assert options(client, request, auth=own).auth is own
    client.close()


def test_auth_from_url_userinfo(client):
    request = client.build_request("GET", "http://user:pa%20ss@example.org/")
    resolved = options(client, request)
    assert resolved.auth is None
    assert isinstance(resolved.url_auth, httpcore.BasicAuth)
    assert resolved.url_auth._header == httpcore._auth.basic_auth_header(
        "user", "pa ss"
    )
    # The credentials leave the URL: they go in the Authorization header only.
    assert request.url == "http://example.org/"
    assert resolved.url == "http://example.org/"


def test_per_request_verify_gives_an_ssl_context(client, tmp_path):
    request = client.build_request("GET", "https://example.org/")
    assert options(client, request).ssl_context is None
    assert options(client, request, verify=True).ssl_context is None
    unverified = options(client, request, verify=False).ssl_context
    assert unverified is ssl_context_for(False, http2=client._http2)
    assert unverified.verify_mode == ssl.CERT_NONE
    context = ssl.create_default_context()
    assert options(client, request, verify=context).ssl_context is context


# --- constructor ----------------------------------------------------------------------


def test_proxies_are_accepted():
    # No I/O at construction: the proxy need not exist (tests/proxy sends).
    httpcore.Client(proxies="http://proxy:8080").close()
    httpcore.Client(proxies={"all://": "http://proxy:8080"}).close()
    httpcore.Client(proxies={}).close()


def test_pool_arguments_with_dispatch_are_refused():
    with pytest.raises(ValueError, match="verify, pool_limits"):
        httpcore.Client(
            dispatch=SyncMockDispatch(ok),
            verify=False,
            pool_limits=httpcore.PoolLimits(max_connections=1),
        )
    with pytest.raises(ValueError, match="cert, backend"):
        httpcore.AsyncClient(dispatch=MockDispatch(ok), cert="c.pem", backend="sync")


def test_not_a_dispatcher_is_refused():
    with pytest.raises(TypeError, match="not a dispatcher"):
        httpcore.Client(dispatch=object())


def test_async_dispatcher_is_refused_by_the_sync_client():
    with pytest.raises(TypeError, match="AsyncClient"):
        httpcore.Client(dispatch=MockDispatch(ok))
    with pytest.raises(TypeError, match="AsyncClient"):
        httpcore.Client(dispatch=httpcore.AsyncConnectionPool())


def test_event_hooks_validation():
    with pytest.raises(ValueError, match="Unknown event hook"):
        httpcore.Client(event_hooks={"requests": []})
    with pytest.raises(TypeError, match="callable"):
        httpcore.Client(event_hooks={"request": ["nope"]})

    async def hook(request):
        pass

    with pytest.raises(TypeError, match="async"):
        httpcore.Client(event_hooks={"request": [hook]})
    client = httpcore.AsyncClient(event_hooks={"request": [hook]})
    assert client.event_hooks == {"request": [hook], "response": []}


def test_max_redirects_validation():
    with pytest.raises(ValueError, match="max_redirects"):
        httpcore.Client(max_redirects=-1)


def test_bad_auth_is_refused():
    with pytest.raises(TypeError, match="Invalid auth"):
        httpcore.Client(auth="user:pass")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="two values"):
        httpcore.Client(auth=("a", "b", "c"))  # type: ignore[arg-type]


def test_async_client_properties():
    client = httpcore.AsyncClient(
        auth=("u", "p"), params={"a": 1}, cookies={"c": "1"}, base_url="http://h/"
    )
    assert isinstance(client.auth, httpcore.BasicAuth)
    assert client.params["a"] == "1"
    assert client.cookies["c"] == "1"
    assert client.base_url == "http://h/"
    assert not client.is_closed
    client.cookies = None
    assert len(client.cookies) == 0
    client.base_url = None
    assert client.base_url is None


# --- Request on its own ---------------------------------------------------------------


def test_request_basics():
    request = httpcore.Request(b"post", "http://[::1]:8080/p", content=b"x")
    assert request.method == "POST"
    assert request.headers["Host"] == "[::1]:8080"
    assert repr(request) == "<Request('POST', 'http://[::1]:8080/p')>"
    # A body header given explicitly is kept, not doubled.
    typed = httpcore.Request(
        "POST", "http://example.org/", json={}, headers={"Content-Type": "text/x"}
    )
    assert typed.headers.get_list("content-type") == ["text/x"]


def test_request_bodies_read_into_memory():
    request = httpcore.Request(
        "POST", "http://example.org/", content=iter([b"a", b"b"])
    )
    with pytest.raises(httpcore.RequestNotRead):
        _ = request.content
    assert request.read() == b"ab"
    assert request.read() == b"ab"
    assert request.content == b"ab"


def test_request_cookies_skip_empty_pairs():
    request = httpcore.Request(
        "GET", "http://example.org/", headers={"Cookie": "a=1; ; b=2"}
    )
    assert dict(request.cookies) == {"a": "1", "b": "2"}
