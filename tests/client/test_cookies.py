"""`Cookies` on its own, then the client's cookie jar against the real server."""

from __future__ import annotations

import http.cookiejar

import pytest

import httpcore
from tests.client import MockDispatch


def test_set_get_and_mapping_interface():
    cookies = httpcore.Cookies({"a": "1"})
    cookies["b"] = "2"
    cookies.set("c", "3", domain="example.org", path="/p")
    assert cookies["a"] == "1"
    assert cookies.get("b") == "2"
    assert cookies.get("c", domain="example.org") == "3"
    assert cookies.get("c", domain="other.org") is None
    assert cookies.get("missing", "default") == "default"
    assert sorted(cookies) == ["a", "b", "c"]
    assert len(cookies) == 3
    assert dict(cookies) == {"a": "1", "b": "2", "c": "3"}
    assert "a" in cookies
    assert bool(cookies)
    assert not httpcore.Cookies()
    with pytest.raises(KeyError):
        cookies["missing"]
    assert "a=1" in repr(cookies) and "example.org/p" in repr(cookies)


def test_conflicting_names_need_a_domain():
    cookies = httpcore.Cookies()
    cookies.set("a", "1", domain="one.org")
    cookies.set("a", "2", domain="two.org")
    with pytest.raises(httpcore.CookieConflict, match=r"one\.org"):
        cookies.get("a")
    with pytest.raises(httpcore.CookieConflict):
        cookies["a"]
    assert cookies.get("a", domain="two.org") == "2"
    cookies.set("a", "3", domain="two.org", path="/x")
    assert cookies.get("a", domain="two.org", path="/x") == "3"


def test_delete_and_clear():
    cookies = httpcore.Cookies()
    cookies.set("a", "1", domain="one.org")
    cookies.set("a", "2", domain="two.org")
    cookies.set("b", "3", domain="one.org", path="/p")
    cookies.set("c", "4", domain="two.org", path="/p")
    cookies.delete("a", domain="one.org")
    assert cookies.get("a") == "2"
    del cookies["a"]
    assert "a" not in cookies
    with pytest.raises(KeyError):
        del cookies["a"]
    cookies.clear(path="/p", domain="one.org")
    assert list(cookies) == ["c"]
    cookies.clear(path="/p")
    assert len(cookies) == 0
    cookies["x"] = "1"
    cookies.clear()
    assert len(cookies) == 0


def test_constructors():
    jar = http.cookiejar.CookieJar()
    cookies = httpcore.Cookies(jar)
    assert cookies.jar is jar
    cookies["a"] = "1"
    copy = httpcore.Cookies(cookies)
    assert copy.jar is not jar
    assert dict(copy) == {"a": "1"}
    copy["b"] = "2"
    assert "b" not in cookies
    assert dict(httpcore.Cookies([("x", "1"), ("y", "2")])) == {"x": "1", "y": "2"}


def test_update_keeps_domains():
    source = httpcore.Cookies()
    source.set("a", "1", domain="example.org")
    target = httpcore.Cookies({"b": "2"})
    target.update(source)
    target.update({"c": "3"})
    assert target.get("a", domain="example.org") == "1"
    assert sorted(target) == ["a", "b", "c"]


def test_extract_cookies_and_set_cookie_header():
    request = httpcore.Request("GET", "https://example.org/app/page")
    response = httpcore.Response(
        200,
        headers=[
            ("Set-Cookie", "session=abc; Path=/app; HttpOnly"),
            ("Set-Cookie", "theme=dark; Domain=example.org"),
            ("Set-Cookie", "gone=1; Max-Age=0"),
            ("Set-Cookie", "evil=1; Domain=other.org"),
        ],
        request=request,
    )
    cookies = httpcore.Cookies()
    cookies.extract_cookies(response)
    assert sorted(cookies) == ["session", "theme"]

    inside = httpcore.Request("GET", "https://sub.example.org/app/x")
    cookies.set_cookie_header(inside)
    assert inside.headers["Cookie"] == "theme=dark"
    same_host = httpcore.Request("GET", "https://example.org/app/x")
    cookies.set_cookie_header(same_host)
    assert sorted(same_host.headers["Cookie"].split("; ")) == [
        "session=abc",
        "theme=dark",
    ]
    outside = httpcore.Request("GET", "https://other.org/app/x")
    cookies.set_cookie_header(outside)
    assert "cookie" not in outside.headers


