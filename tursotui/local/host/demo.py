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
from urllib.parse import urlsplit

from tursotui.config import Settings
from tursotui.config.point import point_at_database
from tursotui.libsql import HranaClient
from tursotui.local.control.state import DEFAULT_LOCATION
from tursotui.local.host.service import LocalTurso
from tursotui.ops.tokens import DEFAULT_EXPIRATION, TokenLedger, entry_for, parse_expiration
from tursotui.support.loopback import is_loopback_host
from tursotui.support.xswarm import INSERT_USER, SCHEMA, TEST_USERS, generated_users

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
    notes: tuple[str, ...] = ()
    """What was done to config.toml/.env (written, backed up), or why they were left alone."""


def files_are_ours(settings: Settings, organization: str = "local") -> bool:
    """May the local Turso point config.toml/.env at its demo database?

    Only when they are absent or already point at a local Turso: no Turso Cloud API token, no ``target =
    "cloud"``, no other organization, and the database URL (flag, environment or config) empty or on this
    machine. A Turso Cloud setup is never rewritten."""
    if settings.api_token or settings.config.tursotui.target == "cloud":
        return False
    if settings.organization and settings.organization != organization:
        return False
    url = settings.database_url
    return not url or is_loopback_host(urlsplit(url).hostname or "")


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
    expiration: str = DEFAULT_EXPIRATION,
    ledger: TokenLedger | None = None,
) -> DemoOrg:
    """Create the demo organization unless the local Turso already has databases.

    ``write_config``: point config.toml/.env at it (an existing file is backed up first, and the notes say
    so); else they are left alone and the notes say how to point them at it. Its database token expires after
    ``expiration`` and is recorded in ``ledger`` (the expiry warnings cover it)."""
    client = turso.platform_client()
    try:
        existing = turso.cp.state.databases  # not a list of them all: a fleet's has 10,000 URLs
        if existing:
            name = DEMO_DATABASE if DEMO_DATABASE in existing else min(existing)
            chosen = await client.get_database(name)
            return DemoOrg(created=False, database_url=chosen.url, users=0)
        if DEMO_GROUP not in {g.name for g in await client.list_groups()}:
            await client.create_group(DEMO_GROUP, DEMO_PRIMARY)
        created = await client.create_database(DEMO_DATABASE, DEMO_GROUP)
        token = (await client.create_database_token(DEMO_DATABASE, expiration=expiration)).jwt
        if ledger is not None:
            entry = entry_for(
                token,
                scope="database",
                database=DEMO_DATABASE,
                group=DEMO_GROUP,
                organization=turso.organization,
                target="local",
                expiration=parse_expiration(expiration),
            )
            ledger.record(entry)
        await _fill(created.url, token, users)
        for location in DEMO_REPLICAS:
            await client.add_location(DEMO_GROUP, location)
        await turso.pitr.take(DEMO_DATABASE, reason="demo org created")
    finally:
        await client.aclose()
    if write_config:
        notes = _point_files_at(turso, created.url, token, config_path, env_path)
    else:
        notes = (
            f"Left {config_path} and {env_path} alone: they point at Turso Cloud (or elsewhere). To use the "
            f'local Turso with them, set [turso] database_url = "{created.url}", organization = '
            f'"{turso.organization}" and [tursotui] target = "local" in config.toml, then run `tursotui '
            "token create xswarm-users --write-env` (it backs up .env first); or give tursotui another "
            "--config and --env-file.",
        )
    return DemoOrg(
        created=True, database_url=created.url, users=users + len(TEST_USERS), notes=notes
    )


def _point_files_at(
    turso: LocalTurso, url: str, token: str, config_path: Path, env_path: Path
) -> tuple[str, ...]:
    """config.toml and .env pointed at the demo database; an existing file is backed up first."""
    pointed = point_at_database(
        config_path,
        env_path,
        config={
            "turso.database_name": DEMO_DATABASE,
            "turso.organization": turso.organization,
            "turso.database_url": url,
            "turso.primary_region": DEMO_PRIMARY,
            "turso.replica_regions": list(DEMO_REPLICAS),
            "tursotui.target": "local",
        },
        token=token,
    )
    notes = [f"Pointed {config_path} and {env_path} at the demo database {DEMO_DATABASE}."]
    notes += [
        f"The previous {saved.name.split('.bak-')[0]} is kept as {saved}."
        for saved in pointed.backups
    ]
    return tuple(notes)
