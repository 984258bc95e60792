"""
The `httpcore` command: `httpcore URL [OPTIONS]`, or `python -m httpcore`.

A thin layer over `httpcore.Client`: the options build one request, event
hooks print each request and response head as they happen (`--verbose`),
and the body goes to stdout (pretty JSON, text as it arrives, raw bytes when
piped) or, with `--download`, to a file with a progress bar. It needs the
`cli` extra (click and rich).

Exit codes: 0 for a response below 400; 1 for a 4xx or 5xx response; 2 for
bad arguments (a request that would not be valid HTTP included); 3 when no
response came (connection, TLS, timeout, protocol errors, too many
redirects) or the download could not be written; 130 when interrupted.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import sys
import typing

try:
    import click
    from rich.console import Console
    from rich.json import JSON
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.text import Text
except ImportError:  # pragma: no cover - depends on the extras installed
    sys.stderr.write(
        "The httpcore command needs the `cli` extra: pip install 'httpcore[cli]'\n"
    )
    raise SystemExit(1) from None

from .__version__ import __version__
from ._auth import Auth, BasicAuth
from ._client import Client
from ._config import DEFAULT_TIMEOUT
from ._digest import DigestAuth
from ._exceptions import HTTPError, InvalidURL, LocalProtocolError
from ._models import Request, Response
from ._urls import URL

__all__ = ["EXIT_HTTP_ERROR", "EXIT_OK", "EXIT_REQUEST_FAILED", "cli", "main"]

EXIT_OK = 0
EXIT_HTTP_ERROR = 1  # a 4xx or 5xx response
EXIT_USAGE = 2  # click's own code for bad arguments
EXIT_REQUEST_FAILED = 3  # no response at all
EXIT_INTERRUPTED = 130

# The style of a status, by its class; and the media types shown as text.
_STATUS_STYLES = {2: "bold green", 3: "bold yellow", 4: "bold red", 5: "bold red"}
_TEXT_TYPES = ("text/", "application/xml", "application/javascript")
_TEXT_SUFFIXES = ("+xml", "/x-www-form-urlencoded")


class _Command(click.Command):
    """
    Lets `-p/--param` take its value either as one `NAME=VALUE` argument or
    as two, `NAME VALUE`: a name without `=` takes the next argument as its
    value.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _join_param_pairs(args))


def _join_param_pairs(args: list[str]) -> list[str]:
    joined: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            joined.append(arg)
            joined.extend(rest)
            break
        if arg in ("-p", "--param"):
            name = next(rest, None)
            if name is not None and "=" not in name:
                value = next(rest, None)
                name = name if value is None else f"{name}={value}"
            joined.extend([arg] if name is None else [arg, name])
        elif arg.startswith("--param=") and "=" not in arg[len("--param=") :]:
            value = next(rest, None)
            joined.append(arg if value is None else f"{arg}={value}")
        else:
            joined.append(arg)
    return joined


# --- argument parsing -------------------------------------------------------


def _parse_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    # Like curl, a URL with no scheme is taken as http://.
    text = value if "://" in value else f"http://{value}"
    try:
        url = URL(text)
    except InvalidURL as exc:
        raise click.BadParameter(str(exc)) from None
    if url.scheme not in ("http", "https"):
        raise click.BadParameter(f"{value!r}: only http:// and https:// URLs.")
    return text


def _parse_pairs(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r} is not NAME=VALUE.")
        pairs.append((name, rest))
    return pairs


def _parse_headers(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, str]]:
    headers = []
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r} is not 'Name: value'.")
        headers.append((name.strip(), rest.strip()))
    return headers


def _parse_json(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> typing.Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}") from None


def _parse_files(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, str]]:
    files = _parse_pairs(ctx, param, values)
    for _, path in files:
        if not os.path.isfile(path):
            raise click.BadParameter(f"{path!r} is not a file.")
    return files


def _build_auth(auth: str | None, digest: bool) -> Auth | None:
    if auth is None:
        if digest:
            raise click.UsageError("--digest needs --auth USER:PASSWORD.")
        return None
    user, sep, password = auth.partition(":")
    if not sep:
        password = str(click.prompt(f"Password for {user}", hide_input=True, err=True))
    return DigestAuth(user, password) if digest else BasicAuth(user, password)


# --- output -----------------------------------------------------------------


