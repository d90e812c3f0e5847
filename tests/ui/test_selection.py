"""One owner of the organization's state: the main screen's snapshot and ``selected`` database. Moving in the
Databases pane (or a restore that points config at a new database) selects a database, and every pane moves to
it: the browser reopens on it, the Backups pane lists, names and backs it up, the Tokens and SQL panes name it.
Wizards read the snapshot instead of listing the databases again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeDatabase, FakeHrana, FakeOrg, usage
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from tursotui.config import load_config
from tursotui.config.point import point_at_database
from tursotui.ui.app import TursoApp
from tursotui.ui.messages import DatabaseSelected
from tursotui.ui.panes.backups import BackupsPane
from tursotui.ui.panes.browser import BrowserPane
from tursotui.ui.panes.databases import DatabasesPane
from tursotui.ui.panes.tokens import TokensPane
from tursotui.ui.wizards.restore_steps import StepScreen

from .browser_fakes import install
from .helpers import AppFactory, ready

SIZE = (120, 36)
LIST = "GET /v1/organizations/acme/databases"


async def settle(
    pilot: Pilot[Any], until: Callable[[], bool] = lambda: True, *, modal: bool = False
) -> None:
    """Wait until ``until()``, and for the workers unless a ``modal`` is expected (its worker waits on it)."""
    for _ in range(300):
        await pilot.pause()
        if not modal:
            await pilot.app.workers.wait_for_complete()
        if until():
            break
    await pilot.pause()
    assert until(), "timed out"


def cursor(app: TursoApp) -> str | None:
    return app.main.query_one(DatabasesPane).selected_name


def text(app: TursoApp, selector: str) -> str:
    return str(app.main.query_one(selector, Static).render())


def recording(hrana: FakeHrana, opened: list[str]) -> Callable[..., Any]:
    """The fake Hrana's opener, noting which database each SQL client was opened for."""
    inner = hrana.opener()

    def opener(database: str, read_only: bool) -> AbstractAsyncContextManager[Any]:
        opened.append(database)
        return inner(database, read_only)  # type: ignore[no-any-return]

    return opener


async def browser(pilot: Pilot[Any], database: str) -> BrowserPane:
    """Show the browser and wait until it shows a page of ``database``."""
    app = pilot.app
    assert isinstance(app, TursoApp)
    await pilot.press("b")
    pane = app.main.query_one(BrowserPane)
    await settle(
        pilot,
        lambda: (
            pane.page is not None and pane.session is not None and pane.session.database == database
        ),
    )
    return pane


