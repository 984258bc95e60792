"""
TLS handshakes that must fail: a server answering the ClientHello with
garbage, a certificate for another name, an expired one, one from an unknown
authority. Each ends in `ConnectError` naming what failed, through the pool
and through the client, against servers offering HTTP/1.1 only or h2 by ALPN.
Nothing falls back to plain HTTP or to an unverified connection (the server
sees exactly one connection, and it starts with a TLS handshake), and no
connection or socket is left behind.
"""

from __future__ import annotations

import threading

import pytest

import httpcore
from tests.servers import tls
from tests.servers.scripted import ScriptedConnection, ScriptedServer

ALPN = {"http11": ["http/1.1"], "h2": ["h2", "http/1.1"]}
TLS_HANDSHAKE_RECORD = 0x16  # the first byte of a ClientHello
CUT_SHORT = "The server closed the connection during the TLS handshake"


def assert_nothing_left(pool: httpcore.AsyncConnectionPool) -> None:
    info = pool.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0, info
    assert pool.connections == []


class FirstBytes:
    """A plain TCP handler: records each connection's first bytes, answers junk."""

    def __init__(self, answer: bytes, *, close: bool = False) -> None:
        self.answer = answer
        self.close = close
        self.seen: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, conn: ScriptedConnection) -> None:
        data = conn.sock.recv(65536)
        with self._lock:
            self.seen.append(data)
        if data:
            conn.send(self.answer)
        if not self.close:
            conn.wait_for_close()


def cert_server(scripted_server, cert, alpn: str) -> ScriptedServer:
    context = tls.server_ssl_context(ALPN[alpn], cert=cert)

    def handler(conn: ScriptedConnection) -> None:  # pragma: no cover
        raise AssertionError("the handshake must not succeed")

    return scripted_server(handler, ssl_context=context)


async def refused_by_pool(backend: str, url: str, verify, match: str) -> None:
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=verify, http2=True, timeout=10.0
    ) as pool:
        with pytest.raises(httpcore.ConnectError, match=match):
            await pool.request("GET", url)
        assert_nothing_left(pool)
        # A second try verifies again: nothing was cached as trusted.
        with pytest.raises(httpcore.ConnectError, match=match):
            await pool.request("GET", url)
        assert_nothing_left(pool)


async def refused_by_client(backend: str, url: str, verify, match: str) -> None:
    async with httpcore.AsyncClient(
        backend=backend, verify=verify, trust_env=False, timeout=10.0
    ) as client:
        with pytest.raises(httpcore.ConnectError, match=match) as info:
            await client.get(url)
        assert info.value.request.url == url
        pool = client._dispatch
        assert isinstance(pool, httpcore.AsyncConnectionPool)
        assert_nothing_left(pool)


def assert_one_tls_attempt(server: ScriptedServer, attempts: int) -> None:
    """Every connection the server saw was a TLS one that failed: none plain."""
    assert server.join(5.0)
    assert server.accepted == attempts
    # Each handshake failed on the server's side too (an SSL error, or the
    # client hanging up): no handler ever ran.
    assert len(server.errors) == attempts, server.errors
    assert all(isinstance(e, OSError) for e in server.errors), server.errors


@pytest.mark.parametrize("via", ["pool", "client"])
@pytest.mark.parametrize("alpn", ["http11", "h2"])
async def test_certificate_not_naming_the_ip_address_is_refused(
    backend, scripted_server, ca_file, alpn, via, no_fd_leak
):
    server = cert_server(scripted_server, tls.wrong_host_cert(), alpn)
    refuse = refused_by_pool if via == "pool" else refused_by_client
    await refuse(
        backend, server.url + "/", ca_file, "certificate verify failed: IP address"
    )
    assert_one_tls_attempt(server, 2 if via == "pool" else 1)


@pytest.mark.parametrize("via", ["pool", "client"])
async def test_certificate_for_another_hostname_names_the_mismatch(
    backend, scripted_server, ca_file, via, no_fd_leak
):
    server = cert_server(scripted_server, tls.wrong_host_cert(), "h2")
    url = server.url.replace("127.0.0.1", "localhost") + "/"
    refuse = refused_by_pool if via == "pool" else refused_by_client
    await refuse(backend, url, ca_file, "certificate verify failed: Hostname mismatch")
    assert_one_tls_attempt(server, 2 if via == "pool" else 1)


@pytest.mark.parametrize("via", ["pool", "client"])
@pytest.mark.parametrize("alpn", ["http11", "h2"])
async def test_expired_certificate_is_refused(
    backend, scripted_server, ca_file, alpn, via, no_fd_leak
):
    server = cert_server(scripted_server, tls.expired_cert(), alpn)
    refuse = refused_by_pool if via == "pool" else refused_by_client
    await refuse(
        backend,
        server.url + "/",
        ca_file,
        "certificate verify failed: certificate has expired",
    )
    assert_one_tls_attempt(server, 2 if via == "pool" else 1)


@pytest.mark.parametrize("via", ["pool", "client"])
@pytest.mark.parametrize("alpn", ["http11", "h2"])
async def test_certificate_from_an_unknown_authority_is_refused(
    backend, scripted_server, unknown_ca_file, alpn, via, no_fd_leak
):
    server = cert_server(scripted_server, tls.server_cert(), alpn)
    refuse = refused_by_pool if via == "pool" else refused_by_client
    await refuse(
        backend,
        server.url + "/",
        unknown_ca_file,
        "certificate verify failed: unable to get local issuer certificate",
    )
    assert_one_tls_attempt(server, 2 if via == "pool" else 1)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        pytest.param(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
            "WRONG_VERSION_NUMBER",
            id="http",
        ),
        pytest.param(bytes(range(256)) * 4, "WRONG_VERSION_NUMBER", id="garbage"),
        # A well-framed handshake record holding nonsense.
        pytest.param(
            b"\x16\x03\x03\x00\x08" + b"\xff" * 8, "UNEXPECTED_MESSAGE", id="record"
        ),
        # The start of a record, then the server hangs up; or no answer at all.
        pytest.param(b"\x16\x03\x03\x10\x00\x02", CUT_SHORT, id="truncated"),
        pytest.param(b"", CUT_SHORT, id="closed"),
    ],
)
@pytest.mark.parametrize("via", ["pool", "client"])
async def test_garbage_answer_to_the_client_hello(
    backend, scripted_server, ca_file, answer, match, via, no_fd_leak
):
    handler = FirstBytes(answer, close=True)
    plain = scripted_server(handler)
    url = plain.url.replace("http://", "https://") + "/"
    refuse = refused_by_pool if via == "pool" else refused_by_client
    await refuse(backend, url, ca_file, match)
    assert plain.join(5.0)
    assert plain.errors == []
    # Each attempt was a ClientHello: no plain-HTTP retry followed it.
    assert handler.seen and len(handler.seen) == plain.accepted
    assert all(data[0] == TLS_HANDSHAKE_RECORD for data in handler.seen)
