"""Which addresses the studio may send a request to on a user's behalf (a reference image URL,
a webhook endpoint): public addresses, and private ones only where the operator allows them.

Without this a user could make the studio read its own admin, a cloud metadata service
(169.254.169.254) or anything on the private network. Every address a name resolves to must be
allowed, and the connection's actual peer is checked again after connecting (a name that
resolves differently the second time cannot slip through).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class EgressRefused(ValueError):
    """The URL may not be requested; the message says why, for the user."""


@dataclass(frozen=True)
class EgressRules:
    # Networks allowed even though they are private, loopback or link-local (OUTGOING_ALLOWED_NETWORKS).
    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls) -> EgressRules:
        from django.conf import settings

        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in settings.OUTGOING_ALLOWED_NETWORKS))

    def allows(self, address: Address) -> bool:
        if any(address in network for network in self.allowed_networks):
            return True
        return address.is_global and not address.is_multicast

    def check(self, url: str) -> tuple[str, int]:
        """The host and port of a URL the rules allow; EgressRefused otherwise."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise EgressRefused(f"“{url[:80]}” is not a valid URL") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EgressRefused("only http:// and https:// URLs with a host name are allowed")
        if parts.username or parts.password:
            raise EgressRefused("a URL may not carry a user name or password")
        host = parts.hostname
        addresses = _resolve(host, port)
        if not addresses:
            raise EgressRefused(f"the host {host[:80]} could not be found")
        refused = [a for a in addresses if not self.allows(a)]
        if refused:
            raise EgressRefused(
                f"the host {host[:80]} is at {refused[0]}, a private or local address the studio does not send requests to"
            )
        return host, port

    def check_peer(self, response: httpx.Response) -> None:
        """Refuse a response whose connection ended up at an address the rules do not allow."""
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if peer and not self.allows(ipaddress.ip_address(peer[0])):
            raise EgressRefused(f"the connection went to {peer[0]}, a private or local address")


def _resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return _unique(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos)


def _unique(addresses: Iterable[Address]) -> list[Address]:
    return list(dict.fromkeys(addresses))