class _Printer:
    """Writes heads and bodies to stdout, highlighted on a terminal."""

    def __init__(self, color: bool | None) -> None:
        self.console = _console(sys.stdout, color, highlight=False, soft_wrap=True)
        self.color = self.console.is_terminal and not self.console.no_color

    def request_head(self, request: Request, protocol: str) -> None:
        line = Text()
        line.append(request.method, style="bold cyan")
        line.append(f" {request.url.full_path} ")
        line.append(protocol, style="dim")
        self._head(line, request.headers.raw)

    def response_head(self, response: Response) -> None:
        code = int(response.status_code)
        line = Text()
        line.append(f"{response.protocol} ", style="dim")
        line.append(
            f"{code} {response.reason_phrase}",
            style=_STATUS_STYLES.get(code // 100, "bold"),
        )
        self._head(line, response.headers.raw)

    def _head(self, first_line: Text, headers: list[tuple[bytes, bytes]]) -> None:
        self.console.print(first_line)
        for name, value in headers:
            line = Text()
            line.append(name.decode("latin-1"), style="blue")
            line.append(": " + value.decode("latin-1"))
            self.console.print(line)
        self.console.print()

    def body(self, response: Response) -> None:
        media = _media_type(response)
        if media == "application/json" or media.endswith("+json"):
            self._json(response)
        elif media.startswith(_TEXT_TYPES) or media.endswith(_TEXT_SUFFIXES):
            self._text(response)
        else:
            self._maybe_binary(response, media)

    def _json(self, response: Response) -> None:
        response.read()
        try:
            data = response.json()
        except ValueError:
            self._text(response)
            return
        if self.color:
            self.console.print(JSON.from_data(data, indent=2, ensure_ascii=False))
        else:
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))

    def _text(self, response: Response) -> None:
        last = ""
        for text in response.stream_text():
            click.echo(text, nl=False)
            last = text
        if self.console.is_terminal and last and not last.endswith("\n"):
            click.echo()

    def _maybe_binary(self, response: Response, media: str) -> None:
        chunks = response.stream()
        first = next(chunks, b"")
        if not media and b"\x00" not in first[:1024]:
            # No Content-Type: text if it decodes as text.
            decoder = codecs.getincrementaldecoder(
                response.charset_encoding or "utf-8"
            )()
            try:
                text = decoder.decode(first)
            except UnicodeDecodeError:
                pass
            else:
                click.echo(text, nl=False)
                decoder.errors = "replace"
                for chunk in chunks:
                    click.echo(decoder.decode(chunk), nl=False)
                click.echo(decoder.decode(b"", final=True), nl=False)
                return
        if self.console.is_terminal:
            size = len(first) + sum(len(chunk) for chunk in chunks)
            kind = media or "unknown type"
            self.console.print(
                Text(
                    f"[binary body: {size:,} bytes, {kind}; save it with "
                    "--download FILE]",
                    style="dim",
                )
            )
            return
        out = _binary_stdout()
        out.write(first)
        for chunk in chunks:
            out.write(chunk)
        out.flush()


