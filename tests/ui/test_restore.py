"""Restore wizard: the checks (window, times, names, verification) and the cloud flow over the fake org."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from tursotui.local.host.demo import DEMO_DATABASE, ensure_demo_org
from tursotui.local.host.service import LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.models_local import RecoveryPoint, RecoveryPoints
from tursotui.ui.messages import DatabaseSelected
from tursotui.ui.wizards.restore import READ_ONLY_REFUSAL
from tursotui.ui.wizards.restore_steps import StepScreen
from tursotui.ui.wizards.restore_verify import VerifyScreen

from .helpers import AppFactory, local_app, ready

POINTS = RecoveryPoints(
    (
        RecoveryPoint("rp-1", datetime(2026, 6, 14, 13, 0, tzinfo=UTC), 2_400_000, "initial"),
        RecoveryPoint("rp-2", datetime(2026, 6, 15, 9, 30, tzinfo=UTC), 2_500_000, "changed"),
    ),
    1.0,
)


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
def local_points(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The local Turso's recovery points of every database are POINTS; the names asked for are kept."""
    asked: list[str] = []

    async def fake_points(platform: object, name: str, org: str | None = None) -> RecoveryPoints:
        asked.append(name)
        return POINTS

    monkeypatch.setattr(PlatformClient, "local_recovery_points", fake_points)
    return asked


def feedback(screen: StepScreen) -> str:
    return str(screen.query_one("#step-feedback").render())


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
        assert "older than the 24 h window (plan starter)" in feedback(screen)
        await pilot.press("enter")
        assert app.screen is screen  # refused: still on the time step
        field.value = "2h ago"
        await pilot.pause()
        assert feedback(screen) == "2h ago = 2026-06-15 10:00:00 UTC"
        await pilot.press("enter")
        screen = await step(pilot, "New name")
        assert screen.query_one(Input).value == "xswarm-users-restore-20260615-1000"
        screen.query_one(Input).value = "xswarm-staging"
        await pilot.pause()
        assert "already exists" in str(screen.query_one("#step-feedback").render())
        screen.query_one(Input).value = "xswarm-users-restore-20260615-1000"
        await pilot.press("enter")
        screen = await step(pilot, "Confirm")
        body = str(screen.query_one("#step-body").render())
        assert "as of 2h ago = 2026-06-15 10:00:00 UTC" in body
        assert "Turso Cloud restores to this exact time (it lists no recovery points)" in body
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


async def test_cloud_plan_unknown_here_leaves_the_time_to_the_server(make_app: AppFactory) -> None:
    """An enterprise plan has no window known here: any past time goes to Turso Cloud, which judges."""
    fake = FakeOrg.acme(subscription="enterprise")
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await step(pilot, "Database")
        await pilot.press("enter")
        screen = await step(pilot, "Time")
        assert "Window: unknown (plan enterprise): Turso Cloud judges the time" in str(
            screen.query_one("#step-body").render()
        )
        screen.query_one(Input).value = "40 days ago"
        await pilot.pause()
        assert feedback(screen) == "40 days ago = 2026-05-06 12:00:00 UTC"
        screen.query_one(Input).value = "tomorrow 10:00"
        await pilot.pause()
        assert "is in the future" in feedback(screen)
        await pilot.press("escape")
    assert fake.count("GET", "/local-recovery-points") == 0  # never asked of the cloud


async def test_local_typed_time_names_the_point_before_confirming(
    make_app: AppFactory, local_points: list[str]
) -> None:
    fake = FakeOrg.local_turso()
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await step(pilot, "Database")
        await pilot.press("enter")
        screen = await step(pilot, "Recovery point or time")
        options = screen.query_one("#step-options", OptionList)
        prompts = [str(o.prompt) for o in options.options]
        assert prompts[0].startswith("local 2026-06-15 09:30:00 UTC · UTC 2026-06-15 09:30:00")
        assert prompts[-1].startswith("Type a time instead")
        options.highlighted = len(prompts) - 1
        await pilot.press("enter")
        screen = await step(pilot, "Time")
        field = screen.query_one(Input)
        field.value = "2026-06-15 09:45"  # a local time (TZ=UTC here)
        await pilot.pause()
        assert feedback(screen) == (
            "2026-06-15 09:45:00 local (UTC +00:00) = 2026-06-15 09:45:00 UTC\n"
            "recovery point rp-2 taken 2026-06-15 09:30:00 UTC, 15 min before the time asked: "
            "writes in between are not in the copy."
        )
        field.value = "2026-06-14 12:00"
        await pilot.pause()
        assert "before the database existed (created 2026-06-14 13:00:00 UTC)" in feedback(screen)
        await pilot.press("enter")
        assert app.screen is screen  # refused
        field.value = "2026-06-15 09:45"
        await pilot.press("enter")
        screen = await step(pilot, "New name")
        assert screen.query_one(Input).value == "xswarm-users-restore-20260615-0945"
        await pilot.press("enter")
        screen = await step(pilot, "Confirm")
        body = str(screen.query_one("#step-body").render())
        assert "recovery point rp-2 taken 2026-06-15 09:30:00 UTC, 15 min before" in body
        await pilot.press("escape")
        for _ in range(20):
            await pilot.pause()
        assert app.screen.id == "main"
    assert local_points == ["xswarm-users"]
    assert fake.count("POST", "/databases") == 0


