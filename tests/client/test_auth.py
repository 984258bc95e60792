"""
Auth flows: driven by hand as generators (no network), then through the
clients against the real server, on every backend.
"""

from __future__ import annotations

import base64
import hashlib
import netrc

import pytest

import httpcore
from httpcore._auth import (
    FunctionAuth,
    basic_auth_header,
    build_auth,
    netrc_auth,
    netrc_path,
)
from tests.client import MockDispatch, raw_headers, recorder


class ChallengeAuth(httpcore.Auth):
    """Answers a 401 carrying a nonce by retrying with a token made from it."""

    requires_response_body = True

    def auth_flow(self, request):
        response = yield request
        if response.status_code == 401:
            nonce = response.json()["nonce"]
            request.headers["Authorization"] = f"Token {nonce}-signed"
            yield request


# --- by hand --------------------------------------------------------------------------


def test_basic_auth_flow():
    request = httpcore.Request("GET", "https://example.org/")
    flow = httpcore.BasicAuth("user", "pässword").auth_flow(request)
    sent = next(flow)
    assert sent is request
    token = base64.b64encode("user:pässword".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {token}"
    with pytest.raises(StopIteration):
        flow.send(httpcore.Response(200))


def test_basic_auth_with_bytes_and_repr():
    assert basic_auth_header(b"u\xe9", b"p") == "Basic " + base64.b64encode(
        b"u\xe9:p"
    ).decode("ascii")
    assert "pass" not in repr(httpcore.BasicAuth("user", "pass"))


def test_function_auth_flow():
    def sign(request):
        request.headers["X-Signed"] = "yes"
        return request

    flow = FunctionAuth(sign).auth_flow(httpcore.Request("GET", "https://example.org/"))
    assert next(flow).headers["X-Signed"] == "yes"
    with pytest.raises(StopIteration):
        flow.send(httpcore.Response(200))


def test_base_auth_sends_the_request_unchanged():
    request = httpcore.Request("GET", "https://example.org/")
    flow = httpcore.Auth().auth_flow(request)
    assert next(flow) is request
    assert "authorization" not in request.headers


def test_challenge_flow_by_hand():
    request = httpcore.Request("GET", "https://example.org/")
    flow = ChallengeAuth().auth_flow(request)
    next(flow)
    retry = flow.send(httpcore.Response(401, json={"nonce": "n1"}))
    assert retry.headers["Authorization"] == "Token n1-signed"
    with pytest.raises(StopIteration):
        flow.send(httpcore.Response(200))


def test_build_auth():
    assert build_auth(None) is None
    basic = build_auth(("a", "b"))
    assert isinstance(basic, httpcore.BasicAuth)
    own = httpcore.Auth()
    assert build_auth(own) is own
    assert isinstance(build_auth(lambda request: request), FunctionAuth)
    with pytest.raises(TypeError):
        build_auth(123)  # type: ignore[arg-type]


# --- through a client, without network ------------------------------------------------


def challenge_server(request):
    if request.headers.get("authorization") == "Token n1-signed":
        return httpcore.Response(200, text="welcome", request=request)
    return httpcore.Response(401, json={"nonce": "n1"}, request=request)


async def test_challenge_through_the_client(backend):
    dispatch = MockDispatch(challenge_server)
    async with httpcore.AsyncClient(dispatch=dispatch, auth=ChallengeAuth()) as client:
        response = await client.get("https://example.org/")
    assert response.text == "welcome"
    assert len(dispatch.requests) == 2
    assert response.history == []  # auth retries are not redirects


async def test_auth_flow_error_closes_the_response(backend):
    class Broken(httpcore.Auth):
        def auth_flow(self, request):
            yield request
            raise ValueError("broken flow")

    responses = []

    def handler(request):
        responses.append(httpcore.AsyncResponse(200, request=request))
        return responses[-1]

    async with httpcore.AsyncClient(
        dispatch=MockDispatch(handler), auth=Broken()
    ) as client:
        with pytest.raises(ValueError, match="broken flow"):
            await client.get("https://example.org/")
    assert len(responses) == 1
    assert responses[0].is_closed


async def test_requires_request_body_reads_a_streamed_body(backend):
    class Resend(httpcore.Auth):
        requires_request_body = True

        def auth_flow(self, request):
            yield request
            yield request

    dispatch = MockDispatch(lambda request: httpcore.Response(200, request=request))
    async with httpcore.AsyncClient(dispatch=dispatch, auth=Resend()) as client:
        await client.post("https://example.org/", content=iter([b"a", b"b"]))
    assert dispatch.bodies == [b"ab", b"ab"]


def test_sync_client_runs_the_same_flow():
    from tests.client import SyncMockDispatch

    dispatch = SyncMockDispatch(challenge_server)
    with httpcore.Client(dispatch=dispatch) as client:
        response = client.get("https://example.org/", auth=ChallengeAuth())
    assert response.text == "welcome"
    assert len(dispatch.requests) == 2


# --- against the real server ----------------------------------------------------------


async def test_basic_auth_tuple_on_the_client(backend, server):
    url = server.url + "/basic_auth?user=alice&passwd=secret"
    async with httpcore.AsyncClient(
        backend=backend, auth=("alice", "secret")
    ) as client:
        response = await client.get(url)
        assert response.status_code == 200
        assert response.json() == {"authenticated": True, "user": "alice"}
        refused = await client.get(url, auth=None)
        assert refused.status_code == 401
        with pytest.raises(httpcore.HTTPStatusError):
            refused.raise_for_status()


async def test_basic_auth_per_request(backend, server):
    url = server.url + "/basic_auth?user=bob&passwd=pw"
    async with httpcore.AsyncClient(backend=backend) as client:
        assert (await client.get(url)).status_code == 401
        response = await client.get(url, auth=httpcore.BasicAuth("bob", "pw"))
        assert response.status_code == 200


async def test_basic_auth_from_the_url(backend, server):
    url = server.url.replace("://", "://carol:p%40ss@") + "/basic_auth"
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(url, params={"user": "carol", "passwd": "p@ss"})
        assert response.status_code == 200


async def test_callable_auth(backend, server):
    def add_header(request):
        request.headers["Authorization"] = basic_auth_header("dan", "x")
        return request

    async with httpcore.AsyncClient(backend=backend, auth=add_header) as client:
        response = await client.get(server.url + "/basic_auth?user=dan&passwd=x")
        assert response.status_code == 200


async def test_retry_after_401_reuses_the_connection(backend, server):
    class RetryWithBasic(httpcore.Auth):
        def auth_flow(self, request):
            response = yield request
            if response.status_code == 401:
                assert response.headers["www-authenticate"] == 'Basic realm="test"'
                request.headers["Authorization"] = basic_auth_header("eve", "pw")
                yield request

    async with httpcore.AsyncClient(backend=backend, auth=RetryWithBasic()) as client:
        response = await client.get(server.url + "/basic_auth?user=eve&passwd=pw")
        assert response.status_code == 200
        info = client._dispatch.pool_info()
        assert info["active"] == 0 and info["idle"] == 1


def test_sync_client_basic_auth(server):
    with httpcore.Client(auth=("u", "p")) as client:
        response = client.get(server.url + "/basic_auth?user=u&passwd=p")
        assert response.json()["authenticated"] is True


# --- credentials in the URL ---------------------------------------------------------


async def test_url_credentials_never_reach_the_wire(backend, scripted_server):
    received: list[bytes] = []
    scripted = scripted_server(recorder(received))
    url = scripted.url.replace("://", "://us%40er:p%3Ass@") + "/path?q=1"
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(url)
    assert response.url == scripted.url + "/path?q=1"  # no credentials in it
    raw = received[0]
    assert raw.startswith(b"GET /path?q=1 HTTP/1.1\r\n")
    fields = raw_headers(raw)
    assert dict(fields)["host"] == scripted.url.split("://")[1]
    assert dict(fields)["authorization"] == basic_auth_header("us@er", "p:ss")
    assert b"us%40er" not in raw and b"p%3Ass" not in raw


async def test_explicit_auth_wins_over_url_credentials(backend, server):
    url = server.url.replace("://", "://wrong:wrong@") + "/basic_auth"
    async with httpcore.AsyncClient(backend=backend, auth=("right", "pw")) as client:
        response = await client.get(url, params={"user": "right", "passwd": "pw"})
        assert response.status_code == 200


async def test_url_credentials_follow_same_origin_redirects(backend, server):
    url = server.url.replace("://", "://ann:pw@") + "/redirect_to"
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            url, params={"url": "/basic_auth?user=ann&passwd=pw"}
        )
        assert response.status_code == 200
        assert response.history[0].url.userinfo == ""


