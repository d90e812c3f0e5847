"""The Inspect tab (configuration, instances with locations, top queries of the selected database; configuration
changed behind a typed confirmation, refused in read-only mode) and the Audit tab (paging, filter, the starter
plan's refusal said as such), on the fake org; 80×24 snapshots."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import httpx
from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Static

from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.dbconfig import DbConfigScreen
from tursotui.ui.panes.inspect import InspectPane

from .helpers import AppFactory, keys, ready

SnapCompare = Callable[..., bool]
DB = "/v1/organizations/acme/databases/xswarm-users"
AUDIT = "GET /v1/organizations/acme/audit-logs"


class Recorded(FakeOrg):
    """The fake org, keeping each request's query and JSON body (injected answers included)."""

    requests: list[tuple[str, dict[str, str], Any]]

    async def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.requests.append(
            (f"{request.method} {request.url.path}", dict(request.url.params), body)
        )
        return await super().handler(request)

    def sent(self, key: str) -> list[tuple[dict[str, str], Any]]:
        return [(params, body) for k, params, body in self.requests if k == key]


def admin_org() -> Recorded:
    org = Recorded.acme()
    assert isinstance(org, Recorded)
    org.requests = []
    org.fail[f"GET {DB}/configuration"] = (
        200,
        {"size_limit": "0", "delete_protection": False, "allowed_ips": [], "block_writes": False},
    )
    org.fail[f"GET {DB}/usage/queries"] = (
        200,
        [  # type: ignore[dict-item]
            {"query": "SELECT * FROM users WHERE email = ?", "rows_read": 1200, "rows_written": 0,
             "count": 400, "elapsed_ms": 120.0},
            {"query": "INSERT INTO users (email) VALUES (?)", "rows_read": 0, "rows_written": 35,
             "count": 35, "elapsed_ms": 70.0},
        ],
    )  # fmt: skip
    org.fail[AUDIT] = (
        200,
        {
            "audit_logs": [
                {"code": "db-create", "message": "created xswarm-users", "origin": "cli",
                 "author": "ada", "created_at": "2026-06-15T11:00:00Z"},
                {"code": "group-create", "message": "created default", "origin": "web",
                 "author": "grace", "created_at": "2026-06-15T10:00:00Z"},
            ],
            "pagination": {"page": 1, "page_size": 25, "total_pages": 2, "total_rows": 27},
        },
    )  # fmt: skip
    return org


def static(app: TursoApp, selector: str) -> str:
    return str(app.main.query_one(selector, Static).render())


async def show(pilot: Pilot[None], key: str) -> None:
    await ready(pilot)
    await pilot.press(key)
    await ready(pilot)


async def test_inspect_shows_config_instances_and_top_queries(make_app: AppFactory) -> None:
    app = make_app(admin_org())
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, "7")
        title = static(app, "#inspect-title")
        assert title.startswith("Database xswarm-users · group default")
        assert "delete protection off" in static(app, "#inspect-config")
        instances = app.main.query_one("#inspect-instances", DataTable)
        assert instances.row_count >= 1
        assert str(instances.get_row_at(0)[0]).startswith("aws-")  # the instance's location
        queries = app.main.query_one("#inspect-queries", DataTable)
        assert queries.row_count == 2
        assert queries.get_row_at(0)[0] == "SELECT * FROM users WHERE email…"
        assert queries.get_row_at(0)[3:] == ["400", "0.30 ms"]


async def test_configure_needs_the_typed_name_and_sends_only_the_change(
    make_app: AppFactory,
) -> None:
    org = admin_org()
    org.fail[f"PATCH {DB}/configuration"] = (
        200,
        {"size_limit": "0", "delete_protection": True, "allowed_ips": []},
    )
    app = make_app(org)
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, "7")
        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DbConfigScreen)
        dialog.query_one("#dbconfig-protect", Checkbox).value = True
        dialog.query_one("#dbconfig-size", Input).value = "lots"
        dialog.query_one("#dbconfig-confirm", Input).value = "xswarm-users"
        await pilot.pause()
        await pilot.click("#dbconfig-ok")
        await pilot.pause()
        assert "--size-limit takes bytes" in str(
            dialog.query_one("#dbconfig-message", Static).render()
        )
        assert org.count("PATCH", "/configuration") == 0
        dialog.query_one("#dbconfig-size", Input).value = ""
        dialog.query_one("#dbconfig-confirm", Input).value = "xswarm"
        await pilot.pause()
        assert dialog.query_one("#dbconfig-ok").disabled  # the name not typed: nothing to apply
        dialog.query_one("#dbconfig-confirm", Input).value = "xswarm-users"
        await pilot.pause()
        await pilot.click("#dbconfig-ok")
        await ready(pilot)
        assert org.count("PATCH", "/configuration") == 1
        assert org.sent(f"PATCH {DB}/configuration")[-1][1] == {"delete_protection": True}
        assert "delete protection on" in static(app, "#inspect-config")


