"""
The test dispatchers: `MockDispatch`, `ASGIDispatch` and `WSGIDispatch`, each
with a tiny app written here, through `Client` and `AsyncClient`. The async
tests run on asyncio and trio (`async_backend`).
"""

from __future__ import annotations

import typing

import pytest

import httpcore
from tests import concurrency

# --- MockDispatch ---------------------------------------------------------------


def echo_handler(request: httpcore.Request) -> httpcore.Response:
    return httpcore.Response(
        201,
        headers={"X-Method": request.method},
        json={"url": str(request.url), "body": request.content.decode()},
    )


async def async_echo_handler(request: httpcore.Request) -> httpcore.Response:
    return echo_handler(request)


def test_mock_with_client():
    dispatch = httpcore.MockDispatch(echo_handler)
    with httpcore.Client(dispatch=dispatch) as client:
        response = client.post("https://example.org/a?b=1", content=iter([b"x", b"y"]))
    assert response.status_code == 201
    assert response.headers["x-method"] == "POST"
    assert response.json() == {"url": "https://example.org/a?b=1", "body": "xy"}
    assert response.request is dispatch.requests[0]
    assert response.protocol == "HTTP/1.1"
    assert repr(dispatch).startswith("<MockDispatch handler=")


@pytest.mark.parametrize("handler", [echo_handler, async_echo_handler])
async def test_mock_with_async_client(async_backend, handler):
    dispatch = httpcore.MockDispatch(handler)

    async def body() -> typing.AsyncIterator[bytes]:
        yield b"async "
        yield b"body"

    async with httpcore.AsyncClient(dispatch=dispatch) as client:
        response = await client.put("https://example.org/", content=b"bytes")
        assert response.json()["body"] == "bytes"
        assert response.request.method == "PUT"
        if handler is async_echo_handler:
            response = await client.post("https://example.org/", content=body())
            assert response.json()["body"] == "async body"
    assert len(dispatch.requests) == (2 if handler is async_echo_handler else 1)


def test_mock_async_handler_needs_async_client():
    dispatch = httpcore.MockDispatch(async_echo_handler)
    with pytest.raises(TypeError, match="is async"):
        httpcore.Client(dispatch=dispatch)


async def test_mock_async_callable_object(async_backend):
    class Handler:
        async def __call__(self, request: httpcore.Request) -> httpcore.Response:
            return httpcore.Response(204)

    async with httpcore.AsyncClient(dispatch=httpcore.MockDispatch(Handler())) as c:
        assert (await c.delete("https://example.org/")).status_code == 204


def test_mock_through_redirects_cookies_and_decoding():
    import gzip

    def handler(request: httpcore.Request) -> httpcore.Response:
        if request.url.path == "/login":
            return httpcore.Response(
                302, headers={"Location": "/home", "Set-Cookie": "session=abc; Path=/"}
            )
        return httpcore.Response(
            200,
            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
            content=gzip.compress(request.headers.get("cookie", "").encode()),
        )

    with httpcore.Client(dispatch=httpcore.MockDispatch(handler)) as client:
        response = client.get("https://example.org/login")
    assert [r.status_code for r in response.history] == [302]
    assert response.url == "https://example.org/home"
    assert response.text == "session=abc"


def test_mock_handler_errors():
    def fails(request: httpcore.Request) -> httpcore.Response:
        raise httpcore.ConnectError("no network in tests", request=request)

    with httpcore.Client(dispatch=httpcore.MockDispatch(fails)) as client:
        with pytest.raises(httpcore.ConnectError, match="no network"):
            client.get("https://example.org/")

    def not_a_response(request: httpcore.Request) -> typing.Any:
        return "OK"

    with httpcore.Client(dispatch=httpcore.MockDispatch(not_a_response)) as client:
        with pytest.raises(TypeError, match=r"must return an httpcore\.Response"):
            client.get("https://example.org/")

    class Sneaky:  # async, but not declared so
        def __call__(self, request: httpcore.Request) -> typing.Any:
            return async_echo_handler(request)

    with httpcore.Client(dispatch=httpcore.MockDispatch(Sneaky())) as client:
        with pytest.raises(TypeError, match="returned an awaitable"):
            client.get("https://example.org/")

    with pytest.raises(TypeError, match="needs a function"):
        httpcore.MockDispatch(typing.cast(typing.Any, "handler"))


