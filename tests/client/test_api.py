"""The one-off helpers: `httpcore.get(url)` and friends, each with its own client."""

from __future__ import annotations

import pytest

import httpcore
from tests.servers.app import HELLO, pattern


def test_get(server):
    response = httpcore.get(server.url + "/echo", params={"q": "1"})
    assert isinstance(response, httpcore.Response)
    assert response.status_code == 200
    assert response.json()["query"] == "q=1"
    assert response.is_closed


def test_get_text(server):
    assert httpcore.get(server.url + "/").text == HELLO.decode()


@pytest.mark.parametrize("verb", ["post", "put", "patch"])
def test_verbs_with_bodies(server, verb):
    response = getattr(httpcore, verb)(server.url + "/echo", json={"a": 1})
    assert response.json()["method"] == verb.upper()
    assert response.json()["body"] == '{"a":1}'


@pytest.mark.parametrize("verb", ["get", "options", "delete"])
def test_verbs_without_bodies(server, verb):
    response = getattr(httpcore, verb)(server.url + "/echo", headers={"X-A": "1"})
    assert response.json()["method"] == verb.upper()
    assert dict(response.json()["headers"])["x-a"] == "1"


def test_head_does_not_follow_redirects(server):
    assert httpcore.head(server.url + "/redirect/1").status_code == 302
    assert (
        httpcore.head(server.url + "/redirect/1", allow_redirects=True).status_code
        == 200
    )


def test_request(server):
    response = httpcore.request(
        "POST", server.url + "/echo", data={"a": "1"}, cookies={"c": "2"}, timeout=5
    )
    echo = response.json()
    assert echo["body"] == "a=1"
    assert dict(echo["headers"])["cookie"] == "c=2"


def test_redirects_and_auth(server):
    response = httpcore.get(server.url + "/redirect/2")
    assert response.text == "done" and len(response.history) == 2
    authed = httpcore.get(server.url + "/basic_auth?user=u&passwd=p", auth=("u", "p"))
    assert authed.status_code == 200


def test_stream(server):
    with httpcore.stream("GET", f"{server.url}/bytes/200000") as response:
        with pytest.raises(httpcore.ResponseNotRead):
            _ = response.content
        assert b"".join(response.stream()) == pattern(200000)
    assert response.is_closed


def test_stream_closes_an_unread_response(server):
    with httpcore.stream("POST", server.url + "/echo", content=b"x") as response:
        assert response.status_code == 200
    assert response.is_closed


def test_tls(tls_server, ca_file):
    assert httpcore.get(tls_server.url + "/", verify=ca_file).content == HELLO
    with pytest.raises(httpcore.ConnectError):
        httpcore.get(tls_server.url + "/", trust_env=False)


def test_unknown_keyword():
    with pytest.raises(TypeError):
        httpcore.get("https://example.org/", stream=True)  # type: ignore[call-arg]
