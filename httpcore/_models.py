"""
The two response classes: `Response` (sync) and `AsyncResponse`; and
`Request`, from `_request.py`.

Both response classes share `BaseResponse` for everything that does no I/O.
Their bodies are the same kind of object, an async byte stream from the
dispatcher; the sync `Response` drives it with the sync backend, so reading a
body is written once.
"""

from __future__ import annotations

import datetime
import re
import typing

from ._backends._drive import drive
from ._backends.streams import SyncNetworkStream
from ._content import (
    ByteStream,
    encode_json,
    encode_request,
)
from ._decoders import ContentDecoder, LineDecoder, TextDecoder, decoder_for
from ._exceptions import (
    HTTPStatusError,
    RequestError,
    ResponseClosed,
    ResponseNotRead,
    StreamConsumed,
)
from ._headers import Headers
from ._request import AsyncByteStream, HeaderTypes, Request, check_request
from ._response_body import DecodedIterator, RawIterator, ReplayIterator, iterate_sync
from ._status_codes import StatusCode
from ._urls import URL

if typing.TYPE_CHECKING:  # pragma: no cover
    from ._cookies import Cookies

__all__ = ["AsyncResponse", "BaseResponse", "Request", "Response", "check_request"]


def _encode_response_body(
    content: typing.Any, text: str | None, html: str | None, json: typing.Any
) -> tuple[dict[str, str], AsyncByteStream | None, bytes | None]:
    if content is not None:
        if isinstance(content, (bytes, bytearray, str)):
            data = (
                content.encode("utf-8") if isinstance(content, str) else bytes(content)
            )
            return {"Content-Length": str(len(data))}, ByteStream(data), data
        headers, stream = encode_request(content=content)
        return headers, stream, None
    if text is not None:
        data = text.encode("utf-8")
        headers = {
            "Content-Length": str(len(data)),
            "Content-Type": "text/plain; charset=utf-8",
        }
        return headers, ByteStream(data), data
    if html is not None:
        data = html.encode("utf-8")
        headers = {
            "Content-Length": str(len(data)),
            "Content-Type": "text/html; charset=utf-8",
        }
        return headers, ByteStream(data), data
    if json is not None:
        headers, stream = encode_json(json)
        return headers, stream, stream._data
    return {}, None, None


_R = typing.TypeVar("_R", bound="BaseResponse")


