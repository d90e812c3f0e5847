"""Write files so that a crash, a full disk or a read-only directory never leaves half a file."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path


def atomic_write(
    path: Path, data: bytes | bytearray | memoryview, *, mode: int | None = None
) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, then rename it over ``path``.

    ``mode`` applies from the moment the temp file exists (0600 files are never readable
    by others, not even briefly). Without ``mode`` an existing file keeps its permissions.
    On any error the temp file is removed and ``path`` is untouched.
    """
    try:
        _write(path, data, mode)
    except OSError as exc:
        if exc.filename:
            raise
        # "[Errno 28] No space left on device" says nothing of which file: name it (it is unchanged).
        raise type(exc)(exc.errno, exc.strerror or str(exc), str(path)) from exc


def _write(path: Path, data: bytes | bytearray | memoryview, mode: int | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def backup_copy(path: Path, *, now: float | None = None) -> Path | None:
    """Copy ``path`` to ``path.bak-YYYYmmdd-HHMMSS`` (same permissions); None if it does not exist."""
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
    target = path.with_name(f"{path.name}.bak-{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
        counter += 1
    atomic_write(target, path.read_bytes(), mode=path.stat().st_mode & 0o777)
    shutil.copystat(path, target)
    return target
