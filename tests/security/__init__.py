"""
Security tests: what each server saw, checked from the server side.

`RecordingServer` wraps a scripted server (plain or TLS) that records the raw
head of every request it receives, and answers by the request's query:

- `?to=URL`: a 302 redirect to URL (`&status=307` for another code);
- `?cookie=NAME=VALUE...`: that `Set-Cookie` header too (repeatable);
- `?challenge=digest`: a 401 with a Digest challenge, unless the request
  carries an `Authorization` header;
- else 200 "ok".

Credentials are then asserted from the bytes each server got, not from what
the client believes it sent.
"""

from __future__ import annotations

import base64
import threading
import urllib.parse
from collections.abc import Callable

from tests.servers.scripted import ScriptedConnection, ScriptedServer

CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")


class RecordingServer:
    def __init__(
        self, scripted_server: Callable[..., ScriptedServer], tls: bool = False
    ) -> None:
        self.heads: list[bytes] = []
        self._lock = threading.Lock()
        self.server = scripted_server(self._handle, tls=tls)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def connections(self) -> int:
        return self.server.accepted

    def _handle(self, conn: ScriptedConnection) -> None:
        for _ in range(100):  # bounded: no test sends this many on one connection
            raw = conn.read_request()
            if not raw:
                return
            head = raw.split(b"\r\n\r\n", 1)[0]
            with self._lock:
                self.heads.append(head)
            conn.send(self._answer(head))

    def _answer(self, head: bytes) -> bytes:
        target = head.split(b" ", 2)[1].decode("latin-1")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        extra = b"".join(
            b"Set-Cookie: " + value.encode("latin-1") + b"\r\n"
            for value in query.get("cookie", [])
        )
        if "to" in query:
            status = query.get("status", ["302"])[0].encode()
            location = query["to"][0].encode("latin-1")
            return (
                b"HTTP/1.1 "
                + status
                + b" Redirect\r\nLocation: "
                + location
                + b"\r\n"
                + extra
                + b"Content-Length: 0\r\n\r\n"
            )
        has_auth = any(name == "authorization" for name, _ in fields_of(head))
        if query.get("challenge") == ["digest"] and not has_auth:
            return (
                b"HTTP/1.1 401 Unauthorized\r\n"
                b'WWW-Authenticate: Digest realm="r", nonce="abc", qop="auth"\r\n'
                + extra
                + b"Content-Length: 0\r\n\r\n"
            )
        return b"HTTP/1.1 200 OK\r\n" + extra + b"Content-Length: 2\r\n\r\nok"

    def credentials(self, index: int) -> list[tuple[str, str]]:
        """The credential fields of request `index`, names lower case, in order."""
        return [
            (name, value)
            for name, value in fields_of(self.heads[index])
            if name in CREDENTIAL_HEADERS
        ]

    def paths(self) -> list[str]:
        return [head.split(b" ", 2)[1].decode("latin-1") for head in self.heads]


def fields_of(head: bytes) -> list[tuple[str, str]]:
    """The header fields of a raw request head, names lower case, in order."""
    fields = []
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields.append((name.strip().lower(), value.strip()))
    return fields


def basic(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Basic {token}"


def hop(start: str, to: str, **params: str) -> str:
    """`start` + `/hop?to=...`: a URL that redirects to `to`."""
    query = urllib.parse.urlencode({"to": to, **params})
    return f"{start}/hop?{query}"