# --- .netrc ---------------------------------------------------------------------------


@pytest.fixture
def netrc_file(tmp_path, monkeypatch):
    path = tmp_path / "netrc"
    path.write_text(
        "machine 127.0.0.1 login local password from-netrc\n"
        "machine localhost login other password other-pw\n"
    )
    monkeypatch.setenv("NETRC", str(path))
    return path


def test_netrc_auth_by_hand(netrc_file, tmp_path):
    auth = httpcore.NetRCAuth(netrc_file)
    sent = next(auth.auth_flow(httpcore.Request("GET", "http://127.0.0.1/")))
    assert sent.headers["Authorization"] == basic_auth_header("local", "from-netrc")
    unknown = next(auth.auth_flow(httpcore.Request("GET", "http://example.org/")))
    assert "authorization" not in unknown.headers
    # No file: NETRC, which the fixture set.
    assert isinstance(httpcore.NetRCAuth(), httpcore.NetRCAuth)
    assert repr(auth) == "NetRCAuth([secure])"
    default = tmp_path / "default"
    default.write_text("default login anyone password any-pw\n")
    fallback = next(
        httpcore.NetRCAuth(str(default)).auth_flow(
            httpcore.Request("GET", "http://example.org/")
        )
    )
    assert fallback.headers["Authorization"] == basic_auth_header("anyone", "any-pw")
    with pytest.raises(FileNotFoundError):
        httpcore.NetRCAuth(tmp_path / "missing")
    broken = tmp_path / "broken"
    broken.write_text("machine\n")
    with pytest.raises(netrc.NetrcParseError):
        httpcore.NetRCAuth(broken)


