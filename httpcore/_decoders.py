"""
Response body decoders: Content-Encoding (gzip, deflate, br, zstd), text,
and lines.

How the content decoders work. Each is incremental, and lazy: `decode(data)`
and `flush()` return iterators of output chunks, and each step of those
iterators produces at most about `MAX_CHUNK` bytes. A few kilobytes of
compressed input can expand to gigabytes (a "compression bomb"), so a decoder
never expands a whole input chunk at once: it keeps the input it has not
used yet and resumes when the caller asks for the next chunk. Memory then
stays bounded by what the caller keeps, however large the expansion.

- gzip and deflate: `zlib`'s `decompress(data, max_length)`, resumed from
  `unconsumed_tail`.
- br: `brotli`'s `process(data, output_buffer_limit=...)` (brotli >= 1.2).
- zstd: `zstandard` has no output limit, so the decoder reads the frame and
  block headers itself (RFC 8878) and feeds the decompressor one block at a
  time: a block never decodes to more than 128 KiB.
"""

from __future__ import annotations

import codecs
import re
import typing
import zlib

from ._exceptions import DecodingError

__all__ = [
    "ACCEPT_ENCODING",
    "MAX_CHUNK",
    "MAX_ENCODINGS",
    "ContentDecoder",
    "LineDecoder",
    "TextDecoder",
    "decoder_for",
]

# The most output one step of a decoder produces (about: brotli rounds up).
MAX_CHUNK = 64 * 1024
# The most encodings undone for one body (`Content-Encoding: gzip, br, ...`).
MAX_ENCODINGS = 5


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

Chunks = typing.Iterator[bytes]


class ContentDecoder(typing.Protocol):
    def decode(self, data: bytes) -> Chunks:
        """The output for `data`, lazily, in chunks of about `MAX_CHUNK` at most."""
        ...

    def flush(self) -> Chunks:
        """The output still held back, at the end of the body."""
        ...


class IdentityDecoder:
    def decode(self, data: bytes) -> Chunks:
        if data:
            yield data

    def flush(self) -> Chunks:
        return iter(())


class _ZlibDecoder:
    """gzip and zlib-wrapped or raw deflate: zlib with a bounded output."""

    name = "deflate"

    def __init__(self) -> None:
        self._decompressor: typing.Any = None
        self._done = False  # the stream ended: ignore what follows

    def _start(self, data: bytes) -> bytes | None:
        """Set `_decompressor` up for `data`; None to wait for more bytes."""
        raise NotImplementedError

    def _next_stream(self) -> bool:
        """Whether another stream may follow the one that ended."""
        return False

    def decode(self, data: bytes) -> Chunks:
        if self._done or not data:
            return
        if self._decompressor is None:
            pending = self._start(data)
            if pending is None:
                return
            data = pending
        while True:
            decompressor = self._decompressor
            try:
                output = decompressor.decompress(data, MAX_CHUNK)
            except zlib.error as exc:
                raise DecodingError(f"Invalid {self.name} data: {exc}") from exc
            data = decompressor.unconsumed_tail
            if output:
                yield output
            if decompressor.eof:
                self._decompressor = None
                if not self._next_stream():
                    self._done = True
                    return
                pending = self._start(decompressor.unused_data)
                if pending is None:
                    return
                data = pending
            elif not data and len(output) < MAX_CHUNK:
                # Output short of the limit and no input left: zlib has
                # nothing more until it gets more input.
                return

    def flush(self) -> Chunks:
        if self._decompressor is not None:
            raise DecodingError(f"Truncated {self.name} data: the body ended early.")
        return iter(())


class DeflateDecoder(_ZlibDecoder):
    """
    `deflate`: zlib-wrapped as the RFC says, or raw deflate as some servers
    send it. The first two bytes tell: a zlib header has compression method
    8 and is a multiple of 31.
    """

    name = "deflate"

    def __init__(self) -> None:
        super().__init__()
        self._head = b""

    def _start(self, data: bytes) -> bytes | None:
        data = self._head + data
        if len(data) < 2:
            self._head = data
            return None
        self._head = b""
        cmf, flg = data[0], data[1]
        zlib_header = cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0
        wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
        self._decompressor = zlib.decompressobj(wbits)
        return data

    def flush(self) -> Chunks:
        if self._head:
            raise DecodingError("Truncated deflate data: the body ended early.")
        return super().flush()


class GZipDecoder(_ZlibDecoder):
    """
    `gzip`, including several gzip members one after another (RFC 1952).
    What follows a member and is not another one (padding, say) is
    ignored, as the gzip tool does.
    """

    name = "gzip"

    def __init__(self) -> None:
        super().__init__()
        self._head = b""
        self._between_members = False

    def _next_stream(self) -> bool:
        self._between_members = True
        return True

    def _start(self, data: bytes) -> bytes | None:
        if self._between_members:
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return None
            self._head = b""
            if data[:2] != b"\x1f\x8b":
                self._done = True
                return None
            self._between_members = False
        self._decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        return data


