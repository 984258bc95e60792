"""
Authentication, as generator flows.

An auth scheme is a generator: it yields the request to send, receives the
response, and may yield another request (a retry that answers a challenge).
Both clients run the same generator, so a scheme is written once, and a test
can drive it with `next()` and `send()` without any network.

Digest lives in `_digest.py`. Which auth a request gets (explicit, from the
URL, from `.netrc`), hop by hop along redirects, is the client's decision.
"""

from __future__ import annotations

import base64
import os
import threading
import typing

from ._models import BaseResponse, Request

if typing.TYPE_CHECKING:  # pragma: no cover
    import netrc

__all__ = [
    "Auth",
    "AuthFlow",
    "AuthTypes",
    "BasicAuth",
    "FunctionAuth",
    "NetRCAuth",
    "build_auth",
    "netrc_auth",
]

AuthFlow = typing.Generator[Request, BaseResponse, None]


class Auth:
    """
    The base class of authentication schemes.

    Subclasses override `auth_flow(request)`, a generator that yields the
    requests to send and receives each one's response:

    ```python
    class TokenAuth(httpcore.Auth):
        def __init__(self, token):
            self.token = token

        def auth_flow(self, request):
            request.headers["Authorization"] = f"Bearer {self.token}"
            response = yield request
            if response.status_code == 401:
                ...  # refresh the token, then yield the request again
    ```

    The flow serves `Client` and `AsyncClient` alike, so it must do no I/O
    on the response it receives: read its status and headers. Set
    `requires_response_body = True` to get responses whose body is already
    read (`.content`, `.text` and `.json()` then work), and
    `requires_request_body = True` to have a streaming request body read into
    memory first, so that it can be sent again.

    A client uses an auth only on the origin of the request it was given
    for: a redirect to another origin gets none. A scheme that picks its
    credentials by each request's own host (`NetRCAuth`) sets
    `origin_bound = False` to be used on every hop of a redirect chain
    (but never after a hop from https to http).
    """

    requires_request_body = False
    requires_response_body = False
    origin_bound = True

    def auth_flow(self, request: Request) -> AuthFlow:
        """Yield `request` (changed as needed) and any retries; see the class."""
        yield request


class BasicAuth(Auth):
    """
    HTTP Basic authentication (RFC 7617); `auth=("user", "pass")` builds one.

    Text credentials are encoded as UTF-8; pass bytes to choose another
    encoding.
    """

    def __init__(self, username: str | bytes, password: str | bytes) -> None:
        self._header = basic_auth_header(username, password)

    def auth_flow(self, request: Request) -> AuthFlow:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BasicAuth([secure])"


class FunctionAuth(Auth):
    """Wraps a callable `(Request) -> Request` given as `auth=`."""

    def __init__(self, func: typing.Callable[[Request], Request]) -> None:
        self._func = func

    def auth_flow(self, request: Request) -> AuthFlow:
        yield self._func(request)


class NetRCAuth(Auth):
    """
    Credentials from a `.netrc` file, by each request's host, sent as Basic
    auth: the `machine` entry for the host, else the `default` entry, else
    none.

    ```python
    client = httpcore.Client(auth=httpcore.NetRCAuth())
    ```

    `file` defaults to the `NETRC` environment variable, else `~/.netrc`. The
    file is read once, here: a missing or malformed file raises
    (`FileNotFoundError`, `netrc.NetrcParseError`). A client with
    `trust_env=True` (the default) uses `.netrc` by itself for requests that
    have no other auth; this class is for clients that do not trust the
    environment, or for another file.
    """

    origin_bound = False

    def __init__(self, file: str | os.PathLike[str] | None = None) -> None:
        import netrc

        path = os.fspath(file) if file is not None else netrc_path()
        self._netrc = netrc.netrc(path)

    def auth_flow(self, request: Request) -> AuthFlow:
        credentials = _netrc_credentials(self._netrc, request.url.host)
        if credentials is not None:
            request.headers["Authorization"] = basic_auth_header(*credentials)
        yield request

    def __repr__(self) -> str:
        return "NetRCAuth([secure])"


