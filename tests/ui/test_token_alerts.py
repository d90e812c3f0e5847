"""Token expiry warnings on the dashboard: the banner's badge and one notice per change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fixtures.fake_org import FakeOrg
from fixtures.token_ledger import ledger_entry
from textual.widgets import Label

from tursotui.ops.tokens import fingerprint

from .helpers import AppFactory, ready


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
