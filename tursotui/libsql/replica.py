"""The local embedded replica (the guide's "Local Embedded Replica"): status, sync, reset, offline.

Syncs with PyPI ``libsql==0.1.11``, whose embedded-replica sync "v2" (``GET /info``, ``/export/{g}``,
``/sync/{g}/{s}/{e}``) Turso Cloud and the local Turso serve, in a child process with a timeout (see
:mod:`tursotui.libsql.replica_worker`). The replica's position is libsql's ``<file>-info``: the server's
generation and the last frame of it applied (:func:`position`). A file made by the legacy protocol (libsql
≤ 0.1.8: a ``<file>-client_wal_index``, no ``-info``) cannot be continued and is said as such.

Every sync first checks that the file came from the database config names now (:mod:`tursotui.libsql.replica_meta`)
and refuses, naming both, when it did not; a failed sync says what is wrong and what to do, with the server's own
refusal verbatim (:mod:`tursotui.libsql.replica_errors`).

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

from tursotui.libsql import replica_meta
from tursotui.libsql.errors import LibsqlError
from tursotui.libsql.local import LocalDatabase
from tursotui.libsql.replica_errors import PROTOCOL, SyncFailure, explain
from tursotui.libsql.replica_meta import Origin
from tursotui.support.humanize import home_path
from tursotui.support.redact import redact

DEFAULT_TIMEOUT = 60.0
_COMPANIONS = ("-wal", "-shm", "-info", "-client_wal_index")
LEGACY = (
    "made by the legacy sync protocol (libsql 0.1.8), which this libsql and Turso Cloud no longer "
    "speak: reset it (`tursotui replica reset`, or r in the Replica tab) to re-sync"
)
INFO_TIMEOUT = 10.0


class ReplicaError(LibsqlError):
    """A replica sync failed or timed out; the message says why (``kind``: :class:`SyncFailure`'s word)."""

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class ReplicaMismatch(ReplicaError):
    """The file came from another database than the one config names: refused, never switched in silence."""

    def __init__(self, path: Path, recorded: Origin, wanted: Origin) -> None:
        self.recorded, self.wanted = recorded, wanted
        super().__init__(mismatch_text(path, recorded, wanted), "other-database")


def mismatch_text(path: Path, recorded: Origin, wanted: Origin) -> str:
    """Both databases named (with their ids only when the names and URLs alike: a re-created database)."""
    ids = recorded.describe(ids=False) == wanted.describe(ids=False)
    return (
        f"the replica file {home_path(path)} holds {recorded.describe(ids=ids)}, but config now names "
        f"{wanted.describe(ids=ids)}: a replica never switches databases — `tursotui replica reset` deletes the "
        f"file (r in the Replica tab) and the next sync bootstraps {wanted.database or wanted.url}"
    )


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
    origin: Origin | None = None
    """The database the file came from (tursotui's record beside it); None: not recorded."""

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
            "origin": None if self.origin is None else self.origin.to_json(),
            "protocol": PROTOCOL,
        }


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


