"""Faults during operations, on the local Turso over real sqld: the primary sqld SIGKILLed in the
middle of a restore, an import and a backup; config.toml and .env edited on disk while tursotui
writes them."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tursotui.config import ConfigError, load_config, read_env_file, update_config, write_env_file
from tursotui.libsql import HranaClient
from tursotui.libsql.errors import LibsqlError
from tursotui.local.control import pitr as pitr_module
from tursotui.local.control.recovery import place_database_file
from tursotui.local.engine.admin import SqldAdmin
from tursotui.local.engine.dataplane import PRIMARY, Node
from tursotui.local.host.service import LocalTurso
from tursotui.ops.backup import BackupProgress, backup_database, source_row_counts
from tursotui.ops.errors import OpsError
from tursotui.ops.import_into import import_into
from tursotui.ops.import_source import open_source
from tursotui.ops.importer import ImportProgress, plan_into
from tursotui.ops.restore import restore_database
from tursotui.platform import NotFound, PlatformClient
from tursotui.platform.errors import ServerError

SOURCE = "xswarm-users"


async def _wait_restarted(node: Node, old_pid: int | None) -> None:
    """Until the watchdog has brought sqld back (a new pid that answers /health)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not (node.process.alive() and not node.restarting and node.process.pid != old_pid):
        assert loop.time() < deadline, "the watchdog did not restart sqld within 60 s"
        await asyncio.sleep(0.05)


async def _create_source(platform: PlatformClient, rows: int, width: int) -> None:
    """``SOURCE`` with ``rows`` users whose bio is ``width`` hex characters (made by sqld itself)."""
    await platform.create_group("default", "sjc")
    created = await platform.create_database(SOURCE, "default")
    token = (await platform.create_database_token(SOURCE)).jwt
    async with HranaClient(created.url, token) as sql:
        await sql.batch(
            [
                "create table users(id integer primary key, email text not null unique, bio text)",
                "create table notes(id integer primary key, user_id integer, body text)",
                f"with recursive c(x) as (select 1 union all select x + 1 from c where x < {rows}) "
                f"insert into users select x, 'u' || x || '@example.com', "
                f"hex(randomblob({width // 2})) from c",
                "insert into notes(user_id, body) select id, 'note' from users where id % 10 = 0",
            ]
        )


async def _counts(platform: PlatformClient, name: str) -> dict[str, int]:
    db = await platform.get_database(name)
    token = (await platform.create_database_token(name)).jwt
    async with HranaClient(db.url, token) as sql:
        return await source_row_counts(sql)