class BrotliDecoder:
    def __init__(self) -> None:
        assert brotli is not None
        self._decompressor = brotli.Decompressor()
        self._bounded = hasattr(self._decompressor, "can_accept_more_data")
        self._fed = False

    def decode(self, data: bytes) -> Chunks:
        if not data:
            return
        self._fed = True
        try:
            if not self._bounded:  # pragma: no cover - brotli < 1.2, brotlicffi
                output = self._decompressor.process(data)
                if output:
                    yield output
                return
            output = self._decompressor.process(data, output_buffer_limit=MAX_CHUNK)
            while output:
                yield output
                output = self._decompressor.process(b"", output_buffer_limit=MAX_CHUNK)
        except brotli.error as exc:
            raise DecodingError(f"Invalid brotli data: {exc}") from exc

    def flush(self) -> Chunks:
        if self._fed and not self._decompressor.is_finished():
            raise DecodingError("Truncated brotli data: the body ended early.")
        return iter(())


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_FCS_SIZES = (0, 2, 4, 8)
_DICT_ID_SIZES = (0, 1, 2, 4)


class ZStandardDecoder:
    """
    `zstd`, one block at a time (see the module's docstring). The parser
    walks the frame format of RFC 8878: a frame header, blocks each with a
    3-byte header, an optional checksum; skippable frames are skipped.
    """

    def __init__(self) -> None:
        assert zstandard is not None
        self._buffer = bytearray()  # input not given to the decompressor yet
        self._state = "magic"
        self._left = 0  # bytes left in the block or skippable frame
        self._last_block = False
        self._checksum = False
        self._decompressor: typing.Any = None

    def decode(self, data: bytes) -> Chunks:
        self._buffer += data
        while True:
            piece = self._next_piece()
            if piece is None:
                return
            try:
                output = self._decompressor.decompress(piece)
            except zstandard.ZstdError as exc:
                raise DecodingError(f"Invalid zstd data: {exc}") from exc
            if output:
                yield output

    def _take(self, size: int) -> bytes:
        piece = bytes(self._buffer[:size])
        del self._buffer[:size]
        return piece

    def _next_piece(self) -> bytes | None:
        """The next bytes to decompress, never past a block's end; None: wait."""
        buffer = self._buffer
        while True:
            state = self._state
            if state == "magic":
                if len(buffer) < 4:
                    return None
                if buffer[:4] == _ZSTD_MAGIC:
                    self._state = "header"
                    continue
                if buffer[0] & 0xF0 != 0x50 or buffer[1:4] != b"\x2a\x4d\x18":
                    raise DecodingError("Invalid zstd data: unknown frame magic.")
                if len(buffer) < 8:
                    return None
                self._left = 8 + int.from_bytes(buffer[4:8], "little")
                self._state = "skip"
            elif state == "skip":
                size = min(self._left, len(buffer))
                del buffer[:size]
                self._left -= size
                if self._left:
                    return None
                self._state = "magic"
            elif state == "header":
                if len(buffer) < 5:
                    return None
                descriptor = buffer[4]
                single_segment = descriptor >> 5 & 1
                fcs = _FCS_SIZES[descriptor >> 6] or single_segment
                size = 5 + (not single_segment) + _DICT_ID_SIZES[descriptor & 3] + fcs
                if len(buffer) < size:
                    return None
                self._checksum = bool(descriptor & 4)
                self._decompressor = zstandard.ZstdDecompressor().decompressobj()
                self._state = "block header"
                return self._take(size)
            elif state == "block header":
                if len(buffer) < 3:
                    return None
                header = int.from_bytes(buffer[:3], "little")
                kind, size = header >> 1 & 3, header >> 3
                # An RLE block is one byte, repeated `size` times.
                self._left = 3 + (1 if kind == 1 else size)
                self._last_block = bool(header & 1)
                self._state = "block"
            elif state == "block":
                if not buffer:
                    return None
                size = min(self._left, len(buffer))
                self._left -= size
                if not self._left:
                    if not self._last_block:
                        self._state = "block header"
                    elif self._checksum:
                        self._state = "checksum"
                    else:
                        self._state = "magic"
                return self._take(size)
            else:  # "checksum"
                if len(buffer) < 4:
                    return None
                self._state = "magic"
                return self._take(4)

    def flush(self) -> Chunks:
        if self._state != "magic" or self._buffer:
            raise DecodingError("Truncated zstd data: the body ended early.")
        return iter(())


class MultiDecoder:
    """Several encodings applied in turn (`Content-Encoding: gzip, br`)."""

    def __init__(self, decoders: list[ContentDecoder]) -> None:
        # Encodings are listed in the order they were applied: undo them backwards.
        self._decoders = list(reversed(decoders))

    def decode(self, data: bytes) -> Chunks:
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Chunks:
        """`data` through the decoders from `index` on, chunk by chunk."""
        if index == len(self._decoders):
            if data:
                yield data
            return
        for chunk in self._decoders[index].decode(data):
            yield from self._through(index + 1, chunk)

    def flush(self) -> Chunks:
        # What one decoder still holds goes through the next ones, which are
        # flushed in their turn.
        for index, decoder in enumerate(self._decoders):
            for chunk in decoder.flush():
                yield from self._through(index + 1, chunk)


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
    """
    The decoder for a Content-Encoding value. A body with an encoding we
    cannot undo passes through as it came; more than `MAX_ENCODINGS`
    encodings raise `DecodingError`.
    """
    if not content_encoding:
        return IdentityDecoder()
    names = [v.strip().lower() for v in content_encoding.split(",") if v.strip()]
    if len(names) > MAX_ENCODINGS:
        raise DecodingError(
            f"Too many content encodings ({len(names)}, the limit is "
            f"{MAX_ENCODINGS}): {content_encoding!r}."
        )
    decoders = [SUPPORTED_DECODERS[n]() for n in names if n in SUPPORTED_DECODERS]
    if len(decoders) != len(names) or not decoders:
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
