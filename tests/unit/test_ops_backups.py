"""The backups folder: names this tool writes, listing with size and age, retention pruning."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tursotui.config import CliOptions, resolve
from tursotui.ops.backups import (
    backup_filename,
    list_backups,
    next_backup_path,
    parse_backup_name,
    prune_backups,
)
from tursotui.ops.errors import InputError
from tursotui.support.humanize import human_age, size

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def _backup(directory: Path, database: str, days_old: float, fmt: str = "sql") -> Path:
    when = NOW - timedelta(days=days_old)
    path = directory / backup_filename(database, "db" if fmt == "db" else "sql", when)
    path.write_text("x" * 10)
    return path


def test_names_round_trip_and_collisions(tmp_path: Path) -> None:
    name = backup_filename("xswarm-users", "sql", NOW)
    assert name == "xswarm-users-20261125-120000.sql"
    first = next_backup_path(tmp_path, "xswarm-users", "sql", NOW)
    first.write_text("")
    second = next_backup_path(tmp_path, "xswarm-users", "sql", NOW)
    assert second.name == "xswarm-users-20261125-120000-1.sql"
    second.write_text("")
    parsed = parse_backup_name(second)
    assert parsed is not None and parsed.database == "xswarm-users" and parsed.taken_at == NOW
    with pytest.raises(InputError, match="invalid database name"):
        backup_filename("../etc", "sql", NOW)
    with pytest.raises(InputError, match="invalid backup format"):
        backup_filename("db", "zip", NOW)  # type: ignore[arg-type]


def test_listing_only_shows_our_files_with_size_and_age(tmp_path: Path) -> None:
    old = _backup(tmp_path, "app", 3)
    new = _backup(tmp_path, "app", 0.5, "db")
    _backup(tmp_path, "other", 1)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "app-2026.sql").write_text("not ours")
    (tmp_path / "app-20261125-120000.sql.bak").write_text("not ours")
    (tmp_path / ".app-20261125-120000.sql.abc123.partial").write_text("temp")
    listed = list_backups(tmp_path)
    assert [b.path for b in listed if b.database == "app"] == [new, old]
    assert {b.database for b in listed} == {"app", "other"}
    assert list_backups(tmp_path, "app")[0].to_json(NOW) == {
        "path": str(new),
        "database": "app",
        "format": "db",
        "taken_at": "2026-11-25T00:00:00Z",
        "size_bytes": 10,
        "age_seconds": 43200,
    }
    assert list_backups(tmp_path / "missing") == []


def test_retention_prunes_old_backups_only_ours_and_keeps_the_newest(tmp_path: Path) -> None:
    keep_recent = _backup(tmp_path, "app", 2)
    old = [_backup(tmp_path, "app", d) for d in (31, 40, 400)]
    lonely = _backup(tmp_path, "other", 90)  # the only backup of "other": kept whatever its age
    foreign = tmp_path / "app-backup-old.sql"
    foreign.write_text("someone else's")
    os.utime(foreign, (0, 0))
    stale = tmp_path / ".app-20261125-120000.sql.k2j4h5.partial"
    stale.write_text("killed run")
    os.utime(stale, (time.time() - 3 * 86400,) * 2)
    fresh = tmp_path / ".app-20261125-120001.sql.zz9x8y.partial"
    fresh.write_text("running now")

    removed = prune_backups(tmp_path, 30, now=NOW)

    assert sorted(b.path for b in removed) == sorted(old)
    assert all(not p.exists() for p in old)
    assert keep_recent.exists() and lonely.exists() and foreign.exists() and fresh.exists()
    assert not stale.exists()
    assert prune_backups(tmp_path, 30, now=NOW) == []
    assert [b.path for b in prune_backups(tmp_path, 1, database="app", now=NOW)] == []
    with pytest.raises(InputError):
        prune_backups(tmp_path, 0, now=NOW)


def test_directory_from_config_or_data_dir(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    settings = resolve(CliOptions(config=str(config), data_dir=str(tmp_path / "data")))
    assert settings.backup_directory == tmp_path / "data" / "backups"
    config.write_text(f'[turso.backup]\ndirectory = "{tmp_path / "elsewhere"}"\n')
    settings = resolve(CliOptions(config=str(config), data_dir=str(tmp_path / "data")))
    assert settings.backup_directory == tmp_path / "elsewhere"


def test_human_formats() -> None:
    # One way everywhere: decimal units, as Turso states its quotas.
    assert size(512) == "512 B"
    assert size(1536) == "1.5 kB"
    assert size(5 * 1000**3) == "5 GB"
    assert human_age(timedelta(seconds=42)) == "42s"
    assert human_age(timedelta(minutes=5)) == "5m"
    assert human_age(timedelta(hours=3, minutes=2)) == "3h 2m"
    assert human_age(timedelta(days=3, hours=1)) == "3d 1h"