async def test_configure_is_refused_in_read_only_mode(make_app: AppFactory) -> None:
    org = admin_org()
    app = make_app(org, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, "7")
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, DbConfigScreen)
        assert any("Read-only mode" in str(n.message) for n in app._notifications)
        assert "read-only mode" in static(app, "#inspect-title")


async def test_audit_log_pages_and_filters(make_app: AppFactory) -> None:
    org = admin_org()
    app = make_app(org)
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, "8")
        table = app.main.query_one("#audit-table", DataTable)
        assert table.row_count == 2
        status = static(app, "#audit-status")
        assert status.startswith("Organization acme · page 1 of 2: 2 of 27 entries")
        await pilot.press("slash")
        await pilot.press(*"grace", "enter")
        await pilot.pause()
        assert table.row_count == 1 and table.get_row_at(0)[1] == "grace"
        await pilot.press("right_square_bracket")
        await ready(pilot)
        assert org.sent(AUDIT)[-1][0]["page"] == "2"


async def test_audit_log_on_the_starter_plan_says_so(make_app: AppFactory) -> None:
    org = FakeOrg.acme()
    org.fail[AUDIT] = (
        403,
        {"error": "feature not available", "code": "feature_not_available_for_starter_plan"},
    )
    app = make_app(org)
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, "8")
        assert "not available on the free (starter) plan" in static(app, "#audit-status")


def test_inspect_snapshot(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(admin_org()), terminal_size=(80, 24), run_before=keys("7"))


def test_dbconfig_dialog_snapshot(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    run = keys("7", "c", wait_for="DbConfigScreen")
    assert snap_compare(make_app(admin_org()), terminal_size=(80, 24), run_before=run)


def test_audit_snapshot(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(admin_org()), terminal_size=(80, 24), run_before=keys("8"))


class Gated(Recorded):
    """The admin org whose configuration PATCH waits until ``release`` is set."""

    release: asyncio.Event

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and request.url.path.endswith("/configuration"):
            await self.release.wait()
        return await super().handler(request)


async def test_configure_result_is_not_kept_when_another_database_was_selected_meanwhile(
    make_app: AppFactory,
) -> None:
    org = admin_org()
    gated = Gated(**{f.name: getattr(org, f.name) for f in dataclasses.fields(org)})
    gated.requests, gated.release = [], asyncio.Event()
    gated.fail[f"PATCH {DB}/configuration"] = (
        200,
        {"size_limit": "0", "delete_protection": True, "allowed_ips": []},
    )
    gated.fail["GET /v1/organizations/acme/databases/xswarm-analytics/configuration"] = (
        200,
        {"size_limit": "0", "delete_protection": False, "allowed_ips": [], "block_writes": False},
    )
    gated.fail["GET /v1/organizations/acme/databases/xswarm-analytics/usage/queries"] = (
        200,
        [],  # type: ignore[dict-item]
    )
    app = make_app(gated)
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot, "7")
        pane = app.main.query_one(InspectPane)
        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DbConfigScreen)
        dialog.query_one("#dbconfig-protect", Checkbox).value = True
        dialog.query_one("#dbconfig-confirm", Input).value = "xswarm-users"
        await pilot.pause()
        await pilot.click("#dbconfig-ok")
        await pilot.pause()
        pane.database_selected("xswarm-analytics")  # while the PATCH is in flight
        for _ in range(200):  # not ready(): the configure worker waits on the PATCH
            await pilot.pause(0.02)
            if pane.config is not None and pane.database == "xswarm-analytics":
                break
        assert pane.database == "xswarm-analytics" and pane.config is not None, static(
            app, "#inspect-title"
        )
        analytics = pane.config
        gated.release.set()
        await ready(pilot)
        assert gated.count("PATCH", "/configuration") == 1
        assert pane.config is analytics  # xswarm-users' new configuration is not shown as its
        assert "delete protection on" not in static(app, "#inspect-config")
        assert static(app, "#inspect-title").startswith("Database xswarm-analytics")
