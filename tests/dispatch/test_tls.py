"""TLS: verification, CA files, SSLContext objects, and TLS in the pool key."""

from __future__ import annotations

import json
import ssl

import pytest

import httpcore
from httpcore._config import ssl_context_for


async def test_https_with_ca_file(backend, tls_server, ca_file):
    async with httpcore.AsyncConnectionPool(backend=backend, verify=ca_file) as pool:
        response = await pool.request("GET", tls_server.url + "/")
        assert response.status == 200
        assert response.content == b"Hello, world!"
        stream = response.extensions["network_stream"]
        assert stream.get_extra_info("ssl_object") is not None


async def test_https_by_hostname(backend, tls_server, ca_file):
    url = tls_server.url.replace("127.0.0.1", "localhost")
    async with httpcore.AsyncConnectionPool(backend=backend, verify=ca_file) as pool:
        response = await pool.request("GET", url + "/")
        assert response.status == 200


async def test_https_with_ssl_context(backend, tls_server, cert_authority):
    context = ssl.create_default_context()
    cert_authority.configure_trust(context)
    async with httpcore.AsyncConnectionPool(backend=backend, verify=context) as pool:
        response = await pool.request("GET", tls_server.url + "/")
        assert response.status == 200


async def test_unknown_ca_is_refused(backend, tls_server, unknown_ca_file, no_fd_leak):
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=unknown_ca_file
    ) as pool:
        with pytest.raises(httpcore.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await pool.request("GET", tls_server.url + "/")
        assert pool.connections == []


async def test_default_bundle_refuses_the_test_ca(backend, tls_server):
    async with httpcore.AsyncConnectionPool(backend=backend, trust_env=False) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", tls_server.url + "/")


async def test_verify_false_accepts_any_certificate(backend, tls_server):
    async with httpcore.AsyncConnectionPool(backend=backend, verify=False) as pool:
        response = await pool.request("GET", tls_server.url + "/")
        assert response.status == 200


async def test_tls_to_a_plain_http_server_fails(backend, server, no_fd_leak):
    url = server.url.replace("http://", "https://")
    async with httpcore.AsyncConnectionPool(backend=backend, verify=False) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", url + "/")
        assert pool.connections == []


async def test_unverified_connection_never_serves_a_verified_request(
    backend, tls_server, unknown_ca_file
):
    async with httpcore.AsyncConnectionPool(backend=backend, verify=False) as pool:
        await pool.request("GET", tls_server.url + "/conn")
        assert pool.pool_info()["idle"] == 1
        strict = ssl_context_for(unknown_ca_file)
        request = httpcore.Request(
            "GET", tls_server.url + "/conn", extensions={"ssl_context": strict}
        )
        # A verified request must open (and verify) its own connection.
        with pytest.raises(httpcore.ConnectError):
            await pool.send(request)
        assert pool.pool_info()["idle"] == 1


async def test_sni_hostname_extension(backend, tls_server, ca_file):
    url = tls_server.url.replace("127.0.0.1", "localhost")
    async with httpcore.AsyncConnectionPool(backend=backend, verify=ca_file) as pool:
        response = await pool.request(
            "GET", url + "/echo", extensions={"sni_hostname": "localhost"}
        )
        assert json.loads(response.content)["method"] == "GET"


def test_ssl_contexts_are_cached(ca_file):
    assert ssl_context_for(ca_file) is ssl_context_for(ca_file)
    assert ssl_context_for(True) is ssl_context_for(True)
    assert ssl_context_for(False) is not ssl_context_for(True)
    context = ssl.create_default_context()
    assert ssl_context_for(context) is context


def test_verify_false_context_does_not_check():
    context = ssl_context_for(False)
    assert context.verify_mode == ssl.CERT_NONE
    assert context.check_hostname is False


def test_missing_ca_path_is_a_clear_error(tmp_path):
    with pytest.raises(OSError, match="Could not find a CA bundle"):
        ssl_context_for(str(tmp_path / "missing.pem"))


def test_verify_of_the_wrong_type():
    with pytest.raises(TypeError, match="verify must be"):
        ssl_context_for(3)  # type: ignore[arg-type]


def test_ca_folder_and_env(tmp_path, ca_file, monkeypatch):
    context = ssl_context_for(str(tmp_path))
    assert context.verify_mode == ssl.CERT_REQUIRED
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    from_env = ssl_context_for(True)
    assert from_env is not ssl_context_for(True, trust_env=False)
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    assert ssl_context_for(True).verify_mode == ssl.CERT_REQUIRED


def test_client_certificate_is_loaded(tmp_path, cert_authority):
    client_cert = cert_authority.issue_cert("client@example.org")
    pem = tmp_path / "client.pem"
    client_cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
    context = ssl_context_for(True, str(pem))
    assert context is ssl_context_for(True, str(pem))
    key = tmp_path / "key.pem"
    crt = tmp_path / "crt.pem"
    client_cert.private_key_pem.write_to_path(str(key))
    client_cert.cert_chain_pems[0].write_to_path(str(crt))
    assert ssl_context_for(True, (str(crt), str(key))) is not context
