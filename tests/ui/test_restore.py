"""Restore wizard: the checks (window, times, names, verification) and the cloud flow over the fake org."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import Input

from tursotui.ops.errors import InputError
from tursotui.ops.restore_plan import (
    Window,
    check_new_name,
    compare,
    parse_wizard_time,
    retention_for_plan,
    show_time,
)
from tursotui.ui.wizards.restore import READ_ONLY_REFUSAL
from tursotui.ui.wizards.restore_steps import StepScreen

from .helpers import NOW, AppFactory, ready


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def test_plan_windows() -> None:
    assert retention_for_plan("starter") == timedelta(hours=24)
    assert retention_for_plan("Developer") == timedelta(days=10)
    assert retention_for_plan("scaler") == timedelta(days=30)
    assert retention_for_plan("pro") == timedelta(days=90)


def test_times_local_utc_relative() -> None:
    assert parse_wizard_time("2h ago", NOW) == NOW - timedelta(hours=2)
    assert parse_wizard_time("2026-06-15T10:00:00Z", NOW) == datetime(2026, 6, 15, 10, tzinfo=UTC)
    assert parse_wizard_time("2026-06-15 10:00", NOW) == datetime(2026, 6, 15, 10, tzinfo=UTC)
    with pytest.raises(InputError, match="future"):
        parse_wizard_time("2026-06-16 10:00", NOW)
    with pytest.raises(InputError):
        parse_wizard_time("yesterday-ish", NOW)
    shown = show_time(datetime(2026, 6, 15, 10, tzinfo=UTC))
    assert "UTC 2026-06-15 10:00:00" in shown and "RFC3339 2026-06-15T10:00:00Z" in shown


def test_window_and_age() -> None:
    window = Window(timedelta(hours=24), "plan starter", oldest=NOW - timedelta(hours=5))
    window.check(NOW - timedelta(hours=2), NOW)
    with pytest.raises(InputError, match="24 h window"):
        window.check(NOW - timedelta(days=3), NOW)
    with pytest.raises(InputError, match="before the database existed"):
        window.check(NOW - timedelta(hours=6), NOW)


def test_new_name_checked_free_and_valid() -> None:
    assert check_new_name(" db-2 ", "db", {"db"}) == "db-2"
    for bad, why in (
        ("db", "new name"),
        ("Taken", "invalid"),
        ("x_y", "invalid"),
        ("old", "exists"),
    ):
        with pytest.raises(InputError, match=why):
            check_new_name(bad, "db", {"db", "old"})


def test_verification_counts_side_by_side() -> None:
    schema = [("table", "users", "CREATE TABLE users(id)")]
    result = compare(schema, schema, {"users": 10}, {"users": 8})
    assert result.schema_equal
    assert result.counts == (("users", 10, 8),)
    other = compare(schema, [], {"users": 10}, {})
    assert not other.schema_equal and other.schema_differences == ("only in source: table users",)


async def step(pilot: Pilot[Any], title: str) -> StepScreen:
    for _ in range(100):
        await pilot.pause()
        screen = pilot.app.screen
        if isinstance(screen, StepScreen) and title in screen.step_title:
            return screen
    raise AssertionError(f"no step {title}: {pilot.app.screen}")


async def test_cloud_flow_checks_each_step_and_cancel_changes_nothing(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await step(pilot, "Database")
        await pilot.press("enter")
        screen = await step(pilot, "Time")
        assert "~15 s" in str(screen.query_one("#step-warning").render())
        field = screen.query_one(Input)
        field.value = "3d ago"
        await pilot.pause()
        feedback = str(screen.query_one("#step-feedback").render())
        assert "older than the 24 h window (plan starter)" in feedback
        await pilot.press("enter")
        assert app.screen is screen  # refused: still on the time step
        field.value = "2h ago"
        await pilot.pause()
        assert "RFC3339 2026-06-15T10:00:00Z" in str(screen.query_one("#step-feedback").render())
        await pilot.press("enter")
        screen = await step(pilot, "New name")
        assert screen.query_one(Input).value == "xswarm-users-restore-20260615-1000"
        screen.query_one(Input).value = "xswarm-staging"
        await pilot.pause()
        assert "already exists" in str(screen.query_one("#step-feedback").render())
        screen.query_one(Input).value = "xswarm-users-restore-20260615-1000"
        await pilot.press("enter")
        screen = await step(pilot, "Confirm")
        screen.query_one(Input).value = "wrong"
        await pilot.press("enter")
        assert app.screen is screen
        await pilot.press("escape")
        for _ in range(20):
            await pilot.pause()
        assert app.screen.id == "main"
    assert fake.count("POST", "/databases") == 0


async def test_read_only_mode_refuses_the_restore_wizard(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    """It would create a database, mint a full-access token and repoint config.toml and .env."""
    app = make_app(fake, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        for _ in range(10):
            await pilot.pause()
        assert app.screen.id == "main"  # no wizard step opened
        assert [n.message for n in app._notifications] == [READ_ONLY_REFUSAL]
    assert fake.count("POST", "/databases") == 0
    assert fake.count("POST", "/auth/tokens") == 0
