"""Request bodies: each form becomes a byte stream and the headers for it."""

from __future__ import annotations

import io

import pytest

import httpcore
from httpcore._backends._drive import drive
from httpcore._content import (
    AsyncIteratorByteStream,
    ByteStream,
    IteratorByteStream,
    encode_request,
    is_replayable,
    not_replayable,
)


async def collect(stream) -> bytes:
    return b"".join([chunk async for chunk in stream])


def test_bytes_str_and_memoryview_have_a_length():
    for content, body in [
        (b"abc", b"abc"),
        ("é", "é".encode()),
        (memoryview(b"xy"), b"xy"),
    ]:
        headers, stream = encode_request(content=content)
        assert headers == {"Content-Length": str(len(body))}
        assert list(stream) == [body]
        assert drive(collect(stream)) == body
        assert drive(collect(stream)) == body  # replayable


def test_empty_body():
    headers, stream = encode_request()
    assert headers == {}
    assert list(stream) == [] and drive(collect(stream)) == b""


def test_iterator_is_chunked_and_streams_once():
    headers, stream = encode_request(content=iter([b"a", bytearray(b"b"), "c"]))
    assert headers == {"Transfer-Encoding": "chunked"}
    assert list(stream) == [b"a", b"b", b"c"]
    with pytest.raises(httpcore.StreamConsumed):
        list(stream)


def test_iterator_of_the_wrong_type():
    stream = IteratorByteStream([1, 2])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must yield bytes"):
        drive(collect(stream))


def test_binary_file_has_a_length_and_streams_in_chunks(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 200_000)
    with open(path, "rb") as file:
        file.read(100)
        headers, stream = encode_request(content=file)
        assert headers == {"Content-Length": str(200_000 - 100)}
        chunks = list(stream)
    assert [len(c) for c in chunks] == [65536, 65536, 65536, 3292]


def test_text_file_streams_and_ends(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("héllo" * 3, encoding="utf-8")
    with open(path, encoding="utf-8") as file:
        _, stream = encode_request(content=file)
        assert b"".join(drive(collect(stream)).split()) == "héllo".encode() * 3


def test_file_like_without_fileno_is_chunked():
    headers, stream = encode_request(content=io.BytesIO(b"abc"))
    assert headers == {"Transfer-Encoding": "chunked"}
    assert list(stream) == [b"abc"]
    stream.close()


def test_async_iterator_streams_once():
    async def gen():
        yield b"a"
        yield "b"

    headers, stream = encode_request(content=gen())
    assert isinstance(stream, AsyncIteratorByteStream)
    assert headers == {"Transfer-Encoding": "chunked"}

    async def run() -> None:
        assert await collect(stream) == b"ab"
        with pytest.raises(httpcore.StreamConsumed):
            await collect(stream)
        await stream.aclose()

    import asyncio

    asyncio.run(run())


def test_form_data():
    headers, stream = encode_request(data={"a": 1, "b": [True, None], "c": "é"})
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert stream._data == b"a=1&b=true&b=&c=%C3%A9"
    _, stream = encode_request(data={"f": False})
    assert stream._data == b"f=false"


def test_json_body():
    headers, stream = encode_request(json={"a": [1, "é"]})
    assert headers["Content-Type"] == "application/json"
    assert stream._data == '{"a":[1,"é"]}'.encode()


@pytest.mark.parametrize("value", [{"a": object()}, {"n": float("nan")}])
def test_json_that_cannot_be_serialised(value):
    with pytest.raises(TypeError, match="cannot be serialised"):
        encode_request(json=value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"content": b"a", "json": {}}, "only one request body"),
        ({"data": {"a": 1}, "json": {}}, "only one request body"),
        ({"files": {"f": b"x"}, "json": {}}, "cannot be combined"),
        ({"data": b"raw"}, "content= instead"),
        ({"content": 3}, "Unexpected request content"),
    ],
)
def test_conflicting_or_bad_bodies(kwargs, message):
    with pytest.raises(TypeError, match=message):
        encode_request(**kwargs)


def test_byte_stream_close_is_harmless():
    stream = ByteStream(b"x")
    stream.close()
    drive(stream.aclose())
    assert list(stream) == [b"x"]


class Unseekable:
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def seekable(self) -> bool:
        return False


def test_seekable_files_are_replayable_from_where_they_stood():
    file = io.BytesIO(b"skip|body")
    file.seek(5)
    _, stream = encode_request(content=file)
    assert isinstance(stream, IteratorByteStream) and stream.replayable
    assert list(stream) == [b"body"]
    assert list(stream) == [b"body"]  # rewound
    assert drive(collect(stream)) == b"body"


def test_other_bodies_are_not_replayable():
    _, unseekable = encode_request(content=Unseekable(b"once"))
    assert not unseekable.replayable
    assert list(unseekable) == [b"once"]
    with pytest.raises(httpcore.StreamConsumed):
        list(unseekable)
    closed = io.BytesIO(b"x")
    closed.close()
    assert not IteratorByteStream(closed).replayable  # seekable() raises
    assert not IteratorByteStream(iter([b"x"])).replayable
    assert is_replayable(ByteStream(b"x"))
    assert not is_replayable(IteratorByteStream(iter([b"x"])))


def test_not_replayable_explains():
    error = not_replayable("A 307 redirect asks to send the body again")
    assert isinstance(error, httpcore.StreamConsumed)
    assert str(error).startswith("A 307 redirect asks to send the body again, but")
    assert "cannot be sent again" in str(error)


def test_closing_streams_closes_their_iterators():
    closed = []

    def gen():
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    stream = IteratorByteStream(gen())
    chunks = iter(stream)
    assert next(chunks) == b"a"
    stream.close()
    assert closed == [True]

    class NoClose:
        def __aiter__(self):
            return self

        async def __anext__(self) -> bytes:
            raise StopAsyncIteration

    async_stream = AsyncIteratorByteStream(NoClose())
    assert drive(collect(async_stream)) == b""
    drive(async_stream.aclose())  # nothing to close: fine


def test_form_values_of_other_types_are_refused():
    with pytest.raises(TypeError, match="form values must be str, int"):
        encode_request(data={"a": object()})
