"""
nginx on loopback, configured and started for one bench run.

- Installs nginx and its echo module from Debian packages when missing.
- Generates a throwaway CA and server certificate (trustme), the bodies, and
  an nginx config in a temporary folder; nothing outside it is touched.
- Two servers, both on 127.0.0.1: plain HTTP/1.1, and TLS offering h2 and
  http/1.1 by ALPN. Keep-alive with a huge `keepalive_requests`, no access log.
- `/small` (13 bytes), `/64k`, `/10m`: static files.
- `/upload`: reads the whole request body (up to 2 MiB, kept in memory) with
  the echo module's `echo_read_request_body`, and only then answers "ok".
  A plain `return 200` would answer at once and discard the body afterwards,
  letting a client that notices the early answer skip most of its upload; the
  self-check below proves that the answer waits for the last byte.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import typing

from .scenarios import BODY_10M, BODY_64K, SMALL_BODY, UPLOAD_SIZE

ECHO_MODULE_GLOBS = [
    "/usr/lib/nginx/modules/ngx_http_echo_module.so",
    "/usr/lib64/nginx/modules/ngx_http_echo_module.so",
    "/usr/share/nginx/modules/ngx_http_echo_module.so",
]
DEBIAN_PACKAGES = ["nginx", "libnginx-mod-http-echo"]


@dataclasses.dataclass(frozen=True)
class Server:
    """Where the running server listens, and the CA that signed its cert."""

    port: int
    tls_port: int
    ca_file: str
    version: str
    folder: pathlib.Path
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"https://{self.host}:{self.tls_port}"


def echo_module() -> str | None:
    for path in ECHO_MODULE_GLOBS:
        if os.path.exists(path):
            return path
    return None


def ensure_nginx(log: typing.Callable[[str], None] = print) -> str:
    """The nginx binary, installed with its echo module first if needed."""
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    if nginx and echo_module():
        return nginx
    if not shutil.which("apt-get"):
        raise SystemExit(
            "nginx and its echo module are needed; install them (Debian: "
            f"apt-get install {' '.join(DEBIAN_PACKAGES)}) and run again."
        )
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    log(f"Installing {' '.join(DEBIAN_PACKAGES)} with apt-get ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-qq", *DEBIAN_PACKAGES],
        check=True,
        env=env,
    )
    # The package starts a system-wide nginx on port 80; this bench does not
    # need it, but leaves it as the package set it up.
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx) or not echo_module():
        raise SystemExit("nginx or its echo module is still missing after apt-get.")
    return nginx


def nginx_version(nginx: str) -> tuple[int, ...]:
    out = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out)
    if not match:
        raise RuntimeError(f"cannot read the nginx version from {out!r}")
    return tuple(int(part) for part in match.groups())


def fd_limit() -> int:
    """Files an nginx worker may open: 65536, or less if the hard limit is lower."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_certs(folder: pathlib.Path) -> tuple[str, str, str]:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = folder / "ca.pem"
    chain_file = folder / "server-chain.pem"
    key_file = folder / "server-key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_pem.write_to_path(str(key_file))
    with open(chain_file, "wb") as file:
        for blob in cert.cert_chain_pems:
            file.write(blob.bytes())
    return str(ca_file), str(chain_file), str(key_file)


def write_bodies(root: pathlib.Path) -> None:
    root.mkdir()
    (root / "small").write_bytes(SMALL_BODY)
    (root / "64k").write_bytes(os.urandom(BODY_64K))
    (root / "10m").write_bytes(os.urandom(BODY_10M))


