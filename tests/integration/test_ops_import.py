"""Import end to end on the local Turso (real sqld): preview, new databases (the upload seed in an AWS group,
the dump seed elsewhere, as turso-cli), existing ones (conflicts first, one transaction, cancel and failure
leave it unchanged)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tursotui.libsql import HranaClient
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import LocalTurso
from tursotui.ops import importer
from tursotui.ops.backup import source_row_counts
from tursotui.ops.errors import ImportConflictError, InputError, OpsError
from tursotui.ops.import_into import import_into
from tursotui.ops.import_source import open_source
from tursotui.ops.importer import (
    ImportProgress,
    import_new,
    plan_into,
    plan_new,
)
from tursotui.platform import NotFound, PlatformClient, PlatformError, Seed


def sqlite_file(path: Path, users: int = 50, start: int = 0) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        create table users(id text primary key, email text not null unique, n integer,
                           twice integer generated always as (n * 2) virtual);
        create index users_n on users(n);
        create table notes(id integer primary key, user_id text, body blob);
        create view user_emails as select email from users;
        create trigger notes_guard before insert on notes when new.body is null
            begin select raise(abort, 'body required'); end;
        """
    )
    conn.executemany(
        "insert into users(id, email, n) values (?, ?, ?)",
        [(f"u{i}", f"u{i}@example.com", i) for i in range(start, start + users)],
    )
    conn.executemany(
        "insert into notes(id, user_id, body) values (?, ?, ?)",
        [(start + i, f"u{start + i}", b"\x00note\n" * 3) for i in range(users // 2)],
    )
    conn.commit()
    conn.close()
    return path


def dump_of(db: Path, out: Path) -> Path:
    conn = sqlite3.connect(db)
    out.write_text("\n".join(conn.iterdump()) + "\n")
    conn.close()
    return out


@pytest.fixture
async def client(local_turso: LocalTurso) -> PlatformClient:
    """A legacy (Fly) group: new databases come from a SQL dump (seed "dump", not in the spec)."""
    platform = local_turso.platform_client(max_retries=0)
    await platform.create_group("default", "sjc")
    return platform


@pytest.fixture
async def aws_client(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[PlatformClient]:
    """An AWS group (the aws profile): new databases are uploaded (seed database_upload)."""
    profile = ProfileChoice(platform="aws")
    async with LocalTurso(
        tmp_path / "aws", recovery_interval=0, binary=sqld_binary, profile=profile
    ) as turso:
        platform = turso.platform_client(max_retries=0)
        await platform.create_group("default", "aws-us-east-1")
        try:
            yield platform
        finally:
            await platform.aclose()


async def _counts(platform: PlatformClient, name: str) -> dict[str, int]:
    db = await platform.get_database(name)
    token = (await platform.create_database_token(name)).jwt
    async with HranaClient(db.url, token) as sql:
        return await source_row_counts(sql)


async def _access(platform: PlatformClient, name: str) -> HranaClient:
    db = await platform.get_database(name)
    return HranaClient(db.url, (await platform.create_database_token(name)).jwt)


async def test_preview_of_a_sqlite_file_and_of_a_dump(tmp_path: Path) -> None:
    db = sqlite_file(tmp_path / "old.db")
    with await open_source(db) as source:
        assert source.kind == "sqlite" and source.database == db
        assert {t.name: t.rows for t in source.tables} == {"users": 50, "notes": 25}
        assert source.table("users").columns == ("id", "email", "n")  # generated column left out
        assert {o.name for o in source.objects} == {"users_n", "user_emails", "notes_guard"}
    with await open_source(dump_of(db, tmp_path / "data.sql")) as source:
        scratch = source.database
        assert source.kind == "sql" and scratch.exists()
        assert source.to_json()["tables"] == {"users": 50, "notes": 25}
    assert not scratch.exists()  # the scratch copy is gone


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b"create table t(x);\ninsert into t values (1);\ninsert into", "truncated"),
        (b"hello world;", "neither a SQLite database nor a SQL dump"),
        (b"-- only a comment\n", "has no tables"),
        (b"SQLite format 3\x00" + b"\x00" * 100, "cannot be"),
    ],
)
async def test_bad_sources_are_input_errors(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.bin"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        await open_source(path)


@pytest.mark.parametrize("where", ["aws", "fly"])
async def test_import_a_sqlite_file_into_a_new_database(
    client: PlatformClient, aws_client: PlatformClient, tmp_path: Path, where: str
) -> None:
    """Uploaded into an AWS group, sent as a dump elsewhere: the same database either way."""
    platform = aws_client if where == "aws" else client
    db = sqlite_file(tmp_path / "old.db", users=300)
    seen: list[ImportProgress] = []
    with await open_source(db) as source:
        plan = await plan_new(platform, source, "migrated", local=True)
        assert plan.group == "default" and not plan.conflicts
        assert plan.method == ("upload" if where == "aws" else "dump")
        assert any(("is on AWS" if where == "aws" else "not on AWS") in n for n in plan.notes)
        result = await import_new(platform, plan, progress=seen.append)
    assert result.tables == {"users": 300, "notes": 150} and result.method == plan.method
    assert await _counts(platform, "migrated") == {"users": 300, "notes": 150}
    if where == "aws":
        assert any(p.phase == "uploading" and p.done == p.total for p in seen)
    async with await _access(platform, "migrated") as sql:
        names = {r[0] for r in (await sql.execute("select name from sqlite_schema")).rows}
        assert {"users_n", "user_emails", "notes_guard"} <= names
        row = (await sql.execute("select twice, n from users where id = 'u7'")).rows
        assert row == ((14, 7),)
        body = (await sql.execute("select body from notes where id = 3")).rows
        assert body == ((b"\x00note\n" * 3,),)


@pytest.mark.parametrize("where", ["fly", "aws"], ids=["dump-seed", "scratch-upload"])
async def test_import_a_dump_into_a_new_database(
    client: PlatformClient, aws_client: PlatformClient, tmp_path: Path, where: str
) -> None:
    platform = aws_client if where == "aws" else client
    dump = dump_of(sqlite_file(tmp_path / "old.db", users=80), tmp_path / "data.sql")
    with await open_source(dump) as source:
        plan = await plan_new(platform, source, "from-dump", local=True)
        assert plan.method == ("dump" if where == "fly" else "upload")
        await import_new(platform, plan)
    assert await _counts(platform, "from-dump") == {"users": 80, "notes": 40}


async def test_the_local_turso_refuses_an_upload_seed_outside_aws(client: PlatformClient) -> None:
    """turso-cli never uploads into a non-AWS group; the local Turso refuses it, naming the dump seed."""
    with pytest.raises(PlatformError, match="only available in groups on AWS") as refused:
        await client.create_database("up", "default", seed=Seed.upload())
    assert "databases/dumps" in str(refused.value)
    with pytest.raises(NotFound):
        await client.get_database("up")


async def test_an_imported_database_has_a_recovery_point_at_a_restorable_time(
    client: PlatformClient, local_turso: LocalTurso, tmp_path: Path
) -> None:
    with await open_source(sqlite_file(tmp_path / "old.db", users=20)) as source:
        await import_new(client, await plan_new(client, source, "imported", local=True))
    [point] = local_turso.pitr.list("imported")
    assert point.reason == "seeded from dump"
    assert not list((local_turso.cp.data_dir / "dumps").iterdir())  # the uploaded dump is used once
    [listed] = (await client.local_recovery_points("imported")).points  # as --list-points lists it
    await client.create_database(
        "imported-again", "default", seed=Seed.restore("imported", listed.taken_at)
    )
    assert await _counts(client, "imported-again") == {"users": 20, "notes": 10}


async def test_new_database_name_taken_is_a_conflict(
    client: PlatformClient, tmp_path: Path
) -> None:
    await client.create_database("taken", "default")
    with await open_source(sqlite_file(tmp_path / "old.db")) as source:
        plan = await plan_new(client, source, "taken", local=True)
        assert plan.conflicts == ["database taken already exists (use --into to add to it)"]
        with pytest.raises(ImportConflictError):
            await import_new(client, plan)
    assert await _counts(client, "taken") == {}


async def test_failed_upload_leaves_no_database(
    aws_client: PlatformClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*args: object, **kwargs: object) -> None:
        raise OpsError("the upload was refused (500): boom")

    monkeypatch.setattr(importer, "upload_database_file", refused)
    with await open_source(sqlite_file(tmp_path / "old.db")) as source:
        plan = await plan_new(aws_client, source, "half-made", local=True)
        with pytest.raises(OpsError, match="refused"):
            await import_new(aws_client, plan)
    with pytest.raises(NotFound):
        await aws_client.get_database("half-made")


async def test_cancelled_while_creating_leaves_no_database(
    client: PlatformClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled (esc / ctrl+c) while the create request is in flight: the database it made is deleted."""
    in_flight = asyncio.Event()
    real_create = client.create_database

    async def slow_create(*args: object, **kwargs: object) -> object:
        created = await real_create(*args, **kwargs)  # type: ignore[arg-type]
        in_flight.set()
        await asyncio.sleep(0.2)  # the server has made it; the answer is on its way: cancel now
        return created

    monkeypatch.setattr(client, "create_database", slow_create)
    with await open_source(sqlite_file(tmp_path / "old.db")) as source:
        plan = await plan_new(client, source, "cancelled-early", local=True)
        task = asyncio.create_task(import_new(client, plan))
        await in_flight.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    with pytest.raises(NotFound):
        await client.get_database("cancelled-early")


async def _existing(client: PlatformClient, tmp_path: Path) -> HranaClient:
    """Database "app" imported from users u0..u99, notes 0..49."""
    with await open_source(sqlite_file(tmp_path / "first.db", users=100)) as source:
        await import_new(client, await plan_new(client, source, "app", local=True))
    return await _access(client, "app")


async def test_conflicts_are_reported_before_anything_is_written(
    client: PlatformClient, tmp_path: Path
) -> None:
    sql = await _existing(client, tmp_path)
    overlapping = sqlite_file(tmp_path / "second.db", users=20, start=90)  # u90..u109
    also = sqlite_file(tmp_path / "third.db", users=20, start=40)  # note ids 40..49 taken
    async with sql:
        with await open_source(overlapping) as source:
            plan = await plan_into(sql, source, "app")
            assert [t.action for t in plan.tables] == ["append", "append"]
            text = "\n".join(plan.conflicts)
            assert "table users: 10 row(s) already exist with the same primary key (id)" in text
            assert "same unique key (email)" in text
            assert "notes" not in text  # note ids 90..99 are free
            assert "view user_emails: the name is taken by a view" in text
            with pytest.raises(ImportConflictError) as info:
                await import_into(sql, plan)
            assert info.value.conflicts == plan.conflicts
        with await open_source(also) as source:
            text = "\n".join((await plan_into(sql, source, "app")).conflicts)
            assert (
                "table notes: 10 row(s) already exist with the same primary key (id), e.g. 40"
                in text
            )
        assert await source_row_counts(sql) == {"users": 100, "notes": 50}


async def test_import_into_an_existing_database(client: PlatformClient, tmp_path: Path) -> None:
    sql = await _existing(client, tmp_path)
    extra = tmp_path / "extra.db"
    conn = sqlite3.connect(extra)
    conn.executescript(
        "create table users(id text primary key, email text not null unique, n integer);"
        "create table tags(name text primary key, color text);"
        "create index tags_color on tags(color);"
    )
    conn.executemany(
        "insert into users values (?, ?, ?)", [(f"x{i}", f"x{i}@e", i) for i in range(700)]
    )
    conn.executemany("insert into tags values (?, ?)", [(f"t{i}", "red") for i in range(30)])
    conn.commit()
    conn.close()
    seen: list[ImportProgress] = []
    async with sql:
        with await open_source(extra) as source:
            plan = await plan_into(sql, source, "app")
            assert not plan.conflicts
            assert [(t.name, t.action, t.target_rows) for t in plan.tables] == [
                ("users", "append", 100),
                ("tags", "create", 0),
            ]
            result = await import_into(sql, plan, progress=seen.append, batch_rows=100)
        assert result.tables == {"users": 700, "tags": 30}
        assert await source_row_counts(sql) == {"users": 800, "notes": 50, "tags": 30}
        names = {r[0] for r in (await sql.execute("select name from sqlite_schema")).rows}
        assert "tags_color" in names
        assert [p.done for p in seen if p.phase == "loading"][-1] == 730


async def test_failed_import_leaves_the_target_unchanged(
    client: PlatformClient, tmp_path: Path
) -> None:
    sql = await _existing(client, tmp_path)
    bad = tmp_path / "bad.db"
    conn = sqlite3.connect(bad)
    conn.executescript(
        "create table newtable(a);create table users(id text primary key, email text, n integer);"
    )
    conn.executemany("insert into newtable values (?)", [(i,) for i in range(50)])
    # 400 good rows, then one whose NULL email the database's NOT NULL column refuses.
    conn.executemany(
        "insert into users values (?, ?, ?)", [(f"y{i}", f"y{i}@e", i) for i in range(400)]
    )
    conn.execute("insert into users values ('y-null', NULL, 0)")
    conn.commit()
    conn.close()
    async with sql:
        with await open_source(bad) as source:
            plan = await plan_into(sql, source, "app")
            assert not plan.conflicts  # NOT NULL is only found when writing
            with pytest.raises(OpsError, match="nothing was imported"):
                await import_into(sql, plan, batch_rows=100)
        assert await source_row_counts(sql) == {"users": 100, "notes": 50}  # no newtable


async def test_cancelled_import_leaves_the_target_unchanged(
    client: PlatformClient, tmp_path: Path
) -> None:
    sql = await _existing(client, tmp_path)
    more = tmp_path / "more.db"
    conn = sqlite3.connect(more)
    conn.executescript("create table big(id integer primary key, v text);")
    conn.executemany("insert into big(v) values (?)", [("v" * 50,) for _ in range(3000)])
    conn.commit()
    conn.close()
    async with sql:
        with await open_source(more) as source:
            plan = await plan_into(sql, source, "app")
            started = asyncio.Event()

            def progress(p: ImportProgress) -> None:
                if p.phase == "loading":
                    started.set()

            task = asyncio.create_task(import_into(sql, plan, progress=progress, batch_rows=100))
            await asyncio.wait_for(started.wait(), 30)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert await source_row_counts(sql) == {"users": 100, "notes": 50}
        # The write lock was released at once (ROLLBACK sent, not left to expire).
        await asyncio.wait_for(sql.execute("insert into notes(id, body) values (999, x'00')"), 3)
