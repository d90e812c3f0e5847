"""The replica's lag on sync v2 (no server): positions are frames within a generation, counted across the
generations the local Turso keeps; a pruned generation, a replica ahead and a legacy file are said, not guessed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tursotui.libsql import replica
from tursotui.libsql.replica import ReplicaStatus
from tursotui.ops.replica import PrimaryFrame, ReplicaTarget, lag

URL = "http://127.0.0.1:9"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def state(frame: int | None, generation: int | None, *, legacy: bool = False) -> ReplicaStatus:
    return ReplicaStatus(
        path=Path("r.db"),
        exists=True,
        size_bytes=1,
        last_sync=NOW.timestamp() - 5,
        last_sync_ms=1.0,
        frames=1,
        url=URL,
        frame_no=frame,
        generation=generation,
        legacy=legacy,
    )


TARGET = ReplicaTarget(Path("r.db"), enabled=False, interval=60, url=URL, database="app", token="t")
PRIMARY = PrimaryFrame(7, "", 12, {10: 40, 11: 25, 12: 7})


def test_the_same_generation_is_a_difference_of_frames() -> None:
    found = lag(TARGET, state(3, 12), PRIMARY, NOW)
    assert (found.frames_behind, found.primary_frame, found.replica_frame) == (4, 7, 3)


def test_older_generations_count_their_remaining_frames() -> None:
    # 40 - 30 left in generation 10, all 25 of 11, and 7 of 12
    assert lag(TARGET, state(30, 10), PRIMARY, NOW).frames_behind == 10 + 25 + 7
    assert lag(TARGET, state(25, 11), PRIMARY, NOW).frames_behind == 7


def test_what_cannot_be_counted_is_said() -> None:
    pruned = lag(TARGET, state(3, 9), PRIMARY, NOW)
    assert pruned.frames_behind is None and "no longer keeps" in pruned.reason
    ahead = lag(TARGET, state(3, 13), PRIMARY, NOW)
    assert ahead.frames_behind is None and "past the primary's" in ahead.reason
    legacy = lag(TARGET, state(None, None, legacy=True), PRIMARY, NOW)
    assert legacy.frames_behind is None and "legacy sync protocol" in legacy.reason


def test_position_and_legacy_come_from_the_files(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    assert replica.position(path) is None and not replica.is_legacy(path)
    path.write_bytes(b"")
    path.with_name("r.db-client_wal_index").write_bytes(bytes(32))
    assert replica.is_legacy(path) and replica.status(path).legacy
    info = {"hash": 1, "version": 0, "durable_frame_num": 9, "generation": 4}
    path.with_name("r.db-info").write_text(json.dumps(info))
    assert replica.position(path) == (4, 9) and not replica.is_legacy(path)
    shown = replica.status(path)
    assert (shown.generation, shown.frame_no) == (4, 9)
    path.with_name("r.db-info").write_text("{}")
    assert replica.position(path) is None
