"""
Content-Encoding decoders, one chunk at a time: round trips, bounded output
per step (compression bombs), chains of encodings, and their failures.
"""

from __future__ import annotations

import gzip
import os
import zlib

import brotli
import pytest
import zstandard

import httpcore
from httpcore._decoders import (
    ACCEPT_ENCODING,
    MAX_CHUNK,
    MAX_ENCODINGS,
    BrotliDecoder,
    DeflateDecoder,
    GZipDecoder,
    IdentityDecoder,
    MultiDecoder,
    ZStandardDecoder,
    decoder_for,
)

TEXT = b"Hello, world! " * 200
# Some of everything: incompressible, very compressible, and in between.
MIXED = os.urandom(100_000) + bytes(3_000_000) + b"hello " * 20_000


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(write_checksum=True).compress(data)


def br(data: bytes) -> bytes:
    return brotli.compress(data, quality=5)  # the default, 11, is slow


ENCODERS = [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", raw_deflate),
    ("br", br),
    ("zstd", zstd),
    ("identity", lambda data: data),
]
IDS = ["gzip", "x-gzip", "deflate", "raw-deflate", "br", "zstd", "identity"]


def feed(decoder, data: bytes, size: int = 7) -> list[bytes]:
    """Every output chunk of `decoder` for `data` given `size` bytes at a time."""
    chunks = []
    for i in range(0, len(data), size):
        chunks += list(decoder.decode(data[i : i + size]))
    chunks += list(decoder.flush())
    return chunks


@pytest.mark.parametrize(("encoding", "encode"), ENCODERS, ids=IDS)
@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 30])
def test_each_encoding_decodes_in_any_chunking(encoding, encode, size):
    data = TEXT if size < 100 else MIXED
    assert b"".join(feed(decoder_for(encoding), encode(data), size)) == data


@pytest.mark.parametrize(("encoding", "encode"), ENCODERS[:-1], ids=IDS[:-1])
def test_output_per_step_is_bounded(encoding, encode):
    # 32 MiB of zeros: a few kilobytes compressed, given in one piece. Each
    # step of the decoder's iterator yields a bounded chunk, so nothing like
    # the whole output is ever held at once.
    size = 32 << 20
    compressed = encode(bytes(size))
    assert len(compressed) < size // 500
    decoder = decoder_for(encoding)
    total = 0
    largest = 0
    for chunk in decoder.decode(compressed):
        total += len(chunk)
        largest = max(largest, len(chunk))
    assert total == size
    # brotli rounds its limit up; a zstd block is at most 128 KiB.
    assert largest <= 2 * MAX_CHUNK


def test_decode_is_lazy():
    decoder = GZipDecoder()
    steps = decoder.decode(gzip.compress(bytes(10 << 20)))
    assert len(next(steps)) == MAX_CHUNK  # one step: one bounded chunk
    steps.close()


def test_raw_deflate_and_zlib_deflate_are_told_apart():
    for data in (raw_deflate(TEXT), zlib.compress(TEXT)):
        assert b"".join(feed(DeflateDecoder(), data, size=1)) == TEXT


def test_concatenated_gzip_members_and_trailing_padding():
    data = gzip.compress(b"one") + gzip.compress(b"two") + b"\0\0\0"
    for size in (1, 2, 3, 1000):
        assert b"".join(feed(GZipDecoder(), data, size)) == b"onetwo"
    # A member cut after its first byte, at the end: padding, not an error.
    assert b"".join(feed(GZipDecoder(), gzip.compress(b"x") + b"\x1f", 1)) == b"x"


def test_zstd_frames_skippable_frames_and_blocks():
    compress = zstandard.ZstdCompressor().compress
    skippable = b"\x5a\x2a\x4d\x18" + (5).to_bytes(4, "little") + b"xxxxx"
    data = compress(b"one") + skippable + compress(b"two")
    for size in (1, 3, 1000):
        assert b"".join(feed(ZStandardDecoder(), data, size)) == b"onetwo"
    # Raw, RLE and compressed blocks, with and without a checksum.
    plain = zstandard.ZstdCompressor(level=1, write_checksum=False)
    for body in (os.urandom(300_000), bytes(300_000), MIXED):
        for encoded in (zstd(body), plain.compress(body)):
            assert b"".join(feed(ZStandardDecoder(), encoded, 5000)) == body


