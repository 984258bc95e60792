"""
The scenarios of the benchmark, shared by the parent (`run.py`) and the workers.

Every throughput scenario is a loop of requests to nginx on loopback, timed
after a warm-up; cold start is the wall time of a whole new process.
"""

from __future__ import annotations

import dataclasses
import typing

SMALL_BODY = b"Hello, world!"  # served at /small: the 13-byte body
BODY_64K = 64 * 1024  # served at /64k (not timed by default; handy for ad-hoc runs)
BODY_10M = 10 * 1024 * 1024  # served at /10m
UPLOAD_SIZE = 1024 * 1024  # POSTed to /upload

Api = typing.Literal["sync", "async", "prefer-sync", "cold"]
Unit = typing.Literal["req/s", "MB/s", "ms"]


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One timed workload. `api` says which client API runs it.

    - `sync` / `async`: only clients that have that API run it.
    - `prefer-sync`: the sync API, or the async one for async-only clients
      (aiohttp); the table marks those cells.
    - `cold`: a new process imports the client, builds it, sends one request.
    """

    id: str
    title: str
    api: Api
    path: str = "/small"
    tls: bool = False
    http2: bool = False
    concurrency: int = 1  # async tasks (or HTTP/2 streams) in flight
    threads: int = 1  # sync threads sharing one client
    method: str = "GET"
    unit: Unit = "req/s"

    @property
    def body_size(self) -> int:
        """Bytes expected in each response body."""
        return {"/small": len(SMALL_BODY), "/64k": BODY_64K, "/10m": BODY_10M}.get(
            self.path, 0
        )

    @property
    def pool_size(self) -> int:
        """Connections each client may keep: enough for the concurrency."""
        return max(self.concurrency, self.threads)

    @property
    def higher_is_better(self) -> bool:
        return self.unit != "ms"


SCENARIOS: list[Scenario] = [
    Scenario("sync-seq", "sync, sequential", "sync"),
    Scenario("sync-20-threads", "sync, 20 threads, one client", "sync", threads=20),
    Scenario("async-seq", "async, sequential", "async"),
    Scenario("async-16", "async, 16 concurrent", "async", concurrency=16),
    Scenario("async-100", "async, 100 concurrent", "async", concurrency=100),
    Scenario("async-1000", "async, 1,000 concurrent", "async", concurrency=1000),
    Scenario(
        "h2-100",
        "HTTP/2, 100 concurrent streams, TLS",
        "async",
        tls=True,
        http2=True,
        concurrency=100,
    ),
    Scenario("dl-plain", "10 MiB download, plain", "prefer-sync", "/10m", unit="MB/s"),
    Scenario(
        "dl-tls",
        "10 MiB download, TLS",
        "prefer-sync",
        "/10m",
        tls=True,
        unit="MB/s",
    ),
    Scenario(
        "dl-h2",
        "10 MiB download, HTTP/2",
        "prefer-sync",
        "/10m",
        tls=True,
        http2=True,
        unit="MB/s",
    ),
    Scenario(
        "upload",
        "1 MiB upload (POST)",
        "prefer-sync",
        "/upload",
        method="POST",
        unit="MB/s",
    ),
    Scenario(
        "cold-start", "cold start, one HTTPS request", "cold", tls=True, unit="ms"
    ),
]

BY_ID: dict[str, Scenario] = {scenario.id: scenario for scenario in SCENARIOS}
