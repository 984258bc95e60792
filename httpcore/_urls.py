"""
`URL`, `Origin` and `QueryParams`: immutable, validated URL values.

How this works
--------------
Parsing follows the split of RFC 3986 appendix B, done with `str.find` and
`str.partition` rather than a regular expression, so each step is a linear
scan and no input can make it backtrack:

    scheme ":" "//" authority path "?" query "#" fragment

The authority is split at its *last* "@" (as browsers and urllib do) and the
"@"s before it are percent-encoded into the userinfo, so `http://a@b@c/`
connects to `c` and prints as `http://a%40b@c/`. A "\\" in the authority is
refused: browsers read it as "/", and two parsers must never disagree on a host.

The host is checked against an allow-list, not a deny-list: ASCII hosts may
hold only RFC 3986 `reg-name` characters (no "%", "/", "@", ":", space or
control characters); IPv6 literals must satisfy `ipaddress`; other hosts go
through IDNA 2008 (UTS 46), whose result is checked again, since UTS 46 maps
some characters to ASCII delimiters (U+2100 becomes "a/c"). A host whose last
label is a number is an IPv4 address in one of the forms `getaddrinfo` takes
(`127.1`, `0x7f.0.0.1`, `2130706433`) and is rewritten dotted-decimal, as
browsers do, so that the host a caller checks is the one connected to. CR, LF
and NUL are refused anywhere, never encoded away.

Every other component is percent-encoded with its own set of safe characters
(a "?" in a path, a "#" in a query), keeping valid `%XX` escapes. The result
holds only safe characters and escapes, so encoding is idempotent and
`URL(str(url)) == url`. `copy_with()` builds its result the same way, then
re-parses the string it produced and refuses any change of meaning.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import typing
from urllib.parse import quote, unquote

from ._exceptions import InvalidURL
from ._params import PrimitiveData, QueryParams, QueryParamTypes

if typing.TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Unpack

__all__ = ["URL", "Origin", "PrimitiveData", "QueryParamTypes", "QueryParams"]

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SSL_SCHEMES = frozenset({"https", "wss"})
_HOST_REQUIRED = frozenset(DEFAULT_PORTS)

_ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_UNRESERVED = _ALPHA + "0123456789-._~"
_SUB_DELIMS = "!$&'()*+,;="
_SCHEME_CHARS = frozenset(_ALPHA + "0123456789+-.")
_HOST_CHARS = frozenset(_UNRESERVED + _SUB_DELIMS)
_USERINFO_SAFE = frozenset(_UNRESERVED + _SUB_DELIMS + ":")
_PATH_SAFE = frozenset(_UNRESERVED + _SUB_DELIMS + ":@/")
_QUERY_SAFE = frozenset(_UNRESERVED + _SUB_DELIMS + ":@/?")
_HEX = frozenset("0123456789abcdefABCDEF")
_MAX_IDNA_HOST = 1024  # bounds the work handed to `idna`; DNS allows 253


class _Parts(typing.NamedTuple):
    """The components, encoded; None where "@", "?" or "#" is absent."""

    scheme: str
    userinfo: str | None
    host: str
    port: int | None
    path: str
    query: str | None
    fragment: str | None
    has_authority: bool


class _URLParts(typing.TypedDict, total=False):
    scheme: str
    authority: str
    userinfo: str
    username: str
    password: str
    host: str
    port: int | None
    path: str
    query: str
    fragment: str


def _find_first(text: str, delimiters: str, start: int = 0) -> int:
    """The index of the first of `delimiters` in `text`, else `len(text)`."""
    end = len(text)
    for delimiter in delimiters:
        found = text.find(delimiter, start, end)
        if found >= 0:
            end = found
    return end


def _check_forbidden(text: str, what: str) -> None:
    for char in ("\r", "\n", "\x00"):
        if char in text:
            raise InvalidURL(f"Invalid character {char!r} in {what}.")


def _encode(text: str, safe: frozenset[str]) -> str:
    """Percent-encode what `safe` does not allow, keeping valid `%XX` escapes."""
    if safe.issuperset(text):
        return text
    # A "%" that starts no valid escape is data: encode it, then let `quote`
    # (which works byte by byte, not in a Python loop per character) keep
    # every "%" left, and encode the rest as UTF-8.
    text = _LONE_PERCENT.sub("%25", text)
    try:
        return quote(text, safe=_quote_safe(safe))
    except UnicodeEncodeError:
        raise InvalidURL("Invalid character (a lone surrogate) in URL.") from None


_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@functools.lru_cache(maxsize=8)
def _quote_safe(safe: frozenset[str]) -> str:
    return "".join(sorted(safe)) + "%"


def _normalize_scheme(scheme: str) -> str:
    if not (scheme[:1].isascii() and scheme[:1].isalpha()) or not (
        _SCHEME_CHARS.issuperset(scheme)
    ):
        raise InvalidURL(f"Invalid URL scheme {scheme!r}.")
    return scheme.lower()


def _normalize_host(host: str) -> str:
    """Return the host in canonical form (no brackets), or raise `InvalidURL`."""
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidURL(f"Invalid IPv6 address {host!r}: no closing ']'.")
        literal = host[1:-1]
        if "%" in literal:
            raise InvalidURL(f"IPv6 zone identifiers are not supported: {host!r}.")
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            raise InvalidURL(f"Invalid IPv6 address {host!r}.") from None
        return literal.lower()
    if not _HOST_CHARS.issuperset(host):
        bad = [c for c in host if c.isascii() and c not in _HOST_CHARS]
        if bad:
            raise InvalidURL(f"Invalid character {bad[0]!r} in host {host!r}.")
    if host.isascii():
        host = host.lower()
        if "xn--" in host:
            _check_a_labels(host)
        return _normalize_ipv4(host)
    if len(host) > _MAX_IDNA_HOST:
        raise InvalidURL(f"Host is too long ({len(host)} characters).")
    import idna  # not at import: most hosts are ASCII

    try:
        encoded = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidURL(f"Invalid IDNA hostname {host!r}: {exc}") from None
    if not _HOST_CHARS.issuperset(encoded):  # pragma: no cover - idna forbids it
        raise InvalidURL(f"Host {host!r} maps to a different host ({encoded!r}).")
    return _normalize_ipv4(encoded)


def _check_a_labels(host: str) -> None:
    """An ASCII host's `xn--` labels must be valid punycode of a valid name:
    otherwise it names no host that could be looked up (`xn--a.com`)."""
    if len(host) > _MAX_IDNA_HOST:
        raise InvalidURL(f"Host is too long ({len(host)} characters).")
    import idna

    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError) as exc:
                raise InvalidURL(
                    f"Invalid IDNA label {label!r} in host {host!r}: {exc}"
                ) from None


_DIGITS = {16: _HEX, 10: frozenset("0123456789"), 8: frozenset("01234567")}
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_DECIMAL = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def _normalize_ipv4(host: str) -> str:
    """
    A host whose last label is a number is an IPv4 address, in any of the
    forms `inet_aton` (and so `getaddrinfo`) accepts: `127.1`, `2130706433`,
    `0x7f.0.0.1`, `0177.0.0.1`. Return it dotted-decimal, as the WHATWG URL
    standard does, so that the host a caller checks is the address connected
    to; a malformed one raises `InvalidURL`. Other hosts come back as given.
    """
    if _DOTTED_DECIMAL.fullmatch(host):
        return host  # already canonical: the common case, made quick
    labels = host.split(".")
    if len(labels) > 1 and not labels[-1]:
        labels.pop()  # a trailing dot
    last = labels[-1]
    if not (last.isdigit() or (last[:2] == "0x" and _HEX.issuperset(last[2:]))):
        return host
    if len(labels) > 4:
        raise InvalidURL(f"Invalid IPv4 address {host!r}: more than four parts.")
    numbers = [_ipv4_number(label, host) for label in labels]
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (
        5 - len(numbers)
    ):
        raise InvalidURL(f"Invalid IPv4 address {host!r}: a part is too large.")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return str(ipaddress.IPv4Address(value))


def _ipv4_number(label: str, host: str) -> int:
    base, digits = 10, label
    if label[:2] == "0x":
        base, digits = 16, label[2:]
    elif len(label) > 1 and label[0] == "0":
        base, digits = 8, label[1:]
    # 40 digits bound the work: any number that long is far above 2**32.
    if not label or len(digits) > 40 or not _DIGITS[base].issuperset(digits):
        raise InvalidURL(f"Invalid IPv4 address {host!r}: {label!r} is not a number.")
    return int(digits, base) if digits else 0


def _parse_port(port: str) -> int | None:
    if not port:
        return None
    if len(port) > 5 or not (port.isascii() and port.isdigit()):
        raise InvalidURL(f"Invalid port {port!r}: not a number from 0 to 65535.")
    return _check_port(int(port))


def _check_port(port: int | None) -> int | None:
    if port is not None and (
        not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535
    ):
        raise InvalidURL(f"Invalid port {port!r}: not a number from 0 to 65535.")
    return port


def _split_authority(authority: str) -> tuple[str | None, str, int | None]:
    """Split into (encoded userinfo or None, normalized host, port)."""
    if "\\" in authority:
        raise InvalidURL(f"Invalid character '\\\\' in authority {authority!r}.")
    userinfo: str | None
    userinfo, at, hostport = authority.rpartition("@")
    userinfo = _encode(userinfo, _USERINFO_SAFE) if at else None
    if hostport.startswith("["):
        end = hostport.find("]") + 1 or len(hostport)
        host, rest = hostport[:end], hostport[end:]
        if rest and not rest.startswith(":"):
            raise InvalidURL(f"Invalid authority {authority!r}: junk after ']'.")
        port = rest[1:]
    else:
        host, _, port = hostport.partition(":")
    return userinfo, (_normalize_host(host) if host else ""), _parse_port(port)


def _remove_dot_segments(path: str) -> str:
    """
    RFC 3986 section 5.2.4, on a list of segments rather than by slicing
    strings. Each output segment keeps the "/" before it, except the first one
    of a relative path, so ".." removes exactly what the RFC's loop removes.
    """
    if "/." not in path and not path.startswith("."):
        return path
    absolute = path.startswith("/")
    segments = (path[1:] if absolute else path).split("/")
    first = 0
    while not absolute and first < len(segments) and segments[first] in (".", ".."):
        first += 1  # rule A: a relative path's leading "./" and "../" go
    output: list[str] = []
    for index in range(first, len(segments)):
        segment = segments[index]
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            bare = index == first and not absolute
            output.append(segment if bare else "/" + segment)
    if first < len(segments) and segments[-1] in (".", ".."):
        output.append("/")
    return "".join(output)


def _authority(parts: _Parts) -> str:
    host = f"[{parts.host}]" if ":" in parts.host else parts.host
    if parts.userinfo is not None:
        host = f"{parts.userinfo}@{host}"
    return host if parts.port is None else f"{host}:{parts.port}"


def _completed(parts: _Parts) -> tuple[_Parts, str]:
    """The parts of a URL, checked and completed, and its text."""
    if parts.scheme in _HOST_REQUIRED and not parts.host:
        raise InvalidURL(f"No host in {parts.scheme!r} URL.")
    if parts.has_authority and not parts.path:
        parts = parts._replace(path="/")
    text = f"{parts.scheme}:" if parts.scheme else ""
    if parts.has_authority:
        text += "//" + _authority(parts)
    text += parts.path
    if parts.query is not None:
        text += "?" + parts.query
    if parts.fragment is not None:
        text += "#" + parts.fragment
    return parts, text


# The cache holds 512 URLs of up to 2 KiB each: a few MiB at worst.
_MAX_CACHED = 2048


@functools.lru_cache(maxsize=512)
def _parsed(url: str) -> tuple[_Parts, str]:
    # Both are immutable, so a URL parsed once serves every later request for
    # it; an invalid one raises each time (`lru_cache` keeps no exceptions).
    return _completed(URL._parse(url))


class URL:
    """
    A parsed, normalized and validated URL.

    ```python
    url = URL("https://user:pw@EXAMPLE.org:8443/a b?q=1#top")
    url.host        # "example.org"
    url.port        # 8443
    url.full_path   # "/a%20b?q=1"
    ```

    Relative URLs raise `InvalidURL` unless `allow_relative=True`. `params`
    are merged into the query: a key given there replaces the URL's values
    for that key. URLs are immutable and compare equal to other URLs, or
    strings, with the same normalized form.
    """

    __slots__ = ("_parts", "_str")

    def __init__(
        self,
        url: str | URL = "",
        allow_relative: bool = False,
        params: QueryParamTypes | None = None,
    ) -> None:
        if type(url) is str and params is None and len(url) <= _MAX_CACHED:
            # Most URLs are given as str, and the same ones again and again.
            self._parts, self._str = _parsed(url)
        elif isinstance(url, URL) and params is None:
            self._parts, self._str = url._parts, url._str
        else:
            if isinstance(url, URL):
                parts = url._parts
            elif isinstance(url, str):
                parts = self._parse(url)
            else:
                raise InvalidURL(
                    f"A URL must be a str or URL, not {type(url).__name__}."
                )
            if params is not None:
                extra = (
                    params if isinstance(params, QueryParams) else QueryParams(params)
                )
                if extra:
                    query = QueryParams(parts.query or "").merge(extra)
                    parts = parts._replace(query=str(query))
            self._assign(parts)
        if not allow_relative and not self._parts.scheme:
            raise InvalidURL(
                f"No scheme included in URL {self._str!r}: pass a full URL, "
                "like 'https://example.org/'."
            )

    @staticmethod
    def _parse(url: str) -> _Parts:
        _check_forbidden(url, "URL")
        scheme = ""
        colon = url.find(":", 0, _find_first(url, "/?#"))
        if colon > 0:
            scheme, url = _normalize_scheme(url[:colon]), url[colon + 1 :]
        userinfo: str | None = None
        host, port, has_authority = "", None, url.startswith("//")
        if has_authority:
            end = _find_first(url, "/?#", 2)
            userinfo, host, port = _split_authority(url[2:end])
            url = url[end:]
        url, hash_, fragment = url.partition("#")
        path, question, query = url.partition("?")
        return _Parts(
            scheme,
            userinfo,
            host,
            port,
            _encode(path, _PATH_SAFE),
            _encode(query, _QUERY_SAFE) if question else None,
            _encode(fragment, _QUERY_SAFE) if hash_ else None,
            has_authority,
        )

    @classmethod
    def _from_parts(cls, parts: _Parts) -> URL:
        url = cls.__new__(cls)
        url._assign(parts)
        return url

    def _assign(self, parts: _Parts) -> None:
        self._parts, self._str = _completed(parts)

    @property
    def scheme(self) -> str:
        """The lower-case scheme, like `"https"`; `""` for a relative URL."""
        return self._parts.scheme

    @property
    def authority(self) -> str:
        """`userinfo@host:port`, the port only when given (IPv6 hosts in brackets)."""
        return _authority(self._parts)

    @property
    def netloc_for_host_header(self) -> str:
        """The `Host` header value: the host, and the port unless the default."""
        parts = self._parts
        host = f"[{parts.host}]" if ":" in parts.host else parts.host
        if parts.port is None or parts.port == DEFAULT_PORTS.get(parts.scheme):
            return host
        return f"{host}:{parts.port}"

    @property
    def userinfo(self) -> str:
        """The percent-encoded `user:password` part, or `""`."""
        return self._parts.userinfo or ""

    @property
    def username(self) -> str:
        """The percent-decoded user name, or `""`."""
        return unquote(self.userinfo.partition(":")[0])

    @property
    def password(self) -> str:
        """The percent-decoded password, or `""`."""
        return unquote(self.userinfo.partition(":")[2])

    @property
    def host(self) -> str:
        """The host: lower case, IDNA-encoded, IPv6 addresses without brackets."""
        return self._parts.host

    @property
    def port(self) -> int | None:
        """The explicit port, else the scheme's default; `None` if neither exists."""
        port = self._parts.port
        return DEFAULT_PORTS.get(self._parts.scheme) if port is None else port

    @property
    def path(self) -> str:
        """The percent-encoded path; `"/"` rather than empty when there is a host."""
        return self._parts.path

    @property
    def query(self) -> str:
        """The percent-encoded query, without the `"?"`."""
        return self._parts.query or ""

    @property
    def full_path(self) -> str:
        """The path, then `"?"` and the query when there is one."""
        path, query = self._parts.path, self._parts.query
        return path if query is None else f"{path}?{query}"

    @property
    def raw_path(self) -> bytes:
        """`full_path` as ASCII bytes: the HTTP request target."""
        return self.full_path.encode("ascii")

    @property
    def fragment(self) -> str:
        """The percent-encoded fragment, without the `"#"`."""
        return self._parts.fragment or ""

    @property
    def params(self) -> QueryParams:
        """The query as `QueryParams`."""
        return QueryParams(self.query)

    @property
    def is_ssl(self) -> bool:
        """Whether the scheme is `https` or `wss`."""
        return self._parts.scheme in SSL_SCHEMES

    @property
    def is_absolute_url(self) -> bool:
        """Whether the URL has a scheme."""
        return bool(self._parts.scheme)

    @property
    def is_relative_url(self) -> bool:
        """Whether the URL has no scheme."""
        return not self._parts.scheme

    @property
    def origin(self) -> Origin:
        """The `Origin` (scheme, host, port) of an absolute URL."""
        return Origin(self)

    def copy_with(self, **parts: Unpack[_URLParts]) -> URL:
        """
        Return a new URL with some components replaced.

        Accepts `scheme`, `authority`, `userinfo`, `username`, `password`,
        `host`, `port` (int, or None to drop it), `path`, `query` and
        `fragment`. `username` and `password` are plain text; the others are
        percent-encoded as in the constructor. A result that would not re-parse
        to the same components raises `InvalidURL`.
        """
        unknown = set(parts) - set(_URLParts.__annotations__)
        if unknown:
            raise TypeError(f"copy_with() got unexpected arguments {sorted(unknown)}.")
        for name, value in parts.items():
            if name == "port":
                continue
            if not isinstance(value, str):
                kind = type(value).__name__
                raise InvalidURL(f"The URL {name} must be a str, not {kind}.")
            _check_forbidden(value, f"URL {name}")
        scheme, userinfo, host, port, path, query, fragment, has_authority = self._parts
        if "scheme" in parts:
            scheme = _normalize_scheme(parts["scheme"]) if parts["scheme"] else ""
        if "authority" in parts:
            userinfo, host, port = _split_authority(parts["authority"])
            has_authority = True
        if "userinfo" in parts:
            userinfo = _encode(parts["userinfo"], _USERINFO_SAFE) or None
        if "username" in parts or "password" in parts:
            username = parts.get("username", self.username)
            password = parts.get("password", self.password)
            userinfo = quote(username, safe=_SUB_DELIMS)
            if password:
                userinfo += ":" + quote(password, safe=_SUB_DELIMS)
            userinfo = userinfo or None
        if "host" in parts:
            host = parts["host"]
            if ":" in host and not host.startswith("["):
                host = f"[{host}]"
            host = _normalize_host(host) if host else ""
            has_authority = has_authority or bool(host)
        if "port" in parts:
            port = _check_port(parts["port"])
        if "path" in parts:
            path = _encode(parts["path"], _PATH_SAFE)
            if has_authority and path and not path.startswith("/"):
                raise InvalidURL(
                    f"A URL with a host needs a path starting '/': {path!r}."
                )
        if "query" in parts:
            query = _encode(parts["query"], _QUERY_SAFE) if parts["query"] else None
        if "fragment" in parts:
            fragment = parts["fragment"]
            fragment = _encode(fragment, _QUERY_SAFE) if fragment else None
        new = URL._from_parts(
            _Parts(scheme, userinfo, host, port, path, query, fragment, has_authority)
        )
        if URL._parse(new._str) != new._parts:
            raise InvalidURL(f"copy_with() would make an ambiguous URL: {new._str!r}.")
        return new

    def resolve_with(self, url: str | URL) -> URL:
        """
        Resolve `url`, absolute or relative, against this URL as RFC 3986
        section 5.2 says: `resolve_with("../b?q")`, `resolve_with("//host/p")`.
        """
        ref = (url if isinstance(url, URL) else URL(url, allow_relative=True))._parts
        base = self._parts
        if ref.scheme:
            target = ref._replace(path=_remove_dot_segments(ref.path))
        elif ref.has_authority:
            target = ref._replace(
                scheme=base.scheme, path=_remove_dot_segments(ref.path)
            )
        elif ref.path:
            path = ref.path
            if not path.startswith("/"):
                path = base.path[: base.path.rfind("/") + 1] + path
            target = base._replace(path=_remove_dot_segments(path), query=ref.query)
        else:
            query = base.query if ref.query is None else ref.query
            target = base._replace(query=query)
        target = target._replace(fragment=ref.fragment)
        path = target.path
        if not target.has_authority and path.startswith("//"):
            target = target._replace(path="/." + path)  # a path, not an authority
        elif not (target.scheme or target.has_authority) and ":" in path.split("/")[0]:
            target = target._replace(path="./" + path)  # a path, not a scheme
        return URL._from_parts(target)

    def join(self, url: str | URL) -> URL:
        """An alias of `resolve_with()`."""
        return self.resolve_with(url)

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return f"URL({self._str!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, URL):
            return self._str == other._str
        if isinstance(other, str):
            try:
                return self._str == URL(other, allow_relative=True)._str
            except InvalidURL:
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._str)