async def test_every_pane_moves_to_the_database_picked_in_the_databases_pane(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    install(monkeypatch, tmp_path)
    opened: list[str] = []
    app = make_app(fake, sql_opener=recording(FakeHrana.users(10), opened))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.main.selected == "xswarm-users" and cursor(app) == "xswarm-users"
        pane = await browser(pilot, "xswarm-users")
        assert str(pane.query_one("#browser-title").render()).startswith("xswarm-users · users")

        await pilot.press("1", "down")  # the operator moves to another database
        await settle(pilot, lambda: app.main.selected == "xswarm-analytics")

        # walkthrough 4: the browser no longer stays on the database it opened first
        pane = await browser(pilot, "xswarm-analytics")
        assert str(pane.query_one("#browser-title").render()).startswith("xswarm-analytics · users")

        # walkthrough 12: the Backups pane names the database it backs up, and backs up that one
        await pilot.press("5")
        backups = app.main.query_one(BackupsPane)
        await settle(pilot)
        assert text(app, "#backups-folder").startswith("Database xswarm-analytics · folder ")
        table = backups.query_one("#backups-table", DataTable)
        assert table.border_title == "Backups of xswarm-analytics"
        await pilot.press("s")
        await settle(pilot, lambda: backups.last_result is not None)
        assert opened == ["xswarm-analytics"]
        assert backups.last_result is not None
        assert backups.last_result.path.name == "xswarm-analytics-20260615-120000.sql"
        assert [b.database for b in backups.backups] == ["xswarm-analytics"]

        await pilot.press("4")
        await settle(pilot, lambda: bool(app.main.query(TokensPane)))
        hint = text(app, "#tokens-hint")
        assert "r rotate xswarm-analytics · g rotate group default" in hint

        await pilot.press("3")
        await settle(pilot, lambda: bool(app.main.query("#sql-target")))
        assert "Database: xswarm-analytics" in text(app, "#sql-target")

        # the Databases pane shows the selection: pressing 1 finds the cursor where it was left
        await pilot.press("1")
        assert cursor(app) == "xswarm-analytics"


async def test_a_shown_browser_reopens_at_once_on_the_selected_database(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    install(monkeypatch, tmp_path)
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pane = await browser(pilot, "xswarm-users")
        app.post_message(DatabaseSelected("xswarm-staging"))  # as a wizard does, through the app
        await settle(
            pilot, lambda: pane.session is not None and pane.session.database == "xswarm-staging"
        )
        assert app.main.active_tab == "browser"
        assert pane.page is not None and pane.table_name == "users"
        assert cursor(app) == "xswarm-staging"


async def test_an_edit_confirmed_after_the_browser_moved_changes_nothing(
    make_app: AppFactory, fake: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = install(monkeypatch, tmp_path)
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pane = await browser(pilot, "xswarm-users")
        await pilot.press("d")  # delete the highlighted row: the confirmation shows the SQL
        await settle(pilot, lambda: type(app.screen).__name__ == "SqlConfirmScreen", modal=True)
        app.main.select("xswarm-staging")  # e.g. a wizard finished behind the dialog
        await pilot.press("y")
        await settle(pilot, lambda: pane.session is not None)
        assert any("Nothing changed" in n.message for n in app._notifications)
        for name in ("xswarm-users", "xswarm-staging"):
            if name in files:
                count = files[name].execute("SELECT count(*) FROM users").scalar()
                assert count == 122, name  # the two test users and 120 generated ones


async def test_a_database_not_listed_yet_stays_selected_until_a_refresh_lists_it(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lists = fake.calls.count(LIST)
        # a restore just created it: the server has it, the last snapshot does not
        fake.databases["xswarm-users-restored"] = FakeDatabase(
            "xswarm-users-restored", "default", usage(0, 0, 4096, 0)
        )
        app.post_message(DatabaseSelected("xswarm-users-restored"))
        await settle(pilot, lambda: cursor(app) == "xswarm-users-restored")
        assert app.main.selected == "xswarm-users-restored"
        assert fake.calls.count(LIST) == lists + 1  # one refresh fetched it
        assert app.main.snapshot is not None
        assert app.main.snapshot.database("xswarm-users-restored") is not None

        # one that a refresh started after the selection does not list: the first database, said so
        app.post_message(DatabaseSelected("gone"))
        await settle(pilot, lambda: app.main.selected == "xswarm-users")
        assert cursor(app) == "xswarm-users"
        assert any(
            n.message == "Database gone is not in organization acme" for n in app._notifications
        )


async def test_the_configured_database_missing_selects_the_first(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake, database_name="deleted-long-ago")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.main.selected == "xswarm-users" == cursor(app)
        assert not any("deleted-long-ago" in n.message for n in app._notifications)


def cloud_config(tmp_path: Path) -> tuple[Path, Path]:
    config, env = tmp_path / "cfg" / "config.toml", tmp_path / "cfg" / ".env"
    config.parent.mkdir()
    config.write_text('[turso]\ndatabase_name = "xswarm-users"\n', encoding="utf-8")
    env.write_text("TURSO_AUTH_TOKEN=old-token\n", encoding="utf-8")
    return config, env


@pytest.mark.parametrize("points", [True, False], ids=["points-config", "leaves-config"])
async def test_a_restore_that_points_config_selects_the_restored_database(
    make_app: AppFactory,
    fake: FakeOrg,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    points: bool,
) -> None:
    """The wizard reports the database by pointing config.toml at it; the app (its caller) selects it."""
    from tursotui.ui.wizards import restore

    config, env = cloud_config(tmp_path)

    async def restored(app: TursoApp) -> None:  # what the wizard's last step leaves behind
        fake.databases["xswarm-users-r1"] = FakeDatabase(
            "xswarm-users-r1", "default", usage(0, 0, 4096, 0)
        )
        if points:
            point_at_database(
                config, env, config={"turso.database_name": "xswarm-users-r1"}, token="new-token"
            )

    monkeypatch.setattr(restore, "run_restore_wizard", restored)
    install(monkeypatch, tmp_path)
    app = make_app(fake, config_path=config, env_path=env)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pane = await browser(pilot, "xswarm-users")
        await pilot.press("R")
        if points:
            await settle(pilot, lambda: cursor(app) == "xswarm-users-r1")
            assert app.main.selected == "xswarm-users-r1"
            assert app.services.database_name == "xswarm-users-r1"
            assert load_config(config).turso.database_name == "xswarm-users-r1"
            await settle(
                pilot,
                lambda: pane.session is not None and pane.session.database == "xswarm-users-r1",
            )
        else:
            await settle(pilot)
            assert app.main.selected == "xswarm-users" == cursor(app)
            assert app.services.database_name == "xswarm-users"


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")
    conn.execute("INSERT INTO notes VALUES (1, 'hi')")
    conn.commit()
    conn.close()
    return path


async def step(pilot: Pilot[Any], title: str) -> StepScreen:
    await settle(
        pilot,
        lambda: isinstance(pilot.app.screen, StepScreen) and title in pilot.app.screen.step_title,
        modal=True,
    )
    screen = pilot.app.screen
    assert isinstance(screen, StepScreen)
    return screen


async def test_the_import_wizard_offers_the_selected_database_from_the_snapshot(
    make_app: AppFactory, fake: FakeOrg, source: Path
) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("down", "down")
        await settle(pilot, lambda: app.main.selected == "xswarm-staging")
        lists = fake.calls.count(LIST)
        await pilot.press("I")
        screen = await step(pilot, "Source")
        screen.query_one(Input).value = str(source)
        await pilot.pause()
        await pilot.press("enter")
        await step(pilot, "Target")
        await pilot.press("down", "enter")
        screen = await step(pilot, "Existing database")
        ids = [c.id for c in screen.choices or ()]
        assert ids[0] == "xswarm-staging"
        assert sorted(ids) == sorted(fake.databases)
        assert fake.calls.count(LIST) == lists  # read from the snapshot, not listed again
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is app.main)


async def test_a_refresh_costs_the_same_requests_for_3_or_30_databases(
    make_app: AppFactory,
) -> None:
    """The snapshot's owner fetches it; no pane lists anything on its own, per database or not."""
    spent = []
    for extra in (0, 27):
        org = FakeOrg.acme()
        for n in range(extra):
            org.databases[f"db-{n:02d}"] = FakeDatabase(f"db-{n:02d}", "default", usage(1, 1, 1, 0))
        app = make_app(org)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            for key in ("2", "4", "5", "1"):  # the panes that read the snapshot are built
                await pilot.press(key)
                await settle(pilot)
            before = len(org.calls)
            await pilot.press("ctrl+r")
            main = app.main
            await settle(pilot, lambda: main.refresh_count >= 2)  # noqa: B023 (awaited here)
            spent.append(sorted(org.calls[before:]))
    assert spent[0] == spent[1]
    assert sum(1 for c in spent[0] if c == LIST) == 1
