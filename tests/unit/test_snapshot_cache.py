"""ops/snapshot_cache.py: the last known snapshot round-trips (databases, groups, organization, usage), is 0600
in a 0700 directory and written atomically, is keyed by target, and anything it cannot trust (corrupt, another
version, another key, a field of the wrong type) is ignored with a log line."""

from __future__ import annotations

import json
import logging
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tursotui.ops import snapshot_cache
from tursotui.ops.snapshot import OrgSnapshot
from tursotui.platform import (
    Database,
    Group,
    Organization,
    OrganizationUsage,
    OrganizationUsageTotals,
    UsageCounters,
)
from tursotui.platform.models import DatabaseParent

KEY = snapshot_cache.cache_key("cloud", "acme", "https://api.turso.tech")
AT = datetime(2026, 12, 5, 10, 42, tzinfo=UTC)


def snapshot() -> OrgSnapshot:
    return OrgSnapshot(
        fetched_at=AT,
        databases=(
            Database(
                "tenant-1",
                db_id="u1",
                hostname="tenant-1-acme.aws-us-east-1.turso.io",
                primary_region="aws-us-east-1",
                regions=("aws-us-east-1",),
                group="default",
                delete_protection=None,
                parent=DatabaseParent("u0", "tenant-0", "2026-12-01T00:00:00Z"),
            ),
            Database("tenant-2", group="eu", block_writes=True, delete_protection=True),
        ),
        groups={"default": Group("default", "g1", ("aws-us-east-1",), "aws-us-east-1")},
        organization=Organization("Acme", "acme", plan_id="scaler", blocked_writes=True),
        usage=OrganizationUsage("o1", OrganizationUsageTotals(rows_read=9, databases=2)),
        db_usage={"tenant-1": UsageCounters(1, 2, 3, 4)},
    )


def test_round_trip_keeps_what_the_panes_show(tmp_path: Path) -> None:
    path = snapshot_cache.save(tmp_path, KEY, snapshot())
    loaded = snapshot_cache.load(tmp_path, KEY)
    assert loaded is not None
    original = snapshot()
    assert loaded.databases == original.databases and loaded.groups == original.groups
    assert loaded.organization == original.organization and loaded.db_usage == original.db_usage
    assert loaded.usage == original.usage and loaded.fetched_at == AT
    assert loaded.plan_view is None and loaded.listed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_keys_keep_targets_apart(tmp_path: Path) -> None:
    local = snapshot_cache.cache_key("local", "local", "http://127.0.0.1:41234")
    assert local == "local:local"  # the local Turso's port changes between starts: not in the key
    assert snapshot_cache.cache_key(
        "cloud", "acme", "https://api.turso.tech"
    ) != snapshot_cache.cache_key("cloud", "globex", "https://api.turso.tech")
    assert snapshot_cache.cache_path(tmp_path, KEY) != snapshot_cache.cache_path(tmp_path, local)
    snapshot_cache.save(tmp_path, KEY, snapshot())
    assert snapshot_cache.load(tmp_path, local) is None  # another key's file is not looked at


@pytest.mark.parametrize(
    ("mangle", "said"),
    [
        (lambda body: "{not json", "Expecting property name"),
        (lambda body: json.dumps(body | {"version": 99}), "version 99, not 1 (written by another"),
        (lambda body: json.dumps(body | {"key": "cloud:x:y"}), "it is the snapshot of 'cloud:x:y'"),
        (lambda body: json.dumps(body | {"fetched_at": "yesterday"}), "fetched_at 'yesterday'"),
        (
            lambda body: json.dumps(body | {"databases": [{"name": 5}]}),
            "databases[].name is 5, not str",
        ),
        (
            lambda body: json.dumps(body | {"groups": [{"name": "g", "token": "x"}]}),
            "groups[] has unknown fields ['token']",
        ),
        (lambda body: json.dumps(body | {"db_usage": []}), "db_usage is not an object"),
        (
            lambda body: json.dumps(body | {"db_usage": {"x": {"rows_read": True}}}),
            "db_usage['x'].rows_read is True, not int",
        ),
        (lambda body: "\udcff", "ignoring the cached snapshot"),
    ],
)
def test_what_cannot_be_trusted_is_ignored_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mangle: object, said: str
) -> None:
    path = snapshot_cache.save(tmp_path, KEY, snapshot())
    body = json.loads(path.read_text())
    text = mangle(body)  # type: ignore[operator]
    path.write_bytes(text.encode(errors="surrogateescape"))
    with caplog.at_level(logging.WARNING, logger="tursotui.ops.snapshot_cache"):
        assert snapshot_cache.load(tmp_path, KEY) is None
    assert "ignoring the cached snapshot" in caplog.text and said in caplog.text


def test_no_file_is_nothing_to_say(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="tursotui.ops.snapshot_cache"):
        assert snapshot_cache.load(tmp_path, KEY) is None
    assert caplog.text == ""
