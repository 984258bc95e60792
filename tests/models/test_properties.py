"""Property tests (hypothesis) for `URL` and `Headers`."""

from __future__ import annotations

import random
import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from httpcore._exceptions import InvalidURL, LocalProtocolError
from httpcore._headers import Headers
from httpcore._request import Request, check_request
from httpcore._urls import URL, Origin, _remove_dot_segments

# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

# Any text the parser accepts somewhere: no CR, LF, NUL or lone surrogates.
ANY_CHAR = st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\x00")


def text_without(delimiters: str) -> st.SearchStrategy[str]:
    return st.text(
        st.characters(
            exclude_categories=["Cs"],
            exclude_characters="\r\n\x00" + delimiters,
        ),
        max_size=30,
    )


LABEL = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9-]{0,14}[A-Za-z0-9])?\Z")
# The last label starts with a letter: a host ending in a number is an IPv4
# address (see `test_numeric_hosts_are_ipv4_addresses`).
LAST_LABEL = st.from_regex(r"\A[A-Za-z]([A-Za-z0-9-]{0,14}[A-Za-z0-9])?\Z")
DNS_HOST = st.tuples(st.lists(LABEL, max_size=3), LAST_LABEL).map(
    lambda labels: ".".join([*labels[0], labels[1]])
)
IPV4_HOST = st.ip_addresses(v=4).map(str)
IPV6_HOST = st.ip_addresses(v=6).map(lambda address: f"[{address}]")
HOST = st.one_of(DNS_HOST, IPV4_HOST, IPV6_HOST)
PORT = st.one_of(st.none(), st.integers(0, 65535))
SCHEME = st.sampled_from(["http", "https", "ws", "wss", "HTTP", "Https", "ftp"])


@st.composite
def url_strings(draw: st.DrawFn) -> tuple[str, str]:
    """A URL string, and the host it names (normalized)."""
    scheme = draw(SCHEME)
    host = draw(HOST)
    port = draw(PORT)
    userinfo = draw(st.one_of(st.none(), text_without("/?#\\")))
    path = draw(text_without("?#"))
    query = draw(st.one_of(st.none(), text_without("#")))
    fragment = draw(st.one_of(st.none(), st.text(ANY_CHAR, max_size=30)))
    url = f"{scheme}://"
    if userinfo is not None:
        url += f"{userinfo}@"
    url += host if port is None else f"{host}:{port}"
    url += "/" + path
    if query is not None:
        url += "?" + query
    if fragment is not None:
        url += "#" + fragment
    return url, host.strip("[]").lower()


# ---------------------------------------------------------------------------
# URL
# ---------------------------------------------------------------------------


@given(url_strings())
def test_url_str_round_trips(case: tuple[str, str]) -> None:
    text, host = case
    url = URL(text)
    assert url.host == host
    assert str(url).isascii()
    again = URL(str(url))
    assert again == url
    assert str(again) == str(url)
    assert again.host == url.host == host
    assert again.port == url.port
    assert again.userinfo == url.userinfo
    assert again.full_path == url.full_path
    assert again.fragment == url.fragment


@given(st.text(ANY_CHAR, max_size=60))
def test_any_accepted_text_round_trips(text: str) -> None:
    try:
        url = URL(text, allow_relative=True)
    except InvalidURL:
        return
    assert str(url).isascii()
    again = URL(str(url), allow_relative=True)
    assert again == url
    assert (again.scheme, again.host, again.port) == (url.scheme, url.host, url.port)
    assert URL(str(again), allow_relative=True) == again  # encoding is idempotent


@given(st.text(max_size=60))
def test_parsing_raises_only_invalid_url(text: str) -> None:
    try:
        URL(text, allow_relative=True)
    except InvalidURL:
        pass


@given(
    DNS_HOST,
    text_without(""),
    text_without(""),
    text_without(""),
    text_without(""),
    text_without(""),
)
def test_copy_with_round_trips(
    host: str, username: str, password: str, path: str, query: str, fragment: str
) -> None:
    url = URL("http://example.org/").copy_with(
        host=host,
        username=username,
        password=password,
        path="/" + path,
        query=query,
        fragment=fragment,
    )
    assert url.host == host.lower()
    assert url.username == username
    assert url.password == password
    assert URL(str(url)) == url


@given(url_strings())
def test_origin_ignores_case_and_default_ports(case: tuple[str, str]) -> None:
    url = URL(case[0])
    assume(url.port is not None)
    origin = Origin(url)
    assert origin == Origin(str(url).upper())
    assert origin == Origin.from_parts(url.scheme, url.host, url.port or 0)


