"""Unit tests for `Headers` (no I/O)."""

from __future__ import annotations

import typing

import pytest

from httpcore._headers import Headers

# ---------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------


def test_empty_headers() -> None:
    headers = Headers()
    assert len(headers) == 0
    assert headers.raw == []
    assert list(headers) == []
    assert Headers(None) == headers


def test_from_mapping() -> None:
    headers = Headers({"Content-Type": "text/html", "X-Id": "1"})
    assert headers.raw == [(b"Content-Type", b"text/html"), (b"X-Id", b"1")]


def test_from_pairs_keeps_case_order_and_repeats() -> None:
    pairs = [("Set-Cookie", "a=1"), ("Host", "x"), ("set-cookie", "b=2")]
    headers = Headers(pairs)
    assert headers.raw == [
        (b"Set-Cookie", b"a=1"),
        (b"Host", b"x"),
        (b"set-cookie", b"b=2"),
    ]
    assert Headers(tuple(pairs)).raw == headers.raw


def test_from_bytes_and_mixed_pairs() -> None:
    headers = Headers([(b"A", b"1"), ("B", b"2"), (b"C", "3")])
    assert headers.raw == [(b"A", b"1"), (b"B", b"2"), (b"C", b"3")]


def test_from_headers_copies() -> None:
    original = Headers({"a": "1"})
    copy = Headers(original)
    copy["b"] = "2"
    assert "b" not in original
    assert copy.raw == [(b"a", b"1"), (b"b", b"2")]


def test_from_headers_keeps_the_explicit_encoding_unless_given() -> None:
    original = Headers({"a": "1"}, encoding="latin-1")
    assert Headers(original).encoding == "latin-1"
    assert Headers(original, encoding="utf-8").encoding == "utf-8"


def test_non_ascii_str_value_is_utf8_encoded() -> None:
    headers = Headers({"X-Name": "é"})
    assert headers.raw == [(b"X-Name", "é".encode())]
    assert headers["x-name"] == "é"


def test_non_ascii_str_name_is_utf8_encoded() -> None:
    assert Headers({"é": "1"}).raw == [("é".encode(), b"1")]


