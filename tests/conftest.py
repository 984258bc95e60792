"""
Shared fixtures: real servers, scripted servers, certificates, and backends.

Network tests are written once, as coroutines, and run on every backend:

    async def test_get(backend, server):
        async with httpcore.AsyncConnectionPool(backend=backend) as pool:
            ...

`pytest_pyfunc_call` below runs an `async def` test itself: under "sync" it
drives the coroutine with `httpcore._backends._drive.drive` (no event loop at
all, so anything that really suspends fails loudly), under "asyncio" with
`asyncio.run`, under "trio" with `trio.run`. A test that needs tasks (to
cancel them, say) asks for `async_backend` instead: asyncio and trio. An
async test that asks for neither runs on asyncio. `tests/concurrency.py` has
the helpers to run coroutines at once, sleep and cancel on any of them.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import importlib.util
import inspect
import socket
import typing
from collections.abc import Callable, Iterator

import pytest

from tests import helpers
from tests.servers import tls
from tests.servers.app import app
from tests.servers.hypercorn_server import LiveServer
from tests.servers.scripted import ScriptedConnection, ScriptedServer


def _has_trio_backend() -> bool:
    try:
        import trio  # noqa: F401

        return importlib.util.find_spec("httpcore._backends.trio") is not None
    except Exception:
        # No trio, or httpcore itself does not import yet: the tests that
        # import httpcore will say why.
        return False


BACKENDS = ["sync", "asyncio"] + (["trio"] if _has_trio_backend() else [])

# Tests using any of these fixtures get the `network` marker, so that
# `pytest -m "not network"` runs the pure unit tests only.
NETWORK_FIXTURES = {
    "server",
    "tls_server",
    "scripted_server",
    "silent_server",
    "closed_port",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if NETWORK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.network)


def pytest_collection_finish(session: pytest.Session) -> None:
    # The descriptor checks collect garbage twice per test; a full collection
    # walks every object alive, and after collection that is hundreds of
    # thousands of modules' and tests' objects. Frozen, they are skipped:
    # what a test leaves behind is still collected.
    # trio and hypothesis first: together they make hypothesis register
    # trio's random, checking with gc.get_referrers that something holds it,
    # and gc.get_referrers cannot see frozen objects.
    import hypothesis  # noqa: F401
    import trio  # noqa: F401

    gc.collect()
    gc.freeze()


# --- Backends ---------------------------------------------------------------


ASYNC_BACKENDS = [name for name in BACKENDS if name != "sync"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend this run of the test uses."""
    return typing.cast(str, request.param)


@pytest.fixture(params=ASYNC_BACKENDS)
def async_backend(request: pytest.FixtureRequest) -> str:
    """An async backend: for tests of tasks and cancellation, which need one."""
    return typing.cast(str, request.param)


def run_on_backend(
    backend: str, func: Callable[..., typing.Any], kwargs: dict[str, typing.Any]
) -> None:
    """Run the coroutine function `func(**kwargs)` on `backend`."""
    if backend == "sync":
        from httpcore._backends._drive import drive

        drive(func(**kwargs))
    elif backend == "asyncio":
        asyncio.run(func(**kwargs))
    elif backend == "trio":
        import trio

        trio.run(functools.partial(func, **kwargs))
    else:
        raise ValueError(f"unknown backend {backend!r}")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    funcargs = pyfuncitem.funcargs
    kwargs = {name: funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    backend = funcargs.get("backend") or funcargs.get("async_backend") or "asyncio"
    run_on_backend(backend, pyfuncitem.obj, kwargs)
    return True


# --- Certificates -----------------------------------------------------------


@pytest.fixture(scope="session")
def cert_authority():
    """The trustme CA behind every test server certificate."""
    return tls.ca()


@pytest.fixture(scope="session")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path to the test CA's certificate, PEM: what `verify=` takes."""
    return tls.write_ca_file(tmp_path_factory.mktemp("tls") / "ca.pem")


@pytest.fixture(scope="session")
def unknown_ca_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path to a CA certificate that signed none of the test servers' certs."""
    path = tmp_path_factory.mktemp("tls") / "unknown-ca.pem"
    return tls.write_ca_file(path, tls.unknown_ca())


# --- Real servers -----------------------------------------------------------


@pytest.fixture(scope="session")
def server() -> Iterator[LiveServer]:
    """Hypercorn serving `tests.servers.app` over plain HTTP/1.1."""
    with LiveServer(app) as live:
        yield live


@pytest.fixture(scope="session")
def tls_server() -> Iterator[LiveServer]:
    """Hypercorn serving `tests.servers.app` over TLS, ALPN h2 and http/1.1."""
    with LiveServer(app, tls=True) as live:
        yield live


# --- Scripted servers -------------------------------------------------------


@pytest.fixture
def scripted_server() -> Iterator[Callable[..., ScriptedServer]]:
    """A factory `scripted_server(handler, tls=False)` -> a running ScriptedServer.

    Every server it made is stopped when the test ends.
    """
    servers: list[ScriptedServer] = []

    def start(handler, tls: bool = False, **kwargs) -> ScriptedServer:
        scripted = ScriptedServer(handler, tls=tls, **kwargs)
        servers.append(scripted)
        return scripted

    yield start
    errors = []
    for scripted in servers:
        try:
            scripted.stop()
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


def _never_respond(conn: ScriptedConnection) -> None:
    conn.wait_for_close(timeout=30.0)


@pytest.fixture
def silent_server() -> Iterator[ScriptedServer]:
    """Accepts connections, reads, and never sends a byte (for read timeouts)."""
    with ScriptedServer(_never_respond) as silent:
        yield silent


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- File descriptor leaks --------------------------------------------------

_FDS_BEFORE = pytest.StashKey[dict[int, str]]()


@pytest.fixture
def no_fd_leak() -> None:
    """Fail the test if it leaves file descriptors open.

    The snapshot is taken just before the test body runs, once every fixture
    is set up, and compared after every fixture has been torn down (see the
    hooks below), so servers and other fixtures never count as leaks whatever
    order the test lists them in.
    """


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    fixtures = getattr(item, "fixturenames", ())
    if "no_fd_leak" in fixtures and helpers.fd_checks_supported():
        gc.collect()
        # What is alive now is older than this test: frozen, the collections
        # of its check only walk what the test itself made (see
        # pytest_collection_finish), however much earlier tests kept.
        gc.freeze()
        item.stash[_FDS_BEFORE] = helpers.open_fds()
    try:
        return (yield)
    except BaseException:
        # The test failed already: a leak report would only add noise.
        if _FDS_BEFORE in item.stash:
            del item.stash[_FDS_BEFORE]
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Iterator[None]:
    result = yield
    before = item.stash.get(_FDS_BEFORE, None)
    if before is not None:
        del item.stash[_FDS_BEFORE]
        leaked = helpers.wait_for_fds(before)
        if leaked:
            pytest.fail(helpers.describe_leak(leaked), pytrace=False)
    return result