def _rfc_remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, transcribed literally (quadratic, for tests)."""
    output = ""
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith(("./", "/./")):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            output = output[: max(output.rfind("/"), 0)]
        elif path == "/..":
            path = "/"
            output = output[: max(output.rfind("/"), 0)]
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            end = path.find("/", start)
            end = len(path) if end < 0 else end
            output += path[:end]
            path = path[end:]
    return output


@given(st.lists(st.sampled_from(["a", "b", ".", "..", "", ".a", "..."]), max_size=8))
def test_remove_dot_segments_matches_the_rfc(segments: list[str]) -> None:
    for path in ("/".join(segments), "/" + "/".join(segments)):
        assert _remove_dot_segments(path) == _rfc_remove_dot_segments(path)


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------

TOKEN = st.text(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~", min_size=1)
VALUE = st.text(ANY_CHAR, max_size=20)
PAIRS = st.lists(st.tuples(TOKEN, VALUE), max_size=8)


@given(PAIRS)
def test_headers_multi_items_round_trip(pairs: list[tuple[str, str]]) -> None:
    headers = Headers(pairs)
    assert headers.multi_items() == [(name.lower(), value) for name, value in pairs]
    assert Headers(headers.multi_items()).multi_items() == headers.multi_items()
    assert Headers(headers.raw).raw == headers.raw
    assert Headers(headers.raw) == headers


@given(PAIRS, st.data())
def test_headers_lookup_ignores_case(
    pairs: list[tuple[str, str]], data: st.DataObject
) -> None:
    headers = Headers(pairs)
    for name, _ in pairs:
        other_case = "".join(
            data.draw(st.sampled_from([c.lower(), c.upper()])) for c in name
        )
        assert headers[other_case] == headers[name] == headers[name.encode()]
        assert other_case in headers
        values = [value for key, value in pairs if key.lower() == name.lower()]
        assert headers.get_list(other_case) == values
        assert headers[other_case] == ", ".join(values)


@given(PAIRS, st.randoms())
def test_headers_equality_ignores_order_and_name_case(
    pairs: list[tuple[str, str]], rng: random.Random
) -> None:
    shuffled = [(name.swapcase(), value) for name, value in pairs]
    rng.shuffle(shuffled)
    assert Headers(pairs) == Headers(shuffled)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=12)), max_size=6))
def test_only_token_names_and_control_free_values_pass_the_request_checks(
    pairs: list[tuple[str, str]],
) -> None:
    def is_token(name: str) -> bool:
        allowed = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
        return bool(name) and all(char in allowed for char in name)

    def is_clean(value: str) -> bool:
        return not any((c < " " and c != "\t") or c == "\x7f" for c in value)

    request = Request("GET", "http://example.org/", headers=pairs)
    expected_ok = all(is_token(name) and is_clean(value) for name, value in pairs)
    try:
        check_request(request)
    except LocalProtocolError:
        assert not expected_ok
    else:
        assert expected_ok


# ---------------------------------------------------------------------------
# Resolving references
# ---------------------------------------------------------------------------

REFERENCE = st.lists(
    st.sampled_from(["a", "..", ".", "", "b:c", "@x", "%2F", "?q", "#f", "\\"]),
    max_size=6,
).map("/".join)


@settings(max_examples=60, deadline=None)
@given(url_strings(), REFERENCE)
def test_a_reference_without_authority_never_changes_the_origin(
    case: tuple[str, str], reference: str
) -> None:
    base = URL(case[0])
    assume(base.port is not None)
    try:
        ref = URL(reference, allow_relative=True)
    except InvalidURL:
        return
    assume(not ref.is_absolute_url and not reference.startswith("//"))
    joined = base.join(ref)
    assert (joined.scheme, joined.host, joined.port) == (
        base.scheme,
        base.host,
        base.port,
    )
    assert joined.userinfo == base.userinfo
    # The result reads back as itself: no path that a parser takes for a host.
    assert URL(str(joined)) == joined
    assert URL(str(joined)).host == base.host


@settings(max_examples=60, deadline=None)
@given(url_strings(), url_strings())
def test_a_reference_with_authority_goes_to_its_own_host(
    case: tuple[str, str], other: tuple[str, str]
) -> None:
    base, target = URL(case[0]), URL(other[0])
    joined = base.join(target)
    assert (joined.host, joined.port) == (target.host, target.port)
    relative = "//" + str(target).split("://", 1)[1]
    scheme_relative = base.join(relative)
    assert scheme_relative.scheme == base.scheme
    assert scheme_relative.host == target.host
