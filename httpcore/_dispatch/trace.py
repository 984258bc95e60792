"""
The `trace` request extension and the DEBUG logs, from one place.

Each step of a request (connect, TLS, send the headers, ...) runs inside
`async with trace(name, logger, request, arguments) as step:`. When the
request has a `trace` callback, or the module's logger is enabled for
DEBUG, the step reports `<name>.started` with its arguments, then
`<name>.complete` with `return_value` (set on `step` by the code inside), or
`<name>.failed` with the `exception`. When neither is on, `trace()` returns
a shared do-nothing object: one dict lookup and one cached `isEnabledFor`.

Event names are `<module>.<step>.<outcome>`, e.g.
`connection.connect_tcp.started`, `http11.send_request_headers.complete`,
`http2.receive_response_body.failed`. The callback gets
`(event_name, info)`: a plain function for the sync pool, an `async def`
for the async one (checked by `check_trace` before any I/O). A cancelled
step reports nothing more: reporting it would mean awaiting while
cancelled.

Logs never show a body or a credential: requests are logged as method and
URL without userinfo, and the values of Authorization,
Proxy-Authorization, Cookie and Set-Cookie headers are masked.
"""

from __future__ import annotations

import logging
import typing

from .._models import Request

SENSITIVE_HEADERS = frozenset(
    {b"authorization", b"proxy-authorization", b"cookie", b"set-cookie"}
)
TraceCallback = typing.Callable[[str, dict[str, typing.Any]], typing.Any]


def check_trace(request: Request, *, asynchronous: bool) -> None:
    """Refuse a `trace` callback of the wrong kind, before anything is sent."""
    callback = request.extensions.get("trace")
    if callback is None:
        return
    if not callable(callback):
        raise TypeError(
            f"The 'trace' extension must be a callable "
            f"trace(event_name, info), not {callback!r}."
        )
    is_async = _is_async_callable(callback)
    if asynchronous and not is_async:
        raise TypeError(
            "The 'trace' extension of an async pool or client must be an async "
            "function: 'async def trace(event_name, info)'."
        )
    if not asynchronous and is_async:
        raise TypeError(
            "The 'trace' extension of a sync pool or client must be a plain "
            "function, not an async one: 'def trace(event_name, info)'."
        )


def _is_async_callable(callback: typing.Any) -> bool:
    import inspect  # not at import: it is slow to load

    if inspect.iscoroutinefunction(callback):
        return True
    call = getattr(callback, "__call__", None)  # noqa: B004 - instances too
    return inspect.iscoroutinefunction(call)


class Step:
    """One traced step; the code inside sets `return_value`."""

    __slots__ = ("_callback", "_info", "_logger", "_name", "return_value")

    def __init__(
        self,
        name: str,
        logger: logging.Logger | None,
        callback: TraceCallback | None,
        info: dict[str, typing.Any],
    ) -> None:
        self._name = name
        self._logger = logger
        self._callback = callback
        self._info = info
        self.return_value: typing.Any = None

    async def __aenter__(self) -> Step:
        await self._report("started", self._info)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: object,
    ) -> None:
        if exc is None:
            await self._report(
                "complete", {**self._info, "return_value": self.return_value}
            )
        elif isinstance(exc, Exception):
            await self._report("failed", {**self._info, "exception": exc})

    async def _report(self, outcome: str, info: dict[str, typing.Any]) -> None:
        name = f"{self._name}.{outcome}"
        if self._logger is not None:
            # The arguments once, when the step starts; then only its outcome.
            shown = info
            if outcome != "started":
                key = "return_value" if outcome == "complete" else "exception"
                shown = {} if info[key] is None else {key: info[key]}
            message = f"{name.partition('.')[2]} {_describe(shown)}".rstrip()
            self._logger.debug("%s", message)
        if self._callback is not None:
            result = self._callback(name, info)
            import inspect  # not at import: it is slow to load

            if inspect.isawaitable(result):
                await result


class _Untraced:
    """The step when nothing listens: does nothing, keeps nothing."""

    __slots__ = ()

    @property
    def return_value(self) -> None:
        return None

    @return_value.setter
    def return_value(self, value: typing.Any) -> None:
        pass

    async def __aenter__(self) -> _Untraced:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None


UNTRACED = _Untraced()


def trace(
    name: str,
    logger: logging.Logger,
    request: Request | None,
    info: dict[str, typing.Any],
) -> Step | _Untraced:
    """The step `name`, reported to the request's callback and the logger."""
    callback = None if request is None else request.extensions.get("trace")
    debug = logger.isEnabledFor(logging.DEBUG)
    if callback is None and not debug:
        return UNTRACED
    return Step(name, logger if debug else None, callback, info)


def tracing(request: Request, logger: logging.Logger) -> bool:
    """
    Would `trace` report anything for `request`? A protocol asks once per
    request and skips its steps' bookkeeping when not: nothing listens in
    almost every request, and five `trace` calls cost as much as a tenth of
    the request.
    """
    return "trace" in request.extensions or logger.isEnabledFor(logging.DEBUG)


async def report(
    name: str,
    logger: logging.Logger,
    request: Request | None,
    info: dict[str, typing.Any],
) -> None:
    """A one-off event, such as an informational (1xx) response."""
    step = trace(name, logger, request, info)
    if isinstance(step, Step):
        if step._logger is not None:
            message = f"{name.partition('.')[2]} {_describe(info)}"
            step._logger.debug("%s", message)
        if step._callback is not None:
            result = step._callback(name, info)
            import inspect  # not at import: it is slow to load

            if inspect.isawaitable(result):
                await result


# --- what the logs show -------------------------------------------------------


def _describe(info: dict[str, typing.Any]) -> str:
    return " ".join(f"{key}={safe_repr(value)}" for key, value in info.items()).strip()


def safe_repr(value: typing.Any) -> str:
    """`repr(value)`, with credentials masked and bodies left out."""
    if isinstance(value, Request):
        return f"<Request [{value.method} {safe_url(value)}]>"
    if isinstance(value, (list, tuple)) and value and _is_header_list(value):
        return repr(mask_headers(value))
    if isinstance(value, tuple):
        return "(" + ", ".join(safe_repr(item) for item in value) + ")"
    return repr(value)


def safe_url(request: Request) -> str:
    url = request.url
    if url.userinfo:
        url = url.copy_with(userinfo="")
    return str(url)


def _is_header_list(value: typing.Sequence[typing.Any]) -> bool:
    return all(
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], bytes)
        and isinstance(item[1], bytes)
        for item in value
    )


def mask_headers(
    headers: typing.Iterable[tuple[bytes, bytes]],
) -> list[tuple[bytes, bytes]]:
    """Headers with the values of credentials replaced by `[secure]`."""
    return [
        (name, b"[secure]" if name.lower() in SENSITIVE_HEADERS else value)
        for name, value in headers
    ]
