"""
User input that could split a request: CR, LF, NUL and the other controls
RFC 9110 forbids, in every place a caller can put text. Each is refused with
a typed httpcore error before any connection is made (proved by the server:
after the refusal, one good request is the first and only connection it
ever accepted), or is safely encoded (proved from the bytes on the wire).

Which error: a bad URL is `InvalidURL`; a bad method, header or request
target `LocalProtocolError` (the request cannot be sent); a bad cookie or
multipart content type `ValueError`, raised where the value is set.
"""

from __future__ import annotations

import base64
import urllib.parse

import pytest

import httpcore
from tests.security import RecordingServer, fields_of

CONTROLS = ["\r", "\n", "\x00", "\r\nX-Injected: 1", "\x01", "\x1f", "\x7f"]
LINE_BREAKS = ["\r", "\n", "\x00", "\r\nX-Injected: 1"]


async def assert_nothing_was_sent(client, server: RecordingServer) -> None:
    """No connection is open, and the server's first connection is a good one."""
    info = client._dispatch.pool_info()
    assert info["active"] == 0 and info["idle"] == 0, info
    response = await client.get(server.url + "/sentinel")
    assert response.text == "ok"
    assert server.connections == 1
    assert server.paths() == ["/sentinel"]


async def test_control_characters_in_the_method_are_refused(
    backend, scripted_server, no_fd_leak
):
    server = RecordingServer(scripted_server)
    async with httpcore.AsyncClient(backend=backend) as client:
        for char in [*CONTROLS, " ", "\t"]:
            method = f"GET{char}"
            with pytest.raises(
                httpcore.LocalProtocolError, match="Invalid HTTP method"
            ):
                await client.request(method, server.url + "/")
        await assert_nothing_was_sent(client, server)


@pytest.mark.parametrize(
    "template",
    [
        "{url}/pa{c}th",
        "{url}/?q=a{c}b",
        "{url}/#frag{c}ment",
        "http://127.0.0{c}.1:{port}/",
        "http://us{c}er:pass@127.0.0.1:{port}/",
        "http://user:pa{c}ss@127.0.0.1:{port}/",
    ],
    ids=["path", "query", "fragment", "host", "username", "password"],
)
async def test_line_breaks_and_nul_anywhere_in_a_url_are_refused(
    backend, scripted_server, no_fd_leak, template
):
    server = RecordingServer(scripted_server)
    async with httpcore.AsyncClient(backend=backend) as client:
        for char in LINE_BREAKS:
            url = template.format(url=server.url, port=server.port, c=char)
            with pytest.raises(httpcore.InvalidURL, match="Invalid character"):
                await client.get(url)
        await assert_nothing_was_sent(client, server)


async def test_other_controls_in_a_url_are_percent_encoded_or_refused(
    backend, scripted_server
):
    server = RecordingServer(scripted_server)
    async with httpcore.AsyncClient(backend=backend) as client:
        for char in ("\x01", "\t", " ", "\x7f"):
            with pytest.raises(httpcore.InvalidURL, match="in host"):
                await client.get(f"http://127.0.0{char}.1:{server.port}/")
            await client.get(f"{server.url}/a{char}b?q={char}#f{char}")
            # In the userinfo it is encoded, then sent only base64'd.
            await client.get(server.url.replace("://", f"://u{char}:p@") + "/")
    encoded = "%{:02X}".format(ord("\x01"))
    lines = [head.split(b"\r\n", 1)[0] for head in server.heads]
    assert lines[0] == f"GET /a{encoded}b?q={encoded} HTTP/1.1".encode()
    assert lines[2] == b"GET /a%09b?q=%09 HTTP/1.1"
    assert lines[4] == b"GET /a%20b?q=%20 HTTP/1.1"
    assert lines[6] == b"GET /a%7Fb?q=%7F HTTP/1.1"
    authorization = dict(fields_of(server.heads[1]))["authorization"]
    assert base64.b64decode(authorization.split()[1]) == b"u\x01:p"


async def test_control_characters_in_header_names_and_values_are_refused(
    backend, scripted_server, no_fd_leak
):
    server = RecordingServer(scripted_server)
    async with httpcore.AsyncClient(backend=backend) as client:
        for char in [*CONTROLS, " ", ":", "\t"]:
            with pytest.raises(
                httpcore.LocalProtocolError, match="Invalid header name"
            ) as info:
                await client.get(server.url + "/", headers={f"X-A{char}": "v"})
            assert info.value.request.url == server.url + "/"
        for char in CONTROLS:
            for value in (f"v{char}", f"{char}v", f"a{char}b"):
                with pytest.raises(
                    httpcore.LocalProtocolError, match="Invalid value for header 'X-A'"
                ):
                    await client.get(server.url + "/", headers={"X-A": value})
                with pytest.raises(httpcore.LocalProtocolError, match="X-A"):
                    await client.get(
                        server.url + "/", headers={b"X-A": value.encode("latin-1")}
                    )
        await assert_nothing_was_sent(client, server)
        # A tab inside a value is allowed (RFC 9110 5.5), and sent as it is.
        await client.get(server.url + "/tab", headers={"X-A": "a\tb"})
    assert ("x-a", "a\tb") in fields_of(server.heads[-1])


