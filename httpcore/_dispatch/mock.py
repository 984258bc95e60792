"""
`MockDispatch`: a dispatcher that answers every request with a function of
yours, for tests of code that calls httpcore. No network at all.

A client tells a sync dispatcher from an async one by its `send` method, so
`send` and `close` are properties here: plain methods for a sync handler
(which serves `Client` and `AsyncClient` alike), coroutine functions for an
async one (which serves `AsyncClient`).
"""

from __future__ import annotations

import typing

from .._config import Timeout
from .._models import AsyncResponse, BaseResponse, Request

__all__ = ["MockDispatch"]

MockHandler = typing.Callable[
    [Request],
    typing.Union[
        BaseResponse, typing.Awaitable[BaseResponse], typing.Awaitable[AsyncResponse]
    ],
]


def _is_async_callable(handler: object) -> bool:
    call = getattr(handler, "__call__", None)  # noqa: B004 - a callable object
    import inspect  # not at import: it is slow to load

    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)


class MockDispatch:
    """
    A dispatcher that calls `handler(request)` for every request and returns
    the response it builds: a test double for the network.

    ```python
    import httpcore


    def handler(request: httpcore.Request) -> httpcore.Response:
        if request.url.path == "/users/1":
            return httpcore.Response(200, json={"id": 1, "name": "Ada"})
        return httpcore.Response(404, text="no such page")


    with httpcore.Client(dispatch=httpcore.MockDispatch(handler)) as client:
        response = client.get("https://api.example.org/users/1")
        assert response.json() == {"id": 1, "name": "Ada"}
        assert client.get("https://api.example.org/nope").status_code == 404
    ```

    - A sync handler serves both `Client` and `AsyncClient`; an `async def`
      handler serves `AsyncClient` only.
    - The request's body is read before the handler is called, so
      `request.content` holds it (except for a body from an async iterator
      given to a sync handler: stream it with `request.stream`).
    - The response gets `request` set when the handler left it out. The
      client does the rest as over the network: cookies, redirects, auth,
      decoding of a `Content-Encoding`.
    - Every request received is appended to `requests`, for assertions.
    - An exception raised by the handler propagates to the caller, as it is:
      raise `httpcore.ConnectError("...")` to play a network failure.
    """

    def __init__(self, handler: MockHandler) -> None:
        if not callable(handler):
            raise TypeError(
                f"MockDispatch needs a function (Request) -> Response, not {handler!r}."
            )
        self.handler = handler
        self.requests: list[Request] = []
        self._async = _is_async_callable(handler)

    @property
    def send(self) -> typing.Callable[..., typing.Any]:
        """
        `send(request, *, timeout=None)`: the handler's response. A coroutine
        function when the handler is async, so that clients see an async
        dispatcher.
        """
        return self._send_async if self._async else self._send_sync

    @property
    def close(self) -> typing.Callable[[], typing.Any]:
        """`close()`: nothing to release; async when the handler is."""
        return self._close_async if self._async else self._close_sync

    def _send_sync(
        self, request: Request, *, timeout: Timeout | None = None
    ) -> BaseResponse:
        if hasattr(request.stream, "__iter__"):
            request.read()
        self.requests.append(request)
        response = self.handler(request)
        import inspect  # not at import: it is slow to load

        if inspect.isawaitable(response):
            # Defensive: a callable that returns an awaitable without being
            # declared async. It cannot run here.
            close = getattr(response, "close", None)
            if close is not None:
                close()
            raise TypeError(
                "The MockDispatch handler returned an awaitable: declare it "
                "with `async def` and use httpcore.AsyncClient."
            )
        return _checked(response, request)

    async def _send_async(
        self, request: Request, *, timeout: Timeout | None = None
    ) -> AsyncResponse:
        await request.aread()
        self.requests.append(request)
        response = await typing.cast(
            typing.Awaitable[BaseResponse], self.handler(request)
        )
        checked = _checked(response, request)
        if isinstance(checked, AsyncResponse):
            return checked
        view = AsyncResponse.__new__(AsyncResponse)
        view.__dict__.update(checked.__dict__)
        return view

    def _close_sync(self) -> None:
        pass

    async def _close_async(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<MockDispatch handler={self.handler!r}>"


def _checked(response: object, request: Request) -> BaseResponse:
    if not isinstance(response, BaseResponse):
        raise TypeError(
            f"The MockDispatch handler returned {response!r}: it must return "
            "an httpcore.Response."
        )
    if response._request is None:
        response.request = request
    return response
