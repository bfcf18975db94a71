"""Server-side request forgery guard: where a webhook endpoint may point.

An endpoint is refused when its host resolves to a private, loopback, link-local,
multicast, reserved or otherwise non-global address, unless the host (or the address, or a
network containing it) is on ``QM_WEBHOOK_ALLOW_HOSTS`` or ``QM_WEBHOOK_ALLOW_PRIVATE`` is on.
It is checked when the endpoint is saved and again before every attempt, and the attempt
connects to the very address that was checked (a DNS answer that changes in between, DNS
rebinding, cannot redirect it).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from api.core.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURLError(ValueError):
    """The URL may not be used as a webhook endpoint (the message says why)."""


@dataclass(frozen=True)
class Target:
    """A checked endpoint: connect to ``address``, speak to ``host`` (Host header, TLS SNI)."""

    scheme: str
    host: str
    port: int
    address: str


def _allowed_by_list(host: str, addresses: list[IPAddress], settings: Settings) -> bool:
    for entry in settings.webhook_allow_hosts:
        if entry.lower() == host.lower():
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if addresses and all(a in network for a in addresses):
            return True
    return False


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (address.is_multicast or address.is_reserved
                                       or address.is_link_local or address.is_loopback)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # gaierror, an embedded NUL...
        raise UnsafeURLError(f"the host {host!r} does not resolve") from exc
    out: list[IPAddress] = []
    for info in infos:
        # Scoped IPv6 addresses carry "%iface"; the scope is irrelevant to the check.
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in out:
            out.append(address)
    return out


def check(url: str, settings: Settings) -> Target:
    """Resolve ``url`` and refuse it unless every address it resolves to is allowed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unclosed "[" of an IPv6 literal
        raise UnsafeURLError(f"not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError("the URL must start with https:// or http://")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError("credentials in the URL are not allowed; sign with the secret instead")
    if not host:
        raise UnsafeURLError("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError("the URL's port is not a number from 1 to 65535") from exc
    addresses = _resolve(host, port)
    if not addresses:
        raise UnsafeURLError(f"the host {host!r} does not resolve")
    if not (settings.webhook_private_allowed or _allowed_by_list(host, addresses, settings)):
        blocked = [a for a in addresses if not _public(a)]
        if blocked:
            raise UnsafeURLError(
                f"the host {host!r} resolves to a private, loopback, link-local or reserved "
                f"address ({blocked[0]}); such endpoints are refused")
    return Target(scheme=parts.scheme, host=host, port=port, address=str(addresses[0]))
