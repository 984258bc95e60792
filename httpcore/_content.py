"""
Request bodies: bytes, str, form data, JSON and byte iterators, each turned
into a byte stream plus the headers that describe it.

Streams are small classes with both `__iter__` and `__aiter__`, not
generators: a sync client running inside someone else's event loop must
never hand an async generator's finalization to that loop.
"""

from __future__ import annotations

import typing
from urllib.parse import urlencode

from ._exceptions import StreamConsumed
from ._params import primitive_value

if typing.TYPE_CHECKING:  # pragma: no cover
    from ._multipart import MultipartStream

__all__ = [
    "AsyncIteratorByteStream",
    "ByteStream",
    "IteratorByteStream",
    "RequestContent",
    "encode_request",
    "is_replayable",
    "not_replayable",
]

RequestContent = typing.Union[
    str, bytes, typing.Iterable[bytes], typing.AsyncIterable[bytes]
]
RequestData = typing.Mapping[str, typing.Any]


class ByteStream:
    """A body known in full: iterates as one chunk, any number of times."""

    __slots__ = ("_data", "_done")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._done = False

    def __iter__(self) -> typing.Iterator[bytes]:
        if self._data:
            yield self._data

    def __aiter__(self) -> ByteStream:
        fresh = ByteStream(self._data)
        return fresh

    async def __anext__(self) -> bytes:
        if self._done or not self._data:
            raise StopAsyncIteration
        self._done = True
        return self._data

    async def aclose(self) -> None:
        pass

    def close(self) -> None:
        pass


class IteratorByteStream:
    """
    A body from a sync iterator or file-like object: streamed once, in
    chunks. A file object that can seek is `replayable`: it is rewound to
    where it stood at first, so the body can be sent again (a 307 redirect,
    an auth retry) without ever being read into memory.
    """

    __slots__ = ("_consumed", "_iterable", "_iterator", "_start_at")

    CHUNK_SIZE = 64 * 1024

    def __init__(self, iterable: typing.Iterable[bytes]) -> None:
        self._iterable = iterable
        self._iterator: typing.Iterator[bytes] | None = None
        self._consumed = False
        self._start_at: int | None = None
        if hasattr(iterable, "read"):
            try:
                if typing.cast(typing.IO[bytes], iterable).seekable():
                    self._start_at = typing.cast(typing.IO[bytes], iterable).tell()
            except (AttributeError, OSError, ValueError):
                self._start_at = None

    @property
    def replayable(self) -> bool:
        """Whether the body can be sent again: a file object that can seek."""
        return self._start_at is not None

    def __iter__(self) -> typing.Iterator[bytes]:
        self._start()
        assert self._iterator is not None
        for chunk in self._iterator:
            yield _as_bytes(chunk)

    def __aiter__(self) -> IteratorByteStream:
        self._start()
        return self

    async def __anext__(self) -> bytes:
        assert self._iterator is not None
        try:
            return _as_bytes(next(self._iterator))
        except StopIteration:
            raise StopAsyncIteration from None

    def _start(self) -> None:
        if self._consumed and self._start_at is None:
            raise StreamConsumed()
        self._consumed = True
        file = typing.cast(typing.IO[bytes], self._iterable)
        read = getattr(file, "read", None)
        if read is not None:
            if self._start_at is not None:
                file.seek(self._start_at)
            self._iterator = _FileChunks(read, self.CHUNK_SIZE)
        else:
            self._iterator = iter(self._iterable)

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        close = getattr(self._iterator, "close", None)
        if close is not None:
            close()


class _FileChunks:
    """Chunks of a file object until it reads empty, in binary or text mode."""

    __slots__ = ("_read", "_size")

    def __init__(self, read: typing.Callable[[int], typing.Any], size: int) -> None:
        self._read = read
        self._size = size

    def __iter__(self) -> _FileChunks:
        return self

    def __next__(self) -> typing.Any:
        chunk = self._read(self._size)
        if not chunk:  # b"" from a binary file, "" from a text one
            raise StopIteration
        return chunk


class AsyncIteratorByteStream:
    """A body from an async iterator: streamed once, async clients only."""

    __slots__ = ("_consumed", "_iterable", "_iterator")

    def __init__(self, iterable: typing.AsyncIterable[bytes]) -> None:
        self._iterable = iterable
        self._iterator: typing.AsyncIterator[bytes] | None = None
        self._consumed = False

    def __aiter__(self) -> AsyncIteratorByteStream:
        if self._consumed:
            raise StreamConsumed()
        self._consumed = True
        self._iterator = self._iterable.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        assert self._iterator is not None
        return _as_bytes(await self._iterator.__anext__())

    async def aclose(self) -> None:
        aclose = getattr(self._iterator, "aclose", None)
        if aclose is not None:
            await aclose()


