"""
A real proxy on loopback for the proxy tests: pproxy (PyPI), run in a
subprocess. One instance speaks HTTP (forwarding and CONNECT) and SOCKS5 on
the same port, optionally with `user:pass` credentials, and optionally
behind TLS (an `https://` proxy) with a certificate from the test CA.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

from tests.servers import tls

USERNAME = "proxyuser"
PASSWORD = "proxypass"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ProxyServer:
    """`with ProxyServer(auth=True, tls=False) as proxy:` -> `proxy.url`."""

    def __init__(self, *, auth: bool = False, tls_on: bool = False) -> None:
        self.auth = auth
        self.tls = tls_on
        self.port = _free_port()
        self.host = "127.0.0.1"
        self._process: subprocess.Popen[bytes] | None = None
        self._tmp = tempfile.TemporaryDirectory()

    def url(self, scheme: str = "http", *, credentials: bool = False) -> str:
        if scheme == "http" and self.tls:
            scheme = "https"
        userinfo = f"{USERNAME}:{PASSWORD}@" if credentials else ""
        return f"{scheme}://{userinfo}{self.host}:{self.port}"

    def __enter__(self) -> ProxyServer:
        protocols = "http+socks5"
        if self.tls:
            protocols = "http+ssl"
        listen = f"{protocols}://{self.host}:{self.port}"
        if self.auth:
            listen += f"#{USERNAME}:{PASSWORD}"
        args = [sys.executable, "-m", "pproxy", "-l", listen, "--auth", "0"]
        if self.tls:
            certfile, keyfile = tls.write_server_files(self._tmp.name)
            args += ["--ssl", f"{certfile},{keyfile}"]
        self._process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.__exit__()
                    raise RuntimeError("pproxy did not start") from None
                time.sleep(0.05)
        return self

    def __exit__(self, *args: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None
        self._tmp.cleanup()
