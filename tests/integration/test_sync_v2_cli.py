"""`tursotui replica sync|status|reset` end to end on sync v2 (libsql 0.1.11, the local Turso on real sqld): the
replica's position and lag from libsql's -info and the local Turso's /info, and a legacy (0.1.8) replica file
refused with the way out, which `replica reset` takes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from tursotui.entry import main
from tursotui.libsql import HranaClient, replica
from tursotui.local.host.service import LocalTurso

pytestmark = pytest.mark.sqld


async def _seed(directory: Path, binary: Path) -> tuple[str, str]:
    async with LocalTurso(directory, recovery_interval=0, binary=binary) as turso:
        platform = turso.platform_client(max_retries=0)
        await platform.create_group("default", "sjc")
        created = await platform.create_database("app", "default")
        token = (await platform.create_database_token("app")).jwt
        await platform.aclose()
        async with HranaClient(created.url, token) as sql:
            await sql.execute("create table users(id text primary key)")
            await sql.batch([("insert into users values (?)", [f"u{i}"]) for i in range(50)])
    return created.url, token


async def _insert(directory: Path, binary: Path, url: str, token: str) -> None:
    async with (
        LocalTurso(directory, recovery_interval=0, binary=binary),
        HranaClient(url, token) as sql,
    ):
        await sql.batch([("insert into users values (?)", [f"late{i}"]) for i in range(30)])


def test_replica_sync_status_and_a_legacy_file(
    tmp_path: Path, sqld_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    turso_dir = tmp_path / "data" / "local-turso"
    url, token = asyncio.run(_seed(turso_dir, sqld_binary))
    path = tmp_path / "replica" / "app.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[turso]\ndatabase_name = "app"\ndatabase_url = "{url}"\n\n'
        f'[turso.local_replica]\nlocal_db_path = "{path}"\n\n[tursotui]\ntarget = "local"\n'
    )
    (tmp_path / ".env").write_text(f"TURSO_AUTH_TOKEN={token}\n")

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--config", str(config), "--data-dir", str(tmp_path / "data"), *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err and token not in out + err
        return code, out, err

    code, out, _ = run("replica", "sync", "--json")
    assert code == 0
    synced = json.loads(out)
    assert synced["exists"] and synced["generation"] and synced["frame_no"] is not None
    assert synced["lag"]["frames_behind"] == 0 and not synced["legacy"]
    with replica.open_offline(path) as db:
        assert db.execute("select count(*) from users").rows == ((50,),)

    asyncio.run(_insert(turso_dir, sqld_binary, url, token))
    code, out, _ = run("replica", "status", "--json")
    lag = json.loads(out)["lag"]
    assert code == 0 and lag["frames_behind"] > 0
    assert lag["frames_behind"] == lag["primary_frame"] - lag["replica_frame"]
    code, out, _ = run("replica", "sync", "--json")
    assert code == 0 and json.loads(out)["lag"]["frames_behind"] == 0
    with replica.open_offline(path) as db:
        assert db.execute("select count(*) from users").rows == ((80,),)

    # A replica file the legacy protocol made (libsql 0.1.8): refused with the way out.
    replica.reset(path)
    legacy = sqlite3.connect(path)
    legacy.execute("create table users(id text)")
    legacy.commit()
    legacy.close()
    path.with_name("app.db-client_wal_index").write_bytes(bytes(32))
    code, _, err = run("replica", "sync")
    assert code == 1 and "legacy sync protocol" in err and "tursotui replica reset" in err
    code, out, _ = run("replica", "status", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["legacy"] and "legacy sync protocol" in shown["lag"]["note"]
    code, out, _ = run("replica", "reset", "--yes", "--json")
    assert code == 0 and json.loads(out)["lag"]["frames_behind"] == 0
    assert not path.with_name("app.db-client_wal_index").exists()
    with replica.open_offline(path) as db:
        assert db.execute("select count(*) from users").rows == ((80,),)
