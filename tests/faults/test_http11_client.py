"""
A representative few of the HTTP/1.1 faults, through `Client` (sync backend)
and `AsyncClient` (asyncio, trio): the same typed errors reach the caller,
and the client's pool is left with nothing active and nothing reused that
should not be.
"""

from __future__ import annotations

import typing

import pytest

import httpcore
from tests.faults.conftest import first_then_genuine, reply

SMUGGLED = b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"


class AnyClient:
    """`Client` under the sync backend, else `AsyncClient`, behind one
    async interface, so each test is written once."""

    def __init__(self, backend: str) -> None:
        options: dict[str, typing.Any] = {"trust_env": False, "timeout": 10.0}
        self.client: httpcore.Client | httpcore.AsyncClient
        if backend == "sync":
            self.client = httpcore.Client(**options)
        else:
            self.client = httpcore.AsyncClient(backend=backend, **options)

    @property
    def pool(self) -> httpcore.AsyncConnectionPool:
        return self.client._dispatch

    async def request(self, method: str, url: str, **kwargs: typing.Any) -> typing.Any:
        response = self.client.request(method, url, **kwargs)
        if isinstance(self.client, httpcore.AsyncClient):
            response = await response
        return response

    async def read(self, response: typing.Any) -> bytes:
        if isinstance(self.client, httpcore.AsyncClient):
            return await response.read()
        return response.read()

    async def __aenter__(self) -> AnyClient:
        return self

    async def __aexit__(self, *args: object) -> None:
        if isinstance(self.client, httpcore.AsyncClient):
            await self.client.aclose()
        else:
            self.client.close()


async def test_client_malformed_status_line_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"))
    async with AnyClient(backend) as client:
        with pytest.raises(httpcore.RemoteProtocolError, match="illegal status line"):
            await client.request("GET", server.url + "/")
        pool_is_clean(client.pool)
        assert client.pool.connections == []


async def test_client_too_many_header_fields_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    head = b"HTTP/1.1 200 OK\r\n" + b"X: a\r\n" * 200 + b"Content-Length: 0\r\n\r\n"
    server = scripted_server(reply(head))
    async with AnyClient(backend) as client:
        with pytest.raises(httpcore.RemoteProtocolError, match="MAX_RESPONSE_HEADERS"):
            await client.request("GET", server.url + "/")
        pool_is_clean(client.pool)
        assert client.pool.connections == []


async def test_client_short_body_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
    async with AnyClient(backend) as client:
        with pytest.raises(httpcore.RemoteProtocolError, match="received 3 bytes"):
            await client.request("GET", server.url + "/")
        pool_is_clean(client.pool)
        assert client.pool.connections == []


async def test_client_short_body_while_streaming_is_remote_protocol_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    server = scripted_server(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
    async with AnyClient(backend) as client:
        response = await client.request("GET", server.url + "/", stream=True)
        assert response.status_code == 200
        with pytest.raises(httpcore.RemoteProtocolError, match="received 3 bytes"):
            await client.read(response)
        pool_is_clean(client.pool)
        assert client.pool.connections == []


async def test_client_reset_mid_body_is_read_error(
    backend, scripted_server, pool_is_clean, no_fd_leak
):
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
    server = scripted_server(reply(head, then="reset"))
    async with AnyClient(backend) as client:
        with pytest.raises(httpcore.ReadError, match="reset"):
            await client.request("GET", server.url + "/")
        pool_is_clean(client.pool)
        assert client.pool.connections == []


@pytest.mark.parametrize(
    ("method", "head", "first"),
    [
        pytest.param(
            "GET",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"ok",
            id="longer-than-content-length",
        ),
        pytest.param(
            "HEAD",
            b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n",
            b"",
            id="body-on-HEAD",
        ),
    ],
)
async def test_client_does_not_serve_stray_bytes_as_next_response(
    backend, scripted_server, method, head, first, pool_is_clean, no_fd_leak
):
    server = scripted_server(first_then_genuine(head + SMUGGLED))
    async with AnyClient(backend) as client:
        response = await client.request(method, server.url + "/")
        assert response.content == first
        second = await client.request("GET", server.url + "/")
        assert second.content == b"genuine"
        assert server.accepted == 2
        pool_is_clean(client.pool)
