"""End to end: the console's SQL, tokens and backups panes against the local Turso on real sqld
(ensure_demo_org builds xswarm-users with the seed's schema, three indexes and a few users)."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tursotui.libsql import AuthError, HranaClient
from tursotui.local.host.demo import ensure_demo_org
from tursotui.local.host.service import LocalTurso
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.sql import ExportScreen, ScanWarningScreen
from tursotui.ui.dialogs.tokens import (
    RotateConfirmScreen,
    TokenCreatedScreen,
    TokenCreateScreen,
)
from tursotui.ui.panes.backups import BackupsPane
from tursotui.ui.panes.sql import SqlConsolePane
from tursotui.ui.services import Services, banner_text

from .helpers import fixed_probe, ready

USERS = 30


@pytest.fixture
async def demo_app(local_turso: LocalTurso, tmp_path: Path) -> AsyncIterator[TursoApp]:
    await ensure_demo_org(
        local_turso, config_path=tmp_path / "config.toml", env_path=tmp_path / ".env", users=USERS
    )
    platform = local_turso.platform_client()
    services = Services(
        platform=platform,
        target="local",
        banner=banner_text("local", local_turso.organization),
        data_dir=tmp_path / "data",
        database_name="xswarm-users",
        refresh_interval=3600.0,
        latency_probe=fixed_probe,
        env_path=tmp_path / ".env",
        secrets=(local_turso.api_token,),
    )
    app = TursoApp(services)
    app.animation_level = "none"
    try:
        yield app
    finally:
        await platform.aclose()


async def until(pilot: Pilot[Any], kind: type) -> None:
    for _ in range(400):
        await pilot.pause(0.02)
        if isinstance(pilot.app.screen, kind):
            return
    raise AssertionError(f"{kind.__name__} never opened; at {pilot.app.screen!r}")


async def idle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def status(app: TursoApp) -> str:
    return str(app.main.query_one("#sql-status", Static).render())


async def test_sql_console_on_sqld(demo_app: TursoApp, tmp_path: Path) -> None:
    app = demo_app
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("3")
        console = app.main.query_one(SqlConsolePane)
        # an indexed lookup: rows and rows read, no warning
        console.editor.load_text(
            "SELECT email, subscription_tier FROM users WHERE email LIKE '%' ORDER BY email LIMIT 5;\n"
            "SELECT id FROM users WHERE email = 'nobody@example.com'"
        )
        await pilot.press("f5")
        await idle(pilot)
        assert not isinstance(app.screen, ScanWarningScreen)  # ORDER BY email walks the index
        text = status(app)
        assert "1. SELECT email, subscription_tier" in text and "5 rows · read" in text
        first = console.outcomes[0]
        assert len(first.rows) == 5 and first.rows_read is not None and first.rows_read > 0
        assert console.outcomes[1].rows == [] and console.outcomes[1].error is None

        # a scan of an unindexed column: EXPLAIN QUERY PLAN first, a warning, cancel
        console.editor.load_text("SELECT count(*) FROM users WHERE persona = 'hal-9000'")
        await pilot.press("f5")
        await until(pilot, ScanWarningScreen)
        screen = app.screen
        assert isinstance(screen, ScanWarningScreen) and screen.tables == ["users"]
        assert "SCAN users" in screen.plan
        await pilot.press("y")
        await idle(pilot)
        scan = console.outcomes[0]
        assert scan.rows[0][0] > 0 and scan.rows_read is not None and scan.rows_read >= USERS

        # the seed's index check
        await pilot.press("f3")
        await idle(pilot)
        assert "idx_users_email" in status(app) and "idx_users_stripe_customer" in status(app)

        # export to CSV
        await pilot.press("f8")
        await until(pilot, ExportScreen)
        app.screen.query_one(Input).value = "indexes.csv"
        await pilot.press("enter")
        await idle(pilot)

        # an SQL error: the server's message, the app keeps running
        console.editor.load_text("SELECT * FROM no_such_table")
        await pilot.press("f5")
        await idle(pilot)
        assert "no such table: no_such_table" in status(app)
        assert app.is_running
    exported = list(csv.reader((tmp_path / "data" / "exports" / "indexes.csv").open()))
    assert exported[0] == ["name"] and ["idx_users_xswarm_phone"] in exported


async def test_read_only_console_on_sqld(demo_app: TursoApp) -> None:
    app = demo_app
    plan = ""
    app.services.read_only = True
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("3")
        console = app.main.query_one(SqlConsolePane)
        console.editor.load_text("DELETE FROM users WHERE email = 'nobody@example.com'")
        await pilot.press("f5")
        for _ in range(400):
            await pilot.pause(0.02)
            if isinstance(app.screen, ScanWarningScreen):
                plan = app.screen.plan
                await pilot.press("y")
            if not console.running:
                break
        await idle(pilot)
        # the foreign-key check scans subscription_items (no index on user_id): warned, then run
        assert console.outcomes[0].error is not None, plan
        assert console.outcomes[0].error is not None
        assert "read-only mode" in status(app)


async def test_tokens_and_backups_on_sqld(demo_app: TursoApp, tmp_path: Path) -> None:
    app = demo_app
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("n")
        await until(pilot, TokenCreateScreen)
        await pilot.press("enter")
        await until(pilot, TokenCreatedScreen)
        token = str(app.screen.query_one("#token-secret", Static).render())
        assert token.count(".") == 2
        await pilot.press("escape")
        await pilot.pause()
        assert token not in app.export_screenshot()
        database = await app.services.platform.get_database("xswarm-users")
        async with HranaClient(database.url, token) as sql:
            assert (await sql.execute("SELECT count(*) FROM users")).scalar() >= USERS

        await pilot.press("r")
        await until(pilot, RotateConfirmScreen)
        await pilot.press(*"xswarm-users", "enter")
        await idle(pilot)
        assert app.main.query_one("#tokens-table").get_row_at(0)[1] == "revoked"  # type: ignore[attr-defined]
        async with HranaClient(database.url, token) as sql:
            with pytest.raises(AuthError):
                await sql.execute("SELECT 1")

        await pilot.press("5")
        await pilot.pause()
        pane = app.main.query_one(BackupsPane)
        await pilot.press("s")
        await idle(pilot)
        assert pane.last_result is not None, str(pane.query_one("#backups-status", Static).render())
        assert pane.last_result.tables["users"] >= USERS
        assert "verified" in str(pane.query_one("#backups-status", Static).render())
        assert [b.path for b in pane.backups] == [pane.last_result.path]
        assert pane.query_one("#backups-table").row_count == 1  # type: ignore[attr-defined]
