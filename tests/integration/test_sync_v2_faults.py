"""Sync v2 through faults, with a real ``libsql==0.1.11`` replica on real sqld: sqld restarted (a new session),
sqld killed (its replication log recreated: one page-diff transaction), the local Turso restarted (generations
kept, no re-bootstrap), and generations rotated until an old one is pruned (410)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fixtures.sync_v2 import check_copy, database, info, replica, rows

from tursotui.libsql import HranaClient
from tursotui.local.engine.syncv2 import Policy
from tursotui.local.host.service import LocalTurso

pytestmark = pytest.mark.sqld
ALL = "select id, n from t order by id"


async def _table(url: str, token: str) -> None:
    async with HranaClient(url, token) as sql:
        await sql.execute("create table t(id integer primary key, n text)")
        await sql.batch([("insert into t(n) values (?)", [f"row{i}" * 20]) for i in range(200)])


async def _write(url: str, token: str, text: str) -> None:
    for _ in range(100):  # sqld may still be coming back: its proxy says 503 meanwhile
        try:
            async with HranaClient(url, token) as sql:
                await sql.execute("insert into t(n) values (?)", [text])
                return
        except Exception:
            await asyncio.sleep(0.1)
    raise AssertionError("sqld did not take a write within 10 s")


async def _consistent(path: Path, url: str, token: str, copy: Path) -> None:
    synced = await replica(path, url, token, ["sync"])
    assert synced["ok"], synced
    integrity, found = check_copy(path, copy, ALL)
    assert integrity == "ok"
    assert [list(r) for r in found] == await rows(url, token, ALL)


async def test_sqld_restarted_then_killed(local_turso: LocalTurso, tmp_path: Path) -> None:
    url, token = await database(local_turso)
    await _table(url, token)
    path = tmp_path / "r" / "app.db"
    assert (await replica(path, url, token, ["sync"]))["ok"]
    generation = info(path)["generation"]
    node = local_turso.cp.dataplane.primary
    sync = local_turso.cp.dataplane.sync
    assert sync is not None

    node.restarting = (
        True  # a graceful restart (the watchdog kept out of it): same log, a new session
    )
    await asyncio.to_thread(node.process.stop)
    await asyncio.to_thread(node.process.start)
    node.restarting = False
    await _write(url, token, "after restart")
    await _consistent(path, url, token, tmp_path / "copy1")

    store = sync.databases[local_turso.cp.database("app").uuid].store
    assert store is not None
    log_id, frames = store.cursor.log_id, store.frame_count(store.current)
    node.process.kill()  # a crash: sqld recreates its replication log on the way back
    for _ in range(200):
        await asyncio.sleep(0.05)
        if node.restarts and node.process.alive() and not node.restarting:
            break
    await _write(url, token, "after kill")
    await _consistent(path, url, token, tmp_path / "copy2")
    assert store.cursor.log_id != log_id  # the new log was read from its start...
    assert (store.frame_count(store.current) or 0) > (frames or 0)  # ...and published as a diff
    assert info(path)["generation"] == generation  # the replica never re-bootstrapped


async def test_a_restarted_local_turso_keeps_its_generations(
    tmp_path: Path, sqld_binary: Path
) -> None:
    directory = tmp_path / "local"
    path = tmp_path / "r" / "app.db"
    async with LocalTurso(directory, recovery_interval=0, binary=sqld_binary) as turso:
        url, token = await database(turso)
        await _table(url, token)
        assert (await replica(path, url, token, ["sync"]))["ok"]
    at = info(path)
    async with LocalTurso(directory, recovery_interval=0, binary=sqld_binary) as turso:
        await _write(url, token, "after the local Turso restarted")
        await _consistent(path, url, token, tmp_path / "copy")
        assert info(path)["generation"] == at["generation"]
        assert info(path)["durable_frame_num"] > at["durable_frame_num"]  # continued, not rebuilt
        store = turso.data_dir / "sqld" / "syncv2" / turso.cp.database("app").uuid
        assert (store / "meta.json").stat().st_mode & 0o077 == 0


async def test_generations_rotate_and_a_pruned_one_is_gone(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    url, token = await database(local_turso)
    sync = local_turso.cp.dataplane.sync
    assert sync is not None and not sync.databases  # nothing synced yet
    sync.policy = Policy(min_frames=1, max_frames=1, keep=2)  # every catch-up with frames rotates
    await _table(url, token)
    behind, following = tmp_path / "behind" / "app.db", tmp_path / "following" / "app.db"
    assert (await replica(behind, url, token, ["sync"]))["ok"]
    assert (await replica(following, url, token, ["sync"]))["ok"]
    first = info(following)["generation"]
    for i in range(3):
        await _write(url, token, f"write {i}")
        await _consistent(following, url, token, tmp_path / f"copy{i}")
    assert info(following)["generation"] >= first + 2  # walked generation to generation
    gone = await replica(behind, url, token, ["sync"])
    assert not gone["ok"] and "410" in gone["error"] and "no longer kept" in gone["error"]
    # A new replica bootstraps from the newest kept generation.
    fresh = tmp_path / "fresh" / "app.db"
    await _consistent(fresh, url, token, tmp_path / "copy-fresh")
