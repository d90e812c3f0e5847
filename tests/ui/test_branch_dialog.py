"""The console's branch action (``B`` on the Databases pane): the form checks its fields as ``tursotui db
branch`` does, the branch is made on the local Turso (real sqld), read-only mode refuses it; a snapshot of the
dialog at 80×24."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tursotui.local.host.demo import ensure_demo_org
from tursotui.local.host.service import LocalTurso
from tursotui.ops.errors import InputError
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.branch import BranchScreen, read_request
from tursotui.ui.services import Services, banner_text

from .helpers import AppFactory, fixed_probe, keys, ready

SnapCompare = Callable[..., bool]


@pytest.fixture
async def demo_app(local_turso: LocalTurso, tmp_path: Path) -> AsyncIterator[TursoApp]:
    await ensure_demo_org(
        local_turso, config_path=tmp_path / "config.toml", env_path=tmp_path / ".env", users=12
    )
    platform = local_turso.platform_client()
    services = Services(
        platform=platform,
        target="local",
        banner=banner_text("local", local_turso.organization),
        data_dir=tmp_path / "data",
        database_name="xswarm-users",
        refresh_interval=3600.0,
        latency_probe=fixed_probe,
        env_path=tmp_path / ".env",
        secrets=(local_turso.api_token,),
        local_turso=True,
    )
    app = TursoApp(services)
    app.animation_level = "none"
    try:
        yield app
    finally:
        await platform.aclose()


async def _until(pilot: Pilot[Any], check: Callable[[], bool]) -> None:
    for _ in range(400):
        await pilot.pause(0.02)
        if check():
            return
    raise AssertionError(f"never happened; at {pilot.app.screen!r}")


def test_the_form_reads_its_fields_like_the_cli() -> None:
    request = read_request("app", " feature ", "", "")
    assert (request.name, request.when, request.group) == ("feature", None, None)
    timed = read_request("app", "old", "2h ago", "other")
    assert timed.when is not None and timed.when.kind == "relative" and timed.group == "other"
    for args, words in (
        (("app", "app", "", ""), "must be different"),
        (("app", "Bad_Name", "", ""), "invalid branch name"),
        (("app", "ok", "someday", ""), "invalid restore time"),
        (("app", "ok", "", "Bad Group"), "invalid group name"),
    ):
        with pytest.raises(InputError, match=words):
            read_request(*args)


async def test_branch_from_the_databases_pane_on_sqld(
    demo_app: TursoApp, local_turso: LocalTurso
) -> None:
    app = demo_app
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("B")
        await _until(pilot, lambda: isinstance(app.screen, BranchScreen))
        dialog = app.screen
        assert dialog.query_one("#branch-name", Input).value == "xswarm-users-branch"
        dialog.query_one("#branch-name", Input).value = "xswarm-users"
        await pilot.press("enter")
        await pilot.pause()
        message = str(dialog.query_one("#branch-message", Static).render())
        assert "must be different" in message and isinstance(app.screen, BranchScreen)
        dialog.query_one("#branch-name", Input).value = "feature"
        await pilot.press("enter")
        await _until(pilot, lambda: "feature" in local_turso.cp.state.databases)
        await app.workers.wait_for_complete()
        await pilot.pause()
        db = local_turso.cp.database("feature")
        assert db.parent is not None and db.parent["name"] == "xswarm-users"
        assert db.group == "default"
        await _until(pilot, lambda: app.main.snapshot.database("feature") is not None)


async def test_read_only_mode_refuses_a_branch(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        await pilot.press("B")
        await pilot.pause()
        assert not isinstance(app.screen, BranchScreen)
        assert fake.count("POST", "/databases") == 0


def test_branch_dialog_80x24(
    snap_compare: SnapCompare, make_app: AppFactory, fake: FakeOrg
) -> None:
    run: Callable[[Pilot[Any]], Awaitable[None]] = keys("B", wait_for="BranchScreen")
    assert snap_compare(make_app(fake), terminal_size=(80, 24), run_before=run)
