"""`Client(proxies=...)` and the environment, through a real proxy."""

from __future__ import annotations

import pytest

import httpcore
from httpcore._config import Proxy
from tests.servers.proxy import PASSWORD, USERNAME


@pytest.fixture
def clean_env(monkeypatch):
    for name in ["http_proxy", "https_proxy", "all_proxy", "no_proxy"]:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


async def test_proxy_url(backend, auth_proxy_server, server, tls_server, ca_file):
    async with httpcore.AsyncClient(
        proxies=auth_proxy_server.url(credentials=True),
        verify=ca_file,
        backend=backend,
    ) as client:
        response = await client.get(server.url + "/echo")
        assert response.status_code == 200
        response = await client.get(tls_server.url + "/echo")
        assert response.status_code == 200
        assert "proxy-authorization" not in dict(response.json()["headers"])


async def test_routing_by_pattern(backend, auth_proxy_server, server, tls_server):
    # Plain http goes through the (credential-less, so 407) proxy; https direct.
    async with httpcore.AsyncClient(
        proxies={"http://": auth_proxy_server.url(), "https://": None},
        verify=False,
        backend=backend,
    ) as client:
        assert (await client.get(server.url + "/")).status_code == 407
        assert (await client.get(tls_server.url + "/")).status_code == 200


async def test_proxy_object_and_socks(backend, auth_proxy_server, tls_server, ca_file):
    proxy = Proxy(auth_proxy_server.url("socks5h"), auth=(USERNAME, PASSWORD))
    async with httpcore.AsyncClient(
        proxies={"all://": proxy}, verify=ca_file, backend=backend
    ) as client:
        response = await client.get(tls_server.url + "/")
        assert response.status_code == 200


async def test_refused_tunnel_is_proxy_error(
    backend, auth_proxy_server, tls_server, ca_file, no_fd_leak
):
    async with httpcore.AsyncClient(
        proxies=auth_proxy_server.url(), verify=ca_file, backend=backend
    ) as client:
        with pytest.raises(httpcore.ProxyError, match="407"):
            await client.get(tls_server.url + "/")


def test_env_proxies(clean_env, auth_proxy_server, server):
    clean_env.setenv("HTTP_PROXY", auth_proxy_server.url())
    with httpcore.Client() as client:
        assert client.get(server.url + "/").status_code == 407
    with httpcore.Client(trust_env=False) as client:
        assert client.get(server.url + "/").status_code == 200
    clean_env.setenv("no_proxy", "127.0.0.0/8")
    with httpcore.Client() as client:
        assert client.get(server.url + "/").status_code == 200


def test_sync_client_proxy(clean_env, proxy_server, server):
    with httpcore.Client(proxies=proxy_server.url()) as client:
        assert client.get(server.url + "/").status_code == 200


def test_proxies_with_dispatch_is_an_error():
    with pytest.raises(ValueError):
        httpcore.Client(
            proxies="http://127.0.0.1:1", dispatch=httpcore.ConnectionPool()
        )
