"""End to end: the console against the real local Turso on sqld (browser and restore wizard)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled

from tursotui.config import read_env_file
from tursotui.config.envfile import AUTH_TOKEN
from tursotui.libsql import HranaClient, HranaError
from tursotui.local.host.demo import DEMO_DATABASE, ensure_demo_org
from tursotui.local.host.service import LocalTurso
from tursotui.ops.tokens import TokenLedger, decode_claims, fingerprint
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.row import RowEditorScreen, SqlConfirmScreen
from tursotui.ui.panes.browser import BrowserPane
from tursotui.ui.panes.databases import DatabasesPane
from tursotui.ui.wizards.restore_steps import StepScreen
from tursotui.ui.wizards.restore_verify import VerifyScreen

from .helpers import local_app

USERS = 200


@pytest.fixture
async def demo(local_turso: LocalTurso, tmp_path: Path) -> AsyncIterator[LocalTurso]:
    await ensure_demo_org(
        local_turso,
        config_path=tmp_path / "config.toml",
        env_path=tmp_path / ".env",
        users=USERS,
    )
    yield local_turso


def make(turso: LocalTurso, tmp_path: Path, **overrides: Any) -> TursoApp:
    return local_app(
        turso,
        tmp_path,
        database_name=DEMO_DATABASE,
        config_path=tmp_path / "config.toml",
        env_path=tmp_path / ".env",
        **overrides,
    )


async def settle(pilot: Pilot[Any], until: Any = None, rounds: int = 300) -> None:
    for _ in range(rounds):
        await pilot.pause(0.02)
        if until is not None and until():
            break
    if pilot.app.screen.id == "main":  # a modal's worker waits for the modal: do not wait for it
        # An exclusive worker (a refresh) replaced by a newer one meanwhile is cancelled: fine.
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def sql(turso: LocalTurso, query: str, args: list[Any] | None = None) -> Any:
    client = turso.platform_client()
    try:
        db = await client.get_database(DEMO_DATABASE)
        token = (await client.create_database_token(DEMO_DATABASE)).jwt
    finally:
        await client.aclose()
    async with HranaClient(db.url, token) as hrana:
        return await hrana.execute(query, args or [])


async def open_browser(pilot: Pilot[Any]) -> BrowserPane:
    app = pilot.app
    await settle(pilot, lambda: app.screen.id == "main")
    await pilot.press("b")
    pane = app.screen.query_one(BrowserPane)
    await settle(pilot, lambda: pane.page is not None)
    assert pane.page is not None
    return pane


async def test_browse_page_end_search(demo: LocalTurso, tmp_path: Path) -> None:
    app = make(demo, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_browser(pilot)
        assert pane.table_name == "users"
        first = pane.page
        assert first is not None and first.rows
        assert "OFFSET" not in first.sql.upper()
        assert pane.last_rows_read is not None
        assert "rows read" in str(pane.query_one("#browser-status").render())
        await pilot.press("pagedown")
        await settle(pilot, lambda: pane.page is not first)
        assert pane.page is not None and pane.page.keys[0] > first.keys[-1]
        await pilot.press("end")
        await settle(pilot, lambda: pane.page is not None and pane.page.request.direction == "last")
        last = pane.page
        assert last is not None
        total = (await sql(demo, "SELECT max(rowid) FROM users")).scalar()
        assert last.keys[-1] == (total,)
        await pilot.press("home")
        await settle(
            pilot, lambda: pane.page is not None and pane.page.request.direction == "first"
        )
        # search by email prefix
        await pilot.press("slash")
        await pilot.press(*"test@")
        await pilot.press("asterisk", "enter")
        await settle(pilot, lambda: pane.search is not None and pane.page is not None)
        page = pane.page
        assert page is not None
        emails = [dict(zip(page.columns, r, strict=True))["email"] for r in page.rows]
        assert emails == ["test@example.com"]
        assert ">= ?" in page.sql and "LIKE" not in page.sql.upper()


async def test_insert_edit_delete_through_confirm(demo: LocalTurso, tmp_path: Path) -> None:
    app = make(demo, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_browser(pilot)
        # insert
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, RowEditorScreen), rounds=100)
        editor = app.screen
        assert isinstance(editor, RowEditorScreen)
        for field, value in zip(
            editor.query(Input), ["e2e-1", "e2e@example.com", "", "e2e@xswarm.ai"], strict=False
        ):
            field.value = value
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, SqlConfirmScreen), rounds=100)
        confirm = app.screen
        assert isinstance(confirm, SqlConfirmScreen)
        assert confirm.query_.sql.startswith('INSERT INTO "users" ("id", "email", "xswarm_email")')
        assert confirm.query_.args == ("e2e-1", "e2e@example.com", "e2e@xswarm.ai")
        await pilot.press("y")
        await settle(pilot, lambda: app.screen.id == "main")
        row = (await sql(demo, "SELECT email FROM users WHERE id = ?", ["e2e-1"])).scalar()
        assert row == "e2e@example.com"
        # find it, edit it
        await pilot.press("slash", *"e2e@example.com", "enter")
        await settle(pilot, lambda: pane.search is not None)
        assert pane.page is not None and len(pane.page.rows) == 1
        await pilot.press("u")
        await settle(pilot, lambda: isinstance(app.screen, RowEditorScreen), rounds=100)
        editor = app.screen
        assert isinstance(editor, RowEditorScreen)
        editor.query_one("#field-6", Input).value = "jarvis"  # persona
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, SqlConfirmScreen), rounds=100)
        confirm = app.screen
        assert isinstance(confirm, SqlConfirmScreen)
        assert confirm.query_.sql == 'UPDATE "users" SET "persona" = ? WHERE rowid = ?'
        await pilot.press("y")
        await settle(pilot, lambda: app.screen.id == "main")
        persona = (await sql(demo, "SELECT persona FROM users WHERE id = 'e2e-1'")).scalar()
        assert persona == "jarvis"
        # delete
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, SqlConfirmScreen), rounds=100)
        confirm = app.screen
        assert isinstance(confirm, SqlConfirmScreen)
        assert confirm.query_.sql == 'DELETE FROM "users" WHERE rowid = ?'
        await pilot.press("y")
        await settle(pilot, lambda: app.screen.id == "main")
        gone = (await sql(demo, "SELECT count(*) FROM users WHERE id = 'e2e-1'")).scalar()
        assert gone == 0


async def test_read_only_refused_by_the_server(demo: LocalTurso, tmp_path: Path) -> None:
    app = make(demo, tmp_path, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_browser(pilot)
        assert pane.query_one("#browser-badge").display
        await settle(pilot, lambda: pane.session is not None)
        await pilot.press("d")
        await settle(pilot, rounds=10)
        assert app.screen.id == "main"  # no confirmation: disabled
        assert pane.session is not None and pane.session.read_only
        with pytest.raises(HranaError):
            await pane.session.client.execute("DELETE FROM users WHERE id = ?", ["test-123"])
    count = (await sql(demo, "SELECT count(*) FROM users WHERE id = 'test-123'")).scalar()
    assert count == 1


async def test_restore_wizard_end_to_end(demo: LocalTurso, tmp_path: Path) -> None:
    app = make(demo, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, lambda: app.screen.id == "main")
        await pilot.press("R")
        await settle(pilot, lambda: isinstance(app.screen, StepScreen), rounds=100)
        await pilot.press("enter")  # the configured database first
        await settle(pilot, lambda: "Recovery point" in getattr(app.screen, "step_title", ""))
        # The demo org has two points: "initial" (empty, at creation) and the one taken once it was
        # filled. The newest is listed first and highlighted: the operator's usual pick.
        await pilot.press("enter")
        await settle(pilot, lambda: "New name" in getattr(app.screen, "step_title", ""))
        field = app.screen.query_one(Input)
        field.value = "xswarm-users"  # taken: refused, nothing changes
        await pilot.press("enter")
        await settle(pilot, lambda: str(app.screen.query_one("#step-feedback").render()).strip())
        assert "New name" in getattr(app.screen, "step_title", "")
        assert "already exists" in str(
            app.screen.query_one("#step-feedback").render()
        ) or "new name" in str(app.screen.query_one("#step-feedback").render())
        field.value = "xswarm-restored"
        await pilot.press("enter")
        await settle(pilot, lambda: "Confirm" in getattr(app.screen, "step_title", ""))
        app.screen.query_one(Input).value = "xswarm-restored"
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, VerifyScreen), rounds=1500)
        verify = app.screen
        assert isinstance(verify, VerifyScreen), app.last_error
        assert verify.result.schema_equal
        counts = {t: (a, b) for t, a, b in verify.result.counts}
        assert counts["users"][1] == counts["users"][0] == USERS + 2
        await pilot.press("enter")  # point config and .env at it
        await settle(pilot, lambda: app.screen.id == "main")
    config = (tmp_path / "config.toml").read_text()
    assert 'database_name = "xswarm-restored"' in config
    names = os.listdir(tmp_path)
    assert sum(n.startswith("config.toml") for n in names) >= 2  # the backup next to it
    assert sum(n.startswith(".env") for n in names) >= 2
    client = demo.platform_client()
    try:
        names = {d.name for d in await client.list_databases()}
    finally:
        await client.aclose()
    assert {"xswarm-users", "xswarm-restored"} <= names
    # The token the wizard minted and wrote to .env expires (the default, 90 days) and is in the
    # ledger (metadata only), so the expiry warnings cover it; so are the verification's sessions.
    token = read_env_file(tmp_path / ".env")[AUTH_TOKEN]
    claims = decode_claims(token)
    assert claims.expires_at is not None and claims.issued_at is not None
    assert claims.expires_at - claims.issued_at == timedelta(days=90)
    ledger = TokenLedger.in_data_dir(tmp_path / "data")
    (issued,) = [e for e in ledger.entries() if e.fingerprint == fingerprint(token)]
    assert (issued.kind, issued.database, issued.target) == ("issued", "xswarm-restored", "local")
    assert issued.expires == claims.expires_at
    sessions = {e.database for e in ledger.entries() if e.kind == "session"}
    assert {"xswarm-users", "xswarm-restored"} <= sessions
    assert all(e.expires is not None for e in ledger.entries())
    assert "eyJ" not in ledger.path.read_text()
    shown = [n.message for n in app._notifications if "now point at xswarm-restored" in n.message]
    assert shown and "backups: " in shown[0] and ".bak-" in shown[0]


async def test_replication_lag_per_replica(demo: LocalTurso, tmp_path: Path) -> None:
    app = make(demo, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, lambda: app.screen.id == "main")
        pane = app.screen.query_one(DatabasesPane)
        await settle(pilot, lambda: pane.instances_of == DEMO_DATABASE)
        table = pane.instances_table
        lags = {table.get_cell(key, "type"): table.get_cell(key, "lag") for key in table.rows}
        assert lags["primary"] == "–"
        assert lags["replica"] == "0 (in sync)" or lags["replica"].endswith("frames")
