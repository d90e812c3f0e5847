"""End to end on the real local Turso (sqld, scaler profile with overages): the console's Usage tab shows the plan
as ``plan show`` does, the Inspect tab shows the selected database's instances with locations and changes its
configuration behind the typed name (the server then refuses to delete it), the Audit tab lists what was done,
the Tokens tab creates and revokes a Platform API token, and an archived group is marked, explained and
unarchived with u."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Static
from textual.worker import WorkerCancelled

from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformError
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.api_tokens import ApiTokenCreatedScreen, ApiTokenCreateScreen
from tursotui.ui.dialogs.dbconfig import DbConfigScreen
from tursotui.ui.widgets.fleet_table import FleetTable

from .helpers import local_app


@pytest.fixture
async def scaler(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[LocalTurso]:
    turso = LocalTurso(
        tmp_path / "org",
        recovery_interval=0,
        binary=sqld_binary,
        profile=ProfileChoice(plan="scaler", overages=True),
    )
    await turso.start()
    platform = turso.platform_client(max_retries=0)
    try:
        await platform.create_group("default", "sjc")
        await platform.create_database("shop", "default")
        await platform.create_group("attic", "sjc")
        await platform.create_database("old", "attic")
        yield turso
    finally:
        await platform.aclose()
        await turso.close()


async def settle(pilot: Pilot[Any], until: Any = None, rounds: int = 300) -> None:
    for _ in range(rounds):
        await pilot.pause(0.02)
        if until is not None and until():
            break
    if pilot.app.screen.id == "main":
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text(app: TursoApp, selector: str) -> str:
    return str(app.main.query_one(selector).render())


async def archive(turso: LocalTurso, group: str) -> None:
    async with httpx.AsyncClient(
        transport=turso.transport(),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {turso.api_token}"},
    ) as http:
        answer = await http.post(
            f"/v1/organizations/{turso.organization}/groups/{group}/local-archive"
        )
    assert answer.status_code == 200


async def test_org_administration_through_the_console(scaler: LocalTurso, tmp_path: Path) -> None:
    turso = scaler
    app = local_app(turso, tmp_path, database_name="shop")
    check = turso.platform_client(max_retries=0)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, lambda: app.main.refresh_count >= 1)
            # Usage: the plan as plan show resolves it
            await pilot.press("2")
            await settle(pilot)
            assert (
                str(app.main.query_one("#usage-plan", Label).render())
                == "Plan scaler · overages on"
            )
            # Inspect: the selected database, its instance's location, its configuration changed
            await pilot.press("7")
            await settle(pilot, lambda: "group default" in text(app, "#inspect-title"))
            assert text(app, "#inspect-title").startswith("Database shop · group default")
            instances = app.main.query_one("#inspect-instances", DataTable)
            assert instances.row_count >= 1 and instances.get_row_at(0)[0] == "sjc"
            await pilot.press("c")
            await settle(pilot, lambda: isinstance(app.screen, DbConfigScreen))
            dialog = app.screen
            assert isinstance(dialog, DbConfigScreen)
            dialog.query_one("#dbconfig-protect", Checkbox).value = True
            dialog.query_one("#dbconfig-confirm", Input).value = "shop"
            await pilot.pause()
            dialog.query_one("#dbconfig-ok", Button).press()
            await settle(pilot, lambda: "delete protection on" in text(app, "#inspect-config"))
            assert (await check.get_database_configuration("shop")).delete_protection
            with pytest.raises(PlatformError):
                await check.delete_database("shop")  # honoured by the server
            # Audit: what was done, newest first
            await pilot.press("8")
            await settle(pilot, lambda: app.main.query_one("#audit-table", DataTable).row_count > 0)
            codes = [row[2] for row in (app.main.query_one("#audit-table", DataTable).get_row_at(i)
                     for i in range(app.main.query_one("#audit-table", DataTable).row_count))]  # fmt: skip
            assert "db-create" in codes
            assert text(app, "#audit-status").startswith(
                f"Organization {turso.organization} · page 1"
            )
            # Tokens: a Platform API token created (shown once) and listed
            await pilot.press("4")
            await settle(pilot, lambda: "token" in text(app, "#api-tokens-title"))
            await pilot.press("a")
            await settle(pilot, lambda: isinstance(app.screen, ApiTokenCreateScreen))
            create = app.screen
            create.query_one("#api-name", Input).value = "reports"
            create.query_one("#api-group", Input).value = "default"
            create.query_one("#api-scopes", Input).value = "read-only"
            create.query_one("#api-ok", Button).press()
            await settle(pilot, lambda: isinstance(app.screen, ApiTokenCreatedScreen))
            secret = str(app.screen.query_one("#api-secret", Static).render())
            assert secret in app.services.secrets
            await pilot.press("escape")
            await settle(
                pilot, lambda: "reports" in app.main.query_one("#api-tokens-table", DataTable).rows
            )
            assert "reports" in [t.name for t in await check.list_api_tokens()]
            assert secret not in app.export_screenshot()
            # Archived: marked, explained, unarchived with u
            await archive(turso, "attic")
            await app.main.query_one("DatabasesPane").run_action("app.refresh")
            await pilot.press("1")
            await settle(
                pilot,
                lambda: (
                    "old ⏸" in app.main.query_one("#databases-table", FleetTable).get_row("old")[0]
                ),
            )
            table = app.main.query_one("#databases-table", FleetTable)
            table.move_cursor(row=table.get_row_index("old"))
            await settle(
                pilot,
                lambda: (
                    "archived"
                    in str(app.main.query_one("#instances-table", DataTable).border_title)
                ),
            )
            instances_table = app.main.query_one("#instances-table", DataTable)
            assert instances_table.border_title == "old is archived — unarchive with u"
            assert instances_table.border_subtitle == "or tursotui group unarchive attic"
            await pilot.press("u")
            await settle(
                pilot,
                lambda: (
                    not app.main.query_one("#databases-table", FleetTable)
                    .get_row("old")[0]
                    .endswith("⏸")
                ),
            )
            assert not (await check.get_group("attic")).archived
    finally:
        await check.aclose()