def netrc_path() -> str:
    """`NETRC` when set, else `~/.netrc` (`~/_netrc` on Windows if it exists)."""
    key = _netrc_environ()
    path = _netrc_paths.get(key)
    if path is None:
        if len(_netrc_paths) > 32:  # the environment keeps changing: stay small
            _netrc_paths.clear()
        path = _netrc_paths[key] = _find_netrc(os.environ.get("NETRC"))
    return path


# `netrc_path()` by (NETRC, HOME): looked up for every request under
# `trust_env`, and `expanduser` is no quick call.
_netrc_paths: dict[tuple[object, object], str] = {}


def _netrc_environ() -> tuple[object, object]:
    """
    (NETRC, HOME) as they are now, as a cache key. `os.environ.get` costs
    a few Python calls, and an exception for an unset name, on every
    request: on POSIX, read the bytes dict behind `os.environ` (the same
    values, not yet decoded) when it is there.
    """
    environ = os.environ
    data = getattr(environ, "_data", None)
    if _BYTES_ENVIRON and type(data) is dict:
        return data.get(b"NETRC"), data.get(b"HOME")
    return environ.get("NETRC"), environ.get("HOME")


# POSIX keeps `os.environ` as bytes (`os.environb` shares it).
_BYTES_ENVIRON = os.name == "posix" and os.supports_bytes_environ


def _find_netrc(path: str | None) -> str:
    if path:
        return os.path.expanduser(path)
    home = os.path.expanduser("~")
    if os.name == "nt":  # pragma: no cover - Windows
        windows = os.path.join(home, "_netrc")
        if os.path.exists(windows):
            return windows
    return os.path.join(home, ".netrc")


def _netrc_credentials(parsed: netrc.netrc, host: str) -> tuple[str, str] | None:
    entry = parsed.authenticators(host)
    if entry is None:
        return None
    login, _account, password = entry
    if not login and not password:
        return None
    return login or "", password or ""


_netrc_lock = threading.Lock()
# The last `.netrc` read for `netrc_auth`: (path, mtime_ns, size) -> parsed.
_netrc_cache: dict[tuple[str, int, int], netrc.netrc | None] = {}


def netrc_auth(host: str) -> BasicAuth | None:
    """
    Basic auth for `host` from the environment's `.netrc` (see `netrc_path`),
    or None: no file, no entry, or a file that does not parse (the
    environment is trusted, not required). The file is read again when it
    changes.
    """
    path = netrc_path()
    # Most have no `.netrc`: `access` tells so with no exception to raise.
    if not os.access(path, os.F_OK):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    key = (path, info.st_mtime_ns, info.st_size)
    with _netrc_lock:
        if key not in _netrc_cache:
            import netrc

            try:
                parsed: netrc.netrc | None = netrc.netrc(path)
            except (OSError, netrc.NetrcParseError, UnicodeDecodeError):
                parsed = None
            _netrc_cache.clear()
            _netrc_cache[key] = parsed
        parsed = _netrc_cache[key]
    credentials = None if parsed is None else _netrc_credentials(parsed, host)
    return None if credentials is None else BasicAuth(*credentials)


AuthTypes = typing.Union[
    tuple[typing.Union[str, bytes], typing.Union[str, bytes]],
    Auth,
    typing.Callable[[Request], Request],
]


def basic_auth_header(username: str | bytes, password: str | bytes) -> str:
    """The value of an `Authorization: Basic ...` header."""
    user = username.encode("utf-8") if isinstance(username, str) else username
    passwd = password.encode("utf-8") if isinstance(password, str) else password
    token = base64.b64encode(user + b":" + passwd).decode("ascii")
    return f"Basic {token}"


def build_auth(auth: AuthTypes | None) -> Auth | None:
    """The `Auth` for an `auth=` argument: a pair, an `Auth`, or a callable."""
    if auth is None or isinstance(auth, Auth):
        return auth
    if isinstance(auth, tuple):
        if len(auth) != 2:
            raise TypeError(
                f"auth=(username, password) takes two values, got {len(auth)}."
            )
        return BasicAuth(auth[0], auth[1])
    if callable(auth):
        return FunctionAuth(auth)
    raise TypeError(
        f"Invalid auth={auth!r}: pass a (username, password) tuple, an "
        "httpcore.Auth instance, or a callable that takes and returns a Request."
    )
