"""
Running the async core without an event loop.

Under the sync backend every primitive is an `async def` that blocks and
returns, so a core coroutine never suspends: one `coro.send(None)` runs it to
completion and `StopIteration` carries its result. No event loop is created,
so this works in any thread, and inside somebody else's running event loop.
"""

from __future__ import annotations

import typing

T = typing.TypeVar("T")


def drive(coro: typing.Coroutine[typing.Any, typing.Any, T]) -> T:
    """Run `coro`, which must not suspend, to completion and return its value."""
    try:
        coro.send(None)
    except StopIteration as exc:
        return typing.cast(T, exc.value)
    # The coroutine suspended: it awaited something that is not a sync
    # backend primitive. Close it so its `finally` blocks run, then say so.
    coro.close()
    raise RuntimeError(
        "A coroutine suspended while running under the sync backend. The sync "
        "API can only drive code that awaits httpcore's sync backend; an "
        "async-only object (an async iterator body, an async auth or trace "
        "callback, an AsyncClient dispatcher) was probably passed to a sync "
        "client. Use the async client for it instead."
    )
