"""D5: what a refresh costs in Platform API requests, counted with the fake org's request log. A timed refresh
lists the databases and groups (and the Databases pane the selected database's instances): the same 3 requests
for 3 or 30 databases. The organization, usage and plan come on the first refresh, on ctrl+r and on the slow
timer (ops/snapshot.py SLOW_SECONDS), never per database."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fixtures.fake_org import TOKEN, FakeDatabase, FakeOrg, usage
from textual.pilot import Pilot

from tursotui.ops.snapshot import USAGE_CONCURRENCY, fetch_snapshot
from tursotui.platform import PlatformClient
from tursotui.ui.app import TursoApp

from .helpers import NOW, AppFactory, ready

SIZE = (120, 36)
ORG = "GET /v1/organizations/acme"
LISTS = Counter(
    {
        f"{ORG}/databases": 1,
        f"{ORG}/groups": 1,
        f"{ORG}/databases/xswarm-users/instances": 1,
    }
)
ACCOUNT = Counter({ORG: 1, f"{ORG}/usage": 1, f"{ORG}/plans": 1, f"{ORG}/subscription": 1})


def with_databases(extra: int, **kwargs: Any) -> FakeOrg:
    org = FakeOrg.acme(**kwargs)
    for n in range(extra):
        org.databases[f"db-{n:02d}"] = FakeDatabase(f"db-{n:02d}", "default", usage(1, 1, 1, 0))
    return org


async def one_refresh(pilot: Pilot[Any], org: FakeOrg, *, manual: bool = False) -> Counter[str]:
    app = pilot.app
    assert isinstance(app, TursoApp)
    main = app.main
    before, count = len(org.calls), main.refresh_count
    if manual:
        await pilot.press("ctrl+r")
    else:
        assert main.refresh_now()
    for _ in range(300):
        await pilot.pause()
        await app.workers.wait_for_complete()
        if main.refresh_count > count:
            break
    await app.workers.wait_for_complete()
    await pilot.pause()
    return Counter(org.calls[before:])


async def test_a_timed_refresh_lists_databases_and_groups_only(make_app: AppFactory) -> None:
    for extra in (0, 27):
        org = with_databases(extra)
        app = make_app(org)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            for key in ("2", "4", "5", "1"):  # the panes that read the snapshot are built
                await pilot.press(key)
                await pilot.pause()
            await app.workers.wait_for_complete()
            samples = len(app.main.history.samples)
            assert await one_refresh(pilot, org) == LISTS
            assert await one_refresh(pilot, org) == LISTS
            assert len(app.main.history.samples) == samples  # no new usage: no new sample
            snapshot = app.main.snapshot
            assert snapshot is not None and not snapshot.full
            assert snapshot.usage is not None and snapshot.plan is not None  # carried, still shown
            assert snapshot.db_usage["xswarm-users"].storage_bytes == 900_000_000
            assert await one_refresh(pilot, org, manual=True) == LISTS + ACCOUNT
            app.main.slow_interval = 0.0  # the slow timer is due
            assert await one_refresh(pilot, org) == LISTS + ACCOUNT


async def test_a_database_created_between_slow_fetches_is_listed_at_once(
    make_app: AppFactory,
) -> None:
    org = FakeOrg.acme()
    app = make_app(org)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        org.databases["fresh"] = FakeDatabase("fresh", "default", usage(5, 5, 5, 0))
        assert await one_refresh(pilot, org) == LISTS
        snapshot = app.main.snapshot
        assert snapshot is not None and snapshot.database("fresh") is not None
        assert "fresh" not in snapshot.db_usage  # its usage comes with the next organization usage
        assert await one_refresh(pilot, org, manual=True) == LISTS + ACCOUNT
        snapshot = app.main.snapshot
        assert snapshot is not None and snapshot.db_usage["fresh"].rows_read == 5


async def test_no_fan_out_when_the_org_usage_omits_many_databases() -> None:
    org = with_databases(USAGE_CONCURRENCY + 1, usage_in_org=False)
    async with PlatformClient(
        TOKEN, organization="acme", transport=org.transport, max_retries=0
    ) as api:
        snapshot = await fetch_snapshot(api, NOW)
    assert not [c for c in org.calls if "/databases/" in c]
    assert snapshot.db_usage == {}
    assert any("not asked one by one" in w for w in snapshot.warnings)
    assert len(org.calls) == 6  # databases, groups, organization, usage, plans, subscription
