"""
Authentication, as generator flows.

An auth scheme is a generator: it yields the request to send, receives the
response, and may yield another request (a retry that answers a challenge).
Both clients run the same generator, so a scheme is written once, and a test
can drive it with `next()` and `send()` without any network.
"""

from __future__ import annotations

import base64
import typing

from ._models import BaseResponse, Request

__all__ = ["Auth", "AuthFlow", "AuthTypes", "BasicAuth", "FunctionAuth", "build_auth"]

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
    """

    requires_request_body = False
    requires_response_body = False

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
