"""Unit tests for `URL`, `Origin` and `QueryParams` (no I/O)."""

from __future__ import annotations

import time
import typing

import pytest

from httpcore._exceptions import InvalidURL
from httpcore._urls import URL, Origin, QueryParams

# ---------------------------------------------------------------------------
# Parsing and properties
# ---------------------------------------------------------------------------


def test_url_components() -> None:
    url = URL("HTTPS://user:p%40ss@Example.ORG:8443/a/b?x=1&y=2#frag")
    assert url.scheme == "https"
    assert url.userinfo == "user:p%40ss"
    assert url.username == "user"
    assert url.password == "p@ss"
    assert url.host == "example.org"
    assert url.port == 8443
    assert url.authority == "user:p%40ss@example.org:8443"
    assert url.path == "/a/b"
    assert url.query == "x=1&y=2"
    assert url.full_path == "/a/b?x=1&y=2"
    assert url.raw_path == b"/a/b?x=1&y=2"
    assert url.fragment == "frag"
    assert url.is_ssl
    assert url.is_absolute_url
    assert not url.is_relative_url
    assert str(url) == "https://user:p%40ss@example.org:8443/a/b?x=1&y=2#frag"


def test_url_without_optional_components() -> None:
    url = URL("http://example.org")
    assert url.userinfo == url.username == url.password == ""
    assert url.query == url.fragment == ""
    assert url.path == "/"
    assert url.full_path == "/"
    assert url.authority == "example.org"
    assert not url.is_ssl
    assert str(url) == "http://example.org/"


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://a/", 80),
        ("https://a/", 443),
        ("ws://a/", 80),
        ("wss://a/", 443),
        ("http://a:8080/", 8080),
        ("http://a:0/", 0),
        ("http://a:65535/", 65535),
        ("ftp://a/", None),
        ("ftp://a:21/", 21),
    ],
)
def test_port_is_explicit_or_scheme_default(url: str, port: int | None) -> None:
    assert URL(url).port == port


def test_explicit_default_port_is_kept_in_str() -> None:
    assert str(URL("http://a:80/")) == "http://a:80/"
    assert str(URL("http://a:080/")) == "http://a:80/"


def test_empty_port_is_no_port() -> None:
    url = URL("http://a:/")
    assert url.port == 80
    assert url.authority == "a"


def test_relative_url_port_is_none() -> None:
    assert URL("/path", allow_relative=True).port is None


def test_empty_query_and_fragment_markers_are_kept() -> None:
    url = URL("http://a/p?#")
    assert url.query == ""
    assert url.fragment == ""
    assert url.full_path == "/p?"
    assert str(url) == "http://a/p?#"


def test_url_with_no_authority() -> None:
    url = URL("mailto:someone@example.org")
    assert url.scheme == "mailto"
    assert url.host == ""
    assert url.path == "someone@example.org"
    assert url.port is None
    assert str(url) == "mailto:someone@example.org"


def test_params_property() -> None:
    assert URL("http://a/?x=1&x=2&y=").params == QueryParams("x=1&x=2&y=")


# ---------------------------------------------------------------------------
# Hosts
# ---------------------------------------------------------------------------


def test_host_is_lower_cased() -> None:
    assert URL("http://EXAMPLE.Org/").host == "example.org"


def test_idna_host_is_encoded() -> None:
    url = URL("http://ÉXAMPLE.com/")
    assert url.host == "xn--xample-9ua.com"
    assert str(url) == "http://xn--xample-9ua.com/"


def test_idna_uts46_maps_fullwidth_characters() -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "example") + "\uff0ecom"
    assert URL(f"http://{fullwidth}/").host == "example.com"


@pytest.mark.parametrize(
    "url",
    [
        "http://xn--zz.é/",  # an invalid A-label next to a U-label
        "http://é..com/",  # an empty label
        "http://a\u2100b.é/",  # U+2100 maps to "a/c": a delimiter
    ],
)
def test_bad_idna_host_is_invalid(url: str) -> None:
    with pytest.raises(InvalidURL, match="Invalid IDNA hostname"):
        URL(url)


def test_non_ascii_host_with_forbidden_ascii_character() -> None:
    with pytest.raises(InvalidURL, match="Invalid character '/'"):
        URL("http://x").copy_with(host="é/evil")


