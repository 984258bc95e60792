"""
`WSGIDispatch`: send requests to a WSGI application in this process, for
tests. No server, no sockets.

It is a sync dispatcher: `Client` calls it directly, and `AsyncClient` calls
it too, blocking while the app works, which is what a test of a WSGI app
wants. The app's iterable is consumed as the response body is read, so a
streaming app streams; it is closed (PEP 3333's `close()`) when the
response is.
"""

from __future__ import annotations

import io
import itertools
import sys
import typing
from urllib.parse import unquote

from .._config import Timeout
from .._exceptions import RemoteProtocolError
from .._models import Request, Response

__all__ = ["WSGIDispatch"]

WSGIEnviron = dict[str, typing.Any]
ExcInfo = tuple[type[BaseException], BaseException, typing.Any]
StartResponse = typing.Callable[..., typing.Callable[[bytes], object]]
WSGIApp = typing.Callable[[WSGIEnviron, StartResponse], typing.Iterable[bytes]]


class _Head:
    """What the app passed to `start_response`, and what it `write()`s."""

    def __init__(self, raise_app_exceptions: bool) -> None:
        self._raise_app_exceptions = raise_app_exceptions
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.written: list[bytes] = []
        self.sent = False  # the first body chunk was handed to the client

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> typing.Callable[[bytes], object]:
        if exc_info is not None:
            # PEP 3333: the app reports an error, here as an exception of
            # the app; after the head was sent it must be re-raised anyway.
            if self._raise_app_exceptions or self.sent:
                raise exc_info[1].with_traceback(exc_info[2])
        elif self.status is not None:
            raise RuntimeError("The WSGI app called start_response() twice.")
        self.status = status
        self.headers = list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))


class _ResponseBody:
    """The app's iterable as a response body: read as the client reads."""

    def __init__(
        self,
        result: typing.Iterable[bytes],
        chunks: typing.Iterator[bytes],
        head: _Head,
        raise_app_exceptions: bool,
    ) -> None:
        self._result = result
        self._chunks = chunks
        self._head = head
        self._raise_app_exceptions = raise_app_exceptions
        self._closed = False

    def _next(self) -> bytes:
        while True:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self.close()
                raise
            except Exception as exc:
                self.close()
                if self._raise_app_exceptions:
                    raise
                raise RemoteProtocolError(
                    f"The WSGI app raised {type(exc).__name__} in the middle of "
                    "the response body."
                ) from exc
            if chunk:
                self._head.sent = True
                return bytes(chunk)

    def __aiter__(self) -> _ResponseBody:
        return self

    async def __anext__(self) -> bytes:
        try:
            return self._next()
        except StopIteration:
            raise StopAsyncIteration from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _close(self._result)

    async def aclose(self) -> None:
        self.close()


class _Input(io.RawIOBase):
    """`wsgi.input`: the request body, read from its stream as asked."""

    def __init__(self, chunks: typing.Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: typing.Any) -> int:
        if not self._buffer:
            self._buffer = next(self._chunks, b"")
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class WSGIDispatch:
    """
    A dispatcher that runs a WSGI application in this process: tests of a
    Flask or Django app, or any WSGI callable, need no server.

    ```python
    import httpcore


    def app(environ, start_response):
        body = f"Hello from {environ['PATH_INFO']}".encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]


    with httpcore.Client(dispatch=httpcore.WSGIDispatch(app)) as client:
        response = client.get("http://testserver/hello")
        assert response.text == "Hello from /hello"
    ```

    - A sync dispatcher: `Client` uses it directly; `AsyncClient` can use
      it too, and blocks while the app runs.
    - The request's body is `environ["wsgi.input"]`, read from the
      request's stream as the app reads it (an async iterator body cannot
      be read here: send it with `Client`).
    - The app's iterable is read as the response body is, and closed with
      the response.
    - `script_name`: where the app is mounted (`SCRIPT_NAME`); request URLs
      include it, and `PATH_INFO` is the rest. `remote_addr`: the client's
      address (`REMOTE_ADDR`). `wsgi_errors`: `wsgi.errors` (default
      `sys.stderr`).
    - `raise_app_exceptions` (True): an exception in the app propagates to
      the caller, as it is. With False, the client sees what a server would
      send: a `500 Internal Server Error` before the app started the
      response, a `RemoteProtocolError` in the middle of its body.
    """

    def __init__(
        self,
        app: WSGIApp,
        script_name: str = "",
        remote_addr: str = "127.0.0.1",
        *,
        raise_app_exceptions: bool = True,
        wsgi_errors: typing.TextIO | None = None,
    ) -> None:
        self.app = app
        self.script_name = script_name.rstrip("/")
        self.remote_addr = remote_addr
        self.raise_app_exceptions = raise_app_exceptions
        self.wsgi_errors = wsgi_errors

    def send(self, request: Request, *, timeout: Timeout | None = None) -> Response:
        """Call the app for `request`; its body is read as the response's is."""
        head = _Head(self.raise_app_exceptions)
        environ = self._environ(request)
        result: typing.Iterable[bytes] = ()
        try:
            result = self.app(environ, head.start_response)
            chunks = iter(result)
            # The head may come with the first chunk (a generator app).
            first = [next(chunks, b"")] if head.status is None else []
        except Exception:
            _close(result)
            if self.raise_app_exceptions:
                raise
            return _server_error(request)
        if head.status is None:
            _close(result)
            message = "The WSGI app returned without calling start_response()."
            if self.raise_app_exceptions:
                raise RuntimeError(message)
            return _server_error(request)
        code, _, reason = head.status.partition(" ")
        body = _ResponseBody(
            result,
            itertools.chain(head.written, first, chunks),
            head,
            self.raise_app_exceptions,
        )
        return Response(
            int(code),
            headers=head.headers,
            stream=body,
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": reason.encode("latin-1"),
            },
        )

    def close(self) -> None:
        """Nothing to release: the app runs only while a request does."""

    def _environ(self, request: Request) -> WSGIEnviron:
        url = request.url
        stream = request.stream
        if not hasattr(stream, "__iter__"):
            raise TypeError(
                "WSGIDispatch cannot read a request body from an async "
                "iterator: send bytes, a file or a sync iterator instead."
            )
        path = unquote(url.path, encoding="latin-1")
        if self.script_name and path.startswith(self.script_name):
            path = path[len(self.script_name) :]
        environ: WSGIEnviron = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": self.script_name,
            "PATH_INFO": path,
            "QUERY_STRING": url.query,
            "SERVER_NAME": url.host,
            "SERVER_PORT": str(url.port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": self.remote_addr,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme,
            "wsgi.input": io.BufferedReader(
                _Input(typing.cast(typing.Iterable[bytes], stream))
            ),
            "wsgi.errors": self.wsgi_errors or sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for raw_name, raw_value in request.headers.raw:
            name = raw_name.decode("latin-1").upper().replace("-", "_")
            value = raw_value.decode("latin-1")
            if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = f"HTTP_{name}"
            if name in environ:
                separator = "; " if name == "HTTP_COOKIE" else ","
                value = f"{environ[name]}{separator}{value}"
            environ[name] = value
        return environ

    def __repr__(self) -> str:
        return f"<WSGIDispatch app={self.app!r}>"


def _close(result: typing.Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _server_error(request: Request) -> Response:
    return Response(
        500,
        headers={"content-type": "text/plain; charset=utf-8"},
        content=b"Internal Server Error",
        request=request,
        extensions={"http_version": b"HTTP/1.1"},
    )