def _binary_stdout() -> typing.BinaryIO:
    """Standard output for bytes (click's helper for this is deprecated)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # pragma: no cover - a text-only replacement stdout
        raise click.ClickException("Standard output cannot take binary data.")
    return typing.cast(typing.BinaryIO, buffer)


def _console(
    file: typing.TextIO,
    color: bool | None,
    *,
    highlight: bool = True,
    soft_wrap: bool = False,
) -> Console:
    """
    A console on `file`: `--color` forces highlighting, `--no-color` turns it
    off; else a terminal gets it. `NO_COLOR` (read by rich) keeps it to bold.
    """
    return Console(
        file=file,
        force_terminal=color,
        no_color=True if color is False else None,
        highlight=highlight,
        soft_wrap=soft_wrap,
    )


def _media_type(response: Response) -> str:
    content_type = str(response.headers.get("content-type", ""))
    return content_type.split(";")[0].strip().lower()


def _download(response: Response, path: str, color: bool | None) -> int:
    """Stream the body to `path`, with a progress bar on a terminal."""
    console = _console(sys.stderr, color)
    length = response.headers.get("content-length")
    total = (
        int(length)
        if length and length.isdigit() and "content-encoding" not in response.headers
        else None
    )
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    written = 0
    try:
        with open(path, "wb") as file, progress:
            task = progress.add_task(os.path.basename(path) or path, total=total)
            for chunk in response.stream():
                file.write(chunk)
                written += len(chunk)
                progress.update(task, completed=written)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(path)
        raise
    click.echo(f"Saved {written:,} bytes to {path}", err=True)
    return written


# --- the command ------------------------------------------------------------


@click.command(
    cls=_Command,
    context_settings={"help_option_names": ["--help"], "max_content_width": 100},
)
@click.argument("url", callback=_parse_url)
@click.option(
    "-m",
    "--method",
    help="The request method. [default: GET, or POST with a body]",
)
@click.option(
    "-h",
    "--header",
    "headers",
    multiple=True,
    callback=_parse_headers,
    metavar="'NAME: VALUE'",
    help="A request header. Repeatable.",
)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    callback=_parse_pairs,
    metavar="NAME VALUE",
    help="A query parameter, as NAME VALUE or NAME=VALUE. Repeatable.",
)
@click.option(
    "-d",
    "--data",
    multiple=True,
    callback=_parse_pairs,
    metavar="NAME=VALUE",
    help="A form field (URL-encoded; multipart with --file). Repeatable.",
)
@click.option(
    "-j",
    "--json",
    "json_body",
    callback=_parse_json,
    metavar="JSON",
    help="A JSON body, as text: '{\"a\": 1}'.",
)
@click.option(
    "-f",
    "--file",
    "files",
    multiple=True,
    callback=_parse_files,
    metavar="FIELD=PATH",
    help="A file to upload, multipart. Repeatable.",
)
@click.option("-c", "--content", metavar="TEXT", help="A raw body, as given.")
@click.option("-a", "--auth", metavar="USER[:PASSWORD]", help="Basic auth.")
@click.option("--digest", is_flag=True, help="Use Digest auth with --auth.")
@click.option(
    "-L",
    "--follow-redirects",
    is_flag=True,
    help="Follow redirects. [default: show the redirect]",
)
@click.option(
    "-t",
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT.connect,
    show_default=True,
    help="Seconds to wait for each step: connect, read, write.",
)
@click.option(
    "--http2/--no-http2",
    default=True,
    show_default=True,
    help="Offer HTTP/2 (ALPN) on https:// URLs.",
)
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Check the server's TLS certificate.",
)
@click.option(
    "--cacert",
    type=click.Path(exists=True, dir_okay=True),
    help="A CA bundle (file or folder) to check certificates with.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Show the request and response heads."
)
@click.option(
    "-i", "--include", is_flag=True, help="Show the response head before the body."
)
@click.option(
    "-o",
    "--download",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Save the body to FILE, with a progress bar.",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Highlight the output. [default: on a terminal]",
)
@click.version_option(__version__, "--version", prog_name="httpcore")
def cli(
    url: str,
    method: str | None,
    headers: list[tuple[str, str]],
    params: list[tuple[str, str]],
    data: list[tuple[str, str]],
    json_body: typing.Any,
    files: list[tuple[str, str]],
    content: str | None,
    auth: str | None,
    digest: bool,
    follow_redirects: bool,
    timeout: float,
    http2: bool,
    verify: bool,
    cacert: str | None,
    verbose: bool,
    include: bool,
    download: str | None,
    color: bool | None,
) -> None:
    """
    Send an HTTP request to URL and print the response's body.

    \b
      httpcore https://example.org/
      httpcore example.org/search -p q httpcore -v
      httpcore https://example.org/items --json '{"name": "pen"}'
      httpcore https://example.org/big.iso --download big.iso

    Exit status: 0 for a response below 400, 1 for a 4xx or 5xx response,
    2 for bad arguments, 3 when the request failed (no response).
    """
    if json_body is not None and (data or files or content is not None):
        raise click.UsageError("--json cannot go with --data, --file or --content.")
    if content is not None and (data or files):
        raise click.UsageError("--content cannot go with --data or --file.")
    if cacert is not None and not verify:
        raise click.UsageError("--cacert and --no-verify contradict each other.")
    has_body = bool(data or files) or json_body is not None or content is not None
    method = (method or ("POST" if has_body else "GET")).upper()
    printer = _Printer(color)

    def show_heads(response: Response) -> None:
        printer.request_head(response.request, response.protocol)
        printer.response_head(response)

    try:
        with contextlib.ExitStack() as stack:
            opened = {
                field: stack.enter_context(open(path, "rb")) for field, path in files
            }
            client = stack.enter_context(
                Client(
                    auth=_build_auth(auth, digest),
                    verify=cacert if cacert is not None else verify,
                    timeout=timeout,
                    http2=http2,
                    event_hooks={"response": [show_heads] if verbose else []},
                )
            )
            response = client.request(
                method,
                url,
                params=params,
                headers=headers,
                data=dict(data) if data else None,
                files=opened or None,
                json=json_body,
                content=content,
                stream=True,
                allow_redirects=follow_redirects,
            )
            with response:
                exit_code = _output(
                    response, printer, verbose, include, download, color
                )
    except LocalProtocolError as exc:
        # Nothing was sent: the request the arguments make is not valid HTTP.
        raise click.UsageError(str(exc)) from None
    except HTTPError as exc:
        click.echo(f"httpcore: error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_REQUEST_FAILED)
    except OSError as exc:
        click.echo(f"httpcore: error: {exc}", err=True)
        sys.exit(EXIT_REQUEST_FAILED)
    sys.exit(exit_code)


def _output(
    response: Response,
    printer: _Printer,
    verbose: bool,
    include: bool,
    download: str | None,
    color: bool | None,
) -> int:
    if include and not verbose:
        printer.response_head(response)
    failed = response.is_error
    if download is not None and not failed:
        _download(response, download, color)
    else:
        printer.body(response)
    status = f"{int(response.status_code)} {response.reason_phrase}"
    if failed:
        if download is not None:
            click.echo(f"httpcore: {status}: {download} not written", err=True)
        elif not (verbose or include):
            click.echo(f"httpcore: {status}", err=True)
        return EXIT_HTTP_ERROR
    if response.is_redirect:
        location = response.headers["location"]
        click.echo(
            f"httpcore: {status}, to {location} (not followed: use -L to follow)",
            err=True,
        )
    return EXIT_OK


def main(argv: list[str] | None = None) -> typing.NoReturn:
    """The `httpcore` console script: run the command, exit with its status."""
    try:
        cli.main(args=argv, prog_name="httpcore", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        # click's own answer to Ctrl-C (and to EOF at a prompt).
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_OK)  # --help and --version
