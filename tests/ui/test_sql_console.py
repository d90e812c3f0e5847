"""The SQL console over a fake Hrana endpoint (in-memory sqlite3): run, paging, scan warning, plan,
index check, history, export, errors and read-only mode."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeHrana, FakeOrg
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TextArea

from tursotui.ops.sql.history import SqlHistory
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.sql import (
    ExportScreen,
    HistoryScreen,
    PlanScreen,
    ScanWarningScreen,
)
from tursotui.ui.panes.sql import PAGE_SIZE, SqlConsolePane

from .helpers import AppFactory, ready


def pane(app: TursoApp) -> SqlConsolePane:
    return app.main.query_one(SqlConsolePane)


def status(app: TursoApp) -> str:
    return str(app.main.query_one("#sql-status", Static).render())


async def open_console(pilot: Pilot[Any], sql: str = "") -> SqlConsolePane:
    await ready(pilot)
    await pilot.press("3")
    await pilot.pause()
    console = pane(pilot.app)  # type: ignore[arg-type]
    if sql:
        console.editor.load_text(sql)
    return console


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for_screen(pilot: Pilot[Any], kind: type) -> None:
    for _ in range(200):
        await pilot.pause()
        if isinstance(pilot.app.screen, kind):
            return
    raise AssertionError(f"{kind.__name__} never opened; at {pilot.app.screen!r}")


async def test_run_shows_rows_and_counts(make_app: AppFactory, fake: FakeOrg) -> None:
    hrana = FakeHrana.users(20)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(
            pilot,
            "SELECT id, email FROM users WHERE id <= 3;\nSELECT count(*) FROM users WHERE id > 0;",
        )
        assert app.main.focused is console.editor
        await pilot.press("f5")
        await settle(pilot)
        text = status(app)
        assert "1. SELECT id, email" in text and "3 rows · read 3 · written 0" in text
        assert "2. SELECT count(*)" in text
        table = console.results
        assert table.row_count == 1 and [c.label.plain for c in table.ordered_columns] == [
            "count(*)"
        ]
        assert console.outcomes[0].rows[0] == (1, "user1@example.com")


async def test_results_are_paged(make_app: AppFactory, fake: FakeOrg) -> None:
    hrana = FakeHrana.users(250)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, "SELECT id FROM users WHERE id > 0")
        await pilot.press("f5")
        await settle(pilot)
        assert console.results.row_count == PAGE_SIZE
        assert "rows 1–100 of 250 · page 1/3" in str(console.results.border_subtitle)
        await pilot.press("ctrl+pagedown", "ctrl+pagedown", "ctrl+pagedown")
        assert console.results.row_count == 50 and console.page == 2
        await pilot.press("ctrl+pageup")
        assert console.page == 1 and [str(c) for c in console.results.get_row_at(0)] == ["101"]


async def test_full_scan_warns_and_cancel_skips(make_app: AppFactory, fake: FakeOrg) -> None:
    hrana = FakeHrana.users(10)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, "SELECT * FROM users WHERE plan = 'pro'")
        await pilot.press("f5")
        await wait_for_screen(pilot, ScanWarningScreen)
        screen = app.screen
        assert isinstance(screen, ScanWarningScreen) and screen.tables == ["users"]
        await pilot.press("n")
        await settle(pilot)
        assert "cancelled (full scan)" in status(app)
        assert not any(s.startswith("SELECT * FROM users") for s in hrana.statements)
        await pilot.press("f5")
        await wait_for_screen(pilot, ScanWarningScreen)
        await pilot.press("y")
        await settle(pilot)
        assert console.results.row_count == 3
        assert "SELECT * FROM users WHERE plan = 'pro'" in hrana.statements


async def test_indexed_lookup_does_not_warn(make_app: AppFactory, fake: FakeOrg) -> None:
    hrana = FakeHrana.users(10)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, "SELECT id FROM users WHERE phone = '+15550000003'")
        await pilot.press("f5")
        await settle(pilot)
        assert not isinstance(app.screen, ScanWarningScreen)
        assert console.results.row_count == 1


async def test_explain_on_demand_and_index_check(make_app: AppFactory, fake: FakeOrg) -> None:
    hrana = FakeHrana.users(10)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, "SELECT * FROM users WHERE plan = 'pro'")
        await pilot.press("f2")
        await wait_for_screen(pilot, PlanScreen)
        text = str(app.screen.query_one("#plan-text", Static).render())
        assert "SCAN users" in text and "full scan of users" in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f3")
        await settle(pilot)
        assert "Index check: 1 index (idx_users_phone)" in status(app)
        names = [str(console.results.get_row_at(i)[0]) for i in range(console.results.row_count)]
        assert "idx_users_phone" in names
        assert "SELECT name FROM sqlite_master WHERE type='index'" in hrana.statements


async def test_sql_error_shows_server_message(make_app: AppFactory, fake: FakeOrg) -> None:
    hrana = FakeHrana.users(3)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, "SELECT '[/] [bold]x' AS v")
        await pilot.press("f5")
        await settle(pilot)
        assert str(console.results.get_row_at(0)[0]) == "[/] [bold]x"  # data is never markup
        console.editor.load_text("SELECT nope FROM users")
        await pilot.press("f5")
        await settle(pilot)
        assert "error: SQLite error: no such column: nope" in status(app)
        assert app.is_running


async def test_read_only_mode_refuses_writes(make_app: AppFactory, fake: FakeOrg) -> None:
    hrana = FakeHrana.users(3)
    app = make_app(fake, sql_opener=hrana.opener(), read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, "DELETE FROM users WHERE id = 1")
        assert "read-only token" in str(app.main.query_one("#sql-target", Static).render())
        await pilot.press("f5")
        await settle(pilot)
        assert "read-only mode" in status(app) and "readonly" in status(app)
        assert hrana.db.execute("SELECT count(*) FROM users").fetchone() == (3,)
        assert console.outcomes[0].error is not None


async def test_history_is_persisted_bounded_and_without_secrets(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    hrana = FakeHrana.users(3)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, "SELECT 1")
        await pilot.press("f5")
        await settle(pilot)
        console.editor.load_text("SELECT 2")
        await pilot.press("f5")
        await settle(pilot)
        console.editor.load_text("SELECT 'eyJhbGciOiJFZERTQSJ9.eyJhIjoicm8ifQ.c2lnbmF0dXJlc2ln'")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f4")
        await wait_for_screen(pilot, HistoryScreen)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert console.editor.text == "SELECT 1"
    saved = json.loads((tmp_path / "data" / "sql-history.json").read_text())
    assert saved["entries"] == ["SELECT 1", "SELECT 2"]
    history = SqlHistory(tmp_path / "h.json", limit=3)
    for i in range(5):
        history.add(f"SELECT {i}")
    assert history.entries == ["SELECT 2", "SELECT 3", "SELECT 4"]


async def test_export_csv_json_and_bad_path(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    hrana = FakeHrana.users(5)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        await open_console(pilot, "SELECT id, email FROM users WHERE id <= 2")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f8")
        await wait_for_screen(pilot, ExportScreen)
        field = app.screen.query_one(Input)
        assert field.value == "xswarm-users-20260615-120000.csv"
        field.value = "out.txt"
        await pilot.press("enter")
        await pilot.pause()
        assert "must end in .csv or .json" in str(
            app.screen.query_one("#export-error", Static).render()
        )
        field.value = "sub/out.csv"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f8")
        await wait_for_screen(pilot, ExportScreen)
        app.screen.query_one(Input).value = str(tmp_path / "out.json")
        await pilot.press("enter")
        await settle(pilot)
    rows = list(csv.reader((tmp_path / "data" / "exports" / "sub" / "out.csv").open()))
    assert rows == [["id", "email"], ["1", "user1@example.com"], ["2", "user2@example.com"]]
    assert json.loads((tmp_path / "out.json").read_text())[1] == {
        "id": 2,
        "email": "user2@example.com",
    }


@pytest.mark.parametrize("sql", ["", "  -- just a comment\n"])
async def test_empty_editor_is_refused(make_app: AppFactory, fake: FakeOrg, sql: str) -> None:
    hrana = FakeHrana.users(1)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_console(pilot, sql)
        await pilot.press("f5")
        await settle(pilot)
        assert hrana.statements == []
        assert isinstance(app.main.query_one("#sql-editor"), TextArea)
        assert isinstance(app.main.query_one("#sql-results"), DataTable)


def test_split_statements_and_scans() -> None:
    from tursotui.ops.sql.statements import (
        PlanStep,
        explainable,
        split_statements,
        unindexed_scans,
    )

    text = (
        "SELECT 'a;b';\n-- note\nCREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;\nSELECT 2"
    )
    assert split_statements(text) == [
        "SELECT 'a;b';",
        "-- note\nCREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;",
        "SELECT 2",
    ]
    assert not explainable("CREATE INDEX i ON t(x)") and explainable(
        "-- c\nWITH a AS (SELECT 1) SELECT * FROM a"
    )
    steps = [
        PlanStep(2, 0, "SCAN users"),
        PlanStep(3, 0, "SCAN users USING COVERING INDEX idx_users_email"),
        PlanStep(4, 0, "SEARCH orders USING INDEX idx_o (uid=?)"),
        PlanStep(5, 0, "SCAN CONSTANT ROW"),
        PlanStep(6, 0, "SCAN TABLE legacy"),
    ]
    assert unindexed_scans(steps) == ["users", "legacy"]


async def test_typing_stays_in_the_editor_and_help_lists_the_keys(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    from tursotui.ui.dialogs.help import HelpScreen

    hrana = FakeHrana.users(1)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(80, 24)) as pilot:
        console = await open_console(pilot)
        await pilot.press("s", "e", "l", "1", "2", "q")
        assert console.editor.text == "sel12q" and app.main.active_tab == "sql"
        console.results.focus()
        await pilot.press("question_mark")
        await wait_for_screen(pilot, HelpScreen)
        text = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "SQL pane" in text and "f5" in text and "f3" in text


async def test_palette_runs_console_actions(make_app: AppFactory, fake: FakeOrg) -> None:
    from tursotui.ui.actions import ACTIONS

    hrana = FakeHrana.users(2)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        spec = next(s for s in ACTIONS if s.id == "sql.index_check")
        await app.run_spec(spec)
        await settle(pilot)
        assert app.main.active_tab == "sql" and "Index check: 1 index" in status(app)


async def test_esc_leaves_the_editor_so_the_tab_keys_work(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    from tursotui.ui.panes.sql import EDITING_HINT, LEFT_HINT
    from tursotui.ui.widgets.footer import ConsoleFooter

    hrana = FakeHrana.users(1)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot)
        await pilot.press("s", "e", "l")
        assert app.main.focused is console.editor
        assert console.editor.border_subtitle == EDITING_HINT
        footer = app.main.query_one(ConsoleFooter)
        await pilot.pause()
        assert "esc Leave" in " ".join(str(w.render()) for w in footer.query("*"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.main.focused is console.results
        assert console.editor.border_subtitle == LEFT_HINT
        await pilot.press("4")
        await pilot.pause()
        assert app.main.active_tab == "tokens"
        assert console.editor.text == "sel"  # the 4 switched tabs instead of being typed


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT name, sql FROM sqlite_master",
        "SELECT * FROM sqlite_schema WHERE type = 'table'",
        "SELECT m.name FROM main.sqlite_master AS m",
    ],
)
async def test_schema_queries_do_not_warn_of_a_full_scan(
    make_app: AppFactory, fake: FakeOrg, sql: str
) -> None:
    hrana = FakeHrana.users(3)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, sql)
        await pilot.press("f5")
        await settle(pilot)
        assert not isinstance(app.screen, ScanWarningScreen)
        assert console.outcomes[0].error is None and console.results.row_count >= 1
        assert sql in hrana.statements
