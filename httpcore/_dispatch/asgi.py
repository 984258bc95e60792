"""
`ASGIDispatch`: send requests to an ASGI 3 application in this process, for
tests. No server, no sockets.

How it works. The app runs inside the task that sends the request and reads
the response, one step at a time: no task is spawned and nothing is awaited
but what the app awaits itself, so the same code serves asyncio and trio.

`_AppRun.step()` resumes the app's coroutine and passes whatever the app
awaits (an asyncio future, a trio trap) on to the event loop, as `await`
itself would, until the app hands over a piece of the response. To hand it
over, the app's `send()` awaits a private marker, `_PAUSE`, which the step
catches instead of passing it on: the app stays paused there until the
reader wants more. The client gets the response once the app has sent its
head; each read of the body resumes the app until its next chunk. A
streaming app streams, and a large body is never held whole in memory.

A `send()` from another task of the app (one it spawned) cannot pause the
app's main coroutine: such chunks are queued, and read as the main
coroutine goes on. Nor does a `send()` inside a nursery or a deadline the
app opened itself, under trio: paused there, the app would leave its cancel
scope open on the reader's task, and trio refuses scopes that close out of
order. The response's body ends when the app returns.
"""

from __future__ import annotations

import collections
import sys
import types
import typing
from urllib.parse import unquote

from .._backends.base import Event
from .._config import Timeout
from .._exceptions import RemoteProtocolError
from .._models import AsyncResponse, Request
from .common import resolve_backend

__all__ = ["ASGIDispatch"]

# The types are the widest the app can be given: it may annotate its
# arguments with `dict` or `Mapping` alike.
ASGIReceive = typing.Callable[[], typing.Awaitable[dict[str, typing.Any]]]
ASGISend = typing.Callable[[typing.Mapping[str, typing.Any]], typing.Awaitable[None]]
ASGIApp = typing.Callable[
    [dict[str, typing.Any], ASGIReceive, ASGISend], typing.Awaitable[None]
]


class _Pause:
    """What the app's `send()` awaits to hand control back to `step()`."""

    __slots__ = ()

    def __await__(self) -> typing.Generator[typing.Any, typing.Any, None]:
        yield self


_PAUSE = _Pause()


def _scope_state() -> object:
    """
    Under trio, what changes when code enters a cancel scope (a nursery, a
    timeout): the task's cancel status. trio has no public way to see it, so
    when the attribute is missing, a fresh object: no two states compare
    equal, and the app is never paused (its body is read whole, correctly).
    None elsewhere: asyncio keeps no stack of scopes to corrupt.
    """
    trio = sys.modules.get("trio")
    if trio is None:
        return None
    try:
        task = trio.lowlevel.current_task()
    except RuntimeError:
        return None
    return getattr(task, "_cancel_status", None) or object()


class _ClientDisconnected(OSError):
    """Raised in the app by `send()` once the response was closed (ASGI 2.4)."""


class _AppRun:
    """One request through the app: its coroutine, and what it sent so far."""

    def __init__(
        self,
        app: ASGIApp,
        scope: dict[str, typing.Any],
        request: Request,
        disconnect: Event,
    ) -> None:
        self._request_body = request.stream.__aiter__()
        self._request_done = False
        self._disconnect = disconnect
        self._running = False  # the app's main coroutine is executing now
        self._scopes: object = None  # `_scope_state()` when the step began
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: collections.deque[bytes] = collections.deque()
        self.complete = False  # the app sent the last body message
        self.finished = False  # the app's coroutine returned or raised
        self.disconnected = False  # the response was closed before the end
        self._coro = typing.cast(
            typing.Coroutine[typing.Any, typing.Any, None],
            app(scope, self._receive, self._send),
        )

    # --- what the app calls ---------------------------------------------

    async def _receive(self) -> dict[str, typing.Any]:
        if not self._request_done and not self.disconnected:
            try:
                chunk = await self._request_body.__anext__()
            except StopAsyncIteration:
                self._request_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": chunk, "more_body": True}
        # Nothing more to read: wait, as a server does, until the response
        # is over or the client hangs up.
        await self._disconnect.wait(None)
        return {"type": "http.disconnect"}

    async def _send(self, message: typing.Mapping[str, typing.Any]) -> None:
        if self.disconnected:
            raise _ClientDisconnected("The client closed the response.")
        kind = message.get("type")
        if kind == "http.response.start":
            if self.status is not None:
                raise RuntimeError("The ASGI app sent 'http.response.start' twice.")
            self.status = int(message["status"])
            self.headers = [
                (bytes(name), bytes(value))
                for name, value in message.get("headers", ())
            ]
        elif kind == "http.response.body":
            if self.status is None:
                raise RuntimeError(
                    "The ASGI app sent 'http.response.body' before "
                    "'http.response.start'."
                )
            if self.complete:
                raise RuntimeError(
                    "The ASGI app sent 'http.response.body' after the last one "
                    "(more_body=False)."
                )
            body = bytes(message.get("body", b""))
            if body:
                self.chunks.append(body)
            if not message.get("more_body", False):
                # Done: the app runs on to its end in this same step, so
                # that the body ends when the app has returned.
                self.complete = True
                self._disconnect.set()
                return
        else:
            return  # An extension this dispatcher does not speak: ignored.
        if self._running and _scope_state() is self._scopes:
            await _PAUSE

    # --- what the dispatcher calls --------------------------------------

    @types.coroutine
    def step(self) -> typing.Generator[typing.Any, typing.Any, None]:
        """
        Run the app until it pauses in `send()` or returns; an exception of
        the app propagates from here.
        """
        value: typing.Any = None
        error: BaseException | None = None
        self._scopes = _scope_state()
        while True:
            self._running = True
            try:
                if error is None:
                    awaited = self._coro.send(value)
                else:
                    awaited = self._coro.throw(error)
            except StopIteration:
                self.finished = True
                return
            except BaseException:
                self.finished = True
                raise
            finally:
                self._running = False
            if awaited is _PAUSE:
                return
            # Something for the event loop: pass it on, and its answer back.
            try:
                value, error = (yield awaited), None
            except GeneratorExit:
                self.finished = True
                self._coro.close()
                raise
            except BaseException as exc:  # cancellation, thrown in by the loop
                value, error = None, exc

    def disconnect(self) -> None:
        self.disconnected = True
        self._disconnect.set()


