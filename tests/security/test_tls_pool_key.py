"""
Every TLS setting is part of the pool key: a request with `verify=False`, a
different CA file, a client certificate or a different SNI name gets its own
connection, and a connection made under one setting never serves a request
made under another. Proved from the server side: a TLS server that records,
per connection, the SNI name it was sent and the client certificate shown.
"""

from __future__ import annotations

import shutil
import ssl
import threading

import pytest

import httpcore
from httpcore._config import ssl_context_for
from tests.servers import tls


class TLSRecorder:
    """A keep-alive TLS server that records each connection's SNI and client cert."""

    def __init__(self, scripted_server, cert_authority) -> None:
        self.sni: list[str | None] = []
        self.peers: list[str | None] = []
        self.requests_per_connection: list[int] = []
        self._lock = threading.Lock()
        context = tls.server_ssl_context(alpn=["http/1.1"])
        context.verify_mode = ssl.CERT_OPTIONAL  # record a client cert if shown
        cert_authority.configure_trust(context)
        context.sni_callback = self._on_sni
        self.server = scripted_server(self._handle, ssl_context=context)

    def _on_sni(self, sock, name, context) -> None:
        with self._lock:
            self.sni.append(name)

    def _handle(self, conn) -> None:
        peer = conn.sock.getpeercert()
        # The first subjectAltName of the client certificate, if one was shown.
        subject = peer["subjectAltName"][0][1] if peer else None
        with self._lock:
            self.peers.append(subject)
            index = len(self.requests_per_connection)
            self.requests_per_connection.append(0)
        for _ in range(100):  # bounded
            if not conn.read_request():
                return
            with self._lock:
                self.requests_per_connection[index] += 1
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def connections(self) -> int:
        return self.server.accepted


@pytest.fixture
def other_ca_file(tmp_path, ca_file) -> str:
    """The same CA, in another file: another verify= setting that also works."""
    path = tmp_path / "other-ca.pem"
    shutil.copyfile(ca_file, path)
    return str(path)


@pytest.fixture
def client_cert(tmp_path, cert_authority) -> str:
    cert = cert_authority.issue_cert("client.example")
    path = tmp_path / "client.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(path))
    return str(path)


async def test_each_tls_setting_gets_its_own_connection_through_the_client(
    backend, scripted_server, cert_authority, ca_file, other_ca_file, client_cert
):
    server = TLSRecorder(scripted_server, cert_authority)
    url = server.url + "/"
    settings = [
        {},  # the client's verify=ca_file
        {"verify": False},
        {"verify": other_ca_file},
        {"cert": client_cert},
    ]
    async with httpcore.AsyncClient(backend=backend, verify=ca_file) as client:
        for round_ in range(2):
            for index, kwargs in enumerate(settings):
                response = await client.get(url, **kwargs)
                assert response.text == "ok"
                # First round: a new connection each; second: each reused.
                expected = index + 1 if round_ == 0 else len(settings)
                assert server.connections == expected, (round_, kwargs)
        # SNI is a setting too: a request by another name, same address.
        named = httpcore.Request("GET", url, extensions={"sni_hostname": "localhost"})
        response = await client.send(named)
        assert response.text == "ok"
        assert server.connections == len(settings) + 1
        assert client._dispatch.pool_info()["active"] == 0
    assert server.requests_per_connection == [2, 2, 2, 2, 1]
    # The client certificate was shown on its own connection only.
    assert server.peers == [None, None, None, "client.example", None]
    assert server.sni[-1] == "localhost"


async def test_each_tls_setting_gets_its_own_connection_through_the_pool(
    backend, scripted_server, cert_authority, ca_file, other_ca_file, client_cert
):
    server = TLSRecorder(scripted_server, cert_authority)
    url = server.url + "/"
    contexts = [
        None,  # the pool's verify=ca_file
        ssl_context_for(False),
        ssl_context_for(other_ca_file),
        ssl_context_for(ca_file, client_cert),
    ]
    async with httpcore.AsyncConnectionPool(backend=backend, verify=ca_file) as pool:
        for round_ in range(2):
            for index, context in enumerate(contexts):
                extensions = {} if context is None else {"ssl_context": context}
                response = await pool.request("GET", url, extensions=extensions)
                assert response.content == b"ok"
                expected = index + 1 if round_ == 0 else len(contexts)
                assert server.connections == expected, (round_, index)
        for name in ("localhost", "localhost", "127.0.0.1"):
            await pool.request("GET", url, extensions={"sni_hostname": name})
        assert server.connections == len(contexts) + 2
        assert pool.pool_info()["idle"] == len(contexts) + 2
    assert server.requests_per_connection == [2, 2, 2, 2, 2, 1]
    assert server.peers == [None, None, None, "client.example", None, None]
    # An IP address is never sent as SNI; the name is, on its own connection.
    assert server.sni[-2:] == ["localhost", None]


async def test_an_unverified_connection_is_never_reused_for_a_verified_request(
    backend, scripted_server, cert_authority, ca_file, unknown_ca_file, no_fd_leak
):
    server = TLSRecorder(scripted_server, cert_authority)
    async with httpcore.AsyncClient(backend=backend, verify=False) as client:
        response = await client.get(server.url + "/")
        assert response.text == "ok"
        assert client._dispatch.pool_info()["idle"] == 1
        # A CA that did not sign the server's certificate: verified on a new
        # connection, and refused, although an idle one to the same origin
        # is right there.
        with pytest.raises(httpcore.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(server.url + "/", verify=unknown_ca_file)
        info = client._dispatch.pool_info()
        assert info["idle"] == 1 and info["active"] == 0 and info["connecting"] == 0
    assert server.requests_per_connection[0] == 1
    assert server.connections == 2
