"""
`Cookies`: a mutable mapping over a standard `http.cookiejar.CookieJar`.

The jar does the cookie rules (domains, paths, expiry, secure); it speaks
`urllib.request` objects, so `extract_cookies` and `set_cookie_header` show
it small adapters of our requests and responses (`_cookie_jar.py`). The jar
is made on first use: a client that never meets a cookie never imports
`http.cookiejar`, and sends and receives with no cookie work at all.
"""

from __future__ import annotations

import re
import sys
import threading
import typing

from ._exceptions import CookieConflict

if typing.TYPE_CHECKING:  # pragma: no cover
    from http.cookiejar import Cookie, CookieJar

    from ._models import BaseResponse, Request

__all__ = ["CookieTypes", "Cookies"]

CookieTypes = typing.Union[
    "Cookies",
    "CookieJar",
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
        self._jar: CookieJar | None = None
        if _is_cookie_jar(cookies):
            self._jar = typing.cast("CookieJar", cookies)
            return
        if cookies is None:
            return
        if isinstance(cookies, Cookies):
            for cookie in cookies._cookies():
                self.jar.set_cookie(cookie)
            return
        pairs = cookies.items() if isinstance(cookies, typing.Mapping) else cookies
        # (Not a `CookieJar`, which `_is_cookie_jar` caught: pairs.)
        for name, value in typing.cast("typing.Iterable[tuple[str, str]]", pairs):
            self.set(name, value)

    @property
    def jar(self) -> CookieJar:
        """The `http.cookiejar.CookieJar` that holds the cookies."""
        jar = self._jar
        if jar is None:
            # Locked: two threads of one client meeting their first cookies
            # at once must not each make a jar, and lose one.
            with _new_jar_lock:
                if self._jar is None:
                    from ._cookie_jar import new_jar

                    self._jar = new_jar()
                jar = self._jar
        return jar

    @jar.setter
    def jar(self, jar: CookieJar) -> None:
        self._jar = jar

    def _cookies(self) -> typing.Iterable[Cookie]:
        """The cookies held, without making a jar for none."""
        return () if self._jar is None else self._jar

    # --- the jar's rules, on our requests and responses -------------------

    def extract_cookies(self, response: BaseResponse) -> None:
        """Store the cookies that `response`'s `Set-Cookie` headers set."""
        if response.headers.get_raw(b"set-cookie") is None:
            return  # most responses: skip building the jar's urllib objects
        from ._cookie_jar import extract_cookies

        extract_cookies(self.jar, response)

    def set_cookie_header(self, request: Request) -> None:
        """
        Set `request`'s `Cookie` header from the cookies that match its URL,
        unless it has a `Cookie` header already.
        """
        if self._jar is None or not len(self._jar):
            return  # an empty jar adds nothing: skip its urllib objects
        from ._cookie_jar import add_cookie_header

        add_cookie_header(self._jar, request)

    # --- by name ------------------------------------------------------------

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        """
        Set a cookie; with no `domain`, it is sent to every host. The name
        must be a token, and the value free of `;` and control characters
        (RFC 6265 4.1.1): either would let it forge other cookies, or split
        the request. A bad one raises `ValueError`.
        """
        _check_cookie(name, value)
        from ._cookie_jar import make_cookie

        self.jar.set_cookie(make_cookie(name, value, domain, path))

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
            if self._jar is not None:
                self._jar.clear()
            return
        for cookie in self._matching(None, domain, path):
            self.jar.clear(cookie.domain, cookie.path, cookie.name)

    def update(self, cookies: CookieTypes | None = None) -> None:  # type: ignore[override]
        """Add the cookies of `cookies`, keeping their domains and paths."""
        for cookie in Cookies(cookies)._cookies():
            self.jar.set_cookie(cookie)

    def _matching(
        self, name: str | None, domain: str | None, path: str | None
    ) -> list[Cookie]:
        return [
            cookie
            for cookie in self._cookies()
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
        return (cookie.name for cookie in self._cookies())

    def __len__(self) -> int:
        return 0 if self._jar is None else len(self._jar)

    def __bool__(self) -> bool:
        return any(True for _ in self._cookies())

    def __repr__(self) -> str:
        cookies = ", ".join(
            f"<Cookie {c.name}={c.value} for {c.domain or '*'}{c.path}>"
            for c in self._cookies()
        )
        return f"<Cookies[{cookies}]>"


_new_jar_lock = threading.Lock()
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_COOKIE_VALUE = re.compile(r"[\x00-\x1f\x7f;]")


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


def _is_cookie_jar(cookies: object) -> bool:
    # Without `http.cookiejar` loaded, nothing can be a `CookieJar`.
    module = sys.modules.get("http.cookiejar")
    return module is not None and isinstance(cookies, module.CookieJar)