class _ResponseBody:
    """The body of the response: each read runs the app to its next chunk."""

    def __init__(self, run: _AppRun, raise_app_exceptions: bool) -> None:
        self._run = run
        self._raise_app_exceptions = raise_app_exceptions

    def __aiter__(self) -> _ResponseBody:
        return self

    async def __anext__(self) -> bytes:
        run = self._run
        while not run.chunks:
            if run.finished:
                if run.complete:
                    raise StopAsyncIteration
                message = "The ASGI app returned before the end of the response body."
                if self._raise_app_exceptions:
                    raise RuntimeError(message)
                raise RemoteProtocolError(message)
            try:
                await run.step()
            except Exception as exc:
                if self._raise_app_exceptions:
                    raise
                raise RemoteProtocolError(
                    f"The ASGI app raised {type(exc).__name__} in the middle of "
                    "the response body."
                ) from exc
        return run.chunks.popleft()

    async def aclose(self) -> None:
        """Tell the app the client is gone, and let it finish."""
        run = self._run
        if run.finished:
            return
        run.disconnect()
        run.chunks.clear()
        try:
            while not run.finished:
                await run.step()
        except _ClientDisconnected:
            pass
        except Exception:
            if self._raise_app_exceptions:
                raise


class ASGIDispatch:
    """
    A dispatcher that runs an ASGI 3 application in this process, for
    `AsyncClient`, on asyncio and trio: tests of a web app need no server.

    ```python
    import asyncio

    import httpcore


    async def app(scope, receive, send):
        assert scope["type"] == "http"
        body = f"Hello from {scope['path']}".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": body})


    async def main() -> None:
        dispatch = httpcore.ASGIDispatch(app)
        async with httpcore.AsyncClient(dispatch=dispatch) as client:
            response = await client.get("http://testserver/hello")
            assert response.text == "Hello from /hello"


    asyncio.run(main())
    ```

    - The request's body reaches the app chunk by chunk through `receive()`.
      The response comes back as soon as the app has sent its head, and its
      body streams: each read runs the app up to its next `send()` (under
      trio, its next one outside a nursery or cancel scope of its own).
    - `root_path`: the path the app is mounted at (scope `root_path`);
      request URLs include it. `client`: the scope's `(host, port)` of the
      client.
    - `raise_app_exceptions` (True): an exception in the app propagates to
      the caller, as it is. With False, the client sees what a server would
      send: a `500 Internal Server Error` before the response started, a
      `RemoteProtocolError` in the middle of its body.
    - Closing a response early makes the app's next `send()` raise
      `OSError` and its `receive()` return `http.disconnect`, as ASGI 2.4
      servers do; the app then runs to its end.
    - Lifespan events are not sent, and timeouts do not apply: the app runs
      in the calling task, and the client waits for it.
    """

    def __init__(
        self,
        app: ASGIApp,
        root_path: str = "",
        client: tuple[str, int] = ("127.0.0.1", 123),
        *,
        raise_app_exceptions: bool = True,
    ) -> None:
        self.app = app
        self.root_path = root_path
        self.client = client
        self.raise_app_exceptions = raise_app_exceptions

    async def send(
        self, request: Request, *, timeout: Timeout | None = None
    ) -> AsyncResponse:
        """Run the app for `request`; return once it has sent the head."""
        disconnect = resolve_backend(None).create_event()
        run = _AppRun(self.app, self._scope(request), request, disconnect)
        try:
            while run.status is None and not run.finished:
                await run.step()
        except Exception:
            if self.raise_app_exceptions:
                raise
            return _server_error(request)
        if run.status is None:
            if self.raise_app_exceptions:
                raise RuntimeError("The ASGI app returned without sending a response.")
            return _server_error(request)
        return AsyncResponse(
            run.status,
            headers=run.headers,
            stream=_ResponseBody(run, self.raise_app_exceptions),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def close(self) -> None:
        """Nothing to release: the app runs only while a request does."""

    def _scope(self, request: Request) -> dict[str, typing.Any]:
        url = request.url
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(url.path),
            "raw_path": url.path.encode("ascii"),
            "query_string": url.query.encode("ascii"),
            "root_path": self.root_path,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "client": self.client,
            "server": (url.host, url.port),
            "extensions": {},
        }

    def __repr__(self) -> str:
        return f"<ASGIDispatch app={self.app!r}>"


def _server_error(request: Request) -> AsyncResponse:
    return AsyncResponse(
        500,
        headers={"content-type": "text/plain; charset=utf-8"},
        content=b"Internal Server Error",
        request=request,
        extensions={"http_version": b"HTTP/1.1"},
    )
