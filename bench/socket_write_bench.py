"""The feed fan-out's floor: what one frame written to each of N loopback sockets costs.

Usage (from any directory):

    .venv/bin/python bench/socket_write_bench.py                     # 5,000 sockets, 600 bytes
    .venv/bin/python bench/socket_write_bench.py --sockets 1000 --reader-nice 0

A uvloop server (the API's event loop) accepts `--sockets` TCP connections on 127.0.0.1 from one
reader process, which drains them with epoll at CPU priority `--reader-nice` (19, the lowest, as
`make bench-feed --client-nice 19` runs its subscribers). The server then writes one `--size`-byte
frame to every socket, `--rounds` times each way, a pause between rounds so the reader empties its
buffers:

    os.write     the system call alone, on each socket's descriptor (the kernel's part: on
                 loopback the sender also runs the receiver's TCP processing and wakes it)
    transport    uvloop's `transport.write`, as `api.feeds.frames.SocketWriter` writes

Each line gives the round's median time for all sockets and per socket. A hub process with 5,000
subscribers cannot write a message to all of them faster than 5,000 times the `transport` figure.
The last line is always `socket_write sockets=<n> size=<bytes> os_write_us=<x> transport_us=<y>`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import selectors
import socket
import statistics
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import cast

import click
import uvloop


def reader(port: int, sockets: int, nice: int, pipe: Connection) -> None:
    """Runs in the reader process: connects `sockets` times, then reads everything until EOF."""
    os.nice(nice)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, sockets + 256)), hard))
    selector = selectors.EpollSelector()
    for _ in range(sockets):
        connection = socket.create_connection(("127.0.0.1", port))
        connection.setblocking(False)
        selector.register(connection, selectors.EVENT_READ)
    pipe.send("ready")
    open_sockets = sockets
    while open_sockets:
        for key, _ in selector.select():
            connection = cast(socket.socket, key.fileobj)
            try:
                data = connection.recv(1 << 16)
            except BlockingIOError:
                continue
            if not data:
                selector.unregister(connection)
                connection.close()
                open_sockets -= 1


class Accepted(asyncio.Protocol):
    """A server-side connection: keeps its transport, ignores what it reads."""

    def __init__(self, transports: list[asyncio.Transport]) -> None:
        self.transports = transports

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transports.append(transport)


async def measure(sockets: int, size: int, rounds: int, nice: int) -> tuple[float, float]:
    """Median seconds per socket of `os.write` and of `transport.write`."""
    loop = asyncio.get_running_loop()
    transports: list[asyncio.Transport] = []
    server = await loop.create_server(lambda: Accepted(transports), "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=reader, args=(port, sockets, nice, theirs), daemon=True)
    child.start()
    await loop.run_in_executor(None, ours.recv)
    while len(transports) < sockets:
        await asyncio.sleep(0.05)
    frame = b"\x81\x7e" + (size - 4).to_bytes(2, "big") + b"x" * (size - 4)
    descriptors = [transport.get_extra_info("socket").fileno() for transport in transports]

    async def timed(write_all: Callable[[], None]) -> float:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            write_all()
            times.append(time.perf_counter() - started)
            await asyncio.sleep(0.3)
        return statistics.median(times) / sockets

    def by_system_call() -> None:
        for descriptor in descriptors:
            os.write(descriptor, frame)

    def by_transport() -> None:
        for transport in transports:
            transport.write(frame)

    os_write = await timed(by_system_call)
    transport_write = await timed(by_transport)
    for transport in transports:
        transport.close()
    server.close()
    await server.wait_closed()
    await loop.run_in_executor(None, child.join, 30)
    return os_write, transport_write


@click.command()
@click.option("--sockets", default=5_000, show_default=True, type=click.IntRange(min=1))
@click.option("--size", default=600, show_default=True, type=click.IntRange(130, 65_000),
              help="Bytes of each frame (a feed message with its hop times is about 600).")  # fmt: skip
@click.option("--rounds", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--reader-nice", default=19, show_default=True, type=click.IntRange(0, 19),
              help="CPU priority of the reading process.")  # fmt: skip
def main(sockets: int, size: int, rounds: int, reader_nice: int) -> None:
    """Times one frame written to each of N loopback sockets, by system call and by uvloop."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, sockets + 256)), hard))
    os_write, transport_write = uvloop.run(measure(sockets, size, rounds, reader_nice))
    for name, per_socket in (("os.write", os_write), ("transport", transport_write)):
        click.echo(f"{name:<10} {per_socket * sockets * 1000:7.1f} ms for {sockets} sockets,"
                   f" {per_socket * 1e6:5.1f} µs each (median of {rounds})")  # fmt: skip
    click.echo(f"socket_write sockets={sockets} size={size} os_write_us={os_write * 1e6:.1f}"
               f" transport_us={transport_write * 1e6:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
