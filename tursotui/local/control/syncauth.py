"""Who may read a database over embedded-replica sync v2, and what happens to its sync store when it goes.

sqld's replication RPCs (what the local Turso's sync server reads a database with) check a token's signature and
expiry only, never the database its claims name, and every database of a group trusts the group's key: a token
of another database of the same group would read this one. So the sync server asks, before anything is read,
the question the local Turso asks elsewhere (control.uploads): is this EdDSA JWT signed with the group's key, and
do its claims grant this database (``p`` alone when present; else ``id``/``gid``)? A read-only token may sync (a
replica only reads); a token naming the database only in ``p.roa`` (read access for ATTACH) may not.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tursotui.local.engine.syncv2 import SyncAccess
from tursotui.local.engine.syncv2.files import remove_tree
from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.state import DatabaseState

SYNC_DIR = "syncv2"
"""The sync stores under the data plane's root (as :meth:`DataPlane.expose` makes its server)."""


def refusal(cp: ControlPlane, db: DatabaseState, authorization: bytes | None) -> str | None:
    """Why ``authorization`` may not read ``db`` over sync (never quoting the token), or None."""
    import jwt  # PyJWT pulls in cryptography's X.509 (~35 ms): only once a replica syncs

    from tursotui.local.control.uploads import _access  # the claim rules the local Turso applies

    scheme, _, token = (authorization or b"").partition(b" ")
    if scheme.lower() != b"bearer" or not token.strip():
        return f"sync of database {db.name} needs 'Authorization: Bearer <database token>'"
    try:
        group = cp.group(db.group)
        public = cp.keys.get(db.group).private.public_key()
    except ApiError as exc:
        return f"database {db.name} cannot be read now: {exc.message}"
    try:
        claims: dict[str, Any] = jwt.decode(
            token.strip().decode("latin-1"), public, algorithms=["EdDSA"]
        )
    except jwt.PyJWTError as exc:
        return f"the token was refused for database {db.name}: {exc}"
    if not isinstance(claims, dict) or _access(claims, db, group.uuid) is None:
        return f"this token is not for database {db.name}"
    if _attach_only(claims, db.name):
        return f"this token may only ATTACH database {db.name} (read_attach), not sync it"
    return None


def _attach_only(claims: dict[str, Any], name: str) -> bool:
    p = claims.get("p")
    if not isinstance(p, dict):
        return False

    def names(key: str) -> list[Any]:
        scope = p.get(key)
        found = scope.get("ns") if isinstance(scope, dict) else None
        return found if isinstance(found, list) else []

    return name in names("roa") and not any(name in names(k) for k in ("rw", "rwa", "ro"))


def access_for(cp: ControlPlane, db: DatabaseState) -> SyncAccess:
    def check(authorization: bytes | None) -> str | None:
        return refusal(cp, db, authorization)

    return SyncAccess(db.uuid, check)


def mark(cp: ControlPlane, db: DatabaseState) -> None:
    """``db`` is served (its proxies exist): its sync store is kept under its id, read only with its tokens."""
    sync = cp.dataplane.sync
    if sync is not None:
        sync.grant(db.name, access_for(cp, db))


async def forget(cp: ControlPlane, db: DatabaseState) -> None:
    """``db`` was deleted: its sync answers stop and its store is deleted (a new database of the same name,
    with another id, starts its own)."""
    sync = cp.dataplane.sync
    if sync is not None:
        await sync.forget(db.name, db.uuid)
    else:  # nothing served since this start: only what an earlier run left on disk
        await asyncio.to_thread(remove_tree, cp.dataplane.root / SYNC_DIR / db.uuid)
