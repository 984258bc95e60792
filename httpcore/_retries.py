"""
The retry policy: `Retry`, its settings, and `retry_flow`, a generator flow.

How it works. `retry_flow(request, retry)` yields an `Attempt`: send its
request once its `wait` (seconds) is over. The client sends it, and hands
back what came of it: the response (`flow.send(response)`) or the error
(`flow.throw(exc)`). When that is final, the flow returns (`StopIteration`:
the response is the answer) or raises the error again; otherwise it yields
the next attempt. The client does the I/O (the sleep, through its backend;
putting away a response that is not kept; logging), so the policy is pure
and a test drives it with `next()`, `send()` and `throw()`.

What is retried, within `total` retries for each request the client sends
(each redirect hop and each auth round has its own):

- a connection that could not be opened (`ConnectError`, `ConnectTimeout`,
  but a certificate that fails verification): nothing was sent, so any
  method is;
- a failure once the request may have reached the server (`ReadError`,
  `WriteError`, `RemoteProtocolError`, `ReadTimeout`, `WriteTimeout`) only
  for `allowed_methods` (the idempotent ones by default): the server may
  have acted on it;
- a response whose status is in `status_forcelist`, for `allowed_methods`;

and never a request whose body cannot be sent again (a one-shot iterator).
Errors while reading a response body (after the client returned it) are not
retried.

How long to wait, as urllib3 does: the first retry goes at once, the n-th
waits `backoff_factor * 2 ** (n - 1)`, plus a random part of up to
`backoff_jitter`, at most `backoff_max`. A 413, 429 or 503 response with a
`Retry-After` (seconds, or an HTTP date) waits what it says instead, at
most `backoff_max`. A wait that would end past the request's total deadline
is not taken: the last response is returned, or the last error raised.
"""

from __future__ import annotations

import re
import ssl
import time
import typing

from ._content import is_replayable
from ._exceptions import (
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    RequestError,
    WriteError,
    WriteTimeout,
)
from ._models import BaseResponse, Request

__all__ = [
    "Attempt",
    "Retry",
    "RetryFlow",
    "RetryTypes",
    "backoff_time",
    "build_retry",
    "parse_retry_after",
    "retry_flow",
]

RETRY_AFTER_STATUS = frozenset({413, 429, 503})
DEFAULT_ALLOWED_METHODS = frozenset(
    {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}
)

# Nothing reached the server: safe to send again, whatever the method.
_NOT_SENT = (ConnectError, ConnectTimeout)
# The server may have received the request, and acted on it.
_MAYBE_SENT = (ReadError, WriteError, RemoteProtocolError, ReadTimeout, WriteTimeout)


class Retry:
    """
    When and how often a client sends a request again; for
    `Client(retries=...)` and `AsyncClient(retries=...)`, which also take
    an int `n` (`Retry(total=n)`). The names are urllib3's.

    - `total`: the most retries of each request sent (each redirect hop
      and auth round has its own).
    - `backoff_factor`, `backoff_max`, `backoff_jitter`: the wait before
      the n-th retry is `backoff_factor * 2 ** (n - 1)` seconds (none
      before the first), plus a random part of up to `backoff_jitter`, at
      most `backoff_max`.
    - `status_forcelist`: the response statuses to retry.
    - `allowed_methods`: the methods whose request is sent again after a
      response in `status_forcelist`, or after a failure once the request
      may have reached the server (`None`: every method). A connection that
      could not be opened is retried whatever the method.
    - `respect_retry_after_header`: on a 413, 429 or 503, wait what its
      `Retry-After` says (at most `backoff_max`) instead of the backoff.

    A request whose body is a one-shot iterator is never sent again. When
    the retries are used up, the last response is returned (check its
    status), or the last error raised. A `Timeout(total=...)` bounds every
    attempt and wait: a wait that would pass it ends the retries.

    ```python
    retry = httpcore.Retry(3, backoff_factor=0.5)
    with httpcore.Client(retries=retry) as client:
        response = client.get("https://example.org/")
    ```
    """

    __slots__ = (
        "allowed_methods",
        "backoff_factor",
        "backoff_jitter",
        "backoff_max",
        "respect_retry_after_header",
        "status_forcelist",
        "total",
    )

    total: int
    backoff_factor: float
    backoff_max: float
    backoff_jitter: float
    status_forcelist: frozenset[int]
    allowed_methods: frozenset[str] | None
    respect_retry_after_header: bool

    def __init__(
        self,
        total: int = 3,
        *,
        backoff_factor: float = 0.0,
        backoff_max: float = 120.0,
        backoff_jitter: float = 0.0,
        status_forcelist: typing.Iterable[int] = RETRY_AFTER_STATUS,
        allowed_methods: typing.Iterable[str] | None = DEFAULT_ALLOWED_METHODS,
        respect_retry_after_header: bool = True,
    ) -> None:
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise ValueError(f"total must be an int >= 0, not {total!r}.")
        values = {
            "total": total,
            "backoff_factor": _seconds("backoff_factor", backoff_factor),
            "backoff_max": _seconds("backoff_max", backoff_max),
            "backoff_jitter": _seconds("backoff_jitter", backoff_jitter),
            "status_forcelist": frozenset(int(code) for code in status_forcelist),
            "allowed_methods": (
                None
                if allowed_methods is None
                else frozenset(method.upper() for method in allowed_methods)
            ),
            "respect_retry_after_header": bool(respect_retry_after_header),
        }
        if isinstance(status_forcelist, (str, bytes)) or isinstance(
            allowed_methods, (str, bytes)
        ):
            raise TypeError(
                "status_forcelist and allowed_methods are collections (a set, a "
                "list), not a single string."
            )
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Retry is immutable: cannot set {name!r}.")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Retry) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        methods = self.allowed_methods
        return (
            f"Retry(total={self.total}, backoff_factor={self.backoff_factor}, "
            f"backoff_max={self.backoff_max}, "
            f"backoff_jitter={self.backoff_jitter}, "
            f"status_forcelist={sorted(self.status_forcelist)}, "
            f"allowed_methods={None if methods is None else sorted(methods)}, "
            f"respect_retry_after_header={self.respect_retry_after_header})"
        )


