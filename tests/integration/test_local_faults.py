"""Faults of the local Turso: a killed sqld is restarted (503 meanwhile); a corrupt state file
is reported and nothing is deleted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import LibsqlError
from tursotui.local.control.state import StateError
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.host.service import LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.errors import ServerError


async def test_killed_primary_is_restarted_and_calls_meanwhile_get_503(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await platform.create_group("default", "sjc")
    created = await platform.create_database("xswarm-users", "default")
    token = (await platform.create_database_token("xswarm-users")).jwt
    async with HranaClient(created.url, token) as sql:
        await sql.execute("create table t(x)")
        await sql.execute("insert into t values (1)")
    node = local_turso.cp.dataplane.nodes[PRIMARY]
    old_pid = node.process.pid
    node.process.kill()
    with pytest.raises(ServerError) as err:
        await platform.database_stats("xswarm-users")
    assert err.value.status == 503
    assert "restarting" in err.value.message
    async with HranaClient(created.url, token) as sql:
        with pytest.raises(LibsqlError):
            await sql.execute("select 1")
    for _ in range(100):
        if node.process.alive() and not node.restarting:
            break
        await asyncio.sleep(0.1)
    assert node.process.pid != old_pid and node.restarts == 1
    async with HranaClient(created.url, token) as sql:
        assert (await sql.execute("select x from t")).rows == ((1,),)
    assert (await platform.database_stats("xswarm-users")).top_queries is not None


async def test_killed_replica_is_restarted(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await platform.create_group("default", "sjc")
    await platform.create_database("xswarm-users", "default")
    await platform.add_location("default", "fra")
    node = local_turso.cp.dataplane.nodes["fra"]
    node.process.kill()
    for _ in range(100):
        if node.process.alive() and not node.restarting:
            break
        await asyncio.sleep(0.1)
    assert node.restarts == 1
    assert [i.region for i in await platform.list_instances("xswarm-users")] == ["sjc", "fra"]


@pytest.mark.parametrize("content", ["{not json", "[]", '{"version": 99}', '{"version": 1}'])
async def test_corrupt_state_file_is_reported_and_kept(
    tmp_path: Path, sqld_binary: Path, content: str
) -> None:
    data_dir = tmp_path / "org"
    data_dir.mkdir()
    state = data_dir / "state.json"
    state.write_text(content)
    (data_dir / "keys").mkdir()
    key = data_dir / "keys" / "group-default.pem"
    key.write_text("keep me")
    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    with pytest.raises(StateError) as err:
        await turso.start()
    assert str(state) in str(err.value)
    assert "Nothing was changed or deleted" in str(err.value)
    assert state.read_text() == content
    assert key.read_text() == "keep me"


async def test_a_stable_port_taken_by_another_program_moves_the_database(
    tmp_path: Path, sqld_binary: Path
) -> None:
    """While the local Turso was stopped another program bound a database's port: the next start serves
    that database on a new port, says so, and keeps the new port from then on."""
    import socket

    turso = LocalTurso(tmp_path / "local", recovery_interval=0, binary=sqld_binary)
    await turso.start()
    client = turso.platform_client()
    try:
        await client.create_group("default", "sjc")
        await client.create_database("app", "default")
        old_url = (await client.get_database("app")).url
    finally:
        await client.aclose()
        await turso.close()
    old_port = int(old_url.rsplit(":", 1)[1])
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    squatter.bind(("127.0.0.1", old_port))
    squatter.listen()
    try:
        again = LocalTurso(tmp_path / "local", recovery_interval=0, binary=sqld_binary)
        await again.start()
        client = again.platform_client()
        try:
            db = await client.get_database("app")
            token = (await client.create_database_token("app")).jwt
            assert db.url != old_url
            assert any(
                f"127.0.0.1:{old_port} is held by another program" in n for n in again.notices
            )
            async with HranaClient(db.url, token) as sql:
                assert (await sql.execute("SELECT 1")).rows[0][0] == 1
        finally:
            await client.aclose()
            await again.close()
    finally:
        squatter.close()
    third = LocalTurso(tmp_path / "local", recovery_interval=0, binary=sqld_binary)
    await third.start()
    client = third.platform_client()
    try:
        assert (await client.get_database("app")).url == db.url  # the new port was kept
        assert third.notices == []
    finally:
        await client.aclose()
        await third.close()