def test_netrc_auth_lookup_follows_the_file(tmp_path, monkeypatch):
    path = tmp_path / "netrc"
    monkeypatch.setenv("NETRC", str(path))
    assert netrc_auth("example.org") is None  # no file
    path.write_text("machine example.org login a password b\n")
    found = netrc_auth("example.org")
    assert found is not None and found._header == basic_auth_header("a", "b")
    assert netrc_auth("other.org") is None
    path.write_text("machine example.org login changed password c\n")
    found = netrc_auth("example.org")
    assert found is not None and found._header == basic_auth_header("changed", "c")
    path.write_text("machine\n")  # does not parse: ignored
    assert netrc_auth("example.org") is None
    path.write_text("machine example.org account only\n")  # no credentials
    assert netrc_auth("example.org") is None
    monkeypatch.delenv("NETRC")
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".netrc").write_text("machine home.org login h password p\n")
    assert netrc_path() == str(tmp_path / ".netrc")
    assert netrc_auth("home.org") is not None


async def test_netrc_is_used_under_trust_env(backend, server, netrc_file):
    url = server.url + "/basic_auth?user=local&passwd=from-netrc"
    async with httpcore.AsyncClient(backend=backend) as client:
        assert (await client.get(url)).status_code == 200
        # auth=None on a request: no auth at all.
        assert (await client.get(url, auth=None)).status_code == 401
        # Any other auth wins.
        assert (await client.get(url, auth=("x", "y"))).status_code == 401
        crossed = server.url.replace("://", "://x:y@") + "/basic_auth"
        assert (await client.get(crossed, params={"user": "local"})).status_code == 401
    async with httpcore.AsyncClient(backend=backend, trust_env=False) as client:
        assert (await client.get(url)).status_code == 401
        explicit = httpcore.NetRCAuth(netrc_file)
        assert (await client.get(url, auth=explicit)).status_code == 200


