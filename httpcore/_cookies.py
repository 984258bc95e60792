"""
`Cookies`: a mutable mapping over a standard `http.cookiejar.CookieJar`.

The jar does the cookie rules (domains, paths, expiry, secure); it speaks
`urllib.request` objects, so `extract_cookies` and `set_cookie_header` show
it small adapters of our requests and responses.
"""

from __future__ import annotations

import email.message
import ipaddress
import re
import typing
import urllib.parse
import urllib.request
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy

from ._exceptions import CookieConflict

if typing.TYPE_CHECKING:  # pragma: no cover
    from ._models import BaseResponse, Request

__all__ = ["CookieTypes", "Cookies"]

CookieTypes = typing.Union[
    "Cookies",
    CookieJar,
    typing.Mapping[str, str],
    typing.Sequence[tuple[str, str]],
]


class Cookies(typing.MutableMapping[str, str]):
    """
    HTTP cookies, by name, over an `http.cookiejar.CookieJar` (`.jar`).

    ```python
    cookies = httpcore.Cookies({"session": "abc"})
    cookies.set("theme", "dark", domain="example.org")
    cookies["session"]                         # "abc"
    cookies.get("theme", domain="example.org")  # "dark"
    ```

    Built from a dict, a list of pairs, another `Cookies` (copied) or a
    `CookieJar` (used as it is, so a `FileCookieJar` can be saved later).
    Cookies set by name alone have no domain: they are sent to every host.
    When a name is set for several domains or paths, `get` and `[]` raise
    `CookieConflict`; pass `domain` / `path` to choose.
    """

    def __init__(self, cookies: CookieTypes | None = None) -> None:
        if isinstance(cookies, CookieJar):
            self.jar = cookies
            return
        self.jar = CookieJar(_policy())
        if cookies is None:
            return
        if isinstance(cookies, Cookies):
            for cookie in cookies.jar:
                self.jar.set_cookie(cookie)
            return
        pairs = cookies.items() if isinstance(cookies, typing.Mapping) else cookies
        for name, value in pairs:
            self.set(name, value)

    # --- the jar's rules, on our requests and responses -------------------

    def extract_cookies(self, response: BaseResponse) -> None:
        """Store the cookies that `response`'s `Set-Cookie` headers set."""
        if "set-cookie" not in response.headers:
            return  # most responses: skip building the jar's urllib objects
        request = _UrllibRequest(response.request)
        self.jar.extract_cookies(_UrllibResponse(response), request)  # type: ignore[arg-type]

    def set_cookie_header(self, request: Request) -> None:
        """
        Set `request`'s `Cookie` header from the cookies that match its URL,
        unless it has a `Cookie` header already.
        """
        if not len(self.jar):
            return  # an empty jar adds nothing: skip its urllib objects
        urllib_request = _UrllibRequest(request)
        self.jar.add_cookie_header(urllib_request)
        value = urllib_request.unredirected_hdrs.get("Cookie")
        if value:
            request.headers["Cookie"] = value

    # --- by name ------------------------------------------------------------

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        """
        Set a cookie; with no `domain`, it is sent to every host. The name
        must be a token, and the value free of `;` and control characters
        (RFC 6265 4.1.1): either would let it forge other cookies, or split
        the request. A bad one raises `ValueError`.
        """
        _check_cookie(name, value)
        cookie = Cookie(
            version=0,
            name=name,
            value=value,
            port=None,
            port_specified=False,
            domain=domain,
            # "Specified" even when empty, so the host-only rule (see
            # `_policy`) does not hide a cookie meant for every host.
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
        self.jar.set_cookie(cookie)

    def get(  # type: ignore[override]
        self,
        name: str,
        default: str | None = None,
        domain: str | None = None,
        path: str | None = None,
    ) -> str | None:
        """
        The value of cookie `name` (in `domain` and `path` when given), or
        `default`. Raises `CookieConflict` when several cookies match.
        """
        found = self._matching(name, domain, path)
        if len(found) > 1:
            where = ", ".join(f"{c.domain or '*'}{c.path}" for c in found)
            raise CookieConflict(
                f"Several cookies are named {name!r} ({where}): pass domain= "
                "and path= to choose one."
            )
        if not found:
            return default
        return found[0].value

    def delete(
        self, name: str, domain: str | None = None, path: str | None = None
    ) -> None:
        """Remove every cookie `name` (in `domain` and `path` when given)."""
        for cookie in self._matching(name, domain, path):
            self.jar.clear(cookie.domain, cookie.path, cookie.name)

    def clear(self, domain: str | None = None, path: str | None = None) -> None:
        """Remove every cookie, or those in `domain` and / or `path`."""
        if domain is None and path is None:
            self.jar.clear()
            return
        for cookie in self._matching(None, domain, path):
            self.jar.clear(cookie.domain, cookie.path, cookie.name)

    def update(self, cookies: CookieTypes | None = None) -> None:  # type: ignore[override]
        """Add the cookies of `cookies`, keeping their domains and paths."""
        for cookie in Cookies(cookies).jar:
            self.jar.set_cookie(cookie)

    def _matching(
        self, name: str | None, domain: str | None, path: str | None
    ) -> list[Cookie]:
        return [
            cookie
            for cookie in self.jar
            if (name is None or cookie.name == name)
            and (domain is None or cookie.domain == domain)
            and (path is None or cookie.path == path)
        ]

    # --- the mapping interface --------------------------------------------

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        if not self._matching(name, None, None):
            raise KeyError(name)
        self.delete(name)

    def __iter__(self) -> typing.Iterator[str]:
        return (cookie.name for cookie in self.jar)

    def __len__(self) -> int:
        return len(self.jar)

    def __bool__(self) -> bool:
        return any(True for _ in self.jar)

    def __repr__(self) -> str:
        cookies = ", ".join(
            f"<Cookie {c.name}={c.value} for {c.domain or '*'}{c.path}>"
            for c in self.jar
        )
        return f"<Cookies[{cookies}]>"


_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_COOKIE_VALUE = re.compile(r"[\x00-\x1f\x7f;]")
_BAD_SET_COOKIE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _check_cookie(name: str, value: str) -> None:
    if not isinstance(name, str) or not _COOKIE_NAME.fullmatch(name):
        raise ValueError(
            f"Invalid cookie name {name!r}: a cookie name is a token (letters, "
            "digits and !#$%&'*+-.^_`|~), with no '=', ';', spaces or controls."
        )
    if not isinstance(value, str) or _BAD_COOKIE_VALUE.search(value):
        raise ValueError(
            f"Invalid value for cookie {name!r}: {value!r} holds ';' or a "
            "control character (CR, LF, NUL...), which could forge other "
            "cookies or split the request."
        )


def _policy() -> DefaultCookiePolicy:
    # A cookie set without a Domain attribute goes back to its host only, not
    # to its subdomains (RFC 6265 5.3 step 6); the standard policy is laxer.
    return _CookiePolicy(strict_ns_domain=DefaultCookiePolicy.DomainStrictNonDomain)


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
