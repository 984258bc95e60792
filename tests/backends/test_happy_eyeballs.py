"""
Happy eyeballs (RFC 8305): the plan's ordering and staggering, unit-tested
with an injected clock; then real attempts on loopback, on every backend,
with a name that resolves to both ::1 and 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import typing

import pytest

import httpcore
from httpcore._backends.common import poll_writable
from httpcore._backends.happy_eyeballs import (
    ATTEMPT_DELAY,
    AddrInfo,
    AttemptPlan,
    interleave,
    open_socket,
)
from httpcore._backends.sync import SyncBackend
from tests.servers.app import app
from tests.servers.hypercorn_server import LiveServer

TCP = socket.SOCK_STREAM


def v6(port: int, host: str = "::1") -> AddrInfo:
    return (socket.AF_INET6, TCP, 6, "", (host, port, 0, 0))


def v4(port: int, host: str = "127.0.0.1") -> AddrInfo:
    return (socket.AF_INET, TCP, 6, "", (host, port))


# --- the plan, without sockets -------------------------------------------------


def test_interleave_alternates_families_starting_with_the_first():
    a, b, c = v6(1, "::a"), v6(1, "::b"), v6(1, "::c")
    x, y = v4(1, "10.0.0.1"), v4(1, "10.0.0.2")
    assert interleave([a, b, c, x, y]) == [a, x, b, y, c]
    assert interleave([x, a, b]) == [x, a, b]
    assert interleave([x, y]) == [x, y]
    assert interleave([]) == []


def test_attempts_are_staggered_by_the_delay():
    plan = AttemptPlan(["a", "b", "c"], delay=0.25)
    assert plan.start(now=10.0) == "a"
    assert plan.start(now=10.1) is None  # a has had less than 250 ms
    assert plan.next_start() == 10.25
    assert plan.start(now=10.25) == "b"
    assert plan.next_start() == 10.5
    assert plan.start(now=10.6) == "c"
    assert plan.exhausted and plan.next_start() is None
    assert plan.start(now=99.0) is None


def test_a_failure_starts_the_next_attempt_at_once():
    plan = AttemptPlan(["a", "b", "c"], delay=0.25)
    assert plan.start(now=0.0) == "a"
    error = OSError("refused")
    plan.failed(error)
    assert plan.next_start() is None
    assert plan.start(now=0.01) == "b"
    assert plan.start(now=0.02) is None
    assert plan.errors == [error]


def test_default_delay_is_rfc_8305s():
    assert ATTEMPT_DELAY == 0.25


# --- the driver, with an injected clock and real sockets --------------------------


@pytest.fixture
def stalled_port() -> typing.Iterator[int]:
    """A port on ::1 whose accept queue is full: connecting hangs (SYN dropped)."""
    listener = socket.socket(socket.AF_INET6, TCP)
    listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    listener.bind(("::1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.socket(socket.AF_INET6, TCP)
    filler.setblocking(False)
    filler.connect_ex(("::1", port))
    poll_writable([filler], 1.0)
    yield port
    filler.close()
    listener.close()


class FakeClock:
    """Happy eyeballs' connector with a clock that jumps when asked to wait."""

    def __init__(self, infos: list[AddrInfo]) -> None:
        self.infos = infos
        self.now = 100.0
        self.waits: list[tuple[int, float | None]] = []

    async def resolve(self, host: str, port: int, timeout: float | None):
        return self.infos

    async def wait_writable(self, socks, timeout):
        self.waits.append((len(socks), timeout))
        ready = poll_writable(socks, 0.0)
        if not ready and timeout is not None:
            self.now += timeout  # nothing yet: the time passes at once
            return []
        return ready or poll_writable(socks, 5.0)

    def monotonic(self) -> float:
        return self.now


def answer_ok(conn) -> None:
    if conn.read_request():
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        conn.wait_for_close()


async def test_second_attempt_starts_after_the_delay(
    scripted_server, stalled_port, no_fd_leak
):
    server = scripted_server(lambda conn: conn.wait_for_close())
    connector = FakeClock([v6(stalled_port), v4(server.port)])
    sock = await open_socket(connector, "dual.test", 0, None)
    try:
        assert sock.getpeername() == ("127.0.0.1", server.port)
    finally:
        sock.close()
    # Waited 250 ms on the ::1 attempt alone, then on both until one won;
    # the loser is closed (no_fd_leak).
    assert connector.waits[0] == (1, ATTEMPT_DELAY)
    assert connector.waits[1] == (2, None)


