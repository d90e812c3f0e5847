"""One database's sync-v2 generations, persisted under the local Turso's data dir.

A generation is an immutable base image plus an append-only list of 4120-byte frames (sync-v2 WAL
frames, 1-based within the generation). The store keeps the invariants the client relies on
(sync-v2-protocol.md §6): a frame once served never changes; ``base(g+1) == base(g) + frames(g)``; generation
numbers are never reused (one persisted counter per sync root, :mod:`.files`); old generations are kept for
replicas that are behind (:class:`Policy`: by count and by bytes), and a pruned one is said as such.

Layout (dirs 0700, files 0600)::

    <dir>/meta.json          current generation, retained generations and their frame counts, sqld cursor
    <dir>/gen-<g>/base.db    base image of generation g
    <dir>/gen-<g>/frames.bin its frames, appended and fsynced before meta.json names them

The mirror (the published image, ``base(current) + frames(current)``) is rebuilt in memory on load (the server
keeps only the recently used mirrors loaded, within a byte budget). Frames past the count meta.json names (a crash
between the append and the meta write) are cut off on load. The methods are synchronous (file I/O): the service
calls them in a thread, one at a time per database.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from tursotui.local.engine.syncv2.codec import PAGE_SIZE, V2_FRAME, parse_v2_frame, v2_frame
from tursotui.local.engine.syncv2.files import (
    Buffer,
    claim_generation,
    durable_write,
    fsync_dir,
    note_generation,
    private_dir,
)

META = "meta.json"
FORMAT = 1
Page = tuple[int, bytes]
"""(page number, 4096-byte page)."""
READ_FRAMES = 1024
"""Frames read from disk at a time when a mirror is rebuilt (about 4 MB)."""


class StoreError(Exception):
    """The store on disk is not readable as a store (the message names the file and why)."""


@dataclass(frozen=True)
class Policy:
    """When a generation ends, and how many are kept (sync-v2-protocol.md §8.4).

    Retention: the newest generations are kept while there are at most :attr:`keep` of them and their files
    (base images and frames) add up to at most :attr:`keep_bytes`; the byte bound never cuts below two (the
    current one and the one before it, so a replica at the end of the last generation steps into the new one). A database of
    100 MB keeps 8 generations (a base and up to ~100 MB of frames each: ~1.6 GB); one of 1 GB keeps the newest
    two (~2.2 GB).
    """

    min_frames: int = 1000
    """A generation ends once it has this many frames, or twice the database's pages if that is more..."""
    max_frames: int = 25_000
    """...but never later than this (about 100 MB of client WAL)."""
    keep: int = 8
    """Generations kept for replicas that are behind; older ones answer 410."""
    keep_bytes: int = 2 << 30
    """The most disk the kept generations of one database take (the newest two are kept in any case)."""

    def full(self, frames: int, pages: int) -> bool:
        return frames >= min(max(self.min_frames, 2 * pages), self.max_frames)

    def kept(self, sizes: Sequence[tuple[int, int]]) -> list[int]:
        """The generations kept of ``sizes`` ((generation, bytes) each)."""
        kept: list[int] = []
        total = 0
        for g, size in sorted(sizes, reverse=True):
            if len(kept) >= max(self.keep, 1):
                break
            if len(kept) >= 2 and total + size > self.keep_bytes:
                break
            kept.append(g)
            total += size
        return sorted(kept)


@dataclass(frozen=True)
class Cursor:
    """Where the store is in sqld's replication log."""

    log_id: str
    next_offset: int


def apply(image: bytearray, transaction: Sequence[Page], size_after: int) -> None:
    """Write a committed transaction's pages into ``image`` and cut it to ``size_after`` pages."""
    for page_no, page in transaction:
        end = page_no * PAGE_SIZE
        if len(image) < end:
            image.extend(bytes(end - len(image)))
        image[end - PAGE_SIZE : end] = page
    del image[size_after * PAGE_SIZE :]