class BaseResponse:
    """What `Response` and `AsyncResponse` share: everything but the I/O."""

    def __init__(
        self,
        status_code: int,
        *,
        headers: HeaderTypes | None = None,
        content: typing.Any = None,
        text: str | None = None,
        html: str | None = None,
        json: typing.Any = None,
        stream: AsyncByteStream | None = None,
        request: Request | None = None,
        extensions: dict[str, typing.Any] | None = None,
        history: list[typing.Any] | None = None,
        default_encoding: str | typing.Callable[[bytes], str | None] = "utf-8",
    ) -> None:
        self.status_code: int = StatusCode.coerce(status_code)
        self.headers = Headers(headers)
        self._request = request
        self.extensions: dict[str, typing.Any] = (
            {} if extensions is None else extensions
        )
        self.history: list[typing.Any] = [] if history is None else history
        self.is_closed = False
        self.is_stream_consumed = False
        self.default_encoding = default_encoding
        self._content: bytes | None = None
        self._text: str | None = None
        self._encoding: str | None = None
        self._elapsed: datetime.timedelta | None = None
        self._decode_content = False
        self._next: typing.Any = None
        if stream is None:
            body_headers, stream, known = _encode_response_body(
                content, text, html, json
            )
            for name, value in body_headers.items():
                if name not in self.headers:
                    self.headers[name] = value
            # A body given with a Content-Encoding is the body as sent: keep
            # it as a stream so that a client decodes it like a real one.
            if "content-encoding" not in self.headers:
                self._content = known
            if stream is None:
                stream = ByteStream(b"")
                self._content = b""
        self._stream: AsyncByteStream = stream

    # --- status and metadata --------------------------------------------

    @property
    def status(self) -> int:
        """The status code; the same value as `status_code`."""
        return self.status_code

    @property
    def reason_phrase(self) -> str:
        """The reason phrase the server sent, else the registered one."""
        reason = self.extensions.get("reason_phrase")
        if reason:
            return typing.cast(bytes, reason).decode("ascii", "replace")
        return StatusCode.get_reason_phrase(self.status_code)

    @property
    def http_version(self) -> str:
        version = self.extensions.get("http_version", b"HTTP/1.1")
        return typing.cast(bytes, version).decode("ascii", "replace")

    @property
    def protocol(self) -> str:
        """`"HTTP/1.1"` or `"HTTP/2"`."""
        return self.http_version

    @property
    def request(self) -> Request:
        """The request this response answers."""
        if self._request is None:
            raise RuntimeError("This response has no request: it was built directly.")
        return self._request

    @request.setter
    def request(self, request: Request) -> None:
        self._request = request

    @property
    def url(self) -> URL:
        return self.request.url

    @property
    def elapsed(self) -> datetime.timedelta:
        """Time from sending the request until the response's headers arrived."""
        if self._elapsed is None:
            raise RuntimeError("elapsed is only known for a response that was sent.")
        return self._elapsed

    @property
    def is_informational(self) -> bool:
        return StatusCode.is_informational(self.status_code)

    @property
    def is_success(self) -> bool:
        return StatusCode.is_success(self.status_code)

    @property
    def is_redirect(self) -> bool:
        """A redirect status with a `Location` to follow."""
        return StatusCode.is_redirect(self.status_code) and "location" in self.headers

    @property
    def is_error(self) -> bool:
        return StatusCode.is_error(self.status_code)

    @property
    def is_client_error(self) -> bool:
        return StatusCode.is_client_error(self.status_code)

    @property
    def is_server_error(self) -> bool:
        return StatusCode.is_server_error(self.status_code)

    def raise_for_status(self: _R) -> _R:
        """Raise `HTTPStatusError` for a 4xx or 5xx response; else return it."""
        if not self.is_error:
            return self
        kind = "Client error" if self.is_client_error else "Server error"
        url = str(self.url) if self._request is not None else "?"
        message = f"{kind} '{self.status_code} {self.reason_phrase}' for url '{url}'"
        raise HTTPStatusError(
            message, request=self.request, response=typing.cast("Response", self)
        )

    # --- body, once read ------------------------------------------------

    @property
    def content(self) -> bytes:
        """The whole body; `ResponseNotRead` if it was streamed and not read."""
        if self._content is None:
            raise ResponseNotRead()
        return self._content

    @property
    def charset_encoding(self) -> str | None:
        """The charset named in Content-Type, if it names a known codec."""
        content_type = self.headers.get("content-type")
        if content_type is None:
            return None
        import email.message  # not at import: `email` is slow to load

        message = email.message.Message()
        message["content-type"] = content_type
        charset = message.get_param("charset")
        if not isinstance(charset, str):
            return None
        return _known_codec(charset.strip("'\""))

    @property
    def encoding(self) -> str:
        """
        The text encoding: one set explicitly, else the Content-Type charset,
        else a default for the media type (utf-8 for JSON), else a guess from
        the body (chardet), made only now and only once.
        """
        if self._encoding is None:
            encoding = self.charset_encoding or self._media_type_default()
            if encoding is None:
                encoding = self._guess_encoding()
            self._encoding = encoding
        return self._encoding

    @encoding.setter
    def encoding(self, value: str) -> None:
        if self._text is not None:
            raise ValueError("Set the encoding before using .text.")
        self._encoding = value

    def _media_type_default(self) -> str | None:
        media = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "application/json" or media.endswith("+json"):
            return "utf-8"
        return None

    def _guess_encoding(self) -> str:
        content = self.content
        if callable(self.default_encoding):
            return self.default_encoding(content) or "utf-8"
        if not content or content.isascii():
            return self.default_encoding
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            # chardet reads a sample: its guess is as good, and a large body
            # costs no more than a small one.
            guess = self._chardet_guess(content[: 64 * 1024])
            return guess or self.default_encoding
        return "utf-8"

    @staticmethod
    def _chardet_guess(sample: bytes) -> str | None:
        """
        chardet's best guess; but windows-1252 when chardet scores it within
        15% of its first choice. On short texts chardet barely tells Western
        European from Central European codecs, and windows-1252 is the Web's
        default for unlabelled text (WHATWG Encoding Standard).
        """
        import chardet

        candidates = [
            (result["encoding"], result["confidence"])
            for result in chardet.detect_all(sample)
            if result.get("encoding")
        ]
        if not candidates:
            return None
        best_score = candidates[0][1]
        for name, score in candidates:
            if _known_codec(name) == "cp1252" and score >= 0.85 * best_score:
                return "cp1252"
        return _known_codec(candidates[0][0])

    @property
    def text(self) -> str:
        """The body as str, decoded with `encoding`."""
        if self._text is None:
            decoder = TextDecoder(self.encoding)
            self._text = decoder.decode(self.content) + decoder.flush()
        return self._text

    def json(self, **kwargs: typing.Any) -> typing.Any:
        """
        The body parsed as JSON: decoded with `encoding` when one is set or
        declared, else as JSON's own UTF-8, UTF-16 or UTF-32 (RFC 8259).
        """
        import json as jsonlib

        if self._encoding is None and self.charset_encoding is None:
            return jsonlib.loads(self.content, **kwargs)
        return jsonlib.loads(self.text, **kwargs)

    @property
    def cookies(self) -> Cookies:
        """
        The cookies this response sets, as the cookie rules accept them for
        its request's URL (none for a response built without a request).
        """
        from ._cookies import Cookies

        cookies = Cookies()
        if self._request is not None:
            cookies.extract_cookies(self)
        return cookies

    @property
    def links(self) -> dict[str, dict[str, str]]:
        """
        The parsed `Link` headers (RFC 8288), keyed by `rel` (or URL):
        `{"next": {"url": "/page/2", "rel": "next"}}`.
        """
        links: dict[str, dict[str, str]] = {}
        for value in self.headers.get_list("link"):
            # Links are separated by commas, but a URL may hold commas too:
            # split only before the "<" that starts the next link.
            for part in re.split(r",\s*(?=<)", value):
                url, *params = part.split(";")
                link = {"url": url.strip(" <>'\"")}
                for param in params:
                    key, _, val = param.partition("=")
                    link[key.strip(" '\"")] = val.strip(" '\"")
                links[link.get("rel") or link["url"]] = link
        return links

    def _decoder(self) -> ContentDecoder:
        """The decoder of the body: none for a response from a dispatcher."""
        if not self._decode_content:
            return decoder_for(None)
        return decoder_for(self.headers.get("content-encoding"))

    def _start_stream(self) -> AsyncByteStream:
        if self.is_stream_consumed:
            raise StreamConsumed()
        if self.is_closed:
            raise ResponseClosed()
        self.is_stream_consumed = True
        return self._stream

    async def _read_raw(self) -> bytes:
        """
        The whole body as received: what `read()` gives when there is
        nothing to decode. As `RawIterator` does, the end of the body or an
        error closes the response; drained here directly, with no iterator
        around the stream.
        """
        stream = _read_whole(self._start_stream())
        chunks: list[bytes] = []
        try:
            async for chunk in stream:
                chunks.append(chunk)
        except BaseException as exc:
            if isinstance(exc, RequestError) and exc._request is None:
                exc._request = self._request
            if not self.is_closed:
                self.is_closed = True
                await stream.aclose()
            raise
        if not self.is_closed:
            self.is_closed = True
            await stream.aclose()
        return b"".join(chunks)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{int(self.status_code)} {self.reason_phrase}]>"


