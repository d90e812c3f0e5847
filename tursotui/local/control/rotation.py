"""Group keys in flight: tokens are minted only with a key every sqld of the group enforces.

A rotate writes the new key beside the old one (``group-X.pem.next``), gives it to every
namespace of the group on the primary, waits until the replicas have taken it from the primary,
and only then makes it the group's key. Token mints wait for a rotate in flight, so a token is
never signed with a key sqld does not have yet. On any failure (sqld, a full disk) every
namespace gets the old key back and nothing has changed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tursotui.local.engine.settle import settle
from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.keys import SigningKey
    from tursotui.local.control.state import DatabaseState
    from tursotui.local.engine.dataplane import Node

ROTATE_CONCURRENCY = 8
"""Namespaces given a group's new key side by side."""
REPLICA_KEY_WAIT = 5.0
"""Seconds a rotate waits for the replicas to take the new key from the primary (about 0.5 s)."""


async def mint(
    cp: ControlPlane,
    group: str,
    *,
    database: DatabaseState | None,
    read_only: bool,
    expires_in: int | None,
    read_attach: Sequence[str] = (),
) -> str:
    async with cp.key_lock(group):  # a rotate in flight: wait, then sign with the key sqld has
        return cp.keys.mint_for(
            cp.group(group),
            cp.state.databases,
            database=database,
            read_only=read_only,
            expires_in=expires_in,
            read_attach=read_attach,
        )


async def rotate(cp: ControlPlane, group: str) -> None:
    """Called with the control-plane lock and the group's key lock held."""
    members = [db for db in cp.state.databases.values() if db.group == group and not db.broken]
    old = cp.keys.get(group)
    new = await asyncio.to_thread(cp.keys.prepare_rotation, group)
    limit = asyncio.Semaphore(ROTATE_CONCURRENCY)
    changed: list[DatabaseState] = []

    async def switch(db: DatabaseState) -> None:
        async with limit:
            changed.append(db)
            await cp.set_key(db, new)

    try:
        await settle(switch(db) for db in members)
        await replicas_have(cp, group, members, new)
        await asyncio.to_thread(cp.keys.commit_rotation, group, new)
    except BaseException:
        for db in changed:
            with contextlib.suppress(ApiError):
                await cp.set_key(db, old)
        cp.keys.abort_rotation(group)
        raise
    # A database this start does not serve keeps no old key either, where sqld still has it.
    for db in cp.state.databases.values():
        if db.group == group and db.broken:
            with contextlib.suppress(ApiError):
                await cp.set_key(db, new)


async def replicas_have(
    cp: ControlPlane, group: str, members: list[DatabaseState], key: SigningKey
) -> None:
    """Wait until each running replica enforces ``key`` (it follows the primary within ~0.5 s),
    so that old tokens are refused on every URL once the rotate returns."""
    wanted = key.public_b64url()
    nodes = [
        node
        for loc in cp.replica_locations(cp.group(group))
        if (node := cp.dataplane.nodes.get(loc)) is not None and node.process.alive()
    ]
    limit = asyncio.Semaphore(ROTATE_CONCURRENCY)
    loop = asyncio.get_running_loop()

    async def wait(node: Node, db: DatabaseState) -> None:
        async with limit:
            deadline = loop.time() + REPLICA_KEY_WAIT
            while (await node.admin.get_config(db.name)).get("jwt_key") != wanted:
                if loop.time() > deadline:
                    raise ApiError(
                        503, f"the {node.location} replica of {db.name} did not take the new key"
                    )
                await asyncio.sleep(0.05)

    await settle(wait(node, db) for node in nodes for db in members)