def _count(value: Any) -> int | None:
    """A recorded frame count; an older tursotui's negative one (walkthrough defect 7) is not known."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def status(path: Path) -> ReplicaStatus:
    meta = replica_meta.read(path)
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
        frames=_count(meta.get("frames")),
        url=meta.get("url"),
        frame_no=None if at is None else at[1],
        generation=None if at is None else at[0],
        legacy=is_legacy(path),
        origin=replica_meta.origin(path) if path.exists() else None,
    )


def frames_pulled(
    before: tuple[int, int] | None, after: tuple[int, int] | None, counts: dict[int, int]
) -> int | None:
    """Frames a sync applied, from the ``-info`` positions before and after it; None when not known.

    A new replica counts from its generation's base. Across generations the frames left in each one come from
    the server's counts (the local Turso's ``/info``); without them, or if the position went back (another file),
    the number is not known: never a negative or a guessed one.
    """
    if after is None:
        return None
    if before is None:
        return after[1]
    (g0, f0), (g1, f1) = before, after
    if g1 == g0:
        return f1 - f0 if f1 >= f0 else None
    if g1 < g0 or any(g not in counts for g in range(g0, g1)) or counts[g0] < f0:
        return None
    return counts[g0] - f0 + sum(counts[g] for g in range(g0 + 1, g1)) + f1


def check_origin(path: Path, wanted: Origin) -> Origin:
    """Refuse (:class:`ReplicaMismatch`) when the file at ``path`` came from another database than ``wanted``;
    else ``wanted``, with the id and organization recorded for it when ``wanted`` lacks them (the Platform API
    could not be asked this time)."""
    recorded = replica_meta.origin(path) if path.exists() else None
    if recorded is None:
        return wanted
    if replica_meta.mismatch(recorded, wanted):
        raise ReplicaMismatch(path, recorded, wanted)
    if wanted.database_id:
        return wanted
    return Origin(
        wanted.url,
        wanted.database or recorded.database,
        recorded.database_id,
        wanted.organization or recorded.organization,
    )


async def sync(
    path: Path,
    url: str,
    token: str | None,
    *,
    limit: float = DEFAULT_TIMEOUT,
    origin: Origin | None = None,
) -> ReplicaStatus:
    """Sync the replica at ``path`` from ``url`` (the database ``origin`` names; default: the URL alone); a hang
    is killed after ``limit`` seconds. Refused before anything is sent when the file came from another database."""
    wanted = origin or Origin(url)
    if is_legacy(path):
        raise ReplicaError(f"the replica file {path} was {LEGACY}", "legacy")
    wanted = check_origin(path, wanted)
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
            "(libsql's sync() can hang: libsql#1224); the replica file is as it was",
            "timeout",
        ) from None
    try:
        answer = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise ReplicaError(
            f"replica sync from {url} gave no answer (exit {proc.returncode})"
        ) from None
    if not answer.get("ok"):
        failure = explain(redact(str(answer.get("error")), [token]), url)
        raise ReplicaError(f"replica sync failed: {failure.message}", failure.kind)
    after = position(path)
    counts: dict[int, int] = {}
    if before is not None and after is not None and after[0] > before[0]:  # across generations
        with contextlib.suppress(ReplicaError):
            counts = (await remote_position(url, token)).generations
    meta = {
        "last_sync": time.time(),
        "ms": answer.get("ms"),
        "frames": frames_pulled(before, after, counts),
        "url": url,
        "origin": wanted.to_json(),
    }
    replica_meta.write(path, meta)
    return status(path)


def reset(path: Path) -> list[Path]:
    """Delete the replica file and its companions (the next sync rebuilds it). Returns what went."""
    removed = []
    for candidate in [
        path,
        *(path.with_name(path.name + s) for s in _COMPANIONS),
        replica_meta.meta_path(path),
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
        raise ReplicaError(f"GET /info of {url}: {type(exc).__name__}", "unreachable") from None
    if response.status_code != 200:
        failure = _info_failure(url, response)
        raise ReplicaError(failure.message, failure.kind)
    try:
        body = response.json()
        generation = int(body["current_generation"])
        frame = body.get("current_frame_no")
        counts = {int(g): int(n) for g, n in (body.get("generations") or {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ReplicaError(f"GET /info of {url}: not a sync server's answer") from None
    return RemotePosition(generation, None if frame is None else int(frame), counts)


def _info_failure(url: str, response: httpx.Response) -> SyncFailure:
    """A refused ``GET /info`` said as a sync would say it (the same request libsql bootstraps with)."""
    body = response.text[:2000]
    return explain(f"failed to pull db export: status={response.status_code}, error={body}", url)


def open_offline(path: Path) -> LocalDatabase:
    """The replica file, read-only, with no server (the guide's "offline support")."""
    return LocalDatabase(path, read_only=True, create=False)
