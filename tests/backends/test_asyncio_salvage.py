"""
asyncio only: when a transport fails (a write hit a reset) it closes at
once, before the loop has read what the peer sent first. The backend's
protocol keeps those bytes, so an early answer to an upload (a 413 before a
reset) is still read. The ordering is forced here by calling the protocol's
`connection_lost` while the answer waits in the kernel, as the transport's
failure does; the end-to-end case is
`tests/faults/test_http11_connection.py::test_early_response_then_reset_is_returned`.
"""

from __future__ import annotations

import asyncio
import select
import socket
import struct

from httpcore._backends.asyncio import _Protocol

ANSWER = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n"


async def test_bytes_sent_before_a_reset_are_kept_when_the_transport_fails():
    loop = asyncio.get_running_loop()
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        transport, protocol = await loop.create_connection(
            _Protocol, *listener.getsockname()
        )
        peer, _ = listener.accept()
        peer.sendall(ANSWER)
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()  # a reset, right after the answer
        # Wait, without letting the loop run, until the answer is in the
        # client's kernel buffer.
        fd = transport.get_extra_info("socket").fileno()
        assert select.select([fd], [], [], 10.0)[0]
        protocol.connection_lost(ConnectionResetError("reset by peer"))
        assert b"".join(protocol.chunks) == ANSWER
        assert protocol.eof
        assert isinstance(protocol.error, ConnectionResetError)
        transport.abort()
    finally:
        listener.close()
