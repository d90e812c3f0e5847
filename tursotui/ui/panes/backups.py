"""Backups of the selected database (the main screen's, named in the header and the table's title): its files
in the backups folder (name, size, age; past-retention marked) and a verified backup to .sql or .db, in a
worker with a progress bar, cancellable with esc. Prune works on the whole folder (the newest of each
database is kept) and lists what it deletes first."""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar

import httpx
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, ProgressBar, Static
from textual.worker import Worker

from tursotui.libsql import LibsqlError
from tursotui.ops.backup import BackupProgress, BackupResult, backup_database
from tursotui.ops.backups import (
    BackupFile,
    BackupFormat,
    describe_removed,
    list_backups,
    next_backup_path,
    prune_backups,
    prune_candidates,
    remove_leftovers,
)
from tursotui.ops.errors import OpsError
from tursotui.platform import PlatformError
from tursotui.support.humanize import home_path, human_age, size
from tursotui.ui.actions import bindings_for
from tursotui.ui.dialogs.backup_prune import ConfirmPruneScreen
from tursotui.ui.host import OrgView
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.services import Services

COLUMNS = ("Backup", "Size", "Age", "Retention", "Format")
PHASES = {
    "counting": "counting rows",
    "dumping": "dumping",
    "verifying": "verifying",
    "finishing": "finishing",
}


def result_summary(result: BackupResult) -> str:
    tables = ", ".join(f"{name} {rows:,}" for name, rows in sorted(result.tables.items())[:4])
    more = f" (+{len(result.tables) - 4} tables)" if len(result.tables) > 4 else ""
    changed = " · the database changed during the dump" if result.source_changed else ""
    return (
        f"✓ {result.path.name}: verified (integrity_check ok, row counts match: {result.rows:,} rows"
        f" in {len(result.tables)} tables{': ' + tables if tables else ''}{more}) · "
        f"{size(result.size_bytes)} in {result.seconds:.1f}s{changed}"
    )


class BackupsPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("backups"))
    TITLE = "Backups"

    def __init__(self, services: Services, org: OrgView) -> None:
        super().__init__(id="backups-pane")
        self.services = services
        self.org = org
        self.backups: list[BackupFile] = []
        self.worker: Worker[None] | None = None
        self.last_result: BackupResult | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="backups-folder", markup=False)
        table: DataTable[str] = DataTable(id="backups-table", cursor_type="row", zebra_stripes=True)
        table.border_title = "Backups"
        yield table
        yield ProgressBar(id="backups-progress", show_eta=False)
        yield Static(
            "s .sql backup · d .db backup · esc cancel · p prune · l reload",
            id="backups-status",
            markup=False,
        )

    def on_mount(self) -> None:
        self.query_one("#backups-table", DataTable).add_columns(*COLUMNS)
        self.query_one(ProgressBar).display = False
        self.reload()

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running

    def reload(self) -> None:
        """The selected database's backups (every backup when none is selected)."""
        directory = self.services.backups_path
        days = self.services.backup_retention_days
        now = self.services.clock()
        database = self._database()
        what = f"Database {database}" if database else "No database selected"
        self.query_one("#backups-folder", Static).update(
            f"{what} · folder {home_path(directory)} · retention {days} days"
        )
        try:
            every = list_backups(directory)
        except OpsError as exc:
            self.post_message(ErrorOccurred("Backups folder", str(exc)))
            every = []
        self.backups = [b for b in every if b.database == database] if database else every
        table = self.query_one("#backups-table", DataTable)
        table.border_title = f"Backups of {database}" if database else "Backups"
        table.clear()
        try:
            past_retention = {b.path for b in prune_candidates(directory, days, now=now)}
        except OpsError:
            past_retention = set()
        for b in self.backups:
            past = b.path in past_retention
            table.add_row(
                b.path.name,
                size(b.size_bytes),
                human_age(b.age(now)),
                f"past {days}d" if past else "kept",
                b.format,
                key=b.path.name,
            )
        shown, others = len(self.backups), len(every) - len(self.backups)
        table.border_subtitle = f"{shown} file{'s' if shown != 1 else ''}" + (
            f" · {others} of other databases in the folder" if others else ""
        )

    def action_reload(self) -> None:
        self.reload()

    def on_show(self) -> None:
        if not self.running:
            self.reload()

    def database_selected(self, name: str | None) -> None:
        """Another database is selected: list its backups (a running backup finishes on its own)."""
        if self.is_mounted and not self.running:
            self.reload()

    def _database(self) -> str:
        return self.org.selected or self.services.database_name

    def action_backup(self, fmt: str) -> None:
        if self.running:
            self.notify("A backup is already running (esc cancels it)", timeout=3, markup=False)
            return
        database = self._database()
        if not database:
            self.notify("No database selected", severity="warning", timeout=3, markup=False)
            return
        self.worker = self._backup(database, "db" if fmt == "db" else "sql")

    def action_prune(self) -> None:
        if self.running:
            self.notify("A backup is running: prune after it", timeout=3, markup=False)
            return
        self._prune()

    @work(exclusive=True, group="backup-prune", exit_on_error=False)
    async def _prune(self) -> None:
        directory = self.services.backups_path
        days = self.services.backup_retention_days
        now = self.services.clock()
        try:
            candidates = await asyncio.to_thread(prune_candidates, directory, days, now=now)
        except (OpsError, OSError) as exc:
            self.post_message(ErrorOccurred("Prune backups", str(exc)))
            return
        if not candidates:
            self.notify(
                f"Nothing to prune: no backup is older than {days} days (the newest of each "
                "database is always kept)",
                timeout=4,
                markup=False,
            )
            return
        if not await self.app.push_screen_wait(ConfirmPruneScreen(directory, candidates, days)):
            return
        try:
            removed = await asyncio.to_thread(prune_backups, directory, days, now=now)
        except (OpsError, OSError) as exc:
            self.post_message(ErrorOccurred("Prune backups", str(exc)))
            return
        freed = size(sum(b.size_bytes for b in removed))
        self._status(f"Pruned {len(removed)} backup(s) older than {days} days ({freed} freed)")
        self.notify(f"Pruned {len(removed)} backup(s)", timeout=4, markup=False)
        self.reload()

    def action_cancel_backup(self) -> None:
        if self.worker is not None and self.worker.is_running:
            self.worker.cancel()
            self._status("Backup cancelled: nothing was left in the folder")
            self.query_one(ProgressBar).display = False
            self.notify("Backup cancelled", timeout=3, markup=False)

    def _status(self, text: str) -> None:
        self.query_one("#backups-status", Static).update(text)

    def _progress(self, step: BackupProgress) -> None:
        if threading.current_thread() is not threading.main_thread():
            self.app.call_from_thread(self._progress, step)
            return
        bar = self.query_one(ProgressBar)
        if step.total:
            bar.update(total=step.total, progress=min(step.done, step.total))
        else:
            bar.update(total=None)
        label = PHASES.get(step.phase, step.phase)
        done = f" {size(step.done)}" if step.done else ""
        self._status(f"Backup: {label}{done}… (esc cancels)")

    @work(exclusive=True, group="backup", exit_on_error=False)
    async def _backup(self, database: str, fmt: BackupFormat) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._status(f"Backup of {database} ({fmt}) starting… (esc cancels)")
        directory = self.services.backups_path
        removed = await asyncio.to_thread(remove_leftovers, directory)
        if removed:
            self.notify("\n".join(describe_removed(removed)), timeout=8, markup=False)
        try:
            target = await asyncio.to_thread(
                next_backup_path, directory, database, fmt, self.services.clock()
            )
            async with self.services.open_sql(database, True) as client:
                result = await backup_database(
                    client, target, database=database, fmt=fmt, progress=self._progress
                )
        except (OpsError, PlatformError, LibsqlError, OSError, httpx.HTTPError) as exc:
            bar.display = False
            self._status(f"Backup of {database} failed: {exc}")
            self.post_message(ErrorOccurred("Backup failed", str(exc)))
            return
        bar.display = False
        self.last_result = result
        self._status(result_summary(result))
        self.notify(f"Backup verified: {result.path.name}", timeout=5, markup=False)
        self.reload()
