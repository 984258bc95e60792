"""
Redirect credential rules, cross-checked from the server side, on every
backend: scripted servers record the raw request heads they receive, and
each test asserts exactly which credentials each server saw.

The rules: on a change of origin (scheme, host or port) every
`Authorization`, `Proxy-Authorization` and `Cookie` header goes, all copies,
any case; auth and cookies are then derived afresh for the new origin (the
explicit auth on the original origin only, then the hop's URL credentials,
then `.netrc` by the hop's host). After https -> http, no credentials at all.
Digest challenges are answered only on the origin that sent them.
"""

from __future__ import annotations

import pytest

import httpcore
from tests.security import RecordingServer, basic, fields_of, hop

SECRETS = [
    ("Authorization", "Bearer one"),
    ("authorization", "Bearer two"),
    ("Proxy-Authorization", "Basic proxy"),
    ("PROXY-authorization", "Basic proxy2"),
    ("Cookie", "header=1"),
    ("cOOKIE", "header=2"),
]
HAND_SET_AUTH = [
    ("authorization", "Bearer one"),
    ("authorization", "Bearer two"),
    ("proxy-authorization", "Basic proxy"),
    ("proxy-authorization", "Basic proxy2"),
]


def cookie_values(credentials: list[tuple[str, str]]) -> list[str]:
    """Every cookie pair sent, split out of its Cookie headers, sorted."""
    pairs = [
        pair
        for name, value in credentials
        if name == "cookie"
        for pair in value.split("; ")
    ]
    return sorted(pairs)


def client_for(backend: str, ca_file: str, **kwargs) -> httpcore.AsyncClient:
    return httpcore.AsyncClient(backend=backend, verify=ca_file, **kwargs)


async def test_same_origin_redirect_keeps_every_authorization_copy(
    backend, scripted_server, ca_file
):
    a = RecordingServer(scripted_server)
    async with client_for(backend, ca_file) as client:
        client.cookies.set("jar", "1")
        response = await client.get(hop(a.url, a.url + "/final"), headers=SECRETS)
        assert response.text == "ok"
    assert a.paths()[1] == "/final"
    first, second = a.credentials(0), a.credentials(1)
    assert first == [*HAND_SET_AUTH, ("cookie", "header=1"), ("cookie", "header=2")]
    # Same origin: both Authorization and both Proxy-Authorization copies
    # stay; the hand-set Cookie headers go, and the jar sets Cookie again.
    assert second == [*HAND_SET_AUTH, ("cookie", "jar=1")]


CROSS_ORIGIN = {
    # kind: (start server, target server, target host)
    "port": ("a", "b", "127.0.0.1"),
    "host": ("a", "a", "localhost"),
    "http-to-https": ("a", "s", "127.0.0.1"),
    "https-to-http": ("s", "a", "127.0.0.1"),
}


@pytest.mark.parametrize("kind", list(CROSS_ORIGIN))
async def test_cross_origin_redirect_drops_every_credential_header(
    backend, scripted_server, ca_file, kind
):
    servers = {
        "a": RecordingServer(scripted_server),
        "b": RecordingServer(scripted_server),
        "s": RecordingServer(scripted_server, tls=True),
    }
    start_name, target_name, target_host = CROSS_ORIGIN[kind]
    start, target = servers[start_name], servers[target_name]
    target_url = target.url.replace("127.0.0.1", target_host) + "/final"
    async with client_for(backend, ca_file, auth=("user", "pass")) as client:
        client.cookies.set("jar", "1")
        client.cookies.set("scoped", "2", domain="127.0.0.1")
        response = await client.get(hop(start.url, target_url), headers=SECRETS)
        assert response.text == "ok"
        assert response.url.host == target_host
        assert client._dispatch.pool_info()["active"] == 0
    first = start.credentials(0)
    # The explicit auth replaced every hand-set Authorization on the first hop.
    assert [v for k, v in first if k == "authorization"] == [basic("user", "pass")]
    assert [v for k, v in first if k == "proxy-authorization"] == [
        "Basic proxy",
        "Basic proxy2",
    ]
    seen = target.credentials(len(target.heads) - 1)
    assert target.paths()[-1] == "/final"
    # Nothing hand-set and no explicit auth crossed; the jar's cookies for
    # the new host are all that was sent (cookies are not port-specific).
    assert [k for k, _ in seen if k != "cookie"] == []
    expected = ["jar=1"] if target_host == "localhost" else ["jar=1", "scoped=2"]
    assert cookie_values(seen) == expected


async def test_explicit_auth_goes_to_the_original_origin_only(
    backend, scripted_server, ca_file
):
    a = RecordingServer(scripted_server)
    b = RecordingServer(scripted_server)
    # a -> b -> back to a.
    url = hop(a.url, hop(b.url, a.url + "/final"))
    async with client_for(backend, ca_file, auth=("user", "pass")) as client:
        response = await client.get(url)
        assert response.text == "ok"
    assert a.credentials(0) == [("authorization", basic("user", "pass"))]
    assert b.credentials(0) == []
    assert a.paths()[1] == "/final"
    assert a.credentials(1) == [("authorization", basic("user", "pass"))]


