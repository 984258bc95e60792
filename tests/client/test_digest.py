"""
Digest authentication (RFC 7616): the challenge parser and the flow by hand,
then through the clients against a server that really checks each digest
(`tests/servers/features.py`), on every backend.
"""

from __future__ import annotations

import pytest

import httpcore
from httpcore import _digest
from httpcore._digest import MAX_STALE_RETRIES, parse_challenges, select_challenge

# The example of RFC 7616 section 3.9.1.
RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


def challenge(algorithm="MD5", nonce=RFC_NONCE, stale=False, **extra) -> str:
    value = (
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", '
        f'algorithm={algorithm}, nonce="{nonce}", opaque="{RFC_OPAQUE}"'
    )
    if stale:
        value += ", stale=true"
    for name, param in extra.items():
        value += f", {name}={param}"
    return value


def unauthorized(*challenges: str) -> httpcore.Response:
    return httpcore.Response(401, headers=[("WWW-Authenticate", c) for c in challenges])


def params(request: httpcore.Request) -> dict[str, str]:
    header = request.headers["Authorization"]
    assert header.startswith("Digest ")
    return dict(parse_challenges([header])[0][1])


# --- parsing challenges ---------------------------------------------------------------


def test_parse_challenges():
    parsed = parse_challenges(
        [
            'Newauth realm="apps", type=1, title="Login to \\"apps\\"", '
            'Basic realm="simple", Bearer abc123==, Digest nonce=n1, realm=r',
            "Negotiate",
            "",
            '=broken, Basic realm="lost"',
        ]
    )
    assert parsed == [
        ("newauth", {"realm": "apps", "type": "1", "title": 'Login to "apps"'}),
        ("basic", {"realm": "simple"}),
        ("bearer", {}),
        ("digest", {"nonce": "n1", "realm": "r"}),
        ("negotiate", {}),
    ]


def test_select_challenge_prefers_the_strongest_it_supports():
    for order in (("MD5", "SHA-256"), ("SHA-256", "MD5-sess")):
        selected = select_challenge(unauthorized(*(challenge(a) for a in order)))
        assert selected is not None and selected.algorithm == "SHA-256"
    assert select_challenge(unauthorized(challenge("SHA-512-256"))) is None
    auth_int = 'Digest realm="r", nonce="n", qop="auth-int"'
    assert select_challenge(unauthorized(auth_int)) is None
    # A session algorithm needs qop=auth; RFC 2069's MD5 does not.
    assert (
        select_challenge(
            unauthorized('Digest realm="r", nonce="n", algorithm=MD5-sess')
        )
        is None
    )
    legacy = select_challenge(unauthorized('Digest realm="r", nonce="n"'))
    assert legacy is not None and legacy.qop is None
    assert select_challenge(unauthorized('Digest realm="r"')) is None
    assert select_challenge(unauthorized('Basic realm="r"')) is None


# --- the flow, by hand ----------------------------------------------------------------


@pytest.fixture
def rfc_cnonce(monkeypatch):
    monkeypatch.setattr(_digest, "_cnonce", lambda: RFC_CNONCE)


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_the_example_of_rfc_7616(rfc_cnonce, algorithm, expected):
    auth = httpcore.DigestAuth("Mufasa", "Circle of Life")
    request = httpcore.Request("GET", "http://www.example.org/dir/index.html")
    flow = auth.auth_flow(request)
    first = next(flow)
    assert "authorization" not in first.headers
    retry = flow.send(unauthorized(challenge(algorithm)))
    assert params(retry) == {
        "username": "Mufasa",
        "realm": "http-auth@example.org",
        "nonce": RFC_NONCE,
        "uri": "/dir/index.html",
        "algorithm": algorithm,
        "response": expected,
        "opaque": RFC_OPAQUE,
        "qop": "auth",
        "nc": "00000001",
        "cnonce": RFC_CNONCE,
    }
    with pytest.raises(StopIteration):
        flow.send(httpcore.Response(200))


