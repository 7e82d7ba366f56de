"""Feed messages framed once and written straight to the sockets that can take them.

A commit's message for a topic goes to every subscriber of that topic. Through the ASGI interface
each of them costs a wake-up of the connection's writer task and a pass through Starlette and the
server's WebSocket protocol (which frames, and when negotiated compresses, the same text again for
every socket): about 30 µs a message, so 1,000 subscribers waited up to 30 ms for the last one.
`Outgoing` frames the text once (a final text frame, unmasked as a server's are, not compressed:
RFC 7692 lets an endpoint send any message uncompressed) and `SocketWriter` hands the bytes to the
connection's transport, which sends them at once.

`SocketWriter` exists only under uvicorn's `websockets-sansio` protocol (the `auto` default when
the websockets package is installed): `ExposeServerSend` keeps the server's own `send` in the
scope, whose owner is that protocol. It writes only while the protocol is open and its transport
is not paused; otherwise (another server, a test client, a closing socket, a full buffer) the
caller falls back to the ASGI path, which keeps the order and waits for the client.
"""

from __future__ import annotations

import struct
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.protocol import State

SERVER_SEND = "feeds.server_send"  # scope key: the ASGI server's `send` for this socket


class Outgoing:
    """One message: its text (the ASGI path) and its frame (the direct path), made once."""

    __slots__ = ("frame", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.frame = frame(text.encode())


def frame(payload: bytes) -> bytes:
    """A final, unmasked text frame of `payload` (RFC 6455 §5.2)."""
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


class ExposeServerSend:
    """ASGI middleware: keeps the server's `send` of each WebSocket in its scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)


class SocketWriter:
    """Writes frames to one accepted socket's transport, bypassing the ASGI path."""

    __slots__ = ("_conn", "_protocol", "_transport")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self._transport = protocol.transport
        self._conn = protocol.conn

    @classmethod
    def of(cls, scope: Scope) -> SocketWriter | None:
        """The writer of an accepted socket, or None when its server is not one it knows."""
        protocol = getattr(scope.get(SERVER_SEND), "__self__", None)
        if protocol is None or type(protocol).__name__ != "WebSocketsSansIOProtocol":
            return None
        if not all(hasattr(protocol, name) for name in ("transport", "conn", "writable",
                                                        "close_sent", "handshake_complete")):  # fmt: skip
            return None
        return cls(protocol)

    def write(self, data: bytes) -> bool:
        """Writes a frame; False (nothing written) unless the socket is open and not backed up."""
        protocol = self._protocol
        if (
            protocol.close_sent
            or not protocol.handshake_complete
            or not protocol.writable.is_set()
            or self._conn.state is not State.OPEN
            or self._transport.is_closing()
        ):
            return False
        self._transport.write(data)
        return True
