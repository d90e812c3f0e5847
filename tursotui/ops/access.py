"""SQL access to a database by name, with the session's token (``tursotui.ops.session_tokens``).

Backups, imports and the console's sessions do not depend on ``TURSO_AUTH_TOKEN`` pointing at the right
database: they reuse it where its claims say it belongs to the database, else the one token the session
holds for it, else they mint ONE short-lived token (read-only for backups) that every later action of the
session reuses. A minted token is used only in memory, never printed or stored; it has an expiry (a day) and,
given a ledger, a ``session`` entry in it (metadata only), so every token tursotui mints is accounted for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import AuthError, HttpError
from tursotui.libsql.keys import variable_for
from tursotui.ops.archived import archived_hint
from tursotui.ops.session_tokens import (
    ACCESS_EXPIRATION,
    SessionTokens,
    copy_key,
    register_session,
    remote_encryption,
    session_tokens,
    sql_client,
)
from tursotui.ops.tokens import TokenLedger
from tursotui.platform import Database, PlatformClient

__all__ = [
    "ACCESS_EXPIRATION",
    "DatabaseAccess",
    "SessionTokens",
    "copy_key",
    "key_hint",
    "mint_session_token",
    "open_database",
    "register_session",
    "remote_encryption",
    "session_tokens",
    "sql_client",
]


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
    """A token for tursotui's own use of ``database``: the session's (configured, held, or minted now with
    ``expiration`` and recorded in ``ledger`` as a session token)."""
    return await session_tokens(platform).token_for(
        platform,
        database,
        read_only=read_only,
        ledger=ledger,
        target=target,
        expiration=expiration,
    )


@asynccontextmanager
async def open_database(
    platform: PlatformClient,
    name: str,
    *,
    read_only: bool = False,
    ledger: TokenLedger | None = None,
    target: str = "",
) -> AsyncIterator[DatabaseAccess]:
    """``async with open_database(platform, "db") as access: await access.client.execute(...)``

    A 401 inside the block (the token was rotated meanwhile, by another process) makes the session drop that
    token: the next action gets a new one."""
    database = await platform.get_database(name)
    token = await mint_session_token(
        platform, database, read_only=read_only, ledger=ledger, target=target
    )
    client = sql_client(platform, database, token)
    try:
        async with archived_hint(platform, database):  # a 502 of an archived group, said as such
            yield DatabaseAccess(database, client, token)
    except AuthError:
        session_tokens(platform).forget(platform.organization or "", database.name, token)
        raise
    except HttpError as exc:
        hinted = key_hint(exc, database.name)
        if hinted is exc:
            raise
        raise hinted from None
    finally:
        await client.aclose()


def key_hint(exc: HttpError, database: str) -> HttpError:
    """A refusal for a missing or wrong encryption key (a BYOK database), with the variable that gives the
    key to tursotui; any other error as it is."""
    if exc.status != 400 or "x-turso-encryption-key" not in exc.message:
        return exc
    hint = f"set {variable_for(database)} to its key (base64) in the environment or .env"
    return HttpError(f"{exc.message} — {hint}", exc.code, status=exc.status)
