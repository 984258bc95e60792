"""
`check_request` and `check_header_fields`: what is refused before any byte
is sent, and that remembering the fields that passed lets nothing bad by.
No network.
"""

from __future__ import annotations

import pytest

import httpcore
from httpcore._request import (
    _CHECKED_FIELDS,
    _CHECKED_MAX,
    Request,
    check_header_fields,
    check_request,
)

URL = "http://example.org/"


def test_a_lone_empty_header_name_is_refused():
    with pytest.raises(httpcore.LocalProtocolError, match="Invalid header name b''"):
        check_header_fields([(b"", b"")])
    with pytest.raises(httpcore.LocalProtocolError, match="Invalid header name b''"):
        check_request(Request("GET", URL, headers=[(b"", b"x")]))


def test_no_header_fields_pass():
    check_header_fields([])


def test_a_bad_value_is_refused_under_a_name_that_passed_before():
    good = Request("GET", URL, headers={"X-Token": "abc"})
    check_request(good)
    check_request(good)  # the same fields again: remembered, still fine
    bad = Request("GET", URL, headers={"X-Token": "abc\r\nX-Evil: 1"})
    with pytest.raises(httpcore.LocalProtocolError, match="'X-Token'") as info:
        check_request(bad)
    assert info.value.request is bad
    with pytest.raises(httpcore.LocalProtocolError, match="'X-Token'"):
        check_request(bad)  # refused every time: never remembered


def test_a_bad_name_is_refused_beside_fields_that_passed_before():
    check_request(Request("GET", URL, headers={"Accept": "*/*"}))
    bad = Request("GET", URL, headers=[("Accept", "*/*"), ("Bad Name", "x")])
    with pytest.raises(httpcore.LocalProtocolError, match="Invalid header name"):
        check_request(bad)


def test_known_and_other_token_methods_pass_and_a_non_token_is_refused():
    for method in ("GET", "DELETE", "PROPFIND", "M-SEARCH"):
        check_request(Request(method, URL))
    with pytest.raises(httpcore.LocalProtocolError, match="Invalid HTTP method"):
        check_request(Request("GE T", URL))


def test_the_fields_remembered_stay_few_and_short():
    long_value = "v" * 5000
    check_request(Request("GET", URL, headers={"X-Long": long_value}))
    assert all(len(entry[2]) <= 1024 for entry in _CHECKED_FIELDS)
    for number in range(3 * _CHECKED_MAX):
        check_request(Request("GET", URL, headers={"X-Id": str(number)}))
        assert len(_CHECKED_FIELDS) <= _CHECKED_MAX + 2


def test_credentials_are_checked_but_never_remembered():
    headers = {
        "Authorization": "Bearer s3cret",
        "Proxy-Authorization": "Basic cHJveHk6cw==",
        "Cookie": "session=s3cret",
        "Accept": "*/*",
    }
    check_request(Request("GET", URL, headers=headers))
    remembered = {entry[1] for entry in _CHECKED_FIELDS}
    assert b"accept" in remembered
    assert not remembered & {b"authorization", b"proxy-authorization", b"cookie"}
    bad = Request("GET", URL, headers={"Authorization": "Bearer a\r\nX-Evil: 1"})
    with pytest.raises(httpcore.LocalProtocolError, match="'Authorization'"):
        check_request(bad)
