"""Responses built directly: status, text and encodings, JSON, streaming. No network."""

from __future__ import annotations

import codecs
import gzip
import json

import pytest

import httpcore
from httpcore._decoders import LineDecoder
from tests.client import SyncMockDispatch


def streamed(chunks, **kwargs) -> httpcore.Response:
    return httpcore.Response(200, content=iter(chunks), **kwargs)


# --- status ---------------------------------------------------------------------------


def test_status_code_is_a_status_code_when_known():
    response = httpcore.Response(404)
    assert response.status_code is httpcore.StatusCode.NOT_FOUND
    assert response.status == 404
    assert response.reason_phrase == "Not Found"
    assert response.is_error and response.is_client_error
    assert not response.is_server_error and not response.is_success
    unknown = httpcore.Response(599)
    assert type(unknown.status_code) is int
    assert unknown.status_code == 599
    assert repr(httpcore.Response(200)) == "<Response [200 OK]>"


def test_is_redirect_needs_a_location():
    assert httpcore.Response(302, headers={"Location": "/x"}).is_redirect
    assert not httpcore.Response(302).is_redirect
    assert not httpcore.Response(200, headers={"Location": "/x"}).is_redirect


def test_raise_for_status():
    request = httpcore.Request("GET", "https://example.org/x")
    ok = httpcore.Response(204, request=request)
    assert ok.raise_for_status() is ok
    redirect = httpcore.Response(302, headers={"Location": "/"}, request=request)
    assert redirect.raise_for_status() is redirect
    for code, kind in ((404, "Client error"), (503, "Server error")):
        response = httpcore.Response(code, request=request)
        with pytest.raises(httpcore.HTTPStatusError) as info:
            response.raise_for_status()
        assert info.value.response is response
        assert info.value.request is request
        assert str(info.value).startswith(f"{kind} '{code} ")
        assert "https://example.org/x" in str(info.value)


def test_request_and_elapsed_of_a_built_response():
    response = httpcore.Response(200)
    with pytest.raises(RuntimeError, match="no request"):
        _ = response.request
    with pytest.raises(RuntimeError, match="elapsed"):
        _ = response.elapsed


# --- text and encodings ---------------------------------------------------------------


def test_charset_from_content_type():
    response = httpcore.Response(
        200,
        content="café".encode("latin-1"),
        headers={"Content-Type": "text/plain; charset=ISO-8859-1"},
    )
    assert response.charset_encoding == "iso8859-1"
    assert response.encoding == "iso8859-1"
    assert response.text == "café"
    assert response.text is response.text  # decoded once


def test_quoted_and_unknown_charsets():
    quoted = httpcore.Response(
        200, headers={"Content-Type": 'text/plain; charset="utf-8"'}
    )
    assert quoted.charset_encoding == "utf-8"
    unknown = httpcore.Response(
        200, content=b"hi", headers={"Content-Type": "text/plain; charset=nope"}
    )
    assert unknown.charset_encoding is None
    assert unknown.text == "hi"


