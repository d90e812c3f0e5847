"""The Databases and Usage panes on a fake org of 10,000 databases: filter as you type, sort, top N, the count,
selection, bulk actions confirmed by typing the count, cancel; requests per refresh independent of N."""

from __future__ import annotations

import asyncio
import json
import stat
from typing import Any

import pytest
from fixtures.fake_fleet import FleetOrg, fleet_org, fleet_usage, tenant
from fixtures.fake_org import FakeOrg
from textual.widgets import Button, Input

from tursotui.ops.tokens import TokenLedger
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.bulk import BulkChoiceScreen, BulkConfirmScreen
from tursotui.ui.dialogs.error import ErrorScreen
from tursotui.ui.panes.databases import DatabasesPane
from tursotui.ui.panes.usage import UsagePane

from .helpers import AppFactory, ready

SIZE = (120, 36)
N = 10_000


@pytest.fixture(scope="module")
def big() -> FleetOrg:
    """Read-only tests share one org (building 10,000 fake databases takes a moment)."""
    return fleet_org(N)


def pane(app: TursoApp) -> DatabasesPane:
    return app.main.query_one(DatabasesPane)


def subtitle(app: TursoApp) -> str:
    return str(pane(app).databases_table.border_subtitle)


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot: Any, check: Any, tries: int = 300) -> None:
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


def fleet_app(make_app: AppFactory, org: FakeOrg, **kw: Any) -> TursoApp:
    return make_app(org, database_name="tenant-00001", **kw)


async def test_filter_as_you_type_says_how_many_match(make_app: AppFactory, big: FleetOrg) -> None:
    app = fleet_app(make_app, big)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = pane(app).databases_table
        assert table.row_count == N
        assert subtitle(app) == "libsql://tenant-00001-acme.turso.io · 10,000 databases"
        await pilot.press("slash", *"group:dev")
        await pilot.pause()
        assert table.row_count == 2_500
        assert "2,500 of 10,000 · filter group:dev" in subtitle(app)
        await pilot.press("space", *"000")  # narrower with each key: dev tenants whose name has 000
        await pilot.pause()
        expected = [tenant(i) for i in range(1, N + 1) if i % 4 == 3 and "000" in tenant(i)]
        assert table.keys == expected
        assert f"{len(expected)} of 10,000" in subtitle(app)
        pane(app).fleet.filter_input.value = "group:dev 000 grop:x"  # pasted: a typo is named,
        await pilot.pause()  # the last good filter stays
        assert table.keys == expected
        assert "unknown field 'grop'" in subtitle(app)
        await pilot.press("enter")  # back to the table, the filter kept
        assert app.focused is table
        await pilot.press("slash", "escape")  # esc clears it
        await pilot.pause()
        assert table.row_count == N and app.focused is table


async def test_sort_and_top_n_by_usage(make_app: AppFactory, big: FleetOrg) -> None:
    app = fleet_app(make_app, big)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = pane(app).databases_table
        assert table.keys[:2] == [tenant(1), tenant(2)]  # as listed
        await pilot.press("s", "s")  # name, then size
        await pilot.pause()
        sizes = {tenant(i): fleet_usage(i)["storage_bytes"] for i in range(1, N + 1)}
        biggest = sorted(sizes, key=lambda n: (-sizes[n], n))
        assert table.keys[:5] == biggest[:5]
        assert subtitle(app).endswith("10,000 databases · by size")
        await pilot.press("s", "s", "s")  # rows read, rows written, usage
        await pilot.press("t")  # top 10 (by usage, the sort)
        await pilot.pause()
        used = {
            tenant(i): fleet_usage(i)["rows_read"] + fleet_usage(i)["rows_written"]
            for i in range(1, N + 1)
        }
        assert table.keys == sorted(used, key=lambda n: (-used[n], n))[:10]
        assert "top 10 of 10,000 · by usage" in subtitle(app)
        await pilot.press("t")
        await pilot.pause()
        assert table.row_count == 20
        await pilot.press("2")  # the Usage tab's per-database table works the same way
        await ready(pilot)
        usage = app.main.query_one(UsagePane)
        assert usage.fleet.table.row_count == N
        await pilot.press("slash", *"prod-us", "enter", "t")
        await pilot.pause()
        assert usage.fleet.table.row_count == 10
        assert "top 10 of 2,500 matching (10,000 in all) · by usage" in usage.fleet.describe()


