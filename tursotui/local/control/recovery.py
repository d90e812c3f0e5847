"""Point-in-time restore for the local Turso: recovery points and restores into NEW databases.

A recovery point is a consistent copy of a database's file taken with SQLite's online
backup API while sqld keeps serving (reads and writes go on). Points are taken when the
database was created, when it changed (at most every ``interval`` seconds) and on demand;
points older than ``[turso.backup] retention_days`` are pruned, except the newest, which
still describes the database as it is. A restore picks the latest point at or before the
asked timestamp and seeds a new namespace with it; the source is only ever read.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from tursotui.local.api.render import iso
from tursotui.local.control.state import DatabaseState, RecoveryPoint
from tursotui.local.errors import ApiError

DAY = 86_400.0


def parse_timestamp(text: str) -> float:
    """RFC 3339 / ISO 8601 with a timezone ("2025-10-22T10:30:00Z") → epoch seconds."""
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise ApiError(
            400, f"invalid timestamp {text!r}: use RFC 3339, e.g. 2025-10-22T10:30:00Z"
        ) from None
    if value.tzinfo is None:
        raise ApiError(400, f"timestamp {text!r} has no timezone: add Z for UTC or an offset")
    return value.astimezone(UTC).timestamp()


def snapshot(source: Path, target: Path) -> int:
    """Copy ``source`` (an open sqld database) into ``target`` atomically; returns its size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    partial.replace(target)
    return target.stat().st_size


class RecoveryPoints:
    def __init__(self, directory: Path, *, retention_days: int) -> None:
        self.directory = directory
        self.retention = retention_days * DAY

    def path_for(self, db: DatabaseState, point_id: str) -> Path:
        return self.directory / db.uuid / f"{point_id}.db"

    def take(
        self,
        db: DatabaseState,
        source: Path,
        *,
        reason: str,
        now: float,
        replication_index: int | None,
    ) -> RecoveryPoint:
        point_id = (
            datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        )
        target = self.path_for(db, point_id)
        try:
            size = snapshot(source, target)
        except (sqlite3.Error, OSError) as exc:
            raise ApiError(500, f"could not take a recovery point of {db.name}: {exc}") from None
        return RecoveryPoint(
            id=point_id,
            database=db.name,
            taken_at=now,
            file=str(target.relative_to(self.directory)),
            size_bytes=size,
            reason=reason,
            replication_index=replication_index,
        )

    def prune(self, points: list[RecoveryPoint], now: float) -> list[RecoveryPoint]:
        """Drop points older than the retention window, always keeping the newest."""
        if not points:
            return points
        newest = max(points, key=lambda p: p.taken_at)
        keep = [p for p in points if p is newest or now - p.taken_at <= self.retention]
        for point in points:
            if point not in keep:
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / point.file).unlink()
        return keep

    def choose(
        self, db: DatabaseState, points: list[RecoveryPoint], timestamp: str, now: float
    ) -> RecoveryPoint:
        at = parse_timestamp(timestamp)
        if at > now + 1:
            raise ApiError(400, f"timestamp {timestamp} is in the future (now is {iso(now)})")
        if at < db.created_at - 1:
            raise ApiError(
                400,
                f"timestamp {timestamp} is before database {db.name} existed (created {iso(db.created_at)})",
            )
        if now - at > self.retention:
            days = self.retention / DAY
            raise ApiError(
                400,
                f"timestamp {timestamp} is outside the {days:g}-day recovery window "
                f"([turso.backup] retention_days); the oldest restorable time is {iso(now - self.retention)}",
            )
        # Points are listed at whole seconds (iso() drops the fraction): the listed time restores.
        candidates = [p for p in points if math.floor(p.taken_at) <= at]
        if not candidates:
            raise ApiError(400, f"no recovery point of {db.name} at or before {timestamp}")
        return max(candidates, key=lambda p: p.taken_at)

    def file(self, point: RecoveryPoint) -> Path:
        path = self.directory / point.file
        if not path.exists():
            raise ApiError(500, f"recovery point file {path} is missing")
        return path


def place_database_file(source: Path, namespace_dir: Path) -> None:
    """Put a SQLite file where sqld will open it as a new namespace's database."""
    if namespace_dir.exists():
        raise ApiError(409, f"{namespace_dir} already exists; refusing to overwrite it")
    namespace_dir.mkdir(parents=True)
    try:
        shutil.copyfile(source, namespace_dir / "data")
    except OSError:
        shutil.rmtree(namespace_dir, ignore_errors=True)
        raise
