"""Namespaces no database owns (a restore or create killed midway) are removed at the next start
and named in the notices; the databases that are owned stay. Real sqld."""

from __future__ import annotations

from pathlib import Path

import httpx

from tursotui.local.control.startup import metastore_namespaces
from tursotui.local.host.service import LocalTurso

SELECT = {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}, {"type": "close"}]}


async def test_orphan_namespaces_are_removed_at_start(tmp_path: Path, sqld_binary: Path) -> None:
    data_dir = tmp_path / "org"
    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        client = turso.platform_client(max_retries=0)
        await client.create_group("default", "sjc")
        await client.add_location("default", "iad")
        kept = await client.create_database("kept", "default")
        token = (await client.create_database_token("kept")).jwt
        await client.aclose()
        primary = turso.cp.dataplane.primary
        # What a SIGKILL mid-create leaves: a namespace sqld knows, and a bare dir on disk.
        await primary.admin.create_namespace("ghost")
        dbs = primary.process.db_path / "dbs"
        (dbs / "rk09").mkdir()
        (dbs / "rk09" / "data").write_bytes(b"x" * 4096)
        replica_dbs = turso.cp.dataplane.nodes["iad"].process.db_path / "dbs"
        (replica_dbs / "stray").mkdir(parents=True)
    finally:
        await turso.close()
    assert "ghost" in metastore_namespaces(primary.process.db_path)

    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        notices = " | ".join(turso.notices)
        for name in ("ghost", "rk09", "stray"):
            assert f"removed namespace {name} " in notices
        assert not (dbs / "ghost").exists() and not (dbs / "rk09").exists()
        assert not (replica_dbs / "stray").exists()
        db_path = turso.cp.dataplane.primary.process.db_path
        assert metastore_namespaces(db_path) == {"kept"}
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(
                f"{kept.url}/v2/pipeline",
                json=SELECT,
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200
    finally:
        await turso.close()
