"""Every instance URL of every database enforces that database's current key: primary and replica
URLs, for each way a database comes to be (create, copy, point-in-time restore, upload, dump),
before and after a restart, after a rotate and after a location is added. Real sqld throughout."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import LocalTurso
from tursotui.platform import PlatformClient, Seed

SELECT = {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}, {"type": "close"}]}
KINDS = ("plain", "copied", "restored", "uploaded", "dumped")
AWS = ProfileChoice(platform="aws")
FRESH = httpx.Limits(max_keepalive_connections=0)  # no reuse of a connection the proxy closed idle


async def _status(http: httpx.AsyncClient, url: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return (await http.post(f"{url}/v2/pipeline", json=SELECT, headers=headers)).status_code


async def _reads(http: httpx.AsyncClient, url: str, token: str) -> int:
    """Its own token reads; a replica still catching up can answer 5xx for a moment."""
    status = 0
    for _ in range(50):
        status = await _status(http, url, token)
        if status < 500:
            return status
        await asyncio.sleep(0.1)
    return status


async def _urls(client: PlatformClient, name: str) -> list[str]:
    return [i.url for i in await client.list_instances(name)]


async def _check_all(
    client: PlatformClient, tokens: dict[str, str], strangers: dict[str, str]
) -> int:
    """Every URL of every database: nobody but its own token gets in. Returns the URLs checked."""
    checked = 0
    async with httpx.AsyncClient(timeout=30, limits=FRESH) as http:
        for name in KINDS:
            neighbour = tokens[KINDS[(KINDS.index(name) + 1) % len(KINDS)]]
            for url in await _urls(client, name):
                assert await _status(http, url, None) == 401, (name, url)
                for who, token in strangers.items():
                    assert await _status(http, url, token) == 401, (name, url, who)
                # Same group key, another database's id: refused (sqld answers 404 for it).
                assert await _status(http, url, neighbour) in (401, 403, 404), (name, url)
                assert await _reads(http, url, tokens[name]) == 200, (name, url)
                checked += 1
    return checked


def _sqlite_file(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("create table t(x)")
    conn.execute("insert into t values (1)")
    conn.commit()
    conn.close()
    return path.read_bytes()


async def _build(client: PlatformClient, turso: LocalTurso, tmp_path: Path) -> None:
    await client.create_group("g", "sjc")
    await client.add_location("g", "iad")
    await client.add_location("g", "fra")
    await client.create_group("other", "sjc")
    await client.create_database("outsider", "other")
    await client.create_database("plain", "g")
    await client.create_database("copied", "g", seed=Seed.copy("plain"))
    await turso.pitr.take("plain")
    moment = datetime.now(UTC).isoformat()
    await client.create_database("restored", "g", seed=Seed.restore("plain", moment))
    created = await client.create_database("uploaded", "g", seed=Seed.upload())
    token = (await client.create_database_token("uploaded")).jwt
    async with httpx.AsyncClient(base_url=created.url) as http:
        done = await http.post(
            "/v1/upload",
            content=_sqlite_file(tmp_path / "up.db"),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert done.status_code == 200, done.text
    dump = tmp_path / "d.sql"
    dump.write_text("CREATE TABLE t(x);\nINSERT INTO t VALUES (1);\n")
    await client.create_database("dumped", "g", seed=Seed.dump(dump.as_uri()))


async def _tokens(client: PlatformClient) -> tuple[dict[str, str], dict[str, str]]:
    tokens = {name: (await client.create_database_token(name)).jwt for name in KINDS}
    strangers = {
        "database token of another group": (await client.create_database_token("outsider")).jwt,
        "group token of another group": (await client.create_group_token("other")).jwt,
    }
    return tokens, strangers


async def test_every_instance_url_enforces_its_database_key(
    tmp_path: Path, sqld_binary: Path
) -> None:
    data_dir = tmp_path / "org"
    # Uploads are served under the aws profile (refused under fly); its Fly-era groups take replicas.
    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary, profile=AWS)
    await turso.start()
    turso.cp.legacy_groups = True
    try:
        client = turso.platform_client(max_retries=0)  # "dump" is a local extension of the spec
        await _build(client, turso, tmp_path)
        tokens, strangers = await _tokens(client)
        assert await _check_all(client, tokens, strangers) == 15
        await client.aclose()
    finally:
        await turso.close()

    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    await turso.start()  # a restart: nothing may come back open
    try:
        client = turso.platform_client(max_retries=0)
        assert await _check_all(client, tokens, strangers) == 15

        await client.rotate_group_tokens("g")
        fresh, _ = await _tokens(client)
        async with httpx.AsyncClient(timeout=30, limits=FRESH) as http:
            for name in KINDS:
                for url in await _urls(client, name):
                    assert await _status(http, url, tokens[name]) == 401, (name, url)
        assert await _check_all(client, fresh, strangers) == 15

        await client.add_location("g", "lhr")
        assert await _check_all(client, fresh, strangers) == 20
        await client.aclose()
    finally:
        await turso.close()