def test_overlong_idna_host_is_refused_before_idna() -> None:
    with pytest.raises(InvalidURL, match="Host is too long"):
        URL("http://" + "é" * 5000 + "/")


def test_ipv6_host() -> None:
    url = URL("http://[::1]:8080/")
    assert url.host == "::1"
    assert url.port == 8080
    assert url.authority == "[::1]:8080"
    assert str(url) == "http://[::1]:8080/"


def test_ipv6_host_is_lower_cased() -> None:
    assert URL("http://[FE80::A]/").host == "fe80::a"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://[::1/", "no closing"),
        ("http://[::1]x/", "junk after"),
        ("http://[zz]/", "Invalid IPv6 address"),
        ("http://[fe80::1%25eth0]/", "zone identifiers"),
    ],
)
def test_bad_ipv6_host(url: str, message: str) -> None:
    with pytest.raises(InvalidURL, match=message):
        URL(url)


def test_ipv4_host_is_kept() -> None:
    url = URL("http://192.168.0.1:8000/")
    assert url.host == "192.168.0.1"
    assert url.authority == "192.168.0.1:8000"


# ---------------------------------------------------------------------------
# Percent-encoding
# ---------------------------------------------------------------------------


def test_non_ascii_path_and_query_are_utf8_percent_encoded() -> None:
    url = URL("http://a/ü?q=ä#ö")
    assert url.path == "/%C3%BC"
    assert url.query == "q=%C3%A4"
    assert url.fragment == "%C3%B6"


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (" ", "%20"),
        ('"', "%22"),
        ("<", "%3C"),
        (">", "%3E"),
        ("`", "%60"),
        ("{", "%7B"),
        ("}", "%7D"),
        ("\t", "%09"),
        ("\x7f", "%7F"),
    ],
)
def test_characters_not_allowed_in_a_path_are_encoded(raw: str, encoded: str) -> None:
    assert URL(f"http://a/x{raw}y").path == f"/x{encoded}y"


def test_existing_escapes_are_not_double_encoded() -> None:
    assert URL("http://a/%41%2f?x=%20").full_path == "/%41%2f?x=%20"


def test_stray_percent_signs_are_encoded_next_to_valid_escapes() -> None:
    assert URL("http://a/100%/%41%4").path == "/100%25/%41%254"
    assert URL("http://a/%zz").path == "/%25zz"


def test_question_mark_in_query_and_fragment_is_kept() -> None:
    url = URL("http://a/p?a=?#b?")
    assert url.query == "a=?"
    assert url.fragment == "b?"


def test_surrogate_character_is_invalid() -> None:
    with pytest.raises(InvalidURL, match="Invalid character"):
        URL("http://a/\ud800")


def test_userinfo_is_percent_encoded() -> None:
    url = URL("http://us er:pä@a/")
    assert url.userinfo == "us%20er:p%C3%A4"
    assert url.username == "us er"
    assert url.password == "pä"


# ---------------------------------------------------------------------------
# Invalid and hostile input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, 1, b"http://a/", ["http://a/"]])
def test_url_must_be_str_or_url(value: typing.Any) -> None:
    with pytest.raises(InvalidURL, match="must be a str or URL"):
        URL(value)


@pytest.mark.parametrize("url", ["http://", "https:///path", "ws:", "wss://:80/"])
def test_http_family_urls_need_a_host(url: str) -> None:
    with pytest.raises(InvalidURL, match="No host"):
        URL(url)


@pytest.mark.parametrize("url", ["", "/path", "example.org/path", "//host/path"])
def test_relative_url_needs_allow_relative(url: str) -> None:
    with pytest.raises(InvalidURL, match=r"No scheme included in URL.*https://"):
        URL(url)
    assert URL(url, allow_relative=True).is_relative_url


@pytest.mark.parametrize(
    "url", ["http://a:x/", "http://a:-1/", "http://a:65536/", "http://a:1:2/"]
)
def test_bad_port(url: str) -> None:
    with pytest.raises(InvalidURL, match="Invalid port"):
        URL(url)


def test_non_ascii_digits_are_not_a_port() -> None:
    with pytest.raises(InvalidURL, match="Invalid port"):
        URL("http://a:\u0661\u0662/")  # Arabic-Indic digits