def test_json_media_type_defaults_to_utf8():
    response = httpcore.Response(
        200, content='{"a": "é"}'.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.encoding == "utf-8"
    assert response.json() == {"a": "é"}
    problem = httpcore.Response(
        200, content=b"{}", headers={"Content-Type": "application/problem+json"}
    )
    assert problem.encoding == "utf-8"


def test_guess_when_no_charset_is_given():
    text = "Les misérables, café crème et brûlée à la française. " * 10
    response = httpcore.Response(
        200, content=text.encode("cp1252"), headers={"Content-Type": "text/html"}
    )
    assert codecs.lookup(response.encoding).name in (
        "cp1252",
        "iso8859-1",
        "iso8859-15",
    )
    assert response.text == text


def test_guess_prefers_utf8_and_handles_ascii_and_empty():
    assert httpcore.Response(200, content="é".encode()).encoding == "utf-8"
    assert httpcore.Response(200, content=b"plain").encoding == "utf-8"
    assert httpcore.Response(200, content=b"").text == ""
    ascii_default = httpcore.Response(200, content=b"plain", default_encoding="ascii")
    assert ascii_default.encoding == "ascii"


def test_default_encoding_callable():
    response = httpcore.Response(
        200, content=b"\xff", default_encoding=lambda body: "latin-1"
    )
    assert response.text == "ÿ"
    fallback = httpcore.Response(200, content=b"x", default_encoding=lambda body: None)
    assert fallback.encoding == "utf-8"


def test_encoding_can_be_set_before_text():
    response = httpcore.Response(200, content="é".encode("latin-1"))
    response.encoding = "latin-1"
    assert response.text == "é"
    with pytest.raises(ValueError, match="before"):
        response.encoding = "utf-8"


def test_text_constructors():
    assert httpcore.Response(200, text="é").content == "é".encode()
    assert httpcore.Response(200, text="é").headers["Content-Type"] == (
        "text/plain; charset=utf-8"
    )
    assert (
        httpcore.Response(200, html="<p>")
        .headers["Content-Type"]
        .startswith("text/html")
    )
    assert httpcore.Response(200, json={"a": 1}).json() == {"a": 1}


# --- JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32", "utf-8-sig"])
def test_json_detects_unicode_encodings(encoding):
    data = {"name": "Zoë", "n": [1, 2]}
    response = httpcore.Response(200, content=json.dumps(data).encode(encoding))
    assert response.json() == data


def test_json_uses_a_declared_or_set_encoding():
    body = json.dumps({"a": "é"}, ensure_ascii=False).encode("latin-1")
    declared = httpcore.Response(
        200, content=body, headers={"Content-Type": "application/json; charset=latin-1"}
    )
    assert declared.json() == {"a": "é"}
    chosen = httpcore.Response(200, content=body)
    chosen.encoding = "latin-1"
    assert chosen.json() == {"a": "é"}
    assert httpcore.Response(200, content=b'{"a": 1.5}').json(parse_float=str) == {
        "a": "1.5"
    }


# --- links ----------------------------------------------------------------------------


def test_links():
    response = httpcore.Response(
        200,
        headers={
            "Link": '<https://api.example.org/items?page=2,3>; rel="next", '
            '<https://api.example.org/items?page=9>; rel=last; title="End"',
        },
    )
    assert response.links == {
        "next": {"url": "https://api.example.org/items?page=2,3", "rel": "next"},
        "last": {
            "url": "https://api.example.org/items?page=9",
            "rel": "last",
            "title": "End",
        },
    }
    no_rel = httpcore.Response(200, headers={"Link": "</a>"})
    assert no_rel.links == {"/a": {"url": "/a"}}
    assert httpcore.Response(200).links == {}


# --- streaming (sync) -----------------------------------------------------------------


def test_content_before_read_and_stream_twice():
    response = streamed([b"ab", b"cd"])
    with pytest.raises(httpcore.ResponseNotRead):
        _ = response.content
    with pytest.raises(httpcore.ResponseNotRead):
        _ = response.text
    assert list(response.stream()) == [b"ab", b"cd"]
    assert response.is_closed
    with pytest.raises(httpcore.StreamConsumed):
        response.stream()
    with pytest.raises(httpcore.StreamConsumed):
        response.raw()


def test_read_then_content_and_replay():
    response = streamed([b"ab", b"cd"])
    assert response.read() == b"abcd"
    assert response.content == b"abcd"
    assert response.read() == b"abcd"
    assert list(response.stream()) == [b"abcd"]


def test_closed_before_reading():
    response = streamed([b"ab"])
    response.close()
    response.close()
    with pytest.raises(httpcore.ResponseClosed):
        response.read()


def test_context_manager_closes():
    with streamed([b"ab"]) as response:
        pass
    assert response.is_closed


def test_raw_is_not_decoded_and_stream_is():
    body = gzip.compress(b"hello" * 100)
    raw = streamed([body], headers={"Content-Encoding": "gzip"})
    raw._decode_content = True
    assert b"".join(raw.raw()) == body
    decoded = streamed([body[:10], body[10:]], headers={"Content-Encoding": "gzip"})
    decoded._decode_content = True
    assert decoded.read() == b"hello" * 100
    # Without the client's flag (the pool's responses), bytes stay as they came.
    undecoded = streamed([body], headers={"Content-Encoding": "gzip"})
    assert undecoded.read() == body


def test_broken_gzip_is_a_decoding_error():
    response = streamed([b"not gzip"], headers={"Content-Encoding": "gzip"})
    response._decode_content = True
    with pytest.raises(httpcore.DecodingError):
        response.read()
    assert response.is_closed


def test_stream_text_decodes_across_chunks():
    data = "héllo wörld".encode()
    response = streamed(
        [data[:2], data[2:3], data[3:]], headers={"Content-Type": "text/plain"}
    )
    assert "".join(response.stream_text()) == "héllo wörld"
    latin = streamed(
        ["é".encode("latin-1")], headers={"Content-Type": "text/plain; charset=latin-1"}
    )
    assert list(latin.stream_text()) == ["é"]


def test_stream_lines():
    chunks = [
        b"one\r",
        b"\ntwo\nthr",
        b"ee\rfour\x0cstill four\xe2\x80",
        b"\xa8same",
        b"\n\nlast",
    ]
    response = streamed(chunks, headers={"Content-Type": "text/plain; charset=utf-8"})
    assert list(response.stream_lines()) == [
        "one",
        "two",
        "three",
        "four\x0cstill four\u2028same",
        "",
        "last",
    ]


def test_stream_lines_of_empty_body():
    assert list(streamed([]).stream_lines()) == []


# --- streaming (async) ----------------------------------------------------------------


async def test_async_response_streaming(backend):
    response = httpcore.AsyncResponse(200, content=iter([b"a\nb", b"\nc"]))
    with pytest.raises(httpcore.ResponseNotRead):
        _ = response.content
    assert [line async for line in response.stream_lines()] == ["a", "b", "c"]
    with pytest.raises(httpcore.StreamConsumed):
        response.stream()
    again = httpcore.AsyncResponse(200, content=iter([b"xy"]))
    assert await again.read() == b"xy"
    assert [chunk async for chunk in again.stream()] == [b"xy"]
    raw = httpcore.AsyncResponse(200, content=iter([b"r"]))
    assert [chunk async for chunk in raw.raw()] == [b"r"]
    async with httpcore.AsyncResponse(200, content=iter([b"z"])) as closing:
        pass
    assert closing.is_closed
    text = httpcore.AsyncResponse(200, content=iter([b"t"]))
    assert [piece async for piece in text.stream_text()] == ["t"]


# --- the line decoder -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        (["a\nb\n"], ["a", "b"]),
        (["a\r\nb\r\n"], ["a", "b"]),
        (["a\rb\r"], ["a", "b"]),
        (["a\r", "\nb"], ["a", "b"]),
        (["a\r", "", "\n"], ["a"]),
        (["a\r", "b"], ["a", "b"]),
        (["a\n\n\nb"], ["a", "", "", "b"]),
        (["a\n\r"], ["a", ""]),
        (
            ["\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"],
            ["\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"],
        ),
        (["lo", "ng", " line", "\n"], ["long line"]),
        ([""], []),
        (["\n"], [""]),
    ],
)
def test_line_decoder(chunks, lines):
    decoder = LineDecoder()
    out = []
    for chunk in chunks:
        out += decoder.decode(chunk)
    out += decoder.flush()
    assert out == lines
    assert decoder.flush() == []