def _read_whole(stream: AsyncByteStream) -> AsyncByteStream:
    """
    Tell a body stream that it will be read in full: one that can (an
    HTTP/1.1 body, with a `whole` flag) may then hand over a large body as
    one piece, read into one buffer, with no join.
    """
    if hasattr(stream, "whole"):
        stream.whole = True
    return stream


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


class AsyncResponse(BaseResponse):
    """
    A response from `AsyncClient` or `AsyncConnectionPool`.

    ```python
    response = await client.get(url, stream=True)
    async for chunk in response.stream():
        ...
    ```
    """

    async def read(self) -> bytes:
        """Read the whole body (decoded) into `content`, and return it."""
        if self._content is None:
            if self._decode_content and (
                self.headers.get_raw(b"content-encoding") is not None
            ):
                self._content = b"".join([chunk async for chunk in self.stream()])
            else:  # nothing to decode: skip the decoder's layer
                self._content = await self._read_raw()
        return self._content

    aread = read

    def raw(self) -> typing.AsyncIterator[bytes]:
        """The body as received, chunk by chunk, not decoded."""
        return RawIterator(self, self._start_stream())

    def stream(self) -> typing.AsyncIterator[bytes]:
        """The body, decoded per Content-Encoding, chunk by chunk."""
        if self._content is not None:
            return ReplayIterator(self._content)
        return DecodedIterator(self, self._start_stream(), self._decoder)

    async def stream_text(self) -> typing.AsyncIterator[str]:
        """The body as str chunks, decoded with `encoding`."""
        decoder = TextDecoder(
            self._encoding
            or self.charset_encoding
            or self._media_type_default()
            or "utf-8"
        )
        async for chunk in self.stream():
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.flush()
        if tail:
            yield tail

    async def stream_lines(self) -> typing.AsyncIterator[str]:
        """The body as lines of text, line endings removed."""
        decoder = LineDecoder()
        async for text in self.stream_text():
            for line in decoder.decode(text):
                yield line
        for line in decoder.flush():
            yield line

    async def close(self) -> None:
        """Close the response and give its connection back to the pool."""
        if not self.is_closed:
            self.is_closed = True
            await self._stream.aclose()

    aclose = close

    async def next(self) -> AsyncResponse:
        """Follow the redirect that was not followed (`allow_redirects=False`)."""
        if self._next is None:
            raise RuntimeError("This response has no redirect to follow.")
        return typing.cast(AsyncResponse, await self._next())

    async def __aenter__(self) -> AsyncResponse:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


