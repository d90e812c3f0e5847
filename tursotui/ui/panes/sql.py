"""The SQL console: a multi-statement editor for the selected (or configured) database, paged results,
rows read/written and duration per statement, EXPLAIN QUERY PLAN on demand and before full scans, the seed's
index check, history and CSV/JSON export. Every database call is a worker; errors show the server's message.

One run (f5) is one stream (``tursotui.ops.sql.session``): ``BEGIN … COMMIT`` is one transaction, a PRAGMA
holds for the rest of the run, and while a transaction is open a line above the results says so with Turso's
limits (5 s write lock, 10 s idle stream), counting the seconds (e.g. while a full-scan question waits). A run
that ends inside a transaction is rolled back and says so. A statement keeps at most ``row_cap`` rows (a
larger result is read from ``/v3/cursor``); the results' subtitle says when rows were left out.
A statement's outcome (its rows, counts or error) is ``StatementOutcome`` in ops/sql/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

import httpx
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Static, TextArea

from tursotui.libsql import LibsqlError
from tursotui.ops.errors import OpsError
from tursotui.ops.sql.export import EXPORTS_DIR, default_export_path, export_results
from tursotui.ops.sql.history import SqlHistory
from tursotui.ops.sql.outcome import ROW_CAP, StatementOutcome, cell, short
from tursotui.ops.sql.scan import Executes, full_scan, query_plan
from tursotui.ops.sql.session import SqlSession
from tursotui.ops.sql.statements import (
    INDEX_CHECK,
    explainable,
    plan_text,
    split_statements,
    split_with_lines,
    strip_comments,
    unindexed_scans,
)
from tursotui.platform import PlatformError
from tursotui.ui.actions import bindings_for
from tursotui.ui.dialogs.sql import (
    ExportScreen,
    HistoryScreen,
    PlanScreen,
    ScanWarningScreen,
)
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.panes.sql_transaction import TransactionIndicator
from tursotui.ui.services import Services

PAGE_SIZE = 100
TRANSACTION_WAITS = (
    "A transaction is open: answer within 10 s, or the server drops the stream and rolls it back."
)
EDITING_HINT = "esc: leave the editor (then 1–6 switch tabs)"
LEFT_HINT = "shift+tab or click: back to the editor"


class SqlEditor(TextArea):
    """The statement editor. It takes every printable key (``4`` is text here), so esc leaves it: the focus
    moves on to the results and the tab keys work again; its subtitle and the footer say so."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "leave",
            "Leave",
            key_display="esc",
            tooltip="Move the focus out of the editor, so the tab keys 1–6 work again",
            id="sql.leave_editor",
        ),
    ]

    def on_mount(self) -> None:
        self.border_subtitle = LEFT_HINT

    def on_focus(self) -> None:
        self.border_subtitle = EDITING_HINT

    def on_blur(self) -> None:
        self.border_subtitle = LEFT_HINT

    def action_leave(self) -> None:
        self.screen.focus_next()


