"""D13 in the console: the decode dialog says what sqld grants, from ``p`` when the token has one (each level
and its databases, fine-grained rules as they are), else from ``a`` (ops/token_claims.py)."""

from __future__ import annotations

from typing import Any

from fixtures.fake_org import FakeOrg, fake_jwt
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tursotui.ui.dialogs.tokens import DecodeTokenScreen

from .helpers import AppFactory, ready


async def decoded(pilot: Pilot[Any], token: str) -> str:
    app = pilot.app
    app.screen.query_one(Input).value = token
    await pilot.press("enter")
    await pilot.pause()
    return str(app.screen.query_one("#decode-claims", Static).render())


async def test_decode_shows_p_permissions_and_the_access_they_give(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    permissions = {
        "rw": {"ns": ["xswarm-users"]},
        "roa": {"ns": ["xswarm-analytics", "xswarm-staging"]},
        "data_read": {"tables": ["users"]},
    }
    with_p = fake_jwt({"a": "ro", "id": "db-uuid-1", "p": permissions, "exp": 1_789_000_000}, 1)
    legacy = fake_jwt({"a": "ro", "gid": "group-uuid-9", "exp": 1_789_000_000}, 2)
    app = make_app(fake)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("d")
        for _ in range(100):
            await pilot.pause()
            if isinstance(app.screen, DecodeTokenScreen):
                break
        assert isinstance(app.screen, DecodeTokenScreen)
        shown = await decoded(pilot, with_p)
        # p wins over a: the token writes xswarm-users although it says a: ro
        assert "access:      by database, from p (full-access at most; sqld ignores a: ro" in shown
        assert "rw (read and write): xswarm-users" in shown
        assert "roa (read_attach: ATTACH read-only): xswarm-analytics, xswarm-staging" in shown
        assert 'data_read: {"tables": ["users"]}' in shown
        shown = await decoded(pilot, legacy)
        assert "access:      read-only (a: ro)" in shown
        assert "p (permissions" not in shown and "gid:         group-uuid-9" in shown
        assert "not expired" in shown  # exp 2026-09-14, the clock 2026-06-15
        assert with_p not in app.export_screenshot() and legacy not in app.export_screenshot()
