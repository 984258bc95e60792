"""
The redirect policy through the clients against the real server, on every
backend: every code and method, Location forms and errors, intermediate
responses, and the credentials that must not cross origins.
"""

from __future__ import annotations

import json

import pytest

import httpcore
from tests.client import raw_headers, recorder
from tests.servers.app import pattern

# --- against the real server ----------------------------------------------------------


async def test_follows_redirects(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(server.url + "/redirect/3")
        assert response.status_code == 200
        assert response.text == "done"
        assert response.url == server.url + "/redirect/0"
        assert [r.status_code for r in response.history] == [302, 302, 302]
        assert [r.url.path for r in response.history] == [
            "/redirect/3",
            "/redirect/2",
            "/redirect/1",
        ]
        assert all(r.is_closed for r in response.history)
        assert response.history[0].is_redirect
        assert not response.is_redirect
        info = client._dispatch.pool_info()
        assert info["active"] == 0 and info["idle"] == 1


async def test_max_redirects(backend, server):
    async with httpcore.AsyncClient(backend=backend, max_redirects=2) as client:
        with pytest.raises(httpcore.TooManyRedirects):
            await client.get(server.url + "/redirect/3")
        assert client._dispatch.pool_info()["active"] == 0
        response = await client.get(server.url + "/redirect/2")
        assert response.text == "done"


async def test_303_turns_post_into_get(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.post(
            server.url + "/redirect_to",
            params={"url": "/echo", "status": "303"},
            content=b"payload",
        )
        echo = response.json()
        headers = dict(echo["headers"])
        assert echo["method"] == "GET"
        assert echo["body"] == ""
        assert "content-length" not in headers
        assert response.history[0].status_code == 303


async def test_307_and_308_resend_the_body(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        for status in ("307", "308"):
            response = await client.post(
                server.url + "/redirect_to",
                params={"url": "/echo", "status": status},
                json={"a": 1},
            )
            echo = response.json()
            assert echo["method"] == "POST"
            assert echo["body"] == '{"a":1}'


async def test_allow_redirects_false_and_next(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(server.url + "/redirect/2", allow_redirects=False)
        assert response.status_code == 302
        assert response.is_redirect
        assert response.history == []
        assert response.is_closed  # read, as stream=False
        second = await response.next()
        assert second.status_code == 302
        assert second.history == [response]
        third = await second.next()
        assert third.status_code == 200
        assert third.text == "done"
        assert third.history == [response, second]
        with pytest.raises(RuntimeError, match="no redirect"):
            await third.next()


async def test_next_on_a_streamed_redirect_closes_it(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            server.url + "/redirect/1", allow_redirects=False, stream=True
        )
        final = await response.next()
        assert response.is_closed
        # The next hop is sent as the first was: streamed.
        assert client._dispatch.pool_info()["active"] == 1
        assert await final.read() == b"done"
        assert client._dispatch.pool_info()["active"] == 0


async def test_head_does_not_follow_by_default(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.head(server.url + "/redirect/1")
        assert response.status_code == 302
        followed = await client.head(server.url + "/redirect/1", allow_redirects=True)
        assert followed.status_code == 200


async def test_authorization_not_sent_to_another_origin(backend, server):
    other = server.url.replace("127.0.0.1", "localhost")
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            server.url + "/redirect_to",
            params={"url": other + "/echo"},
            headers={"Authorization": "Bearer secret"},
            auth=("user", "pass"),
        )
        headers = dict(response.json()["headers"])
        assert response.url.host == "localhost"
        assert "authorization" not in headers
        same = await client.get(
            server.url + "/redirect_to",
            params={"url": "/echo"},
            auth=("user", "pass"),
        )
        assert dict(same.json()["headers"])["authorization"].startswith("Basic ")


def test_sync_client_follows_redirects(server):
    with httpcore.Client() as client:
        response = client.get(server.url + "/redirect/2")
        assert response.text == "done"
        assert [type(r) for r in response.history] == [httpcore.Response] * 2
        assert all(r.is_closed for r in response.history)


def test_sync_client_next(server):
    with httpcore.Client() as client:
        response = client.post(
            server.url + "/redirect_to",
            params={"url": "/echo", "status": "307"},
            content=b"again",
            allow_redirects=False,
        )
        assert response.status_code == 307
        final = response.next()
        assert isinstance(final, httpcore.Response)
        assert json.loads(final.content)["body"] == "again"
        assert final.history == [response]


def test_sync_client_next_after_streaming(server):
    with httpcore.Client() as client:
        response = client.get(
            server.url + "/redirect/1", allow_redirects=False, stream=True
        )
        assert response.read() == b""
        final = response.next()
        assert final.read() == b"done"
        assert final.history[0] is response
        assert client._dispatch.pool_info()["active"] == 0


# --- every code and method, against the real server -----------------------------------

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def test_every_redirect_code_and_method(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        for status in (301, 302, 303, 307, 308):
            for method in METHODS:
                body = b"" if method in ("GET", "HEAD") else b"payload"
                response = await client.request(
                    method,
                    server.url + "/redirect_to",
                    params={"url": "/echo", "status": str(status)},
                    content=body or None,
                    headers={"Content-Type": "text/plain"} if body else None,
                )
                becomes_get = (status == 303 and method != "HEAD") or (
                    status in (301, 302) and method == "POST"
                )
                expected = "GET" if becomes_get else method
                case = f"{method} then {status}"
                assert response.status_code == 200, case
                assert response.history[0].status_code == status, case
                assert response.request.method == expected, case
                if method == "HEAD":
                    continue
                echo = response.json()
                headers = dict(echo["headers"])
                assert echo["method"] == expected, case
                if expected == method:
                    assert echo["body"] == body.decode(), case
                    if body:
                        assert headers["content-type"] == "text/plain", case
                else:
                    assert echo["body"] == "", case
                    for name in ("content-type", "content-length", "transfer-encoding"):
                        assert name not in headers, case
        # Every hop's connection went back to the pool.
        assert client._dispatch.pool_info()["active"] == 0


async def test_307_resends_a_file_without_reading_it_into_memory(
    backend, server, tmp_path
):
    path = tmp_path / "upload.bin"
    path.write_bytes(pattern(300_000))
    async with httpcore.AsyncClient(backend=backend) as client:
        with open(path, "rb") as file:
            response = await client.put(
                server.url + "/redirect_to",
                params={"url": "/count_body", "status": "307"},
                content=file,
            )
    assert response.json()["size"] == 300_000
    assert response.json()["content_length"] == "300000"


async def test_307_with_an_iterator_body_raises_and_closes(backend, server):
    seen = []
    async with httpcore.AsyncClient(
        backend=backend, event_hooks={"response": [seen.append]}
    ) as client:
        with pytest.raises(httpcore.StreamConsumed, match="307 redirect"):
            await client.post(
                server.url + "/redirect_to",
                params={"url": "/echo", "status": "307"},
                content=iter([b"once"]),
            )
        assert seen[0].is_closed
        assert client._dispatch.pool_info()["active"] == 0


async def test_relative_and_scheme_relative_locations(backend, server):
    authority = server.url.split("://")[1]
    async with httpcore.AsyncClient(backend=backend) as client:
        for location in ("echo", "./echo?x=1", "/echo", f"//{authority}/echo"):
            response = await client.get(
                server.url + "/redirect_to", params={"url": location}
            )
            assert response.url.path == "/echo", location
            assert response.json()["path"] == "/echo"


async def test_fragment_is_kept_unless_the_location_has_one(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        kept = await client.get(server.url + "/redirect_to?url=%2Fecho#part")
        assert kept.url.fragment == "part"
        assert kept.json()["path"] == "/echo"
        replaced = await client.get(server.url + "/redirect_to?url=%2Fecho%23new#old")
        assert replaced.url.fragment == "new"


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (None, "no Location"),
        ("ftp://127.0.0.1/file", "not an http or https"),
        ("http://exa mple.org:99999/", "Invalid URL"),
        ("http://[::1/", "Invalid URL"),
    ],
)
async def test_bad_locations_from_the_server(backend, server, location, message):
    seen = []
    params = {} if location is None else {"url": location}
    async with httpcore.AsyncClient(
        backend=backend, event_hooks={"response": [seen.append]}
    ) as client:
        with pytest.raises(httpcore.RemoteProtocolError, match=message) as info:
            await client.get(server.url + "/redirect_to", params=params)
        assert info.value.request.url.path == "/redirect_to"
        assert seen[0].is_closed
        assert client._dispatch.pool_info()["active"] == 0
        # Not following, the response is the caller's to look at.
        response = await client.get(
            server.url + "/redirect_to", params=params, allow_redirects=False
        )
        assert response.status_code == 302


async def test_too_many_redirects_closes_every_response_on_the_wire(backend, server):
    seen = []
    async with httpcore.AsyncClient(
        backend=backend, max_redirects=3, event_hooks={"response": [seen.append]}
    ) as client:
        with pytest.raises(httpcore.TooManyRedirects, match="maximum of 3"):
            await client.get(server.url + "/redirect/10")
        assert len(seen) == 4
        assert all(response.is_closed for response in seen)
        assert client._dispatch.pool_info()["active"] == 0


async def test_redirect_bodies_are_never_decoded(backend, server):
    # The redirect claims gzip but its body is not: decoding it would fail.
    seen = []
    async with httpcore.AsyncClient(
        backend=backend, event_hooks={"response": [seen.append]}
    ) as client:
        response = await client.get(
            server.url + "/redirect_to",
            params={"url": "/echo", "encoding": "gzip", "body": "not gzip at all"},
        )
        assert response.status_code == 200
        hop = response.history[0]
        assert hop is seen[0] and hop.is_closed
        with pytest.raises(httpcore.ResponseNotRead):
            _ = hop.content
        # The short body was drained raw: the connection was used again.
        assert client._dispatch.pool_info()["idle"] == 1


async def test_a_long_redirect_body_closes_its_connection(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            server.url + "/redirect_to",
            params={"url": "/conn", "body_size": "200000"},
        )
        first_port = response.json()["client_port"]
        again = await client.get(server.url + "/conn")
        assert again.json()["client_port"] == first_port  # the second connection
        assert client._dispatch.pool_info()["idle"] == 1


# --- credentials across origins -------------------------------------------------------

SECRETS = [
    ("Authorization", "Bearer one"),
    ("authorization", "Bearer two"),
    ("Proxy-Authorization", "Basic proxy"),
    ("PROXY-authorization", "Basic proxy2"),
    ("Cookie", "header=1"),
    ("cookie", "header=2"),
]


async def test_a_port_change_drops_every_credential(backend, server, scripted_server):
    received: list[bytes] = []
    other = scripted_server(recorder(received))
    async with httpcore.AsyncClient(
        backend=backend, auth=("user", "pass"), cookies={"jar": "1"}
    ) as client:
        client.cookies.set("scoped", "2", domain="127.0.0.1")
        response = await client.get(
            server.url + "/redirect_to",
            params={"url": other.url + "/target"},
            headers=SECRETS,
        )
        assert response.text == "ok"
    fields = raw_headers(received[0])
    names = [name for name, _ in fields]
    assert "authorization" not in names
    assert "proxy-authorization" not in names
    # Cookies are derived afresh for the new origin, from the client's jar
    # (cookies are not port-specific); the request's own Cookie headers went.
    assert names.count("cookie") == 1
    assert sorted(dict(fields)["cookie"].split("; ")) == ["jar=1", "scoped=2"]


async def test_a_host_change_drops_every_credential(backend, server):
    other = server.url.replace("127.0.0.1", "localhost")
    async with httpcore.AsyncClient(backend=backend, auth=("user", "pass")) as client:
        response = await client.get(
            server.url + "/redirect_to",
            params={"url": other + "/echo"},
            headers=SECRETS,
        )
        headers = [name for name, _ in response.json()["headers"]]
        assert response.url.host == "localhost"
        for name in ("authorization", "proxy-authorization", "cookie"):
            assert name not in headers


async def test_the_same_origin_keeps_credentials(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            server.url + "/redirect_to",
            params={"url": "/echo"},
            headers=SECRETS[:4],
        )
        headers = response.json()["headers"]
        assert [v for k, v in headers if k == "authorization"] == [
            "Bearer one",
            "Bearer two",
        ]
        assert len([k for k, _ in headers if k == "proxy-authorization"]) == 2


async def test_https_to_http_never_carries_credentials(
    backend, server, tls_server, ca_file, tmp_path, monkeypatch
):
    # Even the credentials that would be right for the new host (its .netrc
    # entry, or user:pass in the Location) are not sent after a downgrade.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrc password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    target = server.url.replace("://", "://user:pass@") + "/echo"
    async with httpcore.AsyncClient(
        backend=backend, verify=ca_file, auth=("user", "pass")
    ) as client:
        client.cookies.set("plain", "1", domain="127.0.0.1")
        for location in (server.url + "/echo", target):
            response = await client.get(
                tls_server.url + "/redirect_to",
                params={"url": location},
                headers=SECRETS,
            )
            assert response.url.scheme == "http"
            assert response.history[0].url.scheme == "https"
            headers = response.json()["headers"]
            names = [name for name, _ in headers]
            assert "authorization" not in names
            assert "proxy-authorization" not in names
            # The jar's cookie for the host, not a secure one, is the only one.
            assert [v for k, v in headers if k == "cookie"] == ["plain=1"]


async def test_a_utf8_location_is_percent_encoded(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            server.url + "/redirect_to", params={"url": "/echo?q=café#naïve"}
        )
        assert response.json()["query"] == "q=caf%C3%A9"
        assert response.url.fragment == "na%C3%AFve"
