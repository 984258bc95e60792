"""
One-off requests: `httpcore.get(url)` and friends.

Each opens a short-lived `Client`, sends one request (following redirects),
reads the response and closes the client. For several requests, a `Client`
is faster: it keeps connections open between them.
"""

from __future__ import annotations

import contextlib
import typing

from ._auth import AuthTypes
from ._client import Client
from ._client_base import URLTypes
from ._config import DEFAULT_TIMEOUT, CertTypes, TimeoutTypes, VerifyTypes
from ._content import RequestContent, RequestData
from ._cookies import CookieTypes
from ._headers import HeaderTypes
from ._models import Response
from ._multipart import RequestFiles
from ._params import QueryParamTypes

__all__ = [
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "request",
    "stream",
]


def request(
    method: str,
    url: URLTypes,
    *,
    content: RequestContent | None = None,
    data: RequestData | None = None,
    files: RequestFiles | None = None,
    json: typing.Any = None,
    params: QueryParamTypes | None = None,
    headers: HeaderTypes | None = None,
    cookies: CookieTypes | None = None,
    auth: AuthTypes | None = None,
    allow_redirects: bool = True,
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    trust_env: bool = True,
) -> Response:
    """
    Send one request with a short-lived `Client`, and return its response,
    read.

    ```python
    response = httpcore.request("POST", "https://example.org/", json={"a": 1})
    ```

    The arguments are those of `Client.request()`; `verify`, `cert`,
    `timeout` and `trust_env` configure the client.
    """
    # `auth` is the client's: with none, `.netrc` applies under `trust_env`.
    with Client(
        auth=auth, verify=verify, cert=cert, timeout=timeout, trust_env=trust_env
    ) as client:
        return client.request(
            method,
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            allow_redirects=allow_redirects,
        )


@contextlib.contextmanager
def stream(
    method: str,
    url: URLTypes,
    *,
    content: RequestContent | None = None,
    data: RequestData | None = None,
    files: RequestFiles | None = None,
    json: typing.Any = None,
    params: QueryParamTypes | None = None,
    headers: HeaderTypes | None = None,
    cookies: CookieTypes | None = None,
    auth: AuthTypes | None = None,
    allow_redirects: bool = True,
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    trust_env: bool = True,
) -> typing.Iterator[Response]:
    """
    Send one request and give its response with the body not read yet;
    the response and its client close when the `with` block ends.

    ```python
    with httpcore.stream("GET", "https://example.org/") as response:
        for chunk in response.stream():
            ...
    ```
    """
    with Client(
        auth=auth, verify=verify, cert=cert, timeout=timeout, trust_env=trust_env
    ) as client:
        response = client.request(
            method,
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            allow_redirects=allow_redirects,
            stream=True,
        )
        with response:
            yield response


def get(
    url: URLTypes,
    *,
    params: QueryParamTypes | None = None,
    headers: HeaderTypes | None = None,
    cookies: CookieTypes | None = None,
    auth: AuthTypes | None = None,
    allow_redirects: bool = True,
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    trust_env: bool = True,
) -> Response:
    """
    Send a `GET` request; see `request()`.

    ```python
    response = httpcore.get("https://example.org/", params={"q": "1"})
    ```
    """
    return request(
        "GET",
        url,
        params=params,
        headers=headers,
        cookies=cookies,
        auth=auth,
        allow_redirects=allow_redirects,
        verify=verify,
        cert=cert,
        timeout=timeout,
        trust_env=trust_env,
    )


def options(
    url: URLTypes,
    *,
    params: QueryParamTypes | None = None,
    headers: HeaderTypes | None = None,
    cookies: CookieTypes | None = None,
    auth: AuthTypes | None = None,
    allow_redirects: bool = True,
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    trust_env: bool = True,
) -> Response:
    """Send an `OPTIONS` request; see `request()`."""
    return request(
        "OPTIONS",
        url,
        params=params,
        headers=headers,
        cookies=cookies,
        auth=auth,
        allow_redirects=allow_redirects,
        verify=verify,
        cert=cert,
        timeout=timeout,
        trust_env=trust_env,
    )