def is_replayable(stream: object) -> bool:
    """Whether a request body can be sent again: known in full, or rewindable."""
    return isinstance(stream, ByteStream) or bool(getattr(stream, "replayable", False))


def not_replayable(why: str) -> StreamConsumed:
    """The error for a one-shot body that `why` would need to send again."""
    error = StreamConsumed()
    error.args = (
        f"{why}, but the request body was streamed from an iterator or a file "
        "that cannot seek, so it cannot be sent again. Pass the body as bytes "
        "or as a file opened for reading (which is rewound), or read it into "
        "memory first (request.read()).",
    )
    return error


def _as_bytes(chunk: typing.Any) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    raise TypeError(
        f"A request body iterator must yield bytes, not {type(chunk).__name__}."
    )


ByteStreamTypes = typing.Union[
    ByteStream, IteratorByteStream, AsyncIteratorByteStream, "MultipartStream"
]


def encode_content(
    content: RequestContent,
) -> tuple[dict[str, str], ByteStreamTypes]:
    if isinstance(content, (bytes, bytearray, memoryview)):
        body = bytes(content)
        return {"Content-Length": str(len(body))}, ByteStream(body)
    if isinstance(content, str):
        body = content.encode("utf-8")
        return {"Content-Length": str(len(body))}, ByteStream(body)
    if hasattr(content, "__aiter__"):
        stream: ByteStreamTypes = AsyncIteratorByteStream(
            typing.cast(typing.AsyncIterable[bytes], content)
        )
        return {"Transfer-Encoding": "chunked"}, stream
    if hasattr(content, "__iter__") or hasattr(content, "read"):
        headers = {"Transfer-Encoding": "chunked"}
        length = _file_length(content)
        if length is not None:
            headers = {"Content-Length": str(length)}
        return headers, IteratorByteStream(content)
    raise TypeError(
        f"Unexpected request content of type {type(content).__name__}: pass "
        "bytes, str, or an iterator / async iterator of bytes."
    )


def _file_length(content: typing.Any) -> int | None:
    """The bytes left in a seekable file object, or None."""
    import os

    try:
        fileno = content.fileno()
        position = content.tell()
    except (AttributeError, OSError, ValueError):
        return None
    try:
        return max(int(os.fstat(fileno).st_size) - int(position), 0)
    except OSError:  # pragma: no cover - fstat of an open descriptor
        return None


def encode_urlencoded(data: RequestData) -> tuple[dict[str, str], ByteStream]:
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(key), primitive_value(item)) for item in values)
    body = urlencode(pairs, doseq=False).encode("ascii")
    return {
        "Content-Length": str(len(body)),
        "Content-Type": "application/x-www-form-urlencoded",
    }, ByteStream(body)


def encode_json(value: typing.Any) -> tuple[dict[str, str], ByteStream]:
    import json as jsonlib

    try:
        body = jsonlib.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"The json= value cannot be serialised as JSON: {exc}") from exc
    return {
        "Content-Length": str(len(body)),
        "Content-Type": "application/json",
    }, ByteStream(body)


def encode_request(
    content: RequestContent | None = None,
    data: RequestData | None = None,
    files: typing.Any = None,
    json: typing.Any = None,
) -> tuple[dict[str, str], ByteStreamTypes]:
    """The headers and byte stream for a request body given in any of its forms."""
    if content is None and data is None and files is None and json is None:
        return {}, ByteStream(b"")  # no body: most requests
    if files is not None:
        if content is not None or json is not None:
            raise TypeError("files= cannot be combined with content= or json=.")
        from ._multipart import encode_multipart

        multipart: tuple[dict[str, str], ByteStreamTypes] = encode_multipart(
            data or {}, files
        )
        return multipart
    given = [
        name
        for name, value in (("content", content), ("data", data), ("json", json))
        if value is not None
    ]
    if len(given) > 1:
        raise TypeError(f"Pass only one request body, got {' and '.join(given)}.")
    if content is not None:
        return encode_content(content)
    if data is not None:
        if not isinstance(data, typing.Mapping):
            raise TypeError(
                "data= takes a dict of form fields; pass raw bytes, str or an "
                "iterator as content= instead."
            )
        return encode_urlencoded(data)
    if json is not None:
        return encode_json(json)
    return {}, ByteStream(b"")
