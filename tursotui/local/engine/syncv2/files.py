"""The sync stores' file primitives: private dirs, durable writes, and the root's generation counter.

Every write a served answer depends on is durable before it is named: file data fsynced, then renamed, then its
directory fsynced (a rename not yet on disk could come back as the old file after a power loss, and a served
generation would then be made again differently).

Generation numbers come from one counter per sync root (``<root>/last-generation``): a new store starts at
``max(now, last + 1)`` and every rotation raises the counter to the number it starts, so no number is ever used
twice in that root, across deletes of a database, re-creates of its name, clock steps back, or restarts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from pathlib import Path

from tursotui.support.atomic import atomic_write

COUNTER = "last-generation"
_counter_lock = threading.Lock()
"""Store calls run in threads (one per database at a time): the counter is shared by every store of a root."""

Buffer = bytes | bytearray | memoryview


def private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def durable_write(path: Path, data: Buffer) -> None:
    """``data`` in ``path`` (0600) by a fsynced temp file renamed over it, then the directory fsynced; on any
    error the temp file is removed and ``path`` is unchanged. Takes a memoryview: no copy of a large image."""
    atomic_write(path, data, mode=0o600)
    fsync_dir(path.parent)


def _read_counter(root: Path) -> int:
    try:
        text = (root / COUNTER).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return 0
    try:
        return max(0, int(text))
    except ValueError:
        # A damaged counter: the clock is the floor of every new number, so starting from it stays safe
        # unless rotations ran ahead of the clock; those stores raise it again when they are opened.
        return 0


def claim_generation(root: Path, now: float | None = None) -> int:
    """A generation number never used in ``root``: ``max(now, last + 1)``, persisted before it is returned."""
    with _counter_lock:
        private_dir(root)
        number = max(int(time.time() if now is None else now), _read_counter(root) + 1, 1)
        durable_write(root / COUNTER, str(number).encode("ascii"))
        return number


def note_generation(root: Path, number: int) -> None:
    """Raise ``root``'s counter to ``number`` (a rotation's new generation, or a store opened from disk)."""
    with _counter_lock:
        if _read_counter(root) < number:
            private_dir(root)
            durable_write(root / COUNTER, str(number).encode("ascii"))


def remove_tree(path: Path) -> None:
    """Delete a store directory (gone already is fine)."""
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        fsync_dir(path.parent)
