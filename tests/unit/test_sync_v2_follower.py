"""The sync-v2 follower against a scripted replication log (no sqld): transactions split across batches,
NO_HELLO after a restart, NEED_SNAPSHOT after a compaction, and a log reset published as one page diff that a
replica applies on top of what it already has."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tursotui.local.engine.syncv2 import codec
from tursotui.local.engine.syncv2.database import DatabaseSync
from tursotui.local.engine.syncv2.follower import Follower
from tursotui.local.engine.syncv2.grpcweb import FAILED_PRECONDITION, GrpcError
from tursotui.local.engine.syncv2.store import apply

PAGE = codec.PAGE_SIZE


def page(fill: int) -> bytes:
    """A page; bytes 18-19 at 2/2, as sqld's page 1 has them (the follower publishes page 1 so)."""
    return bytes([fill]) * 18 + b"\x02\x02" + bytes([fill]) * (PAGE - 20)


@dataclass
class FakeLog:
    """sqld's replication log as the follower sees it: frames, a session, compaction, a log id."""

    log_id: str = "log-1"
    session: bytes = b"s1"
    frames: list[tuple[int, int, bytes]] = field(default_factory=list)  # (page, size_after, page)
    compacted: int = 0
    """Frames below this offset are only in the snapshot."""
    batch_size: int = 2
    calls: list[str] = field(default_factory=list)

    def commit(self, pages: dict[int, bytes], size: int) -> None:
        items = sorted(pages.items())
        for i, (n, data) in enumerate(items):
            self.frames.append((n, size if i == len(items) - 1 else 0, data))

    def raw(self, frame_no: int) -> bytes:
        n, size, data = self.frames[frame_no]
        return struct.pack("<QQII", frame_no, 0, n, size) + data

    def restart(self, *, crash: bool) -> None:
        self.session += b"'"
        if (
            crash
        ):  # the log is recreated: the whole database as one transaction, frame numbers from 0
            image = bytearray()
            pending: list[tuple[int, bytes]] = []
            for n, size, data in self.frames:
                pending.append((n, data))
                if size:
                    apply(image, pending, size)
                    pending = []
            self.log_id += "'"
            self.frames, self.compacted = [], 0
            self.commit(
                {i // PAGE + 1: bytes(image[i : i + PAGE]) for i in range(0, len(image), PAGE)},
                len(image) // PAGE,
            )

    async def hello(self, authorization: bytes) -> codec.Hello:
        self.calls.append("hello")
        return codec.Hello(self.log_id, self.session, len(self.frames))

    async def batch(self, offset: int, authorization: bytes, session: bytes) -> list[bytes]:
        self.calls.append(f"batch {offset}")
        if session != self.session:
            raise GrpcError(FAILED_PRECONDITION, "NO_HELLO")
        if offset < self.compacted:
            raise GrpcError(FAILED_PRECONDITION, "NEED_SNAPSHOT")
        return [self.raw(i) for i in range(offset, min(offset + self.batch_size, len(self.frames)))]

    async def snapshot(self, offset: int, authorization: bytes, session: bytes) -> list[bytes]:
        self.calls.append(f"snapshot {offset}")
        seen: set[int] = set()
        out = []
        for frame_no in range(self.compacted - 1, offset - 1, -1):  # newest first, each page once
            n, _, data = self.frames[frame_no]
            if n not in seen:
                seen.add(n)
                out.append(struct.pack("<QQII", frame_no, 0, n, 0) + data)
        size = max(s for _, s, _ in self.frames[: self.compacted] if s)
        last = bytearray(out[-1])
        last[20:24] = struct.pack("<I", size)
        out[-1] = bytes(last)
        return out


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
