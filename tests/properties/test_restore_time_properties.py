"""Hypothesis on the one restore-time reader: it never raises anything but InputError, and what it
shows back (RFC 3339, a local wall-clock time, a relative time, its own UTC echo) reads back the same."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tursotui.ops.errors import InputError
from tursotui.ops.restore import read_restore_time
from tursotui.platform.models import format_timestamp

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 12, 5, 3, 0, 0, tzinfo=UTC)
ZONE = "Europe/Berlin"  # daylight saving time: some wall-clock times happen twice or never

past = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=NOW.replace(tzinfo=None) - timedelta(seconds=2)
).map(lambda d: d.replace(tzinfo=UTC))
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m))
)
pieces = st.sampled_from(
    ["2026-12-05", "T", " ", "02:59", ":40", ".5", "Z", "+02:00", "-0530", "ago", "2h", "10 min",
     "yesterday", "today", "now", "an hour", "1d12h", "utc", "99999999", "-", ":", "0"]
)  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _zone() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = ZONE
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def _read_or_refuse(text: str) -> datetime | None:
    try:
        when = read_restore_time(text, NOW)
    except InputError as exc:
        assert exc.exit_code == 2 and exc.message
        assert "has no timezone" not in exc.message
        return None
    assert when.moment.utcoffset() == timedelta(0)
    assert when.moment <= NOW + timedelta(seconds=1)
    assert when.describe().count(" UTC") >= 1
    return when.moment


@FAST
@given(st.one_of(st.text(max_size=40), st.lists(pieces, max_size=6).map("".join)))
def test_any_text_reads_or_is_refused_as_bad_input(text: str) -> None:
    _read_or_refuse(text)


@FAST
@given(past, offsets)
def test_rfc3339_round_trips(moment: datetime, zone: timezone) -> None:
    assert read_restore_time(format_timestamp(moment), NOW).moment == moment
    assert read_restore_time(moment.astimezone(zone).isoformat(), NOW).moment == moment


@FAST
@given(past)
def test_a_local_wall_clock_time_round_trips_unless_it_happens_twice(moment: datetime) -> None:
    wall = moment.astimezone()
    text = f"{wall:%Y-%m-%d %H:%M:%S.%f}"
    try:
        read = read_restore_time(text, NOW)
    except InputError as exc:
        assert "happens twice in local time" in exc.message
        return
    assert read.moment == moment and read.kind == "local"


@FAST
@given(past)
def test_the_utc_echo_reads_back_to_the_second(moment: datetime) -> None:
    for text in (format_timestamp(moment), f"{moment.astimezone():%Y-%m-%d %H:%M:%S}"):
        try:
            shown = read_restore_time(text, NOW).describe()
        except InputError:
            continue  # a local time that happens twice
        echo = shown.split(" = ")[1][:23]  # "2026-12-05 01:59:40 UTC"
        assert read_restore_time(echo, NOW).moment == moment.replace(microsecond=0)


@FAST
@given(st.integers(0, 3650), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_relative_times_are_that_long_before_now(
    days: int, hours: int, mins: int, secs: int
) -> None:
    text = f"{days}d{hours}h{mins}m{secs}s ago"
    delta = timedelta(days=days, hours=hours, minutes=mins, seconds=secs)
    moment = _read_or_refuse(text)
    if delta == timedelta(0):
        assert moment is None
    else:
        assert moment == NOW - delta
