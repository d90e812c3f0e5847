"""Seeding new local databases: Turso's upload flow (`database_upload` + POST /v1/upload) and a
SQL dump; bad input is refused and leaves nothing behind."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest
from fixtures.local_turso import checked_org

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import LibsqlError
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import LocalTurso
from tursotui.platform import Seed
from tursotui.platform.errors import BadRequest, NotFound


def _sqlite_file(path: Path, rows: int = 25) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("create table users(id text primary key, email text)")
    conn.executemany(
        "insert into users values (?, ?)", [(f"u{i}", f"u{i}@example.com") for i in range(rows)]
    )
    conn.commit()
    conn.close()
    return path


async def test_upload_flow_seeds_a_new_database(tmp_path: Path, sqld_binary: Path) -> None:
    """Uploads are served under the aws profile (refused under fly: test_ops_import), here into a
    Fly-era group with a replica, which replicates the uploaded database."""
    async with checked_org(
        tmp_path / "org", sqld_binary, profile=ProfileChoice(platform="aws")
    ) as (
        turso,
        platform,
    ):
        turso.cp.legacy_groups = True
        await platform.create_group("default", "sjc")
        await platform.add_location("default", "iad")
        created = await platform.create_database("uploaded", "default", seed=Seed.upload())
        token = (await platform.create_database_token("uploaded")).jwt
        read_only = (
            await platform.create_database_token("uploaded", authorization="read-only")
        ).jwt
        source = _sqlite_file(tmp_path / "old-database.db")
        async with httpx.AsyncClient(base_url=created.url.replace("libsql://", "http://")) as http:
            refused = await http.post("/v1/upload", content=source.read_bytes())
            assert refused.status_code == 401
            ro = await http.post(
                "/v1/upload",
                content=source.read_bytes(),
                headers={"Authorization": f"Bearer {read_only}"},
            )
            assert ro.status_code == 403
            junk = await http.post(
                "/v1/upload",
                content=b"not a database" * 100,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert junk.status_code == 400 and "not a SQLite database" in junk.json()["error"]
            done = await http.post(
                "/v1/upload",
                content=source.read_bytes(),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert done.status_code == 200, done.text
            again = await http.post(
                "/v1/upload",
                content=source.read_bytes(),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert again.status_code == 400 and "database_upload" in again.json()["error"]
        async with HranaClient(created.url, token) as sql:
            assert (await sql.execute("select count(*) from users")).rows == ((25,),)
        replica = next(i for i in await platform.list_instances("uploaded") if i.type == "replica")
        async with HranaClient(replica.url, token) as sql:
            rows: tuple[tuple[object, ...], ...] = ()
            for _ in range(50):
                try:
                    rows = (await sql.execute("select count(*) from users")).rows
                    break
                except LibsqlError:  # the replica is still catching up
                    await asyncio.sleep(0.1)
            assert rows == ((25,),)


async def test_seed_from_a_sql_dump(local_turso: LocalTurso, tmp_path: Path) -> None:
    platform = local_turso.platform_client(max_retries=0)  # "dump" is a local extension of the spec
    await platform.create_group("default", "sjc")
    source = sqlite3.connect(_sqlite_file(tmp_path / "data.db", rows=7))
    dump = tmp_path / "data.sql"
    dump.write_text("\n".join(source.iterdump()))
    source.close()
    created = await platform.create_database("from-dump", "default", seed=Seed.dump(dump.as_uri()))
    token = (await platform.create_database_token("from-dump")).jwt
    async with HranaClient(created.url, token) as sql:
        assert (await sql.execute("select count(*) from users")).rows == ((7,),)


@pytest.mark.parametrize("content", ["this is not SQL at all;", ""])
async def test_bad_dump_is_refused_and_leaves_nothing(
    local_turso: LocalTurso, tmp_path: Path, content: str
) -> None:
    platform = local_turso.platform_client(max_retries=0)
    await platform.create_group("default", "sjc")
    dump = tmp_path / "bad.sql"
    dump.write_text(content)
    with pytest.raises(BadRequest):
        await platform.create_database("bad-dump", "default", seed=Seed.dump(dump.as_uri()))
    with pytest.raises(NotFound):
        await platform.get_database("bad-dump")
    await platform.create_database("bad-dump", "default")  # the name is free again