def test_guess_for_other_scripts_and_binary():
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 5
    russian = httpcore.Response(200, content=text.encode("cp1251"))
    assert russian.encoding == "cp1251"
    assert russian.text == text
    binary = httpcore.Response(200, content=bytes(range(256)) * 4)
    assert binary.encoding == "utf-8"  # no guess at all: the default


def test_stream_text_uses_an_encoding_set_by_the_user():
    response = httpcore.Response(200, content="é".encode("latin-1"))
    response.encoding = "latin-1"
    assert "".join(response.stream_text()) == "é"


async def test_async_stream_text_uses_an_encoding_set_by_the_user():
    response = httpcore.AsyncResponse(200, content="é".encode("latin-1"))
    response.encoding = "latin-1"
    assert "".join([text async for text in response.stream_text()]) == "é"


def test_encoded_body_given_directly_is_decoded_by_a_client():
    import gzip

    body = gzip.compress(b"hello")

    def handler(request):
        return httpcore.Response(
            200, headers={"Content-Encoding": "gzip"}, content=body
        )

    raw = httpcore.Response(200, headers={"Content-Encoding": "gzip"}, content=body)
    assert raw.read() == body  # built directly: bytes as given
    with httpcore.Client(dispatch=SyncMockDispatch(handler)) as client:
        assert client.get("http://example.org/").content == b"hello"


