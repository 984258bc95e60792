"""
URLs parsed once and reused: the parse cache behind `URL(str)`, and a
`Request` keeping the `URL` it is given. Reuse must never change a result.
"""

from __future__ import annotations

import pytest

import httpcore
from httpcore._exceptions import InvalidURL
from httpcore._urls import _MAX_CACHED, URL


def test_the_same_text_parses_to_equal_urls() -> None:
    text = "HTTP://Example.ORG:8080/a b?q=1#f"
    first, second = URL(text), URL(text)
    assert first == second
    assert str(first) == str(second) == "http://example.org:8080/a%20b?q=1#f"
    assert (first.host, first.port, first.path) == ("example.org", 8080, "/a%20b")


def test_an_invalid_url_raises_every_time() -> None:
    for _ in range(3):
        with pytest.raises(InvalidURL, match="Invalid port"):
            URL("http://example.org:99999/")


def test_a_relative_url_parsed_before_is_still_refused_when_absolute() -> None:
    assert URL("/path?q", allow_relative=True).path == "/path"
    with pytest.raises(InvalidURL, match="No scheme"):
        URL("/path?q")


def test_a_url_past_the_cache_limit_parses_the_same() -> None:
    query = "q=" + "x" * _MAX_CACHED
    long = URL(f"https://example.org/p?{query}")
    assert long.query == query
    assert URL(str(long)) == long
    with pytest.raises(InvalidURL, match="Invalid character"):
        URL(f"https://example.org/\n?{query}")


def test_params_are_merged_into_a_url_given_as_text() -> None:
    url = URL("http://h/?a=1&b=2", params={"a": "3"})
    assert str(url) == "http://h/?a=3&b=2"
    assert str(URL("http://h/?a=1&b=2")) == "http://h/?a=1&b=2"


def test_a_request_keeps_the_url_object_it_is_given() -> None:
    url = URL("https://example.org/x")
    request = httpcore.Request("GET", url)
    assert request.url is url
    assert request.headers["host"] == "example.org"
    with_params = httpcore.Request("GET", url, params={"a": "1"})
    assert str(with_params.url) == "https://example.org/x?a=1"
    assert str(url) == "https://example.org/x"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://h:80/", "h"),
        ("http://h:8080/", "h:8080"),
        ("https://[::1]:443/", "[::1]"),
        ("https://[::1]:8443/", "[::1]:8443"),
        ("https://h:80/", "h:80"),
    ],
)
def test_the_host_header_has_the_port_only_when_not_the_default(
    url: str, host: str
) -> None:
    assert httpcore.Request("GET", url).headers["host"] == host
