"""
The redirect policy driven by hand as a generator, and through a client with
a mock dispatcher: no network. `test_redirects_server.py` has the tests
against the real server.
"""

from __future__ import annotations

import pytest

import httpcore
from httpcore._redirects import build_redirect_request, redirect_flow
from tests.client import MockDispatch


def response(status: int, location: str | None = None, **kwargs) -> httpcore.Response:
    headers = {"Location": location} if location is not None else {}
    return httpcore.Response(status, headers=headers, **kwargs)


# --- the generator, by hand -----------------------------------------------------------


def test_flow_follows_until_a_final_response():
    request = httpcore.Request("GET", "https://example.org/a")
    flow = redirect_flow(request, max_redirects=5)
    assert next(flow) is request
    second = flow.send(response(302, "/b"))
    assert second.url == "https://example.org/b"
    third = flow.send(response(301, "https://other.org/c"))
    assert third.url == "https://other.org/c"
    with pytest.raises(StopIteration):
        flow.send(response(200))


def test_flow_stops_at_non_followable_redirects():
    flow = redirect_flow(httpcore.Request("GET", "https://example.org/"), 5)
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(response(304))  # not a redirect to follow
    flow = redirect_flow(httpcore.Request("GET", "https://example.org/"), 5)
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(response(300, "/x"))  # a choice, not a redirect


def test_flow_raises_too_many_redirects():
    flow = redirect_flow(httpcore.Request("GET", "https://example.org/"), 2)
    next(flow)
    flow.send(response(302, "/1"))
    last = flow.send(response(302, "/2"))
    with pytest.raises(httpcore.TooManyRedirects) as info:
        flow.send(response(302, "/3"))
    assert info.value.request is last
    assert "2 redirects" in str(info.value)


def test_flow_with_zero_max_redirects():
    flow = redirect_flow(httpcore.Request("GET", "https://example.org/"), 0)
    next(flow)
    with pytest.raises(httpcore.TooManyRedirects):
        flow.send(response(302, "/1"))


def test_flow_sets_cookies_from_the_jar_for_each_hop():
    jar = httpcore.Cookies()
    jar.set("a", "1", domain="example.org")
    jar.set("b", "2", domain="other.org")
    request = httpcore.Request("GET", "https://example.org/", headers={"Cookie": "x=1"})
    flow = redirect_flow(request, 5, jar)
    next(flow)
    same = flow.send(response(302, "/next"))
    assert same.headers.get_list("cookie") == ["a=1"]
    other = flow.send(response(302, "https://other.org/"))
    assert other.headers.get_list("cookie") == ["b=2"]


@pytest.mark.parametrize(
    ("method", "status", "expected"),
    [
        ("POST", 301, "GET"),
        ("POST", 302, "GET"),
        ("POST", 303, "GET"),
        ("POST", 307, "POST"),
        ("POST", 308, "POST"),
        ("PUT", 301, "PUT"),
        ("PUT", 302, "PUT"),
        ("PUT", 303, "GET"),
        ("DELETE", 303, "GET"),
        ("HEAD", 303, "HEAD"),
        ("HEAD", 301, "HEAD"),
        ("GET", 308, "GET"),
    ],
)
def test_redirect_method(method, status, expected):
    request = httpcore.Request(method, "https://example.org/", content=b"body")
    follow = build_redirect_request(request, response(status, "/next"))
    assert follow.method == expected


def test_method_change_drops_the_body_and_its_headers():
    request = httpcore.Request(
        "POST",
        "https://example.org/form",
        data={"a": "1"},
        headers={"X-Keep": "1"},
    )
    follow = build_redirect_request(request, response(303, "/done"))
    assert follow.method == "GET"
    assert follow.content == b""
    for name in ("content-length", "content-type", "transfer-encoding"):
        assert name not in follow.headers
    assert follow.headers["X-Keep"] == "1"


