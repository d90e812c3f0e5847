"""One database's sync-v2 state in the local Turso: its store, its follower of sqld, one catch-up at a time."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from tursotui.local.engine.syncv2.follower import Follower, LogReset, Transaction
from tursotui.local.engine.syncv2.store import Cursor, GenerationStore, Policy, diff

log = logging.getLogger(__name__)


@dataclass
class DatabaseSync:
    name: str
    directory: Path
    follower: Follower
    policy: Policy = field(default_factory=Policy)
    store: GenerationStore | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def fresh(self, authorization: bytes) -> GenerationStore:
        """The store, level with sqld's committed log now (the caller holds :attr:`lock`)."""
        if self.store is None:
            self.store = await asyncio.to_thread(GenerationStore.open, self.directory)
        if self.store is None:
            image, cursor = await self.follower.image(authorization)
            self.store = await asyncio.to_thread(
                GenerationStore.create, self.directory, image, cursor
            )
            log.info("%s: sync generation %d started", self.name, self.store.current)
            return self.store
        store = self.store
        if self.follower.log_id is None:
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
                await asyncio.to_thread(self._publish, store, found, cursor)
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
        changed = await asyncio.to_thread(diff, store.mirror, image)
        size = len(image) // 4096
        if not changed and size != len(store.mirror) // 4096 and size:
            changed = [(size, image[-4096:])]  # only shorter: a frame must carry the new size
        log.info(
            "%s: sqld's replication log was recreated; %d changed pages published as one transaction",
            self.name,
            len(changed),
        )
        await asyncio.to_thread(self._publish, store, [(changed, size)] if changed else [], cursor)
