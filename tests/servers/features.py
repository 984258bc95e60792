"""
The routes behind the client feature tests (issue 6): Digest auth checked as
RFC 7616 says, uploads parsed back, encoded and corrupt bodies, a gzip bomb,
awkwardly split lines, raw Set-Cookie headers. `app.py` registers them.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import gzip
import hashlib
import hmac
import re
import secrets
import struct
import typing
import zlib
from collections.abc import Callable
from urllib.parse import unquote

from tests.servers.base import (
    CHUNK_SIZE,
    COMPRESSIBLE_TEXT,
    Handler,
    Request,
    Send,
    respond,
    respond_json,
    start,
)

# --- Digest authentication (RFC 7616), checked for real ----------------------

_DIGEST_HASHES = {
    "MD5": hashlib.md5,
    "MD5-SESS": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA-256-SESS": hashlib.sha256,
}
DIGEST_REALM = "tests@httpcore"
# Every nonce this server issued: the last nc seen, successful uses, limits.
_NONCES: dict[str, dict[str, typing.Any]] = {}
_AUTH_PARAM = re.compile(r'([a-zA-Z0-9*_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)')


def _digest_params(header: str) -> dict[str, str]:
    params = {}
    for name, value in _AUTH_PARAM.findall(header[len("Digest ") :]):
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[name.lower()] = value
    return params


async def digest_auth(request: Request, send: Send) -> None:
    """
    Digest auth, verified as RFC 7616 says. Query: `user`, `passwd`,
    `algorithm` (one, or several for several challenges), `qop` (`auth`, or
    `none` for RFC 2069), `uses` (successful uses of a nonce before it is
    stale), `first_stale=1` (the nonce of the first challenge is stale at
    once), `always_stale=1`, `userhash=1`. Answers 200 with what it checked,
    or 401 with a challenge.
    """
    # Read the body first: a server that answers before reading it closes the
    # connection afterwards, racing the client's next request (the retry).
    await request.body()
    q = request.query
    user, passwd = q.get("user", "user"), q.get("passwd", "passwd")
    algorithms = q.get("algorithm", "MD5").split(",")
    qop = q.get("qop", "auth")
    userhash = q.get("userhash") == "1"

    async def challenge(stale: bool, first: bool = False) -> None:
        nonce = secrets.token_hex(16)
        opaque = secrets.token_hex(8)
        max_uses = (
            0 if first and q.get("first_stale") == "1" else int(q.get("uses", "100"))
        )
        _NONCES[nonce] = {"nc": 0, "uses": 0, "max_uses": max_uses, "opaque": opaque}
        headers = []
        for algorithm in algorithms:
            value = f'Digest realm="{DIGEST_REALM}", nonce="{nonce}", opaque="{opaque}"'
            value += f", algorithm={algorithm}"
            if qop != "none":
                value += f', qop="{qop}"'
            if stale:
                value += ", stale=true"
            if userhash:
                value += ", userhash=true"
            headers.append(("www-authenticate", value))
        await respond(
            send, 401, b"unauthorized", content_type="text/plain", headers=headers
        )

    header = request.header("authorization") or ""
    if not header.startswith("Digest "):
        await challenge(stale=False, first=True)
        return
    p = _digest_params(header)
    algorithm = p.get("algorithm", "MD5")
    state = _NONCES.get(p.get("nonce", ""))
    target = request.scope["raw_path"].decode("latin-1")
    if request.raw_query:
        target += "?" + request.raw_query
    if (
        state is None
        or algorithm.upper() not in {a.upper() for a in algorithms}
        or p.get("opaque") != state["opaque"]
        or p.get("realm") != DIGEST_REALM
        or p.get("uri") != target
    ):
        await challenge(stale=False)
        return
    hash_function = _DIGEST_HASHES[algorithm.upper()]

    def h(*parts: str) -> str:
        return hash_function(":".join(parts).encode("utf-8")).hexdigest()

    if userhash:
        expected_user = h(user, DIGEST_REALM)
        given_user = p.get("username", "")
    elif "username*" in p:
        expected_user, given_user = user, unquote(p["username*"].split("''", 1)[1])
    else:
        expected_user, given_user = user, p.get("username", "")
    nonce = p["nonce"]
    ha1 = h(user, DIGEST_REALM, passwd)
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(ha1, nonce, p.get("cnonce", ""))
    ha2 = h(request.method, target)
    nc = 0
    if qop == "none":
        expected = h(ha1, nonce, ha2)
        counted = "nc" not in p and "qop" not in p
    else:
        try:
            nc = int(p.get("nc", ""), 16)
        except ValueError:
            nc = 0
        counted = (
            p.get("qop") == "auth"
            and len(p.get("nc", "")) == 8
            and nc > state["nc"]
            and bool(p.get("cnonce"))
        )
        expected = h(ha1, nonce, p.get("nc", ""), p.get("cnonce", ""), "auth", ha2)
    valid = (
        counted
        and given_user == expected_user
        and hmac.compare_digest(expected, p.get("response", ""))
    )
    if not valid:
        await challenge(stale=False)
        return
    state["nc"] = nc
    if q.get("always_stale") == "1" or state["uses"] >= state["max_uses"]:
        await challenge(stale=True)
        return
    state["uses"] += 1
    await respond_json(
        send,
        {
            "authenticated": True,
            "user": user,
            "algorithm": algorithm,
            "nonce": nonce,
            "nc": nc,
        },
    )


# --- Uploads ------------------------------------------------------------------


async def multipart(request: Request, send: Send) -> None:
    """Parse a multipart/form-data body with the standard library; say what it holds."""
    body = await request.body()
    content_type = request.header("content-type") or ""
    raw = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    parts = []
    for part in message.iter_parts() if message.is_multipart() else ():
        payload = part.get_payload(decode=True) or b""
        parts.append(
            {
                "name": part.get_param("name", header="content-disposition"),
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
                "text": payload.decode("utf-8", "replace")
                if len(payload) < 4096
                else None,
            }
        )
    await respond_json(
        send,
        {
            "content_length": request.header("content-length"),
            "transfer_encoding": request.header("transfer-encoding"),
            "received": len(body),
            "parts": parts,
        },
    )


async def count_body(request: Request, send: Send) -> None:
    """Read the body chunk by chunk, keeping only its size and digest."""
    digest = hashlib.sha256()
    size = 0
    chunks = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return
        data = message.get("body", b"")
        digest.update(data)
        size += len(data)
        chunks += bool(data)
        if not message.get("more_body", False):
            break
    await respond_json(
        send,
        {
            "size": size,
            "sha256": digest.hexdigest(),
            "chunks": chunks,
            "content_length": request.header("content-length"),
            "transfer_encoding": request.header("transfer-encoding"),
        },
    )


# --- Encoded bodies -------------------------------------------------------------

_ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "identity": lambda data: data,
}
try:
    import brotli

    _ENCODERS["br"] = brotli.compress
except ImportError:  # Depends on the installed extras.
    pass
try:
    import zstandard

    _ENCODERS["zstd"] = zstandard.ZstdCompressor().compress
except ImportError:  # Depends on the installed extras.
    pass


async def encoded(request: Request, send: Send) -> None:
    """`COMPRESSIBLE_TEXT` with the `encodings` of the query applied in order."""
    names = [n for n in request.query.get("encodings", "").split(",") if n]
    body = COMPRESSIBLE_TEXT
    for name in names:
        body = _ENCODERS[name](body)
    headers = [("content-encoding", ", ".join(names))]
    await respond(send, body=body, content_type="text/plain", headers=headers)


async def corrupt(request: Request, send: Send) -> None:
    """A body that claims an encoding it does not have (or is cut short)."""
    encoding = request.params["encoding"]
    body = b"\x00 this is not compressed at all \xff" * 10
    if request.query.get("truncated") == "1":
        body = _ENCODERS[encoding](COMPRESSIBLE_TEXT)[:-12]
    headers = [("content-encoding", encoding)]
    await respond(send, body=body, content_type="text/plain", headers=headers)


async def gzip_stream(request: Request, send: Send) -> None:
    """`n` bytes that do not compress (a seeded random stream), gzipped as sent."""
    n = int(request.params["n"])
    seed = hashlib.sha256(request.query.get("seed", "0").encode()).digest()
    compressor = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    headers = [
        ("content-type", "application/octet-stream"),
        ("content-encoding", "gzip"),
    ]
    await start(send, 200, headers)
    async with _DisconnectWatch(request) as watch:
        for offset in range(0, n, CHUNK_SIZE):
            if watch.disconnected:
                return
            block = random_block(seed, offset // CHUNK_SIZE)[: n - offset]
            data = compressor.compress(block)
            if data:
                more = {"type": "http.response.body", "body": data, "more_body": True}
                await send(more)
                await asyncio.sleep(0)
    await send({"type": "http.response.body", "body": compressor.flush()})


def random_block(seed: bytes, index: int) -> bytes:
    """Block `index` (64 KiB) of the stream `/gzip_stream` compresses."""
    key = hashlib.sha256(seed + index.to_bytes(8, "big")).digest()
    return hashlib.shake_256(key).digest(CHUNK_SIZE)


# The gzip bomb: a piece of raw deflate that expands to 1 MiB of zeros and
# leaves the compressor's state reset (a full flush), so the same bytes can
# be repeated any number of times; then the final empty block and the gzip
# trailer. Ten gibibytes of zeros cost some 10 MB, and nothing is compressed
# per request.
BOMB_MIB = 10 * 1024
_MIB = 1 << 20
_bomb_compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
_bomb_compressor.compress(bytes(_MIB))
_bomb_compressor.flush(zlib.Z_FULL_FLUSH)
BOMB_PIECE = _bomb_compressor.compress(bytes(_MIB)) + _bomb_compressor.flush(
    zlib.Z_FULL_FLUSH
)
BOMB_END = _bomb_compressor.flush(zlib.Z_FINISH)
BOMB_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
_ZEROS = bytes(_MIB)


def bomb_body_size(mib: int) -> int:
    """The size of the gzip body `/gzip_bomb?mib=...` sends."""
    return len(BOMB_HEADER) + mib * len(BOMB_PIECE) + len(BOMB_END) + 8


# What `/gzip_bomb?token=...` sent, by token: MiB of zeros, and whether it
# stopped because the client went away.
BOMB_SENT: dict[str, dict[str, typing.Any]] = {}


async def gzip_bomb(request: Request, send: Send) -> None:
    """gzip that expands to `mib` MiB of zeros (10 GiB by default), streamed."""
    mib = int(request.query.get("mib", str(BOMB_MIB)))
    stats = BOMB_SENT.setdefault(
        request.query.get("token", ""), {"mib": 0, "disconnected": False}
    )
    headers = [
        ("content-type", "application/octet-stream"),
        ("content-encoding", "gzip"),
        ("content-length", str(bomb_body_size(mib))),
    ]
    await start(send, 200, headers)
    await send({"type": "http.response.body", "body": BOMB_HEADER, "more_body": True})
    crc = 0
    async with _DisconnectWatch(request) as watch:
        for first in range(0, mib, _PIECES_PER_SEND):
            if watch.disconnected:
                stats["disconnected"] = True
                return
            count = min(_PIECES_PER_SEND, mib - first)
            for _ in range(count):
                # The CRC of the zeros so far: a step per MiB, cheap enough
                # for the part a client really reads.
                crc = zlib.crc32(_ZEROS, crc)
            body = BOMB_PIECE * count
            await send({"type": "http.response.body", "body": body, "more_body": True})
            stats["mib"] += count
            # Let the watch see a disconnect: a send does not always suspend.
            await asyncio.sleep(0)
    trailer = struct.pack("<II", crc, (mib * _MIB) & 0xFFFFFFFF)
    await send({"type": "http.response.body", "body": BOMB_END + trailer})


_PIECES_PER_SEND = 16


class _DisconnectWatch:
    """Watches for the client going away while a handler streams a body."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self._task: asyncio.Task[None] | None = None
        self.disconnected = False

    async def __aenter__(self) -> _DisconnectWatch:
        self._task = asyncio.ensure_future(self._watch())
        return self

    async def _watch(self) -> None:
        await self._request.wait_for_disconnect()
        self.disconnected = True

    async def __aexit__(self, *args: object) -> None:
        assert self._task is not None
        self._task.cancel()


