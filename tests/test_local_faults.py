"""Faults of the local Turso: a killed sqld is restarted (503 meanwhile); a corrupt state file
is reported and nothing is deleted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import LibsqlError
from tursotui.local.dataplane import PRIMARY
from tursotui.local.service import LocalTurso
from tursotui.local.state import StateError
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
