"""Verified backups end to end on the local Turso (real sqld): dump, verify, .db, failures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tursotui.libsql import HranaClient
from tursotui.ops import sqlscript
from tursotui.ops.backup import BackupProgress, backup_database, source_row_counts, verify_dump
from tursotui.ops.errors import InputError, OpsError, VerificationError
from tursotui.platform import PlatformClient

SCHEMA = [
    "create table users(id text primary key, email text not null unique, bio text, score real)",
    "create table notes(id integer primary key autoincrement, user_id text references users(id),"
    " body blob, n integer)",
    "create index notes_user on notes(user_id)",
    "create view user_notes as select u.email, n.n from users u join notes n on n.user_id = u.id",
    "create trigger users_touch after update on users begin "
    "update notes set n = n + 1 where user_id = new.id; end",
    "create table empty_one(x)",
]


async def make_database(
    platform: PlatformClient, name: str = "app", users: int = 200, bio: int = 20
) -> tuple[str, str]:
    """A database with awkward values: multi-line text, quotes, unicode, blobs, NULLs."""
    if "default" not in {g.name for g in await platform.list_groups()}:
        await platform.create_group("default", "sjc")
    created = await platform.create_database(name, "default")
    token = (await platform.create_database_token(name)).jwt
    async with HranaClient(created.url, token) as sql:
        await sql.batch(SCHEMA)
        rows = [
            (
                "insert into users values (?, ?, ?, ?)",
                [f"u{i}", f"u{i}@example.com", f'line 1\nit\'s "{i}" é 🚀 ' * bio, i / 3],
            )
            for i in range(users)
        ]
        for start in range(0, len(rows), 500):
            await sql.batch(rows[start : start + 500])
        await sql.batch(
            [
                (
                    "insert into notes(user_id, body, n) values (?, ?, ?)",
                    [f"u{i}", bytes([i % 256]) * 5, None],
                )
                for i in range(users // 2)
            ]
        )
    return created.url, token


@pytest.fixture
async def app_db(platform: PlatformClient) -> AsyncIterator[HranaClient]:
    url, token = await make_database(platform)
    async with HranaClient(url, token) as client:
        yield client


class Tampered(HranaClient):
    """The real server's dump, edited on the way (a broken transfer, a corrupted file)."""

    def __init__(self, url: str, token: str, edit: Callable[[bytes], bytes]) -> None:
        super().__init__(url, token)
        self.edit = edit

    async def dump(self) -> AsyncIterator[bytes]:  # type: ignore[override]
        data = b"".join([chunk async for chunk in super().dump()])
        edited = self.edit(data)
        for start in range(0, len(edited), 4096):
            yield edited[start : start + 4096]


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


async def test_sql_backup_is_verified_against_the_database(
    app_db: HranaClient, tmp_path: Path
) -> None:
    before = await source_row_counts(app_db)
    phases: list[str] = []
    target = tmp_path / "backups" / "app-20261101-020000.sql"
    result = await backup_database(
        app_db, target, database="app", progress=lambda p: phases.append(p.phase)
    )
    assert result.path == target and target.is_file()
    assert result.tables == {"users": 200, "notes": 100, "empty_one": 0} == before
    assert result.size_bytes == result.dump_bytes == target.stat().st_size
    assert not result.source_changed
    assert {"counting", "dumping", "verifying", "finishing"} <= set(phases)
    assert _files(target.parent) == [target.name]  # no temp file left
    assert target.stat().st_mode & 0o777 == 0o600
    text = target.read_text()
    assert text.rstrip().endswith("COMMIT;") and "CREATE TRIGGER users_touch" in text
    assert await source_row_counts(app_db) == before  # the source was only read


async def test_db_backup_opens_with_integrity_ok_and_the_same_rows(
    app_db: HranaClient, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "app-20261101-020000.db"
    result = await backup_database(app_db, target, database="app", fmt="db")
    assert _files(target.parent) == [target.name]
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("pragma journal_mode").fetchone() == ("delete",)
        local = conn.execute("select * from users order by id").fetchall()
        notes = conn.execute("select * from notes order by id").fetchall()
        names = {r[0] for r in conn.execute("select name from sqlite_schema")}
    finally:
        conn.close()
    remote = await app_db.execute("select * from users order by id")
    assert local == [tuple(r) for r in remote.rows]
    assert notes == [
        tuple(r) for r in (await app_db.execute("select * from notes order by id")).rows
    ]
    assert {"notes_user", "user_notes", "users_touch"} <= names
    assert result.tables["users"] == 200


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d[: len(d) // 2], "truncated"),
        (lambda d: d[: d.rindex(b"COMMIT;")], "does not end with COMMIT"),
        (
            lambda d: b"\n".join(
                line for line in d.split(b"\n") if not line.startswith(b"INSERT INTO notes")
            ),
            "notes: 100 rows in the database, 0 in the dump",
        ),
        (lambda d: d.replace(b"INSERT INTO users", b"INSERT INTO usrs", 1), "does not load"),
        (lambda d: d[:100] + b"\x00\xff\xfe garbage" + d[100:], "does not load"),
        (lambda d: b"", "empty dump"),
    ],
    ids=["cut-mid-statement", "no-commit", "rows-missing", "bad-statement", "garbage", "empty"],
)
async def test_a_broken_dump_is_detected_and_nothing_is_kept(
    platform: PlatformClient, tmp_path: Path, edit: Callable[[bytes], bytes], message: str
) -> None:
    url, token = await make_database(platform)
    target = tmp_path / "out" / "app-20261101-020000.sql"
    async with Tampered(url, token, edit) as client:
        with pytest.raises(VerificationError, match=message):
            await backup_database(client, target, database="app", scratch_dir=tmp_path)
    assert _files(target.parent) == []
    assert [n for n in _files(tmp_path) if n.startswith("tursotui-verify-")] == []