async def test_attempts_give_up_at_the_connect_timeout(stalled_port, no_fd_leak):
    connector = FakeClock([v6(stalled_port), v6(stalled_port)])
    with pytest.raises(httpcore.ConnectTimeout):
        await open_socket(connector, "dual.test", 0, 0.4)
    assert connector.waits == [(1, ATTEMPT_DELAY), (2, pytest.approx(0.15))]


async def test_every_attempt_refused(closed_port, no_fd_leak):
    connector = FakeClock([v6(closed_port), v4(closed_port)])
    with pytest.raises(httpcore.ConnectError, match="refused") as info:
        await open_socket(connector, "dual.test", 0, None)
    assert isinstance(info.value.__cause__, OSError)


# --- through the pool, on every backend ------------------------------------------


@pytest.fixture
def resolve_dual(monkeypatch) -> typing.Callable[[list[AddrInfo]], None]:
    """Make the name "dual.test" resolve to the given addresses."""
    answers: list[AddrInfo] = []
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == "dual.test":
            return list(answers)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers.extend


async def peer(pool: httpcore.AsyncConnectionPool, url: str) -> tuple[str, int]:
    async with pool.stream("GET", url) as response:
        stream = response.extensions["network_stream"]
        address = stream.get_extra_info("server_addr")
        await response.read()
    return address[0], address[1]


async def test_ipv6_refused_then_ipv4_wins(
    backend, scripted_server, resolve_dual, no_fd_leak
):
    # (Hypercorn keeps a finished connection's socket a while after the
    # client closed it; the scripted server lets no_fd_leak see ours go.)
    server = scripted_server(answer_ok)
    resolve_dual([v6(server.port), v4(server.port)])
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        url = f"http://dual.test:{server.port}/"
        assert await peer(pool, url) == ("127.0.0.1", server.port)


@pytest.fixture(scope="module")
def ipv6_server() -> typing.Iterator[LiveServer]:
    with LiveServer(app, host="::1") as live:
        yield live


async def test_ipv4_refused_then_ipv6_wins(backend, ipv6_server, resolve_dual):
    resolve_dual([v4(ipv6_server.port), v6(ipv6_server.port)])
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        url = f"http://dual.test:{ipv6_server.port}/"
        assert await peer(pool, url) == ("::1", ipv6_server.port)


async def test_ipv6_literal_url(backend, ipv6_server):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request("GET", ipv6_server.url + "/echo")
        assert response.status == 200
        host = dict(json.loads(response.content)["headers"])["host"]
        assert host == f"[::1]:{ipv6_server.port}"


async def test_stalled_ipv6_loses_to_ipv4(
    backend, scripted_server, stalled_port, resolve_dual, no_fd_leak
):
    server = scripted_server(answer_ok)
    resolve_dual([v6(stalled_port), v4(server.port)])
    # Tried one after the other, the ::1 attempt would use the whole connect
    # timeout; staggered, 127.0.0.1 starts 250 ms later and wins.
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=5.0) as pool:
        assert await peer(pool, "http://dual.test/") == ("127.0.0.1", server.port)


async def test_local_address_picks_the_family(
    backend, server, stalled_port, resolve_dual
):
    resolve_dual([v6(stalled_port), v4(server.port)])
    async with httpcore.AsyncConnectionPool(
        backend=backend, local_address="127.0.0.1", timeout=5.0
    ) as pool:
        assert await peer(pool, "http://dual.test/") == ("127.0.0.1", server.port)


async def test_local_address_of_no_resolved_family(backend, server, resolve_dual):
    resolve_dual([v4(server.port)])
    async with httpcore.AsyncConnectionPool(
        backend=backend, local_address="::1"
    ) as pool:
        with pytest.raises(httpcore.ConnectError, match="no address of the family"):
            await pool.request("GET", "http://dual.test/")


async def test_unknown_host_is_a_connect_error(backend, resolve_dual):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", "http://dual.test/")  # resolves to nothing
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", "http://no-such-host.invalid/")


async def test_stalled_only_times_out(backend, stalled_port, resolve_dual, no_fd_leak):
    resolve_dual([v6(stalled_port)])
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=0.3) as pool:
        with pytest.raises(httpcore.ConnectTimeout):
            await pool.request("GET", "http://dual.test/")
        assert pool.connections == []


def test_sync_backend_connects_without_threads(server):
    import threading

    from httpcore._backends._drive import drive

    before = threading.active_count()
    stream = drive(SyncBackend().connect_tcp("localhost", server.port, 5.0))
    try:
        assert stream.get_extra_info("server_addr")[1] == server.port
        assert threading.active_count() == before
    finally:
        stream.close_nowait()
