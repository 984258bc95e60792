"""
HTTP Digest authentication (RFC 7616), as an auth flow.

How it works. A request goes out without credentials; the server answers
401 with a `WWW-Authenticate: Digest ...` challenge (a realm, a nonce, an
algorithm, the qop it accepts); the flow answers it by sending the request
again with an `Authorization: Digest ...` header that proves the password
without sending it.

The challenge is kept per origin (scheme, host, port), so later requests to
that origin answer it at once, counting their uses of its nonce (`nc`) as
the server expects; a challenge is never answered for another origin. When
the server says the nonce is `stale=true`, the flow retries with the fresh
one (a bounded number of times) without counting it as a failure. A 401
after the flow answered a fresh challenge goes back to the caller: the
credentials are wrong, and asking again would not change that.
"""

from __future__ import annotations

import re
import threading
import typing
from urllib.parse import quote

from ._auth import Auth, AuthFlow
from ._models import BaseResponse, Request

__all__ = ["DigestAuth", "parse_challenges"]

# Algorithms supported, the strongest first: when a server offers several
# challenges (RFC 7616 3.7), the first of these it offers is answered.
# (`hashlib` is imported by the first digest computed, not by `import httpcore`.)
_ALGORITHMS: dict[str, str] = {
    "SHA-256": "sha256",
    "SHA-256-SESS": "sha256",
    "MD5": "md5",
    "MD5-SESS": "md5",
}
# How many `stale=true` answers in a row the flow follows before it gives up.
MAX_STALE_RETRIES = 2

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_SPACE = re.compile(r"[ \t,]*")
_SCHEME = re.compile(rf"({_TOKEN})(?=[ \t]|,|$)[ \t]*")
_PARAM = re.compile(
    rf'({_TOKEN})[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|{_TOKEN})[ \t]*(?=,|$)'
)
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*[ \t]*(?=,|$)")
_QUOTED_PAIR = re.compile(r"\\(.)")

Challenge = tuple[str, dict[str, str]]


def parse_challenges(values: typing.Iterable[str]) -> list[Challenge]:
    """
    The challenges of `WWW-Authenticate` header values (RFC 9110 11.6.1), as
    `(scheme in lower case, {param in lower case: value})`, in order. One
    header may hold several challenges; what does not parse is skipped.
    """
    challenges: list[Challenge] = []
    for value in values:
        position, end = 0, len(value)
        current: dict[str, str] | None = None
        while True:
            position = _skip_separators(value, position)
            if position >= end:
                break
            if current is not None:
                param = _PARAM.match(value, position)
                if param is not None:
                    name, raw = param.group(1).lower(), param.group(2)
                    if raw.startswith('"'):
                        raw = _QUOTED_PAIR.sub(r"\1", raw[1:-1])
                    current.setdefault(name, raw)
                    position = param.end()
                    continue
            scheme = _SCHEME.match(value, position)
            if scheme is None:
                break  # malformed: ignore the rest of this header
            current = {}
            challenges.append((scheme.group(1).lower(), current))
            position = scheme.end()
            token68 = _TOKEN68.match(value, position)
            if token68 is not None and _PARAM.match(value, position) is None:
                position = token68.end()
    return challenges


def _skip_separators(value: str, position: int) -> int:
    match = _SPACE.match(value, position)
    return position if match is None else match.end()


class _Challenge:
    """A Digest challenge of one origin, and how often its nonce was used."""

    __slots__ = (
        "algorithm",
        "name",
        "nc",
        "nonce",
        "opaque",
        "qop",
        "realm",
        "stale",
        "userhash",
    )

    def __init__(self, params: dict[str, str], name: str) -> None:
        self.name = name  # the algorithm as the server spelled it, or ""
        self.algorithm = (name or "MD5").upper()
        self.realm = params["realm"]
        self.nonce = params["nonce"]
        self.opaque = params.get("opaque")
        self.stale = params.get("stale", "").lower() == "true"
        self.userhash = params.get("userhash", "").lower() == "true"
        qops = {q.strip().lower() for q in params.get("qop", "").split(",")}
        self.qop = "auth" if "auth" in qops else None
        self.nc = 0


def select_challenge(response: BaseResponse) -> _Challenge | None:
    """The Digest challenge of a 401 to answer: the strongest we can, or None."""
    ranks = list(_ALGORITHMS)
    best: _Challenge | None = None
    headers = response.headers.get_list("www-authenticate")
    for scheme, params in parse_challenges(headers):
        if scheme != "digest" or "realm" not in params or "nonce" not in params:
            continue
        challenge = _Challenge(params, params.get("algorithm", ""))
        if challenge.algorithm not in _ALGORITHMS:
            continue
        if challenge.qop is None and (
            "qop" in params or challenge.algorithm.endswith("-SESS")
        ):
            # Only qop=auth is supported (auth-int would need the body); and
            # a session algorithm needs a cnonce, which comes with a qop.
            continue
        rank = ranks.index(challenge.algorithm)
        if best is None or rank < ranks.index(best.algorithm):
            best = challenge
    return best


