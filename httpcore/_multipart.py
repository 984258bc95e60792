"""
`multipart/form-data` request bodies (RFC 7578), for `files=`.

Form fields and in-memory files are encoded up front; file objects are read
in chunks while the body is sent, so a large upload never sits in memory.
The body's length is announced when every part's size is known (a file that
can seek tells its size), else it is sent chunked.
"""

from __future__ import annotations

import io
import mimetypes
import os
import typing

from ._content import ByteStream

__all__ = ["FileTypes", "MultipartStream", "encode_multipart"]

FileContent = typing.Union[bytes, str, typing.IO[bytes]]
FileTypes = typing.Union[
    FileContent,
    tuple[str | None, FileContent],
    tuple[str | None, FileContent, str | None],
]
RequestFiles = typing.Union[
    typing.Mapping[str, FileTypes], typing.Sequence[tuple[str, FileTypes]]
]

CHUNK_SIZE = 64 * 1024
DEFAULT_FILENAME = "upload"


def encode_multipart(
    data: typing.Mapping[str, typing.Any], files: RequestFiles
) -> tuple[dict[str, str], ByteStream | MultipartStream]:
    """
    The headers and body for form fields `data` and `files`.

    `files` maps a field name to a file: bytes, str, or a binary file object,
    alone or as `(filename, file)` or `(filename, file, content_type)`. The
    filename defaults to the file object's own name (else `"upload"`), the
    content type to a guess from the filename (else
    `application/octet-stream`).
    """
    if not isinstance(data, typing.Mapping):
        raise TypeError("With files=, data= takes a dict of form fields.")
    boundary = os.urandom(16).hex()
    delimiter = f"--{boundary}\r\n".encode("ascii")
    parts: list[bytes | _FilePart] = []
    for name, value in data.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            head = delimiter + _disposition(name, None) + b"\r\n\r\n"
            parts.append(head + _field_bytes(name, item) + b"\r\n")
    items = files.items() if isinstance(files, typing.Mapping) else files
    for name, file in items:
        filename, content, content_type = _unpack(file)
        head = (
            delimiter
            + _disposition(name, filename)
            + b"\r\nContent-Type: "
            + _header_value(content_type).encode("utf-8")
            + b"\r\n\r\n"
        )
        if isinstance(content, (bytes, str)):
            body = content.encode("utf-8") if isinstance(content, str) else content
            parts.append(head + body + b"\r\n")
        else:
            parts += [head, _FilePart(content), b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode("ascii"))

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if all(isinstance(part, bytes) for part in parts):
        body = b"".join(typing.cast(list[bytes], parts))
        headers["Content-Length"] = str(len(body))
        return headers, ByteStream(body)
    stream = MultipartStream(parts)
    if stream.length is None:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(stream.length)
    return headers, stream


def _unpack(file: FileTypes) -> tuple[str | None, FileContent, str]:
    filename: str | None
    content_type: str | None = None
    if isinstance(file, tuple):
        if len(file) == 2:
            filename, content = file
        elif len(file) == 3:
            filename, content, content_type = file
        else:
            raise TypeError(
                "A file is given as file, (filename, file) or "
                f"(filename, file, content_type); got a tuple of {len(file)}."
            )
    else:
        content = file
        name = getattr(file, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) else None
        filename = filename or DEFAULT_FILENAME
    if isinstance(content, io.TextIOBase):
        raise TypeError(
            "A file given in files= must be opened in binary mode ('rb'), "
            "so that its bytes are sent as they are."
        )
    if not isinstance(content, (bytes, str)) and not hasattr(content, "read"):
        raise TypeError(
            f"Unexpected file of type {type(content).__name__} in files=: pass "
            "bytes, str or a binary file object."
        )
    if content_type is None:
        guessed = mimetypes.guess_type(filename)[0] if filename else None
        content_type = guessed or "application/octet-stream"
    return filename, content, content_type


def _quote(text: str) -> bytes:
    """A name or filename inside double quotes, escaped as HTML forms do."""
    escaped = text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    return b'"' + escaped.encode("utf-8") + b'"'


def _disposition(name: str, filename: str | None) -> bytes:
    if not isinstance(name, str):
        raise TypeError(f"Form field names must be str, not {type(name).__name__}.")
    value = b"Content-Disposition: form-data; name=" + _quote(name)
    if filename is not None:
        value += b"; filename=" + _quote(filename)
    return value


def _header_value(value: str) -> str:
    # CR or LF would add headers to the part; no control belongs in a header.
    if any((char < " " and char != "\t") or char == "\x7f" for char in value):
        raise ValueError(
            f"Invalid content type {value!r}: it holds CR or LF, or another "
            "control character."
        )
    return value


def _field_bytes(name: str, value: typing.Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if value is True or value is False:
        return b"true" if value else b"false"
    if value is None:
        return b""
    if isinstance(value, (int, float)):
        return str(value).encode("ascii")
    raise TypeError(
        f"Form field {name!r} has a value of type {type(value).__name__}: "
        "pass str, bytes, int, float, bool or None."
    )


class _FilePart:
    """A file object in the body: its size, when known, and its chunks."""

    __slots__ = ("file", "size", "start")

    def __init__(self, file: typing.IO[bytes]) -> None:
        self.file = file
        self.start: int | None = None
        self.size: int | None = None
        try:
            if file.seekable():
                self.start = file.tell()
                end = file.seek(0, io.SEEK_END)
                file.seek(self.start)
                self.size = end - self.start
        except (AttributeError, OSError, ValueError):
            self.start = self.size = None

    def chunks(self) -> typing.Iterator[bytes]:
        if self.start is not None:
            self.file.seek(self.start)
        while True:
            chunk = self.file.read(CHUNK_SIZE)
            if not chunk:
                return
            if not isinstance(chunk, bytes):
                raise TypeError("A file in files= must be opened in binary mode.")
            yield chunk


class MultipartStream:
    """
    A multipart body with file objects in it, streamed. Files that can seek
    are rewound each time, so the body can be sent again (`replayable`) for
    a redirect or an auth retry.
    """

    __slots__ = ("_parts", "length", "replayable")

    def __init__(self, parts: list[bytes | _FilePart]) -> None:
        self._parts = parts
        files = [part for part in parts if isinstance(part, _FilePart)]
        self.replayable = all(part.start is not None for part in files)
        sizes = [part.size for part in files]
        self.length: int | None = None
        if None not in sizes:
            known = sum(len(part) for part in parts if isinstance(part, bytes))
            self.length = known + sum(typing.cast(list[int], sizes))

    def __iter__(self) -> typing.Iterator[bytes]:
        for part in self._parts:
            if isinstance(part, bytes):
                yield part
            else:
                yield from part.chunks()

    def __aiter__(self) -> _AsyncChunks:
        return _AsyncChunks(iter(self))

    async def aclose(self) -> None:
        pass

    def close(self) -> None:
        pass


class _AsyncChunks:
    """Async iteration over the (blocking, local) file reads of a body."""

    __slots__ = ("_chunks",)

    def __init__(self, chunks: typing.Iterator[bytes]) -> None:
        self._chunks = chunks

    def __aiter__(self) -> _AsyncChunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            raise StopAsyncIteration from None
