"""
Every example of the documentation runs, against the live test servers:

- each ```python block of every page (`docs/**/*.md`), a page's blocks in
  order, in one namespace (see `examples.py` for the rules);
- each ```python block of the public docstrings, which the API reference page
  renders, with the public names, a `client` and a `url` at hand;
- each `$ httpcore ...` command of the pages' ```console blocks, through the
  CLI, its output checked against the lines the page shows ("..." stands for
  anything);

and the pages' examples pass `mypy --strict`.
"""

from __future__ import annotations

import gc
import inspect
import logging
import re
import shlex
import typing
from pathlib import Path

import mypy.api
import pytest
from click.testing import CliRunner

import httpcore
from httpcore import _cli
from tests.docs.examples import (
    _HOST,
    _URL,
    ROOT,
    blocks,
    localize,
    pages,
    python_blocks,
    run,
    setup_code,
)
from tests.servers.proxy import ProxyServer

PAGES = [path for path in pages() if python_blocks(path)]
MAX_NOT_RUN = 3  # blocks marked no-test, over the whole site: keep them rare


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT / "docs"))


@pytest.fixture(autouse=True)
def logging_as_it_was() -> typing.Iterator[None]:
    """
    Put logging back as it was: a page may turn on DEBUG logging (the
    low-level page shows how), which would otherwise stay on for every test
    after it, slowing them all and filling memory with captured records.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = ["httpcore", *logging.Logger.manager.loggerDict]
    levels = {
        name: logging.getLogger(name).level
        for name in names
        if name.startswith("httpcore")
    }
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name in logging.Logger.manager.loggerDict:
        if name.startswith("httpcore"):
            logging.getLogger(name).setLevel(levels.get(name, logging.NOTSET))


@pytest.fixture
def opened(monkeypatch) -> typing.Iterator[list[typing.Any]]:
    """
    Every sync client and pool made during the test, kept, and closed at the
    end, as the end of a script would: a page's examples may leave one open,
    or make another under the same name (`client = ...`).
    """
    made: list[typing.Any] = []
    for cls in (httpcore.Client, httpcore.ConnectionPool):
        original = cls.__init__

        def init(self: typing.Any, *args: typing.Any, _original=original, **kw):
            _original(self, *args, **kw)
            made.append(self)

        monkeypatch.setattr(cls, "__init__", init)
    yield made
    for item in made:
        item.close()
    made.clear()
    gc.collect()


# --- The pages ------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_page_examples_run(
    path, server, tls_server, ca_file, tmp_path, monkeypatch, opened, request
):
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, typing.Any] = {"__name__": "__docs__"}
    try:
        setup = setup_code(path)
        if setup:
            run(setup, namespace, f"{page_id(path)}: test-setup")
        for block in python_blocks(path):
            if block.skip:
                continue
            if block.tls:
                base_url = tls_server.url
                monkeypatch.setenv("SSL_CERT_FILE", ca_file)
            else:
                base_url = server.url
                monkeypatch.delenv("SSL_CERT_FILE", raising=False)
            code = block.code
            if _PROXY_URL.search(code):
                code = with_live_proxy(code, request.getfixturevalue("docs_proxy"))
            try:
                run(localize(code, base_url), namespace, block.name)
            except Exception as exc:
                raise AssertionError(f"The example at {block.name} failed") from exc
    finally:
        namespace.clear()


def test_examples_are_found():
    found = [block for path in pages() for block in python_blocks(path)]
    assert len(found) >= 60
    assert {path.name for path in PAGES} >= {
        "index.md",
        "clients.md",
        "timeouts.md",
        "http2.md",
        "async.md",
        "streaming.md",
        "features.md",
        "testing.md",
        "exceptions.md",
    }


def test_few_examples_are_not_run_and_each_says_why():
    skipped = [block for path in pages() for block in python_blocks(path) if block.skip]
    for block in skipped:
        assert len(block.skip or "") > 10, f"{block.name}: say why it is not run"
    assert len(skipped) <= MAX_NOT_RUN, [block.name for block in skipped]


def test_localize():
    code = (
        'get("https://example.org/a?b=1")  # https://example.org/\n'
        'get("https://www.example.org:443/")\n'
        'get("https://api.example.org/")\n'
        'netrc = "machine example.org login u"\n'
    )
    assert localize(code, "http://127.0.0.1:8000") == (
        'get("http://127.0.0.1:8000/a?b=1")  # https://example.org/\n'
        'get("http://127.0.0.1:8000/")\n'
        'get("https://api.example.org/")\n'
        'netrc = "machine 127.0.0.1 login u"\n'
    )


def test_expression_comments_are_checked():
    namespace: dict[str, typing.Any] = {}
    run("x = 2\nx + 1  # 3\nx  # the value of x\n", namespace, "block")
    with pytest.raises(AssertionError, match=r"block, line 2: got 4, the comment"):
        run("x = 3\nx + 1  # 3\n", namespace, "block")


def test_blocks_and_directives(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n"
        "<!-- no-test: a fragment of something -->\n"
        "```python\nfragment()\n```\n\n"
        "<!-- test: tls -->\n\n"
        "```python\nsecure()\n```\n\n"
        "!!! note\n    ```python\n    indented()\n    ```\n\n"
        "```console\n$ httpcore x\n```\n\n"
        "<!-- test-setup: files\nopen('f', 'w').close()\n-->\n"
    )
    found = blocks(page)
    assert [(b.lang, b.code, b.skip, b.tls) for b in found] == [
        ("python", "fragment()\n", "a fragment of something", False),
        ("python", "secure()\n", None, True),
        ("python", "indented()\n", None, False),
        ("console", "$ httpcore x\n", None, False),
    ]
    assert found[0].line == 5
    assert setup_code(page) == "open('f', 'w').close()\n"


# --- The docstrings of the API reference --------------------------------------------


def docstring_examples() -> list[tuple[str, str]]:
    """The ```python blocks of every public object's docstrings (and members')."""
    found: dict[str, str] = {}

    def collect(obj: object, name: str) -> None:
        for code in re.findall(r"```python\n(.*?)```", inspect.getdoc(obj) or "", re.S):
            found.setdefault(code, name)

    for name in httpcore.__all__:
        obj = getattr(httpcore, name)
        if inspect.isclass(obj):
            collect(obj, name)
            for member, value in inspect.getmembers(obj):
                if not member.startswith("_"):
                    collect(value, f"{name}.{member}")
        elif inspect.isfunction(obj):
            collect(obj, name)
    return [(name, code) for code, name in found.items()]


def _has_top_level_await(code: str) -> bool:
    try:
        compile(code, "example", "exec")
    except SyntaxError:
        return True
    return False


@pytest.fixture(scope="module")
def docs_proxy() -> typing.Iterator[ProxyServer]:
    """A real proxy (HTTP and SOCKS5, with credentials) for the proxy examples."""
    with ProxyServer(auth=True) as proxy:
        yield proxy


_PROXY_URL = re.compile(
    r"\b(http|https|socks5|socks5h)://(?:[^@/\s\"']+@)?"
    r"(?:proxy|[\w-]+\.internal):\d+"
)


def with_live_proxy(code: str, proxy: ProxyServer) -> str:
    """Point the examples' `proxy:PORT` URLs at the live test proxy."""
    return _PROXY_URL.sub(
        lambda m: proxy.url(m.group(1).replace("https", "http"), credentials=True),
        code,
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [pytest.param(name, code, id=name) for name, code in docstring_examples()],
)
def test_docstring_examples_run(
    name, code, server, tmp_path, monkeypatch, opened, request
):
    if _PROXY_URL.search(code):
        code = with_live_proxy(code, request.getfixturevalue("docs_proxy"))
    monkeypatch.chdir(tmp_path)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login user password passwd\n")
    monkeypatch.setenv("NETRC", str(netrc))
    asynchronous = _has_top_level_await(code)
    client: typing.Any = httpcore.AsyncClient() if asynchronous else httpcore.Client()
    namespace: dict[str, typing.Any] = {
        "__name__": "__docs__",
        "httpcore": httpcore,
        **{public: getattr(httpcore, public) for public in httpcore.__all__},
        "client": client,
        "url": f"{server.url}/",
    }
    try:
        run(
            localize(code, server.url),
            namespace,
            f"the docstring of {name}",
            after_async=client.aclose if asynchronous else None,
        )
    finally:
        namespace.clear()


def test_docstring_examples_are_found():
    names = {name for name, _ in docstring_examples()}
    assert {"Client", "MockDispatch", "ASGIDispatch", "WSGIDispatch"} <= names


# --- The command lines ----------------------------------------------------------


def console_commands(path: Path) -> list[tuple[str, str, list[str]]]:
    """
    (where, command, the output lines shown) for each `$ httpcore` line of
    the ```console blocks, and each `httpcore` line of the ```shell blocks
    (which show no output).
    """
    commands: list[tuple[str, str, list[str]]] = []
    for block in blocks(path):
        if block.lang not in ("console", "shell"):
            continue
        for offset, line in enumerate(block.code.splitlines()):
            where = f"{path.relative_to(ROOT)}:{block.line + offset}"
            if block.lang == "shell":
                if line.startswith("httpcore "):
                    commands.append((where, line, []))
            elif line.startswith("$ "):
                commands.append((where, line[2:], []))
            elif commands and line.strip():
                commands[-1][2].append(line)
    return commands


COMMANDS = [
    command
    for path in [*pages(), ROOT / "README.md"]
    for command in console_commands(path)
]


def _shown_line_pattern(line: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in line.split("...")]
    return re.compile(".*".join(parts) + r"\Z")


@pytest.mark.parametrize(
    ("where", "command", "shown"),
    [pytest.param(*command, id=command[0]) for command in COMMANDS],
)
def test_console_examples_run(where, command, shown, server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(command)
    assert argv[0] == "httpcore", f"{where}: only httpcore commands are shown"
    host = server.url.split("://", 1)[1].rsplit(":", 1)[0]
    args = [_HOST.sub(host, _URL.sub(server.url, arg)) for arg in argv[1:]]
    result = CliRunner().invoke(_cli.cli, args)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), f"{where}: {result.exception!r}"
    assert result.exit_code != 2, f"{where}: bad arguments: {result.stderr}"
    output = (result.stdout + result.stderr).splitlines()
    for line in shown:
        pattern = _shown_line_pattern(line)
        assert any(pattern.match(actual) for actual in output), (
            f"{where}: {line!r} is not in the output:\n" + "\n".join(output)
        )


def test_console_examples_are_found():
    assert len(COMMANDS) >= 10
    assert any("--verbose" in command for _, command, _ in COMMANDS)
    assert any(where.startswith("README.md") for where, _, _ in COMMANDS)


# --- Types ------------------------------------------------------------------------


def scripts(path: Path) -> list[str]:
    """
    A page's python blocks as the scripts they make up: a block that imports
    httpcore starts a script, a block that does not goes on with the one
    before (it uses what that one defined).
    """
    found: list[str] = []
    for block in python_blocks(path):
        starts = any(
            line.startswith(("import httpcore", "from httpcore"))
            for line in block.code.splitlines()
        )
        if starts or not found:
            found.append(block.code)
        else:
            found[-1] += "\n\n" + block.code
    return found


def test_page_examples_pass_mypy_strict(tmp_path, monkeypatch):
    """Every script of the pages (see `scripts`) passes `mypy --strict`."""
    files = []
    for path in pages():
        for index, code in enumerate(scripts(path), 1):
            stem = path.stem.replace("-", "_")
            module = tmp_path / f"docs_{stem}_{index}.py"
            module.write_text(code, encoding="utf-8")
            files.append(str(module))
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    stdout, stderr, status = mypy.api.run(
        [
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            # httpcore's own errors are `mypy httpcore`'s to report, not these.
            "--follow-imports",
            "silent",
            *files,
        ]
    )
    assert status == 0, stdout + stderr


def test_no_page_leaves_debug_logging_on():
    # Runs after the pages' examples (file order): the fixture above undid
    # whatever they turned on.
    assert not logging.getLogger("httpcore").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("httpcore.http11").isEnabledFor(logging.DEBUG)
