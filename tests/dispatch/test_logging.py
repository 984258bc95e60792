"""DEBUG logs under `httpcore.*`: what they show, and what they never show."""

from __future__ import annotations

import logging

import pytest

import httpcore
from httpcore._dispatch import trace as trace_module


def messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


async def test_http11_logs(backend, server, caplog):
    caplog.set_level(logging.DEBUG, logger="httpcore")
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        for _ in range(2):
            await pool.request(
                "POST",
                "http://user:hunter2@"
                + server.url.split("//")[1]
                + "/set_cookie?s=tok",
                headers=[(b"Authorization", b"Bearer abc"), (b"Cookie", b"sid=xyz")],
                content=b"secret body",
            )
    pool_logs = messages(caplog, "httpcore.pool")
    assert pool_logs[0].startswith("open new connection")
    assert pool_logs[1].startswith("reuse connection")
    assert "POST http://127.0.0.1" in pool_logs[0]
    connection_logs = messages(caplog, "httpcore.connection")
    assert connection_logs[0].startswith("connect_tcp.started host='127.0.0.1'")
    assert connection_logs[1].startswith("connect_tcp.complete")
    assert connection_logs[-1].startswith("close connection")
    http11 = messages(caplog, "httpcore.http11")
    assert http11[0].startswith(
        "send_request_headers.started request=<Request [POST http://127.0.0.1"
    )
    head = next(m for m in http11 if m.startswith("receive_response_headers.complete"))
    assert "return_value=(b'HTTP/1.1', 200, b''" in head
    assert "(b'set-cookie', b'[secure]')" in head
    everything = caplog.text
    for secret in ("hunter2", "Bearer abc", "sid=xyz", "s=tok;", "secret body"):
        assert secret not in everything
    assert "Hello" not in everything


async def test_tls_and_http2_logs(backend, tls_server, ca_file, caplog):
    caplog.set_level(logging.DEBUG, logger="httpcore")
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=ca_file, http2=True
    ) as pool:
        await pool.request("GET", tls_server.url + "/")
    connection_logs = messages(caplog, "httpcore.connection")
    [tls] = [m for m in connection_logs if m.startswith("TLS to")]
    assert "version=TLSv1.3 alpn='h2'" in tls
    http2 = messages(caplog, "httpcore.http2")
    assert http2[0].startswith("send_connection_init.started")
    assert any(m.startswith("receive_response_headers.complete") for m in http2)


async def test_retries_are_logged(backend, closed_port, caplog, monkeypatch):
    from httpcore._dispatch import connection

    monkeypatch.setattr(connection, "RETRY_BACKOFF", 0.001)
    caplog.set_level(logging.DEBUG, logger="httpcore")
    async with httpcore.AsyncConnectionPool(backend=backend, retries=1) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", f"http://127.0.0.1:{closed_port}/")
    logs = messages(caplog, "httpcore.connection")
    assert any("connect attempt 1" in m and "retrying" in m for m in logs)
    assert any(m.startswith("connect_tcp.failed") for m in logs)


def test_nothing_is_built_when_debug_is_off():
    logger = logging.getLogger("httpcore.http11")
    request = httpcore.Request("GET", "http://example.org/")
    assert not logger.isEnabledFor(logging.DEBUG)
    step = trace_module.trace("http11.x", logger, request, {})
    assert step is trace_module.UNTRACED
    step.return_value = 1
    assert step.return_value is None


def test_logging_is_silent_by_default(server, caplog):
    caplog.set_level(logging.INFO)
    with httpcore.ConnectionPool() as pool:
        pool.request("GET", server.url + "/")
    assert [r for r in caplog.records if r.name.startswith("httpcore")] == []


async def test_informational_responses_are_logged(backend, scripted_server, caplog):
    def handler(conn) -> None:
        conn.read_request()
        conn.send(
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        )

    server = scripted_server(handler)
    caplog.set_level(logging.DEBUG, logger="httpcore")
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.status == 200 and response.content == b"ok"
    [line] = [
        m
        for m in messages(caplog, "httpcore.http11")
        if m.startswith("receive_informational_response")
    ]
    assert "status_code=103" in line and "</a.css>" in line
