"""The replica's client side end to end (issue 14, walkthrough defects 6 and 7), through `tursotui replica` on the
local Turso over real sqld with libsql 0.1.11: after a token rotation the sync says the token was refused (401)
and how to mint one; a file never switches databases when config is repointed (refused, naming both) until
`replica reset`; a database deleted and re-created under the same name is told apart from the old replica, and
its fresh sync store refuses the old file (410) rather than serving it another database's frames."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fixtures.sync_v2 import replica as libsql_replica

from tursotui.entry import main
from tursotui.libsql import HranaClient, replica
from tursotui.libsql.replica_errors import explain
from tursotui.local.host.service import LocalTurso

pytestmark = pytest.mark.sqld


async def _make(turso: LocalTurso, name: str, rows: int) -> tuple[str, str, str]:
    """Database ``name`` (group default) with ``rows`` users: (url, token, database id)."""
    platform = turso.platform_client(max_retries=0)
    try:
        if "default" not in {g.name for g in await platform.list_groups()}:
            await platform.create_group("default", "sjc")
        created = await platform.create_database(name, "default")
        token = (await platform.create_database_token(name)).jwt
        found = await platform.get_database(name)
    finally:
        await platform.aclose()
    async with HranaClient(created.url, token) as sql:
        await sql.execute("create table users(id text primary key)")
        await sql.batch([("insert into users values (?)", [f"{name}-{i}"]) for i in range(rows)])
    return created.url, token, found.db_id


async def _seed(directory: Path, binary: Path) -> dict[str, tuple[str, str, str]]:
    async with LocalTurso(directory, recovery_interval=0, binary=binary) as turso:
        return {"app": await _make(turso, "app", 50), "ux-setup": await _make(turso, "ux-setup", 3)}


async def _recreate(directory: Path, binary: Path, name: str) -> tuple[str, str, str]:
    async with LocalTurso(directory, recovery_interval=0, binary=binary) as turso:
        platform = turso.platform_client(max_retries=0)
        try:
            await platform.delete_database(name)
        finally:
            await platform.aclose()
        return await _make(turso, name, 7)


async def _serve(directory: Path, binary: Path, path: Path, url: str, token: str) -> dict[str, Any]:
    """The raw libsql client (no tursotui check in front) syncing the file at ``path`` from ``url``."""
    async with LocalTurso(directory, recovery_interval=0, binary=binary):
        return await libsql_replica(path, url, token, ["sync"], limit=60)


async def _sync_without_lookup(
    directory: Path, binary: Path, path: Path, url: str, token: str
) -> None:
    """A sync that did not ask the Platform API for the database's id (only its URL is given)."""
    async with LocalTurso(directory, recovery_interval=0, binary=binary):
        await replica.sync(path, url, token)


def _count(path: Path) -> int:
    with replica.open_offline(path) as db:
        count = db.execute("select count(*) from users").rows[0][0]
    assert isinstance(count, int)
    return count


