"""
The standard library's cookie rules, behind `Cookies`: the jar, its policy,
and the small adapters that show it our requests and responses as the
`urllib.request` objects it speaks.

A module of its own so that `http.cookiejar` (and `urllib.request`,
`http.client` and `email`, which it imports) load only when a client first
holds a cookie, or meets a `Set-Cookie`: most programs never do, and they
cost a cold start some 10 ms.
"""

from __future__ import annotations

import email.message
import ipaddress
import re
import typing
import urllib.parse
import urllib.request
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy

if typing.TYPE_CHECKING:  # pragma: no cover
    from ._models import BaseResponse, Request

__all__ = ["add_cookie_header", "extract_cookies", "make_cookie", "new_jar"]

_BAD_SET_COOKIE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def new_jar() -> CookieJar:
    # A cookie set without a Domain attribute goes back to its host only, not
    # to its subdomains (RFC 6265 5.3 step 6); the standard policy is laxer.
    return CookieJar(
        _CookiePolicy(strict_ns_domain=DefaultCookiePolicy.DomainStrictNonDomain)
    )


def make_cookie(name: str, value: str, domain: str, path: str) -> Cookie:
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=domain,
        # "Specified" even when empty, so the host-only rule (see `new_jar`)
        # does not hide a cookie meant for every host.
        domain_specified=True,
        domain_initial_dot=domain.startswith("."),
        path=path,
        path_specified=bool(path),
        secure=False,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={},
        rfc2109=False,
    )


def extract_cookies(jar: CookieJar, response: BaseResponse) -> None:
    """Store in `jar` the cookies that `response`'s `Set-Cookie` headers set."""
    request = _UrllibRequest(response.request)
    jar.extract_cookies(_UrllibResponse(response), request)  # type: ignore[arg-type]


def add_cookie_header(jar: CookieJar, request: Request) -> None:
    """Set `request`'s `Cookie` header from the cookies of `jar` for its URL."""
    urllib_request = _UrllibRequest(request)
    jar.add_cookie_header(urllib_request)
    value = urllib_request.unredirected_hdrs.get("Cookie")
    if value:
        request.headers["Cookie"] = value


def _ip_host(request: urllib.request.Request) -> str | None:
    host = urllib.parse.urlsplit(request.get_full_url()).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return host


class _CookiePolicy(DefaultCookiePolicy):
    """
    The standard policy, but an IP address domain-matches only itself (RFC
    6265 5.1.3): the standard one matches by string suffix, so 127.0.0.1
    could set `Domain=0.0.1` and have it sent to 10.0.0.1.
    """

    def set_ok_domain(self, cookie: Cookie, request: typing.Any) -> bool:
        host = _ip_host(request)
        if host is not None and cookie.domain and cookie.domain.lstrip(".") != host:
            return False
        return bool(super().set_ok_domain(cookie, request))

    def return_ok_domain(self, cookie: Cookie, request: typing.Any) -> bool:
        host = _ip_host(request)
        if host is not None and cookie.domain and cookie.domain.lstrip(".") != host:
            return False
        return bool(super().return_ok_domain(cookie, request))


class _UrllibRequest(urllib.request.Request):
    """What the cookie jar needs to know of a request: its URL and Cookie."""

    def __init__(self, request: Request) -> None:
        cookie = "; ".join(request.headers.get_list("cookie"))
        headers = {"Cookie": cookie} if cookie else {}
        url = request.url
        if url.userinfo:
            # urllib would take `user:pass@host` for the host.
            url = url.copy_with(userinfo="")
        super().__init__(str(url), headers=headers, method=request.method)


class _UrllibResponse:
    """What the cookie jar needs to know of a response: its Set-Cookie headers."""

    def __init__(self, response: BaseResponse) -> None:
        self._message = email.message.Message()
        for value in response.headers.get_list("set-cookie"):
            # A control character (but tab) voids the whole Set-Cookie (RFC
            # 6265bis 5.6): stored, it would make every later request to
            # the site fail the header checks.
            if not _BAD_SET_COOKIE.search(value):
                self._message["Set-Cookie"] = value

    def info(self) -> email.message.Message:
        return self._message
