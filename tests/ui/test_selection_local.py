"""The setup wizard on the real local Turso (sqld) reads the organization from the console's snapshot and, when
it has pointed config at the database it set up, selects it: the Databases pane and the browser move there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixtures.local_turso import started_org
from textual.pilot import Pilot

from tursotui.config import CliOptions, resolve
from tursotui.ui.app import TursoApp
from tursotui.ui.panes.browser import BrowserPane
from tursotui.ui.panes.databases import DatabasesPane
from tursotui.ui.wizards.setup import SetupProgressScreen
from tursotui.ui.wizards.setup_form import SetupFormScreen

from .helpers import local_app


async def wait(pilot: Pilot[Any], until: Callable[[], bool], rounds: int = 1500) -> None:
    for _ in range(rounds):
        if until():
            return
        await pilot.pause(0.02)
    raise AssertionError("timed out")


async def test_setup_selects_the_database_it_set_up(tmp_path: Path, sqld_binary: Path) -> None:
    config = tmp_path / "cfg" / "config.toml"
    settings = resolve(
        CliOptions(
            config=str(config),
            data_dir=str(tmp_path / "data"),
            target="local",
            config_may_be_missing=True,
        ),
        environ={},
    )
    async with started_org(
        tmp_path / "local",
        sqld_binary,
        groups={"default": ["sjc"]},
        databases=[("legacy", "default")],
    ) as turso:
        app: TursoApp = local_app(
            turso,
            tmp_path,
            settings=settings,
            config_path=settings.config_path,
            env_path=settings.env_path,
        )
        async with app.run_test(size=(120, 36)) as pilot:
            await wait(pilot, lambda: app.screen.id == "main" and app.main.refresh_count >= 1)
            assert app.main.selected == "legacy"  # nothing configured: the first database
            await pilot.press("b")
            browser = app.main.query_one(BrowserPane)
            try:
                await wait(pilot, lambda: browser.session is not None)
            except AssertionError:
                raise AssertionError(
                    (
                        app.last_error,
                        str(browser.query_one("#browser-status").render()),
                        browser.started,
                        browser.database,
                        app.main.active_tab,
                        app.main.selected,
                        browser.generation,
                        app.focused,
                        app.screen_stack,
                    )
                ) from None
            assert browser.session is not None and browser.session.database == "legacy"

            listed: list[object] = []
            platform = app.services.platform
            list_databases = platform.list_databases

            async def counting(*args: Any, **kwargs: Any) -> Any:
                listed.append(kwargs)
                return await list_databases(*args, **kwargs)

            platform.list_databases = counting  # type: ignore[method-assign]
            await pilot.press("S")
            await wait(pilot, lambda: isinstance(app.screen, SetupFormScreen))
            assert listed == [], "the form was filled from the snapshot"
            assert app.screen.context.groups == {"default": "sjc"}  # type: ignore[attr-defined]
            assert app.screen.context.databases == {"legacy"}  # type: ignore[attr-defined]
            platform.list_databases = list_databases  # type: ignore[method-assign]

            await pilot.press("ctrl+s")
            await wait(pilot, lambda: isinstance(app.screen, SetupProgressScreen))
            progress = app.screen
            assert isinstance(progress, SetupProgressScreen)
            await wait(pilot, lambda: progress.runs >= 1 and not progress.running, rounds=3000)
            assert progress.succeeded
            await pilot.press("escape")
            pane = app.main.query_one(DatabasesPane)
            await wait(pilot, lambda: pane.selected_name == "xswarm-users")
            assert app.main.selected == "xswarm-users"
            await wait(
                pilot,
                lambda: browser.session is not None and browser.session.database == "xswarm-users",
            )
            await app.workers.wait_for_complete()
