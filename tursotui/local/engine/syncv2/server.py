"""The embedded-replica sync "v2" endpoints every database URL of the local Turso answers itself.

Turso Cloud serves them, and ``libsql`` ≥ 0.1.9 speaks nothing else; sqld 0.24.32 does not serve them, so the
database's proxy answers them from the database's generation store (sync-v2-protocol.md §3, §8.3; the answers:
:mod:`.answers`).

Who may read: the control plane says, per database, which id its store is kept under and who may read it
(:meth:`SyncServer.grant`, a :class:`SyncAccess`). A request with no grant gets 404; one whose token the grant
refuses gets 401, before anything is read: sqld's replication RPCs check only a token's signature and expiry,
not the database it names, and every database of a group trusts the group's key. The store catches up with sqld
with the requester's own token too, so sqld checks it as well.

Stores are kept by database id (``<root>/<id>``), never by name: a database deleted and created again under
its name starts a new store, and :meth:`SyncServer.forget` deletes a deleted database's store. Before each answer
the store catches up with sqld (read-your-writes), one catch-up at a time per database; sqld unreachable
(restarting) or a failing store gets 503, which the client retries. Mirrors (a database's image in memory) stay
loaded within :attr:`SyncServer.budget` bytes, least recently used first out, and are read again from disk when
needed.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tursotui.local.engine.syncv2.answers import PUSH_REFUSED, Reply, error, is_sync_route, route
from tursotui.local.engine.syncv2.answers import frames_answer as _frames
from tursotui.local.engine.syncv2.codec import CodecError
from tursotui.local.engine.syncv2.database import DatabaseSync, settled
from tursotui.local.engine.syncv2.files import remove_tree
from tursotui.local.engine.syncv2.follower import Follower, LogReset
from tursotui.local.engine.syncv2.grpcweb import GrpcError, ReplicationLogClient, SqldUnreachable
from tursotui.local.engine.syncv2.store import Policy, StoreError
from tursotui.local.errors import ApiError

__all__ = ["PUSH_REFUSED", "SyncAccess", "SyncServer", "_frames", "is_sync_route"]

log = logging.getLogger(__name__)
MIRROR_BUDGET = 256 << 20
"""Bytes of mirrors kept in memory across databases (the one just used stays, whatever its size)."""
_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class SyncAccess:
    """What the control plane says of one database: the id its store is kept under, and who may read it."""

    database_id: str
    authorize: Callable[[bytes | None], str | None]
    """Given the request's ``Authorization`` header: None when it may read this database, else why not."""


