"""
The exception hierarchy, and the helpers that translate foreign errors into it.

```
HTTPError                      .request (and .response where there is one)
├── RequestError
│   ├── TransportError
│   │   ├── TimeoutException   ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout
│   │   ├── NetworkError       ConnectError, ReadError, WriteError, CloseError
│   │   ├── ProtocolError      LocalProtocolError, RemoteProtocolError
│   │   ├── ProxyError
│   │   └── UnsupportedProtocol
│   ├── DecodingError
│   └── TooManyRedirects
└── HTTPStatusError            from raise_for_status()
InvalidURL (ValueError)
StreamError (RuntimeError)     StreamConsumed, ResponseNotRead, RequestNotRead,
                               ResponseClosed
CookieConflict
```

Errors of h2, ssl, sockets and the backends are translated where they
arise, with `map_exceptions`, and chained so that the cause stays visible.
"""

from __future__ import annotations

import types
import typing

if typing.TYPE_CHECKING:  # pragma: no cover
    from ._models import Request, Response

__all__ = [
    "CloseError",
    "ConnectError",
    "ConnectTimeout",
    "CookieConflict",
    "DecodingError",
    "HTTPError",
    "HTTPStatusError",
    "InvalidURL",
    "LocalProtocolError",
    "NetworkError",
    "PoolTimeout",
    "ProtocolError",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "RequestError",
    "RequestNotRead",
    "ResponseClosed",
    "ResponseNotRead",
    "StreamConsumed",
    "StreamError",
    "TimeoutException",
    "TooManyRedirects",
    "TransportError",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
]


class HTTPError(Exception):
    """
    Base class for `RequestError` and `HTTPStatusError`.

    Catch this to handle any error raised while sending a request or by
    `response.raise_for_status()`.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._request: Request | None = None

    @property
    def request(self) -> Request:
        """The request that led to this error."""
        if self._request is None:
            raise RuntimeError("The .request property has not been set.")
        return self._request

    @request.setter
    def request(self, request: Request) -> None:
        self._request = request


class RequestError(HTTPError):
    """An error that occurred while sending a request."""

    def __init__(self, message: str, *, request: Request | None = None) -> None:
        super().__init__(message)
        self._request = request


class TransportError(RequestError):
    """An error while moving bytes to or from the server."""


class TimeoutException(TransportError):
    """A timeout elapsed."""


class ConnectTimeout(TimeoutException):
    """Timed out while opening a connection (TCP or TLS)."""


class ReadTimeout(TimeoutException):
    """Timed out while waiting for data from the server."""


class WriteTimeout(TimeoutException):
    """Timed out while sending data to the server."""


class PoolTimeout(TimeoutException):
    """Timed out while waiting for a connection from the pool."""


class NetworkError(TransportError):
    """A network operation failed."""


class ConnectError(NetworkError):
    """Could not open a connection (refused, unreachable, DNS or TLS failure)."""


class ReadError(NetworkError):
    """Failed to receive data from the network."""


class WriteError(NetworkError):
    """Failed to send data over the network."""


class CloseError(NetworkError):
    """Failed to close a connection."""


class ProtocolError(TransportError):
    """The HTTP protocol was violated."""


class LocalProtocolError(ProtocolError):
    """
    Our side would violate the protocol: typically a bad argument from the
    caller, such as a header value holding CR or LF. Raised before any byte
    of the request is sent.
    """


class RemoteProtocolError(ProtocolError):
    """The server violated the protocol: a malformed or truncated response."""


class ProxyError(TransportError):
    """The proxy refused the request or failed."""


class UnsupportedProtocol(TransportError):
    """The URL scheme is not one that httpcore speaks (http, https)."""


class DecodingError(RequestError):
    """The response body could not be decoded as its Content-Encoding says."""


class TooManyRedirects(RequestError):
    """More redirects than `max_redirects` allows."""


class HTTPStatusError(HTTPError):
    """Raised by `response.raise_for_status()` for a 4xx or 5xx response."""

    def __init__(self, message: str, *, request: Request, response: Response) -> None:
        super().__init__(message)
        self._request = request
        self.response = response


class InvalidURL(ValueError):
    """A string that cannot be a URL, or a URL that cannot be requested."""


class StreamError(RuntimeError):
    """A body stream was used in a way it cannot be."""


class StreamConsumed(StreamError):
    """The body was already streamed; it cannot be streamed again."""

    def __init__(self) -> None:
        super().__init__(
            "The body has already been streamed. To use it more than once, "
            "read it first with .read() and then use .content."
        )


class ResponseNotRead(StreamError):
    """`.content` was used on a streamed response whose body was not read."""

    def __init__(self) -> None:
        super().__init__(
            "The response body has not been read. Call .read() (or "
            "'await response.read()') before using .content or .text."
        )


class RequestNotRead(StreamError):
    """`.content` was used on a request whose body is a stream."""

    def __init__(self) -> None:
        super().__init__(
            "The request body is a stream and has not been read. Use "
            ".stream() to iterate it."
        )


class ResponseClosed(StreamError):
    """The response was closed before its body was streamed."""

    def __init__(self) -> None:
        super().__init__(
            "The response was closed before its body was read; its body can "
            "no longer be streamed."
        )


class CookieConflict(Exception):
    """`Cookies.get()` matched more than one cookie: pass a domain or path."""


ExceptionMapping = typing.Mapping[type[BaseException], type[Exception]]


def map_exceptions(mapping: ExceptionMapping) -> ExceptionMap:
    """
    Re-raise a foreign exception as the httpcore exception it maps to,
    chained to the original. The first matching entry wins, so list
    subclasses before their bases.
    """
    return ExceptionMap(mapping)


class ExceptionMap:
    """The context manager `map_exceptions` returns.

    A plain class rather than `contextlib.contextmanager`: it is entered
    several times per request, and a generator-based one costs far more.
    """

    __slots__ = ("_mapping",)

    def __init__(self, mapping: ExceptionMapping) -> None:
        self._mapping = mapping

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        if isinstance(exc, Exception):
            for from_exc, to_exc in self._mapping.items():
                if isinstance(exc, from_exc):
                    raise to_exc(self._message(exc, to_exc)) from exc

    def _message(self, exc: Exception, to_exc: type[Exception]) -> str:
        return str(exc) or repr(exc)
