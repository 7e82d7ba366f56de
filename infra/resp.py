"""A blocking Redis connection that speaks just enough RESP for the indexer: it sends a command and
reads a status, integer or error reply. The indexer's only use of Redis is `PUBLISH`.

redis-py takes 0.35 to 0.5 s to import (its asyncio client, cluster commands and observability hooks
come with it), a tenth of a 100,000-event backfill from launch to exit; see "Start-up" in
docs/architecture/scaling.md. The API, which subscribes, caches and counts, keeps redis-py.

URLs are those the API's redis-py takes, less its client-tuning options:
`redis://[[user]:password@]host[:port][/db]`, `unix:///path/to/redis.sock`, and `rediss://` for
TLS, verified against the system's certificate authorities or `SSL_CERT_FILE`
(`?ssl_ca_certs=<file>` names the authority; `?ssl_cert_reqs=none` or `optional` relax the
check). The database number is ignored: pub/sub channels span every database.
"""

from __future__ import annotations

import socket
import ssl
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

from infra.exceptions import ConfigurationError


class RespError(Exception):
    """Redis answered with an error, or could not be reached or read."""


class RespConnection:
    """One connection, opened on the first command and again after it drops.

    Args:
        url: The server (see the module).
        timeout: Seconds for connecting and for each reply.

    Raises:
        ConfigurationError: The URL is not a Redis URL (see the module), or its port or TLS
            options are wrong.
    """

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ConfigurationError(
                f"not a redis://, rediss:// or unix:// URL: {parts.scheme}://..."
            )
        try:
            self.port = parts.port or 6379
        except ValueError as error:
            raise ConfigurationError(f"a Redis URL with a bad port: {parts.netloc}") from error
        self.path = parts.path if parts.scheme == "unix" else None
        self.host = parts.hostname or "localhost"
        self.timeout = timeout
        self.where = self.path or f"{self.host}:{self.port}"
        self._auth = [unquote(p) for p in (parts.username, parts.password) if p]
        self._tls = _tls_context(parse_qs(parts.query)) if parts.scheme == "rediss" else None
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
        except _CLOSED as error:
            self.close()
            if not reused:
                raise RespError(
                    f"Redis at {self.where} closed the connection: {error!r}"
                ) from error
        except (OSError, ValueError) as error:  # ValueError: a host name IDNA refuses, a bad reply
            self.close()
            raise RespError(f"Redis at {self.where} unreachable: {error!r}") from error
        try:
            return self._send(request)
        except (OSError, EOFError, ValueError) as error:
            self.close()
            raise RespError(f"Redis at {self.where} unreachable: {error!r}") from error

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
        if self.path is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(self.path)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
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
            return int(text)  # a ValueError here is a broken reply: `command` says so
        if kind == b"-":
            raise RespError(f"Redis refused: {text.decode(errors='replace')}")
        self.close()  # a reply this client does not read would desynchronise the next one
        raise RespError(f"unexpected Redis reply {line[:40]!r}")


# How a connection the server closed shows when it is used again: before or after the request left.
_CLOSED = (ConnectionResetError, BrokenPipeError, EOFError, ssl.SSLEOFError, ssl.SSLZeroReturnError)


def _tls_context(options: dict[str, list[str]]) -> ssl.SSLContext:
    """The TLS context of a `rediss://` URL's query (`ssl_ca_certs`, `ssl_cert_reqs`)."""
    context = ssl.create_default_context(cafile=options.get("ssl_ca_certs", [None])[0])
    requirement = options.get("ssl_cert_reqs", ["required"])[0].lower()
    if requirement in ("none", "cert_none", "optional", "cert_optional"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE if "none" in requirement else ssl.CERT_OPTIONAL
    elif requirement not in ("required", "cert_required"):
        raise ConfigurationError(f"ssl_cert_reqs={requirement} is not none, optional or required")
    return context


def encode(args: list[str | bytes] | tuple[str | bytes, ...]) -> bytes:
    """A command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)
