"""An archived database said as such: Turso Cloud archives a Free-plan group after days without activity, and
its databases' URLs then answer HTTP 502 (turso-cli#917). A bare "answered HTTP 502 (server error)" tells the
operator nothing; this names the database, its group and the command that wakes it.

``explain(platform, database, error)`` returns what to raise instead of ``error`` (itself when it is not a
502 or the group is not archived); ``archived_hint`` does that around a block of SQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from tursotui.libsql.errors import HttpError
from tursotui.ops.errors import OpsError
from tursotui.platform import Database, PlatformClient, PlatformError

if TYPE_CHECKING:
    from tursotui.ops.snapshot import OrgSnapshot

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


def is_archived(snapshot: OrgSnapshot, db: Database) -> bool:
    """Archived or sleeping: the database itself says so, or its group is archived (its URLs answer 502)."""
    group = snapshot.group_of(db.name)
    return db.archived or db.sleeping or (group is not None and group.archived)


async def archived_cause(
    platform: PlatformClient, database: str, error: BaseException
) -> DatabaseArchived | None:
    """Whether ``error`` is a 502 because ``database`` is archived: SQL over HTTP (:func:`explain`) or a
    Platform API route of the database (its instances, usage, configuration) alike."""
    if isinstance(error, PlatformError) and error.status == ARCHIVED_STATUS:
        try:
            db = await platform.get_database(database)
            if db.archived or db.sleeping:
                return DatabaseArchived(db.name, db.group)
            if db.group and (await platform.get_group(db.group)).archived:
                return DatabaseArchived(db.name, db.group)
        except PlatformError:
            return None
        return None
    better = await explain(platform, database, error)
    return better if isinstance(better, DatabaseArchived) else None
