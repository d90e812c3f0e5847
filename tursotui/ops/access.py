"""SQL access to a database by name: a short-lived token minted through the Platform API.

Backups and imports do not depend on ``TURSO_AUTH_TOKEN`` pointing at the right database: they
mint their own token (read-only for backups), used only in memory and never printed or stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tursotui.libsql import HranaClient
from tursotui.platform import Database, PlatformClient

ACCESS_EXPIRATION = "1d"


@dataclass
class DatabaseAccess:
    database: Database
    client: HranaClient
    token: str = field(repr=False)


@asynccontextmanager
async def open_database(
    platform: PlatformClient, name: str, *, read_only: bool = False
) -> AsyncIterator[DatabaseAccess]:
    """``async with open_database(platform, "db") as access: await access.client.execute(...)``"""
    database = await platform.get_database(name)
    minted = await platform.create_database_token(
        name,
        expiration=ACCESS_EXPIRATION,
        authorization="read-only" if read_only else "full-access",
    )
    client = HranaClient(database.url, minted.jwt)
    try:
        yield DatabaseAccess(database, client, minted.jwt)
    finally:
        await client.aclose()
