"""Snapshots of every screen and modal at 80×24 and 120×36 (fixed clock, fixed latencies, no blink, no
animations), and the SVGs in screenshots/ that the README shows.

Review changes with the report pytest-textual-snapshot writes, then ``pytest tests/ui --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fixtures.fake_org import TOKEN, FakeOrg
from textual.pilot import Pilot
from textual.widgets import Input

from tursotui.ui.app import TursoApp

from .helpers import AppFactory, keys, ready, write_screenshot

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


@SIZES
def test_databases(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(fake), terminal_size=size, run_before=keys())


@SIZES
def test_databases_local_turso(
    snap_compare: SnapCompare, make_app: AppFactory, size: tuple[int, int]
) -> None:
    app = make_app(FakeOrg.local_turso(), read_only=True)
    assert snap_compare(app, terminal_size=size, run_before=keys())


@SIZES
def test_usage(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(fake), terminal_size=size, run_before=keys("2"))


def test_usage_ansi_dark(snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake, theme="ansi-dark")
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys("2"))


@SIZES
def test_help(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = keys("question_mark", wait_for="HelpScreen")
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_add_location_picker(
    snap_compare: SnapCompare, make_app: AppFactory, size: tuple[int, int]
) -> None:
    run = keys(
        "a", wait_for="LocationPickerScreen"
    )  # an older org's group: edge replicas still work
    assert snap_compare(make_app(FakeOrg.legacy()), terminal_size=size, run_before=run)


@SIZES
def test_add_location_confirm(
    snap_compare: SnapCompare, make_app: AppFactory, size: tuple[int, int]
) -> None:
    run = keys("a", "enter", wait_for="ConfirmLocationScreen", value="am")
    assert snap_compare(make_app(FakeOrg.legacy()), terminal_size=size, run_before=run)


@SIZES
def test_remove_location_confirm(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = keys("i", "down", "x", wait_for="ConfirmLocationScreen", value="aws-us-east-1")
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_error_modal(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    fake.fail["GET /v1/organizations/acme/databases"] = (
        401,
        {"error": f"token {TOKEN} has expired"},
    )
    run = keys("e", wait_for="ErrorScreen")
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@SIZES
def test_command_palette(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await keys("colon", wait_for="CommandPalette")(pilot)
        await pilot.pause(0.3)  # discovery hits arrive asynchronously
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)


@pytest.mark.parametrize(("name", "pressed"), [("databases", ()), ("usage", ("2",))])
async def test_readme_screenshots(
    make_app: AppFactory, fake: FakeOrg, name: str, pressed: tuple[str, ...]
) -> None:
    """screenshots/<name>.svg at 120×36, written only when it changed; never a token in it."""
    app: TursoApp = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press(*pressed)
        await pilot.pause()
        write_screenshot(app, name, (TOKEN,))


@SIZES
def test_add_location_refused_on_aws(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    """A 2026 organization's AWS group: Turso Cloud refuses edge replicas there; the console says so first."""
    run = keys("a", wait_for="ErrorScreen")
    assert snap_compare(make_app(fake), terminal_size=size, run_before=run)
