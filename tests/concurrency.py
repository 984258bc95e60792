"""
Concurrency for tests written once and run on every backend: run coroutines
at once, sleep, cancel. Threads under "sync", tasks under "asyncio", a
nursery under "trio".
"""

from __future__ import annotations

import asyncio
import contextlib
import typing
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from httpcore._backends._drive import drive

Factory = Callable[[], Awaitable[typing.Any]]


class Cancelled(Exception):
    """Stands for a coroutine's cancellation in `gather(..., cancel=...)` results."""


async def gather(
    backend: str, factories: Sequence[Factory], *, max_workers: int = 10
) -> list[typing.Any]:
    """Run the coroutines `factories` make concurrently; their results in order."""
    if backend == "sync":
        with ThreadPoolExecutor(max_workers=max_workers) as executor:
            return list(
                executor.map(
                    lambda make: drive(typing.cast(typing.Any, make())), factories
                )
            )
    if backend == "asyncio":
        return list(await asyncio.gather(*(make() for make in factories)))
    import trio

    results: list[typing.Any] = [None] * len(factories)

    async def run(index: int, make: Factory) -> None:
        results[index] = await make()

    async with trio.open_nursery() as nursery:
        for index, make in enumerate(factories):
            nursery.start_soon(run, index, make)
    return results


async def sleep(backend: str, seconds: float) -> None:
    if backend == "asyncio":
        await asyncio.sleep(seconds)
    elif backend == "trio":
        import trio

        await trio.sleep(seconds)
    else:
        import time

        time.sleep(seconds)


async def wait_until(
    backend: str, ready: Callable[[], object], timeout: float = 5.0
) -> None:
    """Sleep a little at a time (letting the event loop run) until `ready()`."""
    import time

    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:  # pragma: no cover - a failing test
            raise AssertionError("timed out waiting for a condition")
        await sleep(backend, 0.01)


async def cancel_some(
    backend: str,
    factories: Sequence[Factory],
    cancel: Callable[[int], bool],
    delay: float,
) -> list[typing.Any]:
    """
    Start every coroutine, and after `delay` seconds cancel those whose index
    `cancel` picks. The results in order: a value, an exception, or
    `Cancelled()` for a coroutine that was cancelled. (asyncio and trio only.)
    """
    results: list[typing.Any] = [None] * len(factories)
    if backend == "asyncio":
        tasks = [asyncio.ensure_future(make()) for make in factories]
        await asyncio.sleep(delay)
        for index, task in enumerate(tasks):
            if cancel(index):
                task.cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        return [
            Cancelled() if isinstance(r, asyncio.CancelledError) else r for r in done
        ]
    assert backend == "trio", backend
    import trio

    scopes = [trio.CancelScope() for _ in factories]

    async def run(index: int, make: Factory) -> None:
        results[index] = Cancelled()
        with scopes[index]:
            try:
                results[index] = await make()
            except Exception as exc:
                results[index] = exc

    async with trio.open_nursery() as nursery:
        for index, make in enumerate(factories):
            nursery.start_soon(run, index, make)
        await trio.sleep(delay)
        for index, scope in enumerate(scopes):
            if cancel(index):
                scope.cancel()
    return results


async def cancel_after(backend: str, make: Factory, delay: float) -> None:
    """Run `make()` and cancel it after `delay` seconds; it must not finish first."""
    [result] = await cancel_some(backend, [make], lambda _: True, delay)
    if not isinstance(result, Cancelled):  # pragma: no cover - generous timing
        raise AssertionError(
            f"the coroutine finished before it was cancelled: {result!r}"
        )


async def cancel_when(
    backend: str,
    make: Factory,
    ready: Callable[[], object],
    *,
    settle: float = 0.05,
    timeout: float = 10.0,
) -> None:
    """
    Run `make()`; once `ready()` (it reached the await to interrupt) and
    `settle` seconds more, cancel it. It must not finish first, and the
    cancellation must end it (no other exception). (asyncio and trio only.)
    """
    outcome: list[typing.Any] = []

    async def run() -> None:
        outcome.append(await make())

    async with background(backend) as start:
        cancel = start(run)
        await wait_until(backend, lambda: ready() or outcome, timeout)
        await sleep(backend, settle)
        cancel()
    if outcome:  # pragma: no cover - a failing test
        raise AssertionError(f"finished before it was cancelled: {outcome[0]!r}")


class _Background:
    """What `background` yields: `start(make)` runs `make()`; returns a canceller."""

    def __init__(self, backend: str, nursery: typing.Any = None) -> None:
        self.backend = backend
        self.nursery = nursery
        self.tasks: list[asyncio.Future[typing.Any]] = []
        self.errors: list[Exception] = []

    def __call__(self, make: Factory) -> Callable[[], object]:
        if self.backend == "asyncio":
            task = asyncio.ensure_future(make())
            self.tasks.append(task)
            return task.cancel
        import trio

        scope = trio.CancelScope()

        async def run() -> None:
            with scope:
                try:
                    await make()
                except Exception as exc:
                    self.errors.append(exc)

        self.nursery.start_soon(run)
        return scope.cancel


@contextlib.asynccontextmanager
async def background(backend: str) -> typing.AsyncIterator[_Background]:
    """
    `async with background(backend) as start:` runs coroutines started with
    `start(make)` alongside the block, and waits for them when it ends. A
    cancelled one ends quietly; any other failure is raised.
    """
    if backend == "asyncio":
        runner = _Background(backend)
        try:
            yield runner
        finally:
            results = await asyncio.gather(*runner.tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(
                result, asyncio.CancelledError
            ):
                raise result
        return
    assert backend == "trio", backend
    import trio

    async with trio.open_nursery() as nursery:
        runner = _Background(backend, nursery)
        yield runner
    if runner.errors:  # raised as asyncio would: not wrapped in a group
        raise runner.errors[0]


async def run_until(backend: str, make: Factory, delay: float) -> typing.Any:
    """
    Run `make()`, cancelling it if it has not finished after `delay` seconds
    (asyncio: `task.cancel()`; trio: `move_on_after`). Its result, or
    `Cancelled()`.
    """
    if backend == "asyncio":
        task = asyncio.ensure_future(make())
        timer = asyncio.get_running_loop().call_later(delay, task.cancel)
        try:
            return await task
        except asyncio.CancelledError:
            if not task.cancelled():  # pragma: no cover - we were cancelled
                raise
            return Cancelled()
        finally:
            timer.cancel()
    import trio

    result: typing.Any = Cancelled()
    with trio.move_on_after(delay):
        result = await make()
    return result