async def test_mock_sync_handler_leaves_an_async_body_unread(async_backend):
    seen = []

    def handler(request: httpcore.Request) -> httpcore.Response:
        seen.append(request.stream)
        return httpcore.Response(200)

    async def body() -> typing.AsyncIterator[bytes]:
        yield b"x"

    async with httpcore.AsyncClient(dispatch=httpcore.MockDispatch(handler)) as c:
        response = await c.post("https://example.org/", content=body())
    assert response.status_code == 200
    with pytest.raises(httpcore.RequestNotRead):
        _ = response.request.content


async def test_mock_async_handler_may_return_an_async_response(async_backend):
    async def handler(request: httpcore.Request) -> httpcore.AsyncResponse:
        return httpcore.AsyncResponse(200, text="async")

    async with httpcore.AsyncClient(dispatch=httpcore.MockDispatch(handler)) as c:
        response = await c.get("https://example.org/")
    assert response.text == "async"
    assert isinstance(response, httpcore.AsyncResponse)


# --- ASGIDispatch ---------------------------------------------------------------

Scope = dict[str, typing.Any]
Message = typing.MutableMapping[str, typing.Any]


async def read_body(receive: typing.Callable[[], typing.Awaitable[Message]]) -> list:
    chunks = []
    while True:
        message = await receive()
        assert message["type"] == "http.request"
        chunks.append(message["body"])
        if not message["more_body"]:
            return chunks


async def start(send: typing.Any, status: int = 200, headers: list | None = None):
    await send(
        {"type": "http.response.start", "status": status, "headers": headers or []}
    )


async def scope_app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
    """Answers with what it was given: the scope, and the body chunks."""
    chunks = await read_body(receive)
    shown = {
        key: value
        for key, value in scope.items()
        if key not in ("headers", "raw_path", "query_string", "extensions")
    }
    shown["headers"] = [[k.decode(), v.decode()] for k, v in scope["headers"]]
    shown["raw_path"] = scope["raw_path"].decode()
    shown["query_string"] = scope["query_string"].decode()
    shown["chunks"] = [chunk.decode() for chunk in chunks]
    await start(send, 200, [(b"content-type", b"application/json")])
    import json

    await send({"type": "http.response.body", "body": json.dumps(shown).encode()})


async def test_asgi_request_scope(async_backend):
    async def body() -> typing.AsyncIterator[bytes]:
        yield b"one"
        yield b"two"

    dispatch = httpcore.ASGIDispatch(
        scope_app, root_path="/app", client=("10.0.0.1", 5000)
    )
    async with httpcore.AsyncClient(dispatch=dispatch) as client:
        response = await client.post(
            "https://example.org:8443/app/a%20b?q=1&r=%20",
            content=body(),
            headers={"X-Custom": "Yes"},
        )
    scope = response.json()
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "POST"
    assert scope["scheme"] == "https"
    assert scope["path"] == "/app/a b"
    assert scope["raw_path"] == "/app/a%20b"
    assert scope["query_string"] == "q=1&r=%20"
    assert scope["root_path"] == "/app"
    assert scope["client"] == ["10.0.0.1", 5000]
    assert scope["server"] == ["example.org", 8443]
    assert ["x-custom", "Yes"] in scope["headers"]
    assert ["host", "example.org:8443"] in scope["headers"]
    assert scope["chunks"] == ["one", "two", ""]
    assert response.protocol == "HTTP/1.1"


def streaming_app(log: list[str]) -> typing.Any:
    async def app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
        await read_body(receive)
        await start(send, 201, [(b"x-streamed", b"yes")])
        for index in range(3):
            log.append(f"sent {index}")
            body = f"chunk {index};".encode()
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b"end"})
        log.append("app returned")

    return app


