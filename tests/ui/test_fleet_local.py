"""End to end on the local Turso (real sqld): bulk actions of the Databases pane on a few dozen databases —
a verified backup of ten, then a delete of ten where one is under delete protection (refused, and kept)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixtures.local_turso import started_org
from textual.pilot import Pilot

from tursotui.ui.dialogs.bulk import BulkChoiceScreen, BulkConfirmScreen
from tursotui.ui.dialogs.error import ErrorScreen
from tursotui.ui.panes.databases import DatabasesPane

from .helpers import local_app

NAMES = [f"fleet-{i:02d}" for i in range(30)]


async def wait(pilot: Pilot[Any], until: Callable[[], bool], rounds: int = 3000) -> None:
    for _ in range(rounds):
        if until():
            return
        await pilot.pause(0.02)
    raise AssertionError("timed out")


async def bulk(pilot: Pilot[Any], action: str, count: int) -> None:
    app = pilot.app
    await pilot.press("A")
    await wait(pilot, lambda: isinstance(app.screen, BulkChoiceScreen))
    options = app.screen.query_one("#bulk-actions")
    options.highlighted = next(i for i, o in enumerate(options.options) if o.id == action)
    await pilot.press("enter")
    await wait(pilot, lambda: isinstance(app.screen, BulkConfirmScreen))
    await pilot.press(*str(count), "enter")


async def test_bulk_backup_and_delete_on_the_local_turso(tmp_path: Path, sqld_binary: Path) -> None:
    async with started_org(
        tmp_path / "local",
        sqld_binary,
        groups={"fleet": ["sjc"]},
        databases=[(name, "fleet") for name in NAMES],
    ) as turso:
        platform = turso.platform_client(max_retries=0)
        try:
            await platform.update_database_configuration("fleet-13", delete_protection=True)
            app = local_app(turso, tmp_path)
            async with app.run_test(size=(120, 36)) as pilot:
                await wait(pilot, lambda: app.screen.id == "main" and app.main.refresh_count >= 1)
                pane = app.main.query_one(DatabasesPane)
                assert pane.databases_table.row_count == len(NAMES)
                # a verified backup of fleet-00 … fleet-09
                await pilot.press("slash", *"fleet-0", "enter", "asterisk")
                assert len(pane.fleet.selection) == 10
                await bulk(pilot, "backup", 10)
                await wait(pilot, lambda: pane.bulk.last is not None)
                report = pane.bulk.last
                assert report is not None and report.summary() == "10 backed up", report.details()
                files = sorted(p.name for p in app.services.backups_path.glob("*.sql"))
                assert [f.split("-2")[0] for f in files] == NAMES[:10]
                # a delete of fleet-10 … fleet-19: fleet-13 is refused, the others go
                pane.bulk.last = None
                await pilot.press("escape")  # the selection cleared
                assert len(pane.fleet.selection) == 0
                await pilot.press("slash", "ctrl+u", *"fleet-1", "enter", "asterisk")
                await bulk(pilot, "delete", 9)
                await wait(pilot, lambda: isinstance(app.screen, ErrorScreen))
                assert "9 deleted, 1 refused" in app.screen.error_title
                assert "fleet-13: refused: delete protection is on" in app.screen.text
                await pilot.press("escape")
                left = {db.name for db in await platform.list_databases()}
                assert left == {*NAMES[:10], "fleet-13", *NAMES[20:]}
                await wait(pilot, lambda: pane.databases_table.row_count == 1)  # refreshed
        finally:
            await platform.aclose()
