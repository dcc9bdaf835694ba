"""Refuse URLs that point into private networks (SSRF guard for crawls and webhooks)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from bounceback.errors import UnsafeURL

ALLOWED_SCHEMES = ("http", "https")


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return [host.strip("[]")]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise UnsafeURL(f"cannot resolve host {host!r}: {exc.strerror}") from exc
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, *, allow_private: bool = False) -> str:
    """Return ``url`` if it is http(s) and every address of its host is public.

    Raises `UnsafeURL` with a clear reason otherwise; ``allow_private`` (tests, the demo) lets
    loopback and private addresses through but still demands http(s) and a host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL(f"refused {url!r}: only http and https URLs are allowed")
    host = parts.hostname
    if not host:
        raise UnsafeURL(f"refused {url!r}: no host")
    if allow_private:
        return url
    for address in resolve_host(host):
        if _is_private(address):
            raise UnsafeURL(
                f"refused {url!r}: {host} resolves to the private address {address} "
                "(set BOUNCEBACK_ALLOW_PRIVATE_URLS=true to allow)"
            )
    return url
