"""
The sync backend's TLS stream: one thread reads while another writes (as
HTTP/2 does), and the records stay intact; timeouts and closed sockets.
"""

from __future__ import annotations

import socket
import threading

import pytest

import httpcore
from httpcore._backends._drive import drive
from httpcore._backends.sync import SyncBackend
from tests.servers import tls

MESSAGES = 5000
SIZE = 100


@pytest.fixture
def tls_echo_server():
    """Echoes everything back over TLS, on one connection."""
    context = tls.server_ssl_context()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    errors: list[BaseException] = []

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with context.wrap_socket(conn, server_side=True) as sock:
                sock.settimeout(10.0)
                while data := sock.recv(65536):
                    sock.sendall(data)
        except OSError as exc:
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], errors
    listener.close()
    thread.join(5.0)


def open_stream(port: int, ca_file: str):
    context = httpcore._config.ssl_context_for(ca_file)
    stream = drive(SyncBackend().connect_tcp("127.0.0.1", port, 5.0))
    return drive(stream.start_tls(context, "localhost", 5.0))


def test_reading_and_writing_from_two_threads(tls_echo_server, ca_file):
    port, errors = tls_echo_server
    stream = open_stream(port, ca_file)
    received = bytearray()
    failures: list[BaseException] = []

    def read() -> None:
        try:
            while len(received) < MESSAGES * SIZE:
                received.extend(drive(stream.read(65536, 5.0)))
        except BaseException as exc:  # reported below
            failures.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(MESSAGES):
        drive(stream.write(bytes([i % 256]) * SIZE, 5.0))
    reader.join(10.0)
    drive(stream.aclose())
    assert failures == [] and errors == []
    assert bytes(received) == b"".join(bytes([i % 256]) * SIZE for i in range(MESSAGES))


def test_read_timeout_and_closed_stream(tls_echo_server, ca_file):
    port, _ = tls_echo_server
    stream = open_stream(port, ca_file)
    with pytest.raises(httpcore.ReadTimeout):
        drive(stream.read(1024, 0.05))
    drive(stream.write(b"ping", 1.0))
    assert drive(stream.read(1024, 1.0)) == b"ping"
    drive(stream.aclose())
    with pytest.raises(httpcore.ReadError):
        drive(stream.read(1024, 1.0))
    with pytest.raises(httpcore.WriteError):
        drive(stream.write(b"x", 1.0))


def test_write_timeout_when_the_peer_does_not_read(ca_file):
    context = tls.server_ssl_context()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with context.wrap_socket(conn, server_side=True):
            done.wait(10.0)  # reads nothing

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        stream = open_stream(listener.getsockname()[1], ca_file)
        with pytest.raises(httpcore.WriteTimeout):
            for _ in range(1000):
                drive(stream.write(b"x" * 1024 * 1024, 0.2))
        drive(stream.aclose())
    finally:
        done.set()
        thread.join(5.0)
        listener.close()