class WritesDuringDump(HranaClient):
    """Another client writes after the rows were counted and before the dump is taken."""

    async def dump(self) -> AsyncIterator[bytes]:  # type: ignore[override]
        await self.execute("insert into users values ('late', 'late@example.com', 'x', 0)")
        async for chunk in super().dump():
            yield chunk


async def test_a_database_changing_during_the_backup_is_recounted(
    platform: PlatformClient, tmp_path: Path
) -> None:
    url, token = await make_database(platform, users=50)
    target = tmp_path / "out" / "app-20261101-020000.sql"
    async with WritesDuringDump(url, token) as client:
        result = await backup_database(client, target, database="app")
    assert result.source_changed
    assert result.tables["users"] == 51 and target.exists()


async def test_verify_reads_sqlite3_dot_dump_output(tmp_path: Path) -> None:
    source = sqlite3.connect(tmp_path / "old.db")
    source.executescript(
        "create table t(id integer primary key, s text); insert into t(s) values ('a'), ('b\nc');"
    )
    (tmp_path / "data.sql").write_text("\n".join(source.iterdump()))
    source.close()
    report = await verify_dump(tmp_path / "data.sql")
    assert report.tables == {"t": 2} and report.integrity == []


@pytest.mark.parametrize("phase", ["dumping", "verifying"])
async def test_cancel_leaves_nothing(
    platform: PlatformClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    monkeypatch.setattr(sqlscript, "PROGRESS_EVERY", 1024)
    url, token = await make_database(platform, users=600, bio=40)
    target = tmp_path / "out" / "app-20261101-020000.db"
    reached = asyncio.Event()

    def progress(p: BackupProgress) -> None:
        if p.phase == phase:
            reached.set()

    async with HranaClient(url, token) as client:
        task = asyncio.create_task(
            backup_database(
                client, target, database="app", fmt="db", progress=progress, scratch_dir=tmp_path
            )
        )
        await asyncio.wait_for(reached.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert _files(target.parent) == []
        assert await source_row_counts(client) == {"users": 600, "notes": 300, "empty_one": 0}


@contextlib.contextmanager
def _mounted_tmpfs(directory: Path, options: str) -> Iterator[bool]:
    if os.geteuid() != 0:
        yield False
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


async def test_read_only_directory_is_a_clear_error(app_db: HranaClient, tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    with _mounted_tmpfs(directory, "ro,size=1m") as mounted:
        if not mounted:
            if os.geteuid() == 0:
                pytest.skip("running as root without permission to mount a read-only tmpfs")
            directory.chmod(0o555)
        try:
            with pytest.raises(InputError, match=f"cannot write in {directory}") as info:
                await backup_database(app_db, directory / "app-20261101-020000.sql", database="app")
            assert info.value.exit_code == 2
            assert _files(directory) == []
        finally:
            if not mounted:
                directory.chmod(0o755)


async def test_disk_full_is_a_clear_error_and_leaves_nothing(
    platform: PlatformClient, tmp_path: Path
) -> None:
    url, token = await make_database(platform, users=600, bio=40)
    directory = tmp_path / "small"
    directory.mkdir()
    target = directory / "app-20261101-020000.sql"
    async with HranaClient(url, token) as client:
        with _mounted_tmpfs(directory, "size=64k") as mounted:
            if mounted:
                with pytest.raises(OpsError, match="no space left") as info:
                    await backup_database(client, target, database="app")
                assert _files(directory) == []
            else:  # no mount permission: a file size limit fails the write the same way (EFBIG)
                old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
                resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
                try:
                    with pytest.raises(OpsError, match="no space left") as info:
                        await backup_database(client, target, database="app")
                finally:
                    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
                    signal.signal(signal.SIGXFSZ, old_handler)
                assert _files(directory) == []
        assert info.value.exit_code == 1
        assert (await source_row_counts(client))["users"] == 600


async def test_refuses_to_overwrite_and_bad_paths(app_db: HranaClient, tmp_path: Path) -> None:
    existing = tmp_path / "app-20261101-020000.sql"
    existing.write_text("keep me")
    with pytest.raises(InputError, match="already exists"):
        await backup_database(app_db, existing, database="app")
    assert existing.read_text() == "keep me"
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("")
    with pytest.raises(InputError, match="is not a directory"):
        await backup_database(app_db, a_file / "x.sql", database="app")