RetryTypes = typing.Union[int, Retry, None]


def build_retry(retries: RetryTypes) -> Retry | None:
    """A client's `retries=`: None (no retries) for `None` and 0."""
    if retries is None or isinstance(retries, Retry):
        return retries if retries is None or retries.total else None
    if isinstance(retries, bool) or not isinstance(retries, int):
        raise TypeError(f"retries must be an int, a Retry or None, not {retries!r}.")
    return Retry(retries) if retries else None


def _seconds(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}.")
    return float(value)


class Attempt(typing.NamedTuple):
    """One sending of the request: after `wait` seconds; `number` 0 is the
    first, n the n-th retry, for `reason`."""

    request: Request
    number: int
    wait: float
    reason: str


RetryFlow = typing.Generator[Attempt, BaseResponse, None]


def retry_flow(
    request: Request,
    retry: Retry,
    *,
    time_left: typing.Callable[[], float | None] = lambda: None,
    now: typing.Callable[[], float] = time.time,
    jitter: typing.Callable[[], float] | None = None,
) -> RetryFlow:
    """
    Yield the attempts at sending `request` (see the module's docstring).
    `time_left()` is the time to the request's total deadline (None: no
    deadline), `now()` the wall clock (for an HTTP date in `Retry-After`),
    `jitter()` a random number in [0, 1) (None: `random.random`).
    """
    attempt = Attempt(request, 0, 0.0, "")
    replayable = is_replayable(request.stream)
    while True:
        try:
            response = yield attempt
        except RequestError as exc:
            if not (
                replayable
                and attempt.number < retry.total
                and _retries_error(retry, request, exc)
            ):
                raise
            wait = backoff_time(retry, attempt.number + 1, jitter)
            if not _fits(wait, time_left()):
                raise
            reason = f"{type(exc).__name__}: {exc}"
            attempt = Attempt(request, attempt.number + 1, wait, reason)
            continue
        status = response.status_code
        if not (
            replayable
            and attempt.number < retry.total
            and status in retry.status_forcelist
            and _allowed(retry, request)
        ):
            return
        wait = backoff_time(retry, attempt.number + 1, jitter)
        if retry.respect_retry_after_header and status in RETRY_AFTER_STATUS:
            value = response.headers.get("retry-after")
            after = None if value is None else parse_retry_after(value, now())
            if after is not None:
                wait = min(after, retry.backoff_max)
        if not _fits(wait, time_left()):
            return
        reason = f"{int(status)} response"
        attempt = Attempt(request, attempt.number + 1, wait, reason)


def _allowed(retry: Retry, request: Request) -> bool:
    methods = retry.allowed_methods
    return methods is None or request.method.upper() in methods


def _retries_error(retry: Retry, request: Request, exc: RequestError) -> bool:
    if isinstance(exc, _NOT_SENT):
        # A certificate that fails verification will fail again.
        return not isinstance(exc.__cause__, ssl.SSLCertVerificationError)
    return isinstance(exc, _MAYBE_SENT) and _allowed(retry, request)


def _fits(wait: float, left: float | None) -> bool:
    """Whether a wait of `wait` seconds leaves time for another attempt."""
    return left is None or wait < left


def backoff_time(
    retry: Retry, number: int, jitter: typing.Callable[[], float] | None = None
) -> float:
    """
    The wait before retry `number` (1 for the first), as urllib3 computes it;
    `jitter()` is a random number in [0, 1) (None: `random.random`).
    """
    if number <= 1:
        return 0.0
    wait = retry.backoff_factor * 2.0 ** (number - 1)
    if retry.backoff_jitter:
        if jitter is None:
            import random  # not at import: few clients ever retry

            jitter = random.random
        wait += jitter() * retry.backoff_jitter
    return max(0.0, min(retry.backoff_max, wait))


_DELTA_SECONDS = re.compile(r"[0-9]+")


def parse_retry_after(value: str, now: float) -> float | None:
    """
    The seconds a `Retry-After` value asks to wait: delta-seconds, or an
    HTTP date (`now` is the current time, as `time.time()`). 0 for a date
    past; None for a value that is neither.
    """
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    import email.utils  # not at import: a Retry-After date is rare

    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None  # not an HTTP date, which is always in GMT
    return max(0.0, float(moment.timestamp()) - now)