def test_nonce_count_across_requests_and_origins():
    auth = httpcore.DigestAuth("user", "pass")
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/a"))
    next(flow)
    assert params(flow.send(unauthorized(challenge())))["nc"] == "00000001"
    flow.close()
    for count in ("00000002", "00000003"):
        again = auth.auth_flow(httpcore.Request("GET", "https://example.org/b?q=1"))
        sent = next(again)  # answered at once: the challenge is known
        assert params(sent)["nc"] == count
        assert params(sent)["uri"] == "/b?q=1"
    # Another origin (a port, here) never gets the challenge's answer.
    other = auth.auth_flow(httpcore.Request("GET", "https://example.org:8443/"))
    assert "authorization" not in next(other).headers


def test_cnonces_are_fresh():
    auth = httpcore.DigestAuth("user", "pass")
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(flow)
    first = params(flow.send(unauthorized(challenge())))["cnonce"]
    second = params(
        next(auth.auth_flow(httpcore.Request("GET", "https://example.org/")))
    )
    assert len(first) == 32 and first != second["cnonce"]


def test_a_second_401_after_answering_is_returned():
    auth = httpcore.DigestAuth("user", "wrong")
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(flow)
    flow.send(unauthorized(challenge(nonce="n1")))
    with pytest.raises(StopIteration):
        flow.send(unauthorized(challenge(nonce="n2")))
    # The failed challenge is forgotten: the next request does not reuse it.
    again = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    assert "authorization" not in next(again).headers


def test_stale_nonce_is_retried_without_counting_as_a_failure():
    auth = httpcore.DigestAuth("user", "pass")
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(flow)
    flow.send(unauthorized(challenge(nonce="n1")))
    retry = flow.send(unauthorized(challenge(nonce="n2", stale=True)))
    assert params(retry)["nonce"] == "n2"
    assert params(retry)["nc"] == "00000001"
    with pytest.raises(StopIteration):
        flow.send(httpcore.Response(200))


def test_stale_retries_are_bounded():
    auth = httpcore.DigestAuth("user", "pass")
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(flow)
    flow.send(unauthorized(challenge(nonce="n0")))
    for index in range(MAX_STALE_RETRIES):
        flow.send(unauthorized(challenge(nonce=f"s{index}", stale=True)))
    with pytest.raises(StopIteration):
        flow.send(unauthorized(challenge(nonce="again", stale=True)))


def test_a_preemptive_answer_rejected_answers_the_new_challenge_once():
    auth = httpcore.DigestAuth("user", "pass")
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(flow)
    flow.send(unauthorized(challenge(nonce="n1")))
    flow.close()
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    assert params(next(flow))["nonce"] == "n1"
    # Not stale: the server forgot n1. Answer its new challenge, once.
    assert params(flow.send(unauthorized(challenge(nonce="n2"))))["nonce"] == "n2"
    with pytest.raises(StopIteration):
        flow.send(unauthorized(challenge(nonce="n3")))


def test_the_same_nonce_again_keeps_counting():
    auth = httpcore.DigestAuth("user", "pass")
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(flow)
    flow.send(unauthorized(challenge(nonce="n1")))
    flow.close()
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    assert params(next(flow))["nc"] == "00000002"
    assert params(flow.send(unauthorized(challenge(nonce="n1"))))["nc"] == "00000003"


def test_a_failure_does_not_forget_a_challenge_another_request_answered():
    auth = httpcore.DigestAuth("user", "pass")
    first = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(first)
    first.send(unauthorized(challenge(nonce="n1")))
    # Meanwhile, another request answers a newer challenge.
    second = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(second)
    second.send(unauthorized(challenge(nonce="n2")))
    with pytest.raises(StopIteration):
        first.send(unauthorized(challenge(nonce="n3")))  # the first one fails
    third = next(auth.auth_flow(httpcore.Request("GET", "https://example.org/")))
    assert params(third)["nonce"] == "n2"


