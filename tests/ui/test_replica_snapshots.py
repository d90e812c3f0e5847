"""Snapshots of the Replica pane at 80×24 and 120×36: never synced (auto-sync off), synced, the offline browse
view and the reset confirmation. Deterministic: fixed clock, fake org (Turso Cloud), HOME in tmp_path, and a
replica file made with sqlite3 plus a fixed meta file and libsql -info file (fake data, snapshots only)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import TOKEN, FakeOrg
from textual.pilot import Pilot

from tursotui.config import Settings
from tursotui.config.schema import Config, LocalReplicaConfig, TursoConfig
from tursotui.libsql.replica import RemotePosition
from tursotui.libsql.replica_meta import Origin
from tursotui.ui.app import TursoApp

from .helpers import NOW, AppFactory, write_screenshot
from .helpers import keys as press_keys

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]
URL = "libsql://xswarm-users-acme.turso.io"
DB_TOKEN = "eyJhbGciOiJFZERTQSJ9.snapshot-database-token.not-a-real-signature"


@pytest.fixture(autouse=True)
def _home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # the replica path shows as ~/replica/users.db

    async def cloud_info(url: str, token: str | None) -> RemotePosition:
        return RemotePosition(
            1, None, {}
        )  # what Turso Cloud's GET /info documents: the generation only

    monkeypatch.setattr("tursotui.ops.replica.remote_position", cloud_info)


def replica_path(tmp_path: Path) -> Path:
    return tmp_path / "replica" / "users.db"


def settings(tmp_path: Path, *, enabled: bool) -> Settings:
    turso = TursoConfig(
        database_name="xswarm-users",
        organization="acme",
        database_url=URL,
        local_replica=LocalReplicaConfig(
            enabled=enabled, sync_interval_seconds=60, local_db_path=replica_path(tmp_path)
        ),
    )
    return Settings(
        config=Config(turso=turso),
        config_path=tmp_path / "config.toml",
        env_path=tmp_path / ".env",
        data_dir=tmp_path / "data",
        target="cloud",
        read_only=False,
        database_url=URL,
        organization="acme",
        api_token=None,
        auth_token=DB_TOKEN,
    )


def synced_replica(tmp_path: Path) -> None:
    """A replica file as a sync leaves it: the database, libsql's -info (frame 42), tursotui's meta."""
    path = replica_path(tmp_path)
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, phone TEXT, tier TEXT);"
        "CREATE INDEX idx_users_email ON users(email);"
        "CREATE TABLE subscriptions (user_id TEXT, plan TEXT);"
    )
    db.executemany(
        "INSERT INTO users VALUES (?, ?, ?, ?)",
        [
            (f"user-{i:03d}", f"user{i:03d}@example.com", f"+1555{i:07d}", ("free", "pro")[i % 2])
            for i in range(60)
        ],
    )
    db.commit()
    db.close()
    info = {"hash": 0, "version": 0, "durable_frame_num": 42, "generation": 1}
    path.with_name("users.db-info").write_text(json.dumps(info))  # libsql's sync-v2 position
    meta = {"last_sync": NOW.timestamp() - 30, "ms": 12.5, "frames": 3, "url": URL}
    path.with_name("users.db.tursotui.json").write_text(json.dumps(meta))


def from_another_database(tmp_path: Path) -> None:
    """The synced replica, recorded as a copy of another database (config was repointed since)."""
    synced_replica(tmp_path)
    other = Origin("libsql://ux-setup-acme.turso.io", "ux-setup", "", "acme")
    meta = {"last_sync": NOW.timestamp() - 30, "ms": 12.5, "frames": 3, "url": other.url}
    path = replica_path(tmp_path).with_name("users.db.tursotui.json")
    path.write_text(json.dumps(meta | {"origin": other.to_json()}))


def keys(*pressed: str, wait_for: str | None = None, value: str | None = None) -> RunBefore:
    """After the first refresh, open the Replica tab, press keys; optionally wait for a modal and type."""
    return press_keys("6", *pressed, wait_for=wait_for, value=value)


def app(make_app: AppFactory, fake: FakeOrg, tmp_path: Path, *, enabled: bool) -> TursoApp:
    return make_app(fake, settings=settings(tmp_path, enabled=enabled), secrets=(DB_TOKEN,))


@SIZES
def test_replica_never_synced(
    snap_compare: SnapCompare,
    make_app: AppFactory,
    fake: FakeOrg,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    console = app(make_app, fake, tmp_path, enabled=False)
    assert snap_compare(console, terminal_size=size, run_before=keys())


@SIZES
def test_replica_synced(
    snap_compare: SnapCompare,
    make_app: AppFactory,
    fake: FakeOrg,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    synced_replica(tmp_path)
    console = app(make_app, fake, tmp_path, enabled=True)
    assert snap_compare(console, terminal_size=size, run_before=keys())


@SIZES
def test_replica_offline_browse(
    snap_compare: SnapCompare,
    make_app: AppFactory,
    fake: FakeOrg,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    synced_replica(tmp_path)
    console = app(make_app, fake, tmp_path, enabled=True)
    pick = keys("o", wait_for="LocationPickerScreen")

    async def run(pilot: Pilot[Any]) -> None:
        await pick(pilot)
        await pilot.press("down", "enter")  # subscriptions, then users: pick users
        for _ in range(200):
            await pilot.pause()
            if pilot.app.screen.id == "main":
                break
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(console, terminal_size=size, run_before=run)


@SIZES
def test_replica_offline_table_picker(
    snap_compare: SnapCompare,
    make_app: AppFactory,
    fake: FakeOrg,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    synced_replica(tmp_path)
    console = app(make_app, fake, tmp_path, enabled=True)
    run = keys("o", wait_for="LocationPickerScreen")
    assert snap_compare(console, terminal_size=size, run_before=run)


@SIZES
def test_replica_reset_confirm(
    snap_compare: SnapCompare,
    make_app: AppFactory,
    fake: FakeOrg,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    synced_replica(tmp_path)
    console = app(make_app, fake, tmp_path, enabled=True)
    run = keys("r", wait_for="ConfirmReplicaResetScreen", value="users.db")
    assert snap_compare(console, terminal_size=size, run_before=run)


def test_replica_refused_another_database_80x24(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    """s on a file that came from another database: refused before anything is sent, naming both, r the fix."""
    from_another_database(tmp_path)
    console = app(make_app, fake, tmp_path, enabled=False)
    press = keys("s")

    async def run(pilot: Pilot[Any]) -> None:
        await press(pilot)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(console, terminal_size=(80, 24), run_before=run)


async def test_readme_screenshot(make_app: AppFactory, fake: FakeOrg, tmp_path: Path) -> None:
    """screenshots/replica.svg at 120×36 (the synced pane); never a token in it."""
    synced_replica(tmp_path)
    console = app(make_app, fake, tmp_path, enabled=True)
    async with console.run_test(size=(120, 36)) as pilot:
        await keys()(pilot)
        write_screenshot(console, "replica", (DB_TOKEN, TOKEN))
