"""The backups folder: file names this tool writes, listing with size and age, retention.

Backups are named ``<database>-YYYYmmdd-HHMMSS.sql`` (or ``.db``; UTC; ``-N`` added when a name is
taken). Only files matching that pattern are ever listed or pruned: anything else in the folder
is left alone. Pruning keeps the newest backup of each database whatever its age.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tursotui.ops.errors import InputError
from tursotui.ops.leftovers import Removed, remove_owned_file, remove_scratch
from tursotui.ops.names import check_name
from tursotui.support import humanize

if TYPE_CHECKING:
    pass

BackupFormat = Literal["sql", "db"]
FORMATS: tuple[BackupFormat, ...] = ("sql", "db")
STAMP = "%Y%m%d-%H%M%S"
NAME_PATTERN = re.compile(
    r"^(?P<database>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-(?P<stamp>\d{8}-\d{6})"
    r"(?:-(?P<seq>\d{1,4}))?\.(?P<format>sql|db)$"
)
PARTIAL_SUFFIX = ".partial"
PARTIAL_PATTERN = re.compile(
    r"^\.(?P<final>.+\.(?:sql|db))\.(?:(?P<pid>\d+)-)?[A-Za-z0-9_]+\.partial$"
)
STALE_PARTIAL_SECONDS = 86_400


def backup_filename(database: str, fmt: BackupFormat, when: datetime, seq: int = 0) -> str:
    check_name(database)
    if fmt not in FORMATS:
        raise InputError(f"invalid backup format {fmt!r}: use sql or db")
    stamp = when.astimezone(UTC).strftime(STAMP)
    return f"{database}-{stamp}{f'-{seq}' if seq else ''}.{fmt}"


def next_backup_path(
    directory: Path, database: str, fmt: BackupFormat, when: datetime | None = None
) -> Path:
    """A free name for a new backup in ``directory``."""
    moment = when or datetime.now(UTC)
    for seq in range(10_000):
        path = directory / backup_filename(database, fmt, moment, seq)
        if not path.exists():
            return path
    raise InputError(f"too many backups of {database} at {moment:%Y-%m-%d %H:%M:%S} in {directory}")


@dataclass(frozen=True)
class BackupFile:
    path: Path
    database: str
    format: BackupFormat
    taken_at: datetime
    size_bytes: int

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(UTC)) - self.taken_at

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "database": self.database,
            "format": self.format,
            "taken_at": self.taken_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "size_bytes": self.size_bytes,
            "age_seconds": int(self.age(now).total_seconds()),
        }


def parse_backup_name(path: Path) -> BackupFile | None:
    """The backup a file name describes, or None when this tool did not write it."""
    match = NAME_PATTERN.match(path.name)
    if match is None:
        return None
    try:
        taken = datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)
        if path.is_symlink() or not path.is_file():
            return None
        size = path.stat().st_size
    except (ValueError, OSError):
        return None
    fmt: BackupFormat = "db" if match["format"] == "db" else "sql"
    return BackupFile(path, match["database"], fmt, taken, size)


def list_backups(directory: Path, database: str | None = None) -> list[BackupFile]:
    """Backups in ``directory`` (of ``database`` only, if given), newest first."""
    try:
        entries = list(directory.iterdir())
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        raise InputError(f"backup directory {directory} is not a directory") from None
    except OSError as exc:
        raise InputError(f"cannot read backup directory {directory}: {exc.strerror}") from None
    found = [b for b in map(parse_backup_name, entries) if b is not None]
    if database is not None:
        found = [b for b in found if b.database == database]
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def prune_candidates(
    directory: Path,
    retention_days: int,
    *,
    database: str | None = None,
    now: datetime | None = None,
    keep_latest: int = 1,
) -> list[BackupFile]:
    """The backups :func:`prune_backups` would delete (nothing is deleted here)."""
    if retention_days < 1:
        raise InputError(f"invalid retention {retention_days} days: use 1 or more")
    moment = now or datetime.now(UTC)
    limit = timedelta(days=retention_days)
    by_database: dict[str, list[BackupFile]] = {}
    for backup in list_backups(directory, database):
        by_database.setdefault(backup.database, []).append(backup)
    return [
        backup
        for backups in by_database.values()
        for backup in backups[keep_latest:]
        if backup.age(moment) > limit
    ]


def prune_backups(
    directory: Path,
    retention_days: int,
    *,
    database: str | None = None,
    now: datetime | None = None,
    keep_latest: int = 1,
) -> list[BackupFile]:
    """Delete backups older than ``retention_days`` (by the time in their name); returns them.

    The newest ``keep_latest`` backups of each database are kept whatever their age. Stale
    temp files of interrupted runs (``.*.partial``, a day old) are removed too.
    """
    removed = prune_candidates(
        directory, retention_days, database=database, now=now, keep_latest=keep_latest
    )
    for backup in removed:
        with contextlib.suppress(FileNotFoundError):
            backup.path.unlink()
    remove_stale_partials(directory)
    return removed


def remove_stale_partials(
    directory: Path, older_than: float = STALE_PARTIAL_SECONDS
) -> list[Removed]:
    """Remove this tool's temp files (``.<backup name>.<pid>-*.partial``) left by killed runs:
    those whose writing process is gone, and unnumbered ones (older versions) a day old."""
    removed: list[Removed] = []
    with contextlib.suppress(OSError):
        for entry in sorted(directory.iterdir()):
            match = PARTIAL_PATTERN.match(entry.name)
            if not match or not NAME_PATTERN.match(match["final"]):
                continue
            if match["pid"] is not None:
                gone = remove_owned_file(entry, int(match["pid"]))
                if gone is not None:
                    removed.append(gone)
                continue
            with contextlib.suppress(OSError):
                if time.time() - entry.stat().st_mtime > older_than and entry.is_file():
                    size = entry.stat().st_size
                    os.unlink(entry)
                    removed.append(Removed(entry, size))
    return removed


def remove_leftovers(
    directory: Path,
    say: Callable[[str], None] | None = None,
    *,
    scratch_parent: Path | None = None,
) -> list[Removed]:
    """What killed backups left: ``.partial`` files in ``directory`` and verify scratch copies in
    the temp directory (``scratch_parent``), each only once the process that wrote it is gone.
    ``say`` gets one line per removed file."""
    removed = remove_stale_partials(directory) + remove_scratch(scratch_parent)
    if say is not None:
        for line in describe_removed(removed):
            say(line)
    return removed


def describe_removed(removed: list[Removed]) -> list[str]:
    """One line per removed leftover, for the operator."""
    return [
        f"removed {r.path} ({humanize.size(r.size_bytes)}), left by a backup or import that was killed"
        for r in removed
    ]