def test_secure_cookies_only_over_https():
    cookies = httpcore.Cookies()
    request = httpcore.Request("GET", "https://example.org/")
    cookies.extract_cookies(
        httpcore.Response(200, headers={"Set-Cookie": "s=1; Secure"}, request=request)
    )
    plain = httpcore.Request("GET", "http://example.org/")
    cookies.set_cookie_header(plain)
    assert "cookie" not in plain.headers
    secure = httpcore.Request("GET", "https://example.org/")
    cookies.set_cookie_header(secure)
    assert secure.headers["Cookie"] == "s=1"


def test_response_and_request_cookies():
    request = httpcore.Request("GET", "https://example.org/", cookies={"sent": "1"})
    assert request.headers["Cookie"] == "sent=1"
    assert dict(request.cookies) == {"sent": "1"}
    response = httpcore.Response(200, headers={"Set-Cookie": "new=2"}, request=request)
    assert dict(response.cookies) == {"new": "2"}


def test_response_cookies_without_a_request():
    response = httpcore.Response(200, headers={"Set-Cookie": "a=1"})
    assert dict(response.cookies) == {}


# --- the client's jar -----------------------------------------------------------------


async def test_cookies_persist_across_requests(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(server.url + "/set_cookie?a=1&b=2")
        assert dict(response.cookies) == {"a": "1", "b": "2"}
        assert client.cookies["a"] == "1"
        echoed = await client.get(server.url + "/cookies")
        assert echoed.json() == {"a": "1", "b": "2"}
        echoed = await client.get(server.url + "/cookies", cookies={"once": "x"})
        assert echoed.json() == {"a": "1", "b": "2", "once": "x"}
        assert "once" not in client.cookies
        client.cookies.delete("a")
        echoed = await client.get(server.url + "/cookies")
        assert echoed.json() == {"b": "2"}


async def test_client_cookies_argument(backend, server):
    async with httpcore.AsyncClient(backend=backend, cookies={"c": "3"}) as client:
        echoed = await client.get(server.url + "/cookies")
        assert echoed.json() == {"c": "3"}


async def test_cookies_from_redirect_hops_are_kept(backend):
    def handler(request):
        if request.url.path == "/login":
            headers = {"Set-Cookie": "session=s1; Path=/", "Location": "/home"}
            return httpcore.Response(303, headers=headers, request=request)
        cookie = request.headers.get("cookie", "")
        return httpcore.Response(200, text=cookie, request=request)

    async with httpcore.AsyncClient(dispatch=MockDispatch(handler)) as client:
        response = await client.post("https://example.org/login", data={"u": "x"})
        assert response.text == "session=s1"
        assert client.cookies["session"] == "s1"


def test_sync_client_cookies(server):
    with httpcore.Client() as client:
        client.get(server.url + "/set_cookie?k=v")
        assert client.get(server.url + "/cookies").json() == {"k": "v"}


def test_urls_with_credentials_match_their_host():
    cookies = httpcore.Cookies()
    cookies.set("a", "1", domain="example.org")
    request = httpcore.Request("GET", "https://user:pass@example.org/")
    cookies.set_cookie_header(request)
    assert request.headers["Cookie"] == "a=1"


# --- scoping, through the client ------------------------------------------------------


def domain_handler(request: httpcore.Request) -> httpcore.Response:
    if request.url.path == "/set":
        headers = [
            ("Set-Cookie", "shared=1; Domain=example.org; Path=/"),
            ("Set-Cookie", "hostonly=2; Path=/"),
            ("Set-Cookie", "foreign=3; Domain=other.org"),
        ]
        return httpcore.Response(200, headers=headers, request=request)
    return httpcore.Response(
        200, text=request.headers.get("cookie", ""), request=request
    )


async def test_domain_and_host_only_cookies(backend):
    async with httpcore.AsyncClient(dispatch=MockDispatch(domain_handler)) as client:
        await client.get("https://www.example.org/set")
        assert sorted(client.cookies) == ["hostonly", "shared"]

        async def sent(url: str) -> list[str]:
            text = (await client.get(url)).text
            return sorted(text.split("; ")) if text else []

        assert await sent("https://www.example.org/") == ["hostonly=2", "shared=1"]
        assert await sent("https://api.example.org/") == ["shared=1"]
        assert await sent("https://example.org/") == ["shared=1"]
        assert await sent("https://notexample.org/") == []
        assert await sent("https://other.org/") == []


async def test_host_only_cookies_stay_with_their_host(backend, server):
    other = server.url.replace("127.0.0.1", "localhost")
    async with httpcore.AsyncClient(backend=backend) as client:
        await client.get(server.url + "/set_cookie_raw", params={"c": "a=1; Path=/"})
        assert (await client.get(server.url + "/cookies")).json() == {"a": "1"}
        assert (await client.get(other + "/cookies")).json() == {}


async def test_cookie_paths(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        await client.get(
            server.url + "/set_cookie_raw",
            params=[("c", "deep=1; Path=/cookies/sub"), ("c", "top=2; Path=/")],
        )
        assert (await client.get(server.url + "/cookies")).json() == {"top": "2"}
        deep = await client.get(server.url + "/cookies/sub/page")
        assert deep.json() == {"deep": "1", "top": "2"}


async def test_secure_cookies_only_go_over_https(backend, server, tls_server, ca_file):
    async with httpcore.AsyncClient(backend=backend, verify=ca_file) as client:
        await client.get(
            tls_server.url + "/set_cookie_raw",
            params=[("c", "safe=1; Secure; Path=/"), ("c", "plain=2; Path=/")],
        )
        over_tls = await client.get(tls_server.url + "/cookies")
        assert over_tls.json() == {"safe": "1", "plain": "2"}
        # Same host, another port and no TLS: cookies ignore the port, but
        # a Secure one never goes over plain HTTP.
        assert (await client.get(server.url + "/cookies")).json() == {"plain": "2"}


async def test_cookie_expiry(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            server.url + "/set_cookie_raw",
            params=[
                ("c", "keep=1; Max-Age=3600; Path=/"),
                ("c", "old=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/"),
                ("c", "gone=3; Path=/"),
            ],
        )
        assert dict(response.cookies) == {"keep": "1", "gone": "3"}
        keep = next(cookie for cookie in client.cookies.jar if cookie.name == "keep")
        assert keep.expires is not None
        await client.get(
            server.url + "/set_cookie_raw", params={"c": "gone=; Max-Age=0; Path=/"}
        )
        assert (await client.get(server.url + "/cookies")).json() == {"keep": "1"}


async def test_cookies_set_by_a_redirect_are_sent_to_its_target(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            server.url + "/redirect_to",
            params={"url": "/cookies", "cookie": "from_redirect=1; Path=/"},
            cookies={"once": "x"},
        )
        assert response.json() == {"from_redirect": "1"}
        assert client.cookies["from_redirect"] == "1"


# --- cookies that would inject or leak ------------------------------------------


def _from(url: str, *set_cookies: str) -> httpcore.Response:
    headers = [("Set-Cookie", value) for value in set_cookies]
    return httpcore.Response(200, headers=headers, request=httpcore.Request("GET", url))


def _header_for(cookies: httpcore.Cookies, url: str) -> str | None:
    request = httpcore.Request("GET", url)
    cookies.set_cookie_header(request)
    return request.headers.get("cookie")


def test_an_ip_address_domain_matches_only_itself():
    # The standard jar matches domains by string suffix: 127.0.0.1 could set
    # Domain=0.0.1 and have it sent to 10.0.0.1.
    cookies = httpcore.Cookies()
    cookies.extract_cookies(_from("http://127.0.0.1/", "a=1; Domain=0.0.1"))
    cookies.extract_cookies(_from("http://127.0.0.1/", "b=2; Domain=127.0.0.1"))
    cookies.extract_cookies(_from("http://127.0.0.1/", "c=3"))
    assert _header_for(cookies, "http://10.0.0.1/") is None
    assert _header_for(cookies, "http://127.0.0.1/") == "b=2; c=3"
    # Set by name alone, a cookie still goes to every host, IPs included.
    cookies.set("d", "4")
    assert _header_for(cookies, "http://10.0.0.1/") == "d=4"


def test_a_set_cookie_with_a_control_character_is_ignored():
    # Stored, it would make every later request to the site fail the header
    # checks (RFC 6265bis 5.6: the whole Set-Cookie is ignored).
    cookies = httpcore.Cookies()
    url = "http://example.org/"
    cookies.extract_cookies(_from(url, "a=1\x01", "b=\x7f", "c=3; Path=/\x00", "d=4"))
    assert [cookie.name for cookie in cookies.jar] == ["d"]
    request = httpcore.Request("GET", url)
    cookies.set_cookie_header(request)
    assert request.headers["cookie"] == "d=4"


def test_request_cookies_skip_pairs_that_are_not_cookies():
    request = httpcore.Request(
        "GET", "http://example.org/", headers={"Cookie": "a=1; b c=2; =3; d=4"}
    )
    assert dict(request.cookies) == {"a": "1", "d": "4"}