# --- decoded streams: errors and early closes ---------------------------------------


class Failing:
    """A response body that fails after its first chunk."""

    def __init__(self, first: bytes) -> None:
        self.first: bytes | None = first
        self.closed = False

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        if self.first is None:
            raise httpcore.ReadError("connection lost")
        first, self.first = self.first, None
        return first

    async def aclose(self) -> None:
        self.closed = True


def test_a_transport_error_mid_body_names_the_request_and_closes():
    request = httpcore.Request("GET", "https://example.org/")
    body = Failing(gzip.compress(b"x" * 1000)[:20])
    response = httpcore.Response(
        200, headers={"Content-Encoding": "gzip"}, stream=body, request=request
    )
    response._decode_content = True
    with pytest.raises(httpcore.ReadError) as info:
        response.read()
    assert info.value.request is request
    assert response.is_closed and body.closed


def test_closing_mid_body_drops_what_the_decoder_still_holds():
    body = gzip.compress(bytes(1 << 20))  # 1 MiB: several bounded chunks
    response = streamed([body], headers={"Content-Encoding": "gzip"})
    response._decode_content = True
    chunks = response.stream()
    assert len(next(chunks)) == 64 * 1024
    response.close()
    assert list(chunks) == []  # no DecodingError, nothing more


def test_decoding_errors_name_the_request():
    request = httpcore.Request("GET", "https://example.org/")
    response = httpcore.Response(
        200,
        headers={"Content-Encoding": ", ".join(["gzip"] * 6)},
        content=iter([b"x"]),
        request=request,
    )
    response._decode_content = True
    with pytest.raises(httpcore.DecodingError, match="Too many") as info:
        response.read()
    assert info.value.request is request
    assert response.is_closed


def test_small_things():
    response = httpcore.Response(
        200, extensions={"reason_phrase": b"Fine"}, headers={"Content-Type": "text/x"}
    )
    assert response.reason_phrase == "Fine"
    assert not response.is_informational
    assert (
        httpcore.Response(
            200, headers={"Content-Type": "text/x; charset="}
        ).charset_encoding
        is None
    )
    with pytest.raises(RuntimeError, match="no redirect"):
        response.next()


def test_stream_text_flushes_an_incomplete_character():
    cut = streamed([b"caf\xc3"], headers={"Content-Type": "text/plain; charset=utf-8"})
    assert list(cut.stream_text()) == ["caf", "\ufffd"]


async def test_async_stream_text_flushes_an_incomplete_character():
    cut = httpcore.AsyncResponse(
        200,
        content=iter([b"caf\xc3"]),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert [text async for text in cut.stream_text()] == ["caf", "\ufffd"]
