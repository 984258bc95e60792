"""Proxies at https:// URLs: TLS to the proxy, and TLS inside it."""

from __future__ import annotations

import json

import pytest

from httpcore import ProxyError
from httpcore._dispatch.proxy import AsyncHTTPProxy


async def test_forward_through_tls_proxy(backend, tls_proxy_server, server, ca_file):
    url = tls_proxy_server.url(credentials=True)
    assert url.startswith("https://")
    async with AsyncHTTPProxy(url, verify=ca_file, backend=backend) as proxy:
        response = await proxy.request("GET", server.url + "/echo")
        assert response.status == 200
        names = {name.lower() for name, _ in json.loads(response.content)["headers"]}
        assert "proxy-authorization" not in names


@pytest.mark.parametrize("http2", [False, True])
async def test_tls_in_tls(backend, tls_proxy_server, tls_server, ca_file, http2):
    url = tls_proxy_server.url(credentials=True)
    async with AsyncHTTPProxy(
        url, verify=ca_file, http2=http2, backend=backend
    ) as proxy:
        for _ in range(2):
            response = await proxy.request("GET", tls_server.url + "/echo")
            assert response.status == 200
            echoed = json.loads(response.content)
            assert echoed["http_version"] == ("2" if http2 else "1.1")
            names = {name.lower() for name, _ in echoed["headers"]}
            assert "proxy-authorization" not in names
        assert len(proxy.connections) == 1


async def test_tls_proxy_refuses_connect(
    backend, tls_proxy_server, tls_server, ca_file, no_fd_leak
):
    async with AsyncHTTPProxy(
        tls_proxy_server.url(), verify=ca_file, backend=backend
    ) as proxy:
        with pytest.raises(ProxyError, match="407"):
            await proxy.request("GET", tls_server.url + "/")
