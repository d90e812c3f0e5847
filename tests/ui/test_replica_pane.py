"""The Replica pane end to end: a real embedded replica (libsql 0.1.11 in a child process) of a real database on
the local Turso over sqld — sync now, catching up with the primary, reset behind a typed confirmation, offline
browsing with the local Turso stopped, auto-sync that never overlaps, and honest reasons when it cannot sync."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from tursotui.config import Settings
from tursotui.config.schema import Config, LocalReplicaConfig, TursoConfig
from tursotui.libsql import HranaClient, replica
from tursotui.local.engine.sqld import free_port
from tursotui.local.host.service import LocalTurso
from tursotui.ops.replica import NEEDS_AUTH, NO_SETTINGS, NO_URL
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.picker import LocationPickerScreen
from tursotui.ui.dialogs.replica_reset import ConfirmReplicaResetScreen
from tursotui.ui.panes.replica import ReplicaPane

from .helpers import AppFactory, local_app

DATABASE = "xswarm-users"
USERS = 120


def settings_for(
    tmp_path: Path,
    url: str,
    token: str | None,
    *,
    enabled: bool = False,
    interval: int = 60,
    organization: str = "local",
) -> Settings:
    turso = TursoConfig(
        database_name=DATABASE,
        organization=organization,
        database_url=url,
        local_replica=LocalReplicaConfig(
            enabled=enabled,
            sync_interval_seconds=interval,
            local_db_path=tmp_path / "replica" / "users.db",
        ),
    )
    return Settings(
        config=Config(turso=turso),
        config_path=tmp_path / "config.toml",
        env_path=tmp_path / ".env",
        data_dir=tmp_path / "data",
        target="local",
        read_only=False,
        database_url=url,
        organization=organization,
        api_token=None,
        auth_token=token,
    )


async def make_database(turso: LocalTurso) -> tuple[str, str]:
    client = turso.platform_client()
    try:
        await client.create_group("default", "sjc")
        created = await client.create_database(DATABASE, "default")
        token = (await client.create_database_token(DATABASE)).jwt
    finally:
        await client.aclose()
    async with HranaClient(created.url, token) as sql:
        await sql.execute("CREATE TABLE users(id TEXT PRIMARY KEY, email TEXT NOT NULL)")
        await sql.execute("CREATE INDEX idx_users_email ON users(email)")
        await sql.batch(
            [
                ("INSERT INTO users VALUES (?, ?)", [f"u{i:04d}", f"user{i:04d}@example.com"])
                for i in range(USERS)
            ]
        )
    return created.url, token


def make(turso: LocalTurso, tmp_path: Path, settings: Settings, token: str) -> TursoApp:
    return local_app(turso, tmp_path, database_name=DATABASE, secrets=(token,), settings=settings)


async def until(pilot: Pilot[Any], check: Callable[[], bool], seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out waiting for the pane")


async def open_pane(pilot: Pilot[Any]) -> ReplicaPane:
    await pilot.pause()
    await pilot.press("6")
    await pilot.pause()
    pane = pilot.app.screen.query_one(ReplicaPane)
    assert pilot.app.screen.focused is pane.query_one("#replica-table")
    return pane


async def sync_now(pilot: Pilot[Any], pane: ReplicaPane) -> None:
    done = pane.sync_count
    await pilot.press("s")
    await until(pilot, lambda: pane.sync_count > done or pane.last_error is not None)
    assert pane.last_error is None
    await until(pilot, lambda: not pane.syncing)
    await pilot.pause()


def info(pane: ReplicaPane) -> str:
    return str(pane.query_one("#replica-info", Static).render())


def flat(text: str) -> str:
    """Without the line wrapping (long values wrap under their label's column)."""
    return " ".join(text.split())


def status(pane: ReplicaPane) -> str:
    return str(pane.query_one("#replica-status", Static).render())


def local_rows(path: Path) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return db.execute("SELECT id, email FROM users ORDER BY id").fetchall()
    finally:
        db.close()


async def primary_rows(url: str, token: str) -> list[tuple[Any, ...]]:
    async with HranaClient(url, token) as sql:
        return [
            tuple(r) for r in (await sql.execute("SELECT id, email FROM users ORDER BY id")).rows
        ]


async def test_sync_now_builds_a_real_replica_that_follows_the_primary(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, token = await make_database(local_turso)
    settings = settings_for(tmp_path, url, token)
    path = settings.config.turso.local_replica.local_db_path
    app = make(local_turso, tmp_path, settings, token)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_pane(pilot)
        shown = info(pane)
        assert "Last sync  never" in shown and "not created yet" in shown
        assert "off: set enabled = true under [turso.local_replica]" in flat(shown)
        assert token not in shown and f"token {token[:4]}…({len(token)} chars)" in shown
        await sync_now(pilot, pane)
        assert local_rows(path) == await primary_rows(url, token)
        assert len(local_rows(path)) == USERS
        state = replica.status(path)
        primary = await replica.remote_position(url, token)  # the local Turso's sync position
        assert state.frame_no == primary.frame_no and state.frame_no is not None
        assert state.generation == primary.generation
        await until(pilot, lambda: "0 frames behind the primary" in info(pane))
        assert f"{'Frame':<10} {state.frame_no}" in info(pane)
        assert "✓ Synced in" in status(pane) and f"now at frame {state.frame_no}" in status(pane)

        async with HranaClient(url, token) as sql:
            await sql.execute("INSERT INTO users VALUES ('late', 'late@example.com')")
        pane.ask_primary()
        await until(pilot, lambda: "0 frames behind" not in info(pane))
        assert "behind the primary" in info(pane)
        assert ("late", "late@example.com") not in local_rows(path)
        await sync_now(pilot, pane)
        assert ("late", "late@example.com") in local_rows(path)
        assert local_rows(path) == await primary_rows(url, token)
        await until(pilot, lambda: "0 frames behind the primary" in info(pane))
        assert replica.status(path).frames  # the second sync pulled the new frames only
        assert app.is_running


async def test_reset_asks_for_the_typed_name_then_rebuilds(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, token = await make_database(local_turso)
    settings = settings_for(tmp_path, url, token)
    path = settings.config.turso.local_replica.local_db_path
    app = make(local_turso, tmp_path, settings, token)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_pane(pilot)
        await sync_now(pilot, pane)
        first = replica.status(path)
        assert first.frame_no is not None
        # esc: nothing deleted
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmReplicaResetScreen))
        await pilot.press("escape")
        await until(pilot, lambda: "Reset cancelled" in status(pane))
        assert path.exists() and pane.sync_count == 1
        # the wrong name does not confirm
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmReplicaResetScreen))
        dialog = app.screen
        assert "Type users.db to confirm:" in str(dialog.query_one("#confirm-prompt").render())
        await pilot.press(*"users", "enter")
        await pilot.pause()
        assert app.screen is dialog and dialog.query_one("#confirm-ok", Button).disabled
        dialog.query_one(Input).value = ""
        await pilot.press(*"users.db")
        assert not dialog.query_one("#confirm-ok", Button).disabled
        # a companion file only the old replica has (the legacy protocol's index): gone after the reset
        path.with_name("users.db-client_wal_index").write_bytes(bytes(32))
        await pilot.press("enter")
        await until(pilot, lambda: pane.sync_count == 2 and not pane.syncing, seconds=60)
        assert "✓ Reset and synced" in status(pane)
        assert not path.with_name("users.db-client_wal_index").exists()
        rebuilt = replica.status(path)
        assert rebuilt.frame_no == first.frame_no
        assert rebuilt.frames == first.frames  # everything pulled again from the start
        assert local_rows(path) == await primary_rows(url, token)