class SqlConsolePane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("sql"))
    TITLE = "SQL"

    def __init__(self, services: Services) -> None:
        super().__init__(id="sql-pane")
        self.services = services
        self.history = SqlHistory.in_data_dir(services.data_dir, secrets=services.secrets)
        self.outcomes: list[StatementOutcome] = []
        self.shown: StatementOutcome | None = None
        self.page = 0
        self.running = False
        self.row_cap = ROW_CAP
        """Rows one statement keeps (tests lower it)."""
        self._history_loaded = False
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="sql-target", markup=False)
        editor = SqlEditor(id="sql-editor", soft_wrap=True, show_line_numbers=False)
        editor.border_title = "SQL (f5 run · f2 plan · f3 indexes · f4 history · f8 export)"
        yield editor
        yield Static("", id="sql-status", markup=False)
        yield TransactionIndicator()
        table: DataTable[Text] = DataTable(id="sql-results", zebra_stripes=True, cursor_type="row")
        table.border_title = "Results"
        yield table

    def on_mount(self) -> None:
        self.update_target()
        self._ticker = self.set_interval(1.0, self.indicator.refresh_state, pause=True)

    def on_show(self) -> None:
        self.update_target()

    # -- helpers -------------------------------------------------------------------------------------------

    @property
    def database(self) -> str:
        """The database selected in the Databases pane, else the configured one."""
        from tursotui.ui.panes.databases import DatabasesPane

        try:
            pane = self.screen.query_one(DatabasesPane)
        except Exception:
            pane = None
        selected = pane.selected_name if pane is not None else None
        return selected or self.services.database_name

    @property
    def editor(self) -> TextArea:
        return self.query_one("#sql-editor", TextArea)

    @property
    def results(self) -> DataTable[Text]:
        return self.query_one("#sql-results", DataTable)

    @property
    def indicator(self) -> TransactionIndicator:
        return self.query_one(TransactionIndicator)

    def _follow(self, session: SqlSession | None) -> None:
        """The transaction line follows ``session``; its clock ticks only while a transaction is open."""
        if not self.is_attached:  # the app is closing while a run ends
            return
        self.indicator.follow(session)
        if self._ticker is not None:
            if self.indicator.open:
                self._ticker.resume()
            else:
                self._ticker.pause()

    def update_target(self) -> None:
        name = self.database or "no database selected"
        mode = "read-only token" if self.services.read_only else "full-access token"
        self.query_one("#sql-target", Static).update(f"Database: {name} · {mode}")

    def _load_history(self) -> None:
        if not self._history_loaded:
            self._history_loaded = True
            self.history.load()
            if self.history.error:
                self.post_message(ErrorOccurred("SQL history", self.history.error))

    def _remember(self, text: str) -> None:
        self._load_history()
        if self.history.add(text):
            try:
                self.history.save()
            except OSError as exc:
                self.post_message(ErrorOccurred("SQL history not saved", str(exc)))

    def _status(self, text: str) -> None:
        self.query_one("#sql-status", Static).update(text)

    def show_outcome(self, outcome: StatementOutcome | None, page: int = 0) -> None:
        """One page of ``outcome``'s rows (never more than PAGE_SIZE rows in the table)."""
        self.shown = outcome
        table = self.results
        table.clear(columns=True)
        if outcome is None or not outcome.columns:
            table.border_subtitle = ""
            self.page = 0
            return
        pages = max(1, -(-len(outcome.rows) // PAGE_SIZE))
        self.page = max(0, min(page, pages - 1))
        table.add_columns(*(Text(c) for c in outcome.columns))
        start = self.page * PAGE_SIZE
        chunk = outcome.rows[start : start + PAGE_SIZE]
        for row in chunk:
            table.add_row(*(Text(cell(v)) for v in row))  # Text: data is never markup
        total = len(outcome.rows)
        shown = f"rows {start + 1}–{start + len(chunk)} of {total:,}" if total else "no rows"
        capped = f" (capped: {outcome.returned_text} returned)" if outcome.capped else ""
        table.border_subtitle = f"{shown}{capped} · page {self.page + 1}/{pages}"

    def _show_run(self, outcomes: list[StatementOutcome], note: str = "") -> None:
        self.outcomes = outcomes
        lines = [o.summary(i) for i, o in enumerate(outcomes, 1)]
        if note:
            lines.append(note)
        self._status("\n".join(lines[-6:]))
        with_rows = [o for o in outcomes if o.columns and o.error is None]
        self.show_outcome(with_rows[-1] if with_rows else None)

    def _writable_text(self) -> str | None:
        text = self.editor.text
        if not split_statements(text):
            self.notify(
                "The editor is empty: type a statement", severity="warning", timeout=3, markup=False
            )
            return None
        if not self.database:
            self.notify("No database selected", severity="warning", timeout=3, markup=False)
            return None
        if self.running:
            self.notify("A statement is still running", timeout=2, markup=False)
            return None
        return text

    # -- actions -------------------------------------------------------------------------------------------

    def action_run(self) -> None:
        text = self._writable_text()
        if text is not None:
            self.running = True
            self._run(text, self.database)

    def action_explain(self) -> None:
        text = self._writable_text()
        if text is not None:
            self.running = True
            self._explain(text, self.database)

    def action_index_check(self) -> None:
        if not self.database:
            self.notify("No database selected", severity="warning", timeout=3, markup=False)
            return
        if self.running:
            self.notify("A statement is still running", timeout=2, markup=False)
            return
        self.running = True
        self._index_check(self.database)

    def action_history(self) -> None:
        self._load_history()
        self.app.push_screen(HistoryScreen(self.history.entries), self._history_chosen)

    def _history_chosen(self, entry: str | None) -> None:
        if entry is not None:
            self.editor.load_text(entry)
            self.editor.focus()

    def action_next_page(self) -> None:
        if self.shown is not None:
            self.show_outcome(self.shown, self.page + 1)

    def action_previous_page(self) -> None:
        if self.shown is not None:
            self.show_outcome(self.shown, self.page - 1)

    def action_export(self) -> None:
        outcome = self.shown
        if outcome is None:
            self.notify(
                "No results to export: run a query first",
                severity="warning",
                timeout=3,
                markup=False,
            )
            return
        base = self.services.data_dir / EXPORTS_DIR
        stem = f"{self.database or 'results'}-{self.services.clock():%Y%m%d-%H%M%S}"
        default = default_export_path(self.services.data_dir, stem, "csv").relative_to(base)
        self.app.push_screen(ExportScreen(default, base, len(outcome.rows)), self._export_to)

    def _export_to(self, chosen: tuple[Path, str] | None) -> None:
        if chosen is not None and self.shown is not None:
            self._export(chosen[0], chosen[1], self.shown)

    # -- workers -------------------------------------------------------------------------------------------

    @work(exclusive=True, group="sql-export", exit_on_error=False)
    async def _export(self, path: Path, fmt: str, outcome: StatementOutcome) -> None:
        try:
            await asyncio.to_thread(
                export_results,
                path,
                "json" if fmt == "json" else "csv",
                outcome.columns,
                outcome.rows,
            )
        except OpsError as exc:
            self.post_message(ErrorOccurred("Export failed", str(exc)))
            return
        rows = len(outcome.rows)
        self.notify(
            f"Exported {rows} row{'s' if rows != 1 else ''} to {path}", timeout=5, markup=False
        )

    @work(exclusive=True, group="sql", exit_on_error=False)
    async def _run(self, text: str, database: str) -> None:
        statements = split_with_lines(text)
        await asyncio.to_thread(self._remember, text)
        outcomes: list[StatementOutcome] = []
        notes: list[str] = []
        self._status(f"Running {len(statements)} statement{'s' if len(statements) != 1 else ''}…")
        read_only = self.services.read_only
        try:
            async with (
                self.services.open_sql(database, read_only) as client,
                SqlSession(client, row_cap=self.row_cap, read_only=read_only) as session,
            ):
                notes = session.notes
                for stmt, line in statements:
                    outcome = StatementOutcome(stmt, line=line)
                    outcomes.append(outcome)
                    if not await self._scan_check(session, stmt, outcome):
                        break
                    await session.run(outcome)
                    self._follow(session)
                    if outcome.error is not None:
                        break
        except (PlatformError, LibsqlError, OSError, httpx.HTTPError) as exc:
            notes = [*notes, f"Cannot open {database}: {exc}"]
            self.post_message(ErrorOccurred(f"Cannot open {database}", str(exc)))
        finally:
            self.running = False
            self._follow(None)
        note = "\n".join(notes)
        errors = [o for o in outcomes if o.error is not None]
        if errors:
            self.notify(
                errors[0].error or "",
                title="SQL error",
                severity="error",
                timeout=8,
                markup=False,
            )
        self._show_run(outcomes, note)

    async def _scan_check(self, client: Executes, stmt: str, outcome: StatementOutcome) -> bool:
        """EXPLAIN QUERY PLAN first (on the run's stream: it sees the run's own uncommitted tables); a full
        scan asks the operator. False: stop here."""
        try:
            scan = await full_scan(client, stmt)
        except LibsqlError as exc:
            outcome.error = str(exc)
            return False
        if scan is None:
            return True
        warning = ""
        if isinstance(client, SqlSession) and client.in_transaction:
            warning = TRANSACTION_WAITS
        proceed = await self.app.push_screen_wait(
            ScanWarningScreen(stmt, scan.tables, scan.plan, warning=warning)
        )
        if not proceed:
            outcome.skipped = True
            return False
        return True

    @work(exclusive=True, group="sql", exit_on_error=False)
    async def _explain(self, text: str, database: str) -> None:
        parts: list[str] = []
        try:
            async with self.services.open_sql(database, True) as client:
                for stmt in split_statements(text):
                    head = short(strip_comments(stmt), 60)
                    if not explainable(stmt):
                        parts.append(f"{head}\n  (no query plan for this kind of statement)")
                        continue
                    try:
                        steps = await query_plan(client, stmt)
                    except LibsqlError as exc:
                        parts.append(f"{head}\n  error: {exc}")
                        continue
                    scans = unindexed_scans(steps, stmt)
                    warn = f"\n  ! full scan of {', '.join(scans)} (no index)" if scans else ""
                    parts.append(f"{head}\n{plan_text(steps)}{warn}")
        except (PlatformError, LibsqlError, OSError, httpx.HTTPError) as exc:
            self.post_message(ErrorOccurred(f"Cannot open {database}", str(exc)))
            return
        finally:
            self.running = False
        await self.app.push_screen(PlanScreen("\n\n".join(parts)))

    @work(exclusive=True, group="sql", exit_on_error=False)
    async def _index_check(self, database: str) -> None:
        outcome = StatementOutcome(INDEX_CHECK)
        try:
            async with self.services.open_sql(database, True) as client:
                await outcome.execute(client, read_only=self.services.read_only)
        except (PlatformError, LibsqlError, OSError, httpx.HTTPError) as exc:
            self.post_message(ErrorOccurred(f"Cannot open {database}", str(exc)))
            return
        finally:
            self.running = False
        names = [str(r[0]) for r in outcome.rows if r and not str(r[0]).startswith("sqlite_")]
        note = f"Index check: {len(names)} index{'es' if len(names) != 1 else ''}" + (
            f" ({', '.join(names)})" if names else " — add the seed's indexes"
        )
        self._show_run([outcome], note)
