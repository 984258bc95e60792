"""The `trace`, `target`, `timeout` and `sni_hostname` extensions, every backend."""

from __future__ import annotations

import json
import typing

import pytest

import httpcore
from httpcore._dispatch.trace import check_trace, mask_headers, safe_repr
from tests.servers import h2peer

Events = list[tuple[str, dict[str, typing.Any]]]


def tracer(backend: str, events: Events) -> typing.Callable[..., typing.Any]:
    """A trace callback of the kind the backend's pool wants."""
    if backend == "sync":

        def trace(name: str, info: dict[str, typing.Any]) -> None:
            events.append((name, info))

        return trace

    async def atrace(name: str, info: dict[str, typing.Any]) -> None:
        events.append((name, info))

    return atrace


def names(events: Events) -> list[str]:
    return [name for name, _ in events]


async def test_http11_events_in_order(backend, server):
    events: Events = []
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        extensions = {"trace": tracer(backend, events)}
        response = await pool.request(
            "POST", server.url + "/echo", content=b"hi", extensions=extensions
        )
        assert response.status == 200
    assert names(events) == [
        "connection.connect_tcp.started",
        "connection.connect_tcp.complete",
        "http11.send_request_headers.started",
        "http11.send_request_headers.complete",
        "http11.send_request_body.started",
        "http11.send_request_body.complete",
        "http11.receive_response_headers.started",
        "http11.receive_response_headers.complete",
        "http11.receive_response_body.started",
        "http11.receive_response_body.complete",
        "http11.response_closed.started",
        "http11.response_closed.complete",
    ]
    info = dict(events)
    started = info["connection.connect_tcp.started"]
    assert started["host"] == "127.0.0.1" and started["port"] == server.port
    assert set(started) == {
        "host",
        "port",
        "local_address",
        "timeout",
        "socket_options",
    }
    stream = info["connection.connect_tcp.complete"]["return_value"]
    assert stream.get_extra_info("socket") is not None
    request = info["http11.send_request_headers.started"]["request"]
    assert request.method == "POST"
    version, status, reason, headers = info["http11.receive_response_headers.complete"][
        "return_value"
    ]
    assert (version, status, reason) == (b"HTTP/1.1", 200, b"")  # hypercorn's
    assert (b"content-type", b"application/json") in headers


async def test_streamed_body_events(backend, server):
    events: Events = []
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        extensions = {"trace": tracer(backend, events)}
        await pool.request(
            "PUT",
            server.url + "/echo",
            content=iter([b"a", b"b"]),
            extensions=extensions,
        )
        # The second request reuses the connection: no connect events.
        events.clear()
        await pool.request("GET", server.url + "/", extensions=extensions)
    assert names(events)[0] == "http11.send_request_headers.started"


async def test_connect_failure_is_traced(backend, closed_port, no_fd_leak):
    events: Events = []
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request(
                "GET",
                f"http://127.0.0.1:{closed_port}/",
                extensions={"trace": tracer(backend, events)},
            )
    assert names(events) == [
        "connection.connect_tcp.started",
        "connection.connect_tcp.failed",
    ]
    assert isinstance(events[1][1]["exception"], httpcore.ConnectError)


async def test_read_timeout_is_traced(backend, silent_server, no_fd_leak):
    events: Events = []
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=0.2) as pool:
        with pytest.raises(httpcore.ReadTimeout):
            await pool.request(
                "GET",
                silent_server.url + "/",
                extensions={"trace": tracer(backend, events)},
            )
    assert names(events)[-1] == "http11.receive_response_headers.failed"
    assert isinstance(events[-1][1]["exception"], httpcore.ReadTimeout)


async def test_tls_and_http2_events(backend, tls_server, ca_file):
    events: Events = []
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=ca_file, http2=True
    ) as pool:
        response = await pool.request(
            "POST",
            tls_server.url + "/echo",
            content=b"hi",
            extensions={"trace": tracer(backend, events)},
        )
        assert response.protocol == "HTTP/2"
        assert response.extensions["stream_id"] == 1
        assert response.reason_phrase == "OK"
        tls_stream = dict(events)["connection.start_tls.complete"]["return_value"]
        assert tls_stream.get_extra_info("ssl_object").selected_alpn_protocol() == "h2"
    assert names(events) == [
        "connection.connect_tcp.started",
        "connection.connect_tcp.complete",
        "connection.start_tls.started",
        "connection.start_tls.complete",
        "http2.send_connection_init.started",
        "http2.send_connection_init.complete",
        "http2.send_request_headers.started",
        "http2.send_request_headers.complete",
        "http2.send_request_body.started",
        "http2.send_request_body.complete",
        "http2.receive_response_headers.started",
        "http2.receive_response_headers.complete",
        "http2.receive_response_body.started",
        "http2.receive_response_body.complete",
        "http2.response_closed.started",
        "http2.response_closed.complete",
    ]
    info = dict(events)
    assert info["connection.start_tls.started"]["server_hostname"] == "127.0.0.1"
    assert info["http2.send_request_headers.complete"]["return_value"] == 1
    assert info["http2.send_request_body.started"]["stream_id"] == 1
    headers = info["http2.receive_response_headers.complete"]["return_value"]
    assert (b":status", b"200") in headers


async def test_tls_failure_is_traced(backend, tls_server, unknown_ca_file):
    events: Events = []
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=unknown_ca_file
    ) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request(
                "GET",
                tls_server.url + "/",
                extensions={"trace": tracer(backend, events)},
            )
    assert names(events)[-1] == "connection.start_tls.failed"


