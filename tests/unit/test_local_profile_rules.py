"""The local Turso's profile rules without sqld: the profile recorded in the data dir, the plan overrides,
the plan table per platform, the quota decision, the usage meters, paged lists and location rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tursotui.config.schema import LOCAL_PLANS, LOCAL_PLATFORMS
from tursotui.local.api.paging import MAX_PAGE, decode_cursor, encode_cursor, page
from tursotui.local.control import plans
from tursotui.local.control.billing import Block, decide, effective, period_of, reset_date
from tursotui.local.control.meters import Meters
from tursotui.local.control.platforms import (
    check_group_location,
    check_replica_location,
    locations,
)
from tursotui.local.control.profile import (
    PLATFORMS,
    Profile,
    ProfileChoice,
    load_plan_overrides,
    resolve_profile,
)
from tursotui.local.control.state import DatabaseState, GroupState, StateError, new_database_id
from tursotui.local.errors import ApiError


def test_the_config_and_the_local_turso_name_the_same_plans_and_platforms() -> None:
    assert LOCAL_PLANS == plans.PLAN_NAMES == tuple(p["name"] for p in plans.PLANS)
    assert LOCAL_PLATFORMS == PLATFORMS
    assert set(plans.RETENTION_DAYS) == set(plans.PLAN_NAMES)


def test_the_profile_is_recorded_and_a_new_choice_wins(tmp_path: Path) -> None:
    profile, notes = resolve_profile(tmp_path, ProfileChoice())
    assert profile == Profile() and notes == []
    assert json.loads((tmp_path / "profile.json").read_text()) == {
        "overages": False,
        "plan": "starter",
        "platform": "fly",
    }
    profile, notes = resolve_profile(tmp_path, ProfileChoice(plan="pro", overages=True))
    assert profile.subscription_plan == "pro_overages" and len(notes) == 1
    assert "plan starter -> pro" in notes[0] and "overages False -> True" in notes[0]
    kept, notes = resolve_profile(tmp_path, ProfileChoice(platform="aws"))
    assert kept == Profile("pro", True, "aws") and "platform fly -> aws" in notes[0]
    # Flags over config keys: what a flag says wins, the rest comes from the config.
    flags, config = ProfileChoice(plan="scaler"), ProfileChoice(plan="developer", overages=True)
    assert flags.over(config) == ProfileChoice(plan="scaler", overages=True, platform=None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "cannot be read"),
        ('["starter"]', "corrupt"),
        ('{"plan": "starter", "tier": 1}', "corrupt"),
        ('{"plan": "gold"}', "unknown plan 'gold'"),
        ('{"platform": "gcp"}', "unknown platform 'gcp'"),
        ('{"overages": "yes"}', "overages is 'yes'"),
        ('{"overages": true}', "overages need a paid plan"),
    ],
)
def test_a_bad_recorded_profile_is_refused_and_left_alone(
    tmp_path: Path, text: str, problem: str
) -> None:
    (tmp_path / "profile.json").write_text(text)
    with pytest.raises(StateError, match=problem) as refused:
        resolve_profile(tmp_path, ProfileChoice())
    assert "profile.json" in str(refused.value)
    assert (tmp_path / "profile.json").read_text() == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1]", "expected an object of plan names"),
        ('{"gold": {}}', "unknown plan 'gold'"),
        ('{"starter": 5}', "starter must be an object"),
        ('{"starter": {"rows": 5}}', "unknown quota starter.rows"),
        ('{"starter": {"rowsRead": -1}}', "starter.rowsRead is -1"),
        ('{"starter": {"rowsRead": true}}', "starter.rowsRead is True"),
    ],
)
def test_bad_plan_overrides_name_the_key(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "plan-overrides.json").write_text(text)
    with pytest.raises(StateError, match=problem):
        load_plan_overrides(tmp_path)


def test_the_plan_table_per_platform_with_overrides() -> None:
    fly = {p["name"]: p["quotas"] for p in plans.plan_table("fly", {})}
    aws = {p["name"]: p["quotas"] for p in plans.plan_table("aws", {"pro": {"rowsRead": 7}})}
    assert fly["starter"]["locations"] == 3 and aws["starter"]["locations"] == 1
    assert aws["pro"]["rowsRead"] == 7 and fly["pro"]["rowsRead"] == 250_000_000_000
    assert plans.limit(fly["enterprise"], "rowsRead") is None  # 0: unlimited, as turso-cli reads it
    assert plans.limit(fly["scaler"], "databases") is None  # null: unlimited
    assert plans.PLANS[0]["quotas"]["locations"] == 3  # the module's table is never changed


def _usage(read: int = 0, written: int = 0, storage: int = 0) -> dict[str, int]:
    return {"rows_read": read, "rows_written": written, "storage_bytes": storage}


def test_the_block_a_usage_earns() -> None:
    quotas = {"rowsRead": 100, "rowsWritten": 10, "storage": 1000}
    starter, scaler = Profile(), Profile(plan="scaler")
    assert (
        decide(_usage(100, 10, 1000), quotas, starter, "2026-12") == Block()
    )  # at the quota: fine
    written = decide(_usage(written=11), quotas, starter, "2026-12")
    assert (written.reads, written.writes) == (False, True)
    assert written.reason is not None
    assert "10 rows written for 2026-12" in written.reason and "2027-01-01" in written.reason
    assert written.reason.endswith("(upgrade the plan)")
    read = decide(_usage(read=101), quotas, scaler, "2026-12")
    assert (read.reads, read.writes) == (True, True)
    assert read.reason is not None and "enable overages" in read.reason
    stored = decide(_usage(storage=1001), quotas, starter, "2026-12")
    assert stored.writes and stored.reason is not None and "storage" in stored.reason
    overages = Profile(plan="scaler", overages=True)
    assert decide(_usage(10**9, 10**9, 10**9), quotas, overages, "2026-12") == Block()
    unlimited = {"rowsRead": 0, "rowsWritten": None, "storage": 0}
    assert decide(_usage(10**12, 10**12, 10**12), unlimited, starter, "2026-12") == Block()


def test_a_databases_namespace_config_is_its_own_block_or_the_orgs() -> None:
    db = DatabaseState(name="a", group="g", port=1, block_writes=True)
    assert effective(db, Block()) == {
        "block_reads": False,
        "block_writes": True,
        "block_reason": None,
    }
    quota = Block(reads=True, writes=True, reason="used up")
    assert effective(db, quota) == {
        "block_reads": True,
        "block_writes": True,
        "block_reason": "used up",
    }


def test_periods_and_their_reset() -> None:
    assert period_of(1_796_083_200) == "2026-12"  # 2026-12-01T00:00:00Z
    assert period_of(1_796_083_199) == "2026-11"
    assert reset_date("2026-12") == "2027-01-01" and reset_date("2026-01") == "2026-02-01"


def test_meters_count_the_period_across_sqld_restarts() -> None:
    meters = Meters()
    raw = {"rows_read": 10, "rows_written": 5, "bytes_synced": 0}
    assert meters.read("new", raw) == raw  # new since the period began: all of it
    meters.start_period({"new": raw, "down": None})
    assert meters.read("new", raw) == {"rows_read": 0, "rows_written": 0, "bytes_synced": 0}
    assert meters.read("new", {**raw, "rows_written": 8})["rows_written"] == 3
    # sqld restarted from older saved counts (it saves every 5 s): what it lost is carried.
    assert meters.read("new", {**raw, "rows_written": 6})["rows_written"] == 3
    assert meters.read("new", {**raw, "rows_written": 9})["rows_written"] == 6
    assert meters.read("new", None)["rows_written"] == 6  # sqld did not answer: the last reading
    # An instance the period's start could not read starts from its first reading.
    assert meters.read("down", {**raw, "rows_read": 50})["rows_read"] == 0
    again = Meters.from_json(json.loads(json.dumps(meters.to_json())))
    assert again.read("new", {**raw, "rows_written": 9})["rows_written"] == 6
    assert meters.changed  # until what to_json gave is saved
    meters.saved()
    assert not meters.changed
    with pytest.raises(KeyError):
        Meters.from_json({"meters": {}})


def test_pages_and_cursors() -> None:
    names = [f"db-{n}" for n in range(5)]
    assert page(names, {}) == (names, None)
    first, pagination = page(names, {"limit": "2"})
    assert first == ["db-0", "db-1"] and pagination is not None
    assert decode_cursor(pagination["next"]) == "db-2"
    assert page(names, {"limit": "2", "cursor": encode_cursor("db-4")}) == (
        ["db-4"],
        {"next": None},
    )
    assert page(names, {"limit": "9999"})[0] == names and MAX_PAGE == 1000
    for query in ({"limit": "0"}, {"limit": "-1"}, {"limit": "two"}, {"cursor": "@@"}):
        with pytest.raises(ApiError) as refused:
            page(names, query)
        assert refused.value.status == 400


def test_where_groups_and_replicas_may_go() -> None:
    assert "sjc" in locations("fly") and all(c.startswith("aws-") for c in locations("aws"))
    check_group_location("aws", "aws-us-east-1")
    check_group_location("aws", "sjc", legacy=True)  # the demo org's group
    with pytest.raises(ApiError, match="invalid location 'sjc'"):
        check_group_location("aws", "sjc")
    with pytest.raises(ApiError, match="invalid location 'aws-us-east-1'"):
        check_group_location("fly", "aws-us-east-1")
    aws_group = GroupState(name="g", primary="aws-eu-west-1", locations=["aws-eu-west-1"])
    with pytest.raises(ApiError, match="replication is not available on AWS") as refused:
        check_replica_location(aws_group, "aws-us-east-1")
    assert refused.value.status == 400 and "deprecated" in refused.value.message
    check_replica_location(GroupState(name="f", primary="sjc", locations=["sjc"]), "iad")


def test_database_ids_are_never_read_as_the_new_turso_engines() -> None:
    import uuid

    assert all(uuid.UUID(new_database_id()).bytes[5] != 0x10 for _ in range(3000))
