"""
Hostile URLs: each is refused with `InvalidURL`, or parsed so that the host
and port the pool connects to are exactly `url.host` and `url.port` (proved
at the connection level: recording servers on loopback say which of them got
the connection, and with which `Host`). Huge inputs parse, or fail, within a
small per-test timeout: a bound that a quadratic parser on megabytes of input
cannot meet, not a benchmark.
"""

from __future__ import annotations

import ipaddress
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import httpcore
from tests.security import RecordingServer, fields_of

ONE_KB = 1024


async def test_the_last_at_sign_separates_userinfo_from_the_host(
    backend, scripted_server
):
    a = RecordingServer(scripted_server)
    b = RecordingServer(scripted_server)
    urls = [
        # The host a naive parser would see first, then the real one.
        f"http://127.0.0.1:{a.port}:@localhost:{b.port}/one",
        f"http://evil@localhost:{b.port}/two",
        f"http://127.0.0.1:{a.port}@127.0.0.1:{b.port}/three",
        f"http://a@b@127.0.0.1:{a.port}@@localhost:{b.port}/four",
        f"http://{'@' * 1000}127.0.0.1:{b.port}/five",
    ]
    async with httpcore.AsyncClient(backend=backend) as client:
        for text in urls:
            url = httpcore.URL(text)
            assert url.port == b.port, text
            response = await client.get(url)
            assert response.text == "ok"
            # The userinfo went as Basic auth, never in the URL or Host.
            assert response.url.userinfo == ""
    assert a.connections == 0
    assert [path for path in b.paths()] == ["/one", "/two", "/three", "/four", "/five"]
    hosts = [dict(fields_of(head))["host"] for head in b.heads]
    assert hosts == [
        f"localhost:{b.port}",
        f"localhost:{b.port}",
        f"127.0.0.1:{b.port}",
        f"localhost:{b.port}",
        f"127.0.0.1:{b.port}",
    ]


async def test_a_slash_or_query_ends_the_authority_before_any_at_sign(
    backend, scripted_server
):
    a = RecordingServer(scripted_server)
    b = RecordingServer(scripted_server)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        for text in (
            f"http://127.0.0.1:{a.port}/x@127.0.0.1:{b.port}/",
            f"http://127.0.0.1:{a.port}?@127.0.0.1:{b.port}/",
            f"http://127.0.0.1:{a.port}#@127.0.0.1:{b.port}/",
        ):
            url = httpcore.URL(text)
            assert (url.host, url.port) == ("127.0.0.1", a.port)
            response = await pool.request("GET", url)
            assert response.content == b"ok"
    assert b.connections == 0
    assert a.paths() == [f"/x@127.0.0.1:{b.port}/", "/?@127.0.0.1:" + f"{b.port}/", "/"]


