"""
What the client decides for one send and for each hop of it, with no I/O of
its own but `discard`: the send's resolved options (`SendOptions`), the auth
each hop of a redirect chain gets (`hop_auth`), credentials taken out of a
URL, and how an intermediate response (a redirect, an answered 401) is put
away.
"""

from __future__ import annotations

import ssl

from ._auth import Auth, BasicAuth, netrc_auth
from ._config import Timeout
from ._models import AsyncResponse, Request
from ._redirects import same_origin
from ._urls import URL

__all__ = [
    "DISCARD_LIMIT",
    "SendOptions",
    "discard",
    "hop_auth",
    "take_url_credentials",
]


class SendOptions:
    """How one send goes: its arguments, resolved against the client's."""

    __slots__ = (
        "allow_redirects",
        "auth",
        "downgraded",
        "last_url",
        "netrc",
        "ssl_context",
        "stream",
        "timeout",
        "url",
        "url_auth",
    )

    def __init__(
        self,
        *,
        stream: bool,
        allow_redirects: bool,
        auth: Auth | None,
        url_auth: Auth | None,
        netrc: bool,
        url: URL,
        ssl_context: ssl.SSLContext | None,
        timeout: Timeout,
    ) -> None:
        self.stream = stream
        self.allow_redirects = allow_redirects
        # The auth given (the request's, else the client's), and the one from
        # the URL's `user:pass@`: both for the origin of `url`, the request
        # that was sent, only (see `hop_auth`).
        self.auth = auth
        self.url_auth = url_auth
        self.netrc = netrc  # whether `.netrc` may supply credentials
        self.url = url
        self.ssl_context = ssl_context
        self.timeout = timeout
        # The URL of the hop sent last, and whether the chain went from
        # https to http: from then on, no credentials at all.
        self.last_url = url
        self.downgraded = False


def hop_auth(request: Request, options: SendOptions) -> Auth | None:
    """
    The auth of one hop of a redirect chain (the first hop included):

    - none at all once the chain went from https to http;
    - on the origin of the request sent: the auth given, else the
      credentials of this hop's URL, else those of the first URL;
    - on another origin: the auth given only if it picks credentials by
      host (`NetRCAuth`), else the credentials of this hop's URL;
    - else, with `trust_env`, the `.netrc` entry of this hop's host.
    """
    url_auth = take_url_credentials(request)
    url = request.url
    if options.last_url.scheme == "https" and url.scheme == "http":
        options.downgraded = True
    options.last_url = url
    if options.downgraded:
        return None
    given = options.auth
    if same_origin(url, options.url):
        found = given or url_auth or options.url_auth
    elif given is not None and not given.origin_bound:
        found = given
    else:
        found = url_auth
    if found is None and options.netrc:
        found = netrc_auth(url.host)
    return found


# An intermediate response (a redirect hop, a 401 answered by auth) is read
# no further than this, raw, so that its connection can be used again; a
# longer body closes it instead. It is never decoded.
DISCARD_LIMIT = 64 * 1024


async def discard(response: AsyncResponse) -> None:
    """Finish with an intermediate response: drain a short body raw, close."""
    try:
        if not (response.is_closed or response.is_stream_consumed):
            drained = 0
            async for chunk in response.raw():
                drained += len(chunk)
                if drained > DISCARD_LIMIT:
                    break
    finally:
        await response.aclose()


def take_url_credentials(request: Request) -> Auth | None:
    """
    Basic auth from the `user:pass@` of `request`'s URL, which loses them:
    credentials go in the `Authorization` header only, never in the URL
    (`response.url` included).
    """
    url = request.url
    if not url.userinfo:
        return None
    request.url = url.copy_with(userinfo="")
    return BasicAuth(url.username, url.password)
