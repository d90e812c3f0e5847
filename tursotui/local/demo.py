"""The demo organization a new user gets on first run, with no account: the xSwarm guide made real.

Database ``xswarm-users`` in group ``default`` (primary sjc, replicas iad and fra), the guide's
schema and indexes, its two test users plus generated ones, a recovery point, and a
config.toml/.env that point at it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tursotui.config import write_env_file
from tursotui.config.envfile import AUTH_TOKEN
from tursotui.config.write import update_config
from tursotui.libsql import HranaClient
from tursotui.local.service import LocalTurso
from tursotui.local.state import DEFAULT_LOCATION
from tursotui.seed_schema import INSERT_USER, SCHEMA, TEST_USERS, generated_users

DEMO_DATABASE = "xswarm-users"
DEMO_GROUP = "default"
DEMO_PRIMARY = DEFAULT_LOCATION
DEMO_REPLICAS = ("iad", "fra")
DEFAULT_USERS = 3000
BATCH = 500


@dataclass(frozen=True)
class DemoOrg:
    created: bool
    database_url: str
    users: int


async def _fill(url: str, token: str, users: int) -> None:
    rng = random.Random(7)
    period_start = datetime(2026, 11, 1, tzinfo=UTC)
    period_end = period_start + timedelta(days=30)
    async with HranaClient(url, token) as sql:
        await sql.batch(list(SCHEMA))
        await sql.batch([(INSERT_USER, list(row)) for row in TEST_USERS])
        rows = list(generated_users(users))
        for start in range(0, len(rows), BATCH):
            await sql.batch([(INSERT_USER, list(row)) for row in rows[start : start + BATCH]])
        paid = [row for row in rows if row[8] is not None]
        items = [
            (
                "INSERT OR IGNORE INTO subscription_items VALUES (?, ?, ?, ?, ?)",
                [f"si-{row[0]}", row[0], row[9], f"si_voice_{n:05d}", f"si_sms_{n:05d}"],
            )
            for n, row in enumerate(paid)
        ]
        usage = [
            (
                "INSERT OR IGNORE INTO usage VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    f"use-{row[0]}-202611",
                    row[0],
                    period_start.isoformat(),
                    period_end.isoformat(),
                    rng.randrange(0, 600),
                    rng.randrange(0, 300),
                    1 if row[4] else 0,
                ],
            )
            for row in paid
        ]
        for chunk in (items, usage):
            for start in range(0, len(chunk), BATCH):
                await sql.batch(chunk[start : start + BATCH])


async def ensure_demo_org(
    turso: LocalTurso,
    *,
    config_path: Path,
    env_path: Path,
    users: int = DEFAULT_USERS,
    write_config: bool = True,
) -> DemoOrg:
    """Create the demo organization unless the local Turso already has databases."""
    client = turso.platform_client()
    try:
        existing = await client.list_databases()
        if existing:
            chosen = next((d for d in existing if d.name == DEMO_DATABASE), existing[0])
            return DemoOrg(created=False, database_url=chosen.url, users=0)
        if DEMO_GROUP not in {g.name for g in await client.list_groups()}:
            await client.create_group(DEMO_GROUP, DEMO_PRIMARY)
        created = await client.create_database(DEMO_DATABASE, DEMO_GROUP)
        token = (await client.create_database_token(DEMO_DATABASE)).jwt
        await _fill(created.url, token, users)
        for location in DEMO_REPLICAS:
            await client.add_location(DEMO_GROUP, location)
        await turso.pitr.take(DEMO_DATABASE, reason="demo org created")
    finally:
        await client.aclose()
    if write_config:
        update_config(
            config_path,
            {
                "turso.database_name": DEMO_DATABASE,
                "turso.organization": turso.organization,
                "turso.database_url": created.url,
                "turso.primary_region": DEMO_PRIMARY,
                "turso.replica_regions": list(DEMO_REPLICAS),
                "tursotui.target": "local",
            },
        )
        write_env_file(env_path, {AUTH_TOKEN: token})
    return DemoOrg(created=True, database_url=created.url, users=users + len(TEST_USERS))
