"""
The redirect policy, as a generator flow.

`redirect_flow(request, max_redirects)` yields the request to send and
receives its response; while the response is a redirect to follow, it yields
the next request, built by `build_redirect_request`. The client drives the
flow and does the I/O (discarding each intermediate response, and adding
auth for each hop), so the policy itself is pure and a test can drive it
with `next()` / `send()`.

The rules:

- 301 / 302 turn POST into GET, 303 turns anything but HEAD into GET; the
  body goes, with its Content-Type, Content-Length and Transfer-Encoding.
  307 / 308 keep the method and the body, which must be replayable.
- `Location` resolves against the request URL (RFC 3986), and keeps the
  request's fragment when it has none (RFC 9110 10.2.2). A redirect with no
  `Location`, an invalid one, or one that is not http(s) raises
  `RemoteProtocolError`: the server sent something that cannot be followed.
- On a change of origin (scheme, host or port), every `Authorization`,
  `Proxy-Authorization` and `Cookie` header goes, whatever its case and
  however many there are. `Cookie` goes on every hop in fact: the jar sets
  it again for the new URL. The client derives auth afresh for the new
  origin.
"""

from __future__ import annotations

import typing

from ._content import ByteStream, is_replayable, not_replayable
from ._cookies import Cookies
from ._exceptions import (
    InvalidURL,
    RemoteProtocolError,
    TooManyRedirects,
)
from ._headers import Headers
from ._models import BaseResponse, Request
from ._urls import URL

__all__ = [
    "RedirectFlow",
    "build_redirect_request",
    "is_followable",
    "redirect_flow",
    "same_origin",
]

RedirectFlow = typing.Generator[Request, BaseResponse, None]

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

# Headers that describe a body: dropped with the body when the method
# becomes GET.
_BODY_HEADERS = (b"content-length", b"content-type", b"transfer-encoding")
# Credentials that must not reach another origin.
_ORIGIN_HEADERS = (b"authorization", b"proxy-authorization", b"cookie")
_FOLLOWED_SCHEMES = ("http", "https")
# Request extensions that only make sense for the original URL.
_URL_EXTENSIONS = ("target",)
_ORIGIN_EXTENSIONS = ("sni_hostname",)


def is_followable(response: BaseResponse) -> bool:
    """A 301, 302, 303, 307 or 308 response with a `Location`."""
    return response.status_code in REDIRECT_CODES and "location" in response.headers


def redirect_flow(
    request: Request, max_redirects: int, cookies: Cookies | None = None
) -> RedirectFlow:
    """
    Yield `request`, then, for each redirect response sent back, the request
    that follows it, with the `Cookie` header that `cookies` (the client's
    jar) holds for its URL. Raises `TooManyRedirects` on the redirect past
    `max_redirects`, `RemoteProtocolError` for a redirect that has no valid
    http(s) `Location`; returns when a response is not a redirect.
    """
    hops = 0
    while True:
        response = yield request
        if response.status_code not in REDIRECT_CODES:
            return
        if hops >= max_redirects:
            raise TooManyRedirects(
                f"Exceeded the maximum of {max_redirects} redirects "
                f"(last: {str(request.url)!r}).",
                request=request,
            )
        hops += 1
        request = build_redirect_request(request, response)
        if cookies is not None:
            cookies.set_cookie_header(request)


def same_origin(url: URL, other: URL) -> bool:
    """Whether two URLs share scheme, host and port (default ports filled in)."""
    if url is other:  # the first hop of a send: its own URL
        return True
    return (url.scheme, url.host, url.port) == (other.scheme, other.host, other.port)


def redirect_method(method: str, status_code: int) -> str:
    """The method of the request that follows a redirect (RFC 9110 15.4)."""
    if status_code == 303 and method != "HEAD":
        return "GET"
    # Browsers turn a POST into a GET on 301 and 302, and servers rely on it.
    if status_code in (301, 302) and method == "POST":
        return "GET"
    return method


def redirect_url(request: Request, response: BaseResponse) -> URL:
    """
    The `Location` of `response`, resolved against the request's URL;
    `RemoteProtocolError` when it is missing, invalid or not http(s).
    """
    status = int(response.status_code)
    locations = response.headers.get_list("location")
    if not locations or not locations[0].strip():
        raise RemoteProtocolError(
            f"The server answered {status} (a redirect) with no Location header: "
            "there is nowhere to go. Send the request with allow_redirects=False "
            "to get the response itself.",
            request=request,
        )
    location = locations[0].strip()
    try:
        url = request.url.resolve_with(URL(location, allow_relative=True))
    except InvalidURL as exc:
        raise RemoteProtocolError(
            f"Invalid URL in the Location header of a {status} redirect: "
            f"{location!r} ({exc})",
            request=request,
        ) from exc
    if url.scheme not in _FOLLOWED_SCHEMES:
        raise RemoteProtocolError(
            f"The Location of a {status} redirect is not an http or https URL: "
            f"{location!r}. Send the request with allow_redirects=False to "
            "handle it yourself.",
            request=request,
        )
    if "#" not in location and request.url.fragment:
        # A Location without a fragment inherits the request's (RFC 9110 10.2.2).
        url = url.copy_with(fragment=request.url.fragment)
    return url


def build_redirect_request(request: Request, response: BaseResponse) -> Request:
    """
    The request that follows the redirect `response` to `request`.

    - 303 (except for HEAD), and 301 / 302 for POST, become GET and lose the
      body and its headers; 307 and 308 keep the method and body.
    - `Authorization` and `Proxy-Authorization` are dropped when the origin
      changes; `Cookie` and `Host` always are (the client sets cookies again
      from its jar for the new URL, and `Host` follows the URL).
    """
    method = redirect_method(request.method, response.status_code)
    url = redirect_url(request, response)
    same = same_origin(url, request.url)
    dropped = {b"host", b"cookie"}
    if not same:
        dropped.update(_ORIGIN_HEADERS)
    stream = request.stream
    if method != request.method and method == "GET":
        dropped.update(_BODY_HEADERS)
        stream = ByteStream(b"")
    elif not is_replayable(stream):
        raise not_replayable(
            f"A {int(response.status_code)} redirect asks to send the request "
            "again with its body"
        )
    headers = Headers(
        [
            (name, value)
            for name, value in request.headers.raw
            if name.lower() not in dropped
        ]
    )
    gone = _URL_EXTENSIONS if same else _URL_EXTENSIONS + _ORIGIN_EXTENSIONS
    extensions = {k: v for k, v in request.extensions.items() if k not in gone}
    return Request(method, url, headers=headers, stream=stream, extensions=extensions)
