"""SOCKS5 proxies through a real pproxy: local and proxy DNS, credentials."""

from __future__ import annotations

import json

import pytest

from httpcore import ProxyError
from httpcore._dispatch.socks import AsyncSOCKSProxy, SOCKSProxy
from tests.servers.proxy import PASSWORD, USERNAME


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
async def test_socks_http(backend, proxy_server, server, scheme):
    async with AsyncSOCKSProxy(proxy_server.url(scheme), backend=backend) as proxy:
        response = await proxy.request("GET", server.url + "/")
        assert response.content == b"Hello, world!"


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
async def test_socks_https_by_hostname(
    backend, auth_proxy_server, tls_server, ca_file, scheme
):
    url = auth_proxy_server.url(scheme, credentials=True)
    origin = tls_server.url.replace("127.0.0.1", "localhost")
    async with AsyncSOCKSProxy(
        url, verify=ca_file, http2=True, backend=backend
    ) as proxy:
        for _ in range(2):
            response = await proxy.request("GET", origin + "/echo")
            assert response.extensions["http_version"] == b"HTTP/2"
            names = {n.lower() for n, _ in json.loads(response.content)["headers"]}
            assert "proxy-authorization" not in names
        assert len(proxy.connections) == 1


async def test_socks_bad_credentials(backend, auth_proxy_server, server, no_fd_leak):
    async with AsyncSOCKSProxy(
        auth_proxy_server.url("socks5"),
        proxy_auth=(USERNAME, PASSWORD + "x"),
        backend=backend,
    ) as proxy:
        with pytest.raises(ProxyError):
            await proxy.request("GET", server.url + "/")
        assert proxy.connections == []


async def test_socks_no_acceptable_method(
    backend, auth_proxy_server, server, no_fd_leak
):
    async with AsyncSOCKSProxy(
        auth_proxy_server.url("socks5"), backend=backend
    ) as proxy:
        with pytest.raises(ProxyError):
            await proxy.request("GET", server.url + "/")


def scripted_socks(answer: bytes):
    def handler(conn):
        conn.sock.recv(16)
        conn.send(answer)

    return handler


async def test_socks_method_refused_scripted(backend, scripted_server, no_fd_leak):
    fake = scripted_server(scripted_socks(b"\x05\xff"))
    url = fake.url.replace("http://", "socks5://")
    async with AsyncSOCKSProxy(url, backend=backend) as proxy:
        with pytest.raises(ProxyError, match="auth method"):
            await proxy.request("GET", "http://127.0.0.1:1/")


async def test_socks_connect_refused_scripted(backend, scripted_server, no_fd_leak):
    def handler(conn):
        conn.sock.recv(16)
        conn.send(b"\x05\x00")
        conn.sock.recv(64)
        conn.send(b"\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00")

    fake = scripted_server(handler)
    url = fake.url.replace("http://", "socks5://")
    async with AsyncSOCKSProxy(url, backend=backend) as proxy:
        with pytest.raises(ProxyError, match="CONNECTION_REFUSED"):
            await proxy.request("GET", "http://127.0.0.1:1/")


async def test_socks_closed_early(backend, scripted_server, no_fd_leak):
    def handler(conn):
        conn.sock.recv(16)

    fake = scripted_server(handler)
    url = fake.url.replace("http://", "socks5://")
    async with AsyncSOCKSProxy(url, backend=backend) as proxy:
        with pytest.raises(ProxyError, match="closed"):
            await proxy.request("GET", "http://127.0.0.1:1/")


def test_sync_socks_proxy(proxy_server, server):
    with SOCKSProxy(proxy_server.url("socks5h")) as proxy:
        assert proxy.request("GET", server.url + "/").status == 200


def test_rejects_http_url():
    with pytest.raises(ValueError):
        AsyncSOCKSProxy("http://127.0.0.1:1080")


def test_default_port():
    from httpcore._dispatch.socks import AsyncSOCKSProxy as P

    assert P("socks5://h")._proxy_origin.port == 1080


async def test_socks_password_refused_scripted(backend, scripted_server, no_fd_leak):
    def handler(conn):
        conn.sock.recv(16)
        conn.send(b"\x05\x02")
        conn.sock.recv(64)
        conn.send(b"\x01\x01")

    fake = scripted_server(handler)
    url = fake.url.replace("http://", "socks5://u:p@")
    async with AsyncSOCKSProxy(url, backend=backend) as proxy:
        with pytest.raises(ProxyError, match="refused the username"):
            await proxy.request("GET", "http://127.0.0.1:1/")


async def test_socks_invalid_reply_scripted(backend, scripted_server, no_fd_leak):
    fake = scripted_server(scripted_socks(b"\x04" * 300))
    url = fake.url.replace("http://", "socks5://")
    async with AsyncSOCKSProxy(url, backend=backend) as proxy:
        with pytest.raises(ProxyError, match="invalid reply"):
            await proxy.request("GET", "http://127.0.0.1:1/")