async def test_selection_by_key_survives_filter_and_refresh(
    make_app: AppFactory, big: FleetOrg
) -> None:
    app = fleet_app(make_app, big)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        p = pane(app)
        await pilot.press("space", "space")  # the first two, the cursor moving down
        assert list(p.fleet.selection) == [tenant(1), tenant(2)]
        assert p.databases_table.border_title == "Databases · 2 selected"
        await pilot.press("slash", *"group:staging", "enter", "asterisk")
        assert len(p.fleet.selection) == 2 + 2_500 - 1  # tenant-00002 is a staging one
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert len(p.fleet.selection) == 2_501
        assert p.databases_table.border_title == "Databases · 2,501 selected"
        await pilot.press("asterisk")  # all listed already selected: unselect them
        assert list(p.fleet.selection) == [tenant(1)]
        await pilot.press("escape")  # nothing running: esc clears the selection
        assert len(p.fleet.selection) == 0


async def test_refresh_costs_the_same_requests_for_10000_databases(
    make_app: AppFactory, big: FleetOrg, fake: FakeOrg
) -> None:
    counts = []
    for org in (fake, big):
        app = fleet_app(make_app, org)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            before = len(org.calls)
            await pilot.press("ctrl+r")
            await settle(pilot)
            counts.append(sorted({c.split("/")[-1] for c in org.calls[before:]}))
            counts.append(len(org.calls) - before)
    assert counts[0] == counts[2] and counts[1] == counts[3]


async def choose(pilot: Any, action: str) -> BulkConfirmScreen:
    app = pilot.app
    await pilot.press("A")
    await until(pilot, lambda: isinstance(app.screen, BulkChoiceScreen))
    options = app.screen.query_one("#bulk-actions")
    index = next(i for i, o in enumerate(options.options) if o.id == action)
    options.highlighted = index
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, BulkConfirmScreen))
    assert isinstance(app.screen, BulkConfirmScreen)
    return app.screen


async def test_bulk_delete_types_the_count_and_refuses_protected(make_app: AppFactory) -> None:
    org = fleet_org(300)
    app = fleet_app(make_app, org)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"name:tenant-000", "enter", "asterisk")  # 1 … 99
        confirm = await choose(pilot, "delete")
        assert confirm.bulk.count == 98  # tenant-00097 is under delete protection
        assert "Refused (1, delete protection on)" in str(
            confirm.query_one("#bulk-refused").render()
        )
        await pilot.press(*"99")
        assert confirm.query_one("#bulk-ok", Button).disabled
        await pilot.press("enter")  # the wrong count does nothing
        assert app.screen is confirm
        confirm.query_one("#bulk-count", Input).value = ""
        await pilot.press(*"98")
        assert not confirm.query_one("#bulk-ok", Button).disabled
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ErrorScreen))  # one refused: listed
        assert "98 deleted, 1 refused" in app.screen.error_title
        assert "tenant-00097: refused: delete protection is on" in app.screen.text
        assert org.count("DELETE", "") == 98
        assert len(org.databases) == 300 - 98 and tenant(97) in org.databases
        await pilot.press("escape")
        await settle(pilot)
        assert pane(app).databases_table.row_count == 1  # the refresh after it: only tenant-00097


