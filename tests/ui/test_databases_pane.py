"""Databases & replicas, driven from the keyboard only."""

from __future__ import annotations

from typing import Any

from fixtures.fake_org import FakeOrg
from textual.widgets import Button, DataTable, Input, OptionList

from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.confirm import DEPRECATION_NOTE, ConfirmLocationScreen
from tursotui.ui.dialogs.error import ErrorScreen
from tursotui.ui.dialogs.picker import LocationPickerScreen
from tursotui.ui.panes.databases import DatabasesPane
from tursotui.ui.widgets.fleet_table import FleetTable

from .helpers import AppFactory, ready

SIZE = (120, 36)
ADD = "POST /v1/organizations/acme/groups/default/locations/"
REMOVE = "DELETE /v1/organizations/acme/groups/default/locations/"


def pane(app: TursoApp) -> DatabasesPane:
    return app.main.query_one(DatabasesPane)


def rows(table: DataTable[Any] | FleetTable) -> list[list[Any]]:
    return [table.get_row(key) for key in table.rows]


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_databases_and_instances_with_latency(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        p = pane(app)
        assert rows(p.databases_table) == [
            [
                "xswarm-users",
                "default",
                "aws-us-west-2",
                "900 MB",
                "350M",
                "8M",
                "no",
                "yes",
            ],
            [
                "xswarm-analytics",
                "default",
                "aws-us-west-2",
                "320 MB",
                "60M",
                "1.2M",
                "no",
                "no",
            ],
            [
                "xswarm-staging",
                "staging",
                "aws-us-east-1",
                "14.6 MB",
                "2.3M",
                "50K",
                "writes",
                "no",
            ],
        ]
        assert p.selected_name == "xswarm-users"
        # The URL is not a column (wider than 80 columns alone): the highlighted database's is the subtitle.
        assert (
            p.databases_table.border_subtitle == "libsql://xswarm-users-acme.turso.io · 3 databases"
        )
        assert rows(p.instances_table) == [
            [
                "aws-us-west-2",
                "primary",
                "18 ms",
                "–",
                "aws-us-west-2",
                "aws-us-west-2-xswarm-users-acme.turso.io",
            ],
            [
                "aws-us-east-1",
                "replica",
                "74 ms",
                "n/a",
                "aws-us-east-1",
                "aws-us-east-1-xswarm-users-acme.turso.io",
            ],
            [
                "aws-eu-west-1",
                "replica",
                "142 ms",
                "n/a",
                "aws-eu-west-1",
                "aws-eu-west-1-xswarm-users-acme.turso.io",
            ],
        ]
        assert "Instances of xswarm-users" in str(p.instances_table.border_title)
        # status and usage never use SQL: only Platform API paths were called
        assert all(c.split(" ", 1)[1].startswith("/v1/") for c in fake.calls)


async def test_configured_database_is_selected_first(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake, database_name="xswarm-staging")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert pane(app).selected_name == "xswarm-staging"
        assert [r[0] for r in rows(pane(app).instances_table)] == ["aws-us-east-1"]


async def test_keyboard_navigation(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        p = pane(app)
        assert app.focused is p.databases_table
        await pilot.press("down", "down")
        await settle(pilot)
        assert p.selected_name == "xswarm-staging"
        assert [r[0] for r in rows(p.instances_table)] == ["aws-us-east-1"]
        await pilot.press("i")
        assert app.focused is p.instances_table
        await pilot.press("i")
        assert app.focused is p.databases_table
        await pilot.press("2")
        assert app.main.active_tab == "usage"
        await pilot.press("1")
        assert app.main.active_tab == "databases" and app.focused is p.databases_table


async def test_copy_url(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("down", "c")
        await pilot.pause()
        assert app.clipboard == "libsql://xswarm-analytics-acme.turso.io"


async def test_add_location_typed_confirmation_calls_the_api(make_app: AppFactory) -> None:
    fake = FakeOrg.legacy()  # an older org on the legacy locations: its groups take edge replicas
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await settle_screen(pilot, LocationPickerScreen)
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert [p.split()[0] for p in prompts] == [
            "ams",
            "nrt",
        ]  # locations the group is not in yet
        await pilot.press("down", "enter")
        await settle_screen(pilot, ConfirmLocationScreen)
        confirm = app.screen
        assert isinstance(confirm, ConfirmLocationScreen) and confirm.location == "nrt"
        assert DEPRECATION_NOTE in str(confirm.query_one("#confirm-note").render())
        ok = confirm.query_one("#confirm-ok", Button)
        await pilot.press(*"nr")
        assert ok.disabled
        await pilot.press("enter")  # not the full code: nothing happens
        assert app.screen is confirm
        await pilot.press("t")
        assert not ok.disabled
        await pilot.press("enter")
        await settle(pilot)
        assert fake.calls.count(ADD + "nrt") == 1
        assert fake.groups["default"].locations[-1] == "nrt"
        # the refresh that follows shows the new replica
        assert "nrt" in [r[0] for r in rows(pane(app).instances_table)]


async def test_an_aws_group_is_refused_a_replica_before_any_request(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    """D10: Turso Cloud refuses edge replicas on AWS groups; the console says why and sends nothing."""
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await settle_screen(pilot, ErrorScreen)
        text = str(app.screen.query_one("#error-text").render())
        assert "cannot add a replica location to group default" in text
        assert "deprecated" in text.lower()
        assert not any(c.startswith(ADD) for c in fake.calls)
        assert fake.count("GET", "/v1/locations") == 0


async def test_escape_cancels_without_calling_the_api(make_app: AppFactory) -> None:
    fake = FakeOrg.legacy()
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await settle_screen(pilot, LocationPickerScreen)
        await pilot.press("enter")
        await settle_screen(pilot, ConfirmLocationScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmLocationScreen)
        assert not [c for c in fake.calls if c.startswith("POST")]


async def test_remove_highlighted_replica(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("i", "down", "down", "x")  # aws-eu-west-1 in the instances table
        await settle_screen(pilot, ConfirmLocationScreen)
        assert isinstance(app.screen, ConfirmLocationScreen)
        assert app.screen.location == "aws-eu-west-1" and app.screen.change == "remove"
        app.screen.query_one(Input).value = "aws-eu-west-1"  # typing is covered by the add test
        await pilot.press("enter")
        await settle(pilot)
        assert fake.calls.count(REMOVE + "aws-eu-west-1") == 1
        assert [r[0] for r in rows(pane(app).instances_table)] == ["aws-us-west-2", "aws-us-east-1"]


async def test_refuses_to_remove_the_primary(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("i", "x")  # the primary is the first instance
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmLocationScreen)
        assert any("Refusing to remove aws-us-west-2" in n.message for n in app._notifications)
        # from the databases table: a picker where the primary cannot be picked
        await pilot.press("i", "x")
        await settle_screen(pilot, LocationPickerScreen)
        options = app.screen.query_one(OptionList)
        first = options.get_option_at_index(0)
        assert first.id == "aws-us-west-2" and first.disabled
        assert options.highlighted == 1
        await pilot.press("escape")
        await settle(pilot)
        assert not [c for c in fake.calls if c.startswith("DELETE")]


async def test_read_only_refuses_changes(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "x")
        await settle(pilot)
        assert app.screen is app.main
        assert sum("Read-only mode" in n.message for n in app._notifications) == 2
        assert "READ-ONLY" in str(app.main.query_one("#banner-readonly").render())


async def test_local_target_has_no_deprecation_note(make_app: AppFactory) -> None:
    org = FakeOrg.legacy(
        slug="local", local=True
    )  # the local Turso's default: legacy codes, replicas
    app = make_app(org)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "enter")
        await settle_screen(pilot, ConfirmLocationScreen)
        assert not app.screen.query("#confirm-note")
        assert app.screen.query_one(Input).has_focus


async def test_api_error_opens_a_copyable_error_modal(make_app: AppFactory) -> None:
    fake = FakeOrg.legacy()
    fake.fail[ADD + "nrt"] = (
        403,
        {"error": "edge replicas are not available on your plan"},
    )
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "down", "enter")
        await settle_screen(pilot, ConfirmLocationScreen)
        app.screen.query_one(Input).value = "nrt"
        await pilot.press("enter")
        await settle_screen(pilot, ErrorScreen)
        assert isinstance(app.screen, ErrorScreen)
        assert "edge replicas are not available" in app.screen.text
        await pilot.press("c")
        assert "403" in app.clipboard and "edge replicas are not available" in app.clipboard
        await pilot.press("escape")
        assert app.screen is app.main


async def test_refresh_updates_rows_in_place(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = pane(app).databases_table
        await pilot.press("down")
        keys_before = list(table.rows)
        fake.databases["xswarm-analytics"].usage["storage_bytes"] = 420_000_000
        fake.databases["xswarm-staging"].block_reads = True
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert list(table.rows) == keys_before  # the same rows, in place
        assert table.get_cell("xswarm-analytics", "size") == "420 MB"
        assert table.get_cell("xswarm-staging", "blocked") == "reads+writes"
        assert pane(app).selected_name == "xswarm-analytics"  # the cursor stayed
        del fake.databases["xswarm-staging"]
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert list(table.rows) == ["xswarm-users", "xswarm-analytics"]


async def settle_screen(pilot: Any, screen_type: type) -> None:
    for _ in range(100):
        await pilot.pause()
        if isinstance(pilot.app.screen, screen_type):
            break
    await pilot.pause()
