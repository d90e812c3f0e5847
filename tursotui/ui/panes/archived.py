"""Archived and sleeping databases as the console marks them (the Databases pane's rows and titles, a 502
explained): the group's ``unarchive`` is the way back (``u``, or ``tursotui group unarchive G``)."""

from __future__ import annotations

from tursotui.ops.archived import ARCHIVED_STATUS, DatabaseArchived, explain, unarchive_command
from tursotui.ops.snapshot import OrgSnapshot
from tursotui.platform import Database, PlatformClient, PlatformError

ARCHIVED_MARK = " ⏸"
"""After an archived database's name (kept short: the Name column must not grow at 80 columns); selecting it
says "archived — unarchive with u"."""


def is_archived(snapshot: OrgSnapshot, db: Database) -> bool:
    """Archived or sleeping: the database itself says so, or its group is archived (its URLs answer 502)."""
    group = snapshot.group_of(db.name)
    return db.archived or db.sleeping or (group is not None and group.archived)


def archived_cells(cells: list[str], archived: bool) -> list[str]:
    """The row of an archived database: its name marked."""
    return [cells[0] + ARCHIVED_MARK, *cells[1:]] if archived else cells


def archived_hint(database: str, group: str) -> tuple[str, str]:
    """ "archived — unarchive with u / tursotui group unarchive G", as a title and a subtitle (each fits 80
    columns)."""
    return f"{database} is archived — unarchive with u", f"or {unarchive_command(group)}"


async def archived_cause(
    platform: PlatformClient, database: str, error: BaseException
) -> DatabaseArchived | None:
    """Whether ``error`` is a 502 because ``database`` is archived: SQL over HTTP (``ops.archived.explain``) or a
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
