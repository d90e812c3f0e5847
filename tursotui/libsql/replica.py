"""The local embedded replica (the guide's "Local Embedded Replica"): status, sync, reset, offline.

Syncs with PyPI ``libsql==0.1.8`` — the version whose replication protocol sqld 0.24.32 serves —
in a child process with a timeout (see :mod:`tursotui.libsql.replica_worker`). Reads of the
replica file need no server: :func:`open_offline` opens it read-only with sqlite3.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tursotui.libsql.errors import LibsqlError
from tursotui.libsql.local import LocalDatabase
from tursotui.support.atomic import atomic_write

DEFAULT_TIMEOUT = 60.0
_COMPANIONS = ("-wal", "-shm", "-info", "-client_wal_index")
_NO_FRAME = 2**64 - 1


class ReplicaError(LibsqlError):
    """A replica sync failed or timed out; the message says why."""


@dataclass(frozen=True)
class ReplicaStatus:
    path: Path
    exists: bool
    size_bytes: int
    last_sync: float | None
    last_sync_ms: float | None
    frames: int | None
    """Frames the last sync pulled."""
    url: str | None
    frame_no: int | None = None
    """The primary's replication index (frame number) the replica has applied; None: never synced."""

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "exists": self.exists,
            "size_bytes": self.size_bytes,
            "last_sync": self.last_sync,
            "last_sync_ms": self.last_sync_ms,
            "frames": self.frames,
            "url": self.url,
            "frame_no": self.frame_no,
        }


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".tursotui.json")


def frame_no(path: Path) -> int | None:
    """The frame libsql last committed, from its ``<file>-client_wal_index``.

    libsql-replication's ``WalIndexMetaData``: log id (u128 LE), committed frame no (u64 LE; all ones
    means none yet), 8 bytes of padding. It is the primary's replication index, as sqld reports it.
    """
    try:
        raw = path.with_name(path.name + "-client_wal_index").read_bytes()
    except OSError:
        return None
    if len(raw) < 24:
        return None
    (value,) = struct.unpack_from("<Q", raw, 16)
    return None if value == _NO_FRAME else int(value)


def status(path: Path) -> ReplicaStatus:
    meta: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(_meta_path(path).read_text())
    size = sum(
        p.stat().st_size
        for p in [path, *(path.with_name(path.name + s) for s in _COMPANIONS[:1])]
        if p.exists()
    )
    return ReplicaStatus(
        path=path,
        exists=path.exists(),
        size_bytes=size,
        last_sync=meta.get("last_sync"),
        last_sync_ms=meta.get("ms"),
        frames=meta.get("frames"),
        url=meta.get("url"),
        frame_no=frame_no(path),
    )


async def sync(
    path: Path, url: str, token: str | None, *, limit: float = DEFAULT_TIMEOUT
) -> ReplicaStatus:
    """Sync the replica at ``path`` from ``url``; a hang is killed after ``limit`` seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    before = frame_no(path)
    env = {**os.environ, "TURSOTUI_REPLICA_TOKEN": token or ""}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tursotui.libsql.replica_worker", str(path), url,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), limit)
    except asyncio.CancelledError:  # the caller gave up (app closing, user cancelled): no orphan
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        raise
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise ReplicaError(
            f"replica sync from {url} did not finish in {limit:g}s and was stopped "
            "(libsql's sync() can hang: libsql#1224); the replica file is as it was"
        ) from None
    try:
        answer = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise ReplicaError(
            f"replica sync from {url} gave no answer (exit {proc.returncode})"
        ) from None
    if not answer.get("ok"):
        raise ReplicaError(f"replica sync from {url} failed: {answer.get('error')}")
    after = frame_no(path)
    pulled = None if after is None else after - (before if before is not None else -1)
    meta = {
        "last_sync": time.time(),
        "ms": answer.get("ms"),
        "frames": pulled,
        "url": url,
    }
    atomic_write(_meta_path(path), json.dumps(meta).encode())
    return status(path)


def reset(path: Path) -> list[Path]:
    """Delete the replica file and its companions (the next sync rebuilds it). Returns what went."""
    removed = []
    for candidate in [
        path,
        *(path.with_name(path.name + s) for s in _COMPANIONS),
        _meta_path(path),
    ]:
        if candidate.exists():
            candidate.unlink()
            removed.append(candidate)
    return removed


def open_offline(path: Path) -> LocalDatabase:
    """The replica file, read-only, with no server (the guide's "offline support")."""
    return LocalDatabase(path, read_only=True, create=False)
