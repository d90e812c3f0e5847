"""The local embedded replica (the guide's "Local Embedded Replica"): status, sync, reset, offline.

Syncs with PyPI ``libsql==0.1.11``, whose embedded-replica sync "v2" (``GET /info``, ``/export/{g}``,
``/sync/{g}/{s}/{e}``) Turso Cloud and the local Turso serve, in a child process with a timeout (see
:mod:`tursotui.libsql.replica_worker`). The replica's position is libsql's ``<file>-info``: the server's
generation and the last frame of it applied (:func:`position`). A file made by the legacy protocol (libsql
≤ 0.1.8: a ``<file>-client_wal_index``, no ``-info``) cannot be continued and is said as such.

Reads of the replica file need no server: :func:`open_offline` opens it read-only with sqlite3 (``mode=ro``:
it never checkpoints the WAL that libsql keeps frame for frame in step with the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tursotui.libsql.errors import LibsqlError
from tursotui.libsql.local import LocalDatabase
from tursotui.support.atomic import atomic_write

DEFAULT_TIMEOUT = 60.0
_COMPANIONS = ("-wal", "-shm", "-info", "-client_wal_index")
LEGACY = (
    "made by the legacy sync protocol (libsql 0.1.8), which this libsql and Turso Cloud no longer "
    "speak: reset it (`tursotui replica reset`, or r in the Replica tab) to re-sync"
)
INFO_TIMEOUT = 10.0


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
    """The last frame of :attr:`generation` the replica has applied; None: never synced."""
    generation: int | None = None
    """The server's sync generation the replica is in (libsql's ``-info``)."""
    legacy: bool = False
    """Made by the legacy sync protocol: it must be reset before it can sync again."""

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
            "generation": self.generation,
            "legacy": self.legacy,
        }


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".tursotui.json")


def _companion(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def position(path: Path) -> tuple[int, int] | None:
    """(generation, durable frame number) from libsql's ``<file>-info`` (sync v2), None when absent.

    libsql writes ``{"hash", "version", "durable_frame_num", "generation"}`` atomically after each commit
    frame it applies; frame k of a generation is frame k of the replica's own WAL.
    """
    try:
        info = json.loads(_companion(path, "-info").read_text(encoding="utf-8"))
        generation, frame = int(info["generation"]), int(info["durable_frame_num"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (generation, frame) if generation > 0 and frame >= 0 else None


def is_legacy(path: Path) -> bool:
    """A replica file the legacy protocol made: ``-client_wal_index`` and no ``-info``."""
    return (
        path.exists()
        and _companion(path, "-client_wal_index").exists()
        and not _companion(path, "-info").exists()
    )


def status(path: Path) -> ReplicaStatus:
    meta: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(_meta_path(path).read_text())
    size = sum(
        p.stat().st_size
        for p in [path, *(path.with_name(path.name + s) for s in _COMPANIONS[:1])]
        if p.exists()
    )
    at = position(path)
    return ReplicaStatus(
        path=path,
        exists=path.exists(),
        size_bytes=size,
        last_sync=meta.get("last_sync"),
        last_sync_ms=meta.get("ms"),
        frames=meta.get("frames"),
        url=meta.get("url"),
        frame_no=None if at is None else at[1],
        generation=None if at is None else at[0],
        legacy=is_legacy(path),
    )


async def sync(
    path: Path, url: str, token: str | None, *, limit: float = DEFAULT_TIMEOUT
) -> ReplicaStatus:
    """Sync the replica at ``path`` from ``url``; a hang is killed after ``limit`` seconds."""
    if is_legacy(path):
        raise ReplicaError(f"the replica file {path} was {LEGACY}")
    path.parent.mkdir(parents=True, exist_ok=True)
    before = position(path)
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
    after = position(path)
    pulled = None
    if after is not None:  # frames since the base (a new replica) or since the last sync
        same = before is not None and before[0] == after[0]
        pulled = after[1] - before[1] if same and before is not None else after[1]
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


@dataclass(frozen=True)
class RemotePosition:
    """What a sync server's ``GET /info`` says: its current generation and, from the local Turso, how many
    frames each generation it keeps has (the last one's count is where the primary is)."""

    generation: int
    frame_no: int | None
    generations: dict[int, int]


async def remote_position(
    url: str, token: str | None, *, limit: float = INFO_TIMEOUT
) -> RemotePosition:
    """Ask the server at ``url`` (the database URL) where it is: ``GET /info``, no SQL, no rows read."""
    base = "https://" + url.removeprefix("libsql://") if url.startswith("libsql://") else url
    headers = {"authorization": f"Bearer {token or ''}"}
    try:
        async with httpx.AsyncClient(timeout=limit) as http:
            response = await http.get(base.rstrip("/") + "/info", headers=headers)
    except httpx.HTTPError as exc:
        raise ReplicaError(f"GET /info of {url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise ReplicaError(f"GET /info of {url}: HTTP {response.status_code}")
    try:
        body = response.json()
        generation = int(body["current_generation"])
        frame = body.get("current_frame_no")
        counts = {int(g): int(n) for g, n in (body.get("generations") or {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ReplicaError(f"GET /info of {url}: not a sync server's answer") from None
    return RemotePosition(generation, None if frame is None else int(frame), counts)


def open_offline(path: Path) -> LocalDatabase:
    """The replica file, read-only, with no server (the guide's "offline support")."""
    return LocalDatabase(path, read_only=True, create=False)