async def test_unix_socket_connect_is_traced(backend, tmp_path):
    events: Events = []
    missing = str(tmp_path / "missing.sock")
    async with httpcore.AsyncConnectionPool(backend=backend, uds=missing) as pool:
        with pytest.raises(httpcore.ConnectError):
            await pool.request(
                "GET",
                "http://localhost/",
                extensions={"trace": tracer(backend, events)},
            )
    assert names(events) == [
        "connection.connect_unix_socket.started",
        "connection.connect_unix_socket.failed",
    ]
    assert events[0][1]["path"] == missing


async def test_wrong_kind_of_trace_callback_fails_before_any_io(
    backend, scripted_server
):
    server = scripted_server(lambda conn: conn.wait_for_close())
    events: Events = []
    # The opposite kind: async for the sync backend, plain for the others.
    wrong = tracer("asyncio" if backend == "sync" else "sync", events)
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        with pytest.raises(TypeError, match="trace"):
            await pool.request("GET", server.url + "/", extensions={"trace": wrong})
        assert pool.connections == []
    assert events == []
    assert server.accepted == 0


def test_check_trace_refuses_what_is_not_a_function():
    request = httpcore.Request("GET", "http://example.org/", extensions={"trace": 1})
    with pytest.raises(TypeError, match="callable"):
        check_trace(request, asynchronous=True)


def test_check_trace_accepts_async_callable_objects():
    class Trace:
        async def __call__(self, name: str, info: dict[str, typing.Any]) -> None:
            pass

    request = httpcore.Request(
        "GET", "http://example.org/", extensions={"trace": Trace()}
    )
    check_trace(request, asynchronous=True)
    with pytest.raises(TypeError, match="plain"):
        check_trace(request, asynchronous=False)


def test_sync_pool_trace(server):
    events: Events = []
    with httpcore.ConnectionPool() as pool:
        pool.request(
            "GET",
            server.url + "/",
            extensions={"trace": lambda name, info: events.append((name, info))},
        )
    assert names(events)[0] == "connection.connect_tcp.started"
    assert names(events)[-1] == "http11.response_closed.complete"


def test_safe_repr_masks_credentials():
    request = httpcore.Request("GET", "https://user:secret@example.org/a?b=1")
    assert safe_repr(request) == "<Request [GET https://example.org/a?b=1]>"
    headers = [(b"Authorization", b"Basic xyz"), (b"Accept", b"*/*")]
    assert mask_headers(headers) == [
        (b"Authorization", b"[secure]"),
        (b"Accept", b"*/*"),
    ]
    assert "xyz" not in safe_repr((b"HTTP/1.1", 200, b"OK", headers))
    assert safe_repr(("a", 1)) == "('a', 1)"


# --- target, sni_hostname, timeout ---------------------------------------------


@pytest.mark.parametrize("target", [b"/echo?raw=%7e", "/echo?raw=%7e"])
async def test_target_extension_http11(backend, server, target):
    async with httpcore.AsyncConnectionPool(backend=backend) as pool:
        response = await pool.request(
            "GET", server.url + "/ignored", extensions={"target": target}
        )
        echo = json.loads(response.content)
        assert (echo["path"], echo["query"]) == ("/echo", "raw=%7e")


async def test_target_extension_http2(backend, tls_server, ca_file):
    async with httpcore.AsyncConnectionPool(
        backend=backend, verify=ca_file, http2=True
    ) as pool:
        response = await pool.request(
            "GET", tls_server.url + "/ignored", extensions={"target": "/echo?x=1"}
        )
        assert response.protocol == "HTTP/2"
        echo = json.loads(response.content)
        assert (echo["path"], echo["query"]) == ("/echo", "x=1")


async def test_sni_hostname_extension(backend, tls_server, ca_file):
    # Connect to 127.0.0.1 but verify the certificate for "localhost".
    events: Events = []
    async with httpcore.AsyncConnectionPool(backend=backend, verify=ca_file) as pool:
        response = await pool.request(
            "GET",
            tls_server.url + "/",
            extensions={"sni_hostname": "localhost", "trace": tracer(backend, events)},
        )
        assert response.status == 200
    info = dict(events)
    assert info["connection.start_tls.started"]["server_hostname"] == "localhost"


async def test_per_request_timeout_extension(backend, silent_server, no_fd_leak):
    async with httpcore.AsyncConnectionPool(backend=backend, timeout=30.0) as pool:
        with pytest.raises(httpcore.ReadTimeout):
            await pool.request(
                "GET", silent_server.url + "/", extensions={"timeout": {"read": 0.1}}
            )


async def test_http2_informational_responses_are_traced(backend, scripted_server):
    def script(peer: h2peer.H2Peer) -> None:
        [stream_id] = peer.wait_for_requests(1)
        peer.send_headers(stream_id, 103, [(b"link", b"</a.css>; rel=preload")])
        peer.respond(stream_id, body=b"ok")
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))
    events: Events = []
    async with httpcore.AsyncConnectionPool(
        backend=backend, http1=False, http2=True
    ) as pool:
        response = await pool.request(
            "GET", server.url + "/", extensions={"trace": tracer(backend, events)}
        )
        assert response.status == 200 and response.content == b"ok"
    info = dict(events)["http2.receive_informational_response"]
    assert info["status_code"] == 103
    assert info["headers"] == [(b"link", b"</a.css>; rel=preload")]
