"""What a refresh of the main screen does besides fetching and showing: wait for a local Turso still starting,
keep the usage history, and put expiring tokens in the banner (``screen.py`` runs the cycle)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tursotui.ops.snapshot import OrgSnapshot
from tursotui.ops.usage_history import UsageHistory, UsageSample
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.widgets.banner import Banner

if TYPE_CHECKING:
    from tursotui.ui.main.screen import MainScreen


async def backend_started(screen: MainScreen) -> bool:
    """Wait for a local Turso still starting (or restarting: console.py). If the first start fails, the app
    exits (the console names why, on the restored terminal); a failed restart is shown, and retried."""
    services = screen.services
    ready = services.backend_ready
    if ready is None:
        return True
    banner = screen.query_one(Banner)
    banner.starting = True
    try:
        notices = await asyncio.shield(ready)  # a cancelled refresh must not cancel the start
    except Exception as exc:
        if screen.refresh_count == 0:
            screen.app.exit(return_code=1)
        elif services.backend_ready is ready:
            services.backend_ready = None
            screen.post_message(ErrorOccurred("Local Turso not running", str(exc)))
        return False
    finally:
        banner.starting = False
    if services.backend_ready is ready:
        services.backend_ready = None
    for notice in notices:
        screen.notify(
            f"local Turso: {notice}", title="Started", severity="warning", timeout=15, markup=False
        )
    return True


class HistoryKeeper:
    """The usage history of the organization the console shows (the setup wizard may point it at another):
    one sample a full refresh; a failure to save it is said once."""

    def __init__(self, data_dir: Path, key: str) -> None:
        self.history = UsageHistory(data_dir, key)
        self._failed = False

    async def record(self, screen: MainScreen, snapshot: OrgSnapshot, now: datetime) -> None:
        services = screen.services
        if self.history.key != services.history_key:
            self.history = UsageHistory(services.data_dir, services.history_key)
        if snapshot.usage is None:
            return
        totals = snapshot.usage.usage
        sample = UsageSample(
            now, totals.rows_read, totals.rows_written, totals.storage_bytes, totals.bytes_synced
        )
        try:
            await asyncio.to_thread(self.history.record, sample)
        except OSError as exc:
            if not self._failed:
                self._failed = True
                screen.post_message(ErrorOccurred("Usage history not saved", str(exc)))


class TokenAlerts:
    """Expired and expiring tokens in the banner; a notification when the set changes."""

    def __init__(self) -> None:
        self._alerted: tuple[str, ...] = ()

    def check(self, screen: MainScreen, now: datetime) -> None:
        # imported after a refresh, not in the first frame
        from tursotui.ops.token_alerts import token_alerts

        s = screen.services
        alerts = token_alerts(
            auth_token=s.settings.auth_token if s.settings is not None else None,
            ledger=s.ledger,
            organization=s.organization,
            target=s.target,
            now=now,
        )
        screen.query_one(Banner).show_token_alert(alerts.badge)
        if alerts.messages and alerts.messages != self._alerted:
            more = len(alerts.messages) - 2
            text = "\n".join(alerts.messages[:2]) + (f"\n…and {more} more" if more > 0 else "")
            screen.notify(text, title="Tokens", severity="warning", timeout=10, markup=False)
        self._alerted = alerts.messages