async def test_offline_browse_with_the_local_turso_stopped(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, token = await make_database(local_turso)
    settings = settings_for(tmp_path, url, token)
    expected = await primary_rows(url, token)
    app = make(local_turso, tmp_path, settings, token)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_pane(pilot)
        await sync_now(pilot, pane)
        await local_turso.close()  # every sqld stopped: the remote is down
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, LocationPickerScreen))
        await pilot.press("enter")  # the only table: users
        await until(pilot, lambda: pane.page is not None)
        page = pane.page
        assert page is not None and page.request.table.name == "users"
        assert page.rows_read is None and "LIMIT ?" in page.sql and "OFFSET" not in page.sql.upper()
        assert [(r[0], r[1]) for r in page.rows] == expected[:50]
        table = pane.query_one("#replica-table")
        assert table.row_count == 50  # type: ignore[attr-defined]
        assert "users · offline, read-only" in str(table.border_title)
        await pilot.press("pagedown")
        await until(pilot, lambda: pane.page is not page)
        second = pane.page
        assert second is not None
        assert [(r[0], r[1]) for r in second.rows] == expected[50:100]
        await pilot.press("pageup")
        await until(pilot, lambda: pane.page is not second)
        assert pane.page is not None and [(r[0], r[1]) for r in pane.page.rows] == expected[:50]
        # syncing now fails with the reason, and says the offline copy is still there
        await pilot.press("s")
        await until(pilot, lambda: pane.last_error is not None and not pane.syncing)
        assert pane.last_error is not None and "failed" in pane.last_error
        assert "o still browses the last synced copy offline" in pane.last_error
        assert app.last_error is not None and app.last_error[0] == "Replica sync failed"
        assert app.is_running


