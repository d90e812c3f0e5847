"""One database's sync-v2 state in the local Turso: its store, its follower of sqld, one catch-up at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

from tursotui.local.engine.syncv2.follower import Follower, LogReset, Transaction
from tursotui.local.engine.syncv2.store import Cursor, GenerationStore, Policy, diff

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


async def settled(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn`` in a thread, waited for to its end even when the caller is cancelled meanwhile (the cancellation
    goes on once the thread is done): a store write is never still running after the lock it ran under is
    released."""
    task = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
            break
        except asyncio.CancelledError:
            if task.done():
                raise
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return result


@dataclass
class DatabaseSync:
    name: str
    """The database's namespace (what sqld and the logs call it)."""
    directory: Path
    """Its store: ``<sync root>/<database id>``."""
    follower: Follower
    policy: Policy = field(default_factory=Policy)
    store: GenerationStore | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    """Requests holding or waiting for :attr:`lock` (the server never evicts an entry in use)."""
    used: float = 0.0
    """When a request last finished (time.monotonic), for the server's least-recently-used eviction."""
    gone: bool = False
    """The database was deleted: no answer any more (set by the server under :attr:`lock`)."""

    async def fresh(self, authorization: bytes) -> GenerationStore:
        """The store, level with sqld's committed log now (the caller holds :attr:`lock`)."""
        if self.store is None:
            self.store = await settled(GenerationStore.open, self.directory)
        if self.store is None:
            image, cursor = await self.follower.image(authorization)
            self.store = await settled(GenerationStore.create, self.directory, image, cursor)
            del image  # the store's mirror now
            log.info("%s: sync generation %d started", self.name, self.store.current)
            return self.store
        store = self.store
        # A Hello on every catch-up (one small RPC): a recreated log (sqld crashed, or the namespace was replaced
        # by an upload) has a new log id, seen here even when the old session still answers.
        await self.follower.hello(authorization)
        if self.follower.log_id == store.cursor.log_id:
            found: list[Transaction] = []
            try:
                cursor = await self.follower.read(
                    store.cursor.next_offset, authorization, found.append
                )
            except LogReset:
                pass
            else:
                await settled(self._publish, store, found, cursor)
                return store
        await self._rebuild(store, authorization)
        return store

    def _publish(self, store: GenerationStore, found: list[Transaction], cursor: Cursor) -> None:
        store.publish(found, cursor)
        if store.rotate_if_full(self.policy):
            log.info("%s: sync generation %d started", self.name, store.current)

    async def _rebuild(self, store: GenerationStore, authorization: bytes) -> None:
        """sqld's log was recreated: publish what changed since the published image as one transaction."""
        image, cursor = await self.follower.image(authorization)
        changed = await settled(diff, store.mirror, image)
        size = len(image) // 4096
        if not changed and size != len(store.mirror) // 4096 and size:
            changed = [
                (size, bytes(image[-4096:]))
            ]  # only shorter: a frame must carry the new size
        del image
        log.info(
            "%s: sqld's replication log was recreated; %d changed pages published as one transaction",
            self.name,
            len(changed),
        )
        await settled(self._publish, store, [(changed, size)] if changed else [], cursor)