async def test_asgi_streams_the_response(async_backend):
    log: list[str] = []
    dispatch = httpcore.ASGIDispatch(streaming_app(log))
    async with httpcore.AsyncClient(dispatch=dispatch) as client:
        response = await client.get("http://testserver/", stream=True)
        assert response.status_code == 201
        assert response.headers["x-streamed"] == "yes"
        assert log == []  # the head came first, alone
        async for chunk in response.stream():
            log.append(f"read {chunk.decode()}")
        await response.close()
        assert log == [
            "sent 0",
            "read chunk 0;",
            "sent 1",
            "read chunk 1;",
            "sent 2",
            "read chunk 2;",
            "app returned",
            "read end",
        ]
        log.clear()
        response = await client.get("http://testserver/")
        assert response.text == "chunk 0;chunk 1;chunk 2;end"
        assert log[-1] == "app returned"


async def test_asgi_app_that_awaits_and_spawns(async_backend):
    """Apps that sleep, and that send from a task of their own."""

    async def app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
        await read_body(receive)
        await concurrency.sleep(async_backend, 0.001)
        if scope["path"] == "/sleepy":
            await start(send)
            await concurrency.sleep(async_backend, 0.001)
            await send({"type": "http.response.body", "body": b"rested"})
            return
        disconnected = []

        async def respond() -> None:
            await concurrency.sleep(async_backend, 0.001)
            await start(send)
            for chunk in (b"from ", b"a ", b"task"):
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
            await send({"type": "http.response.body", "body": b""})

        async def listen() -> None:
            disconnected.append(await receive())

        await concurrency.gather(async_backend, [respond, listen])
        assert disconnected == [{"type": "http.disconnect"}]

    async with httpcore.AsyncClient(dispatch=httpcore.ASGIDispatch(app)) as client:
        assert (await client.get("http://testserver/sleepy")).text == "rested"
        assert (await client.get("http://testserver/task")).text == "from a task"


async def test_asgi_closing_early_disconnects_the_app(async_backend):
    events: list[typing.Any] = []

    async def app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
        await read_body(receive)
        await start(send)
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        try:
            await send({"type": "http.response.body", "body": b"2", "more_body": True})
        except OSError as exc:
            events.append(type(exc).__mro__[1].__name__)
            events.append(await receive())
            raise

    async with httpcore.AsyncClient(dispatch=httpcore.ASGIDispatch(app)) as client:
        response = await client.get("http://testserver/", stream=True)
        async for chunk in response.stream():
            assert chunk == b"first"
            break
        await response.close()
        assert events == ["OSError", {"type": "http.disconnect"}]


async def test_asgi_cancellation(async_backend):
    """A client cancelled while the app waits: the app is cancelled with it."""
    cancelled = []

    async def app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
        try:
            await concurrency.sleep(async_backend, 10)
        except BaseException:
            cancelled.append(True)
            raise

    async with httpcore.AsyncClient(dispatch=httpcore.ASGIDispatch(app)) as client:

        async def get() -> None:
            await client.get("http://testserver/")

        await concurrency.cancel_after(async_backend, get, 0.05)
        assert cancelled == [True]


class AppError(Exception):
    pass


async def failing_app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
    path = scope["path"]
    if path == "/before":
        raise AppError("before the response")
    if path == "/nothing":
        return
    await start(send)
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    if path == "/during":
        raise AppError("in the middle of the body")
    # "/unfinished": returns without the last body message.


async def test_asgi_app_exceptions_are_raised(async_backend):
    dispatch = httpcore.ASGIDispatch(failing_app)
    async with httpcore.AsyncClient(dispatch=dispatch) as client:
        with pytest.raises(AppError, match="before the response"):
            await client.get("http://testserver/before")
        with pytest.raises(AppError, match="in the middle"):
            await client.get("http://testserver/during")
        with pytest.raises(RuntimeError, match="without sending a response"):
            await client.get("http://testserver/nothing")
        with pytest.raises(RuntimeError, match="before the end of the response"):
            await client.get("http://testserver/unfinished")


