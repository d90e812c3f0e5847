"""The embedded replica (libsql 0.1.11, sync v2, in a child process) against the local Turso on real sqld."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tursotui.libsql import HranaClient, replica
from tursotui.local.host.service import LocalTurso


async def _database(local_turso: LocalTurso) -> tuple[str, str]:
    client = local_turso.platform_client()
    await client.create_group("default", "sjc")
    created = await client.create_database("xswarm-users", "default")
    token = (await client.create_database_token("xswarm-users")).jwt
    await client.aclose()
    async with HranaClient(created.url, token) as sql:
        await sql.execute("create table users(id text primary key, email text)")
        await sql.batch(
            [("insert into users values (?, ?)", [f"u{i}", f"u{i}@x.io"]) for i in range(100)]
        )
    return created.url, token


async def test_sync_incremental_offline_and_reset(local_turso: LocalTurso, tmp_path: Path) -> None:
    url, token = await _database(local_turso)
    path = tmp_path / "replica" / "users.db"
    assert not replica.status(path).exists
    first = await replica.sync(path, url, token)
    assert first.exists and first.size_bytes > 0 and first.last_sync is not None
    with replica.open_offline(path) as db:
        assert db.execute("select count(*) from users").rows == ((100,),)
    async with HranaClient(url, token) as sql:
        await sql.execute("insert into users values ('late', 'late@x.io')")
    await replica.sync(path, url, token)
    with replica.open_offline(path) as db:
        assert db.execute("select count(*) from users").rows == ((101,),)
        with pytest.raises(Exception, match=r"readonly|read-only|read only"):
            db.execute("delete from users")
    removed = replica.reset(path)
    assert path in removed and not path.exists()
    await replica.sync(path, url, token)
    with replica.open_offline(path) as db:
        assert db.execute("select count(*) from users").rows == ((101,),)


async def test_sync_with_a_bad_token_or_dead_server_is_a_clear_error(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, _ = await _database(local_turso)
    with pytest.raises(replica.ReplicaError) as refused:
        await replica.sync(tmp_path / "r.db", url, "not-a-token", limit=15)
    assert refused.value.kind == "token" and "401 Unauthorized on GET /info" in str(refused.value)
    assert "the server said:" in str(refused.value)
    with pytest.raises(replica.ReplicaError) as dead:
        await replica.sync(tmp_path / "r2.db", "http://127.0.0.1:9", None, limit=15)
    assert dead.value.kind == "unreachable" and "connection refused" in str(dead.value)


async def test_a_hanging_sync_is_stopped(tmp_path: Path) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # accepts, never answers
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(replica.ReplicaError, match="did not finish in 2s"):
            await replica.sync(tmp_path / "hang.db", f"http://127.0.0.1:{port}", None, limit=2)
    finally:
        server.close()
