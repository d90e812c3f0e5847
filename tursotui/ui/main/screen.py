"""The console's main screen: banner, the Databases and Usage panes, Footer, and the refresh cycle.

Refreshing is one worker at a time: the timer is one-shot and re-armed only when the worker has finished, so a
slow network never piles refreshes up (dolphie's pattern). While a modal is open nothing is fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from functools import partial

from textual import on, work
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from tursotui.ops.latency import LatencyProbe
from tursotui.ops.quota import PlanInfo
from tursotui.ops.snapshot import OrgSnapshot, fetch_snapshot
from tursotui.ops.token_alerts import token_alerts
from tursotui.ops.usage_history import UsageHistory, UsageSample
from tursotui.platform import PlatformError
from tursotui.ui.messages import ErrorOccurred, RefreshRequested
from tursotui.ui.panes.databases import DatabasesPane
from tursotui.ui.panes.usage import UsagePane
from tursotui.ui.services import Services, banner_text
from tursotui.ui.widgets.banner import Banner
from tursotui.ui.widgets.deferred import Deferred
from tursotui.ui.widgets.footer import ConsoleFooter

log = logging.getLogger("tursotui.ui")

DEFERRED_TABS = {
    "usage": ("Usage", "UsagePane"),
    "browser": ("Browser", "#browser-table"),
    "sql": ("SQL", "#sql-editor"),
    "tokens": ("Tokens", "#tokens-table"),
    "backups": ("Backups", "#backups-table"),
    "replica": ("Replica", "#replica-table"),
}
"""Each hidden tab's title and the widget focused when it is shown; its pane is imported and mounted the first
time the tab is shown (:func:`deferred_pane`): the first frame holds only the banner and the databases."""


class MainScreen(Screen[None]):
    CSS_PATH = "main.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (Textual's own type)

    def __init__(
        self, services: Services, probe: LatencyProbe, first: OrgSnapshot | None = None
    ) -> None:
        super().__init__(id="main")
        self._first = first
        """Fetched while the console was starting: the first frame shows it (no second fetch)."""
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
        self._alerted: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        # Hidden tabs are imported and mounted when first shown (Deferred): the dashboard shows sooner.
        s = self.services
        yield Banner(s.banner, s.target, s.refresh_interval, read_only=s.read_only)
        with TabbedContent(initial="databases"):
            with TabPane("Databases", id="databases"):
                yield DatabasesPane(s, self.probe)
            for tab, (title, _) in DEFERRED_TABS.items():
                with TabPane(title, id=tab):
                    yield Deferred(partial(deferred_pane, tab, s))
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.query_one("#databases-table").focus()
        if self._first is not None:  # fetched while the console started: in the very first frame
            self._show(self._first, self.services.clock())
        self.refresh_now()

    # -- tabs ------------------------------------------------------------------------------------------------

    @on(TabbedContent.TabActivated)
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id is not None:
            await self.load_tab(event.pane.id)

    async def load_tab(self, tab: str) -> Widget:
        """The pane of ``tab``, imported and mounted first if it never was."""
        tab_pane = self.query_one(f"#{tab}", TabPane)
        for deferred in tab_pane.query_children(Deferred):
            await deferred.load()
            if tab == "usage" and self.snapshot is not None:  # what it missed while not built
                self._show_usage(self.snapshot, self.services.clock())
        return next(w for w in tab_pane.children if not isinstance(w, Deferred))

    def _show_usage(self, snapshot: OrgSnapshot, now: datetime) -> None:
        """Into the Usage tab once it is built (on first show); while it is being built, :meth:`load_tab` shows
        the latest snapshot when it is done (a refresh landing mid-mount found its table without columns)."""
        tab = self.query_one("#usage", TabPane)
        if not tab.query_children(Deferred):
            for pane in tab.query_children(UsagePane):
                pane.apply(snapshot, self.history.samples, now)

    def show_tab(self, tab: str) -> None:
        if tab == "databases":
            self.query_one(TabbedContent).active = tab
            self.query_one("#databases-table").focus()
        elif tab in DEFERRED_TABS:
            self.query_one(TabbedContent).active = tab
            self.run_worker(self._focus_loaded(tab, DEFERRED_TABS[tab][1]))

    async def _focus_loaded(self, tab: str, selector: str) -> None:
        """Focus a pane's widget once the pane is there (built on first show: Deferred)."""
        await self.load_tab(tab)
        if self.active_tab == tab:  # not if another tab was chosen meanwhile
            with contextlib.suppress(NoMatches):
                self.query_one(selector).focus()

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
        first, self._first = self._first, None
        self._refresh(first)
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
    async def _refresh(self, first: OrgSnapshot | None = None) -> None:
        cancelled = False
        try:
            await self._fetch_and_apply(first)
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

    async def _backend_started(self) -> bool:
        """Wait for a local Turso still starting (or restarting: console.py). If the first start fails, the
        app exits (the console names why, on the restored terminal); a failed restart is shown, and retried."""
        ready = self.services.backend_ready
        if ready is None:
            return True
        banner = self.query_one(Banner)
        banner.starting = True
        try:
            notices = await asyncio.shield(ready)  # a cancelled refresh must not cancel the start
        except Exception as exc:
            if self.refresh_count == 0:
                self.app.exit(return_code=1)
            elif self.services.backend_ready is ready:
                self.services.backend_ready = None
                self.post_message(ErrorOccurred("Local Turso not running", str(exc)))
            return False
        finally:
            banner.starting = False
        if self.services.backend_ready is ready:
            self.services.backend_ready = None
        for notice in notices:
            self.notify(
                f"local Turso: {notice}",
                title="Started",
                severity="warning",
                timeout=15,
                markup=False,
            )
        return True

    async def _fetch_and_apply(self, first: OrgSnapshot | None = None) -> None:
        """Fetch, record the usage sample, show. ``first`` is already on screen: only recorded."""
        if not await self._backend_started():
            return
        now = self.services.clock()
        if (
            first is not None
        ):  # on screen already; the Usage tab shows it (and its sample) when first shown
            await self._record(first, now)
            return
        try:
            snapshot = await fetch_snapshot(self.services.platform, now, self._plan)
        except PlatformError as exc:
            self.post_message(ErrorOccurred("Refresh failed", str(exc)))
            return
        if not self.is_attached:
            return
        await self._record(snapshot, now)
        self._show(snapshot, now)

    async def _record(self, snapshot: OrgSnapshot, now: datetime) -> None:
        if self.history.key != self.services.history_key:  # another organization (setup wizard)
            self.history = UsageHistory(self.services.data_dir, self.services.history_key)
        if snapshot.usage is None:
            return
        totals = snapshot.usage.usage
        sample = UsageSample(
            now, totals.rows_read, totals.rows_written, totals.storage_bytes, totals.bytes_synced
        )
        try:
            await asyncio.to_thread(self.history.record, sample)
        except OSError as exc:
            if not self._history_failed:
                self._history_failed = True
                self.post_message(ErrorOccurred("Usage history not saved", str(exc)))

    def _show(self, snapshot: OrgSnapshot, now: datetime) -> None:
        self._plan = snapshot.plan
        self.snapshot = snapshot
        banner = self.query_one(Banner)
        banner.show_target(banner_text(self.services.target, self.services.organization))
        banner.last_refresh = now
        self.query_one(DatabasesPane).apply(snapshot)
        self._show_usage(snapshot, now)
        self._token_alerts(now)
        if snapshot.warnings != self._warnings:
            self._warnings = snapshot.warnings
            if snapshot.warnings:
                self.post_message(ErrorOccurred("Partial refresh", "\n".join(snapshot.warnings)))

    def _token_alerts(self, now: datetime) -> None:
        """Expired/expiring tokens in the banner; a notification when the set changes."""
        s = self.services
        alerts = token_alerts(
            auth_token=s.settings.auth_token if s.settings is not None else None,
            ledger=s.ledger,
            organization=s.organization,
            target=s.target,
            now=now,
        )
        self.query_one(Banner).show_token_alert(alerts.badge)
        if alerts.messages and alerts.messages != self._alerted:
            more = len(alerts.messages) - 2
            text = "\n".join(alerts.messages[:2]) + (f"\n…and {more} more" if more > 0 else "")
            self.notify(text, title="Tokens", severity="warning", timeout=10, markup=False)
        self._alerted = alerts.messages

    @on(RefreshRequested)
    def _requested(self, event: RefreshRequested) -> None:
        event.stop()
        if not self.refresh_now():
            self._pending = True  # one is running: the next starts right after it


def deferred_pane(tab: str, services: Services) -> Widget:
    """The pane of a hidden tab; its module is imported only now."""
    if tab == "usage":
        return UsagePane(services.organization)
    if tab == "browser":
        from tursotui.ui.panes.browser import BrowserPane

        return BrowserPane(services)
    if tab == "sql":
        from tursotui.ui.panes.sql import SqlConsolePane

        return SqlConsolePane(services)
    if tab == "tokens":
        from tursotui.ui.panes.tokens import TokensPane

        return TokensPane(services)
    if tab == "backups":
        from tursotui.ui.panes.backups import BackupsPane

        return BackupsPane(services)
    from tursotui.ui.panes.replica import ReplicaPane

    return ReplicaPane(services)