class Response(BaseResponse):
    """
    A response from `Client` or `ConnectionPool`.

    ```python
    response = client.get("https://example.org/")
    response.status_code, response.headers["content-type"], response.text
    ```
    """

    def read(self) -> bytes:
        """Read the whole body (decoded) into `content`, and return it."""
        if self._content is None:
            if self._decode_content and (
                self.headers.get_raw(b"content-encoding") is not None
            ):
                self._content = b"".join(self.stream())
            else:  # nothing to decode: skip the decoder's layer
                self._content = drive(self._read_raw())
        return self._content

    def raw(self) -> typing.Iterator[bytes]:
        """The body as received, chunk by chunk, not decoded."""
        return iterate_sync(RawIterator(self, self._start_stream()))

    def stream(self) -> typing.Iterator[bytes]:
        """The body, decoded per Content-Encoding, chunk by chunk."""
        if self._content is not None:
            return iter([self._content] if self._content else [])
        return iterate_sync(DecodedIterator(self, self._start_stream(), self._decoder))

    def stream_text(self) -> typing.Iterator[str]:
        """The body as str chunks, decoded with `encoding`."""
        decoder = TextDecoder(
            self._encoding
            or self.charset_encoding
            or self._media_type_default()
            or "utf-8"
        )
        for chunk in self.stream():
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.flush()
        if tail:
            yield tail

    def stream_lines(self) -> typing.Iterator[str]:
        """The body as lines of text, line endings removed."""
        decoder = LineDecoder()
        for text in self.stream_text():
            yield from decoder.decode(text)
        yield from decoder.flush()

    def close(self) -> None:
        """Close the response and give its connection back to the pool."""
        if not self.is_closed:
            self.is_closed = True
            drive(self._stream.aclose())

    def next(self) -> Response:
        """Follow the redirect that was not followed (`allow_redirects=False`)."""
        if self._next is None:
            raise RuntimeError("This response has no redirect to follow.")
        return typing.cast(Response, self._next())

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    @classmethod
    def _from_async(cls, response: BaseResponse) -> Response:
        """The sync view of a response the core produced."""
        sync = cls.__new__(cls)
        sync.__dict__.update(response.__dict__)
        stream = sync.extensions.get("network_stream")
        if stream is not None and not isinstance(stream, SyncNetworkStream):
            # The sync API exposes blocking read/write/close on the stream.
            sync.extensions = {
                **sync.extensions,
                "network_stream": SyncNetworkStream(stream),
            }
        return sync
