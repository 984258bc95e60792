"""
Fixtures of the stress tests: the slow server (a process of its own) and a
raised limit on open files. They run in the default `pytest` run, marked
`stress` (and `network`): `pytest -m "not stress"` leaves them out.
"""

from __future__ import annotations

import typing

import pytest

from tests.servers.slow import SlowServer, raise_fd_limit


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stress: many requests at once (load, contention); a few seconds"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/stress/" in item.nodeid:
            item.add_marker(pytest.mark.stress)
            item.add_marker(pytest.mark.network)


@pytest.fixture(scope="session")
def slow_server() -> typing.Iterator[SlowServer]:
    """`tests.servers.slow`: delays, barriers, and its connection counts."""
    raise_fd_limit()  # the client side holds a descriptor per connection too
    with SlowServer() as running:
        yield running
