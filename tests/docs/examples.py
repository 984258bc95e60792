"""
Finding the examples of the documentation, and running them.

A page's ```python blocks run in order, in one namespace, like a reader's
session, in a temporary folder. The URLs of the examples
(`https://example.org/...`, `https://www.example.org/...`) are replaced by the
test server's, in string literals only (comments stay as written), and so is
the bare host name, for the `.netrc` files and cookie domains that name it.

An HTML comment just before a block changes how it runs:

- `<!-- no-test: why -->`: not run (a fragment, a pytest module, an API that
  is not implemented yet); the reason is required.
- `<!-- test: tls -->`: run against the TLS server, with its CA trusted
  through `SSL_CERT_FILE`, for examples about HTTP/2 or certificates.

`<!-- test-setup: ... -->` anywhere in a page holds code (after the first
line) run before its blocks: the files its examples open, say.

Bare expressions followed by a comment holding a Python literal
(`url.port  # 8443`) are checked: the expression must equal the literal.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import inspect
import io
import re
import tokenize
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)[ \t]*$")
_DIRECTIVE = re.compile(
    r"^\s*<!--\s*(no-test:\s*(?P<reason>.*?)|test:\s*tls)\s*-->\s*$"
)
_SETUP = re.compile(r"<!--\s*test-setup:[^\n]*\n(?P<code>.*?)-->", re.S)
_URL = re.compile(r"https?://(?:www\.)?example\.org(?::\d+)?", re.I)
_HOST = re.compile(r"(?<![\w.-])(?:www\.)?example\.org(?![\w-])")


@dataclasses.dataclass
class Block:
    """A fenced block of a page: where it is, its code, how it runs."""

    path: Path
    line: int  # of its first line of code
    lang: str
    code: str
    skip: str | None = None  # the reason given by `no-test`
    tls: bool = False

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    """Every page of the site."""
    return sorted(DOCS.rglob("*.md"))


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a page, in order, with their directives."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None or not match["lang"]:
            index += 1
            continue
        indent = match["indent"]
        end = index + 1
        while end < len(lines) and lines[end].rstrip() != f"{indent}```":
            end += 1
        code = "\n".join(line[len(indent) :] for line in lines[index + 1 : end])
        block = Block(path, index + 2, match["lang"], code + "\n")
        before = next((line for line in reversed(lines[:index]) if line.strip()), "")
        directive = _DIRECTIVE.match(before)
        if directive is not None:
            if directive["reason"] is not None:
                block.skip = directive["reason"]
            else:
                block.tls = True
        found.append(block)
        index = end + 1
    return found


def python_blocks(path: Path) -> list[Block]:
    return [block for block in blocks(path) if block.lang == "python"]


def setup_code(path: Path) -> str:
    return "\n".join(
        match["code"] for match in _SETUP.finditer(path.read_text(encoding="utf-8"))
    )


# --- Localizing -----------------------------------------------------------------


def localize(code: str, base_url: str) -> str:
    """Point the example URLs of `code`'s string literals at `base_url`."""
    host = base_url.split("://", 1)[1].rsplit(":", 1)[0]
    tokens = []
    readline = io.StringIO(code).readline
    for token in tokenize.generate_tokens(readline):
        if token.type == tokenize.STRING:
            text = _URL.sub(base_url, token.string)
            token = token._replace(string=_HOST.sub(host, text))
        tokens.append(token)
    return tokenize.untokenize(tokens)


# --- Running --------------------------------------------------------------------


class ExampleFailed(AssertionError):
    pass


def check(value: object, expected: object, where: str) -> None:
    """What a `expression  # literal` line runs as."""
    if value != expected:
        raise ExampleFailed(f"{where}: got {value!r}, the comment says {expected!r}")


def _with_checks(tree: ast.Module, code: str, name: str) -> ast.Module:
    """Turn each top-level `expression  # literal` into a call of `check`."""
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string[1:].strip()
    body: list[ast.stmt] = []
    for node in tree.body:
        comment = comments.get(typing.cast(int, node.end_lineno))
        if isinstance(node, ast.Expr) and comment and not _is_call(node, "print"):
            try:
                ast.literal_eval(comment)
            except (ValueError, SyntaxError):
                pass
            else:
                expected = ast.parse(comment, mode="eval").body
                where = ast.Constant(f"{name}, line {node.lineno}")
                checker = ast.Name("__check__", ast.Load())
                call = ast.Call(checker, [node.value, expected, where], [])
                node = ast.copy_location(ast.Expr(call), node)
        body.append(node)
    tree.body = body
    return ast.fix_missing_locations(tree)


def _is_call(node: ast.Expr, name: str) -> bool:
    value = node.value
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == name
    )


def run(
    code: str,
    namespace: dict[str, typing.Any],
    name: str,
    *,
    after_async: typing.Callable[[], typing.Awaitable[None]] | None = None,
) -> None:
    """
    Run `code` in `namespace`. Code with top-level `await` runs as a
    coroutine, on asyncio, followed by `after_async()` on the same loop.
    """
    tree = ast.parse(code, name)
    tree = _with_checks(tree, code, name)
    compiled = compile(tree, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace["__check__"] = check
    result = eval(compiled, namespace)
    if inspect.iscoroutine(result):

        async def main() -> None:
            await result
            if after_async is not None:
                await after_async()

        asyncio.run(main())