# --- Text, cookies, redirects ---------------------------------------------------

# Lines split in awkward places: a `\r\n` across two chunks, a lone `\r`, a
# multi-byte character across two chunks.
LINE_CHUNKS = [
    b"first\r",
    b"\nsecond\rthi",
    b"rd\n\nfif",
    b"th caf\xc3",
    b"\xa9\r\n",
    b"last",
]
LINES = ["first", "second", "third", "", "fifth caf\u00e9", "last"]


async def lines(request: Request, send: Send) -> None:
    await start(send, 200, [("content-type", "text/plain; charset=utf-8")])
    for chunk in LINE_CHUNKS:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        # A pause, so that each chunk reaches the client on its own.
        await asyncio.sleep(0.005)
    await send({"type": "http.response.body", "body": b""})


async def set_cookie_raw(request: Request, send: Send) -> None:
    """One Set-Cookie header per `c` in the query, as given."""
    headers = [
        ("set-cookie", value) for name, value in request.query_pairs if name == "c"
    ]
    await respond(send, body=b"ok", content_type="text/plain", headers=headers)


FEATURE_ROUTES: list[tuple[str, Handler]] = [
    ("/digest_auth", digest_auth),
    ("/multipart", multipart),
    ("/count_body", count_body),
    ("/encoded", encoded),
    ("/corrupt/(?P<encoding>[a-z]+)", corrupt),
    ("/gzip_stream/(?P<n>[0-9]+)", gzip_stream),
    ("/gzip_bomb", gzip_bomb),
    ("/lines", lines),
    ("/set_cookie_raw", set_cookie_raw),
]
