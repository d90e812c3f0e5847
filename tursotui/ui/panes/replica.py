"""Replica: the local embedded replica of ``[turso.local_replica]`` — path, size, last sync, frame, lag — with
sync now, reset (typed confirmation, then delete and sync again) and read-only browsing of the file with no
server (the guide's "offline support").

Each sync runs libsql 0.1.11 (sync v2) in a child process with a timeout (its ``sync()`` can hang: libsql#1224), in one
worker at a time. Auto-sync (when enabled) is a one-shot timer re-armed only after the sync finished, so syncs
never overlap. Nothing here reads the remote database except the sync itself. A file that came from another
database than the configured one is refused (naming both) until r resets it; when a wizard repoints config.toml
or .env, the tab re-reads them and shows (and syncs) the new database.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import ProgressBar, Static
from textual.worker import Worker

from tursotui.config import Settings
from tursotui.libsql import LibsqlError, replica
from tursotui.libsql.replica import ReplicaError, ReplicaStatus
from tursotui.ops.browse.session import Page
from tursotui.ops.replica import (
    NO_SETTINGS,
    PrimaryFrame,
    ReplicaTarget,
    config_stamp,
    first_delay,
    identify,
    primary_frame,
    reread,
)
from tursotui.support import humanize as fmt
from tursotui.ui.actions import bindings_for
from tursotui.ui.dialogs.replica_reset import ConfirmReplicaResetScreen
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.panes.replica_browse import OfflineTable
from tursotui.ui.panes.replica_view import block, lines
from tursotui.ui.services import Services

HINT = "s sync now · r reset · o browse the file offline (read-only, no server needed)"


def hint_for(kind: str, file_exists: bool) -> str:
    """What else there is to do about a failed sync of ``kind`` (the message already says the fix)."""
    if file_exists and kind != "other-database":
        return " — o still browses the last synced copy offline"
    return ""


class ReplicaPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("replica"))
    TITLE = "Replica"
    SYNC_TIMEOUT: ClassVar[float] = replica.DEFAULT_TIMEOUT
    """Seconds before a sync's child process is killed."""

    def __init__(self, services: Services) -> None:
        super().__init__(id="replica-pane")
        self.services = services
        self.settings: Settings | None = services.settings
        self.target = ReplicaTarget.from_settings(services.settings)
        self._stamp: tuple[float | None, float | None] | None = (
            None if self.settings is None else config_stamp(self.settings)
        )
        self.state: ReplicaStatus | None = None
        self.primary: PrimaryFrame | None = None
        self.sync_worker: Worker[None] | None = None
        self.sync_count = 0
        self.last_error: str | None = None
        self._sync_started: float | None = None
        self._auto: Timer | None = None
        self._next_sync: float | None = None
        self._primary_asked = 0.0
        self._auto_error: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="replica-info", markup=False)
        yield ProgressBar(id="replica-progress", show_eta=False, show_percentage=False)
        yield Static(HINT, id="replica-status", markup=False)
        yield OfflineTable()

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.reload()
        self.set_interval(1.0, self._tick)
        if self.target is not None and self.state is not None:
            self._arm_auto(first_delay(self.target, self.state, self.services.clock()))
        self.ask_primary()

    def on_show(self) -> None:
        if not self.syncing:
            self.follow_config()
            self.reload()
            self.ask_primary()

    def follow_config(self) -> bool:
        """Re-read config.toml and .env when they changed (a wizard repointed them); True when the target did."""
        if self.settings is None or self.syncing:
            return False
        stamp = config_stamp(self.settings)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        fresh = reread(self.settings)
        target = ReplicaTarget.from_settings(fresh)
        if fresh is None or target is None or target == self.target:
            return False
        before = self.target
        self.settings, self.target = fresh, target
        self.services.secrets.add(target.token)  # a token .env gained is scrubbed like the others
        self.primary = None
        self.last_error = self._auto_error = None
        if before is None or (before.url, before.database) != (target.url, target.database):
            self._status(f"config.toml or .env changed: the replica now syncs from {target.url}")
        self.reload()
        self._arm_auto(
            first_delay(target, self.state, self.services.clock()) if self.state else None
        )
        self.ask_primary()
        return True

    # -- the status block -----------------------------------------------------------------------------------

    @property
    def syncing(self) -> bool:
        return self.sync_worker is not None and self.sync_worker.is_running

    def reload(self) -> None:
        """Read the file's status again (local stat calls only) and show it."""
        if self.target is not None:
            self.state = replica.status(self.target.path)
        self._show_info()

    def _show_info(self) -> None:
        info = self.query_one("#replica-info", Static)
        if self.target is None:
            info.update(Text.assemble(("Sync ", "bold"), f"cannot sync: {NO_SETTINGS}"))
            return
        if self.state is None:  # not read yet
            return
        rows = lines(self.target, self.state, self.services.clock(), self.primary, self._next_sync)
        info.update(block(rows, info.content_size.width or 78))

    def on_resize(self) -> None:
        self._show_info()

    def _status(self, text: str) -> None:
        self.query_one("#replica-status", Static).update(text)

    def _tick(self) -> None:
        """Every second while shown: the "N s ago" times, the elapsed sync, the primary's frame now and then."""
        if not self.is_on_screen:
            return
        if self.follow_config():
            return
        if self._sync_started is not None and self.target is not None:
            spent = time.monotonic() - self._sync_started
            self._status(
                f"Syncing from {self.target.url}… {spent:.0f} s "
                f"(stopped after {self.SYNC_TIMEOUT:g} s; esc stops it now)"
            )
        elif time.monotonic() - self._primary_asked >= self.services.refresh_interval:
            self.ask_primary()
        self._show_info()

    def ask_primary(self) -> None:
        """Ask the local Turso for the primary's frame number (Platform API, no SQL, no rows read)."""
        if self.target is None:
            return
        self._primary_asked = time.monotonic()
        self._primary()

    @work(exclusive=True, group="replica-primary", exit_on_error=False)
    async def _primary(self) -> None:
        assert self.target is not None
        self.primary = await primary_frame(self.target, local=self.services.local_turso)
        self._show_info()

    # -- sync -----------------------------------------------------------------------------------------------

    def _refuse(self, reason: str) -> None:
        self._status(f"Cannot sync: {reason}")
        self.notify(
            reason, title="Replica cannot sync", severity="warning", timeout=6, markup=False
        )

    def action_sync(self) -> None:
        self.start_sync()

    def start_sync(self, *, reset_first: bool = False, auto: bool = False) -> bool:
        """Start a sync unless one is running or it cannot run; False when it did not start."""
        if self.syncing:
            if not auto:
                self.notify("A sync is already running (esc stops it)", timeout=3, markup=False)
            return False
        if self.target is None or self.target.cannot_sync:
            if not auto:
                self._refuse(NO_SETTINGS if self.target is None else self.target.cannot_sync)
            return False
        self._stop_auto()
        self.sync_worker = self._sync(self.target, reset_first, auto)
        return True

    @work(exclusive=True, group="replica-sync", exit_on_error=False)
    async def _sync(self, target: ReplicaTarget, reset_first: bool, auto: bool) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._sync_started = time.monotonic()
        self._status(f"Syncing from {target.url}… (stopped after {self.SYNC_TIMEOUT:g} s)")
        cancelled = False
        try:
            target = await identify(target, self.services.platform)
            if reset_first:
                removed = await asyncio.to_thread(replica.reset, target.path)
                self._status(f"Reset: removed {len(removed)} file(s); syncing from {target.url}…")
            state = await replica.sync(
                target.path,
                target.url,
                target.token,
                limit=self.SYNC_TIMEOUT,
                origin=target.origin,
            )
        except asyncio.CancelledError:
            cancelled = True
            raise
        except (LibsqlError, OSError) as exc:
            self._failed(str(exc), exc.kind if isinstance(exc, ReplicaError) else "other", auto)
        else:
            self._synced(state, reset_first)
        finally:
            self._sync_started = None
            if not cancelled and self.is_attached:
                bar.display = False
                self.reload()
                self._arm_auto()

    def _synced(self, state: ReplicaStatus, reset: bool) -> None:
        self.state = state
        self.sync_count += 1
        self.last_error = None
        self._auto_error = None
        pulled = f"{state.frames:,} frames pulled" if state.frames is not None else "synced"
        took = f" in {state.last_sync_ms:g} ms" if state.last_sync_ms is not None else ""
        what = "Reset and synced" if reset else "Synced"
        self._status(f"✓ {what}{took}: {pulled}, now at frame {state.frame_no}")
        self.notify(f"{what}: replica at frame {state.frame_no}", timeout=4, markup=False)
        self.ask_primary()
        if self.target is not None:
            self.offline_table.reread(self.target.path)

    def _failed(self, error: str, kind: str, auto: bool) -> None:
        text = self.services.secrets.scrub(error)
        exists = self.target is not None and self.target.path.exists()
        text += hint_for(kind, exists)
        self.last_error = text
        refused = kind == "other-database"
        if refused:  # the Refused row above names both databases
            self._status(
                "✗ Sync refused: the file holds another database than config names (see Refused); "
                "r resets it, then syncs the configured one"
            )
        else:
            self._status(f"✗ Sync failed: {text}")
        if auto and text == self._auto_error:
            return  # the same failure again on the timer: already said
        self._auto_error = text if auto else None
        if refused:  # the status line and the Refused row say it whole
            self.notify(
                "The file holds another database: r resets it",
                title="Replica sync refused",
                severity="error",
                timeout=6,
                markup=False,
            )
            return
        self.post_message(ErrorOccurred("Replica sync failed", text))

    def action_cancel_sync(self) -> None:
        if self.sync_worker is None or not self.sync_worker.is_running:
            return
        self.sync_worker.cancel()
        self._sync_started = None
        self.query_one(ProgressBar).display = False
        self._status(
            "Sync stopped: its child process was killed; the file keeps what it had applied"
        )
        self.notify("Replica sync stopped", timeout=3, markup=False)
        self.reload()
        self._arm_auto()

    # -- auto-sync: one-shot timer, re-armed after each sync ------------------------------------------------

    def _arm_auto(self, delay: float | None = None) -> None:
        self._stop_auto()
        target = self.target
        if target is None or not target.enabled or target.cannot_sync:
            return
        wait = float(target.interval) if delay is None else max(0.1, delay)  # Textual: no 0 s timer
        self._next_sync = self.services.clock().timestamp() + wait
        self._auto = self.set_timer(wait, self._auto_tick)

    def _stop_auto(self) -> None:
        if self._auto is not None:
            self._auto.stop()
            self._auto = None
        self._next_sync = None

    def _auto_tick(self) -> None:
        self._auto = None
        assert self.target is not None  # armed only with a target
        if self.app.screen is not self.screen:  # a modal is open (maybe the reset confirmation)
            self._arm_auto(min(5.0, float(self.target.interval)))
            return
        if not self.start_sync(auto=True) and not self.syncing:
            self._arm_auto()

    # -- reset ----------------------------------------------------------------------------------------------

    def action_reset(self) -> None:
        if self.syncing:
            self.notify("A sync is running: wait for it or stop it (esc)", timeout=3, markup=False)
            return
        if self.target is None or self.target.cannot_sync:
            reason = NO_SETTINGS if self.target is None else self.target.cannot_sync
            self._refuse(f"{reason} (a reset deletes the file and syncs it again)")
            return
        self._reset(self.target)

    @work(exclusive=True, group="replica-reset", exit_on_error=False)
    async def _reset(self, target: ReplicaTarget) -> None:
        size = (
            fmt.size(self.state.size_bytes) if self.state and self.state.exists else "no file yet"
        )
        confirmed = await self.app.push_screen_wait(
            ConfirmReplicaResetScreen(target.path, target.url, size)
        )
        if not confirmed:
            self._status("Reset cancelled: nothing was deleted")
            return
        self.offline_table.forget()
        self.start_sync(reset_first=True)

    # -- offline browsing -----------------------------------------------------------------------------------

    def action_browse(self) -> None:
        if self.target is None:
            self._refuse(NO_SETTINGS)
            return
        if not self.target.path.exists():
            self.notify(
                f"No replica file yet at {self.target.path}: s syncs it first",
                severity="warning",
                timeout=4,
                markup=False,
            )
            return
        self.offline_table.browse(self.target.path)

    def action_page(self, direction: str) -> None:
        if self.target is not None:
            self.offline_table.turn(self.target.path, direction)

    @property
    def offline_table(self) -> OfflineTable:
        return self.query_one(OfflineTable)

    @property
    def page(self) -> Page | None:
        """The page of the replica file shown (offline browse), if any."""
        return self.offline_table.page
