"""
The pool's indexes of slots: requests waiting for one (`WaitQueue`), and
HTTP/2 connections with a stream to spare (`SpareStreams`).

No I/O and no locking here: the pool calls these under its lock.
"""

from __future__ import annotations

import collections
import typing

from .._models import Request

if typing.TYPE_CHECKING:  # pragma: no cover
    from .connection import AsyncHTTPConnection, PoolKey


class Waiter:
    """A request waiting for a slot; `connection` is set when one is granted."""

    __slots__ = ("connection", "event", "key", "queued", "request")

    def __init__(self, key: PoolKey, request: Request, event: typing.Any) -> None:
        self.key = key
        self.request = request
        self.event = event
        self.connection: AsyncHTTPConnection | None = None
        self.queued = False


class WaitQueue:
    """
    Waiting requests in arrival order, and also by pool key.

    The order over all keys decides who gets the next connection; the order
    within a key decides who gets a stream freed on an HTTP/2 connection of
    that key, even behind a request that cannot be served yet. A waiter
    leaves both at once, in O(1): entries that left are skipped and dropped
    when they reach the front, and both are rebuilt when such entries
    outnumber the live ones.
    """

    __slots__ = ("_all", "_by_key", "_count", "_entries")

    def __init__(self) -> None:
        self._all: collections.deque[Waiter] = collections.deque()
        self._by_key: dict[PoolKey, collections.deque[Waiter]] = {}
        self._count = 0  # live waiters
        self._entries = 0  # deque entries, live or not

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> typing.Iterator[Waiter]:
        return (waiter for waiter in list(self._all) if waiter.queued)

    def append(self, waiter: Waiter) -> None:
        waiter.queued = True
        self._all.append(waiter)
        self._by_key.setdefault(waiter.key, collections.deque()).append(waiter)
        self._count += 1
        self._entries += 2

    def extend(self, waiters: typing.Iterable[Waiter]) -> None:
        for waiter in waiters:
            self.append(waiter)

    def push_front(self, waiters: typing.Sequence[Waiter]) -> None:
        """Put `waiters` back at the front, in their order."""
        for waiter in reversed(waiters):
            waiter.queued = True
            self._all.appendleft(waiter)
            by_key = self._by_key.setdefault(waiter.key, collections.deque())
            by_key.appendleft(waiter)
            self._count += 1
            self._entries += 2

    def remove(self, waiter: Waiter) -> bool:
        """Take `waiter` out; False if it was not waiting here."""
        if not waiter.queued:
            return False
        waiter.queued = False
        self._count -= 1
        if self._entries > 4 * self._count + 64:
            self._compact()
        return True

    def head(self) -> Waiter | None:
        """The first waiter of all, still in the queue."""
        queue = self._all
        while queue and not queue[0].queued:
            queue.popleft()
            self._entries -= 1
        return queue[0] if queue else None

    def first_of(self, key: PoolKey) -> Waiter | None:
        """The first waiter for `key`, still in the queue."""
        queue = self._by_key.get(key)
        while queue and not queue[0].queued:
            queue.popleft()
            self._entries -= 1
        if not queue:
            self._by_key.pop(key, None)
            return None
        return queue[0]

    def has_key(self, key: PoolKey) -> bool:
        """Whether `key` may have waiters (`first_of` tells for sure)."""
        return key in self._by_key

    def clear(self) -> list[Waiter]:
        """Empty the queue; return the waiters that were in it."""
        waiters = list(self)
        for waiter in waiters:
            waiter.queued = False
        self._all.clear()
        self._by_key.clear()
        self._count = self._entries = 0
        return waiters

    def _compact(self) -> None:
        live = [waiter for waiter in self._all if waiter.queued]
        self._all = collections.deque(live)
        self._by_key = {}
        for waiter in live:
            self._by_key.setdefault(waiter.key, collections.deque()).append(waiter)
        self._entries = 2 * len(live)


class SpareStreams:
    """
    Active HTTP/2 connections that can take another stream, per pool key, in
    the order they were filed: taking a stream is O(1), and streams go to the
    oldest connection first, so the newest can drain and close.
    """

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        self._by_key: dict[PoolKey, dict[AsyncHTTPConnection, None]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def pool_keys(self) -> list[PoolKey]:
        return list(self._by_key)

    def __contains__(self, connection: AsyncHTTPConnection) -> bool:
        return connection in self._by_key.get(connection.key, ())

    def take(self, key: PoolKey) -> AsyncHTTPConnection | None:
        """A connection for `key` with its stream count raised, or None."""
        spare = self._by_key.get(key)
        while spare:
            connection = next(iter(spare))
            # The server may have lowered its limit since the connection was
            # filed: the capacity is read live.
            capacity = connection.stream_capacity
            if connection.streams_in_use < capacity:
                connection.streams_in_use += 1
                if connection.streams_in_use >= capacity:
                    self.drop(connection)
                return connection
            self.drop(connection)
            spare = self._by_key.get(key)
        return None

    def update(self, connection: AsyncHTTPConnection) -> None:
        """File `connection` if it has a stream to spare, else drop it."""
        if connection.streams_in_use < connection.stream_capacity:
            self._by_key.setdefault(connection.key, {})[connection] = None
        else:
            self.drop(connection)

    def drop(self, connection: AsyncHTTPConnection) -> None:
        spare = self._by_key.get(connection.key)
        if spare is not None:
            spare.pop(connection, None)
            if not spare:
                del self._by_key[connection.key]

    def clear(self) -> None:
        self._by_key.clear()
