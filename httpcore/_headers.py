"""
`Headers`: the case-insensitive multi-dict of request and response headers.

Headers are stored once, as a list of `(raw name, lower-case name, value)`
bytes triples: the raw form is what goes on the wire (original case and
order), the lower-case name serves every lookup, and str views are decoded
on demand. Building one is a single loop with no regular expressions, as it
happens for every request and response. CR and LF are not checked here: the
dispatcher refuses them with its own error before anything is sent.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping

__all__ = ["HeaderTypes", "Headers"]

HeaderTypes = typing.Union[
    "Headers",
    typing.Mapping[str, str | bytes],
    typing.Mapping[bytes, str | bytes],
    typing.Sequence[tuple[str | bytes, str | bytes]],
]

_SECURE = frozenset({"authorization", "proxy-authorization"})
_Entry = tuple[bytes, bytes, bytes]  # (raw name, lower-case name, value)


def _to_bytes(text: str | bytes, what: str, encoding: str | None) -> bytes:
    if isinstance(text, bytes):
        return text
    if isinstance(text, str):
        if encoding is not None:
            return text.encode(encoding)
        try:
            return text.encode("ascii")
        except UnicodeEncodeError:
            return text.encode("utf-8")
    raise TypeError(f"Header {what}s must be str or bytes, not {type(text).__name__}.")


class Headers(typing.MutableMapping[str | bytes, str]):
    """
    A case-insensitive multi-dict of HTTP headers.

    ```python
    h = Headers([("Accept", "text/html"), ("accept", "*/*")])
    h["ACCEPT"]           # "text/html, */*"
    h.get_list("accept")  # ["text/html", "*/*"]
    h.raw                 # [(b"Accept", b"text/html"), (b"accept", b"*/*")]
    ```

    Built from a mapping, a sequence of pairs or another `Headers`; names
    and values may be `str` or `bytes`. str is encoded as ASCII, else UTF-8
    (or as `encoding` when it is given). Values read back as str are decoded
    with `encoding`.
    """

    __slots__ = ("_encoding", "_guessed", "_list")

    def __init__(
        self, headers: HeaderTypes | None = None, encoding: str | None = None
    ) -> None:
        self._list: list[_Entry] = []
        self._encoding = encoding
        self._guessed: str | None = None
        if headers is None:
            return
        if isinstance(headers, Headers):
            self._list = list(headers._list)
            if encoding is None:
                self._encoding = headers._encoding
            return
        if type(headers) is list:
            # bytes pairs, as a dispatcher gives them: one comprehension.
            entries = [
                (name, name.lower(), value)
                for name, value in headers
                if type(name) is bytes and type(value) is bytes
            ]
            if len(entries) == len(headers):
                self._list = entries
                return
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        append = self._list.append
        for name, value in pairs:
            # Inline the common cases: bytes, or ASCII str with no encoding set.
            if type(name) is bytes:
                raw = name
            elif encoding is None and type(name) is str and name.isascii():
                raw = name.encode()
            else:
                raw = _to_bytes(name, "name", encoding)
            if type(value) is not bytes:
                if encoding is None and type(value) is str and value.isascii():
                    value = value.encode()
                else:
                    value = _to_bytes(value, "value", encoding)
            append((raw, raw.lower(), value))

    def _lower(self, key: str | bytes) -> bytes:
        if type(key) is str and self._encoding is None and key.isascii():
            return key.lower().encode()  # the common case, inlined
        return _to_bytes(key, "name", self._encoding).lower()

    def _decode(self, data: bytes) -> str:
        return data.decode(self.encoding)

    @property
    def encoding(self) -> str:
        """
        The charset used to decode names and values to str: the one set or
        given, else `"ascii"` if they all are, else `"utf-8"` if they all
        decode as UTF-8, else `"iso-8859-1"`.
        """
        if self._encoding is not None:
            return self._encoding
        if self._guessed is None:
            self._guessed = self._guess_encoding()
        return self._guessed

    @encoding.setter
    def encoding(self, value: str) -> None:
        self._encoding = value

    def _guess_encoding(self) -> str:
        if all(raw.isascii() and value.isascii() for raw, _, value in self._list):
            return "ascii"
        try:
            for raw, _, value in self._list:
                raw.decode("utf-8")
                value.decode("utf-8")
        except UnicodeDecodeError:
            return "iso-8859-1"
        return "utf-8"

    def _changed(self) -> None:
        self._guessed = None

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        """Every `(name, value)` as bytes, in original case and order."""
        return [(raw, value) for raw, _, value in self._list]

    @property
    def raw_lower(self) -> list[tuple[bytes, bytes]]:
        """Every `(lower-case name, value)` as bytes, in order (for HTTP/2)."""
        return [(lower, value) for _, lower, value in self._list]

    def get_raw(self, lower_name: bytes) -> bytes | None:
        """The first value of `lower_name` (already lower case), or None."""
        for _, lower, value in self._list:
            if lower == lower_name:
                return value
        return None

    def _joined(self) -> dict[str, str]:
        joined: dict[str, str] = {}
        for _, lower, value in self._list:
            name, text = self._decode(lower), self._decode(value)
            joined[name] = f"{joined[name]}, {text}" if name in joined else text
        return joined

    def keys(self) -> typing.KeysView[str]:
        """The distinct lower-case names, in the order first seen."""
        return self._joined().keys()

    def values(self) -> typing.ValuesView[str]:
        """For each of `keys()`, its values joined with `", "`."""
        return self._joined().values()

    def items(self) -> typing.ItemsView[str, str]:
        """`(name, joined values)` for each of `keys()`."""
        return self._joined().items()

    def multi_items(self) -> list[tuple[str, str]]:
        """Every `(lower-case name, value)` as str, in order."""
        return [(self._decode(lower), self._decode(v)) for _, lower, v in self._list]

    def get(self, key: str | bytes, default: typing.Any = None) -> typing.Any:
        """The values of `key` joined with `", "`, or `default` if absent."""
        try:
            return self[key]
        except KeyError:
            return default

    def get_list(self, key: str | bytes, split_commas: bool = False) -> list[str]:
        """
        Every value of `key`, in order. With `split_commas`, each value is
        also split at commas (for list-valued headers), dropping empty items.
        """
        lower_key = self._lower(key)
        values = [self._decode(v) for _, lower, v in self._list if lower == lower_key]
        if not split_commas:
            return values
        items = (item.strip() for value in values for item in value.split(","))
        return [item for item in items if item]

    def update(self, headers: HeaderTypes | None = None) -> None:  # type: ignore[override]
        """
        Replace, for each name in `headers`, all of our values by all of its
        values; names we lack are appended.
        """
        if headers is None:
            return
        other = Headers(headers, self._encoding)
        grouped: dict[bytes, list[_Entry]] = {}
        for entry in other._list:
            grouped.setdefault(entry[1], []).append(entry)
        for lower, entries in grouped.items():
            self._replace(lower, entries)

    def copy(self) -> Headers:
        """A shallow copy, with the same explicit encoding."""
        return Headers(self, self._encoding)

    def _replace(self, lower_key: bytes, entries: list[_Entry]) -> None:
        """Put `entries` where `lower_key` first appears, dropping its others."""
        kept: list[_Entry] = []
        position = -1
        for entry in self._list:
            if entry[1] != lower_key:
                kept.append(entry)
            elif position < 0:
                position = len(kept)
        if position < 0:
            position = len(kept)
        kept[position:position] = entries
        self._list = kept
        self._changed()

    def __getitem__(self, key: str | bytes) -> str:
        lower_key = self._lower(key)
        values = [self._decode(v) for _, lower, v in self._list if lower == lower_key]
        if not values:
            raise KeyError(key)
        return ", ".join(values)

    def __setitem__(self, key: str | bytes, value: str | bytes) -> None:
        raw = _to_bytes(key, "name", self._encoding)
        entry = (raw, raw.lower(), _to_bytes(value, "value", self._encoding))
        self._replace(entry[1], [entry])

    def __delitem__(self, key: str | bytes) -> None:
        lower_key = self._lower(key)
        kept = [entry for entry in self._list if entry[1] != lower_key]
        if len(kept) == len(self._list):
            raise KeyError(key)
        self._list = kept
        self._changed()

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, (str, bytes)):
            return False
        lower_key = self._lower(key)
        for entry in self._list:  # noqa: SIM110 - any() over a generator is slower
            if entry[1] == lower_key:
                return True
        return False

    def __iter__(self) -> typing.Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len({lower for _, lower, _ in self._list})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            other_headers = other
        elif isinstance(other, (Mapping, list, tuple)):
            try:
                other_headers = Headers(other)
            except (TypeError, ValueError):
                return False
        else:
            return NotImplemented
        return sorted(self.raw_lower) == sorted(other_headers.raw_lower)

    def __repr__(self) -> str:
        items = [
            (name, "[secure]" if name in _SECURE else value)
            for name, value in self.multi_items()
        ]
        if self._encoding is not None:
            return f"Headers({items!r}, encoding={self._encoding!r})"
        if len({name for name, _ in items}) == len(items):
            return f"Headers({dict(items)!r})"
        return f"Headers({items!r})"