async def test_netrc_is_looked_up_by_each_hop_host(backend, server, netrc_file):
    other = server.url.replace("127.0.0.1", "localhost")
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(
            server.url + "/redirect_to", params={"url": other + "/echo"}
        )
        headers = dict(response.json()["headers"])
        assert headers["authorization"] == basic_auth_header("other", "other-pw")
        assert response.history[0].request.headers["authorization"] == (
            basic_auth_header("local", "from-netrc")
        )
    # An explicit NetRCAuth picks by host too, so it goes along redirects.
    async with httpcore.AsyncClient(
        backend=backend, trust_env=False, auth=httpcore.NetRCAuth(netrc_file)
    ) as client:
        response = await client.get(
            server.url + "/redirect_to", params={"url": other + "/echo"}
        )
        headers = dict(response.json()["headers"])
        assert headers["authorization"] == basic_auth_header("other", "other-pw")
    # Other explicit auth stays with its origin.
    async with httpcore.AsyncClient(
        backend=backend, trust_env=False, auth=("u", "p")
    ) as client:
        response = await client.get(
            server.url + "/redirect_to", params={"url": other + "/echo"}
        )
        assert "authorization" not in dict(response.json()["headers"])


# --- auth that needs the bodies, against the real server ------------------------------


class BodySigningAuth(httpcore.Auth):
    """Signs the request body: it needs the body in memory."""

    requires_request_body = True

    def auth_flow(self, request):
        digest = hashlib.sha256(request.content).hexdigest()
        request.headers["X-Body-SHA256"] = digest
        yield request


class ReadsTheChallengeAuth(httpcore.Auth):
    """Answers a 401 after reading its body: it needs the response body."""

    requires_response_body = True

    def __init__(self):
        self.bodies = []

    def auth_flow(self, request):
        response = yield request
        if response.status_code == 401:
            self.bodies.append(response.text)
            request.headers["Authorization"] = basic_auth_header("user", "passwd")
            yield request


async def test_auth_that_needs_the_request_body(backend, server):
    async with httpcore.AsyncClient(backend=backend, auth=BodySigningAuth()) as client:
        response = await client.post(
            server.url + "/echo", content=iter([b"streamed ", b"body"])
        )
    echo = response.json()
    assert echo["body"] == "streamed body"
    headers = dict(echo["headers"])
    assert headers["x-body-sha256"] == hashlib.sha256(b"streamed body").hexdigest()


async def test_auth_that_needs_the_response_body(backend, server):
    auth = ReadsTheChallengeAuth()
    async with httpcore.AsyncClient(backend=backend, auth=auth) as client:
        response = await client.get(server.url + "/basic_auth")
        assert response.status_code == 200
        assert auth.bodies == ["unauthorized"]
        assert client._dispatch.pool_info()["idle"] == 1


def test_one_off_requests_use_netrc_and_auth(server, netrc_file):
    url = server.url + "/basic_auth?user=local&passwd=from-netrc"
    assert httpcore.get(url).status_code == 200
    assert httpcore.get(url, trust_env=False).status_code == 401
    with httpcore.stream("GET", url, auth=("local", "from-netrc")) as response:
        assert response.status_code == 200
    digest = httpcore.get(
        server.url + "/digest_auth", auth=httpcore.DigestAuth("user", "passwd")
    )
    assert digest.status_code == 200