async def test_url_credentials_are_those_of_each_hop(backend, scripted_server, ca_file):
    a = RecordingServer(scripted_server)
    b = RecordingServer(scripted_server)
    c = RecordingServer(scripted_server)
    start = a.url.replace("://", "://uu:pp@")
    # a (its own URL credentials) -> b (credentials in the Location) -> c.
    url = hop(start, hop(b.url.replace("://", "://bu:bp@"), c.url + "/final"))
    async with client_for(backend, ca_file) as client:
        response = await client.get(url)
        assert response.text == "ok"
        # Credentials go in the header, never in the URL the user sees.
        assert response.url.userinfo == ""
        assert all(not r.url.userinfo for r in response.history)
    assert a.credentials(0) == [("authorization", basic("uu", "pp"))]
    assert b.credentials(0) == [("authorization", basic("bu", "bp"))]
    assert c.credentials(0) == []
    # The userinfo never reaches the request line or the Host header.
    assert b.heads[0].startswith(b"GET /hop?")
    assert ("host", f"127.0.0.1:{b.port}") in fields_of(b.heads[0])


async def test_https_to_http_carries_no_credentials_of_any_kind(
    backend, scripted_server, ca_file, tmp_path, monkeypatch
):
    a = RecordingServer(scripted_server)
    s = RecordingServer(scripted_server, tls=True)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrc password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    # Secure and plain cookies set by the https server, then a downgrade to
    # http with credentials of its own in the Location.
    url = hop(
        s.url,
        a.url.replace("://", "://lu:lp@") + "/final",
        cookie="sec=1; Secure",
    )
    async with client_for(backend, ca_file, auth=("user", "pass")) as client:
        response = await client.get(url, headers=SECRETS)
        assert response.text == "ok"
    assert [k for k, _ in a.credentials(0)] == []
    # And the explicit auth was sent to the https origin.
    assert (
        "authorization",
        basic("user", "pass"),
    ) in s.credentials(0)


async def test_netrc_is_looked_up_by_each_hops_host(
    backend, scripted_server, ca_file, tmp_path, monkeypatch
):
    a = RecordingServer(scripted_server)
    netrc = tmp_path / "netrc"
    netrc.write_text(
        "machine 127.0.0.1 login ip password one\n"
        "machine localhost login name password two\n"
    )
    monkeypatch.setenv("NETRC", str(netrc))
    other_host = a.url.replace("127.0.0.1", "localhost") + "/final"
    async with client_for(backend, ca_file) as client:
        await client.get(hop(a.url, other_host))
    assert a.credentials(0) == [("authorization", basic("ip", "one"))]
    assert a.credentials(1) == [("authorization", basic("name", "two"))]
    # With explicit auth: it wins on its origin, .netrc serves the other one.
    async with client_for(backend, ca_file, auth=("user", "pass")) as client:
        await client.get(hop(a.url, other_host))
    assert a.credentials(2) == [("authorization", basic("user", "pass"))]
    assert a.credentials(3) == [("authorization", basic("name", "two"))]


async def test_digest_challenges_are_answered_on_their_origin_only(
    backend, scripted_server, ca_file
):
    a = RecordingServer(scripted_server)
    b = RecordingServer(scripted_server)
    auth = httpcore.DigestAuth("user", "pass")
    async with client_for(backend, ca_file, auth=auth) as client:
        # A challenge from the origin the auth is for: answered.
        same = await client.get(a.url + "/p?challenge=digest")
        assert same.status_code == 200
        # A challenge from another origin, reached by a redirect: not answered.
        other = await client.get(hop(a.url, b.url + "/p?challenge=digest"))
        assert other.status_code == 401
        assert client._dispatch.pool_info()["active"] == 0
    assert a.credentials(0) == []
    answer = dict(a.credentials(1))["authorization"]
    assert answer.startswith("Digest ") and 'username="user"' in answer
    assert 'realm="r"' in answer and 'nonce="abc"' in answer
    assert len(b.heads) == 1
    assert b.credentials(0) == []


async def test_server_set_cookies_follow_the_jar_rules_across_hosts(
    backend, scripted_server, ca_file
):
    a = RecordingServer(scripted_server)
    b = RecordingServer(scripted_server)
    # A host-only cookie from 127.0.0.1: sent again to 127.0.0.1 on another
    # port, never to localhost.
    localhost = a.url.replace("127.0.0.1", "localhost")
    url = hop(a.url, hop(b.url, localhost + "/final"), cookie="sid=1")
    async with client_for(backend, ca_file) as client:
        response = await client.get(url)
        assert response.text == "ok"
    assert a.credentials(0) == []
    assert b.credentials(0) == [("cookie", "sid=1")]
    assert a.paths()[1] == "/final"
    assert a.credentials(1) == []
