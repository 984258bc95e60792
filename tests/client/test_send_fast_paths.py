"""
What the clients' shortcuts on the common send must keep: a body read
straight from its stream (no iterator around it) still fails with its
request and frees its connection; a closed client still raises, once the
send runs; `.netrc` is still looked up from the environment as it is now.
"""

from __future__ import annotations

import os

import pytest

import httpcore
from httpcore._auth import netrc_auth, netrc_path
from tests.faults.conftest import check_pool_clean, reply

SHORT = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
CUT = "received 3 bytes, expected 10"


async def test_a_body_cut_short_fails_with_its_request_and_frees_the_connection(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(reply(SHORT))
    async with httpcore.AsyncClient(backend=backend, timeout=10.0) as client:
        with pytest.raises(httpcore.RemoteProtocolError, match=CUT) as info:
            await client.get(server.url + "/short")
        assert info.value.request.url == server.url + "/short"
        check_pool_clean(client._dispatch)
        assert client._dispatch.connections == []


async def test_a_streamed_body_cut_short_fails_its_read_and_closes_the_response(
    backend, scripted_server, no_fd_leak
):
    server = scripted_server(reply(SHORT))
    async with httpcore.AsyncClient(backend=backend, timeout=10.0) as client:
        response = await client.get(server.url + "/", stream=True)
        with pytest.raises(httpcore.RemoteProtocolError, match=CUT) as info:
            await response.read()
        assert info.value.request is response.request
        assert response.is_closed
        check_pool_clean(client._dispatch)


def test_the_sync_read_of_a_body_cut_short_fails_and_closes_the_response(
    scripted_server, no_fd_leak
):
    server = scripted_server(reply(SHORT))
    with httpcore.Client(timeout=10.0) as client:
        response = client.get(server.url + "/", stream=True)
        with pytest.raises(httpcore.RemoteProtocolError, match=CUT) as info:
            response.read()
        assert info.value.request is response.request
        assert response.is_closed
        with pytest.raises(httpcore.StreamConsumed):
            response.read()
        check_pool_clean(client._dispatch)


async def test_a_closed_async_client_raises_when_the_send_is_awaited(
    async_backend, server
):
    client = httpcore.AsyncClient(backend=async_backend)
    await client.aclose()
    sending = client.get(server.url + "/")  # raises once it runs
    with pytest.raises(RuntimeError, match="client has been closed"):
        await sending


def test_netrc_path_follows_an_os_environ_replaced_by_a_dict(tmp_path, monkeypatch):
    path = tmp_path / "replaced"
    path.write_text("machine example.org login r password s\n")
    monkeypatch.setattr(os, "environ", {**os.environ, "NETRC": str(path)})
    assert netrc_path() == str(path)
    assert netrc_auth("example.org") is not None
    os.environ["NETRC"] = str(tmp_path / "missing")
    assert netrc_auth("example.org") is None


def test_netrc_path_follows_netrc_set_and_unset(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("NETRC", str(first))
    assert netrc_path() == str(first)
    monkeypatch.setenv("NETRC", str(second))
    assert netrc_path() == str(second)
    monkeypatch.delenv("NETRC")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert netrc_path() == str(tmp_path / ".netrc")