def _integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` of a sqld database file, read-only while sqld serves it."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(conn.execute("pragma integrity_check").fetchone()[0])
    finally:
        conn.close()


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The process's temp directory, emptied for this test so leftovers can be seen."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    yield directory


class Killer:
    """SIGKILLs the primary sqld once, from a task, when ``trigger()`` is called."""

    def __init__(self, turso: LocalTurso) -> None:
        self.node = turso.cp.dataplane.nodes[PRIMARY]
        self.old_pid = self.node.process.pid
        self.requested = asyncio.Event()
        self.done = threading.Event()
        self._task: asyncio.Task[None] | None = None

    def trigger(self) -> None:
        self.requested.set()

    def kill_now(self) -> None:
        if not self.done.is_set():
            self.done.set()
            self.node.process.kill()

    async def __aenter__(self) -> Killer:
        async def run() -> None:
            await self.requested.wait()
            await asyncio.to_thread(self.kill_now)

        self._task = asyncio.create_task(run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        if not self._task.done():
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def wait_restarted(self) -> None:
        await _wait_restarted(self.node, self.old_pid)


# -- (a) sqld killed mid-restore -------------------------------------------------------------------

KillPoint = Callable[[pytest.MonkeyPatch, Callable[[], None]], None]


def _after_copy(monkeypatch: pytest.MonkeyPatch, kill: Callable[[], None]) -> None:
    """The recovery point is copied into place; sqld dies before it opens it."""

    def place(source: Path, target: Path) -> None:
        place_database_file(source, target)
        kill()

    monkeypatch.setattr("tursotui.local.control.pitr.place_database_file", place)


def _after_namespace(monkeypatch: pytest.MonkeyPatch, kill: Callable[[], None]) -> None:
    """sqld opened the restored namespace; it dies before its keys and proxy are set up."""
    original = SqldAdmin.create_namespace

    async def create(self: SqldAdmin, name: str, **kwargs: Any) -> None:
        await original(self, name, **kwargs)
        if name == "restored":
            await asyncio.to_thread(kill)

    monkeypatch.setattr(SqldAdmin, "create_namespace", create)


def _after_create(monkeypatch: pytest.MonkeyPatch, kill: Callable[[], None]) -> None:
    """The new database is registered and live; sqld dies before its first recovery point."""
    original = pitr_module.Pitr.take

    async def take(self: pitr_module.Pitr, name: str, reason: str = "on demand") -> Any:
        if name == "restored":
            await asyncio.to_thread(kill)
        return await original(self, name, reason)

    monkeypatch.setattr(pitr_module.Pitr, "take", take)


@pytest.mark.parametrize(
    ("kill_at", "orphan"),
    [(_after_copy, False)],
    ids=["after-copy"],
)
async def test_primary_killed_mid_restore_leaves_nothing_and_a_retry_works(
    platform: PlatformClient,
    local_turso: LocalTurso,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    kill_at: KillPoint,
    orphan: bool,
) -> None:
    await _create_source(platform, rows=3000, width=200)
    await local_turso.pitr.take(SOURCE)
    moment = datetime.now(UTC)
    before = await _counts(platform, SOURCE)
    killer = Killer(local_turso)
    with monkeypatch.context() as patch:
        kill_at(patch, killer.kill_now)
        with pytest.raises(ServerError) as err:
            await restore_database(platform, SOURCE, moment, "restored")
    assert killer.done.is_set()
    assert err.value.status == 503
    assert "primary sqld is not running" in err.value.message and "retry" in err.value.message
    # No half-created target is registered. When sqld had already opened the new namespace it
    # could not be deleted (sqld was down): it stays on disk, unregistered, until a retry.
    assert [d.name for d in await platform.list_databases()] == [SOURCE]
    with pytest.raises(NotFound):
        await platform.get_database("restored")
    assert local_turso.cp.namespace_file("restored").parent.exists() == orphan

    await killer.wait_restarted()
    assert await _counts(platform, SOURCE) == before == {"users": 3000, "notes": 300}
    assert _integrity(local_turso.cp.namespace_file(SOURCE)) == "ok"
    caplog.set_level(logging.WARNING, logger="tursotui.local.control.startup")
    result = await restore_database(platform, SOURCE, moment, "restored")
    assert ("namespace restored left by a failed create" in caplog.text) == orphan
    assert result.database.name == "restored" and result.source == SOURCE
    assert await _counts(platform, "restored") == before
    assert _integrity(local_turso.cp.namespace_file("restored")) == "ok"
    assert await _counts(platform, SOURCE) == before


@pytest.mark.parametrize("kill_at", [_after_namespace, _after_create], ids=["namespace", "create"])
async def test_primary_killed_right_after_a_restore_still_reports_success(
    platform: PlatformClient,
    local_turso: LocalTurso,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    kill_at: KillPoint,
) -> None:
    """The database exists once sqld has its namespace (created with its key in the same call) and
    it is registered: a recovery point that cannot be taken then (sqld down) is logged, and the
    restore is not reported as failed (a retry would get 409)."""
    await _create_source(platform, rows=500, width=100)
    await local_turso.pitr.take(SOURCE)
    moment = datetime.now(UTC)
    killer = Killer(local_turso)
    caplog.set_level(logging.WARNING, logger="tursotui.local.control.pitr")
    with monkeypatch.context() as patch:
        kill_at(patch, killer.kill_now)
        result = await restore_database(platform, SOURCE, moment, "restored")
    assert killer.done.is_set() and result.database.name == "restored"
    assert "no recovery point of new database restored yet" in caplog.text
    await killer.wait_restarted()
    assert await _counts(platform, "restored") == {"users": 500, "notes": 50}
    assert await _counts(platform, SOURCE) == {"users": 500, "notes": 50}


# -- (b) sqld killed mid-import --------------------------------------------------------------------


def _import_file(path: Path, rows: int) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        "create table users(id integer primary key, email text not null unique, bio text);"
        "create table events(id integer primary key, kind text, at text);"
    )
    conn.executemany(
        "insert into users values (?, ?, ?)",
        ((100_000 + i, f"import{i}@example.com", "y" * 100) for i in range(rows)),
    )
    conn.executemany(
        "insert into events(kind, at) values (?, ?)",
        (("login", f"2026-11-01T00:00:{i % 60:02d}Z") for i in range(rows // 4)),
    )
    conn.commit()
    conn.close()
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_primary_killed_mid_import_rolls_back_and_a_retry_works(
    platform: PlatformClient, local_turso: LocalTurso, tmp_path: Path, temp_dir: Path
) -> None:
    await _create_source(platform, rows=1000, width=50)
    before = await _counts(platform, SOURCE)
    source_dir = tmp_path / "in"
    source_dir.mkdir()
    source_file = _import_file(source_dir / "legacy.db", rows=20_000)
    digest = _sha256(source_file)
    db = await platform.get_database(SOURCE)
    token = (await platform.create_database_token(SOURCE)).jwt
    seen: list[ImportProgress] = []

    async with Killer(local_turso) as killer, HranaClient(db.url, token) as sql:

        def progress(p: ImportProgress) -> None:
            seen.append(p)
            if p.phase == "loading" and p.done > 0:
                killer.trigger()

        with await open_source(source_file) as source:
            plan = await plan_into(sql, source, SOURCE)
            assert not plan.conflicts and plan.total_rows == 25_000
            with pytest.raises(OpsError, match="nothing was imported") as err:
                await import_into(sql, plan, progress=progress, batch_rows=200)
        assert killer.done.is_set()
        loaded = max(p.done for p in seen if p.phase == "loading")
        assert 0 < loaded < 25_000  # the kill landed mid-way
        assert token not in str(err.value)

        await killer.wait_restarted()
        # All or nothing: the rows sent before the kill were never committed.
        assert await source_row_counts(sql) == before
        assert _integrity(local_turso.cp.namespace_file(SOURCE)) == "ok"
        assert _files(temp_dir) == [] and _files(source_dir) == ["legacy.db"]
        assert _sha256(source_file) == digest

        with await open_source(source_file) as source:
            plan = await plan_into(sql, source, SOURCE)
            assert not plan.conflicts
            result = await import_into(sql, plan, batch_rows=1000)
        assert result.tables == {"users": 20_000, "events": 5_000}
        assert await source_row_counts(sql) == {
            "users": before["users"] + 20_000,
            "notes": before["notes"],
            "events": 5_000,
        }
    assert _files(temp_dir) == []


# -- (c) sqld killed mid-backup --------------------------------------------------------------------


async def test_primary_killed_mid_backup_leaves_no_file(
    platform: PlatformClient, local_turso: LocalTurso, tmp_path: Path, temp_dir: Path
) -> None:
    # ~40 MB of dump: far more than the socket buffers between sqld, the proxy and the client
    # can hold, so the dump is cut when sqld dies.
    await _create_source(platform, rows=40_000, width=1000)
    before = await _counts(platform, SOURCE)
    db = await platform.get_database(SOURCE)
    token = (await platform.create_database_token(SOURCE)).jwt
    backups = tmp_path / "backups"
    target = backups / f"{SOURCE}-20261101-020000.sql"
    dumped: list[int] = []

    async with Killer(local_turso) as killer, HranaClient(db.url, token) as sql:

        def progress(p: BackupProgress) -> None:
            if p.phase == "dumping":
                dumped.append(p.done)
                killer.trigger()

        with pytest.raises((LibsqlError, OpsError), match="dump") as err:
            await backup_database(
                sql, target, database=SOURCE, progress=progress, scratch_dir=temp_dir
            )
        assert killer.done.is_set() and dumped
        assert token not in str(err.value)
        assert str(err.value).strip()
        assert _files(backups) == []  # no partial file, under any name
        assert _files(temp_dir) == []

        await killer.wait_restarted()
        assert await source_row_counts(sql) == before
        assert _integrity(local_turso.cp.namespace_file(SOURCE)) == "ok"


# -- (d) config.toml and .env edited on disk while tursotui runs -----------------------------------

CONFIG = """\
# my settings
[turso]
database_name = "xswarm-users"
organization = "acme"

[tursotui]
theme = "nord"
"""


def test_config_edits_made_after_loading_survive_a_later_write(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    loaded = load_config(path)  # the console starts with these settings
    assert loaded.tursotui.theme == "nord"
    # Meanwhile the user edits the file in an editor: a comment, a changed key, a new table.
    edited = CONFIG.replace('theme = "nord"', 'theme = "ansi-dark"  # 16 colours over ssh')
    edited = edited.replace("[tursotui]", "# added while the console ran\n[tursotui]")
    edited += "\n[turso.backup]\nretention_days = 7 # keep a week\n"
    path.write_text(edited)
    # The console then writes its own key (e.g. the restore wizard pointing at a new database).
    update_config(path, {"turso.database_name": "xswarm-users-restored"})
    text = path.read_text()
    assert "# added while the console ran" in text and "# 16 colours over ssh" in text
    assert "retention_days = 7 # keep a week" in text and "# my settings" in text
    config = load_config(path)
    assert config.turso.database_name == "xswarm-users-restored"
    assert config.tursotui.theme == "ansi-dark"  # the user's value, not the one loaded earlier
    assert config.turso.backup.retention_days == 7
    assert config.turso.organization == "acme"


def test_env_edits_made_after_loading_survive_a_later_write(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("# app secrets\nTURSO_AUTH_TOKEN=old\n")
    assert read_env_file(path) == {"TURSO_AUTH_TOKEN": "old"}
    with path.open("a") as fh:  # the user adds a key while the console runs
        fh.write("# stripe, added later\nSTRIPE_KEY=sk_test_123\nexport OTHER='a b'\n")
    write_env_file(path, {"TURSO_AUTH_TOKEN": "eyJnew.token.value"})
    text = path.read_text()
    assert text.startswith("# app secrets\nTURSO_AUTH_TOKEN=eyJnew.token.value\n")
    assert "# stripe, added later\n" in text
    assert read_env_file(path) == {
        "TURSO_AUTH_TOKEN": "eyJnew.token.value",
        "STRIPE_KEY": "sk_test_123",
        "OTHER": "a b",
    }


def test_config_broken_on_disk_at_write_time_is_named_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    load_config(path)
    broken = CONFIG.replace('theme = "nord"', 'theme = "nord')  # an unfinished edit, line 7
    path.write_bytes(broken.encode())
    with pytest.raises(ConfigError) as err:
        update_config(path, {"turso.database_name": "other"}, backup=True)
    assert err.value.path == path and err.value.line == 7
    assert str(err.value).startswith(f"{path}, line 7: malformed TOML")
    assert path.read_bytes() == broken.encode()
    assert _files(tmp_path) == ["config.toml"]  # no backup, no temp file

    env = tmp_path / ".env"
    env.write_text("A=1\n")
    read_env_file(env)
    env.write_text("A=1\nB='unterminated\n")
    with pytest.raises(ConfigError) as env_err:
        write_env_file(env, {"TURSO_AUTH_TOKEN": "eyJx.y.z"}, backup=True)
    assert env_err.value.path == env and env_err.value.line == 2
    assert env.read_text() == "A=1\nB='unterminated\n"
    assert _files(tmp_path) == [".env", "config.toml"]