def test_explicit_encoding_encodes_str() -> None:
    headers = Headers([("X", "é")], encoding="iso-8859-1")
    assert headers.raw == [(b"X", b"\xe9")]
    assert headers["x"] == "é"


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([(1, "a")], "names must be str or bytes, not int"),
        ([("a", 1)], "values must be str or bytes, not int"),
        ([("a", None)], "values must be str or bytes, not NoneType"),
        ({"a": ["x"]}, "values must be str or bytes, not list"),
    ],
)
def test_non_str_or_bytes_is_a_type_error(pairs: typing.Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Headers(pairs)
    with pytest.raises(TypeError, match=message):
        Headers(pairs, encoding="utf-8")


def test_cr_lf_are_not_validated_here() -> None:
    headers = Headers({"a": "x\r\ny"})
    assert headers.raw == [(b"a", b"x\r\ny")]


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def test_getitem_is_case_insensitive_and_joins_values() -> None:
    headers = Headers([("Accept", "text/html"), ("ACCEPT", "*/*"), ("Host", "x")])
    assert headers["accept"] == "text/html, */*"
    assert headers["Accept"] == headers["ACCEPT"] == headers[b"aCcEpT"]
    assert headers["host"] == "x"


def test_getitem_missing_is_key_error() -> None:
    with pytest.raises(KeyError):
        Headers()["missing"]


def test_get() -> None:
    headers = Headers({"a": "1"})
    assert headers.get("A") == "1"
    assert headers.get(b"a") == "1"
    assert headers.get("b") is None
    assert headers.get("b", "default") == "default"


def test_get_list() -> None:
    headers = Headers([("Vary", "a, b"), ("vary", "c,, d ")])
    assert headers.get_list("vary") == ["a, b", "c,, d "]
    assert headers.get_list("VARY", split_commas=True) == ["a", "b", "c", "d"]
    assert headers.get_list("missing") == []
    assert headers.get_list("missing", split_commas=True) == []


def test_keys_values_items() -> None:
    headers = Headers([("B", "1"), ("a", "2"), ("b", "3")])
    assert list(headers.keys()) == ["b", "a"]
    assert list(headers.values()) == ["1, 3", "2"]
    assert list(headers.items()) == [("b", "1, 3"), ("a", "2")]
    assert list(headers) == ["b", "a"]
    assert len(headers) == 2
    assert dict(headers) == {"b": "1, 3", "a": "2"}


def test_multi_items_and_raw_lower() -> None:
    headers = Headers([("B", "1"), ("a", "2"), ("b", "3")])
    assert headers.multi_items() == [("b", "1"), ("a", "2"), ("b", "3")]
    assert headers.raw_lower == [(b"b", b"1"), (b"a", b"2"), (b"b", b"3")]
    assert headers.raw == [(b"B", b"1"), (b"a", b"2"), (b"b", b"3")]


def test_get_raw() -> None:
    headers = Headers([("Content-Length", "10"), ("content-length", "11")])
    assert headers.get_raw(b"content-length") == b"10"
    assert headers.get_raw(b"host") is None


def test_contains() -> None:
    headers = Headers({"Content-Type": "x"})
    assert "content-type" in headers
    assert "CONTENT-TYPE" in headers
    assert b"Content-Type" in headers
    assert "host" not in headers
    assert headers.__contains__(1) is False
    assert headers.__contains__(None) is False


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------


def test_encoding_is_ascii_when_everything_is() -> None:
    assert Headers({"a": "b"}).encoding == "ascii"


def test_encoding_is_utf8_when_that_decodes() -> None:
    headers = Headers([(b"a", "é".encode())])
    assert headers.encoding == "utf-8"
    assert headers["a"] == "é"


def test_encoding_falls_back_to_latin1() -> None:
    headers = Headers([(b"a", b"\xe9\xff")])
    assert headers.encoding == "iso-8859-1"
    assert headers["a"] == "éÿ"


def test_encoding_guess_looks_at_names_too() -> None:
    assert Headers([(b"\xe9", b"a")]).encoding == "iso-8859-1"


def test_encoding_can_be_set() -> None:
    headers = Headers([(b"a", "é".encode())])
    headers.encoding = "iso-8859-1"
    assert headers.encoding == "iso-8859-1"
    assert headers["a"] == "Ã©"


@pytest.mark.parametrize(
    "change",
    [
        lambda h: h.__setitem__("b", b"\xe9"),
        lambda h: h.update({b"b": b"\xe9"}),
        lambda h: h.__delitem__("a"),
    ],
)
def test_encoding_guess_follows_changes(
    change: typing.Callable[[Headers], None],
) -> None:
    headers = Headers([(b"a", "é".encode())])
    assert headers.encoding == "utf-8"
    change(headers)
    assert headers.encoding != "utf-8"


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def test_setitem_appends_a_new_name() -> None:
    headers = Headers({"a": "1"})
    headers["B"] = "2"
    assert headers.raw == [(b"a", b"1"), (b"B", b"2")]


def test_setitem_replaces_all_values_at_the_first_position() -> None:
    headers = Headers([("x", "1"), ("a", "0"), ("X", "2"), ("b", "3"), ("x", "4")])
    headers["X"] = b"new"
    assert headers.raw == [(b"X", b"new"), (b"a", b"0"), (b"b", b"3")]


def test_delitem_removes_every_value() -> None:
    headers = Headers([("x", "1"), ("a", "0"), ("X", "2")])
    del headers["x"]
    assert headers.raw == [(b"a", b"0")]
    with pytest.raises(KeyError):
        del headers["x"]


def test_update_replaces_each_name_with_all_its_values() -> None:
    headers = Headers([("a", "1"), ("b", "2"), ("a", "3")])
    headers.update(Headers([("A", "x"), ("c", "y"), ("a", "z")]))
    assert headers.raw == [(b"A", b"x"), (b"a", b"z"), (b"b", b"2"), (b"c", b"y")]


def test_update_with_mapping_pairs_and_none() -> None:
    headers = Headers({"a": "1"})
    headers.update({"b": "2"})
    headers.update([("a", "3")])
    headers.update(None)
    assert headers.raw == [(b"a", b"3"), (b"b", b"2")]


def test_update_uses_the_explicit_encoding() -> None:
    headers = Headers(encoding="iso-8859-1")
    headers.update({"a": "é"})
    assert headers.raw == [(b"a", b"\xe9")]


def test_mutable_mapping_helpers_work() -> None:
    headers = Headers({"a": "1", "b": "2"})
    assert headers.pop("a") == "1"
    assert headers.setdefault("c", "3") == "3"
    headers.clear()
    assert len(headers) == 0


def test_copy_is_independent() -> None:
    headers = Headers({"a": "1"}, encoding="utf-8")
    copy = headers.copy()
    copy["a"] = "2"
    assert headers["a"] == "1"
    assert copy["a"] == "2"
    assert copy.encoding == "utf-8"


# ---------------------------------------------------------------------------
# Equality and repr
# ---------------------------------------------------------------------------


def test_equality_is_case_insensitive_on_names_and_order_insensitive() -> None:
    headers = Headers([("A", "1"), ("b", "2")])
    assert headers == Headers([("b", "2"), ("a", "1")])
    assert headers == {"a": "1", "B": "2"}
    assert headers == [("a", "1"), ("b", "2")]
    assert headers == (("a", "1"), ("b", "2"))
    assert headers != Headers([("a", "1")])
    assert headers != Headers([("a", "1"), ("b", "3")])
    assert Headers({"a": "X"}) != Headers({"a": "x"})


def test_equality_with_repeated_values() -> None:
    assert Headers([("a", "1"), ("a", "2")]) == Headers([("A", "2"), ("a", "1")])
    assert Headers([("a", "1"), ("a", "2")]) != Headers([("a", "1, 2")])


def test_equality_with_unconvertible_values_is_false() -> None:
    assert Headers({"a": "1"}) != {"a": 1}
    assert Headers({"a": "1"}) != [("a", "1", "extra")]


def test_equality_with_other_types_is_not_implemented() -> None:
    assert Headers() != 1
    assert Headers() != "a: 1"
    assert Headers().__eq__("a: 1") is NotImplemented


def test_headers_are_not_hashable() -> None:
    with pytest.raises(TypeError):
        hash(Headers())


def test_repr_uses_a_dict_when_names_are_unique() -> None:
    assert repr(Headers({"A": "1"})) == "Headers({'a': '1'})"


def test_repr_uses_pairs_when_names_repeat() -> None:
    headers = Headers([("a", "1"), ("a", "2")])
    assert repr(headers) == "Headers([('a', '1'), ('a', '2')])"


def test_repr_shows_an_explicit_encoding() -> None:
    headers = Headers({"a": "1"}, encoding="utf-8")
    assert repr(headers) == "Headers([('a', '1')], encoding='utf-8')"


def test_repr_hides_credentials() -> None:
    headers = Headers(
        {"Authorization": "Basic c2VjcmV0", "Proxy-Authorization": "x", "a": "1"}
    )
    text = repr(headers)
    assert "c2VjcmV0" not in text
    assert text == (
        "Headers({'authorization': '[secure]', "
        "'proxy-authorization': '[secure]', 'a': '1'})"
    )


def test_headers_use_slots() -> None:
    with pytest.raises(AttributeError):
        Headers().anything = 1  # type: ignore[attr-defined]
