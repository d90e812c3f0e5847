"""The sync-v2 follower against a scripted replication log (no sqld): transactions split across batches,
NO_HELLO after a restart, NEED_SNAPSHOT after a compaction, and a log reset published as one page diff that a
replica applies on top of what it already has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fixtures.sync_v2_log import PAGE, FakeLog, page

from tursotui.local.engine.syncv2 import codec
from tursotui.local.engine.syncv2.database import DatabaseSync
from tursotui.local.engine.syncv2.follower import Follower
from tursotui.local.engine.syncv2.store import apply


class Replica:
    """A replica's view: the export it bootstrapped from, then every frame it pulled, in order."""

    def __init__(self, sync: DatabaseSync) -> None:
        assert sync.store is not None
        self.generation = sync.store.current
        self.image = bytearray(sync.store.base(self.generation) or b"")
        self.frame = 0

    def pull(self, sync: DatabaseSync) -> None:
        store = sync.store
        assert store is not None
        while True:
            data = store.frames(self.generation, self.frame + 1, self.frame + 129)
            if not data:
                if self.generation == store.current:
                    return
                self.generation, self.frame = self.generation + 1, 0
                continue
            pending = []
            for k in range(0, len(data), codec.V2_FRAME):
                n, size, body = codec.parse_v2_frame(data[k : k + codec.V2_FRAME])
                pending.append((n, body))
                self.frame += 1
                if size:
                    apply(self.image, pending, size)
                    pending = []


def sqld_image(log: FakeLog) -> bytes:
    image = bytearray()
    pending: list[tuple[int, bytes]] = []
    for n, size, data in log.frames:
        pending.append((n, data))
        if size:
            apply(image, pending, size)
            pending = []
    return bytes(image)


def database(tmp_path: Path, log: FakeLog) -> DatabaseSync:
    client: Any = log
    return DatabaseSync("app", tmp_path / "3f1c2a9e-app", Follower(client))


async def test_catch_up_follows_restarts_compaction_and_a_log_reset(tmp_path: Path) -> None:
    log = FakeLog()
    log.commit({1: page(1), 2: page(2)}, 2)
    sync = database(tmp_path, log)
    store = await sync.fresh(b"Bearer t")
    assert store.base(store.current) == page(1) + page(2) and store.frame_count(store.current) == 0
    replica = Replica(sync)

    log.commit({2: page(3), 3: page(4), 4: page(5)}, 4)  # 3 frames: split over 2 batches of 2
    await sync.fresh(b"Bearer t")
    assert store.frame_count(store.current) == 3
    replica.pull(sync)
    assert bytes(replica.image) == sqld_image(log) == bytes(store.mirror)

    log.restart(crash=False)  # graceful: NO_HELLO, same log id
    log.commit({1: page(6)}, 4)
    await sync.fresh(b"Bearer t")
    assert log.calls.count("hello") == 3  # one per catch-up: the new session before any batch
    replica.pull(sync)
    assert bytes(replica.image) == sqld_image(log)

    log.commit({4: page(7)}, 4)
    log.compacted = len(log.frames)  # sqld compacted everything: only a snapshot has it
    await sync.fresh(b"Bearer t")
    assert any(c.startswith("snapshot") for c in log.calls)
    replica.pull(sync)
    assert bytes(replica.image) == sqld_image(log)

    before = store.frame_count(store.current)
    # A crash: a new log id; rebuilt from offset 0, the difference published as one transaction.
    log.restart(crash=True)
    log.commit({2: page(8)}, 3)  # and the database shrinks to 3 pages
    await sync.fresh(b"Bearer t")
    added = (store.frame_count(store.current) or 0) - (before or 0)
    assert added == 1  # page 2 (changed), its frame carrying the new size (3 pages)
    replica.pull(sync)
    assert bytes(replica.image) == sqld_image(log) == bytes(store.mirror)
    assert len(replica.image) == 3 * PAGE


async def test_a_reopened_store_continues_from_its_cursor(tmp_path: Path) -> None:
    log = FakeLog()
    log.commit({1: page(1)}, 1)
    first = database(tmp_path, log)
    store = await first.fresh(b"Bearer t")
    replica = Replica(first)
    log.commit({1: page(2)}, 1)
    again = database(tmp_path, log)  # the local Turso restarted: same directory, same sqld log
    reopened = await again.fresh(b"Bearer t")
    assert reopened.current == store.current and reopened.frame_count(reopened.current) == 1
    replica.pull(again)
    assert bytes(replica.image) == sqld_image(log)