def test_next_nonce_from_authentication_info():
    auth = httpcore.DigestAuth("user", "pass")
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(flow)
    flow.send(unauthorized(challenge(nonce="n1")))
    info = {"Authentication-Info": 'nextnonce="n9", qop=auth'}
    with pytest.raises(StopIteration):
        flow.send(httpcore.Response(200, headers=info))
    # Without a nextnonce, or with the same one, nothing changes.
    for value in ("qop=auth", 'nextnonce="n9"'):
        other = auth.auth_flow(httpcore.Request("GET", "https://example.org/x"))
        next(other)
        with pytest.raises(StopIteration):
            other.send(httpcore.Response(200, headers={"Authentication-Info": value}))
    sent = next(auth.auth_flow(httpcore.Request("GET", "https://example.org/")))
    assert (params(sent)["nonce"], params(sent)["nc"]) == ("n9", "00000003")


def test_no_digest_challenge_or_another_status_ends_the_flow():
    auth = httpcore.DigestAuth("user", "pass")
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(unauthorized('Basic realm="x"'))
    flow = auth.auth_flow(httpcore.Request("GET", "https://example.org/"))
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(httpcore.Response(403))


def test_legacy_userhash_and_unicode_names():
    legacy = httpcore.DigestAuth("user", "pass").auth_flow(
        httpcore.Request("GET", "https://example.org/")
    )
    next(legacy)
    sent = params(legacy.send(unauthorized('Digest realm="r", nonce="n"')))
    assert "qop" not in sent and "nc" not in sent and "algorithm" not in sent

    hashed = httpcore.DigestAuth("user", "pass").auth_flow(
        httpcore.Request("GET", "https://example.org/")
    )
    next(hashed)
    sent = params(hashed.send(unauthorized(challenge("SHA-256", userhash="true"))))
    assert sent["userhash"] == "true"
    assert len(sent["username"]) == 64 and "user" not in sent["username"]

    unicode = httpcore.DigestAuth("Jäsøn Doe", "pass").auth_flow(
        httpcore.Request("GET", "https://example.org/")
    )
    next(unicode)
    sent = params(unicode.send(unauthorized(challenge())))
    assert sent["username*"] == "UTF-8''J%C3%A4s%C3%B8n%20Doe"
    assert repr(httpcore.DigestAuth("u", "secret")) == "DigestAuth([secure])"


# --- against a server that checks every digest ---------------------------------------


class Wire:
    """An event hook that keeps the Authorization header of each request."""

    def __init__(self) -> None:
        self.sent: list[str | None] = []

    def __call__(self, request: httpcore.Request) -> None:
        self.sent.append(request.headers.get("authorization"))


def client_for(backend: str, auth: httpcore.Auth, wire: Wire) -> httpcore.AsyncClient:
    return httpcore.AsyncClient(
        backend=backend, auth=auth, event_hooks={"request": [wire]}
    )


@pytest.mark.parametrize("algorithm", ["MD5", "MD5-sess", "SHA-256", "SHA-256-sess"])
async def test_each_algorithm(backend, server, algorithm):
    wire = Wire()
    url = server.url + "/digest_auth"
    query = {"user": "alice", "passwd": "s3cret", "algorithm": algorithm}
    auth = httpcore.DigestAuth("alice", "s3cret")
    async with client_for(backend, auth, wire) as client:
        first = await client.get(url, params=query)
        assert first.status_code == 200
        assert first.json()["algorithm"] == algorithm
        assert first.json()["nc"] == 1
        # The next requests answer the known challenge at once, counting.
        second = await client.get(url, params=query)
        third = await client.post(url, params=query, content=b"body")
        assert [second.json()["nc"], third.json()["nc"]] == [2, 3]
        assert second.json()["nonce"] == first.json()["nonce"]
        assert wire.sent[0] is None and len(wire.sent) == 4
        assert client._dispatch.pool_info()["idle"] == 1  # one connection


async def test_several_challenges_and_rfc_2069(backend, server):
    wire = Wire()
    auth = httpcore.DigestAuth("user", "passwd")
    async with client_for(backend, auth, wire) as client:
        both = await client.get(
            server.url + "/digest_auth", params={"algorithm": "MD5,SHA-256"}
        )
        assert both.json()["algorithm"] == "SHA-256"
        legacy = await client.get(server.url + "/digest_auth", params={"qop": "none"})
        assert legacy.status_code == 200