async def test_numeric_hosts_connect_to_the_address_they_name(backend, scripted_server):
    # getaddrinfo reads all of these as 127.0.0.1: so must `url.host`, or a
    # check of the host would not be a check of where the bytes go.
    a = RecordingServer(scripted_server)
    forms = ["2130706433", "127.1", "0x7f.1", "0177.0.0.1", "127.0.0.1.", "0x7f000001"]
    async with httpcore.AsyncClient(backend=backend) as client:
        for form in forms:
            url = httpcore.URL(f"http://{form}:{a.port}/")
            assert url.host == "127.0.0.1", form
            response = await client.get(url)
            assert response.url.host == "127.0.0.1"
    hosts = [dict(fields_of(head))["host"] for head in a.heads]
    assert hosts == [f"127.0.0.1:{a.port}"] * len(forms)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http:////h", "No host"),
        ("http://a@//b", "No host"),
        ("http://@/", "No host"),
        ("http://:80/", "No host"),
        ("http://h\\@evil/", "'\\\\\\\\'"),
        ("http://evil\\@127.0.0.1/", "'\\\\\\\\'"),
        ("http://127.0.0.1\\.evil/", "'\\\\\\\\'"),
        ("http://a b/", "Invalid character ' ' in host"),
        ("http://a%2fb/", "Invalid character '%' in host"),
        ("http://a\tb/", "Invalid character '\\\\t' in host"),
        ("http://[::1/", "no closing"),
        ("http://[::1]x/", "junk after"),
        ("http://[127.0.0.1]/", "Invalid IPv6"),
        ("http://[::1%25eth0]/", "zone"),
        ("http://1.2.3.4.5/", "Invalid IPv4"),
        ("http://1.2.3.256/", "Invalid IPv4"),
        ("http://example.09/", "Invalid IPv4"),
        ("http://4294967296/", "Invalid IPv4"),
        ("http://h:-1/", "Invalid port"),
        ("http://h:65536/", "Invalid port"),
        ("http://h:99999999999999999999/", "Invalid port"),
        ("http://h:8O/", "Invalid port"),
        ("http://h:+80/", "Invalid port"),
        ("http://h: 80/", "Invalid port"),
        ("http://h:0x50/", "Invalid port"),
        ("http://h:\u0668\u0660/", "Invalid port"),  # Arabic-Indic "80"
        ("http://h:\u00b2/", "Invalid port"),  # superscript two
        ("http://h:80:80/", "Invalid port"),
        ("http://\u2100/", "Invalid IDNA"),  # maps to "a/c"
        ("http://\uff05.com/", "Invalid IDNA"),  # maps to "%"
        ("http://ex\uff20ample.com/", "Invalid IDNA"),  # maps to "@"
        ("http://\uff1a80/", "Invalid IDNA"),  # maps to ":"
        ("http://a\u200d.com/", "Invalid IDNA"),  # a joiner out of context
        ("http://ab--c\u00e9.com/", "Invalid IDNA"),
        ("http://-\u00e9.com/", "Invalid IDNA"),
        ("http://\u0301a.com/", "Invalid IDNA"),
        ("http://\ufffd.com/", "Invalid IDNA"),
        ("http://" + "\u00e9" * 64 + ".com/", "Invalid IDNA"),  # label too long
    ],
)
def test_hostile_urls_are_refused(url, message):
    with pytest.raises(httpcore.InvalidURL, match=message):
        httpcore.URL(url)


async def test_hostile_urls_are_refused_before_connecting(
    backend, scripted_server, no_fd_leak
):
    a = RecordingServer(scripted_server)
    bad = [
        f"http:////127.0.0.1:{a.port}/",
        f"http://x@//127.0.0.1:{a.port}/",
        f"http://127.0.0.1:{a.port}\\@127.0.0.1:{a.port}/",
        f"http://127.0.0.1:{a.port}0/",
        f"http://127.0.0.1:-{a.port}/",
        f"http://127.0.0.1.1.1:{a.port}/",
    ]
    async with httpcore.AsyncClient(backend=backend) as client:
        for url in bad:
            with pytest.raises(httpcore.InvalidURL):
                await client.get(url)
            # A Location is user input too, the server's: same rules.
            with pytest.raises(httpcore.RemoteProtocolError, match="Invalid URL"):
                await client.get(a.url + "/hop", params={"to": url})
        info = client._dispatch.pool_info()
        assert info["active"] == 0 and info["connecting"] == 0
    # The server saw the redirecting requests only: none of the bad URLs.
    assert len(a.heads) == len(bad)
    assert all(path.startswith("/hop?") for path in a.paths())


@pytest.mark.parametrize(
    "host",
    [
        "ex\uff0eample.com",  # fullwidth full stop
        "x\u3002y",  # ideographic full stop
        "\uff11\uff12\uff17.\uff10.\uff10.\uff11",  # fullwidth digits
        "a\u0301.com",
        "B\u00dcCHER.example",
    ],
)
def test_idna_hosts_map_to_one_checked_ascii_host(host):
    url = httpcore.URL(f"http://{host}/")
    assert url.host.isascii()
    assert set(url.host) <= set("abcdefghijklmnopqrstuvwxyz0123456789-.")
    assert httpcore.URL(str(url)).host == url.host
    assert str(url) == f"http://{url.host}/"