def test_307_keeps_method_body_and_headers():
    request = httpcore.Request("POST", "https://example.org/", json={"a": 1})
    follow = build_redirect_request(request, response(307, "/again"))
    assert follow.method == "POST"
    assert follow.content == b'{"a":1}'
    assert follow.headers["Content-Type"] == "application/json"
    assert follow.headers["Content-Length"] == "7"


def test_307_with_a_consumed_stream_body_is_refused():
    request = httpcore.Request("PUT", "https://example.org/", content=iter([b"a"]))
    with pytest.raises(httpcore.StreamConsumed):
        build_redirect_request(request, response(307, "/again"))
    # A 303 drops the body, so it does not matter that it was consumed.
    assert build_redirect_request(request, response(303, "/x")).method == "GET"


def test_authorization_is_kept_on_the_same_origin_only():
    headers = {"Authorization": "Basic abc", "Cookie": "a=1"}
    request = httpcore.Request("GET", "https://example.org/a", headers=headers)
    same = build_redirect_request(request, response(302, "https://EXAMPLE.org:443/b"))
    assert same.headers["Authorization"] == "Basic abc"
    for location in (
        "https://other.org/b",
        "http://example.org/b",
        "https://example.org:8443/b",
    ):
        other = build_redirect_request(request, response(302, location))
        assert "authorization" not in other.headers
    # Cookies always go: the client sets them again from its jar.
    assert "cookie" not in same.headers


def test_host_header_follows_the_url():
    request = httpcore.Request("GET", "https://example.org/")
    follow = build_redirect_request(request, response(302, "https://other.org:8443/"))
    assert follow.headers.get_list("host") == ["other.org:8443"]


def test_relative_locations_resolve_against_the_request_url():
    request = httpcore.Request("GET", "https://example.org/a/b?q=1")
    for location, expected in [
        ("c", "https://example.org/a/c"),
        ("../c", "https://example.org/c"),
        ("/c?x=1", "https://example.org/c?x=1"),
        ("?y=2", "https://example.org/a/b?y=2"),
        ("//other.org/p", "https://other.org/p"),
    ]:
        assert build_redirect_request(request, response(302, location)).url == expected


def test_fragment_is_inherited_unless_the_location_has_one():
    request = httpcore.Request("GET", "https://example.org/a#top")
    inherited = build_redirect_request(request, response(302, "/b"))
    assert inherited.url.fragment == "top"
    own = build_redirect_request(request, response(302, "/b#end"))
    assert own.url.fragment == "end"


def test_invalid_location_is_a_remote_protocol_error():
    request = httpcore.Request("GET", "https://example.org/")
    with pytest.raises(httpcore.RemoteProtocolError, match="Location"):
        build_redirect_request(request, response(302, "http://exa mple.org:99999/"))


def test_extensions_are_kept_except_url_specific_ones():
    extensions = {"timeout": {"read": 1.0}, "target": b"*", "sni_hostname": "sni"}
    request = httpcore.Request("GET", "https://example.org/", extensions=extensions)
    same = build_redirect_request(request, response(302, "/b"))
    assert same.extensions == {"timeout": {"read": 1.0}, "sni_hostname": "sni"}
    other = build_redirect_request(request, response(302, "https://other.org/"))
    assert other.extensions == {"timeout": {"read": 1.0}}


# --- the rules, by hand ---------------------------------------------------------------


@pytest.mark.parametrize("location", [None, "", "   "])
def test_missing_location_is_an_error(location):
    flow = redirect_flow(httpcore.Request("GET", "https://example.org/"), 5)
    next(flow)
    headers = {} if location is None else {"Location": location}
    with pytest.raises(httpcore.RemoteProtocolError, match="no Location") as info:
        flow.send(httpcore.Response(302, headers=headers))
    assert info.value.request.url == "https://example.org/"