async def test_local_picked_point_is_named_at_the_time_asked(
    make_app: AppFactory, local_points: list[str]
) -> None:
    app = make_app(FakeOrg.local_turso())
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("R")
        await step(pilot, "Database")
        await pilot.press("enter")
        await step(pilot, "Recovery point or time")
        await pilot.press("enter")  # the newest point, highlighted first
        screen = await step(pilot, "New name")
        assert screen.query_one(Input).value == "xswarm-users-restore-20260615-0930"
        await pilot.press("enter")
        screen = await step(pilot, "Confirm")
        body = str(screen.query_one("#step-body").render())
        assert "as of recovery point rp-2 = 2026-06-15 09:30:00 UTC" in body
        assert "recovery point rp-2 taken 2026-06-15 09:30:00 UTC, at the time asked" in body
        await pilot.press("escape")


async def test_typed_time_restore_on_the_real_local_turso(
    local_turso: LocalTurso, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the console on real sqld: a local wall-clock time typed (TZ=America/New_York), the
    point it uses named before confirming, the copy made from exactly that point and verified."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    await ensure_demo_org(
        local_turso, config_path=tmp_path / "config.toml", env_path=tmp_path / ".env", users=50
    )
    newest = local_turso.pitr.list(DEMO_DATABASE)[-1]
    await asyncio.sleep(max(0.0, int(newest.taken_at) + 2 - time.time()))
    app = local_app(local_turso, tmp_path, database_name=DEMO_DATABASE)

    async def until(pilot: Pilot[Any], done: Callable[[], bool], rounds: int = 500) -> None:
        for _ in range(rounds):
            await pilot.pause(0.02)
            if done():
                return
        raise AssertionError(f"still on {app.screen}: {app.last_error}")

    def on(title: str) -> bool:
        return title in getattr(app.screen, "step_title", "")

    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.screen.id == "main")
        await pilot.press("R")
        await until(pilot, lambda: on("Database"))
        await pilot.press("enter")
        await until(pilot, lambda: on("Recovery point or time"))
        await pilot.press("end", "enter")  # "Type a time instead", the last choice
        await until(pilot, lambda: on("Time"))
        wall = f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S}"
        app.screen.query_one(Input).value = wall
        await pilot.pause()
        named = f"recovery point {newest.id} taken "
        shown = str(app.screen.query_one("#step-feedback").render())
        assert shown.startswith(f"{wall} local (E") and named in shown, shown
        await pilot.press("enter")
        await until(pilot, lambda: on("New name"))
        app.screen.query_one(Input).value = "xswarm-typed"
        await pilot.press("enter")
        await until(pilot, lambda: on("Confirm"))
        assert named in str(app.screen.query_one("#step-body").render())
        app.screen.query_one(Input).value = "xswarm-typed"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VerifyScreen), rounds=1500)
        verify = app.screen
        assert isinstance(verify, VerifyScreen) and verify.result.ok
        counts = {t: (a, b) for t, a, b in verify.result.counts}
        assert counts["users"] == (52, 52)
        await pilot.press("escape")  # done: config left as it is
        await until(pilot, lambda: app.screen.id == "main")
    client = local_turso.platform_client()
    try:
        restored = await client.get_database("xswarm-typed")
    finally:
        await client.aclose()
    assert restored.parent is not None and restored.parent.name == DEMO_DATABASE
    assert restored.parent.branched == datetime.fromtimestamp(int(newest.taken_at), UTC)
    monkeypatch.undo()
    time.tzset()


async def test_the_selected_database_is_offered_first_from_the_snapshot(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        app.main.post_message(DatabaseSelected("xswarm-staging"))
        await pilot.pause()
        assert app.selected == "xswarm-staging"
        listed = fake.count("GET", "/databases")
        await pilot.press("R")
        screen = await step(pilot, "Database")
        options = screen.query_one(OptionList)
        first = options.get_option_at_index(0)
        assert first.id == "xswarm-staging"
        # The wizard read the console's snapshot: no list of databases was fetched for it.
        assert fake.count("GET", "/databases") == listed
