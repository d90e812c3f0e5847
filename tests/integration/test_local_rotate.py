"""Token rotation on real sqld: a token minted while a rotate is in flight works at once, on the
primary and replica URLs; a killed rotate is undone at the next start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tursotui.local.host.service import LocalTurso
from tursotui.platform import PlatformClient

SELECT = {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}, {"type": "close"}]}
DATABASES = 20
FRESH = httpx.Limits(max_keepalive_connections=0)


async def _status(http: httpx.AsyncClient, url: str, token: str) -> int:
    response = await http.post(
        f"{url}/v2/pipeline", json=SELECT, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def test_tokens_minted_during_a_rotate_work(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await platform.create_group("default", "sjc")
    await platform.add_location("default", "iad")
    names = [f"db{n:02d}" for n in range(DATABASES)]
    for name in names:
        await platform.create_database(name, "default")
    urls = {name: [i.url for i in await platform.list_instances(name)] for name in names}
    old = (await platform.create_database_token(names[0])).jwt

    rotate = asyncio.create_task(platform.rotate_group_tokens("default"))
    await asyncio.sleep(0)  # the rotate holds the group's key from here on
    minted_in_flight = 0
    results: list[tuple[str, str, int]] = []
    async with httpx.AsyncClient(timeout=30, limits=FRESH) as http:
        for name in reversed(names):  # the rotate reaches these last
            in_flight = not rotate.done()
            token = (await platform.create_database_token(name)).jwt
            minted_in_flight += in_flight
            for url in urls[name]:
                results.append((name, url, await _status(http, url, token)))
        await rotate
        assert minted_in_flight > 0
        assert [r for r in results if r[2] != 200] == []
        assert {await _status(http, url, old) for url in urls[names[0]]} == {401}


async def test_a_rotate_killed_midway_is_undone_at_the_next_start(
    tmp_path: Path, sqld_binary: Path
) -> None:
    data_dir = tmp_path / "org"
    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        client = turso.platform_client(max_retries=0)
        await client.create_group("default", "sjc")
        created = await client.create_database("db", "default")
        token = (await client.create_database_token("db")).jwt
        await client.aclose()
        # What a SIGKILL between "key given to sqld" and "key made the group's" leaves behind.
        cp = turso.cp
        new = cp.keys.prepare_rotation("default")
        await cp.set_key(cp.database("db"), new)
    finally:
        await turso.close()
    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        assert any("rotation was interrupted" in n for n in turso.notices)
        assert not turso.cp.keys.next_path("default").exists()
        async with httpx.AsyncClient(timeout=30) as http:
            assert await _status(http, created.url, token) == 200
            assert await _status(http, created.url, new.mint()) == 401
    finally:
        await turso.close()
