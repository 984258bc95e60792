"""
Tests of `Client`, `AsyncClient` and the one-off helpers.

`MockDispatch` / `SyncMockDispatch`: dispatchers that answer each request
with `handler(request)`, a response built directly, and record what they
were sent. The client logic (redirects, auth, cookies, hooks) is tested
through them without a network; the other modules use the real servers.
"""

from __future__ import annotations

import typing

import httpcore

Handler = typing.Callable[[httpcore.Request], httpcore.Response]


def _as_async(response: httpcore.Response) -> httpcore.AsyncResponse:
    if isinstance(response, httpcore.AsyncResponse):
        return response
    view = httpcore.AsyncResponse.__new__(httpcore.AsyncResponse)
    view.__dict__.update(response.__dict__)
    return view


class MockDispatch:
    """An async dispatcher: `handler(request)` answers; bodies are read first."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpcore.Request] = []
        self.bodies: list[bytes] = []
        self.timeouts: list[typing.Any] = []
        self.closed = False

    async def send(self, request, *, timeout=None):
        self.requests.append(request)
        self.timeouts.append(timeout)
        chunks = [chunk async for chunk in request.stream]
        self.bodies.append(b"".join(chunks))
        return _as_async(self.handler(request))

    async def close(self) -> None:
        self.closed = True


class SyncMockDispatch:
    """The sync form of `MockDispatch`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpcore.Request] = []
        self.closed = False

    def send(self, request, *, timeout=None):
        self.requests.append(request)
        return self.handler(request)

    def close(self) -> None:
        self.closed = True


def ok(request: httpcore.Request) -> httpcore.Response:
    return httpcore.Response(200, text="ok", request=request)


def redirect(location: str, status: int = 302, **headers: str):
    """A handler answering a redirect to `location`, then 200 for the target."""

    def handler(request: httpcore.Request) -> httpcore.Response:
        if request.url.path == "/start":
            return httpcore.Response(
                status, headers={"Location": location, **headers}, request=request
            )
        return httpcore.Response(200, text="done", request=request)

    return handler


def recorder(requests: list[bytes]):
    """A scripted-server handler: records each raw request, answers 200 "ok"."""

    def handler(conn) -> None:
        while True:
            raw = conn.read_request()
            if not raw:
                return
            requests.append(raw)
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    return handler


def raw_headers(raw: bytes) -> list[tuple[str, str]]:
    """The header fields of a raw request, names in lower case, in order."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    fields = []
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields.append((name.strip().lower(), value.strip()))
    return fields
