"""
Auth flows: driven by hand as generators (no network), then through the
clients against the real server, on every backend.
"""

from __future__ import annotations

import base64

import pytest

import httpcore
from httpcore._auth import FunctionAuth, basic_auth_header, build_auth
from tests.client import MockDispatch


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