async def test_asgi_app_exceptions_as_a_server_shows_them(async_backend):
    dispatch = httpcore.ASGIDispatch(failing_app, raise_app_exceptions=False)
    async with httpcore.AsyncClient(dispatch=dispatch) as client:
        for path in ("/before", "/nothing"):
            response = await client.get(f"http://testserver{path}")
            assert response.status_code == 500
            assert response.text == "Internal Server Error"
        with pytest.raises(httpcore.RemoteProtocolError, match="AppError") as info:
            await client.get("http://testserver/during")
        assert isinstance(info.value.__cause__, AppError)
        assert info.value.request.url == "http://testserver/during"
        with pytest.raises(httpcore.RemoteProtocolError, match="before the end"):
            await client.get("http://testserver/unfinished")


async def test_asgi_app_error_after_a_disconnect(async_backend):
    async def app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
        await start(send)
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        try:
            await send({"type": "http.response.body", "body": b"b", "more_body": True})
        except OSError:
            raise AppError("while cleaning up") from None

    for raise_app_exceptions in (True, False):
        dispatch = httpcore.ASGIDispatch(app, raise_app_exceptions=raise_app_exceptions)
        async with httpcore.AsyncClient(dispatch=dispatch) as client:
            response = await client.get("http://testserver/", stream=True)
            async for chunk in response.stream():
                assert chunk == b"a"
                break
            if raise_app_exceptions:
                with pytest.raises(AppError):
                    await response.close()
            else:
                await response.close()


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        (
            [{"type": "http.response.body", "body": b"x"}],
            "before 'http.response.start'",
        ),
        (
            [
                {"type": "http.response.start", "status": 200},
                {"type": "http.response.start", "status": 200},
            ],
            "twice",
        ),
        (
            [
                {"type": "http.response.start", "status": 200},
                {"type": "http.response.body", "body": b"x"},
                {"type": "http.response.body", "body": b"y"},
            ],
            "after the last one",
        ),
    ],
)
async def test_asgi_messages_out_of_order(async_backend, messages, error):
    async def app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
        for message in messages:
            await send(message)

    async with httpcore.AsyncClient(dispatch=httpcore.ASGIDispatch(app)) as client:
        with pytest.raises(RuntimeError, match=error):
            await client.get("http://testserver/")


async def test_asgi_unknown_messages_are_ignored(async_backend):
    async def app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
        await send({"type": "http.response.debug", "info": {}})
        await start(send, 200)
        await send({"type": "http.response.body", "body": b"ok"})

    async with httpcore.AsyncClient(dispatch=httpcore.ASGIDispatch(app)) as client:
        assert (await client.get("http://testserver/")).text == "ok"


def test_asgi_needs_async_client():
    dispatch = httpcore.ASGIDispatch(scope_app)
    assert repr(dispatch).startswith("<ASGIDispatch app=")
    with pytest.raises(TypeError, match="is async"):
        httpcore.Client(dispatch=dispatch)


# --- WSGIDispatch ---------------------------------------------------------------


def environ_app(environ: dict, start_response: typing.Any) -> list[bytes]:
    """Answers with the environ's strings and the body it read."""
    import json

    shown = {k: v for k, v in environ.items() if isinstance(v, (str, tuple, bool))}
    shown["body"] = environ["wsgi.input"].read().decode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(shown).encode()]


def test_wsgi_request_environ():
    dispatch = httpcore.WSGIDispatch(
        environ_app, script_name="/app/", remote_addr="10.0.0.1"
    )
    with httpcore.Client(dispatch=dispatch) as client:
        response = client.post(
            "https://example.org:8443/app/a%20b?q=1",
            content=iter([b"one", b"two"]),
            headers=[("X-Many", "1"), ("X-Many", "2"), ("Content-Type", "text/x")],
            cookies={"a": "1"},
        )
    environ = response.json()
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["SCRIPT_NAME"] == "/app"
    assert environ["PATH_INFO"] == "/a b"
    assert environ["QUERY_STRING"] == "q=1"
    assert environ["SERVER_NAME"] == "example.org"
    assert environ["SERVER_PORT"] == "8443"
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["REMOTE_ADDR"] == "10.0.0.1"
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["wsgi.version"] == [1, 0]
    assert environ["HTTP_X_MANY"] == "1,2"
    assert environ["CONTENT_TYPE"] == "text/x"
    assert environ["HTTP_HOST"] == "example.org:8443"
    assert environ["HTTP_COOKIE"] == "a=1"
    assert environ["body"] == "onetwo"
    assert "HTTP_CONTENT_TYPE" not in environ


