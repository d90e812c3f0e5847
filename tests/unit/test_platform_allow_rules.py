"""Allowed IPs checked by one rule (tursotui.platform.allow_rules) on the client (ops) and the local Turso."""

from __future__ import annotations

import pytest

from tursotui.local.control.dbconfig import checked_ip
from tursotui.local.errors import ApiError
from tursotui.ops.dbconfig import allowed_ip
from tursotui.ops.errors import InputError
from tursotui.platform.allow_rules import invalid_ip_kind


@pytest.mark.parametrize(
    "entry", ["203.0.113.7", "10.0.0.0/8", "10.0.0.1/8", "::1", "2001:db8::/32"]
)
def test_ips_and_cidr_blocks_pass_both_sides(entry: str) -> None:
    assert invalid_ip_kind(entry) is None
    assert checked_ip(entry) == entry and allowed_ip(f" {entry} ") == entry


@pytest.mark.parametrize(
    ("entry", "kind"),
    [("300.1.1.1", "IP address"), ("localhost", "IP address"), ("10.0.0.0/33", "CIDR block")],
)
def test_a_bad_entry_is_named_with_its_kind_on_both_sides(entry: str, kind: str) -> None:
    assert invalid_ip_kind(entry) == kind
    with pytest.raises(ApiError) as server:
        checked_ip(entry)
    assert server.value.status == 400
    assert str(server.value).startswith(f"allowed_ips: invalid {kind} {entry!r}; ")
    with pytest.raises(InputError) as client:
        allowed_ip(entry)
    assert str(client.value).startswith(f"--allow-ip: invalid {kind} {entry!r}; give an IP address")