def _cnonce() -> str:
    """A fresh client nonce: 128 random bits."""
    import secrets

    return secrets.token_hex(16)


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DigestAuth(Auth):
    """
    HTTP Digest authentication (RFC 7616): MD5, MD5-sess, SHA-256 and
    SHA-256-sess, with `qop=auth` (or none, for RFC 2069 servers).

    ```python
    client = httpcore.Client(auth=httpcore.DigestAuth("user", "password"))
    ```

    One instance remembers the challenge of each origin, so that the
    requests after the first answer it at once, without a 401 round trip;
    share it (a client's `auth=`) to get that. It is safe to use from
    several threads.

    A request body is sent again when the server challenges it: bytes and
    files that can seek are; a body from an iterator cannot be, and raises
    `StreamConsumed` when the server asks for it twice.
    """

    def __init__(self, username: str | bytes, password: str | bytes) -> None:
        self._username = _as_bytes(username)
        self._password = _as_bytes(password)
        self._lock = threading.Lock()
        self._challenges: dict[tuple[str, str, int | None], _Challenge] = {}

    def auth_flow(self, request: Request) -> AuthFlow:
        url = request.url
        origin = (url.scheme, url.host, url.port)
        with self._lock:
            challenge = self._challenges.get(origin)
        sent = challenge is not None
        if challenge is not None:
            request.headers["Authorization"] = self._authorization(request, challenge)
        answered = False
        stale_retries = 0
        while True:
            response = yield request
            if response.status_code != 401:
                if challenge is not None:
                    self._next_nonce(challenge, response)
                return
            new = select_challenge(response)
            if new is None:
                return
            if sent and new.stale and stale_retries < MAX_STALE_RETRIES:
                stale_retries += 1  # the nonce expired: not a failure
            elif answered:
                with self._lock:
                    if self._challenges.get(origin) is challenge:
                        del self._challenges[origin]
                return
            else:
                answered = True
            with self._lock:
                if challenge is not None and new.nonce == challenge.nonce:
                    new.nc = challenge.nc  # the same nonce: keep counting
                self._challenges[origin] = new
            challenge = new
            request.headers["Authorization"] = self._authorization(request, challenge)
            sent = True

    def _next_nonce(self, challenge: _Challenge, response: BaseResponse) -> None:
        """Take the `nextnonce` of `Authentication-Info` (RFC 7616 3.5)."""
        info = response.headers.get("authentication-info")
        if not info:
            return
        for _scheme, params in parse_challenges(["Digest " + info]):
            nextnonce = params.get("nextnonce")
            if nextnonce and nextnonce != challenge.nonce:
                with self._lock:
                    challenge.nonce = nextnonce
                    challenge.nc = 0

    def _authorization(self, request: Request, challenge: _Challenge) -> str:
        import hashlib

        hash_function = getattr(hashlib, _ALGORITHMS[challenge.algorithm])

        def digest(*parts: bytes) -> str:
            return str(hash_function(b":".join(parts)).hexdigest())

        with self._lock:
            challenge.nc += 1
            nc = f"{challenge.nc:08x}"
            nonce = challenge.nonce
        realm = challenge.realm.encode("utf-8")
        cnonce = _cnonce()
        target = request.extensions.get("target") or request.url.raw_path
        uri = target.decode("ascii") if isinstance(target, bytes) else str(target)

        ha1 = digest(self._username, realm, self._password)
        if challenge.algorithm.endswith("-SESS"):
            ha1 = digest(ha1.encode(), nonce.encode(), cnonce.encode())
        ha2 = digest(request.method.encode(), uri.encode())
        if challenge.qop is None:
            response = digest(ha1.encode(), nonce.encode(), ha2.encode())
        else:
            response = digest(
                ha1.encode(),
                nonce.encode(),
                nc.encode(),
                cnonce.encode(),
                challenge.qop.encode(),
                ha2.encode(),
            )

        username = self._username.decode("utf-8", "replace")
        if challenge.userhash:
            field = f"username={_quoted(digest(self._username, realm))}"
        elif username.isascii() and username.isprintable():
            field = f"username={_quoted(username)}"
        else:
            # RFC 7616 3.4.4: a name that is not plain ASCII, encoded.
            field = f"username*=UTF-8''{quote(self._username, safe='')}"
        fields = [
            field,
            f"realm={_quoted(challenge.realm)}",
            f"nonce={_quoted(nonce)}",
            f"uri={_quoted(uri)}",
        ]
        if challenge.name:
            fields.append(f"algorithm={challenge.name}")
        fields.append(f'response="{response}"')
        if challenge.opaque is not None:
            fields.append(f"opaque={_quoted(challenge.opaque)}")
        if challenge.qop is not None:
            fields += [f"qop={challenge.qop}", f"nc={nc}", f'cnonce="{cnonce}"']
        if challenge.userhash:
            fields.append("userhash=true")
        return "Digest " + ", ".join(fields)

    def __repr__(self) -> str:
        return "DigestAuth([secure])"
