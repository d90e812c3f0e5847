"""Table browser: SQL built (keyset, search ranges, quoting) and the pane driven by keys over a fake session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import Input

from tursotui.ops.browse.query import (
    Column,
    PageRequest,
    Search,
    TableInfo,
    delete_query,
    hidden_table,
    insert_query,
    prefix_upper_bound,
    update_query,
)
from tursotui.ui.dialogs.row import RowDetailScreen, RowEditorScreen, SqlConfirmScreen
from tursotui.ui.panes.browser import BrowserPane

from .browser_fakes import USERS, install
from .helpers import AppFactory, ready

USERS_INFO = TableInfo(
    "users",
    (Column("id", "TEXT", False, 1), Column("email", "TEXT", True), Column("phone", "TEXT")),
    indexed=("email",),
)


def test_keyset_never_offset() -> None:
    first = PageRequest(USERS_INFO, 20).build()
    assert first.sql == ('SELECT rowid AS "__tursotui_key0", * FROM "users" ORDER BY rowid LIMIT ?')
    assert first.args == (20,)
    nxt = PageRequest(USERS_INFO, 20, "next", boundary=(40,)).build()
    assert "rowid > ?" in nxt.sql and "OFFSET" not in nxt.sql.upper()
    last = PageRequest(USERS_INFO, 20, "last").build()
    assert last.sql.endswith("ORDER BY rowid DESC LIMIT ?")


def test_sorted_keyset_on_column_and_key() -> None:
    req = PageRequest(USERS_INFO, 10, "next", sort="email", boundary=("b@x", 7))
    query = req.build()
    assert '("email", rowid) > (?, ?)' in query.sql
    assert query.sql.endswith('ORDER BY "email", rowid LIMIT ?')
    assert query.args == ("b@x", 7, 10)
    nulls = PageRequest(USERS_INFO, 10, "next", sort="phone", boundary=(None, 7)).build()
    assert '"phone" IS NULL AND rowid > ?' in nulls.sql


def test_search_exact_and_prefix_use_ranges() -> None:
    assert Search.parse("email", "a@b.c") == Search("email", "a@b.c", "exact")
    assert Search.parse("email", "ada*") == Search("email", "ada", "prefix")
    assert Search.parse("email", "  ") is None
    query = PageRequest(USERS_INFO, 5, search=Search("email", "ada", "prefix")).build()
    assert '"email" >= ? AND "email" < ?' in query.sql
    assert "LIKE" not in query.sql.upper()
    assert query.args[:2] == ("ada", "adb")
    assert prefix_upper_bound("a\U0010ffff") == "b"


def test_changes_bind_every_value_and_quote_identifiers() -> None:
    table = TableInfo('we"ird', (Column("id", pk=1), Column("na me")))
    ins = insert_query(table, {"id": "1", "na me": "NULL"})
    assert ins.sql == 'INSERT INTO "we""ird" ("id", "na me") VALUES (?, ?)'
    assert ins.args == ("1", None)
    upd = update_query(table, (3,), {"id": "1", "na me": "x"}, {"id": "1", "na me": "y'); DROP"})
    assert upd is not None
    assert upd.sql == 'UPDATE "we""ird" SET "na me" = ? WHERE rowid = ?'
    assert upd.args == ("y'); DROP", 3)
    assert update_query(table, (3,), {"id": "1"}, {"id": "1"}) is None
    assert delete_query(table, (3,)).args == (3,)
    without = TableInfo("kv", (Column("k", pk=1), Column("v")), without_rowid=True)
    assert delete_query(without, ("a",)).sql == 'DELETE FROM "kv" WHERE "k" = ?'


@pytest.mark.parametrize(
    "name",
    ["sqlite_sequence", "_litestream_seq", "libsql_wasm_func_table", "turso_cdc", "__turso_x"],
)
def test_internal_tables_hidden(name: str) -> None:
    assert hidden_table(name)
    assert not hidden_table("users")


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


async def test_pane_pages_and_searches(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    install(monkeypatch, tmp_path)
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_browser(pilot)
        assert pane.table_name == "users" and pane.page is not None
        size = len(pane.page.rows)
        assert 5 <= size < len(USERS)
        assert f"rows read {size}" in str(pane.query_one("#browser-status").render())
        await pilot.press("end")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pane.page.rows[-1][0] == USERS[-1][0]
        await pilot.press("pageup")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pane.page.request.direction == "prev"
        await pilot.press("slash", *"user00", "asterisk", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert {r[1][:6] for r in pane.page.rows} == {"user00"}
        await pilot.press("f")  # search phone next
        assert pane.search_column == "phone"


async def test_row_detail_and_edit_confirm_shows_sql(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = install(monkeypatch, tmp_path)
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_browser(pilot)
        await pilot.press("enter")
        detail = await until_screen(pilot, RowDetailScreen)
        assert detail.row["email"] == "test@example.com"
        await pilot.press("escape")
        await pilot.press("u")
        editor = await until_screen(pilot, RowEditorScreen)
        editor.query_one("#field-5", Input).value = "enterprise"
        await pilot.press("ctrl+s")
        confirm = await until_screen(pilot, SqlConfirmScreen)
        assert confirm.query_.sql == 'UPDATE "users" SET "subscription_tier" = ? WHERE rowid = ?'
        assert confirm.query_.args == ("enterprise", 1)
        await pilot.press("n")  # cancelled: nothing changed
        await pilot.pause()
        tier = files["xswarm-users"].execute("SELECT subscription_tier FROM users WHERE rowid = 1")
        assert tier.scalar() == "premium"
        await pilot.press("u")
        editor = await until_screen(pilot, RowEditorScreen)
        editor.query_one("#field-5", Input).value = "enterprise"
        await pilot.press("ctrl+s")
        await until_screen(pilot, SqlConfirmScreen)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        tier = files["xswarm-users"].execute("SELECT subscription_tier FROM users WHERE rowid = 1")
        assert tier.scalar() == "enterprise"


async def test_read_only_disables_writes(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    install(monkeypatch, tmp_path)
    app = make_app(fake, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_browser(pilot)
        assert pane.query_one("#browser-badge").display
        for key in ("n", "u", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.id == "main"
        assert "read-only" in str(pane.query_one("#browser-status").render())


async def test_table_picker_hides_internal_tables(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = install(monkeypatch, tmp_path)
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_browser(pilot)
        files["xswarm-users"].execute("CREATE TABLE IF NOT EXISTS libsql_x (a)")
        await pilot.press("t")
        for _ in range(50):
            await pilot.pause()
            if type(app.screen).__name__ == "LocationPickerScreen":
                break
        ids = [c.code for c in app.screen.choices]  # type: ignore[attr-defined]
        assert ids == ["subscription_items", "usage", "users"]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert pane.table_name == "subscription_items"


def test_replication_lag_parsed_and_shown() -> None:
    from tursotui.platform import Instance
    from tursotui.platform.models_local import parse_replication
    from tursotui.ui.panes.databases_cells import instance_cells

    lags = parse_replication(
        {
            "instances": [
                {"name": "sjc", "type": "primary", "replication_index": 9, "lag": None},
                {"name": "iad", "type": "replica", "replication_index": 7, "lag": 2},
            ]
        }
    )
    replica = Instance(uuid="u-iad", name="iad", type="replica", region="iad")
    assert instance_cells(replica, "1 ms", lags["iad"])[3] == "2 frames"
    assert instance_cells(replica, "1 ms", None)[3] == "n/a"  # Turso Cloud: no API