def test_huge_port_is_refused_without_converting_it() -> None:
    with pytest.raises(InvalidURL, match="Invalid port"):
        URL("http://a:" + "1" * 100_000 + "/")


@pytest.mark.parametrize("char", ["\r", "\n", "\x00"])
@pytest.mark.parametrize("where", ["scheme", "host", "path", "query", "fragment"])
def test_cr_lf_nul_are_refused_anywhere(char: str, where: str) -> None:
    parts = {"scheme": "http", "host": "a", "path": "/p", "query": "q", "fragment": "f"}
    parts[where] = parts[where][:1] + char + parts[where][1:]
    url = "{scheme}://{host}{path}?{query}#{fragment}".format(**parts)
    with pytest.raises(InvalidURL, match="Invalid character"):
        URL(url)


@pytest.mark.parametrize("char", [" ", "\t", "\x01", "\x1f", "\x7f", "%", "<", "^"])
def test_control_characters_and_space_in_host_are_refused(char: str) -> None:
    with pytest.raises(InvalidURL, match="Invalid character"):
        URL(f"http://ex{char}ample.com/")


@pytest.mark.parametrize("url", ["ht tp://a/", "h\ttp://a/", "1http://a/", "-x:y"])
def test_bad_scheme_is_refused(url: str) -> None:
    with pytest.raises(InvalidURL, match="Invalid URL scheme"):
        URL(url)


def test_colon_first_is_a_relative_path_not_a_scheme() -> None:
    url = URL(":x", allow_relative=True)
    assert url.scheme == ""
    assert url.path == ":x"


def test_backslash_in_authority_is_refused() -> None:
    # WHATWG parsers read "\" as "/" and would see host "good.example".
    with pytest.raises(InvalidURL, match="authority"):
        URL("http://good.example\\@evil.example/")


@pytest.mark.parametrize("url", ["http:////h", "http://a@//b", "http:///h"])
def test_hostile_empty_authorities_are_refused(url: str) -> None:
    with pytest.raises(InvalidURL, match="No host"):
        URL(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://example.com:@evil/", "evil"),
        ("http://a@b@c/", "c"),
        ("http://good.example#@evil.example/", "good.example"),
        ("http://good.example?@evil.example/", "good.example"),
        ("http://u:p@good.example@evil.example:81/", "evil.example"),
    ],
)
def test_hostile_urls_have_one_consistent_host(url: str, host: str) -> None:
    parsed = URL(url)
    assert parsed.host == host
    reparsed = URL(str(parsed))
    assert reparsed.host == host
    assert reparsed == parsed


def test_extra_at_signs_are_encoded_into_the_userinfo() -> None:
    url = URL("http://a@b@c/")
    assert url.userinfo == "a%40b"
    assert url.username == "a@b"
    assert str(url) == "http://a%40b@c/"


def _best_time(url: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        try:
            URL(url)
        except InvalidURL:
            pass
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "http://" + "a" * n + "/",
        lambda n: "http://a/" + "ü" * n,
        lambda n: "http://a/?" + "%" * n,
        lambda n: "http://" + "@" * n + "a/",
        lambda n: "http://" + "[" * n,
        lambda n: "http://" + "a." * n,
        lambda n: "a" * n + ":",
        lambda n: "http://a:" + "9" * n,
    ],
)
def test_parsing_is_linear_time(make: typing.Callable[[int], str]) -> None:
    small, large = _best_time(make(10_000)), _best_time(make(100_000))
    assert large < 2.0  # a generous guard against catastrophic backtracking
    assert large < max(small, 1e-4) * 50


# ---------------------------------------------------------------------------
# Construction from URL, params
# ---------------------------------------------------------------------------


def test_url_from_url_is_equal() -> None:
    url = URL("https://a/p?q#f")
    assert URL(url) == url
    assert str(URL(url)) == str(url)


def test_relative_url_object_needs_allow_relative() -> None:
    relative = URL("/p", allow_relative=True)
    with pytest.raises(InvalidURL, match="No scheme"):
        URL(relative)


def test_params_are_merged_into_the_query() -> None:
    url = URL("http://a/?x=1&z=0", params={"y": "2", "x": 3})
    assert url.query == "x=3&z=0&y=2"


