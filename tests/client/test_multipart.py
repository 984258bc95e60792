"""Multipart bodies: encoded and parsed back, then uploaded to the real server."""

from __future__ import annotations

import email.parser
import email.policy
import io
import os

import pytest

import httpcore
from httpcore._content import ByteStream
from httpcore._multipart import MultipartStream, encode_multipart


def body_of(stream) -> bytes:
    return b"".join(stream)


def parse(headers: dict[str, str], body: bytes):
    """Parse a multipart body with the standard library, independently of ours."""
    raw = f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert message.is_multipart()
    return list(message.iter_parts())


def test_fields_and_files():
    headers, stream = encode_multipart(
        {"name": "Ada", "tags": ["a", "b"], "n": 1, "ok": True, "none": None},
        {
            "plain": b"raw bytes",
            "named": ("report.csv", b"a,b\n1,2\n"),
            "typed": ("data.bin", "text", "application/x-custom"),
            "text": "some text",
        },
    )
    assert isinstance(stream, ByteStream)
    body = body_of(stream)
    assert headers["Content-Length"] == str(len(body))
    boundary = headers["Content-Type"].split("boundary=")[1]
    assert body.endswith(f"--{boundary}--\r\n".encode())
    parts = parse(headers, body)
    fields = [(p.get_param("name", header="content-disposition"), p) for p in parts]
    names = [name for name, _ in fields]
    assert names == [
        "name",
        "tags",
        "tags",
        "n",
        "ok",
        "none",
        "plain",
        "named",
        "typed",
        "text",
    ]
    values = {name: part.get_payload(decode=True) for name, part in fields[:6]}
    assert values == {
        "name": b"Ada",
        "tags": b"b",
        "n": b"1",
        "ok": b"true",
        "none": b"",
    }
    plain, named, typed, text = (part for _, part in fields[6:])
    assert plain.get_filename() == "upload"
    assert plain.get_content_type() == "application/octet-stream"
    assert plain.get_payload(decode=True) == b"raw bytes"
    assert named.get_filename() == "report.csv"
    assert named.get_content_type() == "text/csv"
    assert named.get_payload(decode=True) == b"a,b\n1,2\n"
    assert typed.get_content_type() == "application/x-custom"
    assert typed.get_payload(decode=True) == b"text"
    assert text.get_payload(decode=True) == b"some text"


def test_boundary_is_random():
    first, _ = encode_multipart({}, {"f": b"x"})
    second, _ = encode_multipart({}, {"f": b"x"})
    assert first["Content-Type"] != second["Content-Type"]


def test_names_and_filenames_are_quoted_safely():
    _, stream = encode_multipart(
        {'we"ird\r\nname': "v"},
        {"file": ('evil"\r\nX-Injected: 1.txt', b"x"), "ünï": ("naïve.txt", b"y")},
    )
    body = body_of(stream)
    assert b'name="we%22ird%0D%0Aname"' in body
    assert b'filename="evil%22%0D%0AX-Injected: 1.txt"' in body
    assert b"\r\nX-Injected" not in body
    assert 'name="ünï"; filename="naïve.txt"'.encode() in body


def test_filename_none_omits_it():
    _, stream = encode_multipart({}, {"f": (None, b"x")})
    body = body_of(stream)
    assert b'Content-Disposition: form-data; name="f"\r\n' in body


def test_file_objects_are_streamed_with_a_known_length(tmp_path):
    path = tmp_path / "photo.png"
    content = os.urandom(200_000)
    path.write_bytes(content)
    with open(path, "rb") as file:
        headers, stream = encode_multipart({"a": "1"}, {"photo": file})
        assert isinstance(stream, MultipartStream)
        assert stream.replayable
        chunks = list(stream)
        assert max(len(chunk) for chunk in chunks) <= 64 * 1024
        body = b"".join(chunks)
        assert headers["Content-Length"] == str(len(body))
        (_field, photo) = parse(headers, body)
        assert photo.get_filename() == "photo.png"
        assert photo.get_content_type() == "image/png"
        assert photo.get_payload(decode=True) == content
        # Sent again (a redirect, an auth retry): the file is rewound.
        assert body_of(stream) == body


def test_file_object_from_its_current_position():
    file = io.BytesIO(b"skip|keep")
    file.seek(5)
    headers, stream = encode_multipart({}, {"f": ("f.txt", file)})
    body = body_of(stream)
    assert headers["Content-Length"] == str(len(body))
    assert parse(headers, body)[0].get_payload(decode=True) == b"keep"