class Origin:
    """
    The (scheme, host, port) triple that identifies where a connection goes.

    ```python
    Origin("https://example.org") == Origin("HTTPS://EXAMPLE.ORG:443")  # True
    ```

    Equality and hashing use a tuple computed once, so origins are cheap
    dictionary keys.
    """

    __slots__ = ("_hash", "_host", "_key", "_port", "_scheme")

    def __init__(self, url: str | URL) -> None:
        if not isinstance(url, URL):
            url = URL(url, allow_relative=True)
        port = url.port
        if url.is_relative_url:
            raise InvalidURL(f"A relative URL has no origin: {str(url)!r}.")
        if port is None:
            raise InvalidURL(
                f"No port given, and scheme {url.scheme!r} has no default."
            )
        self._set(url.scheme, url.host, port)

    @classmethod
    def from_parts(cls, scheme: str, host: str, port: int) -> Origin:
        """Build an origin from its parts, without parsing a URL."""
        origin = cls.__new__(cls)
        origin._set(scheme.lower(), host.lower(), port)
        return origin

    def _set(self, scheme: str, host: str, port: int) -> None:
        self._scheme, self._host, self._port = scheme, host, port
        self._key = (scheme, host, port)
        self._hash = hash(self._key)

    @property
    def scheme(self) -> str:
        """The lower-case scheme."""
        return self._scheme

    @property
    def host(self) -> str:
        """The lower-case, IDNA-encoded host."""
        return self._host

    @property
    def port(self) -> int:
        """The port, the scheme's default filled in."""
        return self._port

    @property
    def is_ssl(self) -> bool:
        """Whether connections to this origin use TLS (`https`, `wss`)."""
        return self._scheme in SSL_SCHEMES

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Origin):
            return self._key == other._key
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return (
            f"Origin(scheme={self._scheme!r}, host={self._host!r}, port={self._port})"
        )
