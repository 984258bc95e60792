"""The clients speak HTTP/2 by default when the server offers it by ALPN."""

from __future__ import annotations

import json

import httpcore


async def test_async_client_uses_http2_by_default(backend, tls_server, ca_file):
    async with httpcore.AsyncClient(backend=backend, verify=ca_file) as client:
        response = await client.post(tls_server.url + "/echo", json={"a": 1})
        assert response.protocol == "HTTP/2"
        echo = response.json()
        assert echo["http_version"] == "2"
        assert json.loads(echo["body"]) == {"a": 1}
        # Redirects stay on the same HTTP/2 connection.
        response = await client.get(tls_server.url + "/redirect/2")
        assert response.protocol == "HTTP/2"
        assert [r.status_code for r in response.history] == [302, 302]


def test_client_uses_http2_by_default(tls_server, ca_file):
    with httpcore.Client(verify=ca_file) as client:
        response = client.get(tls_server.url + "/")
        assert response.protocol == "HTTP/2"
        assert response.text == "Hello, world!"


def test_client_http2_false_uses_http11(tls_server, ca_file):
    with httpcore.Client(verify=ca_file, http2=False) as client:
        assert client.get(tls_server.url + "/").protocol == "HTTP/1.1"


def test_plain_http_uses_http11(server):
    with httpcore.Client() as client:
        assert client.get(server.url + "/").protocol == "HTTP/1.1"


def test_ten_threads_share_one_client_over_one_http2_connection(tls_server, ca_file):
    from concurrent.futures import ThreadPoolExecutor

    with httpcore.Client(verify=ca_file) as client:

        def work(thread: int) -> int:
            for i in range(100):
                response = client.get(
                    tls_server.url + "/echo", params={"t": thread, "i": i}
                )
                assert response.protocol == "HTTP/2"
                assert response.json()["query"] == f"t={thread}&i={i}"
            return thread

        with ThreadPoolExecutor(max_workers=10) as executor:
            assert sorted(executor.map(work, range(10))) == list(range(10))
        pool = client._dispatch
        assert isinstance(pool, httpcore.AsyncConnectionPool)
        assert len(pool.connections) == 1
        assert pool.connections[0].requests_served == 1000
