"""The import wizard inside the console (``I``), end to end against the real local Turso on sqld: a SQLite file
into a new database; into an existing one with a conflict reported before anything is written (nothing is); a
bad path and a file that is no database named and nothing changed; esc mid-import leaves the target's row
counts as they were; read-only mode refuses. Plus the pure checks the steps run as you type."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tursotui.libsql import HranaClient
from tursotui.local.host.service import LocalTurso
from tursotui.ops.backup import source_row_counts
from tursotui.ops.errors import InputError
from tursotui.ops.import_source import open_source
from tursotui.ops.importer import ImportProgress, import_new, plan_new
from tursotui.platform import PlatformClient
from tursotui.ui.app import TursoApp
from tursotui.ui.wizards.import_screens import PreviewScreen, ResultScreen, TaskScreen
from tursotui.ui.wizards.importing import (
    READ_ONLY_REFUSAL,
    check_new_database,
    default_name,
    describe_source_path,
)
from tursotui.ui.wizards.restore_steps import StepScreen

from .helpers import local_app


def users_file(path: Path, count: int, start: int = 0) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        "create table users(id text primary key, email text not null unique, n integer);"
        "create index users_n on users(n);"
    )
    conn.executemany(
        "insert into users values (?, ?, ?)",
        [(f"u{i}", f"u{i}@example.com", i) for i in range(start, start + count)],
    )
    conn.commit()
    conn.close()
    return path


def big_file(path: Path, rows: int) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("create table events(id integer primary key, body text)")
    conn.executemany(
        "insert into events(body) values (?)", ((f"{i:08d}" + "x" * 192,) for i in range(rows))
    )
    conn.commit()
    conn.close()
    return path


@pytest.fixture
async def org(local_turso: LocalTurso, tmp_path: Path) -> AsyncIterator[LocalTurso]:
    """Group ``default`` and database ``app`` with users u0..u99."""
    platform = local_turso.platform_client(max_retries=0)
    try:
        await platform.create_group("default", "sjc")
        with await open_source(users_file(tmp_path / "first.db", 100)) as source:
            await import_new(platform, await plan_new(platform, source, "app", local=True))
    finally:
        await platform.aclose()
    yield local_turso


def make(turso: LocalTurso, tmp_path: Path, **overrides: Any) -> TursoApp:
    return local_app(turso, tmp_path, database_name="app", **overrides)


async def wait(pilot: Pilot[Any], until: Callable[[], bool], rounds: int = 1500) -> None:
    for _ in range(rounds):
        if until():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting; the screen is {pilot.app.screen!r}")


async def step(pilot: Pilot[Any], title: str) -> StepScreen:
    """Wait for the step whose title ends with ``· title``."""
    app = pilot.app

    def shown() -> bool:
        screen = app.screen
        return isinstance(screen, StepScreen) and screen.step_title.endswith(f"· {title}")

    await wait(pilot, shown)
    screen = app.screen
    assert isinstance(screen, StepScreen)
    return screen


async def type_in(pilot: Pilot[Any], screen: StepScreen, value: str) -> None:
    screen.query_one("#step-input", Input).value = value
    await pilot.pause()
    await pilot.press("enter")


async def open_wizard(pilot: Pilot[Any]) -> StepScreen:
    app = pilot.app
    assert isinstance(app, TursoApp)
    await wait(pilot, lambda: app.screen.id == "main" and app.main.refresh_count >= 1)
    await pilot.press("I")
    return await step(pilot, "Source")


async def counts(turso: LocalTurso, name: str) -> dict[str, int]:
    platform = turso.platform_client()
    try:
        db = await platform.get_database(name)
        token = (await platform.create_database_token(name)).jwt
    finally:
        await platform.aclose()
    async with HranaClient(db.url, token) as sql:
        return await source_row_counts(sql)


async def database_names(turso: LocalTurso) -> set[str]:
    platform: PlatformClient = turso.platform_client()
    try:
        return {d.name for d in await platform.list_databases()}
    finally:
        await platform.aclose()


async def test_sqlite_file_into_a_new_database(org: LocalTurso, tmp_path: Path) -> None:
    source = users_file(tmp_path / "Old_Users.db", 250)
    app = make(org, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        first = await open_wizard(pilot)
        await type_in(pilot, first, str(source))
        await step(pilot, "Target")
        await pilot.press("enter")  # a NEW database
        name = await step(pilot, "New database")
        assert name.query_one("#step-input", Input).value == "old-users"  # from the file name
        await type_in(pilot, name, "app")  # taken: named, nothing happens
        feedback = str(name.query_one("#step-feedback", Static).render())
        assert "database app already exists" in feedback
        assert app.screen is name
        await type_in(pilot, name, "migrated")
        await wait(pilot, lambda: isinstance(app.screen, PreviewScreen))
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        assert [(t.name, t.rows, t.action) for t in preview.plan.tables] == [
            ("users", 250, "create")
        ]
        assert not preview.plan.conflicts
        await pilot.press("enter")
        confirm = await step(pilot, "Confirm")
        await type_in(pilot, confirm, "migrate")  # not the name: nothing happens
        assert app.screen is confirm
        await type_in(pilot, confirm, "migrated")
        await wait(pilot, lambda: isinstance(app.screen, ResultScreen))
        result = app.screen
        assert isinstance(result, ResultScreen)
        assert result.result.tables == {"users": 250}
        summary = str(result.query_one("#result-summary", Static).render())
        assert "Imported 250 rows in 1 tables into the new database migrated" in summary
        await pilot.press("enter")
        await wait(pilot, lambda: app.screen.id == "main")
    assert await counts(org, "migrated") == {"users": 250}


async def test_conflicts_are_reported_and_nothing_is_written(
    org: LocalTurso, tmp_path: Path
) -> None:
    overlapping = users_file(tmp_path / "more.db", 20, start=90)  # u90..u99 exist already
    app = make(org, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        first = await open_wizard(pilot)
        await type_in(pilot, first, str(overlapping))
        await step(pilot, "Target")
        await pilot.press("down", "enter")  # an EXISTING database
        picker = await step(pilot, "Existing database")
        assert picker.choices is not None and picker.choices[0].id == "app"  # configured first
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(app.screen, PreviewScreen))
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        assert [(t.name, t.action, t.target_rows) for t in preview.plan.tables] == [
            ("users", "append", 100)
        ]
        shown = str(preview.query_one("#preview-conflicts", Static).render())
        assert "CONFLICT(S): nothing can be written" in shown
        assert "table users: 10 row(s) already exist with the same primary key (id)" in shown
        assert [c.id for c in preview.choices] == ["retarget", "close"]  # no way to import
        await pilot.press("down", "enter")  # close
        await wait(pilot, lambda: app.screen.id == "main")
        assert any("Nothing imported: 2 conflict(s)" in n.message for n in app._notifications)
    assert await counts(org, "app") == {"users": 100}


async def test_bad_paths_are_named_and_nothing_changes(org: LocalTurso, tmp_path: Path) -> None:
    junk = tmp_path / "photo.db"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    before = await database_names(org)
    app = make(org, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        first = await open_wizard(pilot)
        missing = tmp_path / "nowhere.db"
        await type_in(pilot, first, str(missing))
        feedback = str(first.query_one("#step-feedback", Static).render())
        assert f"{missing} does not exist" in feedback
        assert app.screen is first
        await type_in(pilot, first, str(tmp_path))
        assert "is not a file" in str(first.query_one("#step-feedback", Static).render())
        assert app.screen is first
        await type_in(pilot, first, str(junk))  # passes the quick check, fails to load
        again = await step(pilot, "Source")
        assert again is not first
        warning = str(again.query_one("#step-warning", Static).render())
        assert "is neither a SQLite database nor a SQL dump that loads" in warning
        assert again.query_one("#step-input", Input).value == str(junk)  # kept to fix
        assert any("neither a SQLite database" in n.message for n in app._notifications)
        await pilot.press("escape")
        await wait(pilot, lambda: app.screen.id == "main")
        assert any("Import cancelled: nothing was written" in n.message for n in app._notifications)
    assert await database_names(org) == before
    assert await counts(org, "app") == {"users": 100}


async def test_esc_mid_import_leaves_the_target_unchanged(
    org: LocalTurso, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = big_file(tmp_path / "events.db", 30_000)
    pressed: list[tuple[TaskScreen[Any], ImportProgress]] = []
    report = TaskScreen.report

    def esc_once_loading(screen: TaskScreen[Any], progress: ImportProgress) -> None:
        """Press esc as soon as the first rows are reported (polling could miss a fast import)."""
        report(screen, progress)
        if progress.phase == "loading" and not pressed:
            pressed.append((screen, progress))
            screen.app.simulate_key("escape")

    monkeypatch.setattr(TaskScreen, "report", esc_once_loading)
    app = make(org, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        first = await open_wizard(pilot)
        await type_in(pilot, first, str(source))
        await step(pilot, "Target")
        await pilot.press("down", "enter")
        await step(pilot, "Existing database")
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(app.screen, PreviewScreen))
        await pilot.press("enter")
        confirm = await step(pilot, "Confirm")
        await type_in(pilot, confirm, "app")
        await wait(pilot, lambda: bool(pressed) and app.screen.id == "main", rounds=3000)
        task, progress = pressed[0]
        assert 0 < progress.done < 30_000
        assert task.cancelling  # esc reached the screen and cancelled the import
        assert any(
            "Import cancelled: nothing was written to app" in n.message for n in app._notifications
        )
    assert await counts(org, "app") == {"users": 100}  # no events table, no rows


async def test_read_only_mode_refuses(org: LocalTurso, tmp_path: Path) -> None:
    app = make(org, tmp_path, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait(pilot, lambda: app.screen.id == "main" and app.main.refresh_count >= 1)
        await pilot.press("I")
        await pilot.pause(0.2)
        assert app.screen.id == "main"
        assert any(n.message == READ_ONLY_REFUSAL for n in app._notifications)


def test_the_checks_the_steps_run_as_you_type(tmp_path: Path) -> None:
    db = users_file(tmp_path / "a.db", 3)
    assert describe_source_path(str(db)).startswith("SQLite database · ")
    dump = tmp_path / "data.sql"
    dump.write_text("create table t(x);\n")
    assert describe_source_path(str(dump)) == "text file, read as a SQL dump · 19 B"
    (tmp_path / "empty.sql").write_text("")
    with pytest.raises(InputError, match="is empty"):
        describe_source_path(str(tmp_path / "empty.sql"))
    assert check_new_database(" fresh-db ", {"app"}) == "fresh-db"
    with pytest.raises(InputError, match="already exists"):
        check_new_database("app", {"app"})
    with pytest.raises(InputError):
        check_new_database("Not Valid", set())
    assert default_name(Path("/x/Old_Database.v2.sqlite"), set()) == "old-database-v2"
    assert default_name(Path("/x/app.db"), {"app"}) == ""
