"""
The README's usage examples run as written: each ```python block under
"## Usage" runs against the live test server, its example URL
(`https://example.org/`) replaced by the server's. Nothing is skipped: a
README with no usage examples fails.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_URL = "https://example.org"


def usage_blocks() -> list[str]:
    """The ```python blocks of the README's "## Usage" section, in order."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Usage[ \t]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        return []
    return re.findall(r"^```python[ \t]*\n(.*?)^```", match.group(1), re.M | re.S)


def localize(code: str, server_url: str) -> str:
    # The bare example URL stands for "some page": the echo endpoint answers
    # anything (JSON for .json(), any method, a Content-Type).
    code = code.replace(f'"{EXAMPLE_URL}/"', f'"{server_url}/echo"')
    return code.replace(EXAMPLE_URL, server_url)


def run(code: str, name: str, namespace: dict | None = None) -> None:
    """Run a block; one with top-level `await` runs as a coroutine on asyncio."""
    compiled = compile(code, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, {"__name__": "__readme__", **(namespace or {})})
    if inspect.iscoroutine(result):
        asyncio.run(result)


def test_readme_shows_sync_and_async_usage():
    blocks = usage_blocks()
    assert blocks, f'{README} has no ```python blocks under "## Usage"'
    assert any("httpcore.get(" in block for block in blocks)
    assert any("httpcore.Client(" in block for block in blocks)
    assert any("httpcore.AsyncClient(" in block for block in blocks)


def test_usage_examples_run(server, capsys):
    blocks = usage_blocks()
    assert blocks, f'{README} has no ```python blocks under "## Usage"'
    for index, block in enumerate(blocks):
        code = localize(block, server.url)
        assert EXAMPLE_URL not in code
        try:
            run(code, f"README.md usage block {index + 1}")
        except Exception as exc:  # pragma: no cover - shown on failure only
            pytest.fail(f"README usage block {index + 1} failed: {exc!r}\n{block}")
    assert capsys.readouterr().out


def test_blocks_with_top_level_await_run_on_asyncio():
    seen: list[int] = []
    code = "import asyncio\nawait asyncio.sleep(0)\nseen.append(1)\n"
    run(code, "block", {"seen": seen})
    run("seen.append(2)\n", "plain", {"seen": seen})
    assert seen == [1, 2]


def test_localize():
    code = 'get("https://example.org/")\nget("https://example.org/path?q=1")'
    assert localize(code, "http://h:1") == (
        'get("http://h:1/echo")\nget("http://h:1/path?q=1")'
    )
