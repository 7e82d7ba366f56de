"""Which addresses a TCP port is listening on, read from /proc/net/tcp and /proc/net/tcp6."""

from __future__ import annotations

import ipaddress
from pathlib import Path

LISTEN = "0A"


def _address(hex_ip: str) -> str:
    raw = bytes.fromhex(hex_ip)
    # The kernel prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def listening_on(port: int) -> set[str]:
    """The local addresses of the sockets listening on TCP `port` (empty when none)."""
    found = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            hex_ip, hex_port = local.split(":")
            if state == LISTEN and int(hex_port, 16) == port:
                found.add(_address(hex_ip))
    return found


def loopback_only(port: int) -> bool:
    """Whether something listens on `port`, on loopback addresses only."""
    found = listening_on(port)
    return bool(found) and all(ipaddress.ip_address(a).is_loopback for a in found)
