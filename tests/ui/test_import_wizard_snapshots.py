"""Snapshots of the import wizard's steps on the fake org ``acme`` (fixed clock, no blink) at 80×24 and 120×36:
the source path checked as you type, the target choice, the preview of an existing database with conflicts,
the typed confirmation for a new database, and the result.

``$HOME`` is the test's tmp dir so the source file on screen reads ``~/old-users.db`` everywhere.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeHrana, FakeOrg, _value
from textual.pilot import Pilot
from textual.widgets import Input

from tursotui.libsql.values import decode_value
from tursotui.ops.import_source import open_source
from tursotui.ops.importer import ImportResult, TablePlan, plan_new
from tursotui.ui.app import TursoApp
from tursotui.ui.wizards.import_screens import PreviewScreen, ResultScreen
from tursotui.ui.wizards.importing import step_title
from tursotui.ui.wizards.restore_steps import StepScreen

from .helpers import AppFactory, ready

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``~/old-users.db``: users 240..259 (240..250 clash with the fake database's users 1..250) and notes."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(StepScreen, "CURSOR_BLINK", False)
    path = tmp_path / "old-users.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, phone TEXT,"
        " plan TEXT);"
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER, body TEXT);"
    )
    conn.executemany(
        "INSERT INTO users VALUES (?, ?, ?, ?)",
        [(i, f"user{i}@example.com", f"+1555{i:07d}", "free") for i in range(240, 260)],
    )
    conn.executemany("INSERT INTO notes VALUES (?, ?, ?)", [(i, 240, "hi") for i in range(7)])
    conn.commit()
    conn.close()
    return path


class BindingHrana(FakeHrana):
    """The fake Hrana endpoint, with positional arguments bound (the conflict check sends them)."""

    def _request(self, request: dict[str, Any], read_only: bool) -> dict[str, Any]:
        stmt = request.get("stmt")
        if request.get("type") != "execute" or not stmt or not stmt.get("args"):
            return super()._request(request, read_only)
        args = [decode_value(a) for a in stmt["args"]]
        cursor = self.db.execute(stmt["sql"], args)
        rows = cursor.fetchall()
        cols = [{"name": d[0], "decltype": None} for d in cursor.description or []]
        result = {
            "cols": cols,
            "rows": [[_value(v) for v in row] for row in rows],
            "affected_row_count": 0,
            "last_insert_rowid": None,
            "rows_read": len(rows),
            "rows_written": 0,
        }
        return {"type": "ok", "response": {"type": "execute", "result": result}}


@pytest.fixture
def app(make_app: AppFactory, fake: FakeOrg, source: Path) -> TursoApp:
    return make_app(fake, sql_opener=BindingHrana.users().opener())


async def until(pilot: Pilot[Any], shown: Callable[[Any], bool]) -> None:
    for _ in range(400):
        await pilot.pause()
        if shown(pilot.app.screen):
            break
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def at_step(title: str) -> Callable[[Any], bool]:
    return lambda screen: (
        isinstance(screen, StepScreen) and screen.step_title.endswith(f"· {title}")
    )


async def enter(pilot: Pilot[Any], value: str) -> None:
    pilot.app.screen.query_one("#step-input", Input).value = value
    await pilot.pause()
    await pilot.press("enter")


def drive(*, source: str = "", target: str = "", name: str = "") -> RunBefore:
    """Open the wizard; type ``source``; pick ``target`` (new/into) and ``name``; stop where it leads."""

    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("I")
        await until(pilot, at_step("Source"))
        if source:
            pilot.app.screen.query_one("#step-input", Input).value = source
            await pilot.pause()
        if not target:
            return
        await pilot.press("enter")
        await until(pilot, at_step("Target"))
        if target == "-":
            return
        if target == "new":
            await pilot.press("enter")
            await until(pilot, at_step("New database"))
            await enter(pilot, name)
            await until(pilot, lambda s: isinstance(s, PreviewScreen))
            await pilot.press("enter")
            await until(pilot, at_step("Confirm"))
        else:
            await pilot.press("down", "enter")
            await until(pilot, at_step("Existing database"))
            await pilot.press("enter")
            await until(pilot, lambda s: isinstance(s, PreviewScreen))

    return run


@SIZES
def test_import_source(snap_compare: SnapCompare, app: TursoApp, size: tuple[int, int]) -> None:
    assert snap_compare(app, terminal_size=size, run_before=drive(source="~/old-users.db"))


@SIZES
def test_import_target(snap_compare: SnapCompare, app: TursoApp, size: tuple[int, int]) -> None:
    run = drive(source="~/old-users.db", target="-")
    assert snap_compare(app, terminal_size=size, run_before=run)


@SIZES
def test_import_preview_conflicts(
    snap_compare: SnapCompare, app: TursoApp, size: tuple[int, int]
) -> None:
    run = drive(source="~/old-users.db", target="into")
    assert snap_compare(app, terminal_size=size, run_before=run)


@SIZES
def test_import_confirm(snap_compare: SnapCompare, app: TursoApp, size: tuple[int, int]) -> None:
    run = drive(source="~/old-users.db", target="new", name="old-users")
    assert snap_compare(app, terminal_size=size, run_before=run)


@SIZES
def test_import_result(
    snap_compare: SnapCompare, app: TursoApp, source: Path, size: tuple[int, int]
) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        assert isinstance(pilot.app, TursoApp)
        with await open_source(source) as opened:
            plan = await plan_new(pilot.app.services.platform, opened, "old-users")
        assert plan.tables == [TablePlan("users", 20, "create"), TablePlan("notes", 7, "create")]
        result = ImportResult("old-users", "new", "upload", {"users": 20, "notes": 7}, 2.34)
        await pilot.app.push_screen(ResultScreen(step_title(5, "Result"), plan, result))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run)
