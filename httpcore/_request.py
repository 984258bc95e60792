"""
`Request`, and the checks that run on a request before any byte is sent.

The body is an async byte stream (see `_content.py`), so that one object
serves the sync and the async clients alike.
"""

from __future__ import annotations

import re
import typing

from ._content import ByteStream, RequestContent, RequestData, encode_request
from ._exceptions import LocalProtocolError, RequestNotRead
from ._headers import Headers
from ._urls import URL

if typing.TYPE_CHECKING:  # pragma: no cover
    from ._cookies import Cookies

__all__ = [
    "AsyncByteStream",
    "HeaderTypes",
    "Request",
    "check_header_fields",
    "check_request",
]

HeaderTypes = typing.Union[
    Headers,
    typing.Mapping[str, str],
    typing.Mapping[bytes, bytes],
    typing.Sequence[tuple[str, str]],
    typing.Sequence[tuple[bytes, bytes]],
]


class AsyncByteStream(typing.Protocol):
    def __aiter__(self) -> typing.AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


# Used with `fullmatch`: a `$` would also match before a final "\n".
_TCHARS = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TOKEN = re.compile(_TCHARS)
# Tokens separated by single spaces: header names joined for one check.
_TOKENS = re.compile(rb"%s(?: %s)*" % (_TCHARS, _TCHARS))
# RFC 9110 5.5: a field value holds visible characters, spaces, tabs and
# obs-text; CR, LF and NUL could split the request, and the other controls
# are not HTTP either (h11 would send them as they are).
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# A request target (the `target` extension) is visible ASCII only: a space
# or a control character would end it, or the request line, early.
_TARGET = re.compile(rb"[\x21-\x7e]+")
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
# Methods known to be tokens: no regex for them.
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)
# The header fields, as `Headers` holds them (raw name, lower-case name,
# value), that passed `check_header_fields` already: requests repeat most of
# theirs (a client's defaults, the same Host), and a set lookup costs far
# less than the regex scans. Bounded: short values only, cleared when full.
# Credentials are never kept: a process-wide set would hold them long after
# their request.
_CHECKED_FIELDS: set[tuple[bytes, bytes, bytes]] = set()
_CHECKED_MAX = 512
_NEVER_KEPT = frozenset({b"authorization", b"proxy-authorization", b"cookie"})


def check_header_fields(
    fields: typing.Iterable[tuple[bytes, bytes]], request: Request | None = None
) -> None:
    """
    Refuse a header name that is not a token, or a value holding a control
    character other than tab, with `LocalProtocolError`.
    """
    fields = fields if isinstance(fields, list) else list(fields)
    if not fields:
        return
    # Every request passes here: one regex call over all the names, joined by
    # a space (not a token character; counted, so a space inside a name
    # cannot pass for a separator), one over all the values, joined by a tab
    # (fine in a value). Only a failure looks at each field, to name it.
    names = b" ".join([name for name, _ in fields])
    values = b"\t".join([value for _, value in fields])
    if (
        names.count(b" ") == len(fields) - 1
        and _TOKENS.fullmatch(names)
        and not _BAD_VALUE.search(values)
    ):
        return
    for name, value in fields:
        if not _TOKEN.fullmatch(name):
            raise LocalProtocolError(
                f"Invalid header name {name!r}: a header name is a token, "
                "with no spaces, colons or control characters.",
                request=request,
            )
        if _BAD_VALUE.search(value):
            raise LocalProtocolError(
                f"Invalid value for header {name.decode('latin-1')!r}: it holds "
                "CR, LF, NUL or another control character, which could split "
                "the request.",
                request=request,
            )


def check_request(request: Request) -> None:
    """
    Refuse what cannot be sent: a method that is not a token, a header name
    that is not a token, a header value holding CR, LF, NUL or another
    control character, a `target` extension that is not visible ASCII. Runs
    before a connection is even picked, so nothing reaches the wire.
    """
    method = request.method
    if method not in _METHODS and not _TOKEN.fullmatch(
        method.encode("ascii", "replace")
    ):
        raise LocalProtocolError(
            f"Invalid HTTP method {method!r}: a method is a token "
            "(letters, digits and !#$%&'*+-.^_`|~).",
            request=request,
        )
    checked = _CHECKED_FIELDS
    unknown = [entry for entry in request.headers._list if entry not in checked]
    if unknown:
        check_header_fields([(raw, value) for raw, _, value in unknown], request)
        if len(checked) > _CHECKED_MAX:
            checked.clear()
        checked.update(
            entry
            for entry in unknown
            if len(entry[2]) <= 1024 and entry[1] not in _NEVER_KEPT
        )
    target = request.extensions.get("target")
    # An empty target is no target: the dispatchers send the URL's path.
    if target and not _is_target(target):
        raise LocalProtocolError(
            f"Invalid request target {target!r}: the 'target' extension is "
            "visible ASCII, with no spaces or control characters.",
            request=request,
        )


