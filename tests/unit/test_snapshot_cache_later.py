"""ops/snapshot_cache.save_later: the console's save of each full refresh is made in a thread (the caller is
never kept waiting), the newest snapshot waiting wins, an unchanged one is not written again until
REWRITE_AFTER has passed, load() waits for a save of its file, and a failure is a log line."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tursotui.ops import snapshot_cache
from tursotui.ops.snapshot import OrgSnapshot
from tursotui.platform import Database, UsageCounters

KEY = snapshot_cache.cache_key("cloud", "acme", "https://api.turso.tech")
AT = datetime(2026, 12, 5, 10, 42, tzinfo=UTC)


def snapshot() -> OrgSnapshot:
    return OrgSnapshot(
        fetched_at=AT,
        databases=(Database("tenant-1", group="default"), Database("tenant-2", group="eu")),
        db_usage={"tenant-1": UsageCounters(1, 2, 3, 4)},
    )


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[OrgSnapshot]:
    """Each snapshot actually written (the real save runs too)."""
    written: list[OrgSnapshot] = []
    real = snapshot_cache.save

    def counted(data_dir: Path, key: str, snap: OrgSnapshot) -> Path:
        written.append(snap)
        return real(data_dir, key, snap)

    monkeypatch.setattr(snapshot_cache, "save", counted)
    return written


def later(data_dir: Path, snap: OrgSnapshot) -> None:
    snapshot_cache.save_later(data_dir, KEY, snap)
    assert snapshot_cache.wait_saved(10)


def test_saved_in_a_thread_and_read_back(tmp_path: Path, writes: list[OrgSnapshot]) -> None:
    threads: list[str] = []
    real = snapshot_cache.to_json

    def where(key: str, snap: OrgSnapshot) -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        return real(key, snap)

    snapshot_cache.to_json = where  # type: ignore[assignment]
    try:
        snapshot_cache.save_later(tmp_path, KEY, snapshot())
        loaded = snapshot_cache.load(tmp_path, KEY)  # waits for the save of its file
    finally:
        snapshot_cache.to_json = real  # type: ignore[assignment]
    assert threads == ["snapshot-cache"]
    assert loaded is not None and loaded.databases == snapshot().databases


def test_an_unchanged_snapshot_is_not_written_again_until_rewrite_after(
    tmp_path: Path, writes: list[OrgSnapshot]
) -> None:
    first = snapshot()
    later(tmp_path, first)
    later(tmp_path, replace(first, fetched_at=AT + timedelta(minutes=1)))  # same contents
    assert len(writes) == 1
    changed = replace(
        first,
        fetched_at=AT + timedelta(minutes=2),
        db_usage={"tenant-1": UsageCounters(1, 2, 3, 5)},
    )
    later(tmp_path, changed)
    assert writes[-1] is changed and len(writes) == 2
    stale = replace(changed, fetched_at=AT + timedelta(minutes=2) + snapshot_cache.REWRITE_AFTER)
    later(tmp_path, stale)  # unchanged, but the file's "as of" would be too old
    assert writes[-1] is stale and len(writes) == 3
    loaded = snapshot_cache.load(tmp_path, KEY)
    assert loaded is not None and loaded.fetched_at == stale.fetched_at


def test_the_newest_waiting_snapshot_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writes: list[OrgSnapshot]
) -> None:
    gate, started = threading.Event(), threading.Event()
    real = snapshot_cache.to_json

    def slow(key: str, snap: OrgSnapshot) -> dict[str, Any]:
        started.set()
        assert gate.wait(10)
        return real(key, snap)

    monkeypatch.setattr(snapshot_cache, "to_json", slow)
    snaps = [
        replace(snapshot(), fetched_at=AT + timedelta(seconds=n), db_usage={}) for n in range(4)
    ]
    snaps = [replace(s, db_usage={"tenant-1": UsageCounters(n)}) for n, s in enumerate(snaps)]
    snapshot_cache.save_later(tmp_path, KEY, snaps[0])
    assert started.wait(10)
    for snap in snaps[1:]:  # while the first is being written: only the last is kept
        snapshot_cache.save_later(tmp_path, KEY, snap)
    gate.set()
    assert snapshot_cache.wait_saved(10)
    assert writes == [snaps[0], snaps[3]]
    loaded = snapshot_cache.load(tmp_path, KEY)
    assert loaded is not None and loaded.db_usage == {"tenant-1": UsageCounters(3)}


def test_a_failed_write_is_a_log_line_and_the_next_save_tries_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, writes: list[OrgSnapshot]
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="tursotui.ops.snapshot_cache"):
        later(blocked, snapshot())
    assert "the snapshot was not cached for the next start" in caplog.text
    blocked.unlink()
    blocked.mkdir()
    later(blocked, snapshot())  # same contents, but the file was never written: written now
    assert len(writes) == 2 and snapshot_cache.load(blocked, KEY) is not None


def test_the_json_made_a_database_at_a_time_is_to_json() -> None:
    snap = snapshot()
    made = json.loads(snapshot_cache.encode(KEY, snap))
    assert made == json.loads(json.dumps(snapshot_cache.to_json(KEY, snap)))
    assert [d["name"] for d in made["databases"]] == ["tenant-1", "tenant-2"]
