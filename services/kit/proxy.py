"""The client's real address behind a trusted ingress, for login throttling and logs."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from litestar.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> list[Network]:
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()
    ]


def _trusted(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks: list[Network]) -> str:
    """Walk X-Forwarded-For from the right past trusted proxies; the first other hop is the
    client. A peer that is not a trusted proxy is the client itself, whatever it claims."""
    if not _trusted(peer, networks):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _trusted(hop, networks):
            return hop
    return peer


def forwarded_client_middleware(trusted_proxies: str) -> Callable[[ASGIApp], ASGIApp]:
    networks = parse_networks(trusted_proxies)

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            client = scope.get("client")
            if networks and client and scope["type"] in ("http", "websocket"):
                forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode("latin-1")
                real = client_address(client[0], forwarded, networks)
                if real != client[0]:
                    scope["client"] = (real, client[1])
            await app(scope, receive, send)

        return middleware

    return factory