def test_params_accept_query_params() -> None:
    url = URL("http://a/", params=QueryParams("a=1"))
    assert url.query == "a=1"


def test_empty_params_leave_the_query_alone() -> None:
    assert str(URL("http://a/?b=%20", params={})) == "http://a/?b=%20"
    assert str(URL("http://a/", params={})) == "http://a/"


# ---------------------------------------------------------------------------
# Equality, hashing, repr
# ---------------------------------------------------------------------------


def test_equality_with_url_and_str() -> None:
    url = URL("HTTP://Example.ORG")
    assert url == URL("http://example.org/")
    assert url == "http://example.org/"
    assert url == "HTTP://EXAMPLE.org"
    assert url != "http://example.org:80/"
    assert url != "http://other.org/"


def test_equality_with_invalid_str_is_false() -> None:
    assert URL("http://a/") != "http://a b/"


def test_equality_with_other_types_is_not_implemented() -> None:
    assert URL("http://a/") != 1
    assert URL("http://a/").__eq__(1) is NotImplemented


def test_hash_matches_equality() -> None:
    assert hash(URL("http://A")) == hash(URL("http://a/"))
    assert len({URL("http://A"), URL("http://a/"), URL("http://b/")}) == 2


def test_repr() -> None:
    assert repr(URL("http://a/b")) == "URL('http://a/b')"


def test_url_is_immutable() -> None:
    url = URL("http://a/")
    with pytest.raises(AttributeError):
        url.host = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        url.anything = 1  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# Host header
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "netloc"),
    [
        ("http://a/", "a"),
        ("http://a:80/", "a"),
        ("https://a:443/", "a"),
        ("http://a:8080/", "a:8080"),
        ("https://a:80/", "a:80"),
        ("http://[::1]:8080/", "[::1]:8080"),
        ("http://u:p@a/", "a"),
        ("ftp://a:21/", "a:21"),
    ],
)
def test_netloc_for_host_header(url: str, netloc: str) -> None:
    assert URL(url).netloc_for_host_header == netloc


# ---------------------------------------------------------------------------
# copy_with
# ---------------------------------------------------------------------------


def test_copy_with_each_component() -> None:
    url = URL("http://a/p?q#f")
    assert str(url.copy_with(scheme="HTTPS")) == "https://a/p?q#f"
    assert str(url.copy_with(host="B.example")) == "http://b.example/p?q#f"
    assert str(url.copy_with(port=8080)) == "http://a:8080/p?q#f"
    assert str(url.copy_with(path="/x y")) == "http://a/x%20y?q#f"
    assert str(url.copy_with(query="a=1")) == "http://a/p?a=1#f"
    assert str(url.copy_with(fragment="top")) == "http://a/p?q#top"
    assert str(url.copy_with(authority="u@c:81")) == "http://u@c:81/p?q#f"
    assert str(url.copy_with(userinfo="u:p")) == "http://u:p@a/p?q#f"


def test_copy_with_empty_values_drop_components() -> None:
    url = URL("http://u:p@a:81/p?q#f")
    assert str(url.copy_with(userinfo="")) == "http://a:81/p?q#f"
    assert str(url.copy_with(port=None)) == "http://u:p@a/p?q#f"
    assert str(url.copy_with(query="", fragment="")) == "http://u:p@a:81/p"
    assert str(url.copy_with(scheme="")) == "//u:p@a:81/p?q#f"


def test_copy_with_username_and_password_are_plain_text() -> None:
    url = URL("http://a/").copy_with(username="us:er@x/", password="p w%")
    assert url.userinfo == "us%3Aer%40x%2F:p%20w%25"
    assert url.username == "us:er@x/"
    assert url.password == "p w%"
    assert url.host == "a"


def test_copy_with_username_keeps_password_and_vice_versa() -> None:
    url = URL("http://u:p@a/")
    assert url.copy_with(username="v").userinfo == "v:p"
    assert url.copy_with(password="q").userinfo == "u:q"
    assert url.copy_with(password="").userinfo == "u"
    assert url.copy_with(username="", password="").userinfo == ""


def test_copy_with_ipv6_host_with_or_without_brackets() -> None:
    url = URL("http://a:81/")
    assert str(url.copy_with(host="::1")) == "http://[::1]:81/"
    assert str(url.copy_with(host="[::2]")) == "http://[::2]:81/"