async def test_esc_cancels_a_bulk_action_in_flight_items_finish(make_app: AppFactory) -> None:
    org = fleet_org(60, delete_delay=0.15)
    app = fleet_app(make_app, org)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"group:prod", "enter", "asterisk")  # 30 databases
        confirm = await choose(pilot, "delete")
        await pilot.press(*str(confirm.bulk.count), "enter")
        p = pane(app)
        await until(pilot, lambda: org.count("DELETE", "") >= 4)
        assert "esc cancels" in str(p.query_one("#databases-bulk").render())
        await pilot.press("escape")
        await until(pilot, lambda: p.bulk.last is not None)
        report = p.bulk.last
        assert report is not None and report.cancelled
        done, not_started = report.of("done"), report.of("not started")
        assert len(done) == org.count("DELETE", "") < 30  # what started finished; nothing new
        assert len(done) + len(not_started) == confirm.bulk.count
        await asyncio.sleep(0.3)
        assert org.count("DELETE", "") == len(done)


async def test_bulk_mint_and_rotate(make_app: AppFactory, tmp_path: Any) -> None:
    org = fleet_org(12)
    app = fleet_app(make_app, org)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("space", "space", "space")  # tenants 1-3: groups prod-us, staging, dev
        confirm = await choose(pilot, "mint")
        confirm.query_one("#bulk-expiration", Input).value = "7x"
        confirm.query_one("#bulk-count", Input).value = "3"
        await pilot.press("enter")
        assert "Expires after" in str(confirm.query_one("#bulk-message").render())
        confirm.query_one("#bulk-expiration", Input).value = "7d"
        confirm.query_one("#bulk-count", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: pane(app).bulk.last is not None)
        report = pane(app).bulk.last
        assert report is not None and report.summary() == "3 minted"
        assert pane(app).bulk.minted is not None
        minted = pane(app).bulk.minted.path
        assert stat.S_IMODE(minted.stat().st_mode) == 0o600
        lines = [json.loads(line) for line in minted.read_text().splitlines()]
        assert [line["database"] for line in lines] == [tenant(1), tenant(2), tenant(3)]
        entries = TokenLedger.in_data_dir(tmp_path / "data").entries()
        assert sorted(e.database for e in entries) == [tenant(1), tenant(2), tenant(3)]
        assert all(e.expires_at for e in entries)
        screen = app.export_screenshot()
        assert all(line["token"] not in screen for line in lines)
        pane(app).bulk.last = None
        confirm = await choose(pilot, "rotate")
        assert confirm.bulk.items == ("dev", "prod-us", "staging")
        await pilot.press("3", "enter")
        await until(pilot, lambda: pane(app).bulk.last is not None)
        assert sorted(org.__dict__["rotations"]) == [
            "groups/dev",
            "groups/prod-us",
            "groups/staging",
        ]


async def test_bulk_writes_are_refused_in_read_only_mode(make_app: AppFactory) -> None:
    app = fleet_app(make_app, fleet_org(5), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("A")
        await pilot.pause()
        assert app.screen is app.main  # nothing selected: said, nothing opened
        await pilot.press("space", "A")
        await until(pilot, lambda: isinstance(app.screen, BulkChoiceScreen))
        options = app.screen.query_one("#bulk-actions")
        disabled = {o.id for o in options.options if o.disabled}
        assert disabled == {"mint", "rotate", "delete"}


async def test_a_filter_moves_the_selection_and_the_instances_along(
    make_app: AppFactory, big: FleetOrg
) -> None:
    app = fleet_app(make_app, big)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        p = pane(app)
        await pilot.press("end")
        await settle(pilot)
        assert p.selected_name == tenant(N) and p.instances_of == tenant(N)
        await pilot.press("slash", *"tenant-0001")  # the highlighted database filtered out
        await settle(pilot)
        assert p.databases_table.cursor_row == 0  # a new filter starts at its first row
        assert p.selected_name == app.main.selected == p.instances_of == tenant(10)
        assert "Instances of tenant-00010" in str(p.instances_table.border_title)
