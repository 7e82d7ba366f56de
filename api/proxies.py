"""Who the client is: the connection's peer, unless that peer is a trusted reverse proxy.

Rate limits and the WebSocket connection cap count per client address, so that address must be
one a client cannot choose. By default it is the TCP peer and `X-Forwarded-For` is ignored (the
server is started without uvicorn's proxy headers: see `api.__main__`). With `API_TRUSTED_PROXIES`
(CIDRs) set, a request whose peer is in one of them is taken from `X-Forwarded-For`: the address
right-most in the chain that is not itself a trusted proxy, the first hop a trusted proxy saw,
since everything left of it was written by the client. `X-Forwarded-Proto` from a trusted proxy
sets the scheme.

`TrustedProxies` is an ASGI middleware that rewrites the scope's `client` (and `scheme`) once,
for HTTP and WebSocket alike, so everything downstream (limits, caps, logs) sees the same client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses) as networks; raises ValueError naming a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"{value!r} is not an IP address or CIDR") from error
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def client_address(peer: str | None, forwarded_for: Sequence[str],
                   networks: Sequence[Network]) -> str | None:  # fmt: skip
    """The client of a request from `peer` with `X-Forwarded-For` values `forwarded_for`.

    The peer itself unless it is in `networks`; then the right-most forwarded address not in
    `networks` (the left-most when all are), or the peer when there is none that parses.
    """
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    chosen: str | None = None
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage from the client's side: stop at the last good hop
        chosen = str(address)
        if not any(address in network for network in networks):
            return chosen
    return chosen or peer


class TrustedProxies:
    """Sets the scope's client (and scheme) from a trusted proxy's forwarding headers.

    Args:
        app: The application it wraps.
        networks: The trusted proxies; empty trusts none (the peer is the client).
    """

    def __init__(self, app: ASGIApp, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.networks and scope["type"] in ("http", "websocket") and scope.get("client"):
            host, port = scope["client"]
            if _trusted(host, self.networks):
                headers = scope["headers"]
                forwarded = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
                client = client_address(host, forwarded, self.networks)
                scope = dict(scope, client=(client, port if client == host else 0))
                proto = next((v.decode("latin-1") for k, v in headers
                              if k == b"x-forwarded-proto"), None)  # fmt: skip
                if proto is not None:
                    scope["scheme"] = _scheme(proto.split(",")[-1].strip().lower(), scope)
        await self.app(scope, receive, send)


def _scheme(proto: str, scope: Scope) -> str:
    if proto in ("https", "wss"):
        secure = True
    elif proto in ("http", "ws"):
        secure = False
    else:
        return str(scope["scheme"])
    if scope["type"] == "websocket":
        return "wss" if secure else "ws"
    return "https" if secure else "http"