async def test_userhash_and_a_unicode_user(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        hashed = await client.get(
            server.url + "/digest_auth",
            params={"userhash": "1", "algorithm": "SHA-256"},
            auth=httpcore.DigestAuth("user", "passwd"),
        )
        assert hashed.status_code == 200
        unicode = await client.get(
            server.url + "/digest_auth",
            params={"user": "Jäsøn", "passwd": "pässwörd"},
            auth=httpcore.DigestAuth("Jäsøn", "pässwörd"),
        )
        assert unicode.json()["user"] == "Jäsøn"


async def test_wrong_password_returns_the_second_401(backend, server):
    wire = Wire()
    async with client_for(backend, httpcore.DigestAuth("user", "nope"), wire) as client:
        response = await client.get(server.url + "/digest_auth")
        assert response.status_code == 401
        assert len(wire.sent) == 2
        assert client._dispatch.pool_info()["active"] == 0


async def test_stale_nonce_after_answering_is_retried(backend, server):
    wire = Wire()
    async with client_for(
        backend, httpcore.DigestAuth("user", "passwd"), wire
    ) as client:
        response = await client.get(
            server.url + "/digest_auth", params={"first_stale": "1"}
        )
        assert response.status_code == 200
        assert len(wire.sent) == 3  # none, stale nonce, fresh nonce


async def test_stale_nonce_of_a_later_request_is_retried(backend, server):
    wire = Wire()
    url = server.url + "/digest_auth?uses=1"
    async with client_for(
        backend, httpcore.DigestAuth("user", "passwd"), wire
    ) as client:
        first = await client.get(url)
        second = await client.get(url)  # nc=2 of a used-up nonce: stale
        assert second.status_code == 200
        assert second.json()["nonce"] != first.json()["nonce"]
        assert second.json()["nc"] == 1
        assert len(wire.sent) == 4


async def test_a_server_that_is_always_stale_does_not_loop(backend, server):
    wire = Wire()
    async with client_for(
        backend, httpcore.DigestAuth("user", "passwd"), wire
    ) as client:
        response = await client.get(
            server.url + "/digest_auth", params={"always_stale": "1"}
        )
        assert response.status_code == 401
        assert len(wire.sent) == 2 + MAX_STALE_RETRIES


async def test_challenges_are_answered_for_their_origin_only(backend, server):
    wire = Wire()
    other = server.url.replace("127.0.0.1", "localhost")
    async with client_for(
        backend, httpcore.DigestAuth("user", "passwd"), wire
    ) as client:
        await client.get(server.url + "/digest_auth")
        echo = await client.get(other + "/echo")
        assert "authorization" not in dict(echo.json()["headers"])
        # localhost challenges with its own nonce, and is answered for it.
        response = await client.get(other + "/digest_auth")
        assert response.status_code == 200
        assert wire.sent[2] is None and wire.sent[3] is None


async def test_a_digest_retry_cannot_resend_an_iterator_body(backend, server):
    async with httpcore.AsyncClient(
        backend=backend, auth=httpcore.DigestAuth("user", "passwd")
    ) as client:
        with pytest.raises(httpcore.StreamConsumed, match="auth flow answers a 401"):
            await client.post(server.url + "/digest_auth", content=iter([b"once"]))
        assert client._dispatch.pool_info()["active"] == 0
        # Once the challenge is known, the first send is the answer: it works.
        await client.get(server.url + "/digest_auth")
        response = await client.post(
            server.url + "/digest_auth", content=iter([b"once"])
        )
        assert response.status_code == 200


async def test_a_digest_retry_resends_a_file(backend, server, tmp_path):
    path = tmp_path / "body.bin"
    path.write_bytes(b"file body")
    async with httpcore.AsyncClient(
        backend=backend, auth=httpcore.DigestAuth("user", "passwd")
    ) as client:
        with open(path, "rb") as file:
            response = await client.put(server.url + "/digest_auth", content=file)
        assert response.status_code == 200


def test_sync_client_digest(server):
    auth = httpcore.DigestAuth("user", "passwd")
    with httpcore.Client(auth=auth) as client:
        for nc in (1, 2):
            response = client.get(server.url + "/digest_auth?algorithm=SHA-256-sess")
            assert response.json()["nc"] == nc