def _is_target(target: object) -> bool:
    if isinstance(target, str):
        return target.isascii() and _is_target(target.encode("ascii"))
    return isinstance(target, bytes) and _TARGET.fullmatch(target) is not None


class Request:
    """
    An HTTP request: method, URL, headers and a body.

    ```python
    request = httpcore.Request("POST", "https://example.org/", json={"a": 1})
    ```

    `Host` is set from the URL when absent, and `Content-Length` (or
    `Transfer-Encoding: chunked` for a body of unknown length) from the body.
    """

    def __init__(
        self,
        method: str | bytes,
        url: URL | str,
        *,
        params: typing.Any = None,
        headers: HeaderTypes | None = None,
        cookies: typing.Any = None,
        content: RequestContent | None = None,
        data: RequestData | None = None,
        files: typing.Any = None,
        json: typing.Any = None,
        stream: AsyncByteStream | None = None,
        extensions: dict[str, typing.Any] | None = None,
    ) -> None:
        if isinstance(method, bytes):
            method = method.decode("ascii", "replace")
        self.method = method.upper()
        if params is not None:
            self.url = URL(url, params=params)
        else:  # a URL is immutable: one given is kept as it is
            self.url = url if isinstance(url, URL) else URL(url)
        self.headers = Headers(headers)
        self.extensions: dict[str, typing.Any] = (
            {} if extensions is None else extensions
        )
        if stream is None:
            if content is None and data is None and files is None and json is None:
                stream = ByteStream(b"")  # no body: most requests
                if self.method in _METHODS_WITH_BODY:
                    self._set_body_headers({})
            else:
                body_headers, stream = encode_request(content, data, files, json)
                self._set_body_headers(body_headers)
        self.stream: AsyncByteStream = stream
        if self.headers.get_raw(b"host") is None:
            host = self.url.netloc_for_host_header.encode("ascii")
            self.headers._list.insert(0, (b"Host", b"host", host))
            self.headers._changed()
        if cookies:
            from ._cookies import Cookies

            Cookies(cookies).set_cookie_header(self)

    def _set_body_headers(self, body_headers: dict[str, str]) -> None:
        if not body_headers and self.method not in _METHODS_WITH_BODY:
            return  # a GET with no body: nothing to add
        headers = self.headers
        explicit = "content-length" in headers or "transfer-encoding" in headers
        for name, value in body_headers.items():
            if name in ("Content-Length", "Transfer-Encoding") and explicit:
                continue
            if name not in headers:
                headers[name] = value
        if not body_headers and not explicit and self.method in _METHODS_WITH_BODY:
            headers["Content-Length"] = "0"

    @property
    def content(self) -> bytes:
        """The body, when it is known in full; `RequestNotRead` for a stream."""
        if isinstance(self.stream, ByteStream):
            return self.stream._data
        raise RequestNotRead()

    async def aread(self) -> bytes:
        """Read a streaming body into memory, so it can be sent more than once."""
        if not isinstance(self.stream, ByteStream):
            chunks = [chunk async for chunk in self.stream]
            self.stream = ByteStream(b"".join(chunks))
        return self.content

    def read(self) -> bytes:
        """Sync `aread()`: read a streaming body into memory."""
        if not isinstance(self.stream, ByteStream):
            chunks = list(typing.cast(typing.Iterable[bytes], self.stream))
            self.stream = ByteStream(b"".join(chunks))
        return self.content

    @property
    def cookies(self) -> Cookies:
        """The cookies this request will send, from its Cookie header."""
        from ._cookies import Cookies

        cookies = Cookies()
        for header in self.headers.get_list("cookie"):
            for pair in header.split(";"):
                name, _, value = pair.strip().partition("=")
                if not name:
                    continue
                try:
                    cookies.set(name, value, domain=self.url.host)
                except ValueError:
                    continue  # not a cookie a jar could hold: leave it out
        return cookies

    def __repr__(self) -> str:
        return f"<Request({self.method!r}, {str(self.url)!r})>"