async def test_sync_to_a_dead_url_says_why_and_the_app_keeps_running(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    app = make_app(fake, settings=settings_for(tmp_path, dead, "x" * 40))
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_pane(pilot)
        assert "Lag        n/a: not synced yet" in info(pane)
        await pilot.press("s")
        await until(pilot, lambda: pane.last_error is not None and not pane.syncing)
        assert pane.last_error is not None
        assert (
            f"replica sync failed: cannot connect to {dead} (connection refused)" in pane.last_error
        )
        assert "✗ Sync failed" in status(pane)
        assert app.last_error is not None and app.last_error[0] == "Replica sync failed"
        assert "x" * 40 not in pane.last_error
        await pilot.press("1")  # still alive and responsive
        await pilot.pause()
        assert app.is_running and app.main.active_tab == "databases"


async def test_a_hanging_sync_is_stopped_by_its_timeout_or_by_esc(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # accepts, never answers
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(ReplicaPane, "SYNC_TIMEOUT", 2.0)
    app = make_app(fake, settings=settings_for(tmp_path, f"http://127.0.0.1:{port}", "x" * 40))
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            pane = await open_pane(pilot)
            await pilot.press("s")
            await until(pilot, lambda: pane.syncing)
            assert pane.query_one("#replica-progress").display
            await until(pilot, lambda: pane.last_error is not None, seconds=20)
            assert pane.last_error is not None and "did not finish in 2s" in pane.last_error
            assert not pane.query_one("#replica-progress").display
            await pilot.press("s")
            await until(pilot, lambda: pane.syncing)
            await pilot.press("escape")
            await until(pilot, lambda: not pane.syncing)
            assert "Sync stopped" in status(pane)
            assert app.is_running
    finally:
        server.close()


async def test_bad_config_gives_an_honest_reason_on_screen(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    cases = [
        (settings_for(tmp_path, "", "x" * 40), NO_URL),
        (settings_for(tmp_path, "http://127.0.0.1:9", None), NEEDS_AUTH),
        (None, NO_SETTINGS),
    ]
    for settings, reason in cases:
        app = make_app(fake, settings=settings)
        async with app.run_test(size=(160, 36)) as pilot:
            pane = await open_pane(pilot)
            assert f"cannot sync: {reason}" in flat(info(pane))
            await pilot.press("s")
            await pilot.pause()
            assert status(pane) == f"Cannot sync: {reason}"
            assert not pane.syncing and pane.sync_count == 0
            await pilot.press("r")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmReplicaResetScreen)


async def test_auto_sync_honours_the_interval_and_never_overlaps(
    local_turso: LocalTurso, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, token = await make_database(local_turso)
    settings = settings_for(tmp_path, url, token, enabled=True, interval=1)
    running = 0
    most = 0
    real_sync = replica.sync

    async def counting(*args: Any, **kwargs: Any) -> replica.ReplicaStatus:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await asyncio.sleep(1.5)  # longer than the interval: a periodic timer would overlap
            return await real_sync(*args, **kwargs)
        finally:
            running -= 1

    monkeypatch.setattr(replica, "sync", counting)
    app = make(local_turso, tmp_path, settings, token)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_pane(pilot)
        assert "Auto-sync  on, every 1 s" in info(pane)
        await until(pilot, lambda: pane.sync_count >= 3, seconds=60)
        assert most == 1
        await pilot.press("s")  # a manual sync while the timer's runs: refused, never a second one
        await pilot.pause()
        assert most == 1
    assert len(local_rows(settings.config.turso.local_replica.local_db_path)) == USERS


async def test_after_a_token_rotation_s_says_the_token_was_refused(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    """Walkthrough defect 6: the group's tokens rotated; s says 401 and how to mint one, never a handshake."""
    url, token = await make_database(local_turso)
    settings = settings_for(tmp_path, url, token)
    app = make(local_turso, tmp_path, settings, token)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_pane(pilot)
        await sync_now(pilot, pane)
        client = local_turso.platform_client()
        try:
            await client.rotate_group_tokens("default")
        finally:
            await client.aclose()
        await pilot.press("s")
        await until(pilot, lambda: pane.last_error is not None and not pane.syncing)
        error = pane.last_error or ""
        assert f"{url} refused the database token (401 Unauthorized" in error
        assert "the TURSO_AUTH_TOKEN in .env is no longer valid (tokens rotated?)" in error
        assert "`tursotui token create --write-env`" in error and token not in error
        assert "o still browses the last synced copy offline" in error
        assert "✗ Sync failed: replica sync failed:" in status(pane) and "401" in status(pane)
        assert app.last_error is not None and app.last_error[0] == "Replica sync failed"
        assert "handshake" not in error.lower()


async def test_the_tab_follows_config_when_it_is_repointed_and_refuses_the_old_file(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    """Walkthrough defect 7: a wizard repoints config.toml and .env; the tab shows the new URL, and the file synced
    from the old database is refused by s (naming both) until r resets it."""
    url, token = await make_database(local_turso)
    client = local_turso.platform_client()
    try:
        other = await client.create_database("ux-setup", "default")
        other_token = (await client.create_database_token("ux-setup")).jwt
    finally:
        await client.aclose()
    settings = settings_for(tmp_path, url, token)
    path = settings.config.turso.local_replica.local_db_path
    app = local_app(
        local_turso,
        tmp_path,
        database_name=DATABASE,
        secrets=(token, other_token),
        settings=settings,
    )
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_pane(pilot)
        await sync_now(pilot, pane)
        assert url in info(pane)
        settings.config_path.write_text(
            f'[turso]\ndatabase_name = "ux-setup"\ndatabase_url = "{other.url}"\n\n'
            f'[turso.local_replica]\nlocal_db_path = "{path}"\n'
        )
        settings.env_path.write_text(f"TURSO_AUTH_TOKEN={other_token}\n")
        await until(pilot, lambda: other.url in info(pane))
        assert f"{url} ·" not in info(pane)
        assert "the file holds database xswarm-users" in flat(info(pane))
        assert "now syncs from" in status(pane)
        await pilot.press("s")
        await until(pilot, lambda: pane.last_error is not None and not pane.syncing)
        assert "a replica never switches databases" in (pane.last_error or "")
        assert "✗ Sync refused" in status(pane) and len(local_rows(path)) == USERS
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmReplicaResetScreen))
        await pilot.press(*"users.db", "enter")
        await until(pilot, lambda: pane.sync_count == 2 and not pane.syncing, seconds=60)
        assert "✓ Reset and synced" in status(pane)
        origin = replica.status(path).origin
        assert origin is not None and origin.database == "ux-setup" and origin.url == other.url
        assert "Refused" not in info(pane)
