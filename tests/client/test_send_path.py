"""
The client's plain path skips the work of features not in use (no auth, no
retries, no hooks, no redirect yet): each feature must still switch on when
it is there, whenever it was set. Through mock dispatchers: no network.
"""

from __future__ import annotations

import pytest

import httpcore
from tests.client import MockDispatch, SyncMockDispatch, ok


async def test_a_custom_dispatcher_never_sees_a_request_with_a_bad_header(backend):
    # The default pool checks requests itself; any other dispatcher relies on
    # the client's check.
    dispatch = MockDispatch(ok)
    async with httpcore.AsyncClient(dispatch=dispatch) as client:
        with pytest.raises(httpcore.LocalProtocolError, match="CR, LF"):
            await client.get("http://example.test/", headers={"X-Bad": "a\r\nb: c"})
        with pytest.raises(httpcore.LocalProtocolError, match="method"):
            await client.request("GE T", "http://example.test/")
    assert dispatch.requests == []


def test_a_sync_custom_dispatcher_never_sees_a_request_with_a_bad_header():
    dispatch = SyncMockDispatch(ok)
    with httpcore.Client(dispatch=dispatch) as client:
        with pytest.raises(httpcore.LocalProtocolError, match="CR, LF"):
            client.get("http://example.test/", headers={"X-Bad": "a\nb"})
    assert dispatch.requests == []


async def test_hooks_added_after_the_client_was_made_run(backend):
    seen: list[str] = []
    async with httpcore.AsyncClient(dispatch=MockDispatch(ok)) as client:
        await client.get("http://example.test/before")
        client.event_hooks["request"].append(lambda r: seen.append(f"> {r.url.path}"))
        client.event_hooks["response"].append(
            lambda r: seen.append(f"< {r.status_code}")
        )
        await client.get("http://example.test/after")
    assert seen == ["> /after", "< 200"]


async def test_auth_and_retries_set_after_the_client_was_made_apply(backend):
    calls: list[str | None] = []

    def handler(request):
        calls.append(request.headers.get("authorization"))
        status = 503 if len(calls) == 1 else 200
        return httpcore.Response(status, headers={"Retry-After": "0"}, request=request)

    async with httpcore.AsyncClient(dispatch=MockDispatch(handler)) as client:
        client.auth = ("user", "pass")
        client.retries = httpcore.Retry(2, status_forcelist={503})
        response = await client.get("http://example.test/")
    assert response.status_code == 200
    assert calls == ["Basic dXNlcjpwYXNz"] * 2


def redirects(*locations: str):
    """A handler: `/start` and each hop redirect along `locations`, then 200."""
    hops = dict(zip(["/start", *locations[:-1]], locations, strict=True))

    def handler(request):
        location = hops.get(request.url.path)
        if location is None:
            return httpcore.Response(200, text="end", request=request)
        return httpcore.Response(302, headers={"Location": location}, request=request)

    return handler


async def test_a_redirect_not_followed_resumes_and_counts_its_hop(backend):
    dispatch = MockDispatch(redirects("/a", "/b"))
    async with httpcore.AsyncClient(dispatch=dispatch, max_redirects=1) as client:
        first = await client.get("http://example.test/start", allow_redirects=False)
        assert first.status_code == 302
        second = await first.next()
        assert str(second.url) == "http://example.test/a"
        assert second.status_code == 302
        with pytest.raises(httpcore.TooManyRedirects, match="maximum of 1"):
            await second.next()
    assert [r.url.path for r in dispatch.requests] == ["/start", "/a"]


async def test_zero_max_redirects_refuses_the_first_redirect(backend):
    async with httpcore.AsyncClient(
        dispatch=MockDispatch(redirects("/a")), max_redirects=0
    ) as client:
        with pytest.raises(httpcore.TooManyRedirects, match="maximum of 0"):
            await client.get("http://example.test/start")
        final = await client.get("http://example.test/a")
    assert final.text == "end"
    assert final.history == []


def test_a_sync_redirect_chain_keeps_its_history():
    dispatch = SyncMockDispatch(redirects("/a", "/b"))
    with httpcore.Client(dispatch=dispatch) as client:
        response = client.get("http://example.test/start")
    assert response.text == "end"
    assert [r.url.path for r in response.history] == ["/start", "/a"]
    assert all(isinstance(r, httpcore.Response) for r in response.history)
