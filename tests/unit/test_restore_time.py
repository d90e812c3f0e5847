"""The restore core without a server: the one time reader, the plan's window, the recovery point a
local restore uses, and the verification's comparison."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tursotui.ops.errors import InputError
from tursotui.ops.restore import (
    CLOUD_EXACT,
    Window,
    check_new_name,
    choose_point,
    compare,
    parse_restore_time,
    plan_from,
    point_time,
    read_restore_time,
    retention_for_plan,
)
from tursotui.platform.models_local import RecoveryPoint

NOW = datetime(2026, 12, 5, 3, 0, 0, tzinfo=UTC)


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The user's zone is Europe/Berlin (CET, +01:00 in December)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("zone")
@pytest.mark.parametrize(
    ("text", "utc", "shown"),
    [
        (
            "2026-12-05 02:59:40",
            "01:59:40",
            "2026-12-05 02:59:40 local (CET +01:00) = 2026-12-05 01:59:40 UTC",
        ),
        ("2026-12-05T02:59", "01:59:00", "02:59:00 local (CET +01:00) = 2026-12-05 01:59:00 UTC"),
        ("02:59", "01:59:00", "2026-12-05 02:59:00 local"),
        ("yesterday 14:30", "2026-12-04 13:30:00", "2026-12-04 14:30:00 local"),
        (
            "10 min ago",
            "02:50:00",
            "10 min ago = 2026-12-05 02:50:00 UTC (03:50:00 local, CET +01:00)",
        ),
        ("2h ago", "01:00:00", "2h ago = 2026-12-05 01:00:00 UTC"),
        ("1d12h ago", "2026-12-03 15:00:00", "1d12h ago"),
        ("an hour ago", "02:00:00", "an hour ago"),
        ("3 Days  ago", "2026-12-02 03:00:00", "3 days ago"),
        ("now", "03:00:00", "now = 2026-12-05 03:00:00 UTC"),
        ("2026-12-05T01:59:40Z", "01:59:40", "2026-12-05T01:59:40Z = 2026-12-05 01:59:40 UTC"),
        ("2026-12-05 03:59:40+02:00", "01:59:40", "= 2026-12-05 01:59:40 UTC"),
        ("2026-12-05T01:59:40.123456789z", "01:59:40.123456", "UTC"),
        ("02:59 UTC", "02:59:00", "= 2026-12-05 02:59:00 UTC"),
    ],
)
def test_one_reader_for_every_form(text: str, utc: str, shown: str) -> None:
    when = read_restore_time(text, NOW)
    full = f"{when.moment:%Y-%m-%d %H:%M:%S.%f}"
    assert full.startswith(utc) or full[11:].startswith(utc), full
    assert when.moment.tzinfo is not None and when.moment.utcoffset() == timedelta(0)
    assert shown in when.describe()
    assert parse_restore_time(text, NOW) == when.moment


@pytest.mark.usefixtures("zone")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no restore time given: use a local time"),
        ("yesterday", "'yesterday' needs a time of day: e.g. 'yesterday 14:30'"),
        ("today", "needs a time of day"),
        ("2026-12-05", "needs a time of day too"),
        ("last tuesday", "use a local time (2026-12-05 02:59:40, 02:59 for today"),
        ("2 fortnights ago", "unknown unit 'fortnights'"),
        ("ago", "relative time is numbers with units"),
        ("0h ago", "more than zero"),
        ("99999999999999d ago", "too far back"),
        ("2026-13-45 10:00", "month must be in 1..12"),
        ("2026-12-05 24:00", "hour must be in 0..23"),
        ("2027-01-01T00:00:00Z", "is in the future"),
        ("23:59", "for yesterday's, type 'yesterday 23:59'"),
        ("tomorrow 10:00", "in the future"),
        ("2026-03-29 02:30", "does not exist in local time (the clocks jumped forward)"),
        (
            "2026-10-25 02:30",
            "happens twice in local time (the clocks went back): add the offset, +02:00 or +01:00",
        ),
        ("9999-12-31T23:59:59-23:59", "out of range"),
        ("2026-12-05T01:00+25:00", "bad UTC offset"),
    ],
)
def test_bad_times_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        read_restore_time(text, NOW)
    assert message in err.value.message
    assert "has no timezone" not in err.value.message
    assert err.value.exit_code == 2


def test_a_local_time_follows_the_tz_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for zone, utc_hour in (("UTC", 2), ("America/New_York", 7), ("Asia/Kolkata", 21)):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        moment = read_restore_time("2026-12-04 02:59:40", NOW).moment
        assert (moment.hour, moment.minute, moment.second) == (
            utc_hour,
            29 if zone == "Asia/Kolkata" else 59,
            40,
        )
    monkeypatch.undo()
    time.tzset()


# -- the window ------------------------------------------------------------------------------------


def test_plan_windows_by_base_name_and_unknown_plans_left_to_the_server() -> None:
    assert retention_for_plan("starter") == timedelta(hours=24)
    assert retention_for_plan("Developer") == timedelta(days=10)
    assert retention_for_plan("scaler_overages") == timedelta(days=30)
    assert retention_for_plan("pro") == timedelta(days=90)
    assert retention_for_plan("enterprise") is None


def test_window_refuses_future_outside_and_before_creation() -> None:
    window = Window(timedelta(hours=24), "plan starter", oldest=NOW - timedelta(hours=5))
    window.check(NOW - timedelta(hours=2), NOW)
    with pytest.raises(InputError, match="older than the 24 h window \\(plan starter\\)"):
        window.check(NOW - timedelta(days=3), NOW)
    with pytest.raises(
        InputError, match="before the database existed \\(created 2026-12-04 22:00:00 UTC\\)"
    ):
        window.check(NOW - timedelta(hours=6), NOW)
    with pytest.raises(InputError, match="in the future"):
        window.check(NOW + timedelta(minutes=1), NOW)
    unknown = Window(None, "plan unknown")
    unknown.check(NOW - timedelta(days=400), NOW)  # the server judges
    assert unknown.describe() == "unknown (plan unknown): Turso Cloud judges the time"


# -- the recovery point a local restore uses ----------------------------------------------------------


def _point(n: int, at: datetime, reason: str = "changed") -> RecoveryPoint:
    return RecoveryPoint(f"rp-{n}", at, 1000 * n, reason)


POINTS = (
    _point(1, NOW - timedelta(hours=20), "initial"),
    _point(11, datetime(2026, 12, 5, 1, 40, tzinfo=UTC)),
    _point(12, datetime(2026, 12, 5, 1, 58, 25, tzinfo=UTC)),
)
LOCAL = Window(timedelta(days=1), "local Turso retention_days 1", POINTS[0].taken_at)


def test_the_plan_names_the_latest_point_at_or_before_the_time_and_the_gap() -> None:
    asked = read_restore_time("2026-12-05T01:59:29Z", NOW)
    plan = plan_from("app", "default", LOCAL, POINTS, asked, NOW, local=True)
    assert plan.point == POINTS[2]
    assert plan.point_line() == (
        "recovery point rp-12 taken 2026-12-05 01:58:25 UTC, 64 s before the time asked: "
        "writes in between are not in the copy."
    )
    data = plan.to_json()
    assert (
        data["recovery_point"]["id"] == "rp-12" and data["recovery_point"]["seconds_before"] == 64
    )
    assert data["timestamp"] == "2026-12-05T01:59:29Z" and data["target"] == "local"
    exact = plan_from(
        "app",
        "default",
        LOCAL,
        POINTS,
        read_restore_time("2026-12-05T01:58:25Z", NOW),
        NOW,
        local=True,
    )
    assert exact.point == POINTS[2] and "at the time asked" in exact.point_line()
    earlier = plan_from(
        "app",
        "default",
        LOCAL,
        POINTS,
        read_restore_time("2026-12-05T01:50:00Z", NOW),
        NOW,
        local=True,
    )
    assert earlier.point == POINTS[1] and "10 min before the time asked" in earlier.point_line()


def test_the_cloud_plan_lists_no_point() -> None:
    cloud = Window(timedelta(days=30), "plan scaler")
    plan = plan_from(
        "app", "default", cloud, (), read_restore_time("2h ago", NOW), NOW, local=False
    )
    assert plan.point is None and plan.point_line() == CLOUD_EXACT
    assert plan.to_json()["recovery_point"] is None


def test_before_the_first_point_is_before_the_database_existed() -> None:
    with pytest.raises(InputError, match="before the database existed"):
        plan_from(
            "app", "default", LOCAL, POINTS, read_restore_time("21h ago", NOW), NOW, local=True
        )
    pruned = Window(timedelta(days=1), "local", POINTS[1].taken_at, oldest_is_creation=False)
    with pytest.raises(InputError, match="before the oldest recovery point kept"):
        plan_from(
            "app", "default", pruned, POINTS[1:], read_restore_time("2h ago", NOW), NOW, local=True
        )
    with pytest.raises(InputError, match="no recovery points of app yet"):
        choose_point((), NOW, "app")


def test_a_point_older_than_the_window_is_restored_from_inside_it() -> None:
    old = _point(3, NOW - timedelta(days=3), "initial")
    window = Window(timedelta(days=1), "local", old.taken_at)
    when = point_time(old, (old,), window, NOW)
    assert when is not None and NOW - timedelta(days=1) < when.moment <= NOW
    plan = plan_from("app", "default", window, (old,), when, NOW, local=True)
    assert plan.point == old
    newer = _point(4, NOW - timedelta(days=1) - timedelta(seconds=30))
    assert point_time(old, (old, newer), window, NOW) is None  # no time in the window picks it
    assert point_time(POINTS[2], POINTS, LOCAL, NOW) is not None


def test_new_names_are_checked_free_and_valid() -> None:
    assert check_new_name(" db-2 ", "db", {"db"}) == "db-2"
    for bad, why in (
        ("db", "new name"),
        ("Taken", "invalid"),
        ("x_y", "invalid"),
        ("old", "exists"),
    ):
        with pytest.raises(InputError, match=why):
            check_new_name(bad, "db", {"db", "old"})


def test_verification_fails_on_a_different_schema_only() -> None:
    schema = [("table", "users", "CREATE TABLE users(id)")]
    same = compare(schema, schema, {"users": 10}, {"users": 8})
    assert same.ok and same.counts == (("users", 10, 8),)
    other = compare(schema, [], {"users": 10}, {})
    assert not other.ok and other.schema_differences == ("only in source: table users",)
    assert other.to_json()["row_counts"] == [{"table": "users", "source_now": 10, "restored": None}]
    assert other.summary() == "schema DIFFERENT: only in source: table users"
