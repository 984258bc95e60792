"""
`StatusCode`: the registered HTTP status codes, as an `IntEnum`.
"""

from __future__ import annotations

import enum

__all__ = ["StatusCode"]


class StatusCode(enum.IntEnum):
    """
    The registered HTTP status codes (RFC 9110 and the IANA registry).

    ```python
    StatusCode.NOT_FOUND == 404           # True
    StatusCode.NOT_FOUND.phrase           # "Not Found"
    str(StatusCode.NOT_FOUND)             # "404"
    StatusCode.get_reason_phrase(404)     # "Not Found"
    StatusCode.coerce(599)                # 599, a plain int: not registered
    ```

    Names renamed by RFC 9110 keep their older spelling as an alias
    (`REQUEST_ENTITY_TOO_LARGE` is `CONTENT_TOO_LARGE`).
    """

    phrase: str

    def __new__(cls, value: int, phrase: str = "") -> StatusCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.phrase = phrase
        return member

    def __str__(self) -> str:
        return str(self._value_)

    @staticmethod
    def get_reason_phrase(code: int) -> str:
        """The reason phrase of `code`, or `""` when it is not registered."""
        member = _BY_CODE.get(code)
        return "" if member is None else member.phrase

    @staticmethod
    def coerce(code: int) -> int:
        """The `StatusCode` member for a registered `code`, else `code` itself."""
        return _BY_CODE.get(code, code)

    @staticmethod
    def is_informational(code: int) -> bool:
        """Whether `code` is 1xx."""
        return 100 <= code <= 199

    @staticmethod
    def is_success(code: int) -> bool:
        """Whether `code` is 2xx."""
        return 200 <= code <= 299

    @staticmethod
    def is_redirect(code: int) -> bool:
        """Whether `code` is a redirect to follow: 301, 302, 303, 307 or 308."""
        return code in _REDIRECTS

    @staticmethod
    def is_client_error(code: int) -> bool:
        """Whether `code` is 4xx."""
        return 400 <= code <= 499

    @staticmethod
    def is_server_error(code: int) -> bool:
        """Whether `code` is 5xx."""
        return 500 <= code <= 599

    @staticmethod
    def is_error(code: int) -> bool:
        """Whether `code` is 4xx or 5xx."""
        return 400 <= code <= 599

    CONTINUE = 100, "Continue"
    SWITCHING_PROTOCOLS = 101, "Switching Protocols"
    PROCESSING = 102, "Processing"
    EARLY_HINTS = 103, "Early Hints"
    OK = 200, "OK"
    CREATED = 201, "Created"
    ACCEPTED = 202, "Accepted"
    NON_AUTHORITATIVE_INFORMATION = 203, "Non-Authoritative Information"
    NO_CONTENT = 204, "No Content"
    RESET_CONTENT = 205, "Reset Content"
    PARTIAL_CONTENT = 206, "Partial Content"
    MULTI_STATUS = 207, "Multi-Status"
    ALREADY_REPORTED = 208, "Already Reported"
    IM_USED = 226, "IM Used"
    MULTIPLE_CHOICES = 300, "Multiple Choices"
    MOVED_PERMANENTLY = 301, "Moved Permanently"
    FOUND = 302, "Found"
    SEE_OTHER = 303, "See Other"
    NOT_MODIFIED = 304, "Not Modified"
    USE_PROXY = 305, "Use Proxy"
    TEMPORARY_REDIRECT = 307, "Temporary Redirect"
    PERMANENT_REDIRECT = 308, "Permanent Redirect"
    BAD_REQUEST = 400, "Bad Request"
    UNAUTHORIZED = 401, "Unauthorized"
    PAYMENT_REQUIRED = 402, "Payment Required"
    FORBIDDEN = 403, "Forbidden"
    NOT_FOUND = 404, "Not Found"
    METHOD_NOT_ALLOWED = 405, "Method Not Allowed"
    NOT_ACCEPTABLE = 406, "Not Acceptable"
    PROXY_AUTHENTICATION_REQUIRED = 407, "Proxy Authentication Required"
    REQUEST_TIMEOUT = 408, "Request Timeout"
    CONFLICT = 409, "Conflict"
    GONE = 410, "Gone"
    LENGTH_REQUIRED = 411, "Length Required"
    PRECONDITION_FAILED = 412, "Precondition Failed"
    CONTENT_TOO_LARGE = 413, "Content Too Large"
    REQUEST_ENTITY_TOO_LARGE = 413, "Content Too Large"
    URI_TOO_LONG = 414, "URI Too Long"
    REQUEST_URI_TOO_LONG = 414, "URI Too Long"
    UNSUPPORTED_MEDIA_TYPE = 415, "Unsupported Media Type"
    RANGE_NOT_SATISFIABLE = 416, "Range Not Satisfiable"
    REQUESTED_RANGE_NOT_SATISFIABLE = 416, "Range Not Satisfiable"
    EXPECTATION_FAILED = 417, "Expectation Failed"
    IM_A_TEAPOT = 418, "I'm a Teapot"
    MISDIRECTED_REQUEST = 421, "Misdirected Request"
    UNPROCESSABLE_CONTENT = 422, "Unprocessable Content"
    UNPROCESSABLE_ENTITY = 422, "Unprocessable Content"
    LOCKED = 423, "Locked"
    FAILED_DEPENDENCY = 424, "Failed Dependency"
    TOO_EARLY = 425, "Too Early"
    UPGRADE_REQUIRED = 426, "Upgrade Required"
    PRECONDITION_REQUIRED = 428, "Precondition Required"
    TOO_MANY_REQUESTS = 429, "Too Many Requests"
    REQUEST_HEADER_FIELDS_TOO_LARGE = 431, "Request Header Fields Too Large"
    UNAVAILABLE_FOR_LEGAL_REASONS = 451, "Unavailable For Legal Reasons"
    INTERNAL_SERVER_ERROR = 500, "Internal Server Error"
    NOT_IMPLEMENTED = 501, "Not Implemented"
    BAD_GATEWAY = 502, "Bad Gateway"
    SERVICE_UNAVAILABLE = 503, "Service Unavailable"
    GATEWAY_TIMEOUT = 504, "Gateway Timeout"
    HTTP_VERSION_NOT_SUPPORTED = 505, "HTTP Version Not Supported"
    VARIANT_ALSO_NEGOTIATES = 506, "Variant Also Negotiates"
    INSUFFICIENT_STORAGE = 507, "Insufficient Storage"
    LOOP_DETECTED = 508, "Loop Detected"
    NOT_EXTENDED = 510, "Not Extended"
    NETWORK_AUTHENTICATION_REQUIRED = 511, "Network Authentication Required"


_BY_CODE: dict[int, StatusCode] = {int(member): member for member in StatusCode}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
