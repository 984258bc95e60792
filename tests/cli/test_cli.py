"""
The `httpcore` command, run with click's `CliRunner` against the real test
servers; and once as `python -m httpcore`, in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner, Result

from httpcore import Response, _cli
from tests.servers.app import HELLO, pattern


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(_cli.cli, list(args), input=input)


def echoed(result: Result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- The request ----------------------------------------------------------------


def test_get_prints_the_body(server):
    result = run(f"{server.url}/")
    assert result.exit_code == 0
    assert result.stdout == HELLO.decode()
    assert result.stderr == ""


def test_json_is_pretty_printed(server):
    result = run(f"{server.url}/json")
    assert result.exit_code == 0
    assert result.stdout == '{\n  "hello": "world"\n}\n'


def test_method_headers_and_params(server):
    data = echoed(
        run(
            f"{server.url}/echo",
            "-m",
            "delete",
            "-h",
            "X-One: 1",
            "--header",
            "X-Two:two words ",
            "-p",
            "q",
            "a b",
            "--param",
            "n=1",
            "-p",
            "eq",
            "x=y",
            "--param=last",
            "z",
        )
    )
    assert data["method"] == "DELETE"
    assert data["query"] == "q=a+b&n=1&eq=x%3Dy&last=z"
    assert ["x-one", "1"] in data["headers"]
    assert ["x-two", "two words"] in data["headers"]


def test_a_scheme_less_url_is_http(server):
    host = server.url.removeprefix("http://")
    result = run(f"{host}/")
    assert result.exit_code == 0
    assert result.stdout == HELLO.decode()


def test_form_body_defaults_to_post(server):
    data = echoed(run(f"{server.url}/echo", "-d", "a=1", "--data", "b=two"))
    assert data["method"] == "POST"
    assert data["body"] == "a=1&b=two"
    assert [
        "content-type",
        "application/x-www-form-urlencoded",
    ] in data["headers"]


def test_json_body(server):
    data = echoed(run(f"{server.url}/echo", "--json", '{"a": [1, 2]}', "-m", "PUT"))
    assert data["method"] == "PUT"
    assert json.loads(data["body"]) == {"a": [1, 2]}


def test_raw_content(server):
    data = echoed(run(f"{server.url}/echo", "-c", "raw text"))
    assert data["method"] == "POST"
    assert data["body"] == "raw text"


def test_files_and_fields_are_multipart(server, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("some notes")
    data = echoed(
        run(f"{server.url}/multipart", "-f", f"upload={path}", "-d", "title=Q3")
    )
    parts = {part["name"]: part for part in data["parts"]}
    assert parts["upload"]["filename"] == "notes.txt"
    assert parts["upload"]["text"] == "some notes"
    assert parts["title"]["text"] == "Q3"


def test_basic_auth(server):
    data = echoed(run(f"{server.url}/basic_auth", "--auth", "user:passwd"))
    assert data == {"authenticated": True, "user": "user"}


def test_the_password_is_prompted_for(server):
    result = run(f"{server.url}/basic_auth", "-a", "user", input="passwd\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["authenticated"] is True
    assert "Password for user" in result.stderr


def test_digest_auth(server):
    data = echoed(run(f"{server.url}/digest_auth", "--auth", "user:passwd", "--digest"))
    assert data["authenticated"] is True


# --- Redirects, errors, exit codes -------------------------------------------------


def test_a_redirect_is_shown_not_followed(server):
    result = run(f"{server.url}/redirect/2")
    assert result.exit_code == 0
    assert "302 Found, to /redirect/1" in result.stderr
    assert "-L" in result.stderr


def test_follow_redirects(server):
    result = run(f"{server.url}/redirect/2", "-L")
    assert result.exit_code == 0
    assert result.stdout == "done"
    assert result.stderr == ""


def test_an_error_status_exits_1(server):
    result = run(f"{server.url}/status/404")
    assert result.exit_code == _cli.EXIT_HTTP_ERROR == 1
    assert result.stderr == "httpcore: 404 Not Found\n"


def test_a_server_error_exits_1_and_shows_its_head_with_include(server):
    result = run(f"{server.url}/status/503", "-i")
    assert result.exit_code == 1
    assert result.stdout.startswith("HTTP/1.1 503 Service Unavailable\n")
    assert result.stderr == ""


def test_connection_refused_exits_3(closed_port):
    result = run(f"http://127.0.0.1:{closed_port}/")
    assert result.exit_code == _cli.EXIT_REQUEST_FAILED == 3
    assert result.stderr.startswith("httpcore: error: ConnectError: ")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_a_timeout_exits_3(server):
    result = run(f"{server.url}/slow", "-p", "delay", "5", "--timeout", "0.2")
    assert result.exit_code == 3
    assert result.stderr.startswith("httpcore: error: ReadTimeout: ")


def test_too_many_redirects_exits_3(server):
    result = run(f"{server.url}/redirect/30", "-L")
    assert result.exit_code == 3
    assert "TooManyRedirects" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-h", "no colon"], "is not 'Name: value'"),
        (["--json", "{nope"], "not valid JSON"),
        (["-d", "novalue"], "is not NAME=VALUE"),
        (["--digest"], "--digest needs --auth"),
        (["--json", "1", "-d", "a=1"], "--json cannot go with"),
        (["--content", "x", "-d", "a=1"], "--content cannot go with"),
        (["--no-verify", "--cacert", "."], "contradict"),
        (["-f", "field=/no/such/file"], "is not a file"),
        (["--timeout", "0"], "--timeout"),
        (["--bogus"], "No such option"),
    ],
)
def test_bad_arguments_exit_2(args, message):
    result = run("http://127.0.0.1:9/", *args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-h", "Bad Name: x"], "Invalid header name"),
        (["-m", "BAD METHOD"], "Invalid HTTP method"),
        (["-h", "Content-Length: 1", "-c", "abc"], "Error: "),
    ],
)
def test_a_request_that_is_not_valid_http_exits_2(server, args, message):
    result = run(f"{server.url}/echo", *args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("url", ["ftp://example.org/", "http://exa mple.org/"])
def test_bad_urls_exit_2(url):
    result = run(url)
    assert result.exit_code == 2
    assert "URL" in result.stderr


# --- TLS and HTTP/2 --------------------------------------------------------------


def test_tls_with_a_ca_file_speaks_http2(tls_server, ca_file):
    result = run(f"{tls_server.url}/json", "--cacert", ca_file, "-v")
    assert result.exit_code == 0, result.output
    assert "GET /json HTTP/2\n" in result.stdout
    assert "HTTP/2 200 OK\n" in result.stdout


def test_no_http2(tls_server, ca_file):
    result = run(f"{tls_server.url}/json", "--cacert", ca_file, "-v", "--no-http2")
    assert result.exit_code == 0
    assert "HTTP/1.1 200 OK\n" in result.stdout


def test_an_unknown_certificate_exits_3(tls_server):
    result = run(f"{tls_server.url}/")
    assert result.exit_code == 3
    assert "ConnectError" in result.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr


def test_no_verify(tls_server):
    result = run(f"{tls_server.url}/", "--no-verify")
    assert result.exit_code == 0
    assert result.stdout == HELLO.decode()


# --- Output -------------------------------------------------------------------------


def test_verbose_shows_the_request_and_response_heads(server):
    result = run(f"{server.url}/json", "-v", "-h", "X-Test: yes")
    assert result.exit_code == 0
    request_head, response_head, body = result.stdout.split("\n\n", 2)
    assert request_head.splitlines()[0] == "GET /json HTTP/1.1"
    assert "X-Test: yes" in request_head.splitlines()
    assert response_head.splitlines()[0] == "HTTP/1.1 200 OK"
    assert "content-type: application/json" in response_head.splitlines()
    assert json.loads(body) == {"hello": "world"}


def test_verbose_shows_every_hop(server):
    result = run(f"{server.url}/redirect/1", "-v", "-L")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "GET /redirect/1 HTTP/1.1" in lines
    assert "HTTP/1.1 302 Found" in lines
    assert "GET /redirect/0 HTTP/1.1" in lines
    assert lines[-1] == "done"


def test_color_highlights_heads_and_json(server):
    result = run(f"{server.url}/json", "-v", "--color")
    assert result.exit_code == 0
    assert "\x1b[" in result.stdout
    plain = run(f"{server.url}/json", "-v", "--no-color")
    assert "\x1b[" not in plain.stdout


def test_text_is_printed_as_it_is(server):
    result = run(f"{server.url}/charset", "-p", "text", "{caf\u00e9}")
    assert result.stdout == "{caf\u00e9}"


def test_no_color_in_the_environment(server, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    result = run(f"{server.url}/json", "-v")
    assert "\x1b[" not in result.stdout
    forced = run(f"{server.url}/json", "-v", "--color")
    assert "\x1b[1m200 OK" in forced.stdout  # bold, but no color
    assert "32m" not in forced.stdout


def test_streamed_text(server):
    result = run(f"{server.url}/lines")
    assert result.exit_code == 0
    assert result.stdout.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:3] == [
        "first",
        "second",
        "third",
    ]


def test_binary_body_is_written_raw_when_piped(server):
    result = run(f"{server.url}/bytes/5000")
    assert result.exit_code == 0
    assert result.stdout_bytes == pattern(5000)


def test_binary_body_on_a_terminal_is_summarized(server):
    result = run(f"{server.url}/bytes/5000", "--color")
    assert result.exit_code == 0
    assert "binary body: 5,000 bytes, application/octet-stream" in result.stdout


def test_an_empty_body_without_content_type(server):
    result = run(f"{server.url}/status/200")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_download(server, tmp_path):
    target = tmp_path / "data.bin"
    result = run(f"{server.url}/bytes/300000", "--download", str(target))
    assert result.exit_code == 0
    assert target.read_bytes() == pattern(300000)
    assert result.stdout == ""
    assert result.stderr == f"Saved 300,000 bytes to {target}\n"


def test_download_with_a_progress_bar(server, tmp_path):
    target = tmp_path / "data.bin"
    result = run(f"{server.url}/bytes/300000", "-o", str(target), "--color")
    assert result.exit_code == 0
    assert target.read_bytes() == pattern(300000)
    assert "data.bin" in result.stderr


def test_download_of_an_error_writes_nothing(server, tmp_path):
    target = tmp_path / "missing.bin"
    result = run(f"{server.url}/status/404", "-o", str(target))
    assert result.exit_code == 1
    assert not target.exists()
    assert "404 Not Found" in result.stderr


def test_a_failed_download_removes_the_partial_file(server, tmp_path):
    target = tmp_path / "partial.bin"
    result = run(
        f"{server.url}/corrupt/gzip", "-o", str(target), "-p", "size", "100000"
    )
    assert result.exit_code == 3
    assert "DecodingError" in result.stderr
    assert not target.exists()


def test_a_download_that_cannot_be_written_exits_3(server, tmp_path):
    target = tmp_path / "no-such-folder" / "file.bin"
    result = run(f"{server.url}/", "-o", str(target))
    assert result.exit_code == 3
    assert "No such file or directory" in result.stderr


# --- Entry points ---------------------------------------------------------------


def test_join_param_pairs():
    join = _cli._join_param_pairs
    assert join(["-p", "a", "1", "URL"]) == ["-p", "a=1", "URL"]
    assert join(["-p", "a=1", "URL"]) == ["-p", "a=1", "URL"]
    assert join(["--param", "a", "b=c"]) == ["--param", "a=b=c"]
    assert join(["--param=a", "1"]) == ["--param=a=1"]
    assert join(["--param=a=1", "x"]) == ["--param=a=1", "x"]
    assert join(["-p", "a"]) == ["-p", "a"]
    assert join(["-p"]) == ["-p"]
    assert join(["--param=a"]) == ["--param=a"]
    assert join(["--", "-p", "a", "1"]) == ["--", "-p", "a", "1"]


def test_main_exit_codes(server, capsys):
    with pytest.raises(SystemExit) as done:
        _cli.main([f"{server.url}/"])
    assert done.value.code == 0
    assert capsys.readouterr().out == HELLO.decode()
    with pytest.raises(SystemExit) as done:
        _cli.main(["--version"])
    assert done.value.code == 0
    with pytest.raises(SystemExit) as done:
        _cli.main(["--nope"])
    assert done.value.code == 2
    assert "No such option" in capsys.readouterr().err


def test_main_exits_130_when_interrupted(monkeypatch, capsys):
    def interrupted(*args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli.click, "prompt", interrupted)
    with pytest.raises(SystemExit) as done:
        _cli.main(["http://127.0.0.1:9/", "--auth", "user"])
    assert done.value.code == 130
    assert "Interrupted." in capsys.readouterr().err


def test_python_dash_m_httpcore(server):
    completed = subprocess.run(
        [sys.executable, "-m", "httpcore", f"{server.url}/json"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {"hello": "world"}


# --- The printer, on responses built in memory ------------------------------------


def printed(response: Response, color: bool | None = None) -> bytes:
    """What the printer writes to stdout for `response`."""
    with CliRunner().isolation() as (out, _, _):
        _cli._Printer(color).body(response)
    return out.getvalue()


def test_a_body_that_is_not_the_json_it_claims_prints_as_is():
    response = Response(
        200, headers={"Content-Type": "application/json"}, content=b"{bad"
    )
    assert printed(response) == b"{bad"


def test_text_without_content_type():
    chunks = [b"caf\xc3", b"\xa9 ", b"\xff!"]
    response = Response(200, content=iter(chunks))
    assert printed(response).decode() == "caf\u00e9 \ufffd!"


def test_bytes_without_content_type():
    response = Response(200, content=iter([b"\xff\xfe", b"\x00"]))
    assert printed(response) == b"\xff\xfe\x00"
    response = Response(200, content=iter([b"\xff\xfe", b"\x00"]))
    assert b"binary body: 3 bytes, unknown type" in printed(response, color=True)


def test_text_on_a_terminal_ends_with_a_newline():
    response = Response(200, text="no newline")
    assert printed(response, color=True) == b"no newline\n"
