"""The console's main screen: banner, the Databases and Usage panes, Footer, and the refresh cycle.

Refreshing is one worker at a time: the timer is one-shot and re-armed only when the worker has finished, so a
slow network never piles refreshes up (dolphie's pattern). While a modal is open nothing is fetched.
"""

from __future__ import annotations

import asyncio
import logging

from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, TabbedContent, TabPane

from tursotui.platform import PlatformError
from tursotui.ui.data import OrgSnapshot, fetch_snapshot
from tursotui.ui.history import UsageHistory, UsageSample
from tursotui.ui.latency import LatencyProbe
from tursotui.ui.messages import ErrorOccurred, RefreshRequested
from tursotui.ui.quota import PlanInfo
from tursotui.ui.services import Services
from tursotui.ui.widgets.backups_pane import BackupsPane
from tursotui.ui.widgets.banner import Banner
from tursotui.ui.widgets.browser_pane import BrowserPane
from tursotui.ui.widgets.databases_pane import DatabasesPane
from tursotui.ui.widgets.sql_console import SqlConsolePane
from tursotui.ui.widgets.tokens_pane import TokensPane
from tursotui.ui.widgets.usage_pane import UsagePane

log = logging.getLogger("tursotui.ui")

TABS = ("databases", "usage", "browser")
CONSOLE_TABS = {"sql": "#sql-editor", "tokens": "#tokens-table", "backups": "#backups-table"}


class MainScreen(Screen[None]):
    CSS_PATH = "main.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (Textual's own type)

    def __init__(self, services: Services, probe: LatencyProbe) -> None:
        super().__init__(id="main")
        self.services = services
        self.probe = probe
        self.history = UsageHistory(services.data_dir, services.history_key)
        self.snapshot: OrgSnapshot | None = None
        self.refreshing = False
        self.refresh_count = 0
        self._timer: Timer | None = None
        self._plan: PlanInfo | None = None
        self._warnings: tuple[str, ...] = ()
        self._history_failed = False
        self._pending = False

    def compose(self) -> ComposeResult:
        s = self.services
        yield Banner(s.banner, s.target, s.refresh_interval, read_only=s.read_only)
        with TabbedContent(initial="databases"):
            with TabPane("Databases", id="databases"):
                yield DatabasesPane(s, self.probe)
            with TabPane("Usage", id="usage"):
                yield UsagePane(s.organization)
            with TabPane("Browser", id="browser"):
                yield BrowserPane(s)
            with TabPane("SQL", id="sql"):
                yield SqlConsolePane(s)
            with TabPane("Tokens", id="tokens"):
                yield TokensPane(s)
            with TabPane("Backups", id="backups"):
                yield BackupsPane(s)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#databases-table").focus()
        self.refresh_now()

    # -- tabs ------------------------------------------------------------------------------------------------

    def show_tab(self, tab: str) -> None:
        if tab in CONSOLE_TABS:
            self.query_one(TabbedContent).active = tab
            self.query_one(CONSOLE_TABS[tab]).focus()
            return
        if tab not in TABS:
            return
        if tab == "browser":
            self.query_one(TabbedContent).active = tab
            self.query_one("#browser-table").focus()
            return
        self.query_one(TabbedContent).active = tab
        target = (
            self.query_one("#databases-table") if tab == "databases" else self.query_one(UsagePane)
        )
        target.focus()

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active

    # -- refresh cycle ---------------------------------------------------------------------------------------

    def refresh_now(self, *, manual: bool = False) -> bool:
        """Start a refresh unless one is running; False if one was already running."""
        if self.refreshing:
            return False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if manual:
            self._plan = None  # plans rarely change: fetched again only on a manual refresh
        self.refreshing = True
        self.query_one(Banner).refreshing = True
        self._refresh()
        return True

    def _arm(self, delay: float | None = None) -> None:
        if self._timer is not None:
            self._timer.stop()
        interval = self.services.refresh_interval if delay is None else delay
        self._timer = self.set_timer(interval, self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.app.screen is not self:  # a modal is open: do not fetch behind it
            self._arm()
            return
        self.refresh_now()

    @work(exclusive=True, group="refresh")
    async def _refresh(self) -> None:
        cancelled = False
        try:
            await self._fetch_and_apply()
        except asyncio.CancelledError:  # the app is closing: leave the UI alone
            cancelled = True
            raise
        finally:
            self.refreshing = False
            self.refresh_count += 1
            if not cancelled and self.is_attached:
                self.query_one(Banner).refreshing = False
                self._arm(0.0 if self._pending else None)
                self._pending = False

    async def _fetch_and_apply(self) -> None:
        now = self.services.clock()
        try:
            snapshot = await fetch_snapshot(self.services.platform, now, self._plan)
        except PlatformError as exc:
            self.post_message(ErrorOccurred("Refresh failed", str(exc)))
            return
        if not self.is_attached:
            return
        self._plan = snapshot.plan
        if snapshot.usage is not None:
            totals = snapshot.usage.usage
            sample = UsageSample(
                now,
                totals.rows_read,
                totals.rows_written,
                totals.storage_bytes,
                totals.bytes_synced,
            )
            try:
                await asyncio.to_thread(self.history.record, sample)
            except OSError as exc:
                if not self._history_failed:
                    self._history_failed = True
                    self.post_message(ErrorOccurred("Usage history not saved", str(exc)))
        self.snapshot = snapshot
        self.query_one(Banner).last_refresh = now
        self.query_one(DatabasesPane).apply(snapshot)
        self.query_one(UsagePane).apply(snapshot, self.history.samples, now)
        if snapshot.warnings != self._warnings:
            self._warnings = snapshot.warnings
            if snapshot.warnings:
                self.post_message(ErrorOccurred("Partial refresh", "\n".join(snapshot.warnings)))

    @on(RefreshRequested)
    def _requested(self, event: RefreshRequested) -> None:
        event.stop()
        if not self.refresh_now():
            self._pending = True  # one is running: the next starts right after it
