"""sqld's admin API on every sqld of the local Turso refuses a request without its key (real sqld)."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import httpx
import pytest

from tursotui.libsql import HranaClient
from tursotui.local.engine.admin import SqldAdmin
from tursotui.local.engine.guard import ADMIN_KEY_FILE
from tursotui.local.engine.sqld import free_port
from tursotui.local.errors import ApiError
from tursotui.local.host.service import LocalTurso


async def _org(turso: LocalTurso) -> tuple[str, str]:
    platform = turso.platform_client(max_retries=0)
    await platform.create_group("default", "sjc")
    await platform.add_location("default", "fra")
    created = await platform.create_database("app", "default")
    token = (await platform.create_database_token("app")).jwt
    await platform.aclose()
    return created.url, token


async def _admin_refuses_strangers(turso: LocalTurso) -> int:
    """Every sqld's admin API: 401 without the key, with a wrong one or a Bearer; returns how many."""
    nodes = list(turso.cp.dataplane.nodes.values())
    assert len(nodes) == 2  # the primary and the fra replica
    key = turso.cp.dataplane.admin_key
    # A fresh connection per request: sqld closes one it answered 401 before reading its body.
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=10, limits=fresh) as http:
        for node in nodes:
            base = node.process.admin_url
            for headers in (
                {},
                {"Authorization": f"Bearer {key}"},
                {"Authorization": key},
                {"Authorization": "Basic wrong"},
            ):
                read = await http.get(f"{base}/v1/namespaces/app/config", headers=headers)
                write = await http.post(
                    f"{base}/v1/namespaces/app/config", json={"jwt_key": "x"}, headers=headers
                )
                create = await http.post(
                    f"{base}/v1/namespaces/evil/create", json={}, headers=headers
                )
                delete = await http.delete(f"{base}/v1/namespaces/app", headers=headers)
                assert {
                    read.status_code,
                    write.status_code,
                    create.status_code,
                    delete.status_code,
                } == {401}, (node.location, headers.keys())
            allowed = await http.get(
                f"{base}/v1/namespaces/app/config", headers={"Authorization": f"Basic {key}"}
            )
            assert allowed.status_code == 200
    return len(nodes)


async def test_every_sqld_admin_api_needs_the_key_before_and_after_a_restart(
    tmp_path: Path, sqld_binary: Path
) -> None:
    data_dir = tmp_path / "local"
    turso = await LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary).start()
    try:
        url, token = await _org(turso)
        assert await _admin_refuses_strangers(turso) == 2
        key = turso.cp.dataplane.admin_key
        for node in turso.cp.dataplane.nodes.values():
            assert key not in " ".join(node.process.command())  # never in argv (ps)
        async with HranaClient(url, token) as sql:  # the local Turso itself works with its key
            await sql.batch(["create table t(x)", "insert into t values (1)"])
    finally:
        await turso.close()
    key_file = data_dir / "sqld" / ADMIN_KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    again = await LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary).start()
    try:
        assert again.cp.dataplane.admin_key == key  # kept across restarts
        assert await _admin_refuses_strangers(again) == 2
        async with HranaClient(url, token) as sql:
            assert (await sql.execute("select x from t")).rows == ((1,),)
    finally:
        await again.close()


async def test_a_refused_connection_is_tried_again_then_named() -> None:
    """Nothing is sent on a refused connection: the admin client tries again (a sqld restarting),
    and names the failure once it keeps being refused."""
    port = free_port()
    http = httpx.AsyncClient(timeout=5)
    admin = SqldAdmin(f"http://127.0.0.1:{port}", http, "k")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
        await writer.drain()
        writer.close()

    async def listen_late() -> asyncio.Server:
        await asyncio.sleep(0.05)  # after the first try, before the second
        return await asyncio.start_server(answer, "127.0.0.1", port)

    try:
        late = asyncio.create_task(listen_late())
        assert await admin.get_config("app") == {}
        server = await late
        server.close()
        await server.wait_closed()
        with pytest.raises(ApiError) as refused:
            await admin.get_config("app")
        assert refused.value.status == 503
        assert "unreachable (ConnectError)" in refused.value.message
    finally:
        await http.aclose()