@pytest.mark.parametrize(
    "location",
    [
        "ftp://example.org/file",
        "mailto:someone@example.org",
        "javascript:alert(1)",
        "data:text/html,hello",
        "file:///etc/passwd",
    ],
)
def test_locations_that_are_not_http_are_errors(location):
    request = httpcore.Request("GET", "https://example.org/")
    with pytest.raises(httpcore.RemoteProtocolError, match="not an http or https"):
        build_redirect_request(request, response(302, location))


def test_credentials_go_on_a_change_of_origin_in_every_case_and_copy():
    headers = [
        ("Authorization", "Basic a"),
        ("authorization", "Basic b"),
        ("AUTHORIZATION", "Basic c"),
        ("Proxy-Authorization", "Basic p"),
        ("proxy-AUTHORIZATION", "Basic q"),
        ("Cookie", "a=1"),
        ("COOKIE", "b=2"),
        ("X-Other", "kept"),
    ]
    request = httpcore.Request("GET", "https://example.org/", headers=headers)
    for location in (
        "https://other.org/",  # host
        "http://example.org/",  # scheme
        "https://example.org:444/",  # port
    ):
        follow = build_redirect_request(request, response(307, location))
        names = [name.lower() for name, _ in follow.headers.raw]
        assert b"authorization" not in names
        assert b"proxy-authorization" not in names
        assert b"cookie" not in names
        assert follow.headers["X-Other"] == "kept"
    same = build_redirect_request(request, response(307, "/elsewhere"))
    assert same.headers.get_list("authorization") == ["Basic a", "Basic b", "Basic c"]
    assert same.headers.get_list("proxy-authorization") == ["Basic p", "Basic q"]
    assert "cookie" not in same.headers  # set again from the jar


def test_307_with_an_iterator_body_says_why_it_cannot_follow():
    request = httpcore.Request("POST", "https://example.org/", content=iter([b"a"]))
    with pytest.raises(httpcore.StreamConsumed, match="cannot be sent again"):
        build_redirect_request(request, response(307, "/again"))


def test_307_with_a_file_body_rewinds_it(tmp_path):
    path = tmp_path / "body.bin"
    path.write_bytes(b"0123456789")
    with open(path, "rb") as file:
        file.seek(2)
        request = httpcore.Request("PUT", "https://example.org/", content=file)
        assert b"".join(request.stream) == b"23456789"
        follow = build_redirect_request(request, response(308, "/again"))
        assert follow.stream is request.stream
        assert b"".join(follow.stream) == b"23456789"


# --- through a client, without network ------------------------------------------------


async def test_redirect_chain_with_mock_dispatch(backend):
    def handler(request):
        hops = {"/a": "/b", "/b": "https://other.org/c"}
        if request.url.path in hops:
            headers = {"Location": hops[request.url.path], "Set-Cookie": "s=1; Path=/"}
            return httpcore.Response(302, headers=headers, request=request)
        return httpcore.Response(200, text="end", request=request)

    dispatch = MockDispatch(handler)
    async with httpcore.AsyncClient(dispatch=dispatch, auth=("u", "p")) as client:
        response = await client.get("https://example.org/a", cookies={"once": "1"})
    assert response.text == "end"
    assert [str(r.url) for r in response.history] == [
        "https://example.org/a",
        "https://example.org/b",
    ]
    first, second, third = dispatch.requests
    assert first.headers["Cookie"] == "once=1"
    assert second.headers["Cookie"] == "s=1"  # the jar's, not the one-off cookie
    assert "authorization" in second.headers
    assert "authorization" not in third.headers  # another origin: no credentials
    assert "cookie" not in third.headers
    assert all(r.is_closed for r in response.history)


async def test_too_many_redirects_closes_every_response(backend):
    seen = []

    def handler(request):
        seen.append(
            httpcore.Response(302, headers={"Location": "/loop"}, request=request)
        )
        return seen[-1]

    async with httpcore.AsyncClient(
        dispatch=MockDispatch(handler), max_redirects=3
    ) as client:
        with pytest.raises(httpcore.TooManyRedirects):
            await client.get("https://example.org/")
    assert len(seen) == 4
