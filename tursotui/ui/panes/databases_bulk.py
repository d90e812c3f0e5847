"""Bulk actions from the Databases pane: the selected databases, an action picked, the count typed to confirm,
then ``ops/bulk.py`` runs it in a worker with live progress under the table; ``esc`` cancels (the items in flight
finish, none new starts). The outcome: a notification, and a copyable list of what failed or was refused."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from textual.widgets import Static
from textual.worker import Worker

from tursotui.ui.messages import ErrorOccurred, RefreshRequested

if TYPE_CHECKING:
    from tursotui.ops.bulk import BulkPlan, BulkProgress, BulkReport, Cancel, ItemWork, MintedTokens
    from tursotui.ui.dialogs.bulk import BulkAnswer
    from tursotui.ui.panes.databases import DatabasesPane

# ops.bulk (backups, tokens, SQL) and the dialogs are imported when a bulk action starts: the Databases pane is
# in the console's first frame (tests/architecture/test_lazy_imports.py).

RUNNING = {
    "backup": "Backing up",
    "mint": "Minting tokens",
    "rotate": "Rotating group tokens",
    "delete": "Deleting",
}


class BulkRunner:
    """One bulk action at a time for ``pane``."""

    def __init__(self, pane: DatabasesPane) -> None:
        self.pane = pane
        self._cancel: Cancel | None = None
        self._worker: Worker[None] | None = None
        self.last: BulkReport | None = None
        self.minted: MintedTokens | None = None
        """Where the last bulk mint wrote its tokens."""

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.is_running

    def start(self) -> None:
        pane = self.pane
        if self.running:
            pane.notify(
                "A bulk action is running (esc cancels it)", severity="warning", markup=False
            )
            return
        if not len(pane.fleet.selection):
            pane.notify(
                "Nothing selected: space selects a database, * every one listed",
                severity="warning",
                timeout=4,
                markup=False,
            )
            return
        self._worker = pane.run_worker(self._run(), group="bulk", exit_on_error=False)

    def cancel(self) -> bool:
        """Ask the running action to stop; False when none runs."""
        if not self.running or self._cancel is None:
            return False
        self._cancel.set()
        self._status("Cancelling: the items in flight finish, no new one starts…")
        return True

    def _status(self, text: str) -> None:
        status = self.pane.query_one("#databases-bulk", Static)
        status.display = bool(text)
        status.update(text)

    async def _run(self) -> None:
        from tursotui.ops.bulk import VERBS, Cancel, plan, run_bulk
        from tursotui.ui.dialogs.bulk import WRITES, BulkChoiceScreen, BulkConfirmScreen

        pane = self.pane
        rows = pane.fleet.selected_rows()
        shown = {row.name for row in pane.fleet.shown}
        hidden = sum(1 for row in rows if row.name not in shown)
        read_only = pane.services.read_only
        picked = await pane.app.push_screen_wait(
            BulkChoiceScreen(len(rows), hidden, read_only=read_only)
        )
        action = next((a for a in VERBS if a == picked), None)
        if action is None:
            return
        if read_only and action in WRITES:
            pane.notify("Read-only mode: only backups", severity="warning", markup=False)
            return
        snapshot = pane.snapshot
        members = {
            group: snapshot.databases_in_group(group) if snapshot else []
            for group in {row.group for row in rows if row.group}
        }
        bulk = plan(action, rows, members)
        if not bulk.count:
            lines = [f"{r.name}: {r.detail}" for r in bulk.refused]
            pane.post_message(
                ErrorOccurred(f"Nothing to {VERBS[action][0]}", "\n".join(lines), modal=True)
            )
            return
        answer: BulkAnswer | None = await pane.app.push_screen_wait(
            BulkConfirmScreen(bulk, expiration=pane.services.token_expiration)
        )
        if answer is None:
            pane.notify("Nothing changed", timeout=3, markup=False)
            return
        work = self._work(bulk, answer)
        self._cancel = Cancel()
        verb = RUNNING[action]
        self._status(f"{verb}: starting {bulk.noun}… (esc cancels)")

        def progress(state: BulkProgress) -> None:
            self._status(state.text(verb) + " · esc cancels")

        try:
            report = await run_bulk(bulk, work, progress=progress, cancel=self._cancel)
        finally:
            self._cancel = None
        self.last = report
        self._status("")
        self._report(report)
        if action in ("delete", "rotate", "mint"):
            pane.post_message(RefreshRequested())

    def _work(self, bulk: BulkPlan, answer: BulkAnswer) -> ItemWork:
        from tursotui.ops.bulk import MintedTokens, backup_item, delete_item, mint_item, rotate_item
        from tursotui.ops.tokens import parse_expiration

        services = self.pane.services
        if bulk.action == "backup":
            return backup_item(services.open_sql, services.backups_path, services.clock)
        if bulk.action == "delete":
            return delete_item(services.platform)
        if bulk.action == "rotate":
            snapshot = self.pane.snapshot
            members = {g: snapshot.databases_in_group(g) if snapshot else [] for g in bulk.items}
            return rotate_item(
                services.platform, members, ledger=services.ledger, target=services.target
            )
        stamp = services.clock().astimezone(UTC).strftime("%Y%m%d-%H%M%S")
        sink = MintedTokens(services.data_dir / "tokens" / f"bulk-{stamp}.jsonl")
        self.minted = sink
        return mint_item(
            services.platform,
            answer.expiration or parse_expiration(services.token_expiration),
            read_only=answer.read_only,
            ledger=services.ledger,
            target=services.target,
            sink=sink,
        )

    def _report(self, report: BulkReport) -> None:
        pane = self.pane
        summary = report.summary()
        where = ""
        if report.action == "mint" and report.of("done") and self.minted is not None:
            where = f" · tokens in {self.minted.path} (0600)"
        if report.action == "backup" and report.of("done"):
            where = f" · in {pane.services.backups_path}"
        details = report.details()
        if details:
            pane.post_message(
                ErrorOccurred(f"Bulk {report.action}: {summary}", "\n".join(details), modal=True)
            )
        else:
            pane.notify(f"{summary}{where}", title=f"Bulk {report.action}", timeout=6, markup=False)
