"""requests: one `Session`, its adapter's pool sized for the threads; sync only."""

from __future__ import annotations

from . import Options, StatusError

COLD_START = """
import requests
with requests.Session() as session:
    assert session.get({url!r}, verify={ca!r}).status_code == 200
"""

_VERSIONS = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}


class Sync:
    def __init__(self, options: Options) -> None:
        import requests
        import requests.adapters

        self.session = requests.Session()
        self.session.verify = options.ca_file
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=2, pool_maxsize=options.pool_size
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def get(self, url: str) -> int:
        response = self.session.get(url)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content)

    def post(self, url: str, body: bytes) -> int:
        response = self.session.post(url, data=body)
        if response.status_code != 200:
            raise StatusError(response.status_code)
        return len(response.content)

    def http_version(self, url: str) -> str:
        return _VERSIONS.get(self.session.get(url).raw.version, "?")

    def close(self) -> None:
        self.session.close()


def open_sync(options: Options) -> Sync:
    return Sync(options)
