"""An archived database said as such: Turso Cloud archives a Free-plan group after days without activity, and
its databases' URLs then answer HTTP 502 (turso-cli#917). A bare "answered HTTP 502 (server error)" tells the
operator nothing; this names the database, its group and the command that wakes it.

``explain(platform, database, error)`` returns what to raise instead of ``error`` (itself when it is not a
502 or the group is not archived); ``archived_hint`` does that around a block of SQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tursotui.libsql.errors import HttpError
from tursotui.ops.errors import OpsError
from tursotui.platform import Database, PlatformClient, PlatformError

ARCHIVED_STATUS = 502


class DatabaseArchived(OpsError):
    """The database's group is archived: its URLs answer 502 until it is unarchived."""

    def __init__(self, database: str, group: str) -> None:
        self.database = database
        self.group = group
        super().__init__(archived_message(database, group))


def unarchive_command(group: str) -> str:
    return f"tursotui group unarchive {group}"


def archived_message(database: str, group: str) -> str:
    return f"database {database} is archived — unarchive with `{unarchive_command(group)}`"


async def explain(
    platform: PlatformClient, database: Database | str, error: BaseException
) -> BaseException:
    """``error``, or :class:`DatabaseArchived` when it is a 502 from a database whose group is archived."""
    if not isinstance(error, HttpError) or error.status != ARCHIVED_STATUS:
        return error
    try:
        name = database.name if isinstance(database, Database) else database
        db = await platform.get_database(name)  # fresh: it may have been archived since it was read
        if db.archived or db.sleeping:
            return DatabaseArchived(db.name, db.group)
        if db.group and (await platform.get_group(db.group)).archived:
            return DatabaseArchived(db.name, db.group)
    except PlatformError:
        return error  # the Platform API cannot tell: the 502 stays as it was
    return error


@asynccontextmanager
async def archived_hint(platform: PlatformClient, database: Database | str) -> AsyncIterator[None]:
    """``async with archived_hint(platform, db): ...`` — a 502 of an archived database is said as such."""
    try:
        yield
    except HttpError as exc:
        better = await explain(platform, database, exc)
        if better is exc:
            raise
        raise better from exc
