"""Archived groups, as Turso Cloud archives a Free-plan group after days without activity.

An archived group's databases keep their data and stay in every Platform API list (``archived: true`` on the
group, ``archived``/``sleeping`` on its databases, as turso-cli reads them), but each of their URLs, primary
and replicas, answers every request with HTTP 502 (turso-cli#917: "connecting returns 502") until
``POST …/groups/{g}/unarchive`` (or turso-cli's ``POST …/databases/{d}/wakeup``) wakes the group.

The local Turso never archives by itself: a test or a demo archives a group with the local-only
``POST …/groups/{g}/local-archive``. The flag is kept in state.json, so an archived group stays archived
across restarts. Called by the API handlers; each change holds the control-plane lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tursotui.local.engine.gate import json_response
from tursotui.local.errors import not_found

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.state import DatabaseState, GroupState

ARCHIVED_STATUS = 502


def archived_message(cp: ControlPlane, database: str, group: str) -> str:
    return (
        f"database {database} is archived: its group {group} was archived after a period without "
        f"activity; unarchive it with POST /v1/organizations/{cp.state.slug}/groups/{group}/unarchive"
    )


def mark(cp: ControlPlane, db: DatabaseState) -> None:
    """Every URL of ``db`` answers 502 while its group is archived, and is forwarded again after."""
    group = cp.state.groups.get(db.group)
    answer = None
    if group is not None and group.archived:
        answer = json_response(ARCHIVED_STATUS, archived_message(cp, db.name, group.name))
    for proxy in cp.dataplane.proxies_of(db.name):
        proxy.answer_all = answer


async def set_archived(cp: ControlPlane, name: str, archived: bool) -> GroupState:
    """Archive or wake group ``name``; saved before its URLs change, undone if the save fails."""
    async with cp.lock:
        group = cp.state.groups.get(name)
        if group is None:
            raise not_found("group", name)
        if group.archived != archived:
            group.archived = archived
            try:
                cp.save()
            except BaseException:
                group.archived = not archived
                raise
        for db in cp.state.databases.values():
            if db.group == name:
                mark(cp, db)
        return group


async def archive(cp: ControlPlane, name: str) -> GroupState:
    return await set_archived(cp, name, True)


async def unarchive(cp: ControlPlane, name: str) -> GroupState:
    return await set_archived(cp, name, False)


async def wakeup(cp: ControlPlane, database: str) -> GroupState:
    """turso-cli's ``db unarchive``: wakes the database's group (every database of it wakes)."""
    return await unarchive(cp, cp.database(database).group)
