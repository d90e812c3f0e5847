"""One local Turso per data dir: an advisory lock held while it runs.

Two processes serving the same data dir would start two primary sqld on the same database files (sqld's
replication log is not safe for that). The second one is refused with a message naming the first. The kernel
drops the lock when its holder exits, even on SIGKILL, so a crash never leaves the data dir locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from tursotui.local.control.state import StateError

LOCK_FILE = "local-turso.lock"


class LocalTursoBusy(StateError):
    """Another process runs the local Turso on this data dir."""


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise LocalTursoBusy(
                f"the local Turso in {self.path.parent} is already running in another process "
                f"(pid {holder}): close that console or command first, or point this one at "
                "another data dir (--data-dir)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing drops the flock
