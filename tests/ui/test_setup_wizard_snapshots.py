"""Snapshots of the setup wizard on Turso Cloud (the fake org ``acme``, fixed clock, no blink): the form, the
form naming a bad field, and the progress screen stopped at a failed step, at 80×24 and 120×36.

``$HOME`` is the test's tmp dir so the config paths on screen read ``~/.config/tursotui/…`` everywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.fake_org import TOKEN, FakeOrg
from textual.pilot import Pilot
from textual.widgets import Input

from tursotui.config import Config, Settings
from tursotui.ui.app import TursoApp
from tursotui.ui.wizards.setup import SetupProgressScreen
from tursotui.ui.wizards.setup_form import SetupFormScreen

from .helpers import AppFactory, ready, write_screenshot

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


@dataclass
class SetupOrg(FakeOrg):
    """The fake org plus what setup asks first: the token check, the org list, the closest region."""

    def route(self, method: str, path: str) -> tuple[int, Any]:
        if (method, path) == ("GET", "/v1/auth/validate"):
            return 200, {"exp": -1}
        if (method, path) == ("GET", "/v1/organizations"):
            return 200, [
                {"name": "Acme", "slug": "acme", "type": "team"},
                {"name": "Personal", "slug": "ops-personal", "type": "personal"},
            ]
        return super().route(method, path)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "region.turso.io":
            return httpx.Response(200, json={"server": "aws-us-west-2", "client": "aws-us-west-2"})
        return await super().handler(request)


@pytest.fixture
def cloud_app(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[SetupOrg], TursoApp]:
    monkeypatch.setenv("HOME", str(tmp_path))
    config = tmp_path / ".config" / "tursotui" / "config.toml"
    settings = Settings(
        config=Config(),
        config_path=config,
        env_path=config.parent / ".env",
        data_dir=tmp_path / "data",
        target="cloud",
        read_only=False,
        database_url="",
        organization="acme",
        api_token=TOKEN,
        auth_token=None,
    )

    def build(org: SetupOrg) -> TursoApp:
        return make_app(org, settings=settings, config_path=config, env_path=settings.env_path)

    return build


def open_form(*typed: tuple[str, str], submit: bool = False) -> RunBefore:
    """``S``, wait for the form, set fields (``(id, value)``); with ``submit`` press ctrl+s."""

    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("S")
        for _ in range(200):
            await pilot.pause()
            if isinstance(pilot.app.screen, SetupFormScreen):
                break
        form = pilot.app.screen
        assert isinstance(form, SetupFormScreen)
        for field in form.query(Input):
            field.cursor_blink = False
        for selector, value in typed:
            form.query_one(selector, Input).value = value
        await pilot.pause()
        if submit:
            await pilot.press("ctrl+s")
            for _ in range(400):
                await pilot.pause()
                screen = pilot.app.screen
                if isinstance(screen, SetupProgressScreen) and screen.runs and not screen.running:
                    break
                if screen is form and form.query_one("#setup-error").has_class("-shown"):
                    break
        await pilot.pause()

    return run


@SIZES
def test_setup_form(
    snap_compare: SnapCompare, cloud_app: Callable[[SetupOrg], TursoApp], size: tuple[int, int]
) -> None:
    app = cloud_app(SetupOrg.acme())
    assert snap_compare(app, terminal_size=size, run_before=open_form())


def test_setup_form_bad_name(
    snap_compare: SnapCompare, cloud_app: Callable[[SetupOrg], TursoApp]
) -> None:
    app = cloud_app(SetupOrg.acme())
    run = open_form(("#setup-database", "Xswarm EU"), submit=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run)


@SIZES
def test_setup_progress_failed(
    snap_compare: SnapCompare, cloud_app: Callable[[SetupOrg], TursoApp], size: tuple[int, int]
) -> None:
    org = SetupOrg.acme()
    org.fail["POST /v1/organizations/acme/databases"] = (
        402,
        {"error": "databases quota exceeded: the starter plan allows 100"},
    )
    run = open_form(("#setup-database", "xswarm-eu"), submit=True)
    assert snap_compare(cloud_app(org), terminal_size=size, run_before=run)


def test_setup_token_refused(
    snap_compare: SnapCompare, cloud_app: Callable[[SetupOrg], TursoApp]
) -> None:
    """A refused Platform API token: the error says so and how to get one (also over SSH)."""
    org = SetupOrg.acme()
    org.fail["GET /v1/organizations"] = (401, {"error": "token has expired"})

    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("S")
        for _ in range(200):
            await pilot.pause()
            if type(pilot.app.screen).__name__ == "ErrorScreen":
                break
        await pilot.pause()

    assert snap_compare(cloud_app(org), terminal_size=(80, 24), run_before=run)


async def test_readme_screenshot(cloud_app: Callable[[SetupOrg], TursoApp]) -> None:
    """screenshots/setup.svg at 120×36 (the form); never a token in it."""
    console = cloud_app(SetupOrg.acme())
    async with console.run_test(size=(120, 36)) as pilot:
        await open_form()(pilot)
        write_screenshot(console, "setup", (TOKEN,))
