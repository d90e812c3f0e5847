"""Usage vs limits: bars, percentages, colour classes, unlimited, Free-plan fallback, reset, history, projection."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import Label, Sparkline

from tursotui.ops.usage_history import FILE_NAME, UsageHistory, UsageSample
from tursotui.ui.app import TursoApp
from tursotui.ui.panes.usage import UsagePane
from tursotui.ui.widgets.fleet_table import FleetTable
from tursotui.ui.widgets.quota_bar import QuotaBar

from .helpers import NOW, AppFactory, ready

SIZE = (120, 36)


def bar(app: TursoApp, key: str) -> tuple[str, str, str]:
    widget = app.main.query_one(f"#quota-{key}", QuotaBar)
    percent = str(widget.query_one(".quota-percent", Label).render())
    value = str(widget.query_one(".quota-value", Label).render())
    return percent, value, widget.level


async def show_usage(pilot: Pilot[None]) -> None:
    """After the first refresh, the Usage tab (built when first shown, with that refresh's data)."""
    await ready(pilot)
    await pilot.press("2")
    await ready(pilot)


def text(app: TursoApp, selector: str) -> str:
    return str(app.main.query_one(selector, Label).render())


async def test_org_usage_against_plan_quotas(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await show_usage(pilot)
        assert bar(app, "rows-read") == ("82.5%", "412.3M / 500M", "-warning")
        assert bar(app, "rows-written") == ("93.0%", "9.3M / 10M", "-error")
        assert bar(app, "storage") == ("24.7%", "1.2 GB / 5 GB", "")
        assert bar(app, "databases") == ("3.0%", "3 / 100", "")
        assert bar(app, "locations") == ("unlimited", "3 / unlimited", "")
        assert bar(app, "groups") == ("unlimited", "2 / unlimited", "")
        assert bar(app, "synced") == ("103.3%", "3.1 GB / 3 GB", "-full")
        synced = app.main.query_one("#quota-synced", QuotaBar)
        assert synced.has_class("-full") and not synced.has_class("-warning")
        assert app.main.query_one("#quota-locations", QuotaBar).has_class("-unlimited")
        assert text(app, "#usage-plan") == "Plan starter · overages off"
        assert "resets Wed 01 Jul 2026 00:00 UTC (in 15 d 12 h)" in text(app, "#usage-cycle")
        assert "billing monthly" in text(app, "#usage-cycle")
        assert text(app, "#usage-projection") == (
            "At this rate the rows-read quota runs out on Thu 18 Jun 2026 13:58 UTC"
        )
        table = app.main.query_one("#usage-databases", FleetTable)
        assert table.get_row("xswarm-users") == [
            "xswarm-users",
            "350M",
            "70.0%",
            "8M",
            "80.0%",
            "900 MB",
            "18.0%",
            "2.9 GB",
        ]
        # every refresh takes a sample into the history file
        raw = json.loads((tmp_path / "data" / FILE_NAME).read_text())
        assert raw["series"]["cloud:acme"] == [
            ["2026-06-15T12:00:00Z", 412_345_678, 9_300_000, 1_234_567_890, 3_100_000_000]
        ]


async def test_plan_id_and_unknown_quotas_when_plans_and_subscription_are_refused(
    make_app: AppFactory,
) -> None:
    org = FakeOrg.acme(plans=None, subscription=None)
    app = make_app(org)
    async with app.run_test(size=SIZE) as pilot:
        await show_usage(pilot)
        assert text(app, "#usage-plan") == (
            "Plan starter (from the organization's plan_id) · overages off"
        )
        assert "Free plan" not in text(app, "#usage-plan")
        assert "from the API" not in text(app, "#usage-plan")
        assert bar(app, "rows-read")[:2] == ("?", "412.3M / unknown")
        assert bar(app, "storage")[1] == "1.2 GB / unknown"
        assert bar(app, "databases")[1] == "3 / unknown"
        assert "Quotas unknown" in text(app, "#usage-states")
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_unlimited_paid_plan(make_app: AppFactory) -> None:
    org = FakeOrg.acme(subscription="developer")
    app = make_app(org)
    async with app.run_test(size=SIZE) as pilot:
        await show_usage(pilot)
        assert bar(app, "databases") == ("unlimited", "3 / unlimited", "")
        assert bar(app, "rows-read") == ("16.5%", "412.3M / 2.5B", "")
        assert text(app, "#usage-projection").endswith("not within this period")


async def test_projection_and_sparkline_from_history(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    store = UsageHistory(tmp_path / "data", "cloud:acme")
    # 10M rows read per hour for the last 6 hours (the current value is 412.3M)
    for hours in range(6, 0, -1):
        store.record(
            UsageSample(NOW - timedelta(hours=hours), rows_read=412_345_678 - hours * 10_000_000)
        )
    store.record(UsageSample(NOW - timedelta(days=40), rows_read=1))  # last period: ignored
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await show_usage(pilot)
        sparkline = app.main.query_one("#usage-sparkline", Sparkline)
        assert list(sparkline.data or []) == [10_000_000.0] * 6
        assert "7 samples since 15 Jun 06:00 UTC" in text(app, "#usage-history-range")
        assert text(app, "#usage-projection") == (
            "At this rate the rows-read quota runs out on Mon 15 Jun 2026 20:45 UTC"
        )


async def test_org_blocked_and_usage_unavailable(make_app: AppFactory) -> None:
    org = FakeOrg.acme(blocked_reads=True)
    org.fail["GET /v1/organizations/acme/usage"] = (503, {"error": "usage is being computed"})
    app = make_app(org)
    async with app.run_test(size=SIZE) as pilot:
        await show_usage(pilot)
        blocked = app.main.query_one("#usage-blocked", Label)
        assert blocked.display and "BLOCKED for reads" in str(blocked.render())
        assert bar(app, "rows-read") == ("n/a", "– / 500M", "")
        assert bar(app, "databases") == ("3.0%", "3 / 100", "")
        assert "usage unavailable" in text(app, "#usage-projection")
        assert any("Partial refresh" in (n.title or "") for n in app._notifications)
        assert (
            app.main.query_one(UsagePane)
            .query_one("#usage-databases", FleetTable)
            .get_row("xswarm-users")[1]
            == "350M"
        )  # per-database usage asked database by database


async def test_a_refresh_landing_while_the_usage_tab_is_built_waits_for_it(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the soak benchmark: the refresh filled the new pane's table before it had columns (crash)."""
    mounting: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    real_on_mount = FleetTable.on_mount

    async def slow_on_mount(self: FleetTable) -> None:
        if self.id == "usage-databases":  # the Usage tab's table only
            await mounting
        real_on_mount(self)

    monkeypatch.setattr(FleetTable, "on_mount", slow_on_mount)
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.main.run_worker(app.main.load_tab("usage"))  # as pressing 2 does, minus waiting for it
        # pilot.pause() would wait for the pane being mounted: plain sleeps until it is released
        for _ in range(100):
            await asyncio.sleep(0.01)
            if app.main.query(UsagePane):
                break
        assert app.main.query(UsagePane)  # in the DOM, its table not mounted yet
        refreshes = app.main.refresh_count
        app.main.refresh_now(manual=True)
        for _ in range(200):
            await asyncio.sleep(0.01)
            if app.main.refresh_count > refreshes:
                break
        assert app.main.refresh_count > refreshes
        mounting.set_result(None)
        await ready(pilot)
        assert app.is_running
        table = app.main.query_one("#usage-databases", FleetTable)
        assert table.get_row("xswarm-users")[1] == "350M"
