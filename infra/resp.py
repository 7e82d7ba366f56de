"""A blocking Redis connection that speaks just enough RESP for the indexer: it sends a command and
reads a status, integer or error reply. The indexer's only use of Redis is `PUBLISH`.

redis-py takes 0.35 to 0.5 s to import (its asyncio client, cluster commands and observability hooks
come with it), a tenth of a 100,000-event backfill from launch to exit; see "Start-up" in
docs/architecture/scaling.md. The API, which subscribes, caches and counts, keeps redis-py.

URLs are `redis://[[user]:password@]host[:port][/db]`, and `rediss://` for TLS (verified against
the system's certificate authorities, or `SSL_CERT_FILE`). The database number is ignored: pub/sub
channels span every database.
"""

from __future__ import annotations

import socket
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from infra.exceptions import ConfigurationError


class RespError(Exception):
    """Redis answered with an error, or could not be reached or read."""


class RespConnection:
    """One connection, opened on the first command and again after it drops.

    Args:
        url: The server (see the module).
        timeout: Seconds for connecting and for each reply.

    Raises:
        ConfigurationError: The URL is not a `redis://` or `rediss://` URL.
    """

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ConfigurationError(f"not a redis:// or rediss:// URL: {parts.scheme}://...")
        self.tls = parts.scheme == "rediss"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 6379
        self.timeout = timeout
        self._auth = [unquote(p) for p in (parts.username, parts.password) if p]
        self._socket: socket.socket | None = None
        self._replies: BinaryIO | None = None

    def command(self, *args: str | bytes) -> bytes | int:
        """Sends one command; returns a status reply's text or an integer reply.

        A connection that the server closed since the last command is opened again and the
        command sent once more (the server never read it). A timeout is not retried: the server
        may have run the command.

        Raises:
            RespError: An error reply, or the server cannot be reached.
        """
        request = encode(args)
        reused = self._socket is not None
        try:
            return self._send(request)
        except (ConnectionResetError, BrokenPipeError, EOFError) as error:
            self.close()
            if not reused:
                raise RespError(
                    f"Redis closed the connection: {error or 'end of stream'}"
                ) from error
        except OSError as error:
            self.close()
            raise RespError(f"Redis at {self.host}:{self.port} unreachable: {error}") from error
        try:
            return self._send(request)
        except (OSError, EOFError) as error:
            self.close()
            raise RespError(f"Redis at {self.host}:{self.port} unreachable: {error}") from error

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._socket = self._replies = None

    def _send(self, request: bytes) -> bytes | int:
        if self._socket is None:
            self._connect()
        assert self._socket is not None
        self._socket.sendall(request)
        return self._reply()

    def _connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            import ssl

            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self._socket, self._replies = sock, sock.makefile("rb")
        if self._auth:
            try:
                sock.sendall(encode(["AUTH", *self._auth]))
                self._reply()
            except BaseException:
                self.close()  # never left open unauthenticated
                raise

    def _reply(self) -> bytes | int:
        assert self._replies is not None
        line = self._replies.readline()
        if not line.endswith(b"\r\n"):
            raise EOFError()
        kind, text = line[:1], line[1:-2]
        if kind == b"+":
            return text
        if kind == b":":
            return int(text)
        if kind == b"-":
            raise RespError(f"Redis refused: {text.decode(errors='replace')}")
        self.close()  # a reply this client does not read would desynchronise the next one
        raise RespError(f"unexpected Redis reply {line[:40]!r}")


def encode(args: list[str | bytes] | tuple[str | bytes, ...]) -> bytes:
    """A command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)
