"""SQL access to a database by name: a short-lived token minted through the Platform API.

Backups, imports and the console's sessions do not depend on ``TURSO_AUTH_TOKEN`` pointing at the
right database: they mint their own token (read-only for backups), used only in memory and never
printed or stored. Each has an expiry (a day) and, given a ledger, a ``session`` entry in it
(metadata only), so every token tursotui mints is accounted for.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tursotui.libsql import HranaClient
from tursotui.ops.archived import archived_hint
from tursotui.ops.errors import OpsError
from tursotui.ops.tokens import TokenLedger, entry_for, parse_expiration
from tursotui.platform import Database, PlatformClient

ACCESS_EXPIRATION = "1d"

log = logging.getLogger(__name__)


@dataclass
class DatabaseAccess:
    database: Database
    client: HranaClient
    token: str = field(repr=False)


async def mint_session_token(
    platform: PlatformClient,
    database: Database,
    *,
    read_only: bool,
    ledger: TokenLedger | None = None,
    target: str = "",
    expiration: str = ACCESS_EXPIRATION,
) -> str:
    """A token for tursotui's own use of ``database``, recorded in ``ledger`` as a session token."""
    minted = await platform.create_database_token(
        database.name,
        expiration=expiration,
        authorization="read-only" if read_only else "full-access",
    )
    if ledger is not None:
        entry = entry_for(
            minted.jwt,
            scope="database",
            database=database.name,
            group=database.group,
            organization=platform.organization or "",
            target=target,
            expiration=parse_expiration(expiration),
            kind="session",
        )
        try:
            ledger.record(entry)
        except OpsError as exc:  # a damaged ledger is reported where it is shown, not here
            log.warning("session token %s not recorded: %s", entry.fingerprint, exc)
    return minted.jwt


@asynccontextmanager
async def open_database(
    platform: PlatformClient,
    name: str,
    *,
    read_only: bool = False,
    ledger: TokenLedger | None = None,
    target: str = "",
) -> AsyncIterator[DatabaseAccess]:
    """``async with open_database(platform, "db") as access: await access.client.execute(...)``"""
    database = await platform.get_database(name)
    token = await mint_session_token(
        platform, database, read_only=read_only, ledger=ledger, target=target
    )
    client = HranaClient(database.url, token)
    try:
        async with archived_hint(platform, database):  # a 502 of an archived group, said as such
            yield DatabaseAccess(database, client, token)
    finally:
        await client.aclose()