async def test_control_characters_in_client_default_headers_are_refused(
    backend, scripted_server, no_fd_leak
):
    server = RecordingServer(scripted_server)
    for char in CONTROLS:
        async with httpcore.AsyncClient(
            backend=backend, headers={"X-Default": f"a{char}b"}
        ) as client:
            with pytest.raises(httpcore.LocalProtocolError, match="X-Default"):
                await client.get(server.url + "/")
            assert client._dispatch.pool_info()["idle"] == 0
    async with httpcore.AsyncClient(backend=backend) as client:
        await assert_nothing_was_sent(client, server)


async def test_control_characters_through_the_pool_are_refused(
    backend, scripted_server, no_fd_leak
):
    server = RecordingServer(scripted_server)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        for char in CONTROLS:
            with pytest.raises(httpcore.LocalProtocolError, match="Invalid value"):
                await pool.request(
                    "GET", server.url + "/", headers=[(b"x", f"a{char}".encode())]
                )
            with pytest.raises(
                httpcore.LocalProtocolError, match="Invalid header name"
            ):
                await pool.request(
                    "GET", server.url + "/", headers=[(f"x{char}".encode(), b"a")]
                )
            with pytest.raises(
                httpcore.LocalProtocolError, match="Invalid HTTP method"
            ):
                await pool.request(f"GET{char}", server.url + "/")
            with pytest.raises(httpcore.LocalProtocolError, match="request target"):
                await pool.request(
                    "GET",
                    server.url + "/",
                    extensions={"target": f"/a{char}b".encode("latin-1")},
                )
        for target in (b"/a HTTP/1.1", "/a HTTP/1.1", "/caf\u00e9", 3):
            with pytest.raises(httpcore.LocalProtocolError, match="request target"):
                await pool.request(
                    "GET", server.url + "/", extensions={"target": target}
                )
        info = pool.pool_info()
        assert info["active"] == 0 and info["idle"] == 0 and info["connecting"] == 0
        response = await pool.request("GET", server.url + "/sentinel")
        assert response.content == b"ok"
    assert server.connections == 1 and server.paths() == ["/sentinel"]


async def test_cookie_names_and_values_that_could_inject_are_refused(
    backend, scripted_server, no_fd_leak
):
    server = RecordingServer(scripted_server)
    bad_values = [*CONTROLS, "a; admin=1", ";"]
    bad_names = [*CONTROLS, "a=b", "a;b", "a b", "", "a,b"]
    async with httpcore.AsyncClient(backend=backend) as client:
        for value in bad_values:
            with pytest.raises(ValueError, match="Invalid value for cookie 'a'"):
                await client.get(server.url + "/", cookies={"a": value})
            with pytest.raises(ValueError, match="Invalid value for cookie"):
                client.cookies.set("a", value)
            with pytest.raises(ValueError, match="Invalid value for cookie"):
                httpcore.Cookies({"a": value})
            with pytest.raises(ValueError, match="Invalid value for cookie"):
                httpcore.AsyncClient(backend=backend, cookies=[("a", value)])
        for name in bad_names:
            with pytest.raises(ValueError, match="Invalid cookie name"):
                await client.get(server.url + "/", cookies={name: "v"})
            with pytest.raises(ValueError, match="Invalid cookie name"):
                client.cookies[name] = "v"
        assert not client.cookies
        await assert_nothing_was_sent(client, server)
        # A hand-set Cookie header is a header: the header rules apply.
        with pytest.raises(httpcore.LocalProtocolError, match="'Cookie'"):
            await client.get(server.url + "/", headers={"Cookie": "a=b\r\nX: 1"})
        # What is allowed goes out as one Cookie header, with nothing added.
        await client.get(server.url + "/ok", cookies={"a": 'x "y",z'})
    cookies = [v for k, v in fields_of(server.heads[-1]) if k == "cookie"]
    assert cookies == ['a=x "y",z']


async def test_query_params_with_controls_are_percent_encoded_on_the_wire(
    backend, scripted_server
):
    server = RecordingServer(scripted_server)
    evil = "v\r\nX-Injected: 1\x00 HTTP/1.1\r\n"
    async with httpcore.AsyncClient(backend=backend, params={evil: evil}) as client:
        await client.get(server.url + "/p", params={"k\r\n": evil, "n": "\x00\x01"})
    head = server.heads[0]
    request_line, _, _ = head.partition(b"\r\n")
    assert b"X-Injected" not in head.replace(b"X-Injected%3A", b"")
    assert all(0x20 < byte < 0x7F for byte in request_line.replace(b" ", b"!"))
    target = request_line.split(b" ")[1].decode()
    assert request_line.count(b" ") == 2
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query)
    assert sorted(query) == sorted([(evil, evil), ("k\r\n", evil), ("n", "\x00\x01")])
    assert "x-injected" not in [name for name, _ in fields_of(head)]


