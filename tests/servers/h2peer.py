"""
A scripted HTTP/2 peer: h2's server side, driven by a per-test script.

`serve(script)` makes a `ScriptedServer` handler. For each accepted
connection it builds an `H2Peer` (h2c by prior knowledge over plain TCP, or
h2 over TLS when the server was started with `tls=True, alpn=["h2"]`), sends
the server preface and runs `script(peer)` in that connection's thread:

    def script(peer):
        [stream_id] = peer.wait_for_requests(1)
        peer.respond(stream_id, body=b"ok")
        peer.wait_for_close()

    server = scripted_server(h2peer.serve(script))

The peer reads only when the script asks it to (`wait*`, `receive`), so a
script decides exactly what the client sees and when. It acknowledges the
data it receives unless told not to, records every request, and can break
the rules on purpose: raw GOAWAY frames that h2 does not know about (so it
keeps answering afterwards), and headers h2 would refuse to send.
"""

from __future__ import annotations

import itertools
import threading
import time
import typing
from collections.abc import Callable

import h2.config
import h2.connection
import h2.events
import h2.settings
from h2.errors import ErrorCodes
from h2.settings import SettingCodes
from hyperframe.frame import Frame, GoAwayFrame

from tests.servers.scripted import ScriptedConnection

WAIT_TIMEOUT = 5.0


