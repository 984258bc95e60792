"""
Connections that cannot be made: refused, never answered (a listener whose
accept queue is full, so the kernel drops the SYN), an address family the
request cannot use, an invalid port, a host name that fails IDNA. Each ends
in a typed error saying what failed, through the pool and through the
client, with no connection and no socket left behind.

Nothing here leaves the machine: every connection goes to 127.0.0.1 or ::1,
and the tests that must fail before any lookup make every lookup fail.
"""

from __future__ import annotations

import re
import select
import socket
from collections.abc import Iterator

import pytest

import httpcore

CONNECT_TIMEOUT = 0.3  # the thing tested where it is a timeout
# A loopback connect completes at once; one unanswered this long was dropped.
DROPPED_AFTER = 0.2


def assert_nothing_left(pool: httpcore.AsyncConnectionPool) -> None:
    info = pool.pool_info()
    assert info["active"] == 0 and info["connecting"] == 0, info
    assert info["waiting"] == 0, info
    assert pool.connections == []


def pool_of(client: httpcore.AsyncClient) -> httpcore.AsyncConnectionPool:
    pool = client._dispatch
    assert isinstance(pool, httpcore.AsyncConnectionPool)
    return pool


@pytest.fixture
def lookups(monkeypatch) -> list[str]:
    """Every host name looked up meanwhile; each lookup fails at once."""
    seen: list[str] = []

    def refuse(host, *args, **kwargs):
        seen.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "lookups are not allowed here")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return seen


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """
    A port on 127.0.0.1 whose listener never accepts and whose accept queue
    is full: the kernel drops further SYNs, so a connect neither succeeds nor
    is refused (what an unroutable address looks like), all on loopback.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        for _ in range(16):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            fillers.append(filler)
            filler.setblocking(False)
            filler.connect_ex(address)
            if not select.select([], [filler], [], DROPPED_AFTER)[1]:
                break  # this one's SYN was dropped: the queue is full
        else:
            pytest.fail("the accept queue never filled")
        yield address[1]
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# --- refused ------------------------------------------------------------------


async def test_connection_refused_through_the_client(backend, closed_port, no_fd_leak):
    url = f"http://127.0.0.1:{closed_port}/"
    async with httpcore.AsyncClient(backend=backend, trust_env=False) as client:
        with pytest.raises(httpcore.ConnectError, match="Connection refused") as info:
            await client.get(url)
        assert f"127.0.0.1:{closed_port}" in str(info.value)
        assert info.value.request.url == url
        assert_nothing_left(pool_of(client))


async def test_connection_refused_over_ipv6_loopback(backend, no_fd_leak):
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.bind(("::1", 0))
        port = sock.getsockname()[1]
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.ConnectError, match="Connection refused"):
            await pool.request("GET", f"http://[::1]:{port}/")
        assert_nothing_left(pool)


# --- never answered -------------------------------------------------------------


async def test_dropped_syn_gives_connect_timeout(backend, full_backlog, no_fd_leak):
    timeout = httpcore.Timeout(10.0, connect=CONNECT_TIMEOUT)
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=timeout) as pool:
        with pytest.raises(
            httpcore.ConnectTimeout,
            match=re.escape(f"connecting to 127.0.0.1:{full_backlog}"),
        ):
            await pool.request("GET", f"http://127.0.0.1:{full_backlog}/")
        assert_nothing_left(pool)


async def test_dropped_syn_through_the_client(backend, full_backlog, no_fd_leak):
    timeout = httpcore.Timeout(10.0, connect=CONNECT_TIMEOUT)
    async with httpcore.AsyncClient(
        backend=backend, timeout=timeout, trust_env=False
    ) as client:
        with pytest.raises(httpcore.ConnectTimeout, match=f":{full_backlog}"):
            await client.get(f"http://127.0.0.1:{full_backlog}/")
        assert_nothing_left(pool_of(client))


# --- an address family the request cannot use --------------------------------


@pytest.mark.parametrize(
    ("host", "local_address"), [("127.0.0.1", "::1"), ("[::1]", "127.0.0.1")]
)
async def test_no_address_of_the_local_address_family(
    backend, closed_port, host, local_address, no_fd_leak
):
    async with httpcore.AsyncConnectionPool(
        backend=backend, local_address=local_address
    ) as pool:
        with pytest.raises(httpcore.ConnectError, match="no address of the family"):
            await pool.request("GET", f"http://{host}:{closed_port}/")
        assert_nothing_left(pool)


# --- refused before any I/O -------------------------------------------------------


@pytest.mark.parametrize("via", ["pool", "client"])
async def test_port_zero_is_refused_before_any_io(
    backend, lookups, monkeypatch, via, no_fd_leak
):
    created: list[object] = []
    real_socket = socket.socket

    def tracked_socket(*args, **kwargs):
        created.append(args)
        return real_socket(*args, **kwargs)

    # Only this thread's calls are counted: the test opens nothing else.
    monkeypatch.setattr(socket, "socket", tracked_socket)
    match = "Invalid port 0"
    for host in ("127.0.0.1", "localhost"):
        url = f"http://{host}:0/"
        if via == "pool":
            async with httpcore.AsyncConnectionPool(backend=backend) as pool:
                with pytest.raises(httpcore.ConnectError, match=match):
                    await pool.request("GET", url)
                assert_nothing_left(pool)
        else:
            async with httpcore.AsyncClient(backend=backend, trust_env=False) as client:
                with pytest.raises(httpcore.ConnectError, match=match):
                    await client.get(url)
                assert_nothing_left(pool_of(client))
    monkeypatch.undo()
    assert lookups == []
    assert created == []


@pytest.mark.parametrize("port", ["65536", "99999", "-1"])
async def test_port_out_of_range_is_an_invalid_url(backend, lookups, port, no_fd_leak):
    url = f"http://127.0.0.1:{port}/"
    async with httpcore.AsyncClient(backend=backend, trust_env=False) as client:
        with pytest.raises(httpcore.InvalidURL, match="port"):
            await client.get(url)
        assert pool_of(client).connections == []
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.InvalidURL, match="port"):
            await pool.request("GET", url)
        assert pool.connections == []
    assert lookups == []


@pytest.mark.parametrize(
    "host",
    [
        "a\u200db.example",  # a joiner with nothing to join
        "\u2100.example",  # maps to "a/c": a slash in a host
        "xn--a\u00e9.example",  # an A-label prefix on a U-label
    ],
)
async def test_host_failing_idna_is_refused_before_any_lookup(
    backend, lookups, host, no_fd_leak
):
    url = f"http://{host}/"
    async with httpcore.AsyncClient(backend=backend, trust_env=False) as client:
        with pytest.raises(httpcore.InvalidURL, match="IDNA"):
            await client.get(url)
        assert pool_of(client).connections == []
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.InvalidURL, match="IDNA"):
            await pool.request("GET", url)
        assert pool.connections == []
    assert lookups == []
