"""
Retries: the policy (`Retry`, `retry_flow`, the backoff and `Retry-After`),
driven with no network; then `Client(retries=...)` against scripted servers
on every backend, counting on the server side what was sent.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time

import pytest

import httpcore
from httpcore._retries import (
    Attempt,
    Retry,
    backoff_time,
    build_retry,
    parse_retry_after,
    retry_flow,
)

# --- the value object -------------------------------------------------------------


def test_retry_defaults_are_urllib3s():
    retry = Retry()
    assert retry.total == 3
    assert retry.backoff_factor == 0.0
    assert retry.backoff_max == 120.0
    assert retry.backoff_jitter == 0.0
    assert retry.status_forcelist == frozenset({413, 429, 503})
    assert retry.allowed_methods == frozenset(
        {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}
    )
    assert retry.respect_retry_after_header is True


def test_retry_is_an_immutable_value():
    retry = Retry(2, backoff_factor=0.5, allowed_methods=["get", "post"])
    assert retry.allowed_methods == frozenset({"GET", "POST"})
    assert retry == Retry(2, backoff_factor=0.5, allowed_methods={"POST", "GET"})
    assert hash(retry) == hash(
        Retry(2, backoff_factor=0.5, allowed_methods=["GET", "POST"])
    )
    assert retry != Retry(2)
    assert "total=2" in repr(retry) and "backoff_factor=0.5" in repr(retry)
    with pytest.raises(AttributeError, match="immutable"):
        retry.total = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"total": -1}, ValueError),
        ({"total": True}, ValueError),
        ({"total": 1.5}, ValueError),
        ({"backoff_factor": -1}, ValueError),
        ({"backoff_max": "1"}, ValueError),
        ({"allowed_methods": "GET"}, TypeError),
    ],
)
def test_retry_refuses_bad_values(kwargs, error):
    with pytest.raises(error):
        Retry(**kwargs)


def test_client_retries_accepts_int_retry_or_none():
    assert build_retry(None) is None
    assert build_retry(0) is None
    assert build_retry(Retry(0)) is None
    assert build_retry(2) == Retry(2)
    retry = Retry(5, backoff_factor=1.0)
    assert build_retry(retry) is retry
    with pytest.raises(TypeError, match="retries must be"):
        build_retry("3")  # type: ignore[arg-type]
    client = httpcore.Client(retries=4)
    try:
        assert client.retries == Retry(4)
        client.retries = None
        assert client.retries is None
    finally:
        client.close()


# --- backoff and Retry-After ------------------------------------------------------


def test_backoff_doubles_after_an_immediate_first_retry():
    retry = Retry(10, backoff_factor=0.5)
    assert [backoff_time(retry, n) for n in range(1, 6)] == [0.0, 1.0, 2.0, 4.0, 8.0]


def test_backoff_is_capped_at_backoff_max_jitter_included():
    retry = Retry(10, backoff_factor=1.0, backoff_max=5.0, backoff_jitter=2.0)
    assert backoff_time(retry, 2, lambda: 0.5) == 3.0  # 2 + 0.5 * 2
    assert backoff_time(retry, 3, lambda: 0.5) == 5.0  # 4 + 1, at the cap
    assert backoff_time(retry, 4, lambda: 0.0) == 5.0  # 8, capped
    assert backoff_time(retry, 1, lambda: 0.9) == 0.0


def test_backoff_jitter_defaults_to_a_random_part_within_its_bound():
    retry = Retry(10, backoff_factor=1.0, backoff_max=100.0, backoff_jitter=2.0)
    waits = [backoff_time(retry, 2) for _ in range(50)]
    assert all(2.0 <= wait < 4.0 for wait in waits)
    assert len(set(waits)) > 1  # random, not a constant


def test_retry_after_delta_seconds():
    assert parse_retry_after("120", now=0.0) == 120.0
    assert parse_retry_after(" 0 ", now=0.0) == 0.0


def test_retry_after_http_date():
    now = 1445412470.0  # 07:27:50 GMT
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 10.0
    # A date past: no wait.
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0.0


@pytest.mark.parametrize("value", ["", "soon", "-5", "1.5", "Wed, 21 Oct 2015"])
def test_retry_after_that_is_neither_is_ignored(value):
    assert parse_retry_after(value, now=0.0) is None


# --- the flow, with no network -----------------------------------------------------


def request(method="GET", content=b""):
    return httpcore.Request(method, "http://127.0.0.1:1/", content=content)


def response(status, headers=()):
    return httpcore.Response(status, headers=list(headers))


def test_flow_retries_a_503_then_stops_at_a_200():
    req = request()
    flow = retry_flow(req, Retry(3, backoff_factor=1.0))
    assert next(flow) == Attempt(req, 0, 0.0, "")
    first = flow.send(response(503))
    assert (first.number, first.wait, first.reason) == (1, 0.0, "503 response")
    second = flow.send(response(503))
    assert (second.number, second.wait) == (2, 2.0)
    with pytest.raises(StopIteration):
        flow.send(response(200))


def test_flow_returns_the_last_response_when_retries_are_used_up():
    flow = retry_flow(request(), Retry(2))
    next(flow)
    flow.send(response(429))
    flow.send(response(429))
    with pytest.raises(StopIteration):
        flow.send(response(429))


def test_flow_waits_what_retry_after_says_capped_at_backoff_max():
    flow = retry_flow(request(), Retry(3, backoff_max=30.0), now=lambda: 0.0)
    next(flow)
    assert flow.send(response(503, [("Retry-After", "7")])).wait == 7.0
    assert flow.send(response(429, [("Retry-After", "3600")])).wait == 30.0


def test_flow_ignores_retry_after_when_told_or_on_other_statuses():
    retry = Retry(3, backoff_factor=1.0, respect_retry_after_header=False)
    flow = retry_flow(request(), retry)
    next(flow)
    flow.send(response(503))
    assert flow.send(response(503, [("Retry-After", "7")])).wait == 2.0
    retry = Retry(3, backoff_factor=1.0, status_forcelist={500})
    flow = retry_flow(request(), retry)
    next(flow)
    assert flow.send(response(500, [("Retry-After", "7")])).wait == 0.0


def test_flow_does_not_wait_past_the_deadline():
    flow = retry_flow(request(), Retry(3), time_left=lambda: 5.0)
    next(flow)
    # Retry-After longer than the time left: stop, keep this response.
    with pytest.raises(StopIteration):
        flow.send(response(503, [("Retry-After", "10")]))
    error = httpcore.ConnectError("refused")
    flow = retry_flow(request(), Retry(3, backoff_factor=10.0), time_left=lambda: 5.0)
    next(flow)
    assert flow.throw(error).number == 1  # the first retry waits 0
    with pytest.raises(httpcore.ConnectError) as info:
        flow.throw(error)  # the second would wait 20 s
    assert info.value is error


def test_flow_does_not_retry_once_the_deadline_has_passed():
    flow = retry_flow(request(), Retry(3), time_left=lambda: 0.0)
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(response(503))


def test_flow_retries_statuses_for_allowed_methods_only():
    flow = retry_flow(request("POST"), Retry(3))
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(response(503))
    flow = retry_flow(request("POST"), Retry(3, allowed_methods={"POST"}))
    next(flow)
    assert flow.send(response(503)).number == 1
    flow = retry_flow(request("PATCH"), Retry(3, allowed_methods=None))
    next(flow)
    assert flow.send(response(503)).number == 1


@pytest.mark.parametrize(
    "error", [httpcore.ConnectError("refused"), httpcore.ConnectTimeout("slow")]
)
def test_flow_retries_connection_failures_for_any_method(error):
    flow = retry_flow(request("POST"), Retry(3))
    next(flow)
    attempt = flow.throw(error)
    assert attempt.number == 1 and attempt.reason.startswith(type(error).__name__)


@pytest.mark.parametrize(
    "error",
    [
        httpcore.ReadError("reset"),
        httpcore.WriteError("broken pipe"),
        httpcore.RemoteProtocolError("closed"),
        httpcore.ReadTimeout("slow"),
        httpcore.WriteTimeout("slow"),
    ],
)
def test_flow_retries_failures_after_sending_for_allowed_methods_only(error):
    flow = retry_flow(request("GET"), Retry(3))
    next(flow)
    assert flow.throw(error).number == 1
    flow = retry_flow(request("POST"), Retry(3))
    next(flow)
    with pytest.raises(type(error)):
        flow.throw(error)


@pytest.mark.parametrize(
    "error",
    [
        httpcore.PoolTimeout("full"),
        httpcore.LocalProtocolError("bad header"),
        httpcore.UnsupportedProtocol("ftp"),
    ],
)
def test_flow_does_not_retry_other_errors(error):
    flow = retry_flow(request("GET"), Retry(3))
    next(flow)
    with pytest.raises(type(error)):
        flow.throw(error)


def test_flow_does_not_retry_a_certificate_that_fails_verification():
    import ssl

    error = httpcore.ConnectError("certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("bad")
    flow = retry_flow(request(), Retry(3))
    next(flow)
    with pytest.raises(httpcore.ConnectError):
        flow.throw(error)


def test_flow_never_retries_a_one_shot_body():
    req = request("PUT", content=iter([b"a", b"b"]))
    flow = retry_flow(req, Retry(3))
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(response(503))
    flow = retry_flow(req, Retry(3))
    next(flow)
    with pytest.raises(httpcore.ConnectError):
        flow.throw(httpcore.ConnectError("refused"))


def test_flow_raises_the_last_error_when_retries_are_used_up():
    flow = retry_flow(request(), Retry(2))
    next(flow)
    flow.throw(httpcore.ReadError("first"))
    flow.throw(httpcore.ReadError("second"))
    last = httpcore.ReadError("third")
    with pytest.raises(httpcore.ReadError) as info:
        flow.throw(last)
    assert info.value is last


# --- against scripted servers, on every backend ------------------------------------


def reply(status: int, reason: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


OK = reply(200, "OK", body=b"ok")
BUSY = reply(503, "Service Unavailable", body=b"busy")
CLOSE = None  # read the request, close without answering


class Script:
    """
    A keep-alive handler: the n-th request gets `replies[n]` (the last one
    once they run out); records every request received, in order.
    """

    def __init__(self, *replies: bytes | None) -> None:
        self.replies = replies
        self.requests: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, conn) -> None:
        while True:
            raw = conn.read_request()
            if not raw:
                return
            with self._lock:
                n = len(self.requests)
                self.requests.append(raw)
            answer = self.replies[min(n, len(self.replies) - 1)]
            if answer is None:
                conn.close()
                return
            conn.send(answer)

    @property
    def methods(self) -> list[bytes]:
        with self._lock:
            return [raw.split(b" ", 1)[0] for raw in self.requests]


def assert_settled(client: httpcore.AsyncClient) -> None:
    info = client._dispatch.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0, info


async def test_a_503_is_retried_on_the_same_connection(
    backend, scripted_server, no_fd_leak
):
    script = Script(BUSY, OK)
    server = scripted_server(script)
    async with httpcore.AsyncClient(backend=backend, retries=2) as client:
        response = await client.get(server.url + "/")
        assert response.status_code == 200
        assert response.text == "ok"
        assert script.methods == [b"GET", b"GET"]
        # The 503 was drained and its connection went back to the pool, which
        # served the retry with it.
        assert server.accepted == 1
        assert_settled(client)
        assert client._dispatch.pool_info()["idle"] == 1


async def test_used_up_status_retries_return_the_last_response(
    backend, scripted_server, no_fd_leak
):
    script = Script(BUSY)
    server = scripted_server(script)
    async with httpcore.AsyncClient(backend=backend, retries=2) as client:
        response = await client.get(server.url + "/")
        assert response.status_code == 503
        assert response.text == "busy"
        assert len(script.requests) == 3
        assert_settled(client)


async def test_retries_zero_sends_once(backend, scripted_server, no_fd_leak):
    script = Script(BUSY, OK)
    server = scripted_server(script)
    async with httpcore.AsyncClient(backend=backend, retries=0) as client:
        response = await client.get(server.url + "/")
        assert response.status_code == 503
        assert len(script.requests) == 1
        assert_settled(client)


async def test_post_is_not_retried_on_503_by_default(
    backend, scripted_server, no_fd_leak
):
    script = Script(BUSY, OK)
    server = scripted_server(script)
    async with httpcore.AsyncClient(backend=backend, retries=3) as client:
        response = await client.post(server.url + "/", content=b"payload")
        assert response.status_code == 503
        assert script.methods == [b"POST"]
        assert_settled(client)


async def test_post_is_retried_when_allowed_methods_has_it(
    backend, scripted_server, no_fd_leak
):
    script = Script(BUSY, OK)
    server = scripted_server(script)
    retry = httpcore.Retry(3, allowed_methods={"POST"})
    async with httpcore.AsyncClient(backend=backend, retries=retry) as client:
        response = await client.post(server.url + "/", content=b"payload")
        assert response.status_code == 200
        assert script.methods == [b"POST", b"POST"]
        # The body was sent again, whole.
        assert all(raw.endswith(b"\r\n\r\npayload") for raw in script.requests)
        assert_settled(client)


async def test_a_one_shot_body_is_not_retried(backend, scripted_server, no_fd_leak):
    script = Script(BUSY, OK)
    server = scripted_server(script)
    retry = httpcore.Retry(3, allowed_methods={"POST"})
    async with httpcore.AsyncClient(backend=backend, retries=retry) as client:
        response = await client.post(server.url + "/", content=iter([b"pay", b"load"]))
        assert response.status_code == 503
        assert script.methods == [b"POST"]
        assert_settled(client)


async def test_a_connection_cut_after_the_request_is_retried_for_get_not_post(
    backend, scripted_server, no_fd_leak
):
    script = Script(CLOSE, OK)
    server = scripted_server(script)
    async with httpcore.AsyncClient(backend=backend, retries=2) as client:
        response = await client.get(server.url + "/")
        assert response.status_code == 200
        assert script.methods == [b"GET", b"GET"]
        assert_settled(client)

    script = Script(CLOSE, OK)
    server = scripted_server(script)
    async with httpcore.AsyncClient(backend=backend, retries=2) as client:
        with pytest.raises(httpcore.RemoteProtocolError, match="without sending"):
            await client.post(server.url + "/", content=b"payload")
        assert script.methods == [b"POST"]
        assert_settled(client)
        assert client._dispatch.connections == []


async def test_used_up_error_retries_raise_the_last_error(
    backend, scripted_server, no_fd_leak
):
    script = Script(CLOSE)
    server = scripted_server(script)
    async with httpcore.AsyncClient(backend=backend, retries=2) as client:
        with pytest.raises(httpcore.RemoteProtocolError, match="without sending"):
            await client.get(server.url + "/")
        assert script.methods == [b"GET", b"GET", b"GET"]
        assert_settled(client)
        assert client._dispatch.connections == []


async def test_a_failed_connection_is_retried_even_for_post(
    backend, scripted_server, no_fd_leak
):
    # Plain TCP that closes at once: the TLS handshake fails, before anything
    # of the request is sent.
    server = scripted_server(lambda conn: conn.reset())
    url = server.url.replace("http://", "https://")
    async with httpcore.AsyncClient(backend=backend, retries=2) as client:
        with pytest.raises(httpcore.ConnectError):
            await client.post(url + "/", content=b"payload")
        assert server.join(5.0)
        assert server.accepted == 3
        assert_settled(client)
        assert client._dispatch.connections == []


async def test_retry_after_is_honoured_and_capped(
    backend, scripted_server, caplog, no_fd_leak
):
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    script = Script(
        reply(503, "Busy", "Retry-After: 3600"),
        reply(429, "Too Many", f"Retry-After: {past}"),
        OK,
    )
    server = scripted_server(script)
    retry = httpcore.Retry(3, backoff_factor=10.0, backoff_max=0.05)
    caplog.set_level(logging.DEBUG, logger="httpcore.client")
    async with httpcore.AsyncClient(backend=backend, retries=retry) as client:
        response = await client.get(server.url + "/")
        assert response.status_code == 200
        assert len(script.requests) == 3
        assert_settled(client)
    retries = [r.getMessage() for r in caplog.records if r.name == "httpcore.client"]
    assert len(retries) == 2
    # An hour, capped at backoff_max; then a date past: no wait (the backoff
    # of 20 s does not apply when Retry-After says).
    assert "retry 1 of 3 for GET" in retries[0] and "in 0.05 s" in retries[0]
    assert "after 503 response" in retries[0]
    assert "retry 2 of 3" in retries[1] and "in 0 s" in retries[1]


async def test_a_retry_after_past_the_total_timeout_returns_the_response_at_once(
    backend, scripted_server, no_fd_leak
):
    script = Script(reply(503, "Busy", "Retry-After: 30"), OK)
    server = scripted_server(script)
    timeout = httpcore.Timeout(10.0, total=5.0)
    async with httpcore.AsyncClient(
        backend=backend, retries=3, timeout=timeout
    ) as client:
        response = await client.get(server.url + "/")
        assert response.status_code == 503
        assert len(script.requests) == 1
        assert_settled(client)


def test_the_sync_client_retries(scripted_server, no_fd_leak):
    script = Script(BUSY, BUSY, OK)
    server = scripted_server(script)
    with httpcore.Client(retries=httpcore.Retry(2)) as client:
        response = client.get(server.url + "/")
        assert response.status_code == 200
        assert len(script.requests) == 3
        assert_settled(client)