# --- huge inputs: linear time, as a bound ---------------------------------------


@pytest.mark.timeout(5)
def test_huge_hosts_parse_or_fail_in_linear_time():
    big = 100 * ONE_KB
    assert httpcore.URL(f"http://{'a' * big}/").host == "a" * big
    assert len(httpcore.URL(f"http://{'a.' * (big // 2)}b/").host) == big + 1
    for host in (
        "\u00e9" * big,
        "[" * big,
        "[" + ":" * big + "]",
        "1." * big,
        "9" * big,
        "0x" + "f" * big,
        "0" * big,
        ":" * big,
        "%" * big,
    ):
        with pytest.raises(httpcore.InvalidURL):
            httpcore.URL(f"http://{host}/")


@pytest.mark.timeout(10)
def test_huge_userinfo_paths_and_queries_parse_in_linear_time():
    n = 100_000
    url = httpcore.URL("http://" + "@" * n + "127.0.0.1/")
    assert url.host == "127.0.0.1"
    assert url.userinfo == "%40" * (n - 1)
    mb = 1024 * ONE_KB
    for path in ("/" * mb, "a" * mb, "%" * mb, "%4" * (mb // 2), "\u00e9" * mb):
        url = httpcore.URL("http://h/" + path)
        assert httpcore.URL(str(url)) == url
    url = httpcore.URL("http://h/?" + "a=b&" * (mb // 16))
    assert len(url.params.get_list("a")) == mb // 16
    base = httpcore.URL("http://h/" + "a/" * (mb // 2))
    assert base.join("../" * (mb // 2) + "x").path == "/x"
    assert httpcore.URL("http://h/" + "./" * (mb // 2)).path == "/" + "./" * (mb // 2)
    left = mb // 2 - mb // 3
    assert base.join("." + "/.." * (mb // 3)).path == "/" + "a/" * left
    with pytest.raises(httpcore.InvalidURL):
        httpcore.URL("http://h:" + "1" * mb + "/")
    with pytest.raises(httpcore.InvalidURL):
        httpcore.URL("http://" + "h\\" * (mb // 2) + "/")


# --- properties -----------------------------------------------------------------

IPV4 = st.integers(0, 2**32 - 1)


def spellings(value: int, rng: random.Random) -> str:
    """One of the ways `inet_aton` accepts to write `value`."""
    octets = list(value.to_bytes(4, "big"))
    parts_count = rng.choice([1, 2, 3, 4])
    head = octets[: parts_count - 1]
    tail = int.from_bytes(bytes(octets[parts_count - 1 :]), "big")

    def spell(number: int) -> str:
        form = rng.choice(["dec", "hex", "oct"])
        if form == "hex":
            return hex(number)
        if form == "oct":
            return "0" + oct(number)[2:]
        return str(number)

    return ".".join([*map(spell, head), spell(tail)])


@settings(max_examples=150, deadline=None)
@given(IPV4, st.randoms(use_true_random=False))
def test_any_inet_aton_spelling_is_the_dotted_address(value, rng):
    host = spellings(value, rng)
    assert httpcore.URL(f"http://{host}/").host == str(ipaddress.IPv4Address(value))


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_any_accepted_authority_has_a_host_of_safe_characters(authority):
    try:
        url = httpcore.URL(f"http://{authority}/")
    except httpcore.InvalidURL:
        return
    # What is connected to can hold no delimiter another parser would split on.
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:")
    assert set(url.host) <= allowed
    if ":" in url.host:
        ipaddress.IPv6Address(url.host)
    again = httpcore.URL(str(url))
    assert (again.host, again.port, again.userinfo) == (
        url.host,
        url.port,
        url.userinfo,
    )