def test_copy_with_host_on_relative_url_adds_an_authority() -> None:
    url = URL("/p", allow_relative=True).copy_with(host="h")
    assert str(url) == "//h/p"


def test_copy_with_empty_host_is_refused_for_http() -> None:
    with pytest.raises(InvalidURL, match="No host"):
        URL("http://a/").copy_with(host="")


def test_copy_with_empty_host_is_allowed_for_other_schemes() -> None:
    assert str(URL("file://a/tmp").copy_with(host="")) == "file:///tmp"


@pytest.mark.parametrize("port", [-1, 65536, True, "80"])
def test_copy_with_bad_port(port: typing.Any) -> None:
    with pytest.raises(InvalidURL, match="Invalid port"):
        URL("http://a/").copy_with(port=port)


@pytest.mark.parametrize(
    "parts",
    [{"host": "evil/x"}, {"host": "a@b"}, {"host": "a b"}, {"scheme": "ht tp"}],
)
def test_copy_with_validates_like_the_constructor(parts: typing.Any) -> None:
    with pytest.raises(InvalidURL):
        URL("http://a/").copy_with(**parts)


def test_copy_with_delimiters_are_encoded_into_their_component() -> None:
    url = URL("http://a/").copy_with(path="/a?b#c", query="x#y", fragment="#z")
    assert url.path == "/a%3Fb%23c"
    assert url.query == "x%23y"
    assert url.fragment == "%23z"
    assert URL(str(url)) == url


def test_copy_with_refuses_cr_lf() -> None:
    with pytest.raises(InvalidURL, match="Invalid character"):
        URL("http://a/").copy_with(path="/x\r\nHost: evil")


def test_copy_with_refuses_non_str() -> None:
    with pytest.raises(InvalidURL, match="must be a str"):
        URL("http://a/").copy_with(path=b"/x")  # type: ignore[arg-type]


def test_copy_with_refuses_unknown_components() -> None:
    with pytest.raises(TypeError, match="unexpected"):
        URL("http://a/").copy_with(netloc="b")  # type: ignore[call-arg]


def test_copy_with_path_must_start_with_slash_when_there_is_a_host() -> None:
    with pytest.raises(InvalidURL, match="starting '/'"):
        URL("http://a/").copy_with(path="x")


@pytest.mark.parametrize("path", ["//evil/x", "a:b"])
def test_copy_with_refuses_a_path_that_would_reparse_differently(path: str) -> None:
    with pytest.raises(InvalidURL, match="ambiguous"):
        URL("x", allow_relative=True).copy_with(path=path)


def test_copy_with_relative_path_without_host_needs_a_slash_with_host() -> None:
    with pytest.raises(InvalidURL, match="ambiguous"):
        URL("p", allow_relative=True).copy_with(host="h")


# ---------------------------------------------------------------------------
# resolve_with / join: RFC 3986 section 5.4
# ---------------------------------------------------------------------------

BASE = URL("http://a/b/c/d;p?q")


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        # 5.4.1 Normal Examples
        ("g:h", "g:h"),
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g/"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        ("g?y#s", "http://a/b/c/g?y#s"),
        (";x", "http://a/b/c/;x"),
        ("g;x", "http://a/b/c/g;x"),
        ("g;x?y#s", "http://a/b/c/g;x?y#s"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../", "http://a/"),
        ("../../g", "http://a/g"),
        # 5.4.2 Abnormal Examples
        ("../../../g", "http://a/g"),
        ("../../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        (".g", "http://a/b/c/.g"),
        ("g..", "http://a/b/c/g.."),
        ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"),
        ("./g/.", "http://a/b/c/g/"),
        ("g/./h", "http://a/b/c/g/h"),
        ("g/../h", "http://a/b/c/h"),
        ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
        ("g;x=1/../y", "http://a/b/c/y"),
        ("g?y/./x", "http://a/b/c/g?y/./x"),
        ("g?y/../x", "http://a/b/c/g?y/../x"),
        ("g#s/./x", "http://a/b/c/g#s/./x"),
        ("g#s/../x", "http://a/b/c/g#s/../x"),
        # Further cases
        ("https://B.example/x/../y", "https://b.example/y"),
        ("//u@h:81/./p?z", "http://u@h:81/p?z"),
    ],
)
def test_resolve_with_rfc3986_examples(reference: str, expected: str) -> None:
    assert str(BASE.resolve_with(reference)) == expected
    assert str(BASE.join(URL(reference, allow_relative=True))) == expected