def render_config(
    folder: pathlib.Path,
    version: tuple[int, ...],
    http_port: int,
    tls_port: int,
    chain_file: str,
    key_file: str,
    workers: int,
) -> str:
    # `http2 on;` replaced `listen ... http2` in nginx 1.25.1.
    if version >= (1, 25, 1):
        tls_listen = f"listen 127.0.0.1:{tls_port} ssl backlog=4096;\n        http2 on;"
    else:
        tls_listen = f"listen 127.0.0.1:{tls_port} ssl http2 backlog=4096;"
    upload = """
        location = /upload {
            client_max_body_size 2m;
            client_body_buffer_size 2m;
            client_body_in_single_buffer on;
            echo_read_request_body;
            echo -n "ok";
        }"""
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
    return f"""# Generated by bench/harness/server.py for one bench run.
{user}daemon off;
worker_processes {workers};
worker_rlimit_nofile {fd_limit()};
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
load_module {echo_module()};

events {{
    worker_connections 8192;
}}

http {{
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    http2_max_concurrent_streams 128;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    root {folder}/www;

    server {{
        listen 127.0.0.1:{http_port} backlog=4096;
        {upload}
    }}

    server {{
        {tls_listen}
        ssl_certificate {chain_file};
        ssl_certificate_key {key_file};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:1m;
        {upload}
    }}
}}
"""


def wait_listening(port: int, process: subprocess.Popen[bytes], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx is not listening on port {port} after {limit} s")


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith((b"ok", b"0\r\n\r\n")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > 1 << 20:
            break
    return data


def self_check(server: Server) -> None:
    """Prove the endpoints serve what the scenarios expect; raise if not."""
    host, port = server.host, server.port
    # Plain: the small body.
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"GET /small HTTP/1.1\r\nHost: bench\r\n\r\n")
        answer = b""
        while not answer.endswith(SMALL_BODY):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 200") or not answer.endswith(SMALL_BODY):
            raise RuntimeError(f"GET /small failed: {answer[:200]!r}")
    # TLS: ALPN offers h2.
    context = ssl.create_default_context(cafile=server.ca_file)
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection((host, server.tls_port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            if tls.selected_alpn_protocol() != "h2":
                raise RuntimeError("the TLS server does not negotiate h2 by ALPN")
    # Upload: no answer before the last byte of the body has arrived.
    body = b"u" * UPLOAD_SIZE
    head = (
        f"POST /upload HTTP/1.1\r\nHost: bench\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(head + body[: len(body) // 2])
        sock.settimeout(0.5)
        try:
            early = sock.recv(4096)
        except TimeoutError:
            early = b""
        if early:
            raise RuntimeError(f"/upload answered before the body was sent: {early!r}")
        sock.settimeout(5)
        sock.sendall(body[len(body) // 2 :])
        answer = _read_response(sock)
        if not answer.startswith(b"HTTP/1.1 200") or not answer.endswith(
            (b"ok", b"2\r\nok\r\n0\r\n\r\n")
        ):
            raise RuntimeError(f"POST /upload failed: {answer[:200]!r}")


@contextlib.contextmanager
def running_nginx(
    workers: int = 1, log: typing.Callable[[str], None] = print
) -> typing.Iterator[Server]:
    """Start nginx in a temporary folder; always stop it and remove the folder."""
    nginx = ensure_nginx(log)
    version = nginx_version(nginx)
    folder = pathlib.Path(tempfile.mkdtemp(prefix="httpcore-bench-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        folder.chmod(0o755)  # nginx workers run as nobody: they read www/
        ca_file, chain_file, key_file = make_certs(folder)
        write_bodies(folder / "www")
        (folder / "tmp").mkdir()
        http_port, tls_port = free_port(), free_port()
        config = folder / "nginx.conf"
        config.write_text(
            render_config(
                folder, version, http_port, tls_port, chain_file, key_file, workers
            )
        )
        process = subprocess.Popen(
            [
                nginx,
                "-p",
                str(folder),
                "-c",
                str(config),
                "-e",
                str(folder / "error.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_listening(http_port, process, 10)
            wait_listening(tls_port, process, 10)
        except RuntimeError as exc:
            stderr = ""
            if process.poll() is not None and process.stderr is not None:
                stderr = process.stderr.read().decode()
            raise RuntimeError(f"{exc}\n{stderr}") from exc
        server = Server(
            port=http_port,
            tls_port=tls_port,
            ca_file=ca_file,
            version=".".join(map(str, version)),
            folder=folder,
        )
        self_check(server)
        yield server
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGTERM), then SIGKILL if nginx does not exit in 10 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    if process.stderr is not None:
        process.stderr.close()
