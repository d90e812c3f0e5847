"""Keeps one database's generation store level with sqld's replication log (design A of sync-v2-protocol.md).

:meth:`Follower.catch_up` runs before every sync answer (read-your-writes), one at a time per database:

1. ``Hello`` on every catch-up (and again when sqld says ``NO_HELLO``: it restarted).
2. ``BatchLogEntries`` from the store's cursor until a batch comes back empty; ``NEED_SNAPSHOT`` (sqld
   compacted its log) → ``Snapshot`` from the same offset, retried while sqld says it is being made.
3. Each committed sqld transaction becomes one sync-v2 transaction (its pages, last version wins).
4. A new ``log_id`` (sqld restarted after a crash: its log was recreated) → the whole database is read again
   from offset 0 into a fresh image, and the pages that differ from the published image go out as ONE
   transaction: replicas continue without a re-bootstrap.

The RPCs carry the requester's own ``authorization``, so sqld checks that token for this database on every
answer (no token of the local Turso's is needed, stored or logged).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from tursotui.local.engine.syncv2 import codec
from tursotui.local.engine.syncv2.grpcweb import (
    FAILED_PRECONDITION,
    NEED_SNAPSHOT,
    NO_HELLO,
    UNAVAILABLE,
    GrpcError,
    ReplicationLogClient,
)
from tursotui.local.engine.syncv2.store import Cursor, Page, apply

Transaction = tuple[list[Page], int]
"""(pages sorted by number, database size in pages after the commit)."""
SNAPSHOT_TRIES = 25
SNAPSHOT_WAIT = 0.2


class LogReset(Exception):
    """sqld's log changed identity while it was being read: read it again from the start."""


@dataclass
class _Reader:
    """Turns sqld frames (possibly split across batches) into committed transactions."""

    emit: Callable[[Transaction], None]
    offset: int
    committed: int = 0
    pending: dict[int, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.committed = self.offset

    def frames(self, raw: list[bytes]) -> None:
        for data in raw:
            frame = codec.parse_sqld_frame(data)
            page = codec.wal_mode_page_one(frame.page) if frame.page_no == 1 else frame.page
            self.pending[frame.page_no] = page
            self.offset = max(self.offset, frame.frame_no + 1)
            if frame.size_after:
                self._commit(frame.size_after)

    def snapshot(self, raw: list[bytes]) -> None:
        """A compacted snapshot: each page once, newest first, the size on the last frame."""
        if not raw:
            raise codec.CodecError(f"sqld sent an empty snapshot for offset {self.committed}")
        self.pending = {}
        newest = 0
        for data in raw:
            frame = codec.parse_sqld_frame(data)
            page = codec.wal_mode_page_one(frame.page) if frame.page_no == 1 else frame.page
            self.pending.setdefault(frame.page_no, page)
            newest = max(newest, frame.frame_no)
        size_after = codec.parse_sqld_frame(raw[-1]).size_after
        if not size_after:
            raise codec.CodecError("sqld sent a snapshot without the database size")
        self.offset = newest + 1
        self._commit(size_after)

    def _commit(self, size_after: int) -> None:
        pages = sorted((n, p) for n, p in self.pending.items() if n <= size_after)
        if pages:
            self.emit((pages, size_after))
        self.pending = {}
        self.committed = self.offset


def _apply(image: bytearray, transaction: Transaction) -> None:
    apply(image, *transaction)


@dataclass
class Follower:
    client: ReplicationLogClient
    session: bytes | None = None
    log_id: str | None = None

    async def hello(self, authorization: bytes) -> str:
        hello = await self.client.hello(authorization)
        self.session, self.log_id = hello.session_token, hello.log_id
        return hello.log_id

    async def read(
        self, offset: int, authorization: bytes, emit: Callable[[Transaction], None]
    ) -> Cursor:
        """Every committed transaction from ``offset`` on, to ``emit``; the cursor after the last."""
        if self.session is None or self.log_id is None:
            await self.hello(authorization)
        log_id = self.log_id
        reader = _Reader(emit, offset)
        while True:
            assert self.session is not None
            try:
                raw = await self.client.batch(reader.offset, authorization, self.session)
            except GrpcError as exc:
                if exc.code != FAILED_PRECONDITION:
                    raise
                if exc.message == NO_HELLO:
                    if await self.hello(authorization) != log_id:
                        raise LogReset from None
                    continue
                if exc.message == NEED_SNAPSHOT:
                    reader.pending, reader.offset = {}, reader.committed
                    reader.snapshot(await self._snapshot(reader.committed, authorization))
                    continue
                raise
            if not raw:
                break
            reader.frames(raw)
        assert log_id is not None
        return Cursor(log_id, reader.committed)

    async def _snapshot(self, offset: int, authorization: bytes) -> list[bytes]:
        for _ in range(SNAPSHOT_TRIES):
            assert self.session is not None
            try:
                return await self.client.snapshot(offset, authorization, self.session)
            except GrpcError as exc:
                if exc.code != UNAVAILABLE:  # "snapshot not found": sqld is still compacting
                    raise
            await asyncio.sleep(SNAPSHOT_WAIT)
        raise GrpcError(UNAVAILABLE, f"sqld had no snapshot for offset {offset}")

    async def image(self, authorization: bytes) -> tuple[bytearray, Cursor]:
        """The whole database read from the start of the log (a new store, or after a log reset); the
        bytearray is handed over (a new store takes it as its mirror, uncopied)."""
        for _ in range(3):
            await self.hello(authorization)
            image = bytearray()
            try:
                cursor = await self.read(0, authorization, partial(_apply, image))
            except LogReset:
                continue
            return image, cursor
        raise LogReset("sqld's replication log kept changing while it was read")
