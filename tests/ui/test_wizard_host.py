"""The wizards run against a ``WizardHost`` (services, snapshot, selected, modal screens, notifications,
messages), not the console: here a tiny host app with no main screen at all runs the import wizard, which
offers the host's selected database first and reads the databases from the host's snapshot."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
from fixtures.fake_org import TOKEN, FakeOrg
from textual.app import App
from textual.message import Message
from textual.widgets import Input

from tursotui.ops.snapshot import OrgSnapshot, fetch_snapshot
from tursotui.platform import PlatformClient
from tursotui.ui.host import WizardHost
from tursotui.ui.messages import RefreshRequested
from tursotui.ui.services import Services, banner_text
from tursotui.ui.wizards.importing import run_import_wizard
from tursotui.ui.wizards.restore_steps import StepScreen

from .helpers import NOW


class HostApp(App[None]):
    """Just what a wizard may use; records the messages it posts."""

    def __init__(self, services: Services, snapshot: OrgSnapshot, selected: str) -> None:
        super().__init__()
        self.services = services
        self.snapshot = snapshot
        self.selected = selected
        self.posted: list[Message] = []

    def on_mount(self) -> None:
        host: WizardHost = self  # all a wizard gets
        self.run_worker(run_import_wizard(host), exit_on_error=False)

    def post_message(self, message: Message) -> bool:
        if isinstance(message, RefreshRequested):
            self.posted.append(message)
        return super().post_message(message)


async def test_the_import_wizard_needs_only_its_host(tmp_path: Path) -> None:
    fake = FakeOrg.acme()
    platform = PlatformClient(
        TOKEN, organization="acme", transport=httpx.MockTransport(fake.handler), max_retries=0
    )
    snapshot = await fetch_snapshot(platform, NOW)
    services = Services(
        platform=platform, target="cloud", banner=banner_text("cloud", "acme"), data_dir=tmp_path
    )
    source = tmp_path / "old.db"
    conn = sqlite3.connect(source)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    conn.close()
    lists = fake.count("GET", "/databases")
    app = HostApp(services, snapshot, "xswarm-staging")
    async with app.run_test(size=(120, 36)) as pilot:

        async def step(title: str) -> StepScreen:
            for _ in range(300):
                await pilot.pause()
                screen: Any = app.screen
                if isinstance(screen, StepScreen) and title in screen.step_title:
                    return screen
            raise AssertionError(f"no step {title}: {app.screen}")

        (await step("Source")).query_one(Input).value = str(source)
        await pilot.pause()
        await pilot.press("enter")
        await step("Target")
        await pilot.press("down", "enter")
        existing = await step("Existing database")
        ids = [c.id for c in existing.choices or ()]
        assert ids == ["xswarm-staging", "xswarm-analytics", "xswarm-users"]
        assert fake.count("GET", "/databases") == lists  # the host's snapshot, not a new list
        await pilot.press("escape")
        for _ in range(50):
            await pilot.pause()
        assert any("Import cancelled" in n.message for n in app._notifications)
        assert app.posted == []  # nothing imported: no refresh asked for
    await platform.aclose()
