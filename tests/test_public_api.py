"""
The public surface: `httpcore.__all__`. Every name in it is exported, is
documented (a docstring, and an entry on the API reference page of the
site), and is typed (annotations on every parameter and return of its public
callables, and `py.typed` shipped, so that mypy sees them).
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import httpcore

ROOT = Path(__file__).resolve().parents[1]
API_PAGE = ROOT / "docs" / "api.md"
PUBLIC = sorted(httpcore.__all__)
# Names that are values, not classes or functions: their type documents them.
VALUES = {"DEFAULT_POOL_LIMITS", "DEFAULT_TIMEOUT", "__version__"}


def public_callables(name: str) -> list[tuple[str, typing.Callable[..., object]]]:
    """The function `name`, or the class's own public methods and properties
    (its `__init__` included, and those it inherits from httpcore's classes)."""
    obj = getattr(httpcore, name)
    if inspect.isfunction(obj):
        return [(name, obj)]
    found = []
    for cls in inspect.getmro(obj):
        if not cls.__module__.startswith("httpcore"):
            continue
        for attribute, value in vars(cls).items():
            if attribute.startswith("_") and attribute != "__init__":
                continue
            if isinstance(value, property):
                value = value.fget
            elif isinstance(value, (classmethod, staticmethod)):
                value = value.__func__
            if inspect.isfunction(value):
                found.append((f"{name}.{attribute}", value))
    return found


def test_all_is_unique_and_exported():
    assert len(PUBLIC) == len(set(PUBLIC))
    for name in PUBLIC:
        assert hasattr(httpcore, name), f"httpcore.{name} is in __all__ but missing"


def test_public_looking_names_are_in_all():
    """Nothing public is exported by accident, outside `__all__`."""
    stray = [
        name
        for name, value in vars(httpcore).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name not in httpcore.__all__
    ]
    assert stray == []


def test_the_test_dispatchers_are_public():
    assert {"MockDispatch", "ASGIDispatch", "WSGIDispatch"} <= set(PUBLIC)


@pytest.mark.parametrize("name", sorted(set(PUBLIC) - VALUES))
def test_documented_with_a_docstring(name):
    obj = getattr(httpcore, name)
    assert inspect.isclass(obj) or inspect.isfunction(obj), name
    doc = obj.__doc__
    assert doc and doc.strip(), f"httpcore.{name} has no docstring"
    if inspect.isclass(obj):
        # Its own, not one inherited from a base class.
        assert "__doc__" in vars(obj) and vars(obj)["__doc__"], name


def test_documented_on_the_api_reference_page():
    """Each name has its entry, generated from its docstring (`:::`), but
    `__version__`, which the generator takes for the module of that name."""
    text = API_PAGE.read_text(encoding="utf-8")
    listed = re.findall(r"^::: httpcore\.(\w+)\s*$", text, re.M)
    assert sorted(set(PUBLIC) - set(listed) - {"__version__"}) == []
    assert sorted(set(listed) - set(PUBLIC)) == []
    assert len(listed) == len(set(listed)), "listed twice"
    assert "`httpcore.__version__`" in text


@pytest.mark.parametrize("name", sorted(set(PUBLIC) - VALUES))
def test_typed(name):
    untyped = []
    for qualified, function in public_callables(name):
        signature = inspect.signature(function)
        for parameter in signature.parameters.values():
            if parameter.name in ("self", "cls"):
                continue
            if parameter.annotation is inspect.Parameter.empty:
                untyped.append(f"{qualified}({parameter.name})")
        if signature.return_annotation is inspect.Signature.empty:
            untyped.append(f"{qualified} -> ?")
    assert untyped == []


def test_values_are_typed():
    assert isinstance(httpcore.DEFAULT_TIMEOUT, httpcore.Timeout)
    assert isinstance(httpcore.DEFAULT_POOL_LIMITS, httpcore.PoolLimits)
    assert isinstance(httpcore.__version__, str)


def test_the_package_is_marked_typed():
    assert (Path(httpcore.__file__).parent / "py.typed").is_file()


def test_public_callables_are_found():
    assert "Client.get" in dict(public_callables("Client"))
    assert "Response.json" in dict(public_callables("Response"))
    assert "MockDispatch.send" in dict(public_callables("MockDispatch"))


def test_import_leaves_http2_and_socks_for_later():
    # h2 and hpack are a large part of the import, socksio a small one: they
    # load when a connection first speaks HTTP/2 or goes through SOCKS.
    code = (
        "import sys, httpcore; "
        "print([m for m in ('h2', 'hpack', 'socksio') if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
