"""
httpcore: a layered, async-first HTTP client, in the style of requests.

```python
import httpcore

response = httpcore.ConnectionPool().request("GET", "https://example.org/")
```
"""

from .__version__ import __version__
from ._api import delete, get, head, options, patch, post, put, request, stream
from ._auth import Auth, BasicAuth, NetRCAuth
from ._client import AsyncClient, Client
from ._config import (
    DEFAULT_POOL_LIMITS,
    DEFAULT_TIMEOUT,
    PoolLimits,
    Proxy,
    Timeout,
)
from ._cookies import Cookies
from ._digest import DigestAuth
from ._dispatch.asgi import ASGIDispatch
from ._dispatch.connection_pool import AsyncConnectionPool
from ._dispatch.mock import MockDispatch
from ._dispatch.proxy import AsyncHTTPProxy, HTTPProxy
from ._dispatch.socks import AsyncSOCKSProxy, SOCKSProxy
from ._dispatch.sync import ConnectionPool
from ._dispatch.wsgi import WSGIDispatch
from ._exceptions import (
    CloseError,
    ConnectError,
    ConnectTimeout,
    CookieConflict,
    DecodingError,
    HTTPError,
    HTTPStatusError,
    InvalidURL,
    LocalProtocolError,
    NetworkError,
    PoolTimeout,
    ProtocolError,
    ProxyError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    RequestError,
    RequestNotRead,
    ResponseClosed,
    ResponseNotRead,
    StreamConsumed,
    StreamError,
    TimeoutException,
    TooManyRedirects,
    TransportError,
    UnsupportedProtocol,
    WriteError,
    WriteTimeout,
)
from ._headers import Headers
from ._models import AsyncResponse, Request, Response
from ._retries import Retry
from ._status_codes import StatusCode
from ._urls import URL, Origin, QueryParams

__all__ = [
    "DEFAULT_POOL_LIMITS",
    "DEFAULT_TIMEOUT",
    "URL",
    "ASGIDispatch",
    "AsyncClient",
    "AsyncConnectionPool",
    "AsyncHTTPProxy",
    "AsyncResponse",
    "AsyncSOCKSProxy",
    "Auth",
    "BasicAuth",
    "Client",
    "CloseError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionPool",
    "CookieConflict",
    "Cookies",
    "DecodingError",
    "DigestAuth",
    "HTTPError",
    "HTTPProxy",
    "HTTPStatusError",
    "Headers",
    "InvalidURL",
    "LocalProtocolError",
    "MockDispatch",
    "NetRCAuth",
    "NetworkError",
    "Origin",
    "PoolLimits",
    "PoolTimeout",
    "ProtocolError",
    "Proxy",
    "ProxyError",
    "QueryParams",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "Request",
    "RequestError",
    "RequestNotRead",
    "Response",
    "ResponseClosed",
    "ResponseNotRead",
    "Retry",
    "SOCKSProxy",
    "StatusCode",
    "StreamConsumed",
    "StreamError",
    "Timeout",
    "TimeoutException",
    "TooManyRedirects",
    "TransportError",
    "UnsupportedProtocol",
    "WSGIDispatch",
    "WriteError",
    "WriteTimeout",
    "__version__",
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
