"""
Response body decoders: Content-Encoding (gzip, deflate, br, zstd), text,
and lines. Each is incremental: `decode(chunk)` then `flush()` at the end.
"""

from __future__ import annotations

import codecs
import re
import typing
import zlib

from ._exceptions import DecodingError


def _optional(*names: str) -> typing.Any:
    """The first of these modules that imports, else None."""
    import importlib

    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:  # pragma: no cover - depends on what is installed
            continue
    return None  # pragma: no cover - depends on what is installed


brotli = _optional("brotli", "brotlicffi")
zstandard = _optional("zstandard")


class ContentDecoder(typing.Protocol):
    def decode(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class IdentityDecoder:
    def decode(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class DeflateDecoder:
    """`deflate`: zlib-wrapped per the RFC, or raw deflate as some servers send."""

    def __init__(self) -> None:
        self._first = True
        self._decompressor = zlib.decompressobj()

    def decode(self, data: bytes) -> bytes:
        first, self._first = self._first, False
        try:
            return self._decompressor.decompress(data)
        except zlib.error as exc:
            if first:
                self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decode(data)
            raise DecodingError(f"Invalid deflate data: {exc}") from exc

    def flush(self) -> bytes:
        try:
            return self._decompressor.flush()
        except zlib.error as exc:  # pragma: no cover - flush rarely fails
            raise DecodingError(f"Invalid deflate data: {exc}") from exc


class GZipDecoder:
    def __init__(self) -> None:
        self._decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)

    def decode(self, data: bytes) -> bytes:
        try:
            return self._decompressor.decompress(data)
        except zlib.error as exc:
            raise DecodingError(f"Invalid gzip data: {exc}") from exc

    def flush(self) -> bytes:
        try:
            return self._decompressor.flush()
        except zlib.error as exc:  # pragma: no cover - flush rarely fails
            raise DecodingError(f"Invalid gzip data: {exc}") from exc


class BrotliDecoder:
    def __init__(self) -> None:
        assert brotli is not None
        self._decompressor = brotli.Decompressor()
        self._decompress = (
            getattr(self._decompressor, "decompress", None)
            or self._decompressor.process
        )

    def decode(self, data: bytes) -> bytes:
        try:
            return typing.cast(bytes, self._decompress(data))
        except brotli.error as exc:
            raise DecodingError(f"Invalid brotli data: {exc}") from exc

    def flush(self) -> bytes:
        return b""


class ZStandardDecoder:
    def __init__(self) -> None:
        assert zstandard is not None
        self._decompressor = zstandard.ZstdDecompressor().decompressobj()

    def decode(self, data: bytes) -> bytes:
        output = []
        try:
            output.append(self._decompressor.decompress(data))
            while self._decompressor.eof and self._decompressor.unused_data:
                unused = self._decompressor.unused_data
                self._decompressor = zstandard.ZstdDecompressor().decompressobj()
                output.append(self._decompressor.decompress(unused))
        except zstandard.ZstdError as exc:
            raise DecodingError(f"Invalid zstd data: {exc}") from exc
        return b"".join(output)

    def flush(self) -> bytes:
        return b""


class MultiDecoder:
    """Several encodings applied in turn (`Content-Encoding: gzip, br`)."""

    def __init__(self, decoders: list[ContentDecoder]) -> None:
        # Encodings are listed in the order they were applied: undo them backwards.
        self._decoders = list(reversed(decoders))

    def decode(self, data: bytes) -> bytes:
        for decoder in self._decoders:
            data = decoder.decode(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for decoder in self._decoders:
            data = decoder.decode(data) + decoder.flush()
        return data


SUPPORTED_DECODERS: dict[str, type[ContentDecoder]] = {
    "identity": IdentityDecoder,
    "gzip": GZipDecoder,
    "x-gzip": GZipDecoder,
    "deflate": DeflateDecoder,
}
if brotli is not None:  # pragma: no branch
    SUPPORTED_DECODERS["br"] = BrotliDecoder
if zstandard is not None:  # pragma: no branch
    SUPPORTED_DECODERS["zstd"] = ZStandardDecoder

ACCEPT_ENCODING = ", ".join(
    name for name in SUPPORTED_DECODERS if name not in ("identity", "x-gzip")
)


def decoder_for(content_encoding: str | None) -> ContentDecoder:
    """The decoder for a Content-Encoding value; unknown encodings pass through."""
    if not content_encoding:
        return IdentityDecoder()
    names = [v.strip().lower() for v in content_encoding.split(",") if v.strip()]
    decoders = [SUPPORTED_DECODERS[n]() for n in names if n in SUPPORTED_DECODERS]
    if len(decoders) != len(names):
        # An encoding we cannot undo: hand the bytes over as they came.
        return IdentityDecoder()
    if len(decoders) == 1:
        return decoders[0]
    return MultiDecoder(decoders)


class TextDecoder:
    """Incremental bytes -> str, replacing undecodable bytes."""

    def __init__(self, encoding: str) -> None:
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")

    def decode(self, data: bytes) -> str:
        return self._decoder.decode(data)

    def flush(self) -> str:
        return self._decoder.decode(b"", True)


class LineDecoder:
    """
    Incremental str -> lines, split on `\\n`, `\\r\\n` and `\\r` only (not on
    the other breaks `str.splitlines` knows, such as `\\x0c` or `\\u2028`);
    line endings are dropped. A `\\r` that ends a chunk waits for the next
    one, which may start with the `\\n` of the same `\\r\\n`.
    """

    _BREAKS = re.compile(r"\r\n|\r|\n")

    def __init__(self) -> None:
        self._buffer: list[str] = []
        self._trailing_cr = False

    def decode(self, text: str) -> list[str]:
        if self._trailing_cr:
            text = "\r" + text
            self._trailing_cr = False
        if text.endswith("\r"):
            self._trailing_cr = True
            text = text[:-1]
        lines = self._BREAKS.split(text)
        if len(lines) == 1:
            if text:
                self._buffer.append(text)
            return []
        lines[0] = "".join(self._buffer) + lines[0]
        tail = lines.pop()
        self._buffer = [tail] if tail else []
        return lines

    def flush(self) -> list[str]:
        if not self._buffer and not self._trailing_cr:
            return []
        line = "".join(self._buffer)
        self._buffer = []
        self._trailing_cr = False
        return [line]
