"""The SQL console's runs on one stream, over the fake Hrana endpoint (sqlite3 behind it): a BEGIN … COMMIT
script is one transaction and the transaction line shows while it is open (here: while a full-scan question
waits in the middle of it); a run ending inside a transaction is rolled back and says so; a statement's rows
past the row cap are left out and the results say so (with a snapshot at 80×24); and one run on the local
Turso's real sqld."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeHrana, FakeOrg
from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from tursotui.local.host.demo import DEMO_DATABASE, ensure_demo_org
from tursotui.local.host.service import LocalTurso
from tursotui.ops.sql.session import ENDED_IN_TRANSACTION
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.sql import ScanWarningScreen
from tursotui.ui.panes.sql import SqlConsolePane
from tursotui.ui.panes.sql_transaction import TransactionIndicator

from .helpers import AppFactory, local_app, ready

SnapCompare = Callable[..., bool]

SCRIPT = """BEGIN;
INSERT INTO users (id, email, plan) VALUES (1001, 'new@example.com', 'pro');
SELECT * FROM users WHERE plan = 'pro';
COMMIT;"""


def pane(app: TursoApp) -> SqlConsolePane:
    return app.main.query_one(SqlConsolePane)


def status(app: TursoApp) -> str:
    return str(app.main.query_one("#sql-status", Static).render())


async def open_console(pilot: Pilot[Any], sql: str) -> SqlConsolePane:
    await ready(pilot)
    await pilot.press("3")
    await pilot.pause()
    console = pane(pilot.app)  # type: ignore[arg-type]
    console.editor.load_text(sql)
    return console


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_begin_commit_script_shows_the_transaction_while_open(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    hrana = FakeHrana.users(10)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, SCRIPT)
        indicator = console.query_one(TransactionIndicator)
        assert not indicator.open and not indicator.display
        await pilot.press("f5")
        for _ in range(200):
            await pilot.pause()
            if isinstance(app.screen, ScanWarningScreen):
                break
        assert isinstance(app.screen, ScanWarningScreen), "the SELECT scans users in full"
        # The question waits inside the transaction: the line says it is open, with the limits.
        assert indicator.open and indicator.display
        text = str(indicator.render())
        assert "TRANSACTION OPEN" in text and "10 s idle" in text and "5 s" in text
        assert hrana.db.in_transaction
        warning = str(app.screen.query_one("#scan-warning", Static).render())
        assert "A transaction is open: answer within 10 s" in warning
        await pilot.press("y")
        await settle(pilot)
        assert not indicator.open and not indicator.display
        assert not hrana.db.in_transaction
        assert hrana.db.execute("SELECT email FROM users WHERE id = 1001").fetchone() == (
            "new@example.com",
        )
        lines = status(app)
        assert "2. INSERT INTO users" in lines and "1 changed" in lines
        assert "4. COMMIT" in lines and "error" not in lines
        assert [o.line for o in console.outcomes] == [1, 2, 3, 4]


async def test_a_run_ending_inside_a_transaction_is_rolled_back(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    hrana = FakeHrana.users(3)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, "BEGIN;\nDELETE FROM users WHERE id > 0;")
        await pilot.press("f5")
        await settle(pilot)
        assert ENDED_IN_TRANSACTION in status(app)
        assert hrana.db.execute("SELECT count(*) FROM users").fetchone() == (3,)
        assert not console.query_one(TransactionIndicator).open


async def test_rows_past_the_cap_are_left_out_and_said(make_app: AppFactory, fake: FakeOrg) -> None:
    hrana = FakeHrana.users(40)
    app = make_app(fake, sql_opener=hrana.opener())
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, "SELECT id, email FROM users WHERE id > 0")
        console.row_cap = 30
        await pilot.press("f5")
        await settle(pilot)
        outcome = console.outcomes[0]
        assert len(outcome.rows) == 30 and outcome.total_rows == 40 and outcome.capped
        assert "the first 30 of 40 rows" in status(app)
        assert "rows 1–30 of 30 (capped: 40 returned)" in str(console.results.border_subtitle)
        assert console.results.row_count == 30


def capped_run(cap: int) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()
        console = pane(pilot.app)  # type: ignore[arg-type]
        console.row_cap = cap
        console.editor.load_text("SELECT id, email, plan FROM users WHERE id > 0 ORDER BY id;")
        await pilot.press("f5")
        await pilot.app.workers.wait_for_complete()
        for area in pilot.app.query(TextArea):
            area.cursor_blink = False
        await pilot.pause()

    return run


@pytest.mark.parametrize("size", [(80, 24)], ids=["80x24"])
def test_sql_capped_result_snapshot(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    app = make_app(fake, sql_opener=FakeHrana.users(40).opener())
    assert snap_compare(app, terminal_size=size, run_before=capped_run(25))


async def test_console_run_on_real_sqld_is_one_transaction(
    local_turso: LocalTurso, tmp_path: Path
) -> None:
    """The same on the local Turso's real sqld: the run's rows are seen inside its transaction and gone
    after ROLLBACK; the table it created before BEGIN stays."""
    await ensure_demo_org(
        local_turso, config_path=tmp_path / "config.toml", env_path=tmp_path / ".env", users=5
    )
    app = local_app(local_turso, tmp_path, database_name=DEMO_DATABASE)
    script = (
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n"
        "BEGIN;\n"
        "INSERT INTO notes (id, body) VALUES (1, 'draft');\n"
        "SELECT body FROM notes WHERE id = 1;\n"
        "ROLLBACK;\n"
        "SELECT body FROM notes WHERE id = 1;\n"
    )
    async with app.run_test(size=(120, 36)) as pilot:
        console = await open_console(pilot, script)
        await pilot.press("f5")
        for _ in range(500):
            await pilot.pause(0.02)
            if console.outcomes and not console.running:
                break
        await settle(pilot)
        outcomes = console.outcomes
        assert [o.error for o in outcomes] == [None] * 6, status(app)
        assert outcomes[3].rows == [("draft",)] and outcomes[5].rows == []
        assert outcomes[2].duration_ms is not None, "sqld reports each statement's duration"
        assert not console.query_one(TransactionIndicator).open
