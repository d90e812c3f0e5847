"""The record beside a replica file: which database it came from (written atomically, 0600, no token), the rule
that tells another database apart, the refusal that names both before anything is sent, frames pulled counted
from the -info positions across generations (never negative), and the Replica tab's and status's wording."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tursotui.libsql import replica, replica_meta
from tursotui.libsql.replica import ReplicaMismatch, frames_pulled
from tursotui.libsql.replica_meta import Origin, mismatch, same_url
from tursotui.ops.replica import OTHER_URL, PrimaryFrame, ReplicaTarget, lag
from tursotui.ui.panes.replica_view import lines

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
APP = Origin("http://127.0.0.1:8081", "app", "id-app", "local")


def test_the_rule_that_tells_another_database_apart() -> None:
    assert not mismatch(APP, APP)
    # ids known on both sides decide: a moved URL is the same database, a re-created one is not
    assert not mismatch(APP, Origin("http://127.0.0.1:9999", "app", "id-app"))
    assert mismatch(APP, Origin(APP.url, "app", "id-recreated"))
    # otherwise the name (both known) and the URL
    assert mismatch(APP, Origin(APP.url, "other"))
    assert mismatch(APP, Origin("http://127.0.0.1:8082", "app"))
    assert not mismatch(Origin(APP.url), Origin(APP.url + "/", "app"))
    assert same_url("libsql://a-acme.turso.io", "https://a-acme.turso.io/")
    assert not same_url("libsql://a-acme.turso.io", "https://b-acme.turso.io")


def test_the_record_round_trips_and_an_older_one_gives_its_url(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    path.write_bytes(b"")
    assert replica_meta.origin(path) is None and replica_meta.read(path) == {}
    replica_meta.write(path, {"url": APP.url, "origin": APP.to_json(), "frames": 3})
    assert replica_meta.origin(path) == APP
    assert stat.S_IMODE(replica_meta.meta_path(path).stat().st_mode) == 0o600
    replica_meta.meta_path(path).write_text(json.dumps({"url": "http://old", "frames": -785}))
    assert replica_meta.origin(path) == Origin("http://old")
    assert replica.status(path).frames is None  # an older tursotui's negative count is not shown
    replica_meta.meta_path(path).write_text("{not json")
    assert replica_meta.origin(path) is None


def test_a_sync_from_another_database_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    path.write_bytes(b"")
    replica_meta.write(path, {"url": APP.url, "origin": APP.to_json()})
    wanted = Origin("http://127.0.0.1:8082", "ux-setup", "id-ux", "local")
    with pytest.raises(ReplicaMismatch) as raised:  # the URL is dead: refused before any request
        asyncio.run(replica.sync(path, wanted.url, "t", origin=wanted, limit=5))
    text = str(raised.value)
    assert raised.value.kind == "other-database"
    assert "holds database app (http://127.0.0.1:8081), but" in text
    assert "config now names database ux-setup (http://127.0.0.1:8082):" in text
    assert "`tursotui replica reset`" in text and "bootstraps ux-setup" in text
    assert path.exists() and replica_meta.origin(path) == APP  # nothing changed


def test_frames_pulled_come_from_the_positions_and_are_never_negative() -> None:
    assert frames_pulled(None, (5, 12), {}) == 12  # a new replica: from its generation's base
    assert frames_pulled((5, 3), (5, 12), {}) == 9
    assert frames_pulled((5, 12), (5, 3), {}) is None  # went back: another file, not a count
    assert frames_pulled((5, 30), (7, 4), {5: 40, 6: 25, 7: 4}) == 10 + 25 + 4
    assert frames_pulled((5, 30), (7, 4), {7: 4}) is None  # Turso Cloud: no counts
    assert frames_pulled((7, 3), (5, 1), {5: 1, 7: 3}) is None
    assert frames_pulled((5, 3), None, {}) is None


def _status(path: Path, origin: Origin | None) -> replica.ReplicaStatus:
    return replica.ReplicaStatus(
        path=path,
        exists=True,
        size_bytes=4096,
        last_sync=NOW.timestamp() - 30,
        last_sync_ms=12.5,
        frames=3,
        url=None if origin is None else origin.url,
        frame_no=42,
        generation=7,
        origin=origin,
    )


def test_status_and_the_tab_name_both_databases_and_the_protocol(tmp_path: Path) -> None:
    target = ReplicaTarget(
        tmp_path / "r.db", False, 60, "http://127.0.0.1:8082", "ux-setup", token="t"
    )
    found = lag(target, _status(target.path, APP), PrimaryFrame(50, "", 7, {7: 50}), NOW)
    assert found.frames_behind is None and found.reason.startswith(OTHER_URL)
    assert "database app (" in found.reason and "database ux-setup (" in found.reason
    assert found.reason.endswith("reset it")  # what the doctor's replica check keys its failure on
    rows = dict(lines(target, _status(target.path, APP), NOW, None, None))
    assert rows["Protocol"] == "sync v2 (/info, /export, /sync) — the protocol Turso Cloud serves"
    assert "not ux-setup: s refuses to sync it; r resets it" in rows["Refused"]
    assert rows["Frame"].startswith("42 of sync generation 7")
    # the same database: no refusal, the lag in frames
    same = ReplicaTarget(target.path, False, 60, APP.url, "app", token="t")
    assert "Refused" not in dict(lines(same, _status(same.path, APP), NOW, None, None))
    assert (
        lag(same, _status(same.path, APP), PrimaryFrame(50, "", 7, {7: 50}), NOW).frames_behind == 8
    )


def test_on_turso_cloud_the_lag_says_what_info_gives_and_no_more(tmp_path: Path) -> None:
    target = ReplicaTarget(tmp_path / "r.db", False, 60, APP.url, "app", token="t")
    state = _status(target.path, APP)
    later = lag(target, state, PrimaryFrame(None, "n/a on Turso Cloud", 9), NOW)
    assert later.frames_behind is None
    assert "the replica is in generation 7, the primary in 9" in later.reason
    even = lag(target, state, PrimaryFrame(None, "n/a on Turso Cloud", 7), NOW)
    assert even.frames_behind is None and even.reason.endswith("(both in generation 7)")
    unknown = lag(target, state, PrimaryFrame(None, "n/a: Turso Cloud did not say (x)"), NOW)
    assert unknown.reason == "n/a: Turso Cloud did not say (x)"
