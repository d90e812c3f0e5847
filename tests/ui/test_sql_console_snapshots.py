"""Snapshots of the SQL console, Tokens and Backups tabs and their modals at 80×24 and 120×36 (fixed
clock, fake org, fake Hrana over sqlite3, fixed folders), and screenshots/sql-console.svg and
screenshots/tokens.svg (never a token in them).

Review changes with the report pytest-textual-snapshot writes, then ``--snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import TOKEN, FakeHrana, FakeOrg, fake_jwt
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tursotui.ops.tokens import LedgerEntry, TokenLedger
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.tokens import RotateConfirmScreen
from tursotui.ui.panes.sql import SqlConsolePane

from .helpers import AppFactory, ready, write_screenshot

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]
QUERY = "SELECT id, email, plan FROM users WHERE id <= 12 ORDER BY id;"
SCAN = "SELECT * FROM users WHERE plan = 'pro';"


@pytest.fixture(autouse=True)
def _fixed_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(RotateConfirmScreen, "CURSOR_BLINK", False)
    monkeypatch.setenv("HOME", str(tmp_path))  # paths on screen are shown as ~/data/…
    data = tmp_path / "data"
    ledger = TokenLedger.in_data_dir(data)
    for fp, scope, name, access, created, expires, revoked in (
        ("3f9c1a2b", "database", "xswarm-users", "full-access", "2026-03-17", "2026-06-18", None),
        ("7d2e4b10", "group", "default", "read-only", "2026-05-01", "2026-07-30", None),
        ("a0b1c2d3", "database", "xswarm-staging", "full-access", "2026-01-02", None, "2026-04-01"),
    ):
        ledger.record(
            LedgerEntry(
                fingerprint=fp,
                scope=scope,  # type: ignore[arg-type]
                database=name if scope == "database" else "",
                group=name if scope == "group" else "default",
                authorization=access,  # type: ignore[arg-type]
                created_at=f"{created}T12:00:00Z",
                expires_at=f"{expires}T12:00:00Z" if expires else None,
                organization="acme",
                target="cloud",
                revoked_at=f"{revoked}T12:00:00Z" if revoked else None,
            )
        )
    backups = data / "backups"
    backups.mkdir(parents=True)
    for name, size in (
        ("xswarm-users-20260615-030000.sql", 48_213),
        ("xswarm-users-20260614-030000.db", 126_976),
        ("xswarm-users-20260501-030000.sql", 47_102),
        ("xswarm-staging-20260610-030000.sql", 5_120),
    ):
        (backups / name).write_bytes(b"x" * size)


def console_app(make_app: AppFactory, fake: FakeOrg, **overrides: Any) -> TursoApp:
    hrana = FakeHrana.users(40)
    return make_app(fake, sql_opener=hrana.opener(), **overrides)


def steps(*actions: str | tuple[str, str], wait_for: str | None = None) -> RunBefore:
    """Keys (``"f5"``) or editor text (``("sql", text)``); optionally wait for a screen."""

    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        app = pilot.app
        for action in actions:
            if isinstance(action, tuple):
                app.main.query_one(SqlConsolePane).editor.load_text(action[1])  # type: ignore[attr-defined]
                await pilot.pause()
                continue
            await pilot.press(action)
            await pilot.pause()
        for _ in range(200):
            await pilot.pause()
            if wait_for is None or type(app.screen).__name__ == wait_for:
                break
        if wait_for is None:
            await app.workers.wait_for_complete()
        for area in app.query(TextArea):
            area.cursor_blink = False
        for screen in app.screen_stack:
            for field in screen.query(Input):
                field.cursor_blink = False
            for area in screen.query(TextArea):
                area.cursor_blink = False
        await pilot.pause()

    return run


@SIZES
def test_sql_console(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("3", ("sql", QUERY), "f5")
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@SIZES
def test_sql_scan_warning(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("3", ("sql", SCAN), "f5", wait_for="ScanWarningScreen")
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@SIZES
def test_sql_plan(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("3", ("sql", QUERY + "\n" + SCAN), "f2", wait_for="PlanScreen")
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@SIZES
def test_sql_index_check(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("3", "f3")
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@SIZES
def test_sql_export(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("3", ("sql", QUERY), "f5", "f8", wait_for="ExportScreen")
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@SIZES
def test_sql_history(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps(
        "3", ("sql", "SELECT 1;"), "f5", ("sql", QUERY), "f5", "f4", wait_for="HistoryScreen"
    )
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@SIZES
def test_sql_read_only_refused(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("3", ("sql", "UPDATE users SET plan = 'pro' WHERE id = 1;"), "f5")
    app = console_app(make_app, fake, read_only=True)
    assert snap_compare(app, terminal_size=size, run_before=run)


@SIZES
def test_tokens(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=steps("4"))


@SIZES
def test_token_create(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("4", "n", wait_for="TokenCreateScreen")
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@SIZES
def test_token_created(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("4", "n", "enter", wait_for="TokenCreatedScreen")
    app = console_app(make_app, fake, env_path=Path("/srv/xswarm/.env"))
    assert snap_compare(app, terminal_size=size, run_before=run)


@SIZES
def test_token_rotate(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("4", "r", "x", "s", wait_for="RotateConfirmScreen")
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@SIZES
def test_token_decode(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    token = fake_jwt(
        {"a": "ro", "id": "6f1c5e2a-db", "iat": 1_781_000_000, "exp": 1_789_000_000}, 3
    )

    async def run(pilot: Pilot[Any]) -> None:
        await steps("4", "d", wait_for="DecodeTokenScreen")(pilot)
        pilot.app.screen.query_one(Input).value = token
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@SIZES
def test_backups(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=steps("5"))


@SIZES
def test_backups_prune(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg, size: tuple[int, int]
) -> None:
    run = steps("5", "p", wait_for="ConfirmPruneScreen")
    assert snap_compare(console_app(make_app, fake), terminal_size=size, run_before=run)


@pytest.mark.parametrize(
    ("name", "pressed"),
    [("sql-console", ("3", ("sql", QUERY), "f5")), ("tokens", ("4",))],
)
async def test_readme_screenshots(
    make_app: AppFactory, fake: FakeOrg, name: str, pressed: tuple[str | tuple[str, str], ...]
) -> None:
    """screenshots/<name>.svg at 120×36, written only when it changed; never a token in it."""
    app = console_app(make_app, fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await steps(*pressed)(pilot)
        write_screenshot(app, name, (TOKEN, "eyJ"))
