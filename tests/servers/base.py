"""
The small ASGI toolkit of the test servers: a parsed `Request`, and helpers
to send a response. No framework: `app.py` maps paths to handlers.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import parse_qsl

Scope = dict[str, typing.Any]
Message = dict[str, typing.Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

COMPRESSIBLE_TEXT = b"Hello, world!" * 100
CHUNK_SIZE = 64 * 1024
_BLOCK = bytes(range(256)) * (CHUNK_SIZE // 256)


def pattern(n: int) -> bytes:
    """The first `n` bytes of the repeating 0..255 pattern `/bytes/{n}` sends."""
    repeats, rest = divmod(n, len(_BLOCK))
    return _BLOCK * repeats + _BLOCK[:rest]


class Request:
    def __init__(self, scope: Scope, receive: Receive, params: dict[str, str]) -> None:
        self.scope = scope
        self.receive = receive
        self.params = params
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.raw_query: str = scope["query_string"].decode("latin-1")
        self.query_pairs = parse_qsl(self.raw_query, keep_blank_values=True)
        self.query = dict(self.query_pairs)
        self.headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in scope["headers"]
        ]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    async def body(self) -> bytes:
        chunks = []
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def wait_for_disconnect(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass


Handler = Callable[[Request, Send], Awaitable[None]]


def _encode_headers(
    headers: Iterable[tuple[str, str]],
) -> list[tuple[bytes, bytes]]:
    # UTF-8 rather than latin-1 so that a test can have the server send raw
    # non-ASCII bytes, in a Location for instance.
    return [(k.lower().encode("ascii"), v.encode("utf-8")) for k, v in headers]


async def start(
    send: Send,
    status: int,
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": _encode_headers(headers),
        }
    )


async def respond(
    send: Send,
    status: int = 200,
    body: bytes = b"",
    *,
    content_type: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    """Send a whole response with a Content-Length."""
    all_headers = list(headers)
    if content_type is not None:
        all_headers.append(("content-type", content_type))
    if status >= 200 and status not in (204, 304):
        all_headers.append(("content-length", str(len(body))))
    await start(send, status, all_headers)
    await send({"type": "http.response.body", "body": body})


async def respond_json(send: Send, data: object, status: int = 200) -> None:
    body = json.dumps(data).encode("utf-8")
    await respond(send, status, body, content_type="application/json")
