"""Is a host this machine? One answer for config checks, database URLs and the Hrana client."""

from __future__ import annotations

import ipaddress
import ssl


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1`` (also IPv4-mapped ``::ffff:127.x``)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def hostname_is_loopback(hostname: str) -> bool:
    """Like :func:`is_loopback_host` for a ``host[:port]`` hostname as the Platform API gives it."""
    host = hostname.rsplit(":", 1)[0] if hostname.count(":") == 1 else hostname
    return is_loopback_host(host)


def loopback_only_tls() -> ssl.SSLContext:
    """For an HTTP client that only talks plain HTTP to 127.0.0.1: verification on, no CA trusted.

    Nothing over TLS could succeed with it, and building it skips loading the CA bundle (~40 ms at start).
    """
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
