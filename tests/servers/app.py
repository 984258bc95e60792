"""
The ASGI 3 application behind the real-server tests.

No framework: `ROUTES` maps a path pattern to a handler, and a handler gets a
`Request` (scope, parsed query, path parameters, a way to read the body) and
the ASGI `send` callable. Every response carries a Content-Length except the
ones that stream on purpose (`/stream`). Handlers may use asyncio: the app runs
under hypercorn's asyncio worker.

Tests compare against the constants here rather than repeating them:
`HELLO`, `COMPRESSIBLE_TEXT`, `LATIN1_HTML` and `pattern(n)`. The routes of
the client feature tests (Digest, uploads, encodings, the gzip bomb) are in
`features.py`, the request and response helpers in `base.py`.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import re
import zlib
from collections.abc import Callable

from tests.servers.base import (
    CHUNK_SIZE,
    COMPRESSIBLE_TEXT,
    Handler,
    Receive,
    Request,
    Scope,
    Send,
    pattern,
    respond,
    respond_json,
    start,
)
from tests.servers.features import FEATURE_ROUTES

HELLO = b"Hello, world!"
LATIN1_HTML = "<html><body><p>Caf\xe9 cr\xe8me br\xfbl\xe9e</p></body></html>"
MAX_DELAY = 30.0
_BLOCK = pattern(CHUNK_SIZE)  # what /bytes/{n} sends, chunk by chunk

__all__ = ["COMPRESSIBLE_TEXT", "HELLO", "LATIN1_HTML", "app", "pattern"]


# --- Handlers ---------------------------------------------------------------


async def hello(request: Request, send: Send) -> None:
    await respond(send, body=HELLO, content_type="text/plain")


async def echo(request: Request, send: Send) -> None:
    body = await request.body()
    await respond_json(
        send,
        {
            "method": request.method,
            "path": request.path,
            "query": request.raw_query,
            "headers": [[k, v] for k, v in request.headers],
            "body": body.decode("latin-1"),
            "http_version": request.scope["http_version"],
            "client_port": request.scope["client"][1],
        },
    )


async def echo_body(request: Request, send: Send) -> None:
    body = await request.body()
    await respond(send, body=body, content_type="application/octet-stream")


async def conn(request: Request, send: Send) -> None:
    await respond_json(send, {"client_port": request.scope["client"][1]})


async def bytes_(request: Request, send: Send) -> None:
    n = int(request.params["n"])
    headers = [
        ("content-type", "application/octet-stream"),
        ("content-length", str(n)),
    ]
    await start(send, 200, headers)
    # Offsets stay multiples of the block size, so every chunk is a prefix of
    # it and memory stays bounded however large n is.
    for offset in range(0, n, CHUNK_SIZE):
        size = min(CHUNK_SIZE, n - offset)
        more = offset + size < n
        await send(
            {"type": "http.response.body", "body": _BLOCK[:size], "more_body": more}
        )
    if n == 0:
        await send({"type": "http.response.body", "body": b""})


async def stream(request: Request, send: Send) -> None:
    n = int(request.params["n"])
    chunk = pattern(int(request.query.get("size", "1024")))
    await start(send, 200, [("content-type", "application/octet-stream")])
    for _ in range(n):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def status(request: Request, send: Send) -> None:
    code = int(request.params["code"])
    if not 200 <= code <= 599:
        # ASGI has no way to send a 1xx as the final response.
        await respond(send, 400, b"status must be 200-599", content_type="text/plain")
        return
    await respond(send, code)


async def slow(request: Request, send: Send) -> None:
    delay = min(max(float(request.query.get("delay", "1")), 0.0), MAX_DELAY)
    # Stop waiting as soon as the client hangs up, so an abandoned request
    # does not hold the server's shutdown for the full delay.
    disconnect = asyncio.ensure_future(request.wait_for_disconnect())
    done, _ = await asyncio.wait({disconnect}, timeout=delay)
    disconnect.cancel()
    if not done:
        await respond(send, body=b"ok", content_type="text/plain")


async def redirect(request: Request, send: Send) -> None:
    n = int(request.params["n"])
    if n > 0:
        await respond(send, 302, headers=[("location", f"/redirect/{n - 1}")])
    else:
        await respond(send, body=b"done", content_type="text/plain")


async def redirect_to(request: Request, send: Send) -> None:
    """
    A redirect to `url` (no Location at all without one): `status` (302),
    `cookie` (Set-Cookie values), a `body` and / or `body_size` bytes of it,
    sent with a Content-Encoding of `encoding` (which it does not have).
    """
    code = int(request.query.get("status", "302"))
    # Read the body first: a server that answers before reading it closes the
    # connection afterwards, racing the client's next request (the redirect).
    await request.body()
    headers = [("location", request.query["url"])] if "url" in request.query else []
    headers += [("set-cookie", v) for k, v in request.query_pairs if k == "cookie"]
    body = request.query.get("body", "").encode()
    body += b"x" * int(request.query.get("body_size", "0"))
    encoding = request.query.get("encoding")
    if encoding:
        headers.append(("content-encoding", encoding))
    await respond(send, code, body, headers=headers)


async def set_cookie(request: Request, send: Send) -> None:
    headers = [
        ("set-cookie", f"{name}={value}; Path=/") for name, value in request.query_pairs
    ]
    await respond(send, body=b"ok", content_type="text/plain", headers=headers)


async def cookies(request: Request, send: Send) -> None:
    # HTTP/2 clients may split the Cookie header into one field per cookie.
    header = "; ".join(v for k, v in request.headers if k == "cookie")
    jar = {}
    for pair in header.split(";"):
        name, sep, value = pair.strip().partition("=")
        if sep:
            jar[name] = value
    await respond_json(send, jar)


async def charset(request: Request, send: Send) -> None:
    encoding = request.query.get("encoding", "utf-8")
    text = request.query.get("text", "Hello, world!")
    await respond(
        send,
        body=text.encode(encoding),
        content_type=f"text/plain; charset={encoding}",
    )


async def json_(request: Request, send: Send) -> None:
    await respond_json(send, {"hello": "world"})


async def html_no_charset(request: Request, send: Send) -> None:
    await respond(send, body=LATIN1_HTML.encode("latin-1"), content_type="text/html")


def _basic_tokens(user: str, passwd: str) -> set[str]:
    # Clients disagree on the charset of Basic credentials: accept both.
    tokens = set()
    for encoding in ("utf-8", "latin-1"):
        try:
            raw = f"{user}:{passwd}".encode(encoding)
        except UnicodeEncodeError:
            continue
        tokens.add("Basic " + base64.b64encode(raw).decode("ascii"))
    return tokens


async def basic_auth(request: Request, send: Send) -> None:
    user = request.query.get("user", "user")
    passwd = request.query.get("passwd", "passwd")
    if request.header("authorization") in _basic_tokens(user, passwd):
        await respond_json(send, {"authenticated": True, "user": user})
    else:
        await respond(
            send,
            401,
            b"unauthorized",
            content_type="text/plain",
            headers=[("www-authenticate", 'Basic realm="test"')],
        )


def _encoded(encoding: str, compress: Callable[[bytes], bytes]) -> Handler:
    body = compress(COMPRESSIBLE_TEXT)

    async def handler(request: Request, send: Send) -> None:
        headers = [("content-encoding", encoding)]
        await respond(send, body=body, content_type="text/plain", headers=headers)

    return handler


ROUTES: list[tuple[str, Handler]] = [
    ("/", hello),
    ("/echo", echo),
    ("/echo_body", echo_body),
    ("/conn", conn),
    ("/bytes/(?P<n>[0-9]+)", bytes_),
    ("/stream/(?P<n>[0-9]+)", stream),
    ("/status/(?P<code>[0-9]{3})", status),
    ("/slow", slow),
    ("/redirect/(?P<n>[0-9]+)", redirect),
    ("/redirect_to", redirect_to),
    ("/set_cookie", set_cookie),
    ("/cookies(?:/.*)?", cookies),
    ("/charset", charset),
    ("/json", json_),
    ("/html_no_charset", html_no_charset),
    ("/basic_auth", basic_auth),
    *FEATURE_ROUTES,
    ("/gzip", _encoded("gzip", gzip.compress)),
    ("/deflate", _encoded("deflate", zlib.compress)),
]

try:
    import brotli
except ImportError:  # Depends on the installed extras.
    try:
        import brotlicffi as brotli
    except ImportError:
        brotli = None
if brotli is not None:
    ROUTES.append(("/brotli", _encoded("br", brotli.compress)))

try:
    import zstandard
except ImportError:  # Depends on the installed extras.
    zstandard = None
if zstandard is not None:
    ROUTES.append(("/zstd", _encoded("zstd", zstandard.ZstdCompressor().compress)))

_COMPILED = [(re.compile(path), handler) for path, handler in ROUTES]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI entry point."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        raise RuntimeError(f"unsupported ASGI scope type {scope['type']!r}")
    for regex, handler in _COMPILED:
        match = regex.fullmatch(scope["path"])
        if match is not None:
            await handler(Request(scope, receive, match.groupdict()), send)
            return
    await respond(send, 404, b"not found", content_type="text/plain")


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
