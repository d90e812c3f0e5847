"""The fake org the UI tests use speaks the official Platform API (checked with the spec validator)."""

from __future__ import annotations

from fixtures.contract import SpecValidator  # tests/fixtures/contract.py
from fixtures.fake_org import TOKEN, FakeOrg

from tursotui.platform import PlatformClient

from .helpers import NOW


async def test_every_call_of_a_refresh_and_a_location_change_matches_the_spec() -> None:
    from tursotui.ops.snapshot import fetch_snapshot

    org = FakeOrg.acme(usage_in_org=False)
    transport = SpecValidator.default().wrap(org.handler)
    async with PlatformClient(
        TOKEN, organization="acme", transport=transport, max_retries=0
    ) as api:
        await fetch_snapshot(api, NOW)
        await api.list_instances("xswarm-users")
        await api.list_locations()
        await api.add_location("default", "aws-ap-south-1")
        await api.remove_location("default", "aws-ap-south-1")
    assert len(transport.exchanges) == len(org.calls) >= 12
