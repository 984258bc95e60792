"""The test infrastructure itself, checked with the standard library only."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
import socket
import ssl
import urllib.error
import urllib.request

import pytest

from tests import helpers
from tests.conftest import BACKENDS
from tests.servers.app import COMPRESSIBLE_TEXT, HELLO, LATIN1_HTML, pattern

TIMEOUT = 5.0


def get(url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return response.status, response.headers, response.read()


def tls_client_context(cafile: str, alpn: list[str]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cafile)
    context.set_alpn_protocols(alpn)
    return context


# --- The live server --------------------------------------------------------


def test_live_server_root(server):
    status, headers, body = get(server.url + "/")
    assert status == 200
    assert headers["content-type"] == "text/plain"
    assert headers["content-length"] == str(len(HELLO))
    assert body == HELLO


def test_live_server_echo(server):
    request = urllib.request.Request(
        server.url + "/echo?a=1&b=%20",
        data=b"caf\xe9",
        method="PUT",
        headers={"X-Test": "yes"},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        echoed = json.loads(response.read())
    assert echoed["method"] == "PUT"
    assert echoed["path"] == "/echo"
    assert echoed["query"] == "a=1&b=%20"
    assert ["x-test", "yes"] in echoed["headers"]
    assert echoed["body"] == "caf\xe9"
    assert echoed["http_version"] == "1.1"
    assert isinstance(echoed["client_port"], int)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/bytes/200000", pattern(200000)),
        ("/stream/3?size=10", pattern(10) * 3),
        ("/redirect/2", b"done"),
        ("/json", b'{"hello": "world"}'),
        ("/charset?encoding=latin-1&text=%C3%A9t%C3%A9", "\xe9t\xe9".encode("latin-1")),
        ("/html_no_charset", LATIN1_HTML.encode("latin-1")),
    ],
)
def test_live_server_routes(server, path, expected):
    assert get(server.url + path)[2] == expected


def test_live_server_encodings_and_errors(server):
    _, headers, body = get(server.url + "/gzip")
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == COMPRESSIBLE_TEXT

    with pytest.raises(urllib.error.HTTPError) as info:
        get(server.url + "/status/418")
    assert info.value.code == 418
    info.value.close()

    with pytest.raises(urllib.error.HTTPError) as info:
        get(server.url + "/basic_auth?user=u&passwd=p")
    assert info.value.headers["www-authenticate"] == 'Basic realm="test"'
    info.value.close()
    auth = {"Authorization": "Basic dTpw"}  # base64("u:p")
    assert json.loads(get(server.url + "/basic_auth?user=u&passwd=p", auth)[2]) == {
        "authenticated": True,
        "user": "u",
    }

    _, headers, _ = get(server.url + "/set_cookie?a=1&b=2")
    assert headers.get_all("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    cookies = get(server.url + "/cookies", {"Cookie": "a=1; b=2"})[2]
    assert json.loads(cookies) == {"a": "1", "b": "2"}


def test_live_server_keeps_connections_alive(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        ports = []
        for _ in range(2):
            connection.request("GET", "/conn")
            ports.append(json.loads(connection.getresponse().read())["client_port"])
        local_port = connection.sock.getsockname()[1]
    finally:
        connection.close()
    assert ports == [local_port, local_port]


def test_tls_server_with_http11_by_alpn(tls_server, ca_file):
    context = tls_client_context(ca_file, ["http/1.1"])
    connection = http.client.HTTPSConnection(
        "localhost", tls_server.port, timeout=TIMEOUT, context=context
    )
    try:
        connection.request("GET", "/echo")
        assert connection.sock.selected_alpn_protocol() == "http/1.1"
        echoed = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    assert echoed["http_version"] == "1.1"
    assert tls_server.url.startswith("https://127.0.0.1:")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_tls_server_offers_h2(tls_server, ca_file, host):
    context = tls_client_context(ca_file, ["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", tls_server.port), TIMEOUT) as raw:
        with context.wrap_socket(raw, server_hostname=host) as sock:
            assert sock.selected_alpn_protocol() == "h2"


def test_tls_server_rejects_unknown_ca(tls_server, unknown_ca_file):
    context = tls_client_context(unknown_ca_file, ["http/1.1"])
    with socket.create_connection(("127.0.0.1", tls_server.port), TIMEOUT) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            context.wrap_socket(raw, server_hostname="localhost")


# --- Scripted servers and the other fixtures --------------------------------


def test_scripted_server(scripted_server):
    seen = []

    def handler(conn):
        seen.append(conn.read_request())
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
        conn.sendall_slowly(b"abc", delay=0.001)
        seen.append(conn.wait_for_close(timeout=TIMEOUT))

    scripted = scripted_server(handler)
    connection = http.client.HTTPConnection("127.0.0.1", scripted.port, timeout=TIMEOUT)
    try:
        connection.request("POST", "/path", body=b"hello")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"abc")
    finally:
        connection.close()
    assert scripted.join(timeout=TIMEOUT)
    assert seen[0].startswith(b"POST /path HTTP/1.1\r\n")
    assert seen[0].endswith(b"\r\n\r\nhello")
    assert seen[1] is True
    assert scripted.accepted == 1
    assert scripted.errors == []


def test_scripted_server_reads_chunked_requests_and_resets(scripted_server):
    seen = []

    def handler(conn):
        seen.append(conn.read_request())
        conn.reset()

    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    scripted = scripted_server(handler)
    with socket.create_connection(("127.0.0.1", scripted.port), TIMEOUT) as sock:
        sock.sendall(request)
        with pytest.raises(ConnectionResetError):
            while sock.recv(1024):
                pass
    assert scripted.join(timeout=TIMEOUT)
    assert seen == [request]
    assert scripted.errors == []


def test_scripted_server_over_tls(scripted_server, ca_file):
    def handler(conn):
        conn.read_request()
        conn.send(b"HTTP/1.1 204 No Content\r\n\r\n")

    scripted = scripted_server(handler, tls=True)
    assert scripted.url.startswith("https://127.0.0.1:")
    context = tls_client_context(ca_file, ["http/1.1"])
    connection = http.client.HTTPSConnection(
        "localhost", scripted.port, timeout=TIMEOUT, context=context
    )
    try:
        connection.request("GET", "/")
        assert connection.getresponse().status == 204
    finally:
        connection.close()
    assert scripted.join(timeout=TIMEOUT)
    assert scripted.errors == []


def test_silent_server_never_answers(silent_server):
    with socket.create_connection(("127.0.0.1", silent_server.port), TIMEOUT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(0.1)
        with pytest.raises(TimeoutError):
            sock.recv(1)


def test_closed_port_refuses(closed_port):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", closed_port), TIMEOUT).close()


# --- Backends and leak checks -----------------------------------------------


async def test_async_tests_run_on_every_backend(backend):
    assert backend in BACKENDS
    if backend == "sync":
        with pytest.raises(RuntimeError):
            asyncio.get_running_loop()
    elif backend == "asyncio":
        asyncio.get_running_loop()


async def test_async_tests_without_backend_run_on_asyncio():
    await asyncio.sleep(0)


def test_no_fd_leak_fixture(server, no_fd_leak):
    assert get(server.url + "/")[2] == HELLO


def test_no_fd_leak_reports_leaks():
    leaked = []
    with pytest.raises(AssertionError, match=r"1 file descriptor\(s\) leaked"):
        with helpers.no_fd_leak(timeout=0.05):
            leaked.append(socket.socket())
    leaked[0].close()
    assert helpers.open_fd_count() > 0