def head(
    url: URLTypes,
    *,
    params: QueryParamTypes | None = None,
    headers: HeaderTypes | None = None,
    cookies: CookieTypes | None = None,
    auth: AuthTypes | None = None,
    allow_redirects: bool = False,
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    trust_env: bool = True,
) -> Response:
    """Send a `HEAD` request (redirects not followed by default); see `request()`."""
    return request(
        "HEAD",
        url,
        params=params,
        headers=headers,
        cookies=cookies,
        auth=auth,
        allow_redirects=allow_redirects,
        verify=verify,
        cert=cert,
        timeout=timeout,
        trust_env=trust_env,
    )


def post(
    url: URLTypes,
    *,
    content: RequestContent | None = None,
    data: RequestData | None = None,
    files: RequestFiles | None = None,
    json: typing.Any = None,
    params: QueryParamTypes | None = None,
    headers: HeaderTypes | None = None,
    cookies: CookieTypes | None = None,
    auth: AuthTypes | None = None,
    allow_redirects: bool = True,
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    trust_env: bool = True,
) -> Response:
    """Send a `POST` request; see `request()`."""
    return request(
        "POST",
        url,
        content=content,
        data=data,
        files=files,
        json=json,
        params=params,
        headers=headers,
        cookies=cookies,
        auth=auth,
        allow_redirects=allow_redirects,
        verify=verify,
        cert=cert,
        timeout=timeout,
        trust_env=trust_env,
    )


def put(
    url: URLTypes,
    *,
    content: RequestContent | None = None,
    data: RequestData | None = None,
    files: RequestFiles | None = None,
    json: typing.Any = None,
    params: QueryParamTypes | None = None,
    headers: HeaderTypes | None = None,
    cookies: CookieTypes | None = None,
    auth: AuthTypes | None = None,
    allow_redirects: bool = True,
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    trust_env: bool = True,
) -> Response:
    """Send a `PUT` request; see `request()`."""
    return request(
        "PUT",
        url,
        content=content,
        data=data,
        files=files,
        json=json,
        params=params,
        headers=headers,
        cookies=cookies,
        auth=auth,
        allow_redirects=allow_redirects,
        verify=verify,
        cert=cert,
        timeout=timeout,
        trust_env=trust_env,
    )


def patch(
    url: URLTypes,
    *,
    content: RequestContent | None = None,
    data: RequestData | None = None,
    files: RequestFiles | None = None,
    json: typing.Any = None,
    params: QueryParamTypes | None = None,
    headers: HeaderTypes | None = None,
    cookies: CookieTypes | None = None,
    auth: AuthTypes | None = None,
    allow_redirects: bool = True,
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    trust_env: bool = True,
) -> Response:
    """Send a `PATCH` request; see `request()`."""
    return request(
        "PATCH",
        url,
        content=content,
        data=data,
        files=files,
        json=json,
        params=params,
        headers=headers,
        cookies=cookies,
        auth=auth,
        allow_redirects=allow_redirects,
        verify=verify,
        cert=cert,
        timeout=timeout,
        trust_env=trust_env,
    )


def delete(
    url: URLTypes,
    *,
    params: QueryParamTypes | None = None,
    headers: HeaderTypes | None = None,
    cookies: CookieTypes | None = None,
    auth: AuthTypes | None = None,
    allow_redirects: bool = True,
    verify: VerifyTypes = True,
    cert: CertTypes | None = None,
    timeout: TimeoutTypes = DEFAULT_TIMEOUT,
    trust_env: bool = True,
) -> Response:
    """Send a `DELETE` request; see `request()`."""
    return request(
        "DELETE",
        url,
        params=params,
        headers=headers,
        cookies=cookies,
        auth=auth,
        allow_redirects=allow_redirects,
        verify=verify,
        cert=cert,
        timeout=timeout,
        trust_env=trust_env,
    )
