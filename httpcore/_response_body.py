"""
Iterating a response body: as received (`RawIterator`), decoded per its
Content-Encoding (`DecodedIterator`), or replayed once read
(`ReplayIterator`); and `iterate_sync`, which drives one from sync code.

They are small classes with `__anext__`, not async generators: a sync caller
inside someone else's running event loop must never hand a generator's
finalization to that loop. Reaching the end of the body, or an error,
closes the response, which gives its connection back.
"""

from __future__ import annotations

import typing

from ._backends._drive import drive
from ._decoders import ContentDecoder
from ._exceptions import RequestError
from ._request import AsyncByteStream

if typing.TYPE_CHECKING:  # pragma: no cover
    from ._models import BaseResponse

__all__ = ["DecodedIterator", "RawIterator", "ReplayIterator", "iterate_sync"]


class RawIterator:
    """Iterates a response body as received; closes the response at the end."""

    __slots__ = ("_iterator", "_response", "_stream")

    def __init__(self, response: BaseResponse, stream: AsyncByteStream) -> None:
        self._response = response
        self._stream = stream
        self._iterator: typing.AsyncIterator[bytes] | None = None

    def __aiter__(self) -> RawIterator:
        return self

    async def __anext__(self) -> bytes:
        if self._iterator is None:
            self._iterator = self._stream.__aiter__()
        try:
            return await self._iterator.__anext__()
        except StopAsyncIteration:
            await self._finish()
            raise
        except BaseException as exc:
            if isinstance(exc, RequestError) and exc._request is None:
                exc._request = self._response._request
            await self._finish()
            raise

    async def _finish(self) -> None:
        if not self._response.is_closed:
            self._response.is_closed = True
            await self._stream.aclose()


class DecodedIterator(RawIterator):
    """
    Iterates a response body decoded per its Content-Encoding. A received
    chunk may decode to far more than it holds (a compression bomb): its
    output is taken from the decoder one bounded piece per step, so only
    what the caller keeps stays in memory.
    """

    __slots__ = ("_decoder", "_ended", "_factory", "_pending")

    def __init__(
        self,
        response: BaseResponse,
        stream: AsyncByteStream,
        decoder: typing.Callable[[], ContentDecoder],
    ) -> None:
        super().__init__(response, stream)
        self._factory = decoder
        self._decoder: ContentDecoder | None = None
        self._pending: typing.Iterator[bytes] | None = None
        self._ended = False  # the body was received to its end

    async def __anext__(self) -> bytes:
        while True:
            if self._response.is_closed and not self._ended:
                # Closed by the caller mid-body: what is left is dropped.
                self._pending = None
                raise StopAsyncIteration
            if self._pending is None and self._ended:
                raise StopAsyncIteration
            chunk = None
            if self._pending is None:
                try:
                    chunk = await super().__anext__()
                except StopAsyncIteration:
                    self._ended = True
            try:
                if self._decoder is None:
                    self._decoder = self._factory()
                if self._pending is None:
                    self._pending = iter(
                        self._decoder.flush()
                        if chunk is None
                        else self._decoder.decode(chunk)
                    )
                return next(self._pending)
            except StopIteration:
                self._pending = None
            except BaseException as exc:
                await self._fail(exc)
                raise

    async def _fail(self, exc: BaseException) -> None:
        self._pending = None
        self._ended = True
        if isinstance(exc, RequestError) and exc._request is None:
            exc._request = self._response._request
        await self._finish()


class ReplayIterator:
    __slots__ = ("_content",)

    def __init__(self, content: bytes) -> None:
        self._content: bytes | None = content

    def __aiter__(self) -> ReplayIterator:
        return self

    async def __anext__(self) -> bytes:
        content, self._content = self._content, None
        if not content:
            raise StopAsyncIteration
        return content


def iterate_sync(iterator: typing.AsyncIterator[bytes]) -> typing.Iterator[bytes]:
    """Drive an async byte iterator of the core from sync code."""
    while True:
        try:
            yield drive(
                typing.cast(typing.Coroutine[None, None, bytes], iterator.__anext__())
            )
        except StopAsyncIteration:
            return