async def test_multipart_names_and_filenames_are_escaped_on_the_wire(
    backend, scripted_server, tmp_path
):
    received: list[bytes] = []

    def handler(conn) -> None:
        received.append(conn.read_request())
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    server = scripted_server(handler)
    evil = 'x"\r\nContent-Type: text/evil\r\n\r\nforged'
    async with httpcore.AsyncClient(backend=backend) as client:
        await client.post(
            server.url + "/",
            data={evil: "value"},
            files={evil: (evil, b"body", "text/plain")},
        )
        for char in CONTROLS:
            with pytest.raises(ValueError, match="Invalid content type"):
                await client.post(
                    server.url + "/", files={"f": ("n", b"x", f"text/plain{char}")}
                )
    body = received[0].split(b"\r\n\r\n", 1)[1]
    # Only the two parts' own Content-Type line, never the forged one.
    assert b"text/evil" not in body.replace(b"Content-Type: text/evil%0D%0A", b"")
    assert body.count(b"\r\nContent-Type: ") == 1
    assert body.count(b"forged") == 3  # name, file name, file name: all escaped
    assert b'name="x%22%0D%0AContent-Type: text/evil%0D%0A%0D%0Aforged"' in body
    assert len(received) == 1


async def test_proxy_urls_and_headers_with_line_breaks_are_refused(
    backend, scripted_server, monkeypatch, no_fd_leak
):
    proxy = RecordingServer(scripted_server)
    for char in LINE_BREAKS:
        bad_urls = [
            f"http://127.0.0.1:{proxy.port}{char}/",
            f"http://127.0.0.1{char}:{proxy.port}/",
            f"http://u{char}:p@127.0.0.1:{proxy.port}/",
        ]
        for url in bad_urls:
            with pytest.raises(httpcore.InvalidURL, match="Invalid character"):
                httpcore.Proxy(url=url)
            with pytest.raises(httpcore.InvalidURL, match="Invalid character"):
                httpcore.AsyncClient(backend=backend, proxies=url)
            with pytest.raises(httpcore.InvalidURL, match="Invalid character"):
                httpcore.AsyncClient(backend=backend, proxies={"all://": url})
            if "\x00" in url:
                continue  # an environment variable cannot hold NUL at all
            with monkeypatch.context() as env:
                env.setenv("HTTP_PROXY", url)
                with pytest.raises(httpcore.InvalidURL, match="Invalid character"):
                    async with httpcore.AsyncClient(backend=backend) as client:
                        await client.get("http://example.invalid/")
    for char in CONTROLS:
        for headers in ({"X-P": f"a{char}b"}, {f"X{char}P": "a"}):
            bad = httpcore.Proxy(url=proxy.url, headers=headers)
            with pytest.raises(httpcore.LocalProtocolError, match="header"):
                httpcore.AsyncClient(backend=backend, proxies=bad)
            with pytest.raises(httpcore.LocalProtocolError, match="header"):
                httpcore.AsyncClient(backend=backend, proxies={"https://": bad})
    assert proxy.connections == 0


async def test_basic_and_proxy_credentials_are_base64_encoded_on_the_wire(
    backend, scripted_server
):
    server = RecordingServer(scripted_server)
    user, password = "u\r\nX-Injected: 1", "p\x00\r\n"
    proxy = httpcore.Proxy(url=server.url, auth=(user, password))
    async with httpcore.AsyncClient(backend=backend) as client:
        await client.get(server.url + "/", auth=(user, password))
    async with httpcore.AsyncClient(backend=backend, proxies=proxy) as client:
        await client.get("http://example.invalid/")
    expected = (user + ":" + password).encode()
    direct, proxied = dict(fields_of(server.heads[0])), dict(fields_of(server.heads[1]))
    assert base64.b64decode(direct["authorization"].split()[1]) == expected
    assert base64.b64decode(proxied["proxy-authorization"].split()[1]) == expected
    assert "x-injected" not in direct and "x-injected" not in proxied


async def test_digest_credentials_cannot_break_out_of_the_header(
    backend, scripted_server
):
    server = RecordingServer(scripted_server)
    user = 'u"\r\nX-Injected: 1'
    auth = httpcore.DigestAuth(user, "p\r\nX-Injected: 2")
    async with httpcore.AsyncClient(backend=backend, auth=auth) as client:
        response = await client.get(server.url + "/p?challenge=digest")
        assert response.status_code == 200
    fields = fields_of(server.heads[1])
    assert "x-injected" not in [name for name, _ in fields]
    answer = dict(fields)["authorization"]
    # A username that cannot be a quoted string goes as username* (RFC 7616).
    quoted = urllib.parse.quote(user, safe="")
    assert f"username*=UTF-8''{quoted}" in answer
