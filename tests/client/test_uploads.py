"""
Uploads against the real server, on every backend: multipart bodies parsed
back by the server, file objects streamed in chunks, chunked bodies from
iterators and async iterators, large files with bounded memory.
"""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc

import httpcore
from tests.servers.app import pattern

CHUNK = 64 * 1024


class CountingFile:
    """A binary file-like object that records every read() it serves."""

    def __init__(self, data: bytes, *, seekable: bool = True) -> None:
        self._data = io.BytesIO(data)
        self._seekable = seekable
        self.name = "counted.bin"
        self.reads: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(size)
        return self._data.read(size)

    def seekable(self) -> bool:
        return self._seekable

    def tell(self) -> int:
        return self._data.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._data.seek(offset, whence)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_multipart_is_parsed_back_by_the_server(backend, server, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(pattern(150_000))
    async with httpcore.AsyncClient(backend=backend) as client:
        with open(photo, "rb") as file:
            response = await client.post(
                server.url + "/multipart",
                data={"name": "Ada", "tags": ["a", "b"], "n": 3},
                files={
                    "photo": file,
                    "report": ("report.csv", b"a,b\n1,2\n"),
                    "typed": ("data.bin", "text", "application/x-custom"),
                    "quoted": ('say "hi"\r\n.txt', b"q"),
                    "unicode": ("naïve résumé.pdf", b"%PDF"),
                },
            )
    result = response.json()
    parts = result["parts"]
    assert [part["name"] for part in parts] == [
        "name",
        "tags",
        "tags",
        "n",
        "photo",
        "report",
        "typed",
        "quoted",
        "unicode",
    ]
    fields = [part["text"] for part in parts[:4]]
    assert fields == ["Ada", "a", "b", "3"]
    assert all(part["filename"] is None for part in parts[:4])
    by_name = {part["name"]: part for part in parts[4:]}
    assert by_name["photo"]["filename"] == "photo.png"
    assert by_name["photo"]["content_type"] == "image/png"
    assert by_name["photo"]["sha256"] == sha256(pattern(150_000))
    assert by_name["report"]["content_type"] == "text/csv"
    assert by_name["report"]["text"] == "a,b\n1,2\n"
    assert by_name["typed"]["content_type"] == "application/x-custom"
    assert by_name["typed"]["text"] == "text"
    # Quotes and line breaks are escaped, so the header cannot be split.
    assert by_name["quoted"]["filename"] == "say %22hi%22%0D%0A.txt"
    assert by_name["unicode"]["filename"] == "naïve résumé.pdf"
    assert by_name["unicode"]["content_type"] == "application/pdf"
    # Every size was known: a Content-Length, no chunking.
    assert result["content_length"] == str(result["received"])
    assert result["transfer_encoding"] is None


async def test_multipart_streams_file_objects_in_chunks(backend, server):
    data = pattern(1_000_000)
    counted = CountingFile(data)
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.post(
            server.url + "/multipart", data={"a": "1"}, files={"upload": counted}
        )
    part = response.json()["parts"][1]
    assert (part["filename"], part["size"]) == ("counted.bin", len(data))
    assert part["sha256"] == sha256(data)
    # Read piece by piece, never whole: bounded reads, as many as it takes.
    assert all(size is not None and 0 < size <= CHUNK for size in counted.reads)
    assert len(counted.reads) == len(data) // CHUNK + 2  # the last reads b""
    assert response.json()["content_length"] is not None


async def test_multipart_with_an_unseekable_file_is_chunked(backend, server):
    counted = CountingFile(b"streamed content", seekable=False)
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.post(
            server.url + "/multipart", files={"f": ("f.txt", counted)}
        )
    result = response.json()
    assert result["transfer_encoding"] == "chunked"
    assert result["content_length"] is None
    assert result["parts"][0]["text"] == "streamed content"


async def test_chunked_upload_from_an_iterator(backend, server):
    chunks = [pattern(n) for n in (1, 1000, 100_000, 7)]
    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.post(server.url + "/count_body", content=iter(chunks))
    result = response.json()
    assert result["transfer_encoding"] == "chunked"
    assert result["size"] == sum(map(len, chunks))
    assert result["sha256"] == sha256(b"".join(chunks))


async def test_chunked_upload_from_an_async_iterator(backend, server):
    class Chunks:
        """An async iterator of bytes (a class: no async generator to finalize)."""

        def __init__(self) -> None:
            self.left = [b"async ", b"body ", b"chunks"]

        def __aiter__(self) -> Chunks:
            return self

        async def __anext__(self) -> bytes:
            if not self.left:
                raise StopAsyncIteration
            return self.left.pop(0)

    async with httpcore.AsyncClient(backend=backend) as client:
        response = await client.post(server.url + "/count_body", content=Chunks())
    assert response.json()["size"] == len(b"async body chunks")
    assert response.json()["transfer_encoding"] == "chunked"


async def test_large_files_upload_with_bounded_memory(backend, server, tmp_path):
    size = 32 * 1024 * 1024
    path = tmp_path / "large.bin"
    digest = hashlib.sha256()
    with open(path, "wb") as file:
        for _ in range(size >> 20):
            block = pattern(1 << 20)
            file.write(block)
            digest.update(block)
    async with httpcore.AsyncClient(backend=backend) as client:
        tracemalloc.start()
        try:
            with open(path, "rb") as file:
                raw = await client.put(server.url + "/count_body", content=file)
            with open(path, "rb") as file:
                multipart = await client.post(
                    server.url + "/count_body", files={"big": file}
                )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert raw.json()["size"] == size
    assert raw.json()["sha256"] == digest.hexdigest()
    assert raw.json()["content_length"] == str(size)
    assert multipart.json()["size"] > size
    assert multipart.json()["content_length"] == str(multipart.json()["size"])
    # The client and the server (in this process) each hold a chunk or so.
    assert peak < 8 * 1024 * 1024, f"peak memory {peak} bytes"


def test_sync_client_uploads(server, tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(200_000))
    with httpcore.Client() as client, open(path, "rb") as file:
        response = client.post(server.url + "/multipart", files={"f": file})
        part = response.json()["parts"][0]
        assert part["sha256"] == sha256(path.read_bytes())
