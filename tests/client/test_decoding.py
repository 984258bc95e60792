"""
Response bodies against the real server, on every backend: decompression
(with bounded memory, a compression bomb included), corrupt data, text and
lines, and event hooks along redirects and auth retries.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
import tracemalloc
import uuid

import pytest

import httpcore
from tests.servers.app import COMPRESSIBLE_TEXT
from tests.servers.features import (
    BOMB_MIB,
    BOMB_SENT,
    LINES,
    bomb_body_size,
    random_block,
)

MiB = 1 << 20


async def pause(backend: str, seconds: float) -> None:
    """Sleep, letting the event loop (if any) run meanwhile."""
    if backend == "asyncio":
        await asyncio.sleep(seconds)
    elif backend == "trio":
        import trio

        await trio.sleep(seconds)
    else:
        time.sleep(seconds)


async def test_chained_encodings(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        for encodings in ("gzip", "br,gzip", "gzip,deflate,zstd,br,gzip"):
            response = await client.get(
                server.url + "/encoded", params={"encodings": encodings}
            )
            assert response.content == COMPRESSIBLE_TEXT, encodings


async def test_more_than_five_encodings_is_a_decoding_error(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        with pytest.raises(httpcore.DecodingError, match="Too many") as info:
            await client.get(
                server.url + "/encoded", params={"encodings": "identity," * 5 + "gzip"}
            )
        assert info.value.request.url.path == "/encoded"
        assert client._dispatch.pool_info()["active"] == 0


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
async def test_corrupt_bodies_are_decoding_errors(backend, server, encoding):
    async with httpcore.AsyncClient(backend=backend) as client:
        for truncated, message in (("0", "Invalid"), ("1", "Truncated")):
            url = server.url + f"/corrupt/{encoding}?truncated={truncated}"
            with pytest.raises(httpcore.DecodingError, match=message) as info:
                await client.get(url)
            assert isinstance(info.value, httpcore.RequestError)
            assert info.value.request.url.path == f"/corrupt/{encoding}"
            assert client._dispatch.pool_info()["active"] == 0
            # Streamed: the error comes while iterating, and closes the response.
            response = await client.get(url, stream=True)
            with pytest.raises(httpcore.DecodingError):
                async for _ in response.stream():
                    pass
            assert response.is_closed


async def test_bodies_closed_unread_are_never_decoded(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(server.url + "/corrupt/gzip", stream=True)
        await response.close()  # no DecodingError: nothing was decoded
        raw = await client.get(server.url + "/corrupt/gzip", stream=True)
        body = b"".join([chunk async for chunk in raw.raw()])
        assert body.startswith(b"\x00 this is not compressed")


async def test_10mb_gzip_body_streamed_with_bounded_memory(backend, server):
    size = 10 * MiB
    expected = hashlib.sha256()
    for index in range(size // (64 * 1024)):
        expected.update(random_block(hashlib.sha256(b"0").digest(), index))
    async with httpcore.AsyncClient(backend=backend) as client:
        tracemalloc.start()
        try:
            response = await client.get(
                server.url + f"/gzip_stream/{size}", stream=True
            )
            digest = hashlib.sha256()
            total = 0
            async for chunk in response.stream():
                digest.update(chunk)
                total += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # Random bytes do not compress: the body on the wire was 10 MB too.
        raw = await client.get(server.url + f"/gzip_stream/{size}", stream=True)
        wire = sum([len(chunk) async for chunk in raw.raw()])
    assert total == size
    assert digest.hexdigest() == expected.hexdigest()
    assert wire >= size
    assert peak < 4 * MiB, f"peak memory {peak} bytes"


async def test_a_compression_bomb_streams_with_bounded_memory(
    backend, server, no_fd_leak
):
    token = uuid.uuid4().hex
    limit = 200 * MiB
    async with httpcore.AsyncClient(backend=backend) as client:
        tracemalloc.start()
        try:
            response = await client.get(
                server.url + "/gzip_bomb", params={"token": token}, stream=True
            )
            total = largest = 0
            async for chunk in response.stream():
                total += len(chunk)
                largest = max(largest, len(chunk))
                if total >= limit:
                    break
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        started = time.monotonic()
        await response.close()
        closing = time.monotonic() - started
        assert client._dispatch.pool_info()["active"] == 0
    # The whole bomb is ~10 MB that expands to 10 GiB of zeros.
    assert BOMB_MIB * MiB >= 10 * 1024**3
    assert int(response.headers["content-length"]) == bomb_body_size(BOMB_MIB)
    assert int(response.headers["content-length"]) < 12 * 1000**2
    assert total >= limit
    assert largest <= 64 * 1024
    assert peak < 4 * MiB, f"peak memory {peak} bytes"
    assert closing < 0.5
    # The server saw the client go: it sent a small part of the bomb only.
    deadline = time.monotonic() + 5
    while not BOMB_SENT[token]["disconnected"] and time.monotonic() < deadline:
        await pause(backend, 0.01)
    assert BOMB_SENT[token]["disconnected"]
    assert BOMB_SENT[token]["mib"] < BOMB_MIB


async def test_the_bomb_is_valid_gzip(backend, server):
    # A small bomb, read whole, both ways: the stream really is gzip of zeros,
    # so the 10 GiB one really expands to 10 GiB.
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(server.url + "/gzip_bomb", params={"mib": "8"})
        assert response.content == bytes(8 * MiB)
        raw = await client.get(
            server.url + "/gzip_bomb", params={"mib": "8"}, stream=True
        )
        body = b"".join([chunk async for chunk in raw.raw()])
    assert len(body) == bomb_body_size(8)
    assert gzip.decompress(body) == bytes(8 * MiB)


def test_sync_client_bomb(server):
    with httpcore.Client() as client:
        response = client.get(server.url + "/gzip_bomb", stream=True)
        total = 0
        for chunk in response.stream():
            total += len(chunk)
            if total >= 32 * MiB:
                break
        response.close()
        assert client._dispatch.pool_info()["active"] == 0


# --- text -----------------------------------------------------------------------------


async def test_stream_lines_split_on_every_line_ending(backend, server):
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.get(server.url + "/lines", stream=True)
        lines = [line async for line in response.stream_lines()]
        assert lines == LINES
        again = await client.get(server.url + "/lines", stream=True)
        text = "".join([piece async for piece in again.stream_text()])
        assert text.splitlines() == LINES
        assert "\r\n" in text and "caf\u00e9" in text


def test_sync_stream_lines(server):
    with httpcore.Client() as client:
        with client.get(server.url + "/lines", stream=True) as response:
            assert list(response.stream_lines()) == LINES
    with httpcore.stream("GET", server.url + "/lines") as response:
        assert list(response.stream_lines()) == LINES


# --- event hooks ----------------------------------------------------------------------


async def test_hooks_see_every_hop_and_every_auth_retry(backend, server):
    requests: list[str] = []
    responses: list[int] = []

    async def on_request(request: httpcore.Request) -> None:
        requests.append(request.url.path)

    def on_response(response: httpcore.AsyncResponse) -> None:
        responses.append(response.status_code)

    hooks = {"request": [on_request], "response": [on_response]}
    auth = httpcore.DigestAuth("user", "passwd")
    async with httpcore.AsyncClient(backend=backend, event_hooks=hooks) as client:
        response = await client.get(
            server.url + "/redirect_to", params={"url": "/digest_auth"}, auth=auth
        )
        assert response.status_code == 200
    assert requests == ["/redirect_to", "/digest_auth", "/digest_auth"]
    assert responses == [302, 401, 200]


async def test_a_request_hook_error_sends_nothing(backend, server):
    def refuse(request: httpcore.Request) -> None:
        raise RuntimeError("no")

    async with httpcore.AsyncClient(
        backend=backend, event_hooks={"request": [refuse]}
    ) as client:
        with pytest.raises(RuntimeError, match="no"):
            await client.get(server.url + "/")
        info = client._dispatch.pool_info()
        assert info["active"] == info["idle"] == 0