@dataclass
class SyncServer:
    """The sync-v2 endpoints of every database of one local Turso; stores under ``root/<database id>``."""

    root: Path
    primary_port: Callable[[], int]
    """The primary sqld's HTTP port (raises while it is restarting)."""
    http: httpx.AsyncClient
    policy: Policy = field(default_factory=Policy)
    budget: int = MIRROR_BUDGET
    databases: dict[str, DatabaseSync] = field(default_factory=dict)
    """By database id: the databases with a store loaded, or a request in flight."""
    access: dict[str, SyncAccess] = field(default_factory=dict)
    """By namespace (database name): the grants of the databases served now."""
    _swept: bool = False

    # --- what the control plane says ---

    def grant(self, namespace: str, access: SyncAccess) -> None:
        """Serve ``namespace`` under ``access`` (again at every attach: the latest grant holds)."""
        if not _ID.match(access.database_id):
            raise ValueError(f"not a database id: {access.database_id!r}")
        self.access[namespace] = access

    async def forget(self, namespace: str, database_id: str) -> None:
        """A deleted database: no sync answer any more, its state dropped and its store deleted from disk
        (after a request in flight has its answer)."""
        held = self.access.get(namespace)
        if held is not None and held.database_id == database_id:
            del self.access[namespace]
        sync = self.databases.get(database_id)
        if sync is not None:
            async with sync.lock:
                sync.gone = True
                sync.store = None
                if self.databases.get(database_id) is sync:
                    del self.databases[database_id]
        if _ID.match(database_id):
            await settled(remove_tree, self.root / database_id)

    # --- answers ---

    def database(self, namespace: str, database_id: str) -> DatabaseSync:
        found = self.databases.get(database_id)
        if found is None:
            value = base64_name(namespace)
            client = ReplicationLogClient(self.http, 0, value)
            found = DatabaseSync(namespace, self.root / database_id, Follower(client), self.policy)
            self.databases[database_id] = found
        return found

    async def answer(
        self, namespace: str, method: bytes, path: bytes, authorization: bytes | None
    ) -> Reply:
        """The answer to one sync request of database ``namespace`` (:meth:`Reply.send` writes it)."""
        access = self.access.get(namespace)
        if access is None:
            return Reply(error(404, f"database {namespace} is not served here"))
        try:
            why = access.authorize(authorization)
        except Exception as exc:  # a token the checker chokes on is a refused token
            log.warning("%s: a sync token could not be checked: %s", namespace, type(exc).__name__)
            why = f"the token could not be checked for database {namespace}"
        if why is not None:
            return Reply(error(401, why))
        if not self._swept:  # once: stores an older tursotui kept by name
            self._swept = True
            await settled(sweep_by_name, self.root, {a.database_id for a in self.access.values()})
        sync = self.database(namespace, access.database_id)
        sync.users += 1
        try:
            async with sync.lock:
                if sync.gone:
                    return Reply(error(404, f"database {namespace} was deleted"))
                return await self._answer(sync, method, path, authorization or b"")
        finally:
            sync.users -= 1
            sync.used = time.monotonic()
            self._trim(sync)

    async def _answer(
        self, sync: DatabaseSync, method: bytes, path: bytes, authorization: bytes
    ) -> Reply:
        name = sync.name
        try:
            sync.follower.client.port = self.primary_port()
            store = await sync.fresh(authorization)
            return await route(store, method, path)
        except GrpcError as exc:
            if exc.unauthorized:
                return Reply(error(401, f"the token was refused for database {name}"))
            if "NAMESPACE_DOESNT_EXIST" in exc.message:
                return Reply(error(404, f"database {name} does not exist"))
            log.warning("%s: sync catch-up failed: %s", name, exc)
            return Reply(
                error(503, f"the database server could not be read, retry soon ({exc.message})")
            )
        except (SqldUnreachable, LogReset) as exc:
            return Reply(error(503, f"the database server is restarting, retry soon ({exc})"))
        except (CodecError, StoreError, OSError) as exc:
            sync.store = None  # read again from disk next time: what was published stays
            log.error("%s: sync store failed: %s", name, exc)
            return Reply(error(503, f"the sync store of {name} failed, retry soon: {exc}"))
        except ApiError as exc:  # the primary sqld is restarting: no port to read from
            return Reply(error(exc.status, exc.message))

    def _trim(self, keep: DatabaseSync) -> None:
        """Unload the least recently used mirrors until the loaded ones fit :attr:`budget`; entries with no
        store and no request are dropped (a follower is made again in a moment). ``keep`` (just used) stays."""
        loaded = 0
        for key, d in list(self.databases.items()):
            if d.store is not None:
                loaded += len(d.store.mirror)
            elif d is not keep and not d.users and not d.lock.locked():
                del self.databases[key]
        if loaded <= self.budget:
            return
        idle = sorted(
            (d.used, key, d)
            for key, d in self.databases.items()
            if d is not keep and d.store is not None and not d.users and not d.lock.locked()
        )
        for _used, key, d in idle:
            if loaded <= self.budget:
                break
            loaded -= len(d.store.mirror) if d.store is not None else 0
            del self.databases[key]

    def loaded_bytes(self) -> int:
        """Bytes of the mirrors in memory now."""
        return sum(len(d.store.mirror) for d in self.databases.values() if d.store is not None)


def base64_name(namespace: str) -> bytes:
    """``x-namespace-bin``: the unpadded base64 of the name."""
    if not namespace or "/" in namespace or namespace.startswith("."):
        raise ValueError(f"not a database name: {namespace!r}")
    return base64.b64encode(namespace.encode("utf-8")).rstrip(b"=")


def sweep_by_name(root: Path, served: set[str]) -> int:
    """Delete the stores kept by database name (tursotui before stores were kept by id): nothing serves them,
    and a replica of one gets 410 and is made again. Returns how many went."""
    gone = 0
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry.name in served or _UUID.match(entry.name) or not entry.is_dir():
            continue
        if (entry / "meta.json").exists():
            remove_tree(entry)
            gone += 1
    if gone:
        log.info("%s: %d sync stores kept by database name removed", root, gone)
    return gone
