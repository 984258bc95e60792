"""Content-Encoding decoders, one chunk at a time, and their failures."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard

import httpcore
from httpcore._decoders import (
    ACCEPT_ENCODING,
    DeflateDecoder,
    IdentityDecoder,
    MultiDecoder,
    decoder_for,
)

TEXT = b"Hello, world! " * 200


def feed(decoder, data: bytes, size: int = 7) -> bytes:
    parts = [decoder.decode(data[i : i + size]) for i in range(0, len(data), size)]
    return b"".join(parts) + decoder.flush()


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
        ("identity", lambda data: data),
    ],
)
def test_each_encoding_decodes_in_small_chunks(encoding, encode):
    assert feed(decoder_for(encoding), encode(TEXT)) == TEXT


def test_raw_deflate_without_zlib_header():
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    data = compressor.compress(TEXT) + compressor.flush()
    assert feed(DeflateDecoder(), data, size=len(data)) == TEXT


def test_concatenated_zstd_frames():
    compress = zstandard.ZstdCompressor().compress
    assert feed(decoder_for("zstd"), compress(b"one") + compress(b"two"), 1000) == (
        b"onetwo"
    )


def test_several_encodings_are_undone_in_reverse():
    data = brotli.compress(gzip.compress(TEXT))
    decoder = decoder_for("gzip, br")
    assert isinstance(decoder, MultiDecoder)
    assert feed(decoder, data) == TEXT


def test_unknown_encoding_passes_bytes_through():
    assert isinstance(decoder_for("gzip, compress"), IdentityDecoder)
    assert isinstance(decoder_for(None), IdentityDecoder)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_garbage_raises_decoding_error(encoding):
    decoder = decoder_for(encoding)
    with pytest.raises(httpcore.DecodingError, match="Invalid"):
        feed(decoder, b"\x00not compressed at all\xff" * 4, size=1000)


def test_deflate_error_after_the_first_chunk():
    decoder = DeflateDecoder()
    good = zlib.compress(TEXT)
    decoder.decode(good[:2])  # the zlib header alone
    with pytest.raises(httpcore.DecodingError):
        decoder.decode(b"\xff" * 50)


def test_accept_encoding_lists_only_available_decoders():
    assert ACCEPT_ENCODING.split(", ") == ["gzip", "deflate", "br", "zstd"]
