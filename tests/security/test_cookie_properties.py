"""
Property tests (hypothesis) for cookies: Set-Cookie -> jar -> Cookie header
round trips; no Set-Cookie text, however hostile, can put a control
character or an extra cookie into a later request; domain and path matching
never send a cookie where RFC 6265 says it does not go; and the `Cookies`
API keeps its invariants under any sequence of calls.
"""

from __future__ import annotations

import ipaddress
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import httpcore
from httpcore._request import check_request

SETTINGS = settings(max_examples=150, deadline=None)

TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
# RFC 6265 4.1.1 cookie-octet: visible ASCII but DQUOTE, comma, ";" and "\".
COOKIE_OCTETS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\')
# "$" names are RFC 2965 attributes to the standard jar: not plain cookies.
NAME = st.text(TOKEN_CHARS, min_size=1, max_size=12).filter(
    lambda name: not name.startswith("$")
)
VALUE = st.text(COOKIE_OCTETS, max_size=20)


def response_from(url: str, *set_cookies: str) -> httpcore.Response:
    return httpcore.Response(
        200,
        headers=[("Set-Cookie", value) for value in set_cookies],
        request=httpcore.Request("GET", url),
    )


def cookie_header(cookies: httpcore.Cookies, url: str) -> str | None:
    request = httpcore.Request("GET", url)
    cookies.set_cookie_header(request)
    check_request(request)  # whatever the jar made is sendable
    values = request.headers.get_list("cookie")
    assert len(values) <= 1
    return values[0] if values else None


@SETTINGS
@given(st.dictionaries(NAME, VALUE, min_size=1, max_size=4))
def test_set_cookie_round_trips_to_the_cookie_header(pairs):
    cookies = httpcore.Cookies()
    url = "http://example.test/a/b"
    cookies.extract_cookies(
        response_from(
            url, *(f"{name}={value}; Path=/" for name, value in pairs.items())
        )
    )
    header = cookie_header(cookies, url)
    assert header is not None
    sent = dict(pair.split("=", 1) for pair in header.split("; "))
    assert sent == pairs


# Hostile Set-Cookie text: anything a response header can carry, controls
# included, with many ";", "=" and quotes.
HOSTILE = st.lists(
    st.one_of(
        st.sampled_from([*';=", \t\\$\x00\x01\x7f\r\n', "Path=/", "Domain="]),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=30,
).map("".join)


@SETTINGS
@given(st.lists(HOSTILE, min_size=1, max_size=3))
def test_no_set_cookie_text_can_inject_into_a_later_request(set_cookies):
    cookies = httpcore.Cookies()
    url = "http://example.test/"
    cookies.extract_cookies(response_from(url, *set_cookies))
    for cookie in cookies.jar:
        for text in (cookie.name, cookie.value or ""):
            assert ";" not in text
            assert not any((c < " " and c != "\t") or c == "\x7f" for c in text)
    # The header is one line, and each of its pairs is a cookie the jar holds
    # (or an RFC 2965 "$" attribute of one): nothing else got in.
    header = cookie_header(cookies, url)
    if header is not None:
        stored = set()
        for c in cookies.jar:
            stored |= {c.name, f"{c.name}={c.value}", f'{c.name}="{c.value}"'}
        for item in header.split("; "):
            assert item in stored or item.startswith("$"), (item, stored)


HOSTS = [
    "a.test",
    "b.a.test",
    "c.b.a.test",
    "xa.test",
    "a.test.evil",
    "b.test",
    "test",
    "localhost",
    "127.0.0.1",
    "10.0.0.1",
]
DOMAINS = [None, "a.test", ".a.test", "b.a.test", ".test", "test", "evil", "0.0.1"]
PATHS = ["/", "/a", "/a/", "/ab", "/a/b", "/b"]


def domain_match(host: str, domain: str) -> bool:
    """RFC 6265 5.1.3."""
    if host == domain:
        return True
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        return host.endswith("." + domain)


def path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4."""
    if request_path == cookie_path:
        return True
    return request_path.startswith(cookie_path) and (
        cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    )


@SETTINGS
@given(
    st.sampled_from(HOSTS),
    st.sampled_from(DOMAINS),
    st.sampled_from(PATHS),
    st.sampled_from(HOSTS),
    st.sampled_from(PATHS),
    st.booleans(),
)
def test_cookies_never_go_to_a_host_or_path_they_do_not_match(
    origin, domain, path, target, target_path, secure
):
    attributes = f"; Path={path}" + (f"; Domain={domain}" if domain else "")
    attributes += "; Secure" if secure else ""
    cookies = httpcore.Cookies()
    cookies.extract_cookies(response_from(f"https://{origin}/x/y", "k=v" + attributes))
    for scheme in ("http", "https"):
        header = cookie_header(cookies, f"{scheme}://{target}{target_path}")
        if header is None:
            continue
        assert header == "k=v"
        # Sent: then the rules allowed it.
        assert not (secure and scheme == "http")
        assert path_match(target_path, path)
        if domain is None:
            assert target == origin  # host-only: that host, no subdomain
        else:
            bare = domain.lstrip(".").lower()
            assert domain_match(origin, bare) and domain_match(target, bare)


@given(st.sampled_from(HOSTS), st.sampled_from(HOSTS))
@settings(max_examples=60, deadline=None)
def test_a_host_only_cookie_goes_back_to_its_host_only(origin, target):
    cookies = httpcore.Cookies()
    cookies.extract_cookies(response_from(f"http://{origin}/", "sid=1"))
    header = cookie_header(cookies, f"http://{target}/")
    assert (header == "sid=1") == (target == origin)


# --- the Cookies API ------------------------------------------------------------

KEY = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(["", "one.test", "two.test"]),
    st.sampled_from(["/", "/p"]),
)
OPERATION = st.one_of(
    st.tuples(st.just("set"), KEY, VALUE),
    st.tuples(st.just("delete"), KEY, st.none()),
    st.tuples(st.just("bad"), KEY, st.sampled_from(["x;y", "\r\n", "\x00", "\x7f"])),
)


@SETTINGS
@given(st.lists(OPERATION, max_size=12))
def test_the_cookies_api_matches_a_model(operations):
    cookies = httpcore.Cookies()
    model: dict[tuple[str, str, str], str] = {}
    for operation, (name, domain, path), value in operations:
        if operation == "set":
            cookies.set(name, value, domain=domain, path=path)
            model[name, domain, path] = value
        elif operation == "delete":
            cookies.delete(name, domain=domain, path=path)
            model.pop((name, domain, path), None)
        else:
            with pytest.raises(ValueError, match="Invalid value for cookie"):
                cookies.set(name, value, domain=domain, path=path)
        assert len(cookies) == len(model)
        assert sorted(cookies) == sorted(key[0] for key in model)
        assert bool(cookies) == bool(model)
        for (name_, domain_, path_), value_ in model.items():
            assert cookies.get(name_, domain=domain_, path=path_) == value_
        for name_ in "abc":
            matching = [v for k, v in model.items() if k[0] == name_]
            if len(matching) == 1:
                assert cookies[name_] == matching[0]
            elif not matching:
                assert name_ not in cookies
            else:
                with pytest.raises(httpcore.CookieConflict):
                    cookies.get(name_)
    copy = httpcore.Cookies(cookies)
    assert sorted((c.name, c.domain, c.path, c.value) for c in copy.jar) == sorted(
        (*key, value) for key, value in model.items()
    )
