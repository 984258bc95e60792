"""
Property tests (hypothesis) for the Content-Encoding decoders: any bytes,
compressed, then fed in any split, decode to the original; garbage and
corrupted streams raise `DecodingError` and nothing else; each step of a
decoder yields a bounded chunk (`MAX_CHUNK`, brotli rounding up), whatever
the input.
"""

from __future__ import annotations

import gzip
import itertools
import zlib

import brotli
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

import httpcore
from httpcore._decoders import MAX_CHUNK, decoder_for


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "raw-deflate": raw_deflate,
    "br": lambda data: brotli.compress(data, quality=1),
    "zstd": lambda data: zstandard.ZstdCompressor(write_checksum=True).compress(data),
}
HEADER = {"raw-deflate": "deflate"}  # the Content-Encoding each one is sent as
ENCODING = st.sampled_from(sorted(ENCODERS))
# Some random bytes, some repetitive (so that they really compress).
DATA = st.one_of(
    st.binary(max_size=2048),
    st.tuples(st.binary(min_size=1, max_size=16), st.integers(1, 5000)).map(
        lambda pair: pair[0] * pair[1]
    ),
)
SETTINGS = settings(max_examples=150, deadline=None)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at the given offsets (taken modulo its length)."""
    points = sorted({cut % (len(data) + 1) for cut in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def decode_all(encoding: str, pieces: list[bytes]) -> list[bytes]:
    decoder = decoder_for(HEADER.get(encoding, encoding))
    out = []
    for piece in pieces:
        out += list(decoder.decode(piece))
    out += list(decoder.flush())
    return out


@SETTINGS
@given(ENCODING, DATA, st.lists(st.integers(0, 1 << 20), max_size=12))
def test_any_bytes_decode_back_in_any_split(encoding, data, cuts):
    compressed = ENCODERS[encoding](data)
    chunks = decode_all(encoding, split(compressed, cuts))
    assert b"".join(chunks) == data
    assert all(chunk for chunk in chunks)  # no empty chunks handed out


@SETTINGS
@given(
    st.lists(ENCODING, min_size=2, max_size=3),
    DATA,
    st.lists(st.integers(0, 1 << 20), max_size=8),
)
def test_a_chain_of_encodings_decodes_in_any_split(encodings, data, cuts):
    compressed = data
    for encoding in encodings:
        compressed = ENCODERS[encoding](compressed)
    header = ", ".join(HEADER.get(e, e) for e in encodings)
    decoder = decoder_for(header)
    out = []
    for piece in split(compressed, cuts):
        out += list(decoder.decode(piece))
    out += list(decoder.flush())
    assert b"".join(out) == data


@SETTINGS
@given(ENCODING, st.binary(max_size=512), st.lists(st.integers(0, 1024), max_size=4))
def test_garbage_raises_decoding_error_and_nothing_else(encoding, garbage, cuts):
    # Random bytes may, rarely, be a valid stream: hypothesis fails the test
    # on any exception but `DecodingError`.
    try:
        decode_all(encoding, split(garbage, cuts))
    except httpcore.DecodingError:
        pass


@SETTINGS
@given(ENCODING, DATA, st.data())
def test_corrupted_streams_raise_decoding_error_and_nothing_else(encoding, data, draw):
    compressed = bytearray(ENCODERS[encoding](data))
    kinds = ["flip", "insert"] + (["truncate"] if len(compressed) > 1 else [])
    how = draw.draw(st.sampled_from(kinds))
    # Truncated to nothing is an empty body, not an error: cut after byte 1.
    at = draw.draw(st.integers(int(how == "truncate"), len(compressed) - 1))
    if how == "flip":
        compressed[at] ^= draw.draw(st.integers(1, 255))
    elif how == "truncate":
        del compressed[at:]
    else:
        compressed[at:at] = draw.draw(st.binary(min_size=1, max_size=8))
    try:
        decode_all(encoding, split(bytes(compressed), [at, at + 1]))
    except httpcore.DecodingError:
        pass
    # A truncated stream is never taken for a whole one.
    if how == "truncate":
        try:
            result = b"".join(decode_all(encoding, [bytes(compressed)]))
        except httpcore.DecodingError:
            return
        assert result == data and not data  # only an empty body could


@settings(max_examples=20, deadline=None)
@given(ENCODING, st.integers(1, 4 << 20), st.binary(min_size=1, max_size=4))
def test_every_step_yields_a_bounded_chunk(encoding, size, unit):
    # Highly compressible: a few bytes in expand to megabytes out.
    data = (unit * (size // len(unit) + 1))[:size]
    compressed = ENCODERS[encoding](data)
    decoder = decoder_for(HEADER.get(encoding, encoding))
    total = 0
    for chunk in decoder.decode(compressed):
        assert 0 < len(chunk) <= 2 * MAX_CHUNK
        total += len(chunk)
    for chunk in decoder.flush():
        assert 0 < len(chunk) <= 2 * MAX_CHUNK
        total += len(chunk)
    assert total == size
