"""The table browser names what it acts on: the delete confirmation names the row by its identifying columns (not
only its rowid), the row detail names the keys that edit and delete, a search on an unindexed column warns before
it reads the whole table (the SQL console's EXPLAIN QUERY PLAN check, with "search anyway"), counts are worded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import Button, Label, Static

from tursotui.libsql import LocalDatabase
from tursotui.ops.browse.query import (
    INDEX_COLUMNS,
    TABLE_COLUMNS,
    TABLE_SQL,
    Column,
    PageRequest,
    Search,
    TableInfo,
    describe_row,
    table_info,
)
from tursotui.ops.browse.session import Page
from tursotui.ops.browse.view import status_line
from tursotui.ui.dialogs.row import RowDetailScreen, SqlConfirmScreen
from tursotui.ui.dialogs.sql import ScanWarningScreen
from tursotui.ui.panes.browser import BrowserPane

from .browser_fakes import install
from .helpers import AppFactory, ready


def _info(db: LocalDatabase, name: str) -> TableInfo:
    return table_info(
        name,
        db.execute(TABLE_COLUMNS, [name]).rows,
        db.execute(INDEX_COLUMNS, [name]).rows,
        db.execute(TABLE_SQL, [name]).scalar(),
    )


def test_identifying_columns_are_the_key_and_the_unique_ones(tmp_path: Path) -> None:
    db = LocalDatabase(tmp_path / "t.db")
    db.execute(
        "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, phone TEXT, "
        "handle TEXT, team TEXT, seat INTEGER, UNIQUE (team, seat))"
    )
    db.execute("CREATE UNIQUE INDEX u_handle ON users(handle) WHERE handle IS NOT NULL")  # partial
    db.execute("CREATE INDEX i_phone ON users(phone)")
    db.execute("CREATE TABLE notes (body TEXT)")
    users = _info(db, "users")
    assert users.identifying == ("id", "email")  # not the partial index, not the two-column one
    assert users.key_columns == ("rowid",) and "phone" in users.indexed
    assert describe_row(users, (8,), {"id": "u-1", "email": "a'b@x.io", "phone": None}) == (
        "id = 'u-1' · email = 'a''b@x.io' · rowid = 8"
    )
    notes = _info(db, "notes")
    assert notes.identifying == ("rowid",)
    assert describe_row(notes, (3,), {"body": "hello"}) == "rowid = 3"
    long = "x" * 80
    assert describe_row(users, (1,), {"id": long, "email": "e"}).startswith(f"id = '{'x' * 38}…")
    with pytest.raises(LookupError, match="no table 'nope'"):
        _info(db, "nope")


def test_status_line_words_one_row() -> None:
    info = TableInfo("users", (Column("id", pk=1),))
    one = Page(PageRequest(info, 20), ("id",), ((1,),), (("a",),), 1, "")
    assert "1 row · first page" in status_line("users", one, None, 1, False)
    two = Page(PageRequest(info, 20), ("id",), ((1,), (2,)), (("a",), ("b",)), 2, "")
    assert "2 rows · first page" in status_line("users", two, None, 2, False)


async def open_browser(pilot: Pilot[Any]) -> BrowserPane:
    await ready(pilot)
    await pilot.press("b")
    pane = pilot.app.screen.query_one(BrowserPane)
    for _ in range(100):
        await pilot.pause()
        if pane.page is not None:
            break
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return pane


async def until_screen(pilot: Pilot[Any], kind: type) -> Any:
    for _ in range(100):
        await pilot.pause()
        if isinstance(pilot.app.screen, kind):
            return pilot.app.screen
    raise AssertionError(f"no {kind.__name__}: {pilot.app.screen}")


async def until(pilot: Pilot[Any], check: Any) -> None:
    for _ in range(200):
        await pilot.pause()
        if check():
            return
    raise AssertionError("never happened")


async def test_delete_confirmation_names_the_row_and_detail_names_real_keys(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = install(monkeypatch, tmp_path)
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_browser(pilot)
        await pilot.press("enter")
        detail = await until_screen(pilot, RowDetailScreen)
        hint = str(detail.query_one(".dialog-hint", Label).render())
        assert "u edit" in hint and "d delete" in hint and "e edit" not in hint
        await pilot.press("escape")
        await pilot.press("d")
        confirm = await until_screen(pilot, SqlConfirmScreen)
        assert confirm.query_.sql == 'DELETE FROM "users" WHERE rowid = ?'
        row = str(confirm.query_one("#sql-row", Static).render())
        assert row == (
            "Row: id = 'test-123' · email = 'test@example.com' · "
            "xswarm_email = 'test@xswarm.ai' · rowid = 1"
        )
        await pilot.press("n")
        await pilot.pause()
        count = files["xswarm-users"].execute("SELECT count(*) FROM users WHERE id = 'test-123'")
        assert count.scalar() == 1


async def test_search_on_an_unindexed_column_asks_before_a_full_scan(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    install(monkeypatch, tmp_path)
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_browser(pilot)
        assert pane.search_column == "email"
        await pilot.press("slash", *"user0007@example.com", "enter")  # indexed: no question
        await until(pilot, lambda: pane.search is not None and pane.page is not None)
        await app.workers.wait_for_complete()
        assert not isinstance(app.screen, ScanWarningScreen)
        assert [r[1] for r in pane.page.rows] == ["user0007@example.com"]  # type: ignore[union-attr]
        assert "1 row · first page" in str(pane.query_one("#browser-status", Static).render())

        await pilot.press("f")  # phone: no index
        assert pane.search_column == "phone"
        await pilot.press("slash", "ctrl+u", *"+15550000012", "enter")
        warning = await until_screen(pilot, ScanWarningScreen)
        assert warning.tables == ["users"] and "SCAN users" in warning.plan
        assert str(warning.query_one("#scan-run", Button).label) == "Search anyway (y)"
        assert "Searching phone scans users" in str(warning.query_one("#scan-body").render())
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ScanWarningScreen))
        await app.workers.wait_for_complete()
        assert pane.search is not None and pane.search.column == "email"  # unchanged

        await pilot.press("slash", "enter")
        await until_screen(pilot, ScanWarningScreen)
        await pilot.press("y")
        await until(pilot, lambda: pane.search == Search("phone", "+15550000012"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [r[2] for r in pane.page.rows] == ["+15550000012"]  # type: ignore[union-attr]
