"""The Usage tab shows the plan as ``tursotui plan show`` resolves it (ops/plan.py): overages as billed excess,
"plan unknown" with no other plan's limits when /subscription and /plans are refused and the organization names
none, blocked reads/writes. Pilot checks and 80×24 snapshots of each state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fixtures.fake_org import FakeOrg
from textual.widgets import Label

from tursotui.ui.app import TursoApp
from tursotui.ui.widgets.quota_bar import QuotaBar

from .helpers import AppFactory, keys, ready

SnapCompare = Callable[..., bool]
ORG_PATH = "GET /v1/organizations/acme"


def organization(**changes: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {
        "name": "acme",
        "slug": "acme",
        "type": "team",
        "overages": False,
        "blocked_reads": False,
        "blocked_writes": False,
        "plan_id": "starter",
        "plan_timeline": "monthly",
    }
    body.update(changes)
    return 200, {"organization": body}


def overages_org() -> FakeOrg:
    org = FakeOrg.acme(subscription="starter_overages")
    org.fail[ORG_PATH] = organization(overages=True, plan_id="starter_overages")
    return org


def unknown_org() -> FakeOrg:
    org = FakeOrg.acme(plans=None, subscription=None)
    org.fail["GET /v1/organizations/acme/plans"] = (403, {"error": "forbidden"})
    org.fail["GET /v1/organizations/acme/subscription"] = (403, {"error": "forbidden"})
    org.fail[ORG_PATH] = organization(plan_id="", plan_timeline="")
    return org


def blocked_org() -> FakeOrg:
    org = FakeOrg.acme()
    org.fail[ORG_PATH] = organization(blocked_reads=True, blocked_writes=True)
    return org


def text(app: TursoApp, selector: str) -> str:
    return str(app.main.query_one(selector, Label).render())


def bar(app: TursoApp, key: str) -> str:
    widget = app.main.query_one(f"#quota-{key}", QuotaBar)
    return str(widget.query_one(".quota-value", Label).render())


async def test_overages_are_billed_excess_not_used_up(make_app: AppFactory) -> None:
    app = make_app(overages_org())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await ready(pilot)
        assert text(app, "#usage-plan") == "Plan starter · overages on"
        states = text(app, "#usage-states")
        assert "embedded syncs: overages: billed past the quota (100 MB billed)" in states
        assert "used up" not in states and "used up" not in text(app, "#usage-projection")
        assert not app.main.query_one("#usage-blocked", Label).display


async def test_plan_unknown_shows_no_free_plan_limits(make_app: AppFactory) -> None:
    app = make_app(unknown_org())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await ready(pilot)
        assert text(app, "#usage-plan") == "Plan unknown · overages off"
        assert "billing cycle unknown" in text(app, "#usage-cycle")
        assert bar(app, "rows-read") == "412.3M / unknown"
        assert "500M" not in bar(app, "rows-read")
        states = text(app, "#usage-states")
        assert "Quotas unknown" in states and "403" in states
        assert "from the API" not in text(app, "#usage-plan")


async def test_blocked_reads_and_writes(make_app: AppFactory) -> None:
    app = make_app(blocked_org())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await ready(pilot)
        blocked = app.main.query_one("#usage-blocked", Label)
        assert blocked.display
        assert "BLOCKED for reads and writes" in str(blocked.render())


def test_usage_overages_snapshot(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(overages_org()), terminal_size=(80, 24), run_before=keys("2"))


def test_usage_plan_unknown_snapshot(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(unknown_org()), terminal_size=(80, 24), run_before=keys("2"))


def test_usage_blocked_snapshot(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(blocked_org()), terminal_size=(80, 24), run_before=keys("2"))
