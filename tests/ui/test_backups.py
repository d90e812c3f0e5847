"""The Backups pane over a fake Hrana endpoint: a verified .sql/.db backup with progress, listed
afterwards; cancel leaves nothing; failures are notifications; retention is shown."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from fixtures.fake_org import FakeHrana, FakeOrg
from textual.pilot import Pilot
from textual.widgets import Static

from tursotui.ui.app import TursoApp
from tursotui.ui.panes.backups import BackupsPane

from .helpers import AppFactory, ready


async def open_backups(pilot: Pilot[Any]) -> BackupsPane:
    await ready(pilot)
    await pilot.press("5")
    await pilot.pause()
    return pilot.app.main.query_one(BackupsPane)  # type: ignore[attr-defined,no-any-return]


def status(app: TursoApp) -> str:
    return str(app.main.query_one("#backups-status", Static).render())


async def test_sql_and_db_backups_are_verified_and_listed(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    hrana = FakeHrana.users(40)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_backups(pilot)
        assert (
            f"Database xswarm-users · folder {tmp_path / 'data' / 'backups'} · retention 30 days"
            in str(pane.query_one("#backups-folder", Static).render())
        )
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (
            "✓ xswarm-users-20260615-120000.sql: verified (integrity_check ok, row counts match: 40 rows"
            in status(app)
        )
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = pane.query_one("#backups-table")
        assert table.row_count == 2  # type: ignore[attr-defined]
        names = {b.path.name for b in pane.backups}
        assert names == {"xswarm-users-20260615-120000.sql", "xswarm-users-20260615-120000.db"}
        assert pane.last_result is not None and pane.last_result.tables == {"users": 40}
    db = sqlite3.connect(tmp_path / "data" / "backups" / "xswarm-users-20260615-120000.db")
    assert db.execute("SELECT count(*) FROM users").fetchone() == (40,)


async def test_backup_cancel_leaves_nothing(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    hrana = FakeHrana.users(5)
    started = asyncio.Event()

    def slow_opener(database: str, read_only: bool) -> Any:
        inner = hrana.opener()(database, read_only)

        class Slow:
            async def __aenter__(self) -> Any:
                client = await inner.__aenter__()
                started.set()
                await asyncio.sleep(30)
                return client

            async def __aexit__(self, *exc: object) -> None:
                await inner.__aexit__(*exc)

        return Slow()

    app = make_app(fake, sql_opener=slow_opener)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_backups(pilot)
        await pilot.press("s")
        await started.wait()
        assert pane.running and pane.query_one("#backups-progress").display
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Backup cancelled" in status(app) and not pane.running
    assert list_dir(tmp_path / "data" / "backups") == []


def list_dir(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


async def test_backup_failure_is_a_notification(make_app: AppFactory, fake: FakeOrg) -> None:
    def broken(database: str, read_only: bool) -> Any:
        class Broken:
            async def __aenter__(self) -> Any:
                raise httpx.ConnectError("connection refused")

            async def __aexit__(self, *exc: object) -> None:
                return None

        return Broken()

    app = make_app(fake, sql_opener=broken)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_backups(pilot)
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and "failed" in status(app)
        assert app.last_error is not None and app.last_error[0] == "Backup failed"


async def test_prune_asks_for_the_typed_word_and_keeps_the_newest(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    folder = tmp_path / "data" / "backups"
    folder.mkdir(parents=True)
    names = [  # the clock is 2026-06-15 12:00 UTC; retention 30 days
        "xswarm-users-20260401-020000.sql",  # past retention: pruned
        "xswarm-users-20260501-020000.db",  # past retention: pruned
        "xswarm-users-20260610-020000.sql",  # recent: kept
        "audit-20260101-020000.sql",  # old, but audit's only backup: kept
    ]
    for name in names:
        (folder / name).write_bytes(b"x" * 1000)
    (folder / "notes.txt").write_text("not ours", encoding="utf-8")
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_backups(pilot)
        table = pane.query_one("#backups-table")
        marks = {name: table.get_row(name)[3] for name in names[:3]}  # type: ignore[attr-defined]
        assert marks[names[0]] == marks[names[1]] == "past 30d"
        assert marks[names[2]] == "kept"
        # the selected database's backups are listed; audit's is counted, and pruned with the folder
        assert names[3] not in [k.value for k in table.rows]  # type: ignore[attr-defined]
        assert table.border_subtitle == "3 files · 1 of other databases in the folder"
        await pilot.press("p")
        for _ in range(50):
            await pilot.pause()
            if type(app.screen).__name__ == "ConfirmPruneScreen":
                break
        body = str(app.screen.query_one("#confirm-body", Static).render())
        assert "Delete 2 backups" in body and names[0] in body and names[2] not in body
        await pilot.press(*"prun", "enter")  # not the word: refused, nothing deleted
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmPruneScreen"
        assert all((folder / n).exists() for n in names)
        await pilot.press("e", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sorted(p.name for p in folder.iterdir()) == sorted([names[2], names[3], "notes.txt"])
        assert "Pruned 2 backup(s) older than 30 days" in status(app)
        await pilot.press("p")  # nothing left to prune: said so, no dialog
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is app.main
        assert any("Nothing to prune" in n.message for n in app._notifications)


async def test_prune_cancel_deletes_nothing(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    folder = tmp_path / "data" / "backups"
    folder.mkdir(parents=True)
    for name in ("xswarm-users-20260401-020000.sql", "xswarm-users-20260610-020000.sql"):
        (folder / name).write_bytes(b"x")
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_backups(pilot)
        await pilot.press("p")
        for _ in range(50):
            await pilot.pause()
            if type(app.screen).__name__ == "ConfirmPruneScreen":
                break
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert len(list(folder.iterdir())) == 2
