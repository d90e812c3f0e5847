"""A database's allowed IPs (Platform API ``allowed_ips``), checked as turso-cli checks them
(``db_allow_rules.go``): each entry an IP address or a CIDR block. Read by the client side (ops) before a
request and by the local Turso's server on one."""

from __future__ import annotations

import ipaddress


def invalid_ip_kind(entry: str) -> str | None:
    """What ``entry`` fails to be: ``CIDR block`` (it has a ``/``) or ``IP address``; None when it is valid."""
    try:
        if "/" in entry:
            ipaddress.ip_network(entry, strict=False)
        else:
            ipaddress.ip_address(entry)
    except ValueError:
        return "CIDR block" if "/" in entry else "IP address"
    return None


__all__ = ["invalid_ip_kind"]