def diff(old: bytes | bytearray, new: bytes | bytearray) -> list[Page]:
    """The pages of ``new`` that differ from ``old`` (a page past ``old``'s end always differs)."""
    out: list[Page] = []
    for start in range(0, len(new), PAGE_SIZE):
        page = bytes(new[start : start + PAGE_SIZE])
        if old[start : start + PAGE_SIZE] != page:
            out.append((start // PAGE_SIZE + 1, page))
    return out


class GenerationStore:
    """The generations of one database; :meth:`open` or :meth:`create` it."""

    def __init__(self, directory: Path, meta: dict[str, Any], mirror: bytearray) -> None:
        self.directory = directory
        self.current: int = meta["current"]
        self.counts: dict[int, int] = {int(g): int(n) for g, n in meta["generations"].items()}
        self.cursor = Cursor(str(meta["log_id"]), int(meta["next_offset"]))
        self.mirror = mirror

    # --- opening ---

    @classmethod
    def create(cls, directory: Path, image: Buffer, cursor: Cursor) -> GenerationStore:
        """A new store whose first generation's base is ``image`` (a number never used in the root before). A
        bytearray ``image`` becomes the store's mirror (not copied): the caller lets go of it."""
        private_dir(directory.parent)  # mkdir(parents=True) would make it with the umask's mode
        private_dir(directory)
        first = claim_generation(directory.parent)
        mirror = image if isinstance(image, bytearray) else bytearray(image)
        store = cls(directory, cls._meta(first, {first: 0}, cursor), mirror)
        store._write_generation(first, memoryview(mirror))
        store._save()
        return store

    @classmethod
    def open(cls, directory: Path) -> GenerationStore | None:
        """The store in ``directory``; None when there is none yet."""
        path = directory / META
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: not a sync store's meta file ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise StoreError(f"{path}: format {meta.get('format')!r} (expected {FORMAT})")
        try:
            store = cls(directory, meta, bytearray())
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{path}: a field is missing or wrong ({exc})") from None
        store.mirror = store._rebuild_mirror()
        note_generation(
            directory.parent, max(store.counts)
        )  # a store older than the counter raises it
        return store

    def _rebuild_mirror(self) -> bytearray:
        g = self.current
        image = bytearray(self._path(g, "base.db").read_bytes())
        frames = self._path(g, "frames.bin")
        count = self.counts[g]
        pending: list[Page] = []
        with frames.open("r+b") as fh:
            fh.truncate(count * V2_FRAME)  # frames a crash appended but never named
            done = 0
            while done < count:
                data = fh.read(min(READ_FRAMES, count - done) * V2_FRAME)
                if not data or len(data) % V2_FRAME:
                    raise StoreError(f"{frames}: cut short at frame {done + 1} of {count}")
                for k in range(0, len(data), V2_FRAME):
                    page_no, size_after, page = parse_v2_frame(data[k : k + V2_FRAME])
                    pending.append((page_no, page))
                    if size_after:
                        apply(image, pending, size_after)
                        pending = []
                done += len(data) // V2_FRAME
        return image

    # --- reading (what the handlers serve) ---

    @property
    def oldest(self) -> int:
        return min(self.counts)

    def frame_count(self, generation: int) -> int | None:
        return self.counts.get(generation)

    def base(self, generation: int) -> bytes | None:
        if generation not in self.counts:
            return None
        return self._path(generation, "base.db").read_bytes()

    def open_base(self, generation: int) -> tuple[BinaryIO, int] | None:
        """Generation ``generation``'s base image opened for reading, and its size (None: not kept). The open
        file stays readable after a rotation prunes the generation: the answer streams it outside the lock."""
        if generation not in self.counts:
            return None
        fh = self._path(generation, "base.db").open("rb")
        try:
            return fh, os.fstat(fh.fileno()).st_size
        except BaseException:
            fh.close()
            raise

    def frames(self, generation: int, start: int, end: int) -> bytes:
        """Frames ``start`` … ``end - 1`` (1-based, within what the generation has)."""
        count = self.counts[generation]
        end = min(end, count + 1)
        if start < 1 or start >= end:
            return b""
        with self._path(generation, "frames.bin").open("rb") as fh:
            fh.seek((start - 1) * V2_FRAME)
            return fh.read((end - start) * V2_FRAME)

    # --- writing ---

    def publish(self, transactions: Iterable[tuple[Sequence[Page], int]], cursor: Cursor) -> int:
        """Append committed transactions ((pages, size_after) each) to the current generation and
        move the cursor; returns how many frames were added. Durable before it returns."""
        encoded = bytearray()
        kept: list[tuple[Sequence[Page], int]] = []
        for pages, size_after in transactions:
            if not pages:
                continue
            for i, (page_no, page) in enumerate(pages):
                last = i == len(pages) - 1
                encoded += v2_frame(page_no, size_after if last else 0, page)
            kept.append((pages, size_after))
        added = len(encoded) // V2_FRAME
        if added:
            count = self.counts[self.current]
            with self._path(self.current, "frames.bin").open("r+b") as fh:
                try:  # at the named end, so a failed write earlier never shifts positions
                    fh.seek(count * V2_FRAME)
                    fh.write(encoded)
                    fh.flush()
                    os.fsync(fh.fileno())
                except BaseException:
                    with contextlib.suppress(OSError):
                        fh.truncate(count * V2_FRAME)
                    raise
            self.counts[self.current] = count + added
            for pages, size_after in kept:  # the mirror follows only what is on disk
                apply(self.mirror, pages, size_after)
        if added or cursor != self.cursor:
            self.cursor = cursor
            self._save()
        return added

    def rotate_if_full(self, policy: Policy) -> bool:
        """Start the next generation (base = the mirror) when the current one is full."""
        if not policy.full(self.counts[self.current], len(self.mirror) // PAGE_SIZE):
            return False
        self.rotate(policy)
        return True

    def rotate(self, policy: Policy) -> int:
        following = self.current + 1  # the client steps one at a time: never another number
        note_generation(self.directory.parent, following)
        self._write_generation(following, memoryview(self.mirror))
        self.counts[following] = 0
        self.current = following
        kept = set(policy.kept([(g, self._size(g)) for g in self.counts]))
        gone = sorted(g for g in self.counts if g not in kept)
        for g in gone:
            del self.counts[g]
        self._save()
        for g in gone:
            shutil.rmtree(self.directory / f"gen-{g}", ignore_errors=True)
        return following

    def _size(self, generation: int) -> int:
        """Bytes of a generation on disk (its base and its named frames)."""
        try:
            base = self._path(generation, "base.db").stat().st_size
        except FileNotFoundError:
            base = 0
        return base + self.counts[generation] * V2_FRAME

    # --- files ---

    def _path(self, generation: int, name: str) -> Path:
        return self.directory / f"gen-{generation}" / name

    def _write_generation(self, generation: int, image: Buffer) -> None:
        folder = self.directory / f"gen-{generation}"
        private_dir(folder)
        durable_write(folder / "base.db", image)
        frames = folder / "frames.bin"
        with contextlib.suppress(FileNotFoundError):
            frames.unlink()  # a generation number is never reused: a leftover is from a failed rotation
        fd = os.open(frames, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        fsync_dir(folder)
        fsync_dir(self.directory)

    @staticmethod
    def _meta(current: int, counts: dict[int, int], cursor: Cursor) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "current": current,
            "generations": {str(g): n for g, n in sorted(counts.items())},
            "log_id": cursor.log_id,
            "next_offset": cursor.next_offset,
        }

    def _save(self) -> None:
        meta = self._meta(self.current, self.counts, self.cursor)
        durable_write(self.directory / META, json.dumps(meta).encode("utf-8"))
