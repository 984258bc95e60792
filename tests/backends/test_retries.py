"""`retries=N`: failed connects are tried again, with exponential backoff."""

from __future__ import annotations

import typing

import pytest

import httpcore
from httpcore._dispatch.common import resolve_backend


class FlakyBackend:
    """A real backend whose first `failures` connects fail; sleeps recorded."""

    def __init__(self, name: str, failures: int) -> None:
        self._real = resolve_backend(name)
        self.name = self._real.name
        self.failures = failures
        self.attempts = 0
        self.sleeps: list[float] = []

    async def connect_tcp(self, *args: typing.Any, **kwargs: typing.Any):
        self.attempts += 1
        if self.attempts <= self.failures:
            raise httpcore.ConnectError("refused (by the test)")
        return await self._real.connect_tcp(*args, **kwargs)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self._real.sleep(0)  # the test does not wait for real

    def __getattr__(self, name: str) -> typing.Any:
        return getattr(self._real, name)


async def test_retries_with_exponential_backoff(backend, server):
    flaky = FlakyBackend(backend, failures=3)
    async with httpcore.AsyncConnectionPool(backend=flaky, retries=3) as pool:
        response = await pool.request("GET", server.url + "/")
        assert response.status == 200
    assert flaky.attempts == 4
    assert flaky.sleeps == [0.5, 1.0, 2.0]


async def test_retries_exhausted(backend, server):
    flaky = FlakyBackend(backend, failures=3)
    async with httpcore.AsyncConnectionPool(backend=flaky, retries=2) as pool:
        with pytest.raises(httpcore.ConnectError, match="by the test"):
            await pool.request("GET", server.url + "/")
        assert pool.connections == []
    assert flaky.attempts == 3
    assert flaky.sleeps == [0.5, 1.0]


async def test_no_retries_by_default(backend, server):
    flaky = FlakyBackend(backend, failures=1)
    async with httpcore.AsyncConnectionPool(backend=flaky) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request("GET", server.url + "/")
    assert flaky.sleeps == []


async def test_tls_failures_are_retried(backend, tls_server, unknown_ca_file):
    flaky = FlakyBackend(backend, failures=0)
    async with httpcore.AsyncConnectionPool(
        backend=flaky, retries=1, verify=unknown_ca_file
    ) as pool:
        with pytest.raises(httpcore.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await pool.request("GET", tls_server.url + "/")
    assert flaky.attempts == 2
