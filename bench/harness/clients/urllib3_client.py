"""urllib3: one `PoolManager(maxsize=...)`; sync only."""

from __future__ import annotations

from . import Options, StatusError

COLD_START = """
import urllib3
with urllib3.PoolManager(ca_certs={ca!r}) as http:
    assert http.request("GET", {url!r}).status == 200
"""

_VERSIONS = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}


class Sync:
    def __init__(self, options: Options) -> None:
        import urllib3

        self.http = urllib3.PoolManager(
            maxsize=options.pool_size,
            cert_reqs="CERT_REQUIRED",
            ca_certs=options.ca_file,
        )

    def get(self, url: str) -> int:
        response = self.http.request("GET", url)
        if response.status != 200:
            raise StatusError(response.status)
        return len(response.data)

    def post(self, url: str, body: bytes) -> int:
        response = self.http.request("POST", url, body=body)
        if response.status != 200:
            raise StatusError(response.status)
        return len(response.data)

    def http_version(self, url: str) -> str:
        return _VERSIONS.get(self.http.request("GET", url).version, "?")

    def close(self) -> None:
        self.http.clear()


def open_sync(options: Options) -> Sync:
    return Sync(options)