def test_resolve_with_strict_http_colon_reference_is_invalid() -> None:
    with pytest.raises(InvalidURL, match="No host"):
        BASE.resolve_with("http:g")


def test_resolve_with_base_without_authority() -> None:
    base = URL("x:a/b", allow_relative=True)
    assert str(base.resolve_with("c")) == "x:a/c"
    assert str(base.resolve_with("..//evil")) == "x:/.//evil"


def test_resolve_keeps_a_relative_colon_path_a_path() -> None:
    base = URL("b", allow_relative=True)
    resolved = base.resolve_with("./c:d")
    assert str(resolved) == "./c:d"
    assert URL(str(resolved), allow_relative=True) == resolved


@pytest.mark.parametrize(
    ("base", "reference", "expected"),
    [
        # RFC 3986 5.2.4 on rootless paths: ".." past the first segment
        # leaves the "/" that followed it.
        ("a/b", "../../..", "/"),
        ("a/b", "../c", "/c"),
        ("a/b", "./c/.", "a/c/"),
        ("b", "../..", ""),
        ("b", ".", ""),
        ("b", "..//c", "/c"),
    ],
)
def test_resolve_relative_base_follows_rfc_dot_removal(
    base: str, reference: str, expected: str
) -> None:
    resolved = URL(base, allow_relative=True).resolve_with(reference)
    assert str(resolved) == expected


# ---------------------------------------------------------------------------
# Origin
# ---------------------------------------------------------------------------


def test_origin_normalizes_and_fills_in_the_port() -> None:
    origin = Origin("HTTPS://EXAMPLE.ORG/path")
    assert origin.scheme == "https"
    assert origin.host == "example.org"
    assert origin.port == 443
    assert origin.is_ssl
    assert origin == Origin("https://example.org:443")
    assert hash(origin) == hash(Origin("https://example.org:443"))


def test_origin_differs_by_scheme_host_and_port() -> None:
    base = Origin("http://a/")
    assert base != Origin("https://a/")
    assert base != Origin("http://b/")
    assert base != Origin("http://a:81/")
    assert not Origin("http://a/").is_ssl


def test_origin_from_url_and_url_origin() -> None:
    url = URL("http://a:81/p")
    assert url.origin == Origin(url) == Origin.from_parts("http", "a", 81)


def test_origin_from_parts_normalizes_case() -> None:
    assert Origin.from_parts("HTTP", "A", 80) == Origin("http://a")


def test_origin_of_relative_url_is_invalid() -> None:
    with pytest.raises(InvalidURL, match="relative URL"):
        Origin("/path")


def test_origin_without_port_is_invalid() -> None:
    with pytest.raises(InvalidURL, match="No port"):
        Origin("ftp://a/")


def test_origin_equality_with_other_types() -> None:
    assert Origin("http://a/") != ("http", "a", 80)
    assert Origin("http://a/").__eq__(("http", "a", 80)) is NotImplemented


def test_origin_repr_and_slots() -> None:
    origin = Origin("http://[::1]:8080/")
    assert repr(origin) == "Origin(scheme='http', host='::1', port=8080)"
    with pytest.raises(AttributeError):
        origin.port = 1  # type: ignore[misc]
    assert not hasattr(origin, "__dict__")


def test_origin_as_dict_key() -> None:
    pool = {Origin("https://a/"): 1}
    assert pool[Origin("https://A:443/x")] == 1


# ---------------------------------------------------------------------------
# QueryParams
# ---------------------------------------------------------------------------


def test_query_params_from_string() -> None:
    params = QueryParams("?a=1&b=2&a=3&c=&d=x+y%21")
    assert params.multi_items() == [
        ("a", "1"),
        ("b", "2"),
        ("a", "3"),
        ("c", ""),
        ("d", "x y!"),
    ]
    assert params["a"] == "1"
    assert params.get_list("a") == ["1", "3"]
    assert list(params.keys()) == ["a", "b", "c", "d"]
    assert list(params.values()) == ["1", "2", "", "x y!"]
    assert list(params.items()) == [("a", "1"), ("b", "2"), ("c", ""), ("d", "x y!")]
    assert len(params) == 4