async def test_wsgi_with_async_client(async_backend):
    dispatch = httpcore.WSGIDispatch(environ_app)
    async with httpcore.AsyncClient(dispatch=dispatch) as client:
        response = await client.put("http://testserver/x", data={"k": "v"})
    assert response.json()["body"] == "k=v"
    assert response.json()["CONTENT_LENGTH"] == "3"
    assert isinstance(response, httpcore.AsyncResponse)


class StreamingResult:
    """A WSGI iterable that logs what is read of it, and its close()."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __iter__(self) -> typing.Iterator[bytes]:
        for index in range(3):
            self.log.append(f"made {index}")
            yield f"chunk {index};".encode()

    def close(self) -> None:
        self.log.append("closed")


def test_wsgi_streams_the_response_and_closes_the_iterable():
    log: list[str] = []

    def app(environ: dict, start_response: typing.Any) -> StreamingResult:
        start_response("202 Taken Care Of", [("X-Streamed", "yes")])
        return StreamingResult(log)

    with httpcore.Client(dispatch=httpcore.WSGIDispatch(app)) as client:
        with client.get("http://testserver/", stream=True) as response:
            assert response.status_code == 202
            assert response.reason_phrase == "Taken Care Of"
            assert response.headers["x-streamed"] == "yes"
            assert log == []
            for chunk in response.stream():
                log.append(f"read {chunk.decode()}")
        assert log == [
            "made 0",
            "read chunk 0;",
            "made 1",
            "read chunk 1;",
            "made 2",
            "read chunk 2;",
            "closed",
        ]
        log.clear()
        response = client.get("http://testserver/", stream=True)
        response.close()
        assert log == ["closed"]


def test_wsgi_generator_app_and_write():
    def generator_app(environ: dict, start_response: typing.Any):
        write = start_response("200 OK", [])
        write(b"written, ")
        yield b""
        yield b"yielded"

    with httpcore.Client(dispatch=httpcore.WSGIDispatch(generator_app)) as client:
        assert client.get("http://testserver/").text == "written, yielded"


def failing_wsgi_app(environ: dict, start_response: typing.Any):
    path = environ["PATH_INFO"]
    if path == "/before":
        raise AppError("before the response")
    if path == "/nothing":
        return []
    if path == "/twice":
        start_response("200 OK", [])
        start_response("200 OK", [])
    if path == "/exc_info":
        try:
            raise AppError("reported by the app")
        except AppError:
            import sys

            start_response("500 Oops", [], sys.exc_info())
            return [b"oops"]
    start_response("200 OK", [])
    return _failing_body()


def _failing_body() -> typing.Iterator[bytes]:
    yield b"partial"
    raise AppError("in the middle of the body")


def test_wsgi_app_exceptions_are_raised():
    dispatch = httpcore.WSGIDispatch(failing_wsgi_app)
    with httpcore.Client(dispatch=dispatch) as client:
        with pytest.raises(AppError, match="before the response"):
            client.get("http://testserver/before")
        with pytest.raises(AppError, match="in the middle"):
            client.get("http://testserver/during")
        with pytest.raises(AppError, match="reported by the app"):
            client.get("http://testserver/exc_info")
        with pytest.raises(RuntimeError, match="without calling start_response"):
            client.get("http://testserver/nothing")
        with pytest.raises(RuntimeError, match="twice"):
            client.get("http://testserver/twice")


def test_wsgi_app_exceptions_as_a_server_shows_them():
    dispatch = httpcore.WSGIDispatch(failing_wsgi_app, raise_app_exceptions=False)
    with httpcore.Client(dispatch=dispatch) as client:
        for path in ("/before", "/nothing"):
            response = client.get(f"http://testserver{path}")
            assert response.status_code == 500
            assert response.text == "Internal Server Error"
        response = client.get("http://testserver/exc_info")
        assert (response.status_code, response.reason_phrase) == (500, "Oops")
        assert response.text == "oops"
        with pytest.raises(httpcore.RemoteProtocolError, match="AppError") as info:
            client.get("http://testserver/during")
        assert isinstance(info.value.__cause__, AppError)


def test_wsgi_refuses_an_async_body():
    async def body() -> typing.AsyncIterator[bytes]:
        yield b"x"  # pragma: no cover - never iterated

    dispatch = httpcore.WSGIDispatch(environ_app)
    assert repr(dispatch).startswith("<WSGIDispatch app=")

    async def main() -> None:
        async with httpcore.AsyncClient(dispatch=dispatch) as client:
            await client.post("http://testserver/", content=body())

    import asyncio

    with pytest.raises(TypeError, match="async iterator"):
        asyncio.run(main())


def test_wsgi_input_read_in_small_pieces():
    def app(environ: dict, start_response: typing.Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        pieces = []
        while piece := stream.read(5000):
            pieces.append(len(piece))
        start_response("200 OK", [])
        return [str(pieces).encode()]

    with httpcore.Client(dispatch=httpcore.WSGIDispatch(app)) as client:
        response = client.post("http://testserver/", content=iter([b"x" * 12000]))
    assert response.text == "[5000, 5000, 2000]"


def test_asgi_app_closed_with_the_request_coroutine():
    """A request coroutine closed while the app awaits: the app is closed too."""
    import types

    closed = []

    @types.coroutine
    def wait_for_the_loop() -> typing.Generator[str, None, None]:
        yield "for the event loop"

    async def app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
        try:
            await wait_for_the_loop()
        finally:
            closed.append(True)

    dispatch = httpcore.ASGIDispatch(app)
    request = httpcore.Request("GET", "http://testserver/")
    coroutine = dispatch.send(request)
    assert coroutine.send(None) == "for the event loop"
    coroutine.close()
    assert closed == [True]


def test_mock_details():
    class NotACoroutine:
        def __await__(self) -> typing.Generator[None, None, None]:
            yield  # pragma: no cover - never awaited

    def sneaky(request: httpcore.Request) -> typing.Any:
        return NotACoroutine()

    with httpcore.Client(dispatch=httpcore.MockDispatch(sneaky)) as client:
        with pytest.raises(TypeError, match="returned an awaitable"):
            client.get("https://example.org/")

    original = httpcore.Request("GET", "https://example.org/original")

    def answers_another(request: httpcore.Request) -> httpcore.Response:
        return httpcore.Response(200, request=original)

    with httpcore.Client(dispatch=httpcore.MockDispatch(answers_another)) as client:
        assert client.get("https://example.org/").request is original


def test_asgi_app_with_cancel_scopes_of_its_own_under_trio():
    """
    Under trio, an app that sends inside a nursery or a timeout of its own is
    not paused there (its scope would be left open on the reader's task): its
    body comes whole, and the reader may use scopes of its own meanwhile.
    """
    trio = pytest.importorskip("trio")

    async def app(scope: Scope, receive: typing.Any, send: typing.Any) -> None:
        await start(send)
        for index in range(3):
            with trio.move_on_after(5):
                body = {"type": "http.response.body", "body": b"%d" % index}
                await send({**body, "more_body": True})
        async with trio.open_nursery():
            await send({"type": "http.response.body", "body": b"!"})

    async def main() -> list[bytes]:
        async with httpcore.AsyncClient(dispatch=httpcore.ASGIDispatch(app)) as c:
            with trio.fail_after(5):
                response = await c.get("http://testserver/", stream=True)
            chunks = []
            iterator = response.stream().__aiter__()
            while True:
                with trio.move_on_after(5):
                    try:
                        chunks.append(await iterator.__anext__())
                    except StopAsyncIteration:
                        return chunks

    assert b"".join(trio.run(main)) == b"012!"


def test_asgi_scope_state(monkeypatch):
    import sys
    import types

    from httpcore._dispatch import asgi

    monkeypatch.delitem(sys.modules, "trio", raising=False)
    assert asgi._scope_state() is None
    # A trio that hides its tasks' cancel status: no two states are the same,
    # so the app is never paused.
    task = types.SimpleNamespace()
    fake = types.SimpleNamespace(
        lowlevel=types.SimpleNamespace(current_task=lambda: task)
    )
    monkeypatch.setitem(sys.modules, "trio", fake)
    assert asgi._scope_state() is not asgi._scope_state()
