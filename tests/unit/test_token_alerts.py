"""Token expiry warnings: the .env token and the ledger's tokens of this organization."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fixtures.token_ledger import KEY, NOW, ledger_entry

from tursotui.config import CliOptions, Settings, resolve
from tursotui.ops.token_alerts import token_alerts
from tursotui.ops.tokens import TokenLedger, fingerprint


def settings_with_token(tmp_path: Path, token: str) -> Settings:
    config = tmp_path / "config.toml"
    config.write_text('[turso]\norganization = "acme"\n', encoding="utf-8")
    env = tmp_path / ".env"
    env.write_text(f"TURSO_AUTH_TOKEN={token}\n", encoding="utf-8")
    return resolve(CliOptions(config=str(config), env_file=str(env)), environ={})


def test_env_token_expiring_and_ledger_expired(tmp_path: Path) -> None:
    app_token = KEY.mint(expires_in=3 * 86400, extra={"id": "db"}, now=NOW.timestamp())
    settings = settings_with_token(tmp_path, app_token)
    data = tmp_path / "data"
    old = ledger_entry(data, -timedelta(days=2))
    ledger_entry(data, timedelta(days=60))  # far off: no warning
    ledger_entry(data, -timedelta(days=1), org="other")  # another org: not ours
    alerts = token_alerts(
        auth_token=settings.auth_token,
        ledger=TokenLedger.in_data_dir(data),
        organization="acme",
        target="cloud",
        now=NOW,
    )
    assert alerts.expiring == 1 and alerts.expired == 1
    assert alerts.messages[0].startswith(f"TURSO_AUTH_TOKEN in .env ({fingerprint(app_token)})")
    assert "expires in 3 days" in alerts.messages[0]
    assert fingerprint(old) in alerts.messages[1] and "expired" in alerts.messages[1]
    assert alerts.badge == "⚠ 1 token expired · 1 expiring (4: Tokens)"
    assert all(app_token not in m and old not in m for m in alerts.messages)


def test_no_alerts_without_tokens(tmp_path: Path) -> None:
    ledger = TokenLedger.in_data_dir(tmp_path)
    alerts = token_alerts(
        auth_token=None, ledger=ledger, organization="local", target="local", now=NOW
    )
    assert alerts.messages == () and alerts.badge == ""


def test_one_hour_and_one_day_are_singular(tmp_path: Path) -> None:
    ledger = TokenLedger.in_data_dir(tmp_path / "data")
    hour = KEY.mint(expires_in=3600, extra={"id": "db"}, now=NOW.timestamp())
    day = KEY.mint(expires_in=86400, extra={"id": "db"}, now=NOW.timestamp())
    for token, text in ((hour, "expires in 1 hour"), (day, "expires in 1 day")):
        alerts = token_alerts(
            auth_token=token, ledger=ledger, organization="a", target="cloud", now=NOW
        )
        assert alerts.messages[0].endswith(text)