def test_query_params_from_mapping_with_primitives_and_lists() -> None:
    params = QueryParams(
        {"s": "x", "i": 1, "f": 1.5, "t": True, "n": None, "l": [1, False], "u": ()}
    )
    assert params.multi_items() == [
        ("s", "x"),
        ("i", "1"),
        ("f", "1.5"),
        ("t", "true"),
        ("n", ""),
        ("l", "1"),
        ("l", "false"),
    ]


def test_query_params_from_pairs_and_query_params() -> None:
    pairs = QueryParams([("a", 1), ("a", 2)])
    assert pairs.get_list("a") == ["1", "2"]
    assert QueryParams((("a", "1"),)).multi_items() == [("a", "1")]
    assert QueryParams(pairs).multi_items() == pairs.multi_items()


def test_query_params_empty() -> None:
    params = QueryParams()
    assert not params
    assert len(params) == 0
    assert str(params) == ""
    assert QueryParams("") == params
    assert QueryParams(None) == params


def test_query_params_lookup() -> None:
    params = QueryParams("a=1")
    assert "a" in params
    assert "b" not in params
    assert params.get("b") is None
    assert params.get("b", "x") == "x"
    assert params.get_list("b") == []
    assert list(params) == ["a"]
    with pytest.raises(KeyError):
        params["b"]


def test_query_params_get_list_is_a_copy() -> None:
    params = QueryParams("a=1")
    params.get_list("a").append("2")
    params.multi_items().append(("b", "2"))
    assert params.multi_items() == [("a", "1")]


@pytest.mark.parametrize(
    "params",
    [{"a": object()}, {"a": [b"x"]}, [("a", b"x")], {1: "a"}, [(1, "a")], 1, b"a=1"],
)
def test_query_params_bad_types(params: typing.Any) -> None:
    with pytest.raises(TypeError):
        QueryParams(params)


def test_query_params_equality_is_order_insensitive() -> None:
    assert QueryParams("a=1&b=2") == QueryParams("b=2&a=1")
    assert QueryParams("a=1&a=2") == QueryParams("a=2&a=1")
    assert QueryParams("a=1") != QueryParams("a=1&a=1")
    assert hash(QueryParams("a=1&b=2")) == hash(QueryParams("b=2&a=1"))


def test_query_params_equality_with_other_types() -> None:
    assert QueryParams("a=1") != "a=1"
    assert QueryParams("a=1").__eq__({"a": "1"}) is NotImplemented


def test_query_params_str_and_repr() -> None:
    params = QueryParams({"a": "x y", "b": "&="})
    assert str(params) == "a=x+y&b=%26%3D"
    assert repr(params) == "QueryParams('a=x+y&b=%26%3D')"


def test_query_params_merge() -> None:
    params = QueryParams("a=1&b=2&a=3&c=4")
    merged = params.merge({"a": ["x", "y"], "d": "5"})
    assert merged.multi_items() == [
        ("a", "x"),
        ("a", "y"),
        ("b", "2"),
        ("c", "4"),
        ("d", "5"),
    ]
    assert params.multi_items() == [("a", "1"), ("b", "2"), ("a", "3"), ("c", "4")]
    assert params.merge(QueryParams("b=0")).multi_items() == [
        ("a", "1"),
        ("b", "0"),
        ("a", "3"),
        ("c", "4"),
    ]
    assert params.merge(None) == params


def test_query_params_is_immutable() -> None:
    params = QueryParams("a=1")
    with pytest.raises(TypeError):
        params["a"] = "2"  # type: ignore[index]
    with pytest.raises(AttributeError):
        params.other = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("host", ["xn--a.com", "www.xn--.org", "XN--A.example"])
def test_an_invalid_a_label_is_refused(host):
    with pytest.raises(InvalidURL, match="Invalid IDNA label"):
        URL(f"http://{host}/")


def test_a_valid_a_label_is_kept():
    assert URL("http://XN--bcher-kva.example/").host == "xn--bcher-kva.example"
