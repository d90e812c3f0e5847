"""Token expiry warnings on the dashboard: the .env token and the ledger's tokens, in the banner and a notice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from fixtures.fake_org import FakeOrg
from textual.widgets import Label

from tursotui.config import CliOptions, Settings, resolve
from tursotui.local.control.keys import SigningKey
from tursotui.ops.tokens import TokenLedger, entry_for, fingerprint, parse_expiration
from tursotui.platform import PlatformClient
from tursotui.ui.services import Services
from tursotui.ui.token_alerts import token_alerts

from .helpers import NOW, AppFactory, ready

KEY = SigningKey.generate()


def offline_platform(org: str) -> PlatformClient:
    """A client that is never called: token alerts read files and claims, not the API."""
    refuse = httpx.MockTransport(lambda request: httpx.Response(599))
    return PlatformClient("t", organization=org, transport=refuse)


def settings_with_token(tmp_path: Path, token: str) -> Settings:
    config = tmp_path / "config.toml"
    config.write_text('[turso]\norganization = "acme"\n', encoding="utf-8")
    env = tmp_path / ".env"
    env.write_text(f"TURSO_AUTH_TOKEN={token}\n", encoding="utf-8")
    return resolve(CliOptions(config=str(config), env_file=str(env)), environ={})


def ledger_entry(data_dir: Path, expires_in: timedelta, org: str = "acme") -> str:
    token = KEY.mint(extra={"id": "db"}, now=(NOW - timedelta(days=80)).timestamp())
    entry = entry_for(
        token,
        scope="database",
        database="xswarm-users",
        group="default",
        organization=org,
        target="cloud",
        expiration=parse_expiration(f"{int((timedelta(days=80) + expires_in).total_seconds())}s"),
        now=NOW - timedelta(days=80),
    )
    TokenLedger.in_data_dir(data_dir).record(entry)
    return token


def test_env_token_expiring_and_ledger_expired(tmp_path: Path) -> None:
    app_token = KEY.mint(expires_in=3 * 86400, extra={"id": "db"}, now=NOW.timestamp())
    settings = settings_with_token(tmp_path, app_token)
    data = tmp_path / "data"
    old = ledger_entry(data, -timedelta(days=2))
    ledger_entry(data, timedelta(days=60))  # far off: no warning
    ledger_entry(data, -timedelta(days=1), org="other")  # another org: not ours
    services = Services(
        platform=offline_platform("acme"),
        target="cloud",
        banner="",
        data_dir=data,
        settings=settings,
    )
    alerts = token_alerts(services, NOW)
    assert alerts.expiring == 1 and alerts.expired == 1
    assert alerts.messages[0].startswith(f"TURSO_AUTH_TOKEN in .env ({fingerprint(app_token)})")
    assert "expires in 3 days" in alerts.messages[0]
    assert fingerprint(old) in alerts.messages[1] and "expired" in alerts.messages[1]
    assert alerts.badge == "⚠ 1 token expired · 1 expiring (4: Tokens)"
    assert all(app_token not in m and old not in m for m in alerts.messages)


def test_no_alerts_without_tokens(tmp_path: Path) -> None:
    services = Services(
        platform=offline_platform("local"), target="local", banner="", data_dir=tmp_path
    )
    alerts = token_alerts(services, NOW)
    assert alerts.messages == () and alerts.badge == ""


async def test_banner_and_notice(make_app: AppFactory, fake: FakeOrg, tmp_path: Path) -> None:
    data = tmp_path / "data"
    token = ledger_entry(data, timedelta(hours=20), org=fake.slug)
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        badge = app.main.query_one("#banner-tokens", Label)
        assert badge.display
        assert "1 expiring" in str(badge.render())
        notices = [n.message for n in app._notifications]
        assert any(fingerprint(token) in n and "expires in 20 hours" in n for n in notices)
        assert not any(token in n for n in notices)
        # The same alerts on the next refresh: no second notice.
        count = len(app._notifications)
        app.main.refresh_now(manual=True)
        await ready(pilot)
        assert len(app._notifications) == count