def test_rotation_repoint_reset_and_a_recreated_database(
    tmp_path: Path, sqld_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    turso_dir = data / "local-turso"
    made = asyncio.run(_seed(turso_dir, sqld_binary))
    path = tmp_path / "replica" / "app.db"
    config = tmp_path / "config.toml"
    env = tmp_path / ".env"

    def point(name: str, url: str, token: str) -> None:
        config.write_text(
            f'[turso]\ndatabase_name = "{name}"\ndatabase_url = "{url}"\n\n'
            f'[turso.local_replica]\nlocal_db_path = "{path}"\n\n[tursotui]\ntarget = "local"\n'
        )
        env.write_text(f"TURSO_AUTH_TOKEN={token}\n")
        env.chmod(0o600)

    secrets = [made["app"][1], made["ux-setup"][1]]

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--config", str(config), "--data-dir", str(data), *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        if args[0] == "replica":  # `token create` prints its new token on purpose
            for secret in [*secrets, *env.read_text().removeprefix("TURSO_AUTH_TOKEN=").split()]:
                assert secret not in out + err
        return code, out, err

    url, token, app_id = made["app"]
    point("app", url, token)
    code, out, _ = run("replica", "sync", "--json")
    assert code == 0 and _count(path) == 50
    assert json.loads(out)["origin"] == {
        "url": url,
        "database": "app",
        "database_id": app_id,
        "organization": "local",
    }

    # Walkthrough defect 6: the group's tokens rotated, the .env one is refused with 401 and the way out.
    code, _, _ = run("token", "rotate", "--group", "default", "--yes")
    assert code == 0
    code, _, err = run("replica", "sync")
    assert code == 1
    assert f"replica sync failed: {url} refused the database token (401 Unauthorized on GET" in err
    assert "the TURSO_AUTH_TOKEN in .env is no longer valid (tokens rotated?)" in err
    assert "mint one with `tursotui token create --write-env`" in err and "handshake" not in err
    code, _, _ = run("token", "create", "--write-env", "--yes")
    assert code == 0
    code, out, _ = run("replica", "sync", "--json")
    assert code == 0 and json.loads(out)["frames"] == 0 and _count(path) == 50
    fresh = env.read_text().strip().removeprefix("TURSO_AUTH_TOKEN=")
    asyncio.run(_sync_without_lookup(turso_dir, sqld_binary, path, url, fresh))
    kept_origin = replica.status(path).origin  # what was known of the same database is kept
    assert kept_origin is not None and (kept_origin.database, kept_origin.database_id) == (
        "app",
        app_id,
    )

    # Walkthrough defect 7: config repointed at another database; the file is refused, naming both.
    other_url = made["ux-setup"][0]
    code, out, _ = run(
        "token", "create", "ux-setup", "--json"
    )  # the rotation cut its token off too
    other_token = json.loads(out)["token"]
    secrets.append(other_token)
    point("ux-setup", other_url, other_token)
    code, _, err = run("replica", "sync")
    assert code == 1
    assert (
        f"holds database app ({url}), but config now names database ux-setup ({other_url})" in err
    )
    assert "a replica never switches databases" in err and "`tursotui replica reset`" in err
    assert _count(path) == 50  # untouched
    code, out, _ = run("replica", "status", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["lag"]["frames_behind"] is None
    assert "came from another database" in shown["lag"]["note"]
    assert shown["origin"]["database"] == "app" and shown["configured"]["database"] == "ux-setup"

    # reset: the typed file name (or --yes), then the new database is bootstrapped
    code, _, err = run("replica", "reset")
    assert code == 2 and "without --yes" in err and path.exists()
    code, out, _ = run("replica", "reset", "--yes", "--json")
    reset = json.loads(out)
    assert code == 0 and reset["origin"]["database"] == "ux-setup" and reset["frames"] >= 0
    assert reset["lag"]["frames_behind"] == 0 and _count(path) == 3

    # The database deleted and re-created under the same name: told apart by its id, never synced on top.
    kept = tmp_path / "old"
    kept.mkdir()
    for suffix in ("", "-wal", "-info"):
        shutil.copyfile(path.with_name(path.name + suffix), kept / f"app.db{suffix}")
    new_url, new_token, new_id = asyncio.run(_recreate(turso_dir, sqld_binary, "ux-setup"))
    secrets.append(new_token)
    assert new_id != reset["origin"]["database_id"]
    point("ux-setup", new_url, new_token)
    code, _, err = run("replica", "sync")
    assert code == 1 and "holds database ux-setup (" in err and "a replica never switches" in err
    assert _count(path) == 3
    # ...and the re-created database's fresh sync store refuses the old file itself (no tursotui check)
    answer = asyncio.run(_serve(turso_dir, sqld_binary, kept / "app.db", new_url, new_token))
    assert not answer["ok"], answer
    said = explain(answer["error"], new_url)
    assert said.kind == "pruned" and "410 Gone" in said.message, said.message
    code, _, _ = run("replica", "reset", "--yes")
    assert code == 0 and _count(path) == 7
