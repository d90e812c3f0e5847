"""Who reads a database over sync v2, and whose store it reads (real sqld, a real ``libsql==0.1.11`` replica):
a token of another database of the same group is refused on every sync route (sqld's replication RPCs would
accept it), the database's own, its group's and a read-only token are not; a deleted database's store goes with
it, so a new database of the same name serves only its own data; an upload replacing a namespace reaches a
replica that pulled before, as one consistent transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from fixtures.local_turso import checked_org
from fixtures.sync_v2 import check_copy, database, info, replica, rows

from tursotui.libsql import HranaClient
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import LocalTurso
from tursotui.platform import Seed

pytestmark = pytest.mark.sqld


async def _secret(url: str, token: str, table: str, text: str) -> None:
    async with HranaClient(url, token) as sql:
        await sql.execute(f"create table {table}(x)")
        await sql.execute(f"insert into {table} values (?)", [text])


async def _routes(http: httpx.AsyncClient, url: str, token: str, g: int) -> list[httpx.Response]:
    headers = {"authorization": f"Bearer {token}"}
    return [
        await http.get(f"{url}/info", headers=headers),
        await http.get(f"{url}/export/{g}", headers=headers),
        await http.get(f"{url}/sync/{g}/1/129", headers=headers),
    ]


async def test_a_token_of_another_database_of_the_group_reads_nothing(
    local_turso: LocalTurso,
) -> None:
    url, token = await database(local_turso, "app")
    ledger_url, ledger_token = await database(local_turso, "ledger")  # the same group: one key
    await _secret(ledger_url, ledger_token, "secret", "TOP-SECRET-LEDGER")
    client = local_turso.platform_client(max_retries=0)
    try:
        group_token = (await client.create_group_token("default")).jwt
        read_only = (await client.create_database_token("ledger", authorization="read-only")).jwt
    finally:
        await client.aclose()
    async with httpx.AsyncClient(timeout=30) as http:
        own = await _routes(http, ledger_url, ledger_token, 0)
        g = own[0].json()["current_generation"]
        async with HranaClient(ledger_url, ledger_token) as sql:  # frames in generation g
            await sql.execute("insert into secret values ('TOP-SECRET-LEDGER 2')")
        for answer in await _routes(http, ledger_url, token, g):  # app's token on ledger's URL
            assert answer.status_code == 401, answer.text
            assert "not for database ledger" in answer.json()["error"]
            assert b"TOP-SECRET-LEDGER" not in answer.content
        for allowed in (ledger_token, group_token, read_only):
            answers = await _routes(http, ledger_url, allowed, g)
            assert [a.status_code for a in answers] == [200, 200, 200], answers[0].text
            assert b"TOP-SECRET-LEDGER 2" in answers[2].content
        # app's own URL still answers its own token
        assert (
            await http.get(f"{url}/info", headers={"authorization": f"Bearer {token}"})
        ).status_code == 200


async def test_a_deleted_database_s_store_goes_and_a_new_one_of_its_name_starts_clean(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, token = await database(local_turso, "app")
    await _secret(url, token, "secret", "OLD-SECRET")
    old = tmp_path / "old" / "app.db"
    assert (await replica(old, url, token, ["sync"], ["query", "select x from secret"]))[
        "rows"
    ] == [[["OLD-SECRET"]]]
    old_id = local_turso.cp.database("app").uuid
    stores = local_turso.cp.dataplane.root / "syncv2"
    assert (stores / old_id / "meta.json").exists()
    client = local_turso.platform_client(max_retries=0)
    try:
        await client.delete_database("app")
    finally:
        await client.aclose()
    assert not (stores / old_id).exists()

    new_url, new_token = await database(local_turso, "app", "other")  # another group, other data
    await _secret(new_url, new_token, "t", "NEW-DATA")
    assert local_turso.cp.database("app").uuid != old_id
    # The old replica: its token is of the old group's key; with the new token its generation is unknown here.
    stale = await replica(old, new_url, token, ["sync"])
    assert not stale["ok"] and "401" in stale["error"], stale
    refused = await replica(old, new_url, new_token, ["sync"])
    assert not refused["ok"] and "410" in refused["error"], refused
    assert info(old)["generation"] < (await _info(new_url, new_token))["current_generation"]
    fresh = tmp_path / "new" / "app.db"
    got = await replica(
        fresh, new_url, new_token, ["sync"], ["query", "select name from sqlite_schema"]
    )
    assert got["ok"] and got["rows"] == [[["t"]]], got
    async with httpx.AsyncClient(timeout=30) as http:
        g = (await _info(new_url, new_token))["current_generation"]
        for answer in await _routes(http, new_url, new_token, g):
            assert answer.status_code in (200, 400) and b"OLD-SECRET" not in answer.content
    integrity, found = check_copy(fresh, tmp_path / "copy", "select x from t")
    assert integrity == "ok" and found == [("NEW-DATA",)]


async def _info(url: str, token: str) -> dict[str, int]:
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.get(f"{url}/info", headers={"authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        found: dict[str, int] = answer.json()
        return found


async def test_an_upload_replacing_the_namespace_reaches_a_replica_that_pulled_before(
    tmp_path: Path, sqld_binary: Path
) -> None:
    source = tmp_path / "upload.db"
    with sqlite3.connect(source) as db:
        db.execute("create table users(id text primary key, email text)")
        db.executemany(
            "insert into users values (?, ?)", [(f"u{i}", f"u{i}@x.io") for i in range(300)]
        )
    db.close()
    async with checked_org(
        tmp_path / "org", sqld_binary, profile=ProfileChoice(platform="aws")
    ) as (turso, platform):
        await platform.create_group("default", "aws-us-east-1")
        created = await platform.create_database("uploaded", "default", seed=Seed.upload())
        token = (await platform.create_database_token("uploaded")).jwt
        url = created.url.replace("libsql://", "http://")
        path = tmp_path / "r" / "uploaded.db"
        before = await replica(path, url, token, ["sync"])  # the empty database, before the upload
        assert before["ok"], before
        generation = info(path)["generation"]
        async with httpx.AsyncClient(timeout=60) as http:
            done = await http.post(
                f"{url}/v1/upload",
                content=source.read_bytes(),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert done.status_code == 200, done.text
        after = await replica(path, url, token, ["sync"], ["query", "select count(*) from users"])
        assert after["ok"] and after["rows"] == [[[300]]], after
        assert info(path)["generation"] == generation  # no re-bootstrap: one page-diff transaction
        integrity, found = check_copy(
            path, tmp_path / "copy", "select id, email from users order by id"
        )
        assert integrity == "ok"
        assert [list(r) for r in found] == await rows(
            url, token, "select id, email from users order by id"
        )
        assert turso.cp.dataplane.sync is not None
