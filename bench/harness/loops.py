"""
The timed loops a worker runs: sequential, threads, asyncio tasks.

Each loop has one phase machine, `Meter`: warm up (at least `warmup` seconds
and until as many requests have completed as there are workers, so the
connections are open), then measure for `duration` seconds or `max_requests` requests,
whichever comes first, then stop. Workers only count; the coordinator (the
loop itself when sequential, else the main thread or task, polling every
20 ms) moves the phases. Every loop is bounded in time and in count.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import typing

POLL = 0.02  # seconds between two looks of the coordinator
DRAIN = 30.0  # seconds granted to in-flight requests once measuring is over


class BenchError(Exception):
    """A run that cannot give a number: a failed request, a stuck warm-up."""


@dataclasses.dataclass(frozen=True)
class Timing:
    warmup: float = 0.5
    duration: float = 2.0
    max_requests: int = 5_000_000
    warmup_limit: float = 30.0  # a warm-up that takes longer fails the run


@dataclasses.dataclass(frozen=True)
class Measure:
    requests: int
    seconds: float


class Meter:
    """Request counts per worker, and the warm-up / measure / stop phases."""

    def __init__(self, workers: int, timing: Timing) -> None:
        self.timing = timing
        self.counts = [0] * workers
        self.stop = False
        self.started = time.perf_counter()
        self.measure_start: float | None = None
        self.count_at_start = 0
        self.result: Measure | None = None

    def poll(self) -> bool:
        """Advance the phases; True once the measurement is over."""
        now = time.perf_counter()
        if self.measure_start is None:
            elapsed = now - self.started
            if elapsed >= self.timing.warmup and sum(self.counts) >= len(self.counts):
                self.measure_start = now
                self.count_at_start = sum(self.counts)
            elif elapsed >= self.timing.warmup_limit:
                self.stop = True
                raise BenchError(
                    f"warm-up not done after {elapsed:.0f} s: {sum(self.counts)} "
                    f"requests completed by {len(self.counts)} workers"
                )
            return False
        done = sum(self.counts) - self.count_at_start
        seconds = now - self.measure_start
        if seconds >= self.timing.duration or done >= self.timing.max_requests:
            self.result = Measure(done, seconds)
            self.stop = True
        return self.stop

    def measure(self) -> Measure:
        if self.result is None:
            raise BenchError("the measurement did not finish")
        return self.result


def check_size(size: int, expected: int) -> None:
    if size != expected:
        raise BenchError(f"expected a body of {expected} bytes, got {size}")


def run_sequential(
    call: typing.Callable[[], int], expected: int, timing: Timing
) -> Measure:
    meter = Meter(1, timing)
    counts = meter.counts
    while not meter.poll():
        size = call()
        if size != expected:
            check_size(size, expected)
        counts[0] += 1
    return meter.measure()


def run_threads(
    call: typing.Callable[[], int], expected: int, threads: int, timing: Timing
) -> Measure:
    meter = Meter(threads, timing)
    counts = meter.counts
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            while not meter.stop:
                size = call()
                if size != expected:
                    check_size(size, expected)
                counts[index] += 1
        except BaseException as exc:
            errors.append(exc)
            meter.stop = True

    pool = [
        threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)
    ]
    for thread in pool:
        thread.start()
    try:
        while not errors and not meter.poll():
            time.sleep(POLL)
    finally:
        meter.stop = True
        deadline = time.monotonic() + DRAIN
        for thread in pool:
            thread.join(max(0.0, deadline - time.monotonic()))
    if errors:
        raise BenchError(f"a thread failed: {errors[0]!r}") from errors[0]
    if any(thread.is_alive() for thread in pool):
        raise BenchError("threads still busy after the run")
    return meter.measure()


async def run_tasks(
    call: typing.Callable[[], typing.Awaitable[int]],
    expected: int,
    concurrency: int,
    timing: Timing,
) -> Measure:
    meter = Meter(concurrency, timing)
    counts = meter.counts
    errors: list[BaseException] = []

    async def worker(index: int) -> None:
        try:
            while not meter.stop:
                size = await call()
                if size != expected:
                    check_size(size, expected)
                counts[index] += 1
        except Exception as exc:
            errors.append(exc)
            meter.stop = True

    tasks = [asyncio.create_task(worker(i)) for i in range(concurrency)]
    try:
        while not errors and not meter.poll():
            await asyncio.sleep(POLL)
    finally:
        meter.stop = True
        _, pending = await asyncio.wait(tasks, timeout=DRAIN)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=DRAIN)
    if errors:
        raise BenchError(f"a task failed: {errors[0]!r}") from errors[0]
    if pending:
        raise BenchError(f"{len(pending)} tasks still busy after the run")
    return meter.measure()
