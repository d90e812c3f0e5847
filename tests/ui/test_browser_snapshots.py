"""Snapshots of the table browser, its row modals and every restore wizard step at 80×24 and 120×36
(fixed clock, fake org, a fixed sqlite3 session, TZ=UTC, no blink), and screenshots/browser.svg, restore.svg."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import TOKEN, FakeOrg
from textual.pilot import Pilot
from textual.widgets import Input

from tursotui.ops.restore import Verification
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.choices import Choice
from tursotui.ui.wizards.restore_steps import ProgressScreen, step_title
from tursotui.ui.wizards.restore_verify import VerifyScreen

from .browser_fakes import FAKE_SQL_TOKEN, install
from .helpers import AppFactory, ready, write_screenshot

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture(autouse=True)
def _fixed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    install(monkeypatch, tmp_path)


async def _settle(pilot: Pilot[Any], wait_for: str | None) -> None:
    for _ in range(100):
        await pilot.pause()
        if wait_for is None or type(pilot.app.screen).__name__ == wait_for:
            break
    if wait_for is None:
        await pilot.app.workers.wait_for_complete()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def browse(*pressed: str, wait_for: str | None = None, value: str | None = None) -> RunBefore:
    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("b")
        await _settle(pilot, None)
        await pilot.press(*pressed)
        await _settle(pilot, wait_for)
        if value is not None:
            pilot.app.screen.query(Input).first().value = value
            await pilot.pause()

    return run


def wizard(*steps: tuple[str, str | None]) -> RunBefore:
    """Press R, then for each (key, value): fill the step's field with value (if any) and press key."""

    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("R")
        await _settle(pilot, "StepScreen")
        for key, value in steps:
            if value is not None:
                pilot.app.screen.query(Input).first().value = value
                await pilot.pause()
            if key:
                await pilot.press(key)
                await _settle(pilot, "StepScreen")
        await _settle(pilot, "StepScreen")

    return run


@SIZES
def test_browser(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(fake), terminal_size=size, run_before=browse())


@SIZES
def test_browser_read_only_search(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = browse("slash", *"user01", "asterisk", "enter")
    assert snap_compare(make_app(fake, read_only=True), terminal_size=size, run_before=run)


@SIZES
def test_row_detail(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = browse("enter", wait_for="RowDetailScreen")
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_row_editor(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = browse("u", wait_for="RowEditorScreen")
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_edit_confirm(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await browse("u", wait_for="RowEditorScreen")(pilot)
        pilot.app.screen.query_one("#field-6", Input).value = "jarvis"
        await pilot.press("ctrl+s")
        await _settle(pilot, "SqlConfirmScreen")

    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_restore_database(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(fake), terminal_size=size, run_before=wizard())


@SIZES
def test_restore_time(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = wizard(("enter", None), ("", "2h ago"))
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_restore_time_outside_window(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = wizard(("enter", None), ("", "3d ago"))
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_restore_name(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = wizard(("enter", None), ("enter", "2h ago"))
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_restore_confirm(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = wizard(
        ("enter", None),
        ("enter", "2h ago"),
        ("enter", "xswarm-users-0615"),
        ("", "xswarm-users-0615"),
    )
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


def _local_points(monkeypatch: pytest.MonkeyPatch) -> None:
    from tursotui.platform import PlatformClient
    from tursotui.platform.models_local import RecoveryPoint, RecoveryPoints

    points = RecoveryPoints(
        (
            RecoveryPoint(
                "rp-1", datetime(2026, 6, 14, 13, 0, tzinfo=UTC), 2_400_000, "demo org created"
            ),
            RecoveryPoint("rp-2", datetime(2026, 6, 15, 9, 30, tzinfo=UTC), 2_500_000, "changed"),
        ),
        1.0,
    )

    async def fake_points(platform: object, name: str, org: str | None = None) -> RecoveryPoints:
        return points

    monkeypatch.setattr(PlatformClient, "local_recovery_points", fake_points)


@SIZES
def test_restore_recovery_point_local(
    snap_compare: SnapCompare,
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    _local_points(monkeypatch)
    app = make_app(FakeOrg.local_turso())
    assert snap_compare(app, terminal_size=size, run_before=wizard(("enter", None)))


@SIZES
def test_restore_typed_time_local(
    snap_compare: SnapCompare,
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    """The local wizard's typed time: the recovery point it will use is named under the field."""
    _local_points(monkeypatch)
    app = make_app(FakeOrg.local_turso())
    run = wizard(("enter", None), ("end", None), ("enter", None), ("", "2026-06-15 09:45"))
    assert snap_compare(app, terminal_size=size, run_before=run)


def _verify_screen() -> VerifyScreen:
    result = Verification(
        True, (), (("subscription_items", 41, 40), ("usage", 41, 41), ("users", 203, 202))
    )
    choices = [
        Choice(
            "point",
            "Mint a token for xswarm-users-0615 and point config.toml and .env at it (both backed up first)",
        ),
        Choice("done", "Done: leave config.toml and .env as they are"),
    ]
    moment = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    return VerifyScreen("xswarm-users", "xswarm-users-0615", moment, result, choices)


def pushed(make: Callable[[], Any]) -> RunBefore:
    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.app.push_screen(make())
        await _settle(pilot, None)

    return run


@SIZES
def test_restore_progress(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = pushed(
        lambda: ProgressScreen(
            step_title(4, "Restore"), "Creating xswarm-users-0615 from xswarm-users…"
        )
    )
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_restore_verify(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(fake), terminal_size=size, run_before=pushed(_verify_screen))


@pytest.mark.parametrize("name", ["browser", "restore"])
async def test_readme_screenshots(make_app: AppFactory, fake: FakeOrg, name: str) -> None:
    """screenshots/browser.svg and restore.svg at 120×36, written only when changed; never a token in them."""
    app: TursoApp = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        if name == "browser":
            await browse()(pilot)
        else:
            await pushed(_verify_screen)(pilot)
        write_screenshot(app, name, (TOKEN, FAKE_SQL_TOKEN))