def test_unknown_zstd_magic_and_corrupt_blocks():
    with pytest.raises(httpcore.DecodingError, match="frame magic"):
        feed(ZStandardDecoder(), b"\x00\x01\x02\x03\x04\x05")
    frame = bytearray(zstd(MIXED))
    frame[100:120] = b"\xff" * 20  # inside the first compressed block
    with pytest.raises(httpcore.DecodingError, match="Invalid zstd data"):
        feed(ZStandardDecoder(), bytes(frame), size=4096)


def test_several_encodings_are_undone_in_reverse():
    data = br(gzip.compress(TEXT))
    decoder = decoder_for("gzip, br")
    assert isinstance(decoder, MultiDecoder)
    assert b"".join(feed(decoder, data)) == TEXT


class Tail:
    """A decoder that holds back its input until the end (the protocol allows it)."""

    def __init__(self) -> None:
        self.held = b""

    def decode(self, data: bytes):
        self.held += data
        yield b""

    def flush(self):
        yield self.held


def test_a_chain_passes_what_a_flush_returns_through_the_next_decoders():
    # Listed in the order applied, so undone the other way: Tail, then gzip.
    decoder = MultiDecoder([GZipDecoder(), Tail()])
    assert list(decoder.decode(gzip.compress(b"abc"))) == []
    assert list(decoder.flush()) == [b"abc"]  # Tail's flush, through gzip
    # gzip, then Tail, which lets an empty chunk out and holds the rest.
    decoder = MultiDecoder([Tail(), GZipDecoder()])
    assert list(decoder.decode(gzip.compress(b"abc"))) == []
    assert list(decoder.flush()) == [b"abc"]


def test_chain_of_five_and_bounded():
    data = bytes(8 << 20)
    for encode in (zlib.compress, gzip.compress, zstd, br, gzip.compress):
        data = encode(data)
    decoder = decoder_for("deflate, gzip, zstd, br, gzip")
    chunks = feed(decoder, data, size=100)
    assert sum(map(len, chunks)) == 8 << 20
    assert max(map(len, chunks)) <= 2 * MAX_CHUNK


def test_more_than_five_encodings_is_an_error():
    assert MAX_ENCODINGS == 5
    decoder_for(", ".join(["identity"] * 5))
    with pytest.raises(httpcore.DecodingError, match="Too many content encodings"):
        decoder_for(", ".join(["gzip"] * 6))


def test_unknown_encoding_passes_bytes_through():
    assert isinstance(decoder_for("gzip, compress"), IdentityDecoder)
    assert isinstance(decoder_for(None), IdentityDecoder)
    assert isinstance(decoder_for(" , "), IdentityDecoder)
    assert list(IdentityDecoder().decode(b"")) == []


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_garbage_raises_decoding_error(encoding):
    with pytest.raises(httpcore.DecodingError, match="Invalid"):
        feed(decoder_for(encoding), b"\x00not compressed at all\xff" * 4, size=1000)


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", br),
        ("zstd", zstd),
    ],
)
def test_truncated_data_raises_decoding_error(encoding, encode):
    data = encode(MIXED)[:-20]
    with pytest.raises(httpcore.DecodingError, match="Truncated"):
        feed(decoder_for(encoding), data, size=4096)


def test_one_byte_of_deflate_is_truncated():
    with pytest.raises(httpcore.DecodingError, match="Truncated"):
        feed(DeflateDecoder(), b"x")


def test_empty_bodies_are_not_errors():
    for encoding in ("gzip", "deflate", "br", "zstd", "gzip, br"):
        decoder = decoder_for(encoding)
        assert list(decoder.decode(b"")) == []
        assert list(decoder.flush()) == []


def test_deflate_error_after_the_first_chunk():
    decoder = DeflateDecoder()
    assert list(decoder.decode(zlib.compress(TEXT)[:2])) == []  # the header alone
    with pytest.raises(httpcore.DecodingError):
        list(decoder.decode(b"\xff" * 50))


def test_data_after_the_end_of_a_deflate_stream_is_ignored():
    assert b"".join(feed(DeflateDecoder(), zlib.compress(TEXT) + b"junk")) == TEXT


def test_brotli_decoder_is_bounded_when_brotli_can_be():
    assert BrotliDecoder()._bounded  # brotli >= 1.2 is installed here


def test_accept_encoding_lists_only_available_decoders():
    assert ACCEPT_ENCODING.split(", ") == ["gzip", "deflate", "br", "zstd"]
