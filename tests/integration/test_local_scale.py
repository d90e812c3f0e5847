"""1,000 databases in a group with two replica locations: every create succeeds (4 in flight), and
after a restart every one is served with its own token. Real sqld; bounded in count and time."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import httpx

from tursotui.local.host.service import LocalTurso
from tursotui.platform import PlatformClient

log = logging.getLogger(__name__)

DATABASES = 1_000
IN_FLIGHT = 4
REPLICA_SAMPLE = 50
SELECT = {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}, {"type": "close"}]}
FRESH = httpx.Limits(max_keepalive_connections=0)


async def _query(http: httpx.AsyncClient, url: str, token: str, *, replica: bool = False) -> int:
    """One query; a replica instance is asked again while it answers 5xx (it proxies a read it has
    not caught up with to the primary without the token: the known limit in the README). A primary
    gets one try: below ``--max-active-namespaces`` sqld never answers 404 for a database that
    exists (sqld-namespaces.md §1)."""
    status = 0
    for _ in range(30 if replica else 1):
        response = await http.post(
            f"{url}/v2/pipeline", json=SELECT, headers={"Authorization": f"Bearer {token}"}
        )
        status = response.status_code
        if status < 500:
            return status
        await asyncio.sleep(0.05)
    return status


async def _create_all(client: PlatformClient, names: list[str]) -> list[str]:
    failures: list[str] = []
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def create(name: str) -> None:
        async with slots:
            try:
                await client.create_database(name, "g")
            except Exception as exc:  # every failure is collected and shown
                failures.append(f"{name}: {exc}")

    await asyncio.gather(*(create(name) for name in names))
    return failures


async def test_a_thousand_databases_are_created_and_served_after_a_restart(
    tmp_path: Path, sqld_binary: Path
) -> None:
    data_dir = tmp_path / "org"
    names = [f"db{n:04d}" for n in range(DATABASES)]
    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        client = turso.platform_client(max_retries=0)
        await client.create_group("g", "sjc")
        await client.add_location("g", "iad")
        await client.add_location("g", "fra")
        started = time.monotonic()
        failures = await _create_all(client, names)
        log.warning("%d creates: %.1f s", DATABASES, time.monotonic() - started)
        assert failures == []
        tokens = {name: (await client.create_database_token(name)).jwt for name in names}
        await client.aclose()
    finally:
        await turso.close()

    started = time.monotonic()
    turso = LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        log.warning("restart with %d databases: %.1f s", DATABASES, time.monotonic() - started)
        assert not [n for n in turso.notices if "not served" in n]
        client = turso.platform_client(max_retries=0)
        listed = {d.name: d for d in await client.list_databases()}
        assert sorted(listed) == names
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=30, limits=FRESH) as http:
            statuses = [await _query(http, listed[name].url, tokens[name]) for name in names]
            assert statuses == [200] * DATABASES
            sample = names[:: DATABASES // REPLICA_SAMPLE]
            replica_urls = {
                name: [i.url for i in await client.list_instances(name) if i.type == "replica"]
                for name in sample
            }
            replica = [
                await _query(http, url, tokens[name], replica=True)
                for name in sample
                for url in replica_urls[name]
            ]
            assert replica == [200] * (2 * len(sample))
        log.warning("queries after restart: %.1f s", time.monotonic() - started)
        await client.aclose()
    finally:
        await turso.close()
