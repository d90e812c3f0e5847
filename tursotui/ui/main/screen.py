"""The console's main screen: banner, the tabs of ``tabs.TABS``, Footer, the refresh cycle, and the one owner
of the organization's state: the last snapshot and the selected database (:class:`~tursotui.ui.host.OrgView`).

Refreshing is one worker at a time: the timer is one-shot and re-armed only when the worker has finished, so a
slow network never piles refreshes up (dolphie's pattern). While a modal is open nothing is fetched. A refresh
lists the databases and groups; the organization, its usage and its plan come on the first, a manual one
(ctrl+r) and then at most every ``slow_interval`` seconds (ops/snapshot.py, cloud-fidelity D5). Each
refresh goes to the panes that want it; a change of the selected database (``DatabaseSelected``, posted by the
Databases pane, or by the app after a setup or restore pointed config at a database) to the panes that follow it.

The first frame shows the last known snapshot of the target at once (``first_frame.py``), marked "cached · as of
HH:MM" under the banner until the first live refresh replaces it; a failed first refresh leaves it, marked, and
says so. Each full refresh is saved for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from urllib.parse import urlsplit

from textual import events, on, work
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from tursotui.ops.latency import LatencyProbe
from tursotui.ops.snapshot import (
    SLOW_SECONDS,
    OrgSnapshot,
    failure_text,
    fetch_snapshot,
    unavailable_snapshot,
)
from tursotui.ops.usage_history import UsageHistory
from tursotui.platform import PlatformError
from tursotui.ui.main.cycle import HistoryKeeper, TokenAlerts, backend_started
from tursotui.ui.main.first_frame import CachedMark, LastKnown
from tursotui.ui.messages import DatabaseSelected, ErrorOccurred, RefreshRequested
from tursotui.ui.services import Services, banner_text
from tursotui.ui.tabs import TABS, PaneContext, TabSpec, follows, shows, tab
from tursotui.ui.widgets.banner import Banner
from tursotui.ui.widgets.deferred import DeferredPane
from tursotui.ui.widgets.footer import ConsoleFooter

log = logging.getLogger("tursotui.ui")


class MainScreen(Screen[None]):
    CSS_PATH = "main.tcss"
    AUTO_FOCUS = TABS[0].focus
    """Focused when composed: the first tab's widget at once, not the tab bar first and then that widget (each
    focus change restyles the widgets it touches, before the first frame)."""
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (Textual's own type)

    @classmethod
    def breakpoint(cls, width: int) -> str:
        """The class Textual gives the screen at ``width`` (the widest breakpoint it reaches)."""
        return max((at, name) for at, name in cls.HORIZONTAL_BREAKPOINTS if width >= at)[1]

    selected: var[str | None] = var(None, init=False)
    """The database the panes act on: the configured one first, then what ``DatabaseSelected`` names; the
    organization's first database when the one selected is not (or no longer) in it."""

    def __init__(
        self,
        services: Services,
        probe: LatencyProbe,
        first: OrgSnapshot | None = None,
        *,
        drawn: Callable[[], None] | None = None,
        width: int = 0,
    ) -> None:
        """``drawn``: called once the first frame is on screen (the console's launch starts the local Turso
        then, when that frame shows a cached snapshot). ``width``: the terminal's, for the breakpoint class the
        screen is styled with from the start (no restyle of every widget at the first resize)."""
        super().__init__(id="main", classes=self.breakpoint(width))
        self._drawn = drawn
        self._first = first
        """Fetched while the console was starting: the first frame shows it (no second fetch)."""
        self.services = services
        self.probe = probe
        self.keeper = HistoryKeeper(services.data_dir, services.history_key)
        self.token_alerts = TokenAlerts()
        self.snapshot: OrgSnapshot | None = None
        """The last refresh: panes and wizards read it instead of fetching the list again."""
        self.set_reactive(MainScreen.selected, services.database_name or None)
        self._wanted: tuple[str, int] | None = None
        """A selection the last snapshot does not list yet (a database just created), and the refresh it was
        made during: a refresh started after it decides."""
        self._serial = 0
        """Refreshes started so far."""
        self.refreshing = False
        self.refresh_count = 0
        self._timer: Timer | None = None
        self.slow_interval = SLOW_SECONDS
        """Seconds between two fetches of the organization, usage and plan (monotonic clock)."""
        self._account_at: float | None = None
        """When they were last fetched (``time.monotonic``); None: the next refresh fetches them."""
        self._account_of = services.history_key
        """The organization they are of (the setup wizard may point the console at another)."""
        self._warnings: tuple[str, ...] = ()
        self._failure: str | None = None
        """Why the last refresh failed (said once, until it changes or a refresh succeeds)."""
        self._unavailable: OrgSnapshot | None = None
        """What the panes show while no refresh has succeeded yet: "unavailable", the reason."""
        self._pending = False
        self.last_known = LastKnown(services)
        self._resumed = False
        self._cached: OrgSnapshot | None = None
        """The last known snapshot (``ops/snapshot_cache.py``) shown, marked, until a live refresh lands."""

    @property
    def history(self) -> UsageHistory:
        """The usage history of the organization shown (its samples feed the Usage tab)."""
        return self.keeper.history

    def compose(self) -> ComposeResult:
        # Hidden tabs are imported and mounted when first shown (DeferredPane): the dashboard shows sooner.
        s = self.services
        context = PaneContext(s, self.probe, self)
        yield Banner(s.banner, s.target, s.refresh_interval, read_only=s.read_only)
        yield CachedMark()
        with TabbedContent(initial=TABS[0].id):
            for spec in TABS:
                if spec.deferred:
                    yield DeferredPane(spec.title, partial(spec.pane, context), id=spec.id)
                else:
                    with TabPane(spec.title, id=spec.id):
                        yield spec.pane(context)
        # ctrl+p is said in ? and the palette lists ":": the footer keeps its room for the pane's keys
        yield ConsoleFooter(show_command_palette=False)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # The first time, every widget was just styled as it was mounted: Textual would style them all again.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_mount(self) -> None:
        self.query_one(TABS[0].focus).focus()
        if self._first is not None:  # fetched while the console started: in the very first frame
            self._show(self._first, self.services.clock())
        else:  # the last known snapshot, marked as such, until the first refresh replaces it
            self._show_cached(self.last_known.load())
        # The first refresh (its requests, their TLS) starts once this frame is on screen.
        self.call_after_refresh(self._first_frame_drawn)

    def _first_frame_drawn(self) -> None:
        if self._drawn is not None:
            self._drawn()
        if (
            self.refresh_count == 0 and not self.refreshing
        ):  # not already started (ctrl+r, a request)
            self.refresh_now()

    def _show_cached(self, cached: OrgSnapshot | None) -> None:
        if cached is None:
            return
        now = self.services.clock()
        self._cached = cached
        self.query_one(CachedMark).show_cached(cached.fetched_at, now, len(cached.databases))
        if self.selected is None:
            self.selected = cached.first_database
        for spec, pane in self.built_panes():
            if spec.wants_snapshot:
                shows(spec, pane).show_snapshot(cached, self.history.samples, now)

    # -- tabs ------------------------------------------------------------------------------------------------

    @on(TabbedContent.TabActivated)
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id is not None:
            await self.load_tab(event.pane.id)

    async def load_tab(self, tab_id: str) -> Widget:
        """The pane of ``tab_id``, imported and mounted first if it never was; once built it gets the latest
        snapshot and selection (a refresh landing while it was being mounted skipped it)."""
        spec = tab(tab_id)
        tab_pane = self.query_one(f"#{tab_id}", TabPane)
        if isinstance(tab_pane, DeferredPane) and not tab_pane.built:
            await tab_pane.load()
            pane = tab_pane.children[0]
            shown = self.snapshot or self._cached or self._unavailable
            if spec.wants_snapshot and shown is not None:
                shows(spec, pane).show_snapshot(shown, self.history.samples, self.services.clock())
            if spec.follows_selection:
                follows(spec, pane).database_selected(self.selected)
        return tab_pane.children[0]

    def built_panes(self) -> list[tuple[TabSpec, Widget]]:
        """The panes built so far (a tab never shown has none yet), with their tab."""
        built = []
        for spec in TABS:
            tab_pane = self.query_one(f"#{spec.id}", TabPane)
            if not isinstance(tab_pane, DeferredPane) or tab_pane.built:
                built.append((spec, tab_pane.children[0]))
        return built

    def show_tab(self, tab_id: str) -> None:
        spec = tab(tab_id)
        if self.active_tab != tab_id:
            # Blur first: a focused widget hidden with its tab hands the focus to a sibling in that tab, and
            # focusing in a hidden tab shows that tab again (seen while the new pane was still being built).
            self.set_focus(None)
        self.query_one(TabbedContent).active = tab_id
        if spec.deferred:
            self.run_worker(self._focus_loaded(spec))
        else:
            self.query_one(spec.focus).focus()

    async def _focus_loaded(self, spec: TabSpec) -> None:
        """Focus a pane's widget once the pane is there (built on first show: DeferredPane)."""
        await self.load_tab(spec.id)
        if self.active_tab == spec.id:  # not if another tab was chosen meanwhile
            with contextlib.suppress(NoMatches):
                self.query_one(spec.focus).focus()

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
            self._account_at = None  # the organization, usage and plan are fetched again now
        self.refreshing = True
        self._serial += 1
        self.query_one(Banner).refreshing = True
        first, self._first = self._first, None
        self._refresh(first, self._serial)
        return True

    def _arm(self, delay: float | None = None) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        interval = self.services.refresh_interval if delay is None else delay
        # "Right away" is a millisecond: a Textual timer of 0 s divides by its interval and dies.
        self._timer = self.set_timer(max(interval, 0.001), self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.app.screen is not self:  # a modal is open: do not fetch behind it
            self._arm()
            return
        self.refresh_now()

    @work(exclusive=True, group="refresh")
    async def _refresh(self, first: OrgSnapshot | None = None, serial: int = 0) -> None:
        cancelled = False
        try:
            await self._fetch_and_apply(first, serial)
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

    async def _fetch_and_apply(self, first: OrgSnapshot | None = None, serial: int = 0) -> None:
        """Fetch, record the usage sample, show. ``first`` is already on screen: only recorded."""
        if not await backend_started(self):
            return
        now = self.services.clock()
        if (
            first is not None
        ):  # on screen already; the Usage tab shows it (and its sample) when first shown
            self._account_at = time.monotonic()
            await self.keeper.record(self, first, now)
            await self.last_known.keep(first)
            return
        started = time.monotonic()
        slow = (
            self._account_at is None
            or started - self._account_at >= self.slow_interval
            or self._account_of != self.services.history_key
        )
        previous = None if slow else self.snapshot
        try:
            snapshot = await fetch_snapshot(self.services.platform, now, previous=previous)
        except PlatformError as exc:
            self._failed(exc, now)
            return
        if not self.is_attached:
            return
        if snapshot.full:
            self._account_at, self._account_of = started, self.services.history_key
            await self.keeper.record(self, snapshot, now)
        self._show(snapshot, now, serial)
        if snapshot.full:
            await self.last_known.keep(snapshot)

    def _failed(self, exc: PlatformError, now: datetime) -> None:
        """A refresh failed: one message naming the host and the cause (again only when it changes); until a
        refresh succeeds the panes say what is unavailable and why, instead of showing nothing or zeros."""
        host = (
            urlsplit(getattr(self.services.platform, "base_url", "")).hostname or "the Platform API"
        )
        text = failure_text(exc, host)
        if text != self._failure:
            self._failure = text
            self.post_message(ErrorOccurred(f"Cannot use {host}", text))
        if self.snapshot is not None or not self.is_attached:
            return
        if self._cached is not None:  # the cached data stays, marked, and says the refresh failed
            self.query_one(CachedMark).refresh_failed(text)
            return
        self._unavailable = unavailable_snapshot(now, text)
        for spec, pane in self.built_panes():
            if spec.wants_snapshot:
                shows(spec, pane).show_snapshot(self._unavailable, self.history.samples, now)

    def _show(self, snapshot: OrgSnapshot, now: datetime, serial: int = 0) -> None:
        self._failure = self._unavailable = self._cached = None
        self.query_one(CachedMark).clear()
        self.snapshot = snapshot
        banner = self.query_one(Banner)
        banner.show_target(banner_text(self.services.target, self.services.organization))
        banner.last_refresh = now
        self._settle_selection(snapshot, serial)
        for spec, pane in self.built_panes():
            if spec.wants_snapshot:
                shows(spec, pane).show_snapshot(snapshot, self.history.samples, now)
        self.token_alerts.check(self, now)
        if snapshot.warnings != self._warnings:
            self._warnings = snapshot.warnings
            if snapshot.warnings:
                self.post_message(ErrorOccurred("Partial refresh", "\n".join(snapshot.warnings)))

    @on(RefreshRequested)
    def _requested(self, event: RefreshRequested) -> None:
        event.stop()
        self._refresh_soon()

    def _refresh_soon(self) -> None:
        if not self.refresh_now():
            self._pending = True  # one is running: the next starts right after it

    # -- the selected database -------------------------------------------------------------------------------

    @on(DatabaseSelected)
    def _database_selected(self, event: DatabaseSelected) -> None:
        event.stop()
        self.select(event.name)

    def select(self, name: str) -> None:
        """Make ``name`` the selected database. One the last snapshot does not list (a restore or setup just
        created it) stays selected until a refresh started from now on lists it, or does not."""
        if self.snapshot is None or self.snapshot.database(name) is None:
            self._wanted = (name, self._serial)
            self._refresh_soon()
        else:
            self._wanted = None
        self.selected = name

    def watch_selected(self, name: str | None) -> None:
        for spec, pane in self.built_panes():
            if spec.follows_selection:
                follows(spec, pane).database_selected(name)

    def _settle_selection(self, snapshot: OrgSnapshot, serial: int) -> None:
        """Keep the selection if ``snapshot`` lists it (or it was made while this refresh ran); else the
        organization's first database, saying so when it was asked for."""
        name, wanted = self.selected, self._wanted
        if name is not None and snapshot.database(name) is not None:
            self._wanted = None
            return
        if wanted is not None and wanted[0] == name:
            if serial <= wanted[1]:
                return  # selected while this refresh ran: the next one lists it
            self.notify(
                f"Database {name} is not in organization {self.services.organization}",
                title="Selection",
                severity="warning",
                timeout=6,
                markup=False,
            )
        self._wanted = None
        self.selected = snapshot.first_database