async def test_async_iteration():
    _, stream = encode_multipart({}, {"f": ("f", io.BytesIO(b"data"))})
    chunks = [chunk async for chunk in stream]
    assert b"".join(chunks) == body_of(stream)
    await stream.aclose()
    stream.close()


def test_unseekable_file_is_sent_chunked():
    class Pipe:
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def read(self, size=-1):
            return self._data.read(size)

    headers, stream = encode_multipart({}, {"f": ("f.bin", Pipe(b"streamed"))})
    assert headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in headers
    assert not stream.replayable
    assert b"streamed" in body_of(stream)


def test_text_mode_files_are_refused(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("x")
    with open(path) as file, pytest.raises(TypeError, match="binary mode"):
        encode_multipart({}, {"f": file})
    with pytest.raises(TypeError, match="binary mode"):
        encode_multipart({}, {"f": io.StringIO("x")})


def test_a_reader_returning_str_is_refused():
    class Texty:
        def read(self, size=-1):
            return "text"

    _, stream = encode_multipart({}, {"f": ("f", Texty())})
    with pytest.raises(TypeError, match="binary mode"):
        body_of(stream)


def test_bad_arguments():
    with pytest.raises(TypeError, match="tuple of 4"):
        encode_multipart({}, {"f": ("a", b"b", "c", "d")})
    with pytest.raises(TypeError, match="Unexpected file"):
        encode_multipart({}, {"f": 123})
    with pytest.raises(TypeError, match="dict of form fields"):
        encode_multipart(b"raw", {"f": b"x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="names must be str"):
        encode_multipart({1: "x"}, {})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="Form field"):
        encode_multipart({"a": object()}, {})
    with pytest.raises(ValueError, match="CR or LF"):
        encode_multipart({}, {"f": ("f", b"x", "text/plain\r\nX: 1")})


def test_files_as_a_list_of_pairs():
    headers, stream = encode_multipart({}, [("f", b"1"), ("f", b"2")])
    parts = parse(headers, body_of(stream))
    assert [p.get_payload(decode=True) for p in parts] == [b"1", b"2"]


def test_request_with_files():
    request = httpcore.Request(
        "POST", "https://example.org/", data={"a": "1"}, files={"f": b"x"}
    )
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(request.headers["Content-Length"]) == len(request.content)
    with pytest.raises(TypeError):
        httpcore.Request("POST", "https://example.org/", json={}, files={"f": b"x"})


# --- uploads --------------------------------------------------------------------------


async def test_upload(backend, server, tmp_path):
    path = tmp_path / "big.bin"
    content = os.urandom(1_000_000)
    path.write_bytes(content)
    async with httpcore.AsyncClient(backend=backend) as client:
        with open(path, "rb") as file:
            response = await client.post(
                server.url + "/echo_body",
                data={"field": "value"},
                files={"upload": file, "small": ("s.txt", b"small")},
            )
        request = response.request
        headers = {"Content-Type": request.headers["Content-Type"]}
        assert int(request.headers["Content-Length"]) == len(response.content)
        field, upload, small = parse(headers, response.content)
        assert field.get_payload(decode=True) == b"value"
        assert upload.get_filename() == "big.bin"
        assert upload.get_payload(decode=True) == content
        assert small.get_payload(decode=True) == b"small"


def test_sync_upload_through_a_307(server):
    with httpcore.Client() as client:
        response = client.post(
            server.url + "/redirect_to",
            params={"url": "/echo_body", "status": "307"},
            files={"f": ("f.txt", io.BytesIO(b"resent"))},
        )
        assert response.history[0].status_code == 307
        assert b"resent" in response.content


def test_bytes_field_values_and_unseekable_files():
    class Unseekable(io.BytesIO):
        def seekable(self):
            return False

    headers, stream = encode_multipart(
        {"raw": b"\x00\xff"}, {"f": ("f", Unseekable(b"u"))}
    )
    assert headers["Transfer-Encoding"] == "chunked"
    assert not stream.replayable
    body = body_of(stream)
    assert b"\r\n\r\n\x00\xff\r\n" in body


async def test_async_iterator_is_its_own_iterator():
    _, stream = encode_multipart({}, {"f": ("f", io.BytesIO(b"d"))})
    chunks = stream.__aiter__()
    assert chunks.__aiter__() is chunks
