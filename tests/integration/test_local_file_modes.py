"""The local Turso's data dir is closed to other users: 0700 dirs, 0600 files (real sqld)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import stat
from pathlib import Path

import httpx

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import HranaError
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import LocalTurso
from tursotui.platform.models import Seed

AWS = ProfileChoice(platform="aws")


def _open_to_others(root: Path) -> tuple[list[str], int]:
    """Entries under ``root`` (itself included) with any group/other bit, and how many were checked."""
    found: list[str] = []
    checked = 0
    walk = os.walk(root)
    for directory, dirs, files in walk:
        children = [os.path.join(directory, n) for n in (*dirs, *files)]
        for path in [directory, *children] if directory == str(root) else children:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                continue
            checked += 1
            if st.st_mode & 0o077:
                found.append(f"{stat.S_IMODE(st.st_mode):o} {os.path.relpath(path, root)}")
    return found, checked


async def _use_everything(turso: LocalTurso, tmp_path: Path) -> None:
    """Databases, replicas, queries, recovery points and an upload."""
    platform = turso.platform_client(max_retries=0)
    turso.cp.legacy_groups = (
        True  # a Fly-era group with a replica, in an org on AWS (uploads served)
    )
    await platform.create_group("default", "sjc")
    await platform.add_location("default", "fra")
    created = await platform.create_database("app", "default")
    token = (await platform.create_database_token("app")).jwt
    async with HranaClient(created.url, token) as sql:
        await sql.batch(["create table secret(x)", "insert into secret values ('hunter2')"])
        with contextlib.suppress(HranaError):
            await sql.execute("select * from nothing_here")  # an error in sqld's log
    replica = f"http://{turso.cp.hostname(turso.cp.database('app'), 'fra')}"
    async with HranaClient(replica, token) as sql:
        await sql.execute("select 1")
    await turso.pitr.take("app")
    upload = await platform.create_database("up", "default", seed=Seed.upload())
    up_token = (await platform.create_database_token("up")).jwt
    source = tmp_path / "seed.db"
    with sqlite3.connect(source) as conn:
        conn.execute("create table t(x)")
    conn.close()
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(
            f"{upload.url}/v1/upload",
            content=source.read_bytes(),
            headers={"Authorization": f"Bearer {up_token}"},
        )
    assert answer.status_code == 200, answer.text
    await platform.aclose()
    await asyncio.sleep(5.5)  # sqld persists stats.json (query text) every 5 s


async def test_nothing_in_the_data_dir_is_open_to_group_or_others(
    tmp_path: Path, sqld_binary: Path
) -> None:
    data_dir = tmp_path / "local"
    before = os.umask(0o022)  # a usual user umask: what the local Turso writes must not follow it
    turso = await LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary, profile=AWS).start()
    try:
        await _use_everything(turso, tmp_path)
        found, checked = _open_to_others(data_dir)
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        # closed as written (keys, recovery points, uploads), not only at the next start
        assert found == [], found
        print(f"before the restart: {checked} entries checked, none open to others")
    finally:
        await turso.close()
        assert os.umask(before) == 0o022  # the process's own umask is given back
    again = await LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary).start()
    try:
        found, checked = _open_to_others(data_dir)
        assert found == [], found
        names = {p.name for p in data_dir.rglob("*")}
        assert {"stats.json", "sqld.log", "data-wal", "admin-key", "ca.pem"} <= names
        assert any(p.suffix == ".db" for p in (data_dir / "recovery").rglob("*"))
        print(f"after the restart: {checked} entries checked, none open to others")
        assert checked > 50
    finally:
        await again.close()


async def test_an_older_open_data_dir_is_closed_at_start(tmp_path: Path, sqld_binary: Path) -> None:
    data_dir = tmp_path / "local"
    turso = await LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary).start()
    try:
        platform = turso.platform_client(max_retries=0)
        await platform.create_group("default", "sjc")
        await platform.create_database("app", "default")
        await platform.aclose()
    finally:
        await turso.close()
    for directory, _dirs, files in os.walk(data_dir):  # as versions before this one left it
        os.chmod(directory, 0o755)  # noqa: S103 - the old, open layout this test closes
        for name in files:
            os.chmod(os.path.join(directory, name), 0o644)
    assert len(_open_to_others(data_dir)[0]) > 20
    again = await LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary).start()
    try:
        found, checked = _open_to_others(data_dir)
        assert found == [] and checked > 20
    finally:
        await again.close()
