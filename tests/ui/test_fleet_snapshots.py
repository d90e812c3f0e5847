"""Snapshots of the fleet view on a fake org of 10,000 databases at 80×24 and 120×36: a filter being typed, a
sort by size with a selection, and a bulk delete's confirmation with the count typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fixtures.fake_fleet import fleet_org
from textual.pilot import Pilot
from textual.widgets import Input

from tursotui.ui.dialogs.bulk import BulkChoiceScreen, BulkConfirmScreen

from .helpers import AppFactory, keys, ready

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BulkConfirmScreen, "CURSOR_BLINK", False)


@SIZES
def test_fleet_filter(
    snap_compare: SnapCompare, make_app: AppFactory, size: tuple[int, int]
) -> None:
    app = make_app(fleet_org(10_000), database_name="tenant-00001")
    run = keys("slash", *"group:prod-eu", "space", *"-00")
    assert snap_compare(app, terminal_size=size, run_before=run)


@SIZES
def test_fleet_sorted_with_selection(
    snap_compare: SnapCompare, make_app: AppFactory, size: tuple[int, int]
) -> None:
    app = make_app(fleet_org(10_000), database_name="tenant-00001")
    run = keys("s", "s", "home", "space", "space", "down", "space")
    assert snap_compare(app, terminal_size=size, run_before=run)


async def _bulk_delete_confirm(pilot: Pilot[Any]) -> None:
    await ready(pilot)
    await pilot.press("slash", *"group:dev 00", "enter", "asterisk", "A")
    app = pilot.app
    for _ in range(200):
        await pilot.pause()
        if isinstance(app.screen, BulkChoiceScreen):
            break
    await pilot.press("down", "down", "down", "enter")  # delete
    for _ in range(200):
        await pilot.pause()
        if isinstance(app.screen, BulkConfirmScreen):
            break
    screen = app.screen
    assert isinstance(screen, BulkConfirmScreen)
    await pilot.press(*str(screen.bulk.count))
    for field in screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@SIZES
def test_fleet_bulk_delete_confirmation(
    snap_compare: SnapCompare, make_app: AppFactory, size: tuple[int, int]
) -> None:
    app = make_app(fleet_org(10_000), database_name="tenant-00001")
    assert snap_compare(app, terminal_size=size, run_before=_bulk_delete_confirm)
