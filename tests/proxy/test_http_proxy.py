"""HTTP proxies: forwarding, CONNECT tunnels, credentials, and refusals."""

from __future__ import annotations

import json

import pytest

from httpcore import LocalProtocolError, ProxyError
from httpcore._dispatch.proxy import AsyncHTTPProxy, HTTPProxy
from tests.servers.proxy import PASSWORD, USERNAME


def no_proxy_headers(response, *, tunnelled: bool = True) -> dict:
    """The origin's view of the request, checked for leaked proxy headers.

    A forwarding proxy passes on the end-to-end headers it gets (extra
    `proxy_headers` included) by its own choice; through a tunnel, nothing
    meant for the proxy may reach the origin.
    """
    echoed = json.loads(response.content)
    names = {name.lower() for name, _ in echoed["headers"]}
    assert "proxy-authorization" not in names
    if tunnelled:
        assert "x-proxy-only" not in names
    return echoed


async def test_forward_http(backend, proxy_server, server):
    async with AsyncHTTPProxy(proxy_server.url(), backend=backend) as proxy:
        response = await proxy.request("GET", server.url + "/echo?a=1")
        assert response.status == 200
        echoed = no_proxy_headers(response, tunnelled=False)
        assert echoed["path"] == "/echo"
        assert echoed["query"] == "a=1"


async def test_forward_reuses_one_proxy_connection(backend, proxy_server, server):
    async with AsyncHTTPProxy(proxy_server.url(), backend=backend) as proxy:
        for _ in range(3):
            response = await proxy.request("GET", server.url + "/")
            assert response.content == b"Hello, world!"
        assert len(proxy.connections) == 1


async def test_forward_with_credentials(backend, auth_proxy_server, server):
    url = auth_proxy_server.url(credentials=True)
    async with AsyncHTTPProxy(
        url, proxy_headers={"X-Proxy-Only": "1"}, backend=backend
    ) as proxy:
        response = await proxy.request("POST", server.url + "/echo", content=b"hi")
        assert response.status == 200
        assert no_proxy_headers(response, tunnelled=False)["body"] == "hi"


async def test_tunnel_https(backend, proxy_server, tls_server, ca_file):
    async with AsyncHTTPProxy(
        proxy_server.url(), verify=ca_file, backend=backend
    ) as proxy:
        for _ in range(2):
            response = await proxy.request("GET", tls_server.url + "/echo")
            assert response.status == 200
            assert no_proxy_headers(response)["http_version"] == "1.1"
        assert len(proxy.connections) == 1  # one tunnel, reused


async def test_tunnel_http2(backend, proxy_server, tls_server, ca_file):
    async with AsyncHTTPProxy(
        proxy_server.url(), verify=ca_file, http2=True, backend=backend
    ) as proxy:
        response = await proxy.request("GET", tls_server.url + "/echo")
        assert response.extensions["http_version"] == b"HTTP/2"
        assert no_proxy_headers(response)["http_version"] == "2"


async def test_tunnel_with_credentials(backend, auth_proxy_server, tls_server, ca_file):
    async with AsyncHTTPProxy(
        auth_proxy_server.url(),
        proxy_auth=(USERNAME, PASSWORD),
        proxy_headers={"X-Proxy-Only": "1"},
        verify=ca_file,
        backend=backend,
    ) as proxy:
        response = await proxy.request("GET", tls_server.url + "/echo")
        assert response.status == 200
        no_proxy_headers(response)


async def test_tunnel_refused_without_credentials(
    backend, auth_proxy_server, tls_server, ca_file, no_fd_leak
):
    async with AsyncHTTPProxy(
        auth_proxy_server.url(), verify=ca_file, backend=backend
    ) as proxy:
        with pytest.raises(ProxyError, match="407"):
            await proxy.request("GET", tls_server.url + "/")
        assert proxy.connections == []


async def test_tunnel_refused_403(backend, scripted_server, no_fd_leak):
    def refuse(conn):
        conn.read_request()
        conn.send(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    fake = scripted_server(refuse)
    async with AsyncHTTPProxy(fake.url, backend=backend) as proxy:
        with pytest.raises(ProxyError, match="403 Forbidden"):
            await proxy.request("GET", "https://example.org/")


async def test_tunnel_closed_early(backend, scripted_server, no_fd_leak):
    def hang_up(conn):
        conn.read_request()

    fake = scripted_server(hang_up)
    async with AsyncHTTPProxy(fake.url, backend=backend) as proxy:
        with pytest.raises(ProxyError, match="closed"):
            await proxy.request("GET", "https://example.org/")


def test_sync_http_proxy(proxy_server, server, tls_server, ca_file):
    with HTTPProxy(proxy_server.url(), verify=ca_file) as proxy:
        assert proxy.request("GET", server.url + "/").status == 200
        assert proxy.request("GET", tls_server.url + "/").status == 200


def test_rejects_socks_url():
    with pytest.raises(ValueError):
        AsyncHTTPProxy("socks5://127.0.0.1:1080")


async def test_forward_without_credentials_gets_407(backend, auth_proxy_server, server):
    async with AsyncHTTPProxy(auth_proxy_server.url(), backend=backend) as proxy:
        response = await proxy.request("GET", server.url + "/")
        assert response.status == 407


async def test_proxy_headers_may_be_pairs(backend, proxy_server, server):
    headers = [("X-Proxy-Extra", "1"), ("X-Proxy-Extra", "2")]
    async with AsyncHTTPProxy(
        proxy_server.url(), proxy_headers=headers, backend=backend
    ) as proxy:
        response = await proxy.request("GET", server.url + "/echo")
        # A forwarding proxy passes them on (pproxy does): the origin shows
        # what was sent to the proxy.
        echoed = no_proxy_headers(response, tunnelled=False)
        sent = [v for n, v in echoed["headers"] if n.lower() == "x-proxy-extra"]
        assert sent == ["1", "2"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Extra": "a\r\nInjected: 1"},
        [("X-Extra", "a\nb")],
        {"X-Extra": "a\x00b"},
        {"Bad Name": "1"},
    ],
)
def test_bad_proxy_headers_are_refused_when_the_proxy_is_made(headers):
    for proxy_class in (AsyncHTTPProxy, HTTPProxy):
        with pytest.raises(LocalProtocolError, match="header"):
            proxy_class("http://127.0.0.1:1", proxy_headers=headers)
