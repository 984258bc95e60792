"""
`QueryParams`: an immutable multi-dict of query string parameters.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

__all__ = ["PrimitiveData", "QueryParamTypes", "QueryParams"]

PrimitiveData = str | int | float | bool | None
QueryParamTypes = typing.Union[
    "QueryParams",
    typing.Mapping[str, PrimitiveData | typing.Sequence[PrimitiveData]],
    typing.Sequence[tuple[str, PrimitiveData]],
    str,
]


def primitive_value(value: object) -> str:
    """A query or form value as text: booleans as true/false, None as ""."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    kind = type(value).__name__
    raise TypeError(
        f"Query and form values must be str, int, float, bool or None, not {kind}."
    )


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"Query parameter names must be str, not {type(key).__name__}.")
    return key


class QueryParams(typing.Mapping[str, str]):
    """
    An immutable multi-dict of query parameters.

    ```python
    q = QueryParams("a=1&a=2&b=")
    q["a"]              # "1" (the first value)
    q.get_list("a")     # ["1", "2"]
    str(q.merge({"b": True}))  # "a=1&a=2&b=true"
    ```

    Built from a query string, a mapping (values may be lists), a sequence of
    pairs or another `QueryParams`. Values may be str, int, float, bool
    (`"true"` / `"false"`) or None (`""`).
    """

    __slots__ = ("_dict", "_list")

    def __init__(self, params: QueryParamTypes | None = None) -> None:
        items: list[tuple[str, str]]
        if params is None:
            items = []
        elif isinstance(params, QueryParams):
            items = params._list
        elif isinstance(params, str):
            items = parse_qsl(
                params[1:] if params.startswith("?") else params, keep_blank_values=True
            )
        elif isinstance(params, Mapping):
            items = []
            for key, value in params.items():
                if isinstance(value, (list, tuple)):
                    items.extend((_key(key), primitive_value(v)) for v in value)
                else:
                    items.append((_key(key), primitive_value(value)))
        elif isinstance(params, (list, tuple)):
            items = [(_key(key), primitive_value(value)) for key, value in params]
        else:
            raise TypeError(f"Cannot build QueryParams from {type(params).__name__}.")
        self._list: list[tuple[str, str]] = items
        self._dict: dict[str, list[str]] = {}
        for key, value in items:
            self._dict.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> str:
        return self._dict[key][0]

    def get_list(self, key: str) -> list[str]:
        """All values of `key`, in order; `[]` when absent."""
        return list(self._dict.get(key, ()))

    def multi_items(self) -> list[tuple[str, str]]:
        """Every (key, value) pair, in order."""
        return list(self._list)

    def merge(self, params: QueryParamTypes | None = None) -> QueryParams:
        """
        Return new params where each key of `params` replaces all values of
        that key here (in the place of its first occurrence); new keys are
        appended.
        """
        other = params if isinstance(params, QueryParams) else QueryParams(params)
        items: list[tuple[str, str]] = []
        done: set[str] = set()
        for key, value in self._list:
            if key not in other._dict:
                items.append((key, value))
            elif key not in done:
                done.add(key)
                items.extend((key, v) for v in other._dict[key])
        items.extend(item for item in other._list if item[0] not in done)
        return QueryParams(items)

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __iter__(self) -> typing.Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __bool__(self) -> bool:
        return bool(self._list)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, QueryParams):
            return sorted(self._list) == sorted(other._list)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._list)))

    def __str__(self) -> str:
        return urlencode(self._list)

    def __repr__(self) -> str:
        return f"QueryParams({str(self)!r})"