class PeerRequest:
    """One request as the peer received it."""

    def __init__(self, stream_id: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.stream_id = stream_id
        self.headers = headers
        self.body = bytearray()
        self.ended = False
        self.reset: int | None = None  # the client's RST_STREAM error code
        self.answered = False

    @property
    def path(self) -> bytes:
        return dict(self.headers)[b":path"]

    @property
    def method(self) -> bytes:
        return dict(self.headers)[b":method"]


class H2Peer:
    def __init__(
        self,
        conn: ScriptedConnection,
        index: int,
        *,
        settings: dict[SettingCodes, int] | None = None,
        validate: bool = True,
        acknowledge: bool = True,
    ) -> None:
        self.conn = conn
        self.index = index  # 1 for the server's first connection, and so on
        config = h2.config.H2Configuration(
            client_side=False,
            header_encoding=None,
            validate_outbound_headers=validate,
            normalize_outbound_headers=validate,
        )
        self.h2 = h2.connection.H2Connection(config=config)
        if settings:
            self.h2.local_settings = h2.settings.Settings(
                client=False, initial_values=dict(settings)
            )
        self.acknowledge = acknowledge
        self.requests: dict[int, PeerRequest] = {}
        self.events: list[h2.events.Event] = []
        self.closed = False

    # --- reading --------------------------------------------------------

    def start(self) -> None:
        self.h2.initiate_connection()
        self.flush()

    def receive(self, timeout: float = WAIT_TIMEOUT) -> list[h2.events.Event]:
        """One read from the client; the events it produced."""
        sock = self.conn.sock
        sock.settimeout(timeout)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            return []
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return []
        events = self.h2.receive_data(data)
        for event in events:
            self._record(event)
        self.events.extend(events)
        self.flush()
        return events

    def _record(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            assert event.stream_id is not None and event.headers is not None
            headers = [(bytes(k), bytes(v)) for k, v in event.headers]
            self.requests[event.stream_id] = PeerRequest(event.stream_id, headers)
        elif isinstance(event, h2.events.DataReceived):
            assert event.stream_id is not None and event.data is not None
            self.requests[event.stream_id].body += event.data
            if self.acknowledge:
                length = event.flow_controlled_length or 0
                self.h2.acknowledge_received_data(length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            assert event.stream_id is not None
            self.requests[event.stream_id].ended = True
        elif isinstance(event, h2.events.StreamReset):
            assert event.stream_id is not None
            request = self.requests.get(event.stream_id)
            if request is not None:
                request.reset = event.error_code

    def wait(self, ready: Callable[[], bool], timeout: float = WAIT_TIMEOUT) -> None:
        """Read until `ready()`; fail if the client closes or time runs out."""
        deadline = time.monotonic() + timeout
        while not ready():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out waiting for the client")
            if self.closed:
                raise AssertionError("the client closed the connection")
            self.receive(remaining)

    def wait_for_requests(self, n: int, timeout: float = WAIT_TIMEOUT) -> list[int]:
        """Wait until `n` requests have arrived whole; their stream ids."""
        self.wait(lambda: len(self.complete()) >= n, timeout)
        return self.complete()[:n]

    def complete(self) -> list[int]:
        """Stream ids of the requests received whole, in order."""
        return sorted(i for i, r in self.requests.items() if r.ended)

    def unanswered(self) -> list[int]:
        return [i for i in self.complete() if not self.requests[i].answered]

    def wait_for_close(self, timeout: float = WAIT_TIMEOUT) -> bool:
        """Keep reading (and acking) until the client closes; True if it did."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.receive(remaining)
        return True

    def serve_forever(self, body: Callable[[PeerRequest], bytes]) -> None:
        """Answer every request, until the client closes."""
        while not self.closed:
            for stream_id in self.unanswered():
                self.respond(stream_id, body=body(self.requests[stream_id]))
            self.receive()

    # --- writing --------------------------------------------------------

    def flush(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.conn.send(data)

    def send_headers(
        self,
        stream_id: int,
        status: int = 200,
        headers: typing.Iterable[tuple[bytes, bytes]] = (),
        *,
        end: bool = False,
    ) -> None:
        fields = [(b":status", str(status).encode()), *headers]
        self.h2.send_headers(stream_id, fields, end_stream=end)
        self.requests[stream_id].answered = True
        self.flush()

    def send_data(self, stream_id: int, data: bytes, *, end: bool = False) -> None:
        """Send `data` in frames as large as allowed (the client's window is big)."""
        size = self.h2.max_outbound_frame_size
        chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        for i, chunk in enumerate(chunks):
            self.h2.send_data(stream_id, chunk, end_stream=end and i == len(chunks) - 1)
        self.flush()

    def respond(
        self,
        stream_id: int,
        status: int = 200,
        body: bytes = b"",
        headers: typing.Iterable[tuple[bytes, bytes]] = (),
    ) -> None:
        fields = [*headers, (b"content-length", str(len(body)).encode())]
        self.send_headers(stream_id, status, fields, end=not body)
        if body:
            self.send_data(stream_id, body, end=True)

    def reset(self, stream_id: int, code: int = ErrorCodes.INTERNAL_ERROR) -> None:
        self.h2.reset_stream(stream_id, code)
        self.requests[stream_id].answered = True
        self.flush()

    def goaway(self, last_stream_id: int, code: int = ErrorCodes.NO_ERROR) -> None:
        """
        A GOAWAY written past h2, which would otherwise refuse to send
        anything more: the script may go on answering streams up to
        `last_stream_id`, as RFC 9113 allows.
        """
        frame = GoAwayFrame(0, last_stream_id=last_stream_id, error_code=code)
        self.flush()
        self.conn.send(frame.serialize())

    def send_raw(self, data: bytes) -> None:
        """Bytes written past h2 (after what h2 has queued): broken frames."""
        self.flush()
        self.conn.send(data)

    def send_frames(self, *frames: Frame) -> None:
        """Frames written past h2, which would refuse to send these."""
        self.send_raw(b"".join(frame.serialize() for frame in frames))

    def update_settings(self, settings: dict[SettingCodes | int, int]) -> None:
        self.h2.update_settings(settings)
        self.flush()

    def ping(self, data: bytes = b"12345678") -> None:
        self.h2.ping(data)
        self.flush()


def raw_frame(
    frame_type: int, stream_id: int, payload: bytes = b"", flags: int = 0
) -> bytes:
    """A frame's bytes, built by hand: hyperframe refuses to build broken ones."""
    header = len(payload).to_bytes(3, "big") + bytes([frame_type, flags])
    return header + stream_id.to_bytes(4, "big") + payload


Script = Callable[[H2Peer], object]


def serve(
    script: Script,
    *,
    settings: dict[SettingCodes, int] | None = None,
    validate: bool = True,
    acknowledge: bool = True,
) -> Callable[[ScriptedConnection], None]:
    """A `ScriptedServer` handler running `script` on each connection."""
    counter = itertools.count(1)
    lock = threading.Lock()

    def handler(conn: ScriptedConnection) -> None:
        with lock:
            index = next(counter)
        peer = H2Peer(
            conn, index, settings=settings, validate=validate, acknowledge=acknowledge
        )
        peer.start()
        script(peer)

    return handler
