"""The Tokens pane over the fake org: create (shown once, copy, .env), rotate with typed confirmation,
the ledger with expiry warnings, decoding a pasted JWT, read-only mode and bad input."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fixtures.fake_org import FakeOrg, fake_jwt
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from tursotui.ops.tokens import LedgerEntry, TokenLedger
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.tokens import (
    ROTATE_WARNING,
    DecodeTokenScreen,
    RotateConfirmScreen,
    TokenCreatedScreen,
    TokenCreateScreen,
)
from tursotui.ui.panes.tokens import TokensPane

from .helpers import NOW, AppFactory, ready


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RotateConfirmScreen, "CURSOR_BLINK", False)


def text_of(app: TursoApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def wait_for_screen(pilot: Pilot[Any], kind: type) -> None:
    for _ in range(200):
        await pilot.pause()
        if isinstance(pilot.app.screen, kind):
            return
    raise AssertionError(f"{kind.__name__} never opened; at {pilot.app.screen!r}")


async def open_tokens(pilot: Pilot[Any]) -> TokensPane:
    await ready(pilot)
    await pilot.press("4")
    await pilot.pause()
    return pilot.app.main.query_one(TokensPane)  # type: ignore[attr-defined,no-any-return]


def ledger_entry(fp: str, expires: str | None, **kw: Any) -> LedgerEntry:
    base: dict[str, Any] = {
        "fingerprint": fp,
        "scope": "database",
        "database": "xswarm-users",
        "group": "default",
        "authorization": "full-access",
        "created_at": "2026-03-17T12:00:00Z",
        "expires_at": expires,
        "organization": "acme",
        "target": "cloud",
    }
    base.update(kw)
    return LedgerEntry(**base)


async def test_create_shows_token_once_and_writes_env(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    env = tmp_path / ".env"
    env.write_text("OTHER=1\nTURSO_AUTH_TOKEN=old\n")
    app = make_app(fake, env_path=env)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_tokens(pilot)
        await pilot.press("n")
        await wait_for_screen(pilot, TokenCreateScreen)
        assert app.screen.query_one("#token-name", Input).value == "xswarm-users"
        assert app.screen.query_one("#token-expiration", Input).value == "90d"
        await pilot.press("enter")
        await wait_for_screen(pilot, TokenCreatedScreen)
        screen = app.screen
        assert isinstance(screen, TokenCreatedScreen)
        token = str(screen.query_one("#token-secret", Static).render())
        assert token.count(".") == 2
        copied: list[str] = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await pilot.press("c", "w")
        await pilot.pause()
        assert copied == [token]
        assert f"TURSO_AUTH_TOKEN={token}" in env.read_text() and "OTHER=1" in env.read_text()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TokenCreatedScreen)
        # the ledger lists metadata only; the token is not on screen any more
        assert pane.query_one("#tokens-table").row_count == 1  # type: ignore[attr-defined]
        assert token not in app.export_screenshot()
        assert token not in (tmp_path / "data" / "token-ledger.json").read_text()
        assert token in app.services.secrets
        entry = TokenLedger.in_data_dir(tmp_path / "data").entries()[0]
        assert (entry.scope, entry.database, entry.authorization) == (
            "database",
            "xswarm-users",
            "full-access",
        )
        assert entry.expires_at == "2026-09-13T12:00:00Z"
    backups = [p for p in tmp_path.iterdir() if p.name.startswith(".env")]  # noqa: ASYNC240
    assert len(backups) == 2  # .env and its backup


async def test_create_group_read_only_and_bad_input(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tokens(pilot)
        await pilot.press("n")
        await wait_for_screen(pilot, TokenCreateScreen)
        screen = app.screen
        screen.query_one("#token-expiration", Input).value = "90x"
        screen.query_one("#token-name", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "invalid expiration" in text_of(app, "#token-error")
        screen.query_one("#token-expiration", Input).value = "7d"
        screen.query_one("#token-name", Input).value = "Bad_Name"
        await pilot.press("enter")
        await pilot.pause()
        assert "invalid database name" in text_of(app, "#token-error")
        assert getattr(fake, "minted", []) == []
        screen.query_one("#scope-group").value = True  # type: ignore[attr-defined]
        screen.query_one("#access-ro").value = True  # type: ignore[attr-defined]
        await pilot.pause()
        screen.query_one("#token-name", Input).value = "default"
        screen.query_one("#token-name", Input).focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, TokenCreatedScreen)
        await pilot.press("escape")
        await pilot.pause()
    entry = TokenLedger.in_data_dir(tmp_path / "data").entries()[0]
    assert (entry.scope, entry.group, entry.authorization) == ("group", "default", "read-only")
    assert fake.minted == ["groups/default"]  # type: ignore[attr-defined]


async def test_rotate_needs_the_typed_name(
    make_app: AppFactory, fake: FakeOrg, tmp_path: Path
) -> None:
    ledger = TokenLedger.in_data_dir(tmp_path / "data")
    ledger.record(ledger_entry("aaaa1111", "2026-09-01T00:00:00Z"))
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tokens(pilot)
        await pilot.press("r")
        await wait_for_screen(pilot, RotateConfirmScreen)
        assert "All tokens stop working, replicas restart" in text_of(app, "#rotate-warning")
        assert ROTATE_WARNING.startswith("All tokens stop working, replicas restart")
        # Named as `tursotui token rotate` names them (one helper): the database, its group, every
        # database of it.
        impact = " ".join(text_of(app, "#rotate-impact").split())
        assert impact == (
            "Database xswarm-users is part of group default: its tokens are the group's, so rotating "
            "them rotates group default (as turso-cli does). Group default: the tokens of its 2 databases stop working: xswarm-analytics, "
            "xswarm-users; and every group token of default."
        )
        await pilot.press(*"xswarm-user", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RotateConfirmScreen)
        assert app.screen.query_one("#rotate-ok", Button).disabled
        await pilot.press("s", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # xswarm-users is in group default: its group is rotated, as turso-cli does (D7)
        assert fake.rotations == ["groups/default"]  # type: ignore[attr-defined]
        table = app.main.query_one("#tokens-table")
        assert table.get_row_at(0)[1] == "revoked"  # type: ignore[attr-defined]
        await pilot.press("r")
        await wait_for_screen(pilot, RotateConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert fake.rotations == ["groups/default"]  # type: ignore[attr-defined]


async def test_ledger_expiry_warnings(make_app: AppFactory, fake: FakeOrg, tmp_path: Path) -> None:
    ledger = TokenLedger.in_data_dir(tmp_path / "data")
    soon = (NOW + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ledger.record(ledger_entry("bbbb2222", soon))
    ledger.record(ledger_entry("cccc3333", "2026-06-01T00:00:00Z"))
    ledger.record(ledger_entry("dddd4444", None, organization="other"))
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = await open_tokens(pilot)
        warnings = str(pane.query_one("#tokens-warnings", Static).render())
        assert "cccc3333" in warnings and "has expired" in warnings
        assert "bbbb2222" in warnings and "expires in 3 days" in warnings
        table = pane.query_one("#tokens-table")
        states = {table.get_row_at(i)[0]: table.get_row_at(i)[1] for i in range(table.row_count)}  # type: ignore[attr-defined]
        assert states == {"bbbb2222": "expiring", "cccc3333": "expired"}


async def test_decode_pasted_token(make_app: AppFactory, fake: FakeOrg) -> None:
    token = fake_jwt({"a": "ro", "id": "db-uuid-1", "iat": 1_781_000_000, "exp": 1_781_524_000}, 7)
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tokens(pilot)
        await pilot.press("d")
        await wait_for_screen(pilot, DecodeTokenScreen)
        field = app.screen.query_one(Input)
        assert field.password
        field.value = token
        await pilot.press("enter")
        await pilot.pause()
        claims = text_of(app, "#decode-claims")
        assert "NOT verified" in claims and "read-only (a: ro)" in claims and "db-uuid-1" in claims
        assert "EXPIRED" in claims and token not in app.export_screenshot()
        field.value = "not-a-token"
        await pilot.press("enter")
        await pilot.pause()
        assert "not a JWT" in text_of(app, "#decode-claims")


async def test_read_only_mode_refuses_create_and_rotate(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_tokens(pilot)
        await pilot.press("n", "r")
        await pilot.pause()
        assert not isinstance(app.screen, TokenCreateScreen | RotateConfirmScreen)
        assert getattr(fake, "minted", []) == [] and getattr(fake, "rotations", []) == []


async def test_rotate_group_needs_the_group_name(make_app: AppFactory, fake: FakeOrg) -> None:
    app = make_app(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tokens(pilot)
        await pilot.press("g")
        await wait_for_screen(pilot, RotateConfirmScreen)
        assert "group default" in text_of(app, "#rotate-warning")
        await pilot.press(*"xswarm-users", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RotateConfirmScreen)
        app.screen.query_one("#rotate-input", Input).value = "default"
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    assert fake.rotations == ["groups/default"]  # type: ignore[attr-defined]
