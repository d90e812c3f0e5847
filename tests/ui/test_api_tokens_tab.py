"""The Tokens tab's Platform API tokens on the fake org: listed, created group-scoped with scopes (shown once,
then a secret: redacted everywhere else), bad input named, revoked behind the typed name, refused read-only;
80×24 snapshots of the tab and the create dialog."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static

from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.api_tokens import (
    ApiTokenCreatedScreen,
    ApiTokenCreateScreen,
    ApiTokenRevokeScreen,
)

from .helpers import AppFactory, keys, ready

SnapCompare = Callable[..., bool]
SECRET = "eyJhbGciOiJFZERTQSJ9.eyJpZCI6ImNpIn0.c2lnbmF0dXJlLW9mLXRoZS1uZXctYXBpLXRva2Vu"
LIST = "GET /v1/auth/api-tokens"


class Recorded(FakeOrg):
    requests: list[tuple[str, Any]]

    async def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.requests.append((f"{request.method} {request.url.path}", body))
        return await super().handler(request)


def tokens_org() -> Recorded:
    org = Recorded.acme()
    assert isinstance(org, Recorded)
    org.requests = []
    org.fail[LIST] = (
        200,
        {
            "tokens": [
                {"name": "ci-deploy", "id": "t1", "organization": "acme", "group": "default",
                 "scopes": ["read"], "created_at": "2026-06-01T10:00:00Z"},
                {"name": "admin", "id": "t2", "organization": "acme",
                 "created_at": "2026-05-01T10:00:00Z"},
            ]
        },
    )  # fmt: skip
    org.fail["POST /v1/auth/api-tokens/reports"] = (
        200,
        {"name": "reports", "id": "t3", "token": SECRET},
    )
    org.fail["DELETE /v1/auth/api-tokens/ci-deploy"] = (200, {"token": "ci-deploy"})
    return org


async def show_tokens(pilot: Pilot[None]) -> None:
    await ready(pilot)
    await pilot.press("4")
    await ready(pilot)


def title(app: TursoApp) -> str:
    return str(app.main.query_one("#api-tokens-title", Static).render())


async def test_api_tokens_listed_created_once_and_revoked(make_app: AppFactory) -> None:
    org = tokens_org()
    app = make_app(org)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_tokens(pilot)
        table = app.main.query_one("#api-tokens-table", DataTable)
        assert table.get_row("ci-deploy") == [
            "ci-deploy",
            "acme/default",
            "read-only",
            "2026-06-01",
        ]
        assert table.get_row("admin")[1:3] == ["acme", "-"]
        assert title(app).startswith("Platform API tokens of acme · 2 tokens")
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ApiTokenCreateScreen)
        dialog.query_one("#api-name", Input).value = "reports"
        dialog.query_one("#api-group", Input).value = "default"
        dialog.query_one("#api-scopes", Input).value = ""
        dialog.query_one("#api-ok", Button).press()
        await pilot.pause()
        message = str(dialog.query_one("#api-message", Static).render())
        assert "a group-scoped token needs at least one scope" in message
        dialog.query_one("#api-scopes", Input).value = "read, db:create"
        dialog.query_one("#api-ok", Button).press()
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, ApiTokenCreatedScreen):
                break
        assert isinstance(app.screen, ApiTokenCreatedScreen)
        assert SECRET in str(app.screen.query_one("#api-secret", Static).render())
        sent = [body for key, body in org.requests if key == "POST /v1/auth/api-tokens/reports"]
        assert sent == [
            {"organization": "acme", "group": "default", "scopes": ["read", "db:create"]}
        ]
        assert SECRET in app.services.secrets  # redacted from errors and crash files from now on
        await pilot.press("escape")
        await ready(pilot)
        assert SECRET not in app.export_screenshot()
        # revoke: the typed name first
        table.focus()
        table.move_cursor(row=table.get_row_index("ci-deploy"))
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ApiTokenRevokeScreen)
        assert app.screen.query_one("#api-ok").disabled
        await pilot.press(*"ci-deploy", "enter")
        await ready(pilot)
        assert (
            sum(1 for key, _ in org.requests if key == "DELETE /v1/auth/api-tokens/ci-deploy") == 1
        )


async def test_api_tokens_refused_in_read_only_mode(make_app: AppFactory) -> None:
    org = tokens_org()
    app = make_app(org, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await show_tokens(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, ApiTokenCreateScreen)
        await pilot.press("v")
        await pilot.pause()
        assert not isinstance(app.screen, ApiTokenRevokeScreen)
        assert any(
            "Read-only mode: cannot create API tokens" in str(n.message) for n in app._notifications
        )
        assert not [
            k for k, _ in org.requests if k.startswith(("POST /v1/auth", "DELETE /v1/auth"))
        ]


def test_tokens_tab_snapshot(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    assert snap_compare(make_app(tokens_org()), terminal_size=(80, 24), run_before=keys("4"))


def test_api_token_create_snapshot(snap_compare: SnapCompare, make_app: AppFactory) -> None:
    run = keys("4", "a", wait_for="ApiTokenCreateScreen")
    assert snap_compare(make_app(tokens_org()), terminal_size=(80, 24), run_before=run)
