"""The Fleet health tab (issue 16): every database's migration status against the migrations folder
(``[tursotui] migrations_dir``), filterable with the fleet filter (``/``) and counted per state; apply on the
selection (space, ``*``) after typing the count, with live progress per database, and ``esc`` cancelling (the
databases in flight finish, none new starts); ``d`` groups the fleet by schema fingerprint and ``enter`` shows a
group's diff from the expected schema. The work is :mod:`tursotui.ops.migrate`'s, as ``tursotui migrate`` does."""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractAsyncContextManager
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tursotui.libsql.errors import LibsqlError
from tursotui.ops.errors import OpsError
from tursotui.ops.fleet import FleetRow
from tursotui.ops.group_tokens import Authorization
from tursotui.ops.migrate.apply import Outcome
from tursotui.ops.migrate.drift import fleet_drift
from tursotui.ops.migrate.files import Migration, load_migrations
from tursotui.ops.migrate.fleet import DEFAULT_CONCURRENCY
from tursotui.ops.migrate.ledger import LedgerStatus
from tursotui.ops.migrate.run import SqlOn, fleet_apply, fleet_status, status_counts
from tursotui.platform import Database, PlatformError
from tursotui.ui.dialogs.migrate import ApplyConfirmScreen
from tursotui.ui.host import OrgView
from tursotui.ui.panes.fleet_health_drift import DriftTable
from tursotui.ui.panes.fleet_health_sql import migrations_folder, open_fleet_sql
from tursotui.ui.services import Services
from tursotui.ui.widgets.fleet_table import Cells, Column, FleetTable
from tursotui.ui.widgets.fleet_view import FleetView

COLUMNS = (
    Column("name", "Database", min_width=12),
    Column("group", "Group", drop=2),
    Column("state", "State"),
    Column("applied", "Applied", right=True, drop=1),
    Column("detail", "Detail", flex=True, min_width=10),
)
REPAINT_SECONDS = 0.25
"""During an apply the rows are made again at most this often (one line per database would be O(n²))."""


class FleetHealthPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "apply", "Apply", tooltip="Apply pending migrations to the selection (type the count)", id="fleet_health.apply"),
        Binding("d", "drift", "Drift", tooltip="Group the databases by schema; again for the status", id="fleet_health.drift"),
        Binding("r", "reload", "Re-read", tooltip="Read the folder and every ledger again", id="fleet_health.reload"),
        Binding("slash", "filter", "Filter", key_display="/", tooltip="Filter: name, group or location", id="fleet_health.filter"),
        Binding("space", "mark", "Select", tooltip="Select or unselect the highlighted database", id="fleet_health.mark", show=False),
        Binding("asterisk", "mark_all", "Select all", key_display="*", tooltip="Select every database listed; again to unselect", id="fleet_health.mark_all", show=False),
        Binding("escape", "cancel", "Cancel", key_display="esc", tooltip="Cancel the apply (in-flight databases finish)", id="fleet_health.cancel", show=False),
    ]  # fmt: skip
    TITLE = "Fleet health"
    CONCURRENCY: ClassVar[int] = DEFAULT_CONCURRENCY
    """Databases read or migrated at once."""
    DEFAULT_CSS = """
    FleetHealthPane #fleet-health-status { height: 1; width: 1fr; }
    FleetHealthPane FleetView { height: 1fr; }
    FleetHealthPane #fleet-health-drift { height: 1fr; display: none; }
    FleetHealthPane.-drift #fleet-health-drift { display: block; }
    FleetHealthPane.-drift FleetView { display: none; }
    FleetHealthPane #fleet-health-detail { height: 3; width: 1fr; border-top: solid $primary; }
    """

    def __init__(self, services: Services, org: OrgView) -> None:
        super().__init__(id="fleet-health-pane")
        self.services = services
        self.org = org
        self.folder = migrations_folder(services)
        self.migrations: list[Migration] = []
        self.problem = ""
        self.targets: dict[str, Database] = {}
        self.statuses: dict[str, LedgerStatus] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.live: dict[str, str] = {}
        self.cancel: asyncio.Event | None = None
        self.progress = ""
        self._dirty = False

    def compose(self) -> ComposeResult:
        yield Static("", id="fleet-health-status", markup=False)
        yield FleetView(
            COLUMNS,
            self.cells,
            table_id="fleet-health-table",
            selectable=True,
            empty="no databases (r re-reads)",
        )
        yield DriftTable()
        yield Static("", id="fleet-health-detail", markup=False)

    def on_mount(self) -> None:
        self.set_interval(REPAINT_SECONDS, self._repaint_if_dirty)
        self.load()

    @property
    def view(self) -> FleetView:
        return self.query_one(FleetView)

    # -- rows ------------------------------------------------------------------------------------------------

    def cells(self, row: FleetRow) -> Cells:
        status = self.statuses.get(row.name)
        outcome = self.outcomes.get(row.name)
        state = self.live.get(row.name) or (status.state if status else "reading…")
        total = len(self.migrations)
        applied = f"{len(status.applied)}/{total}" if status and not status.error else "-"
        if outcome is not None and not outcome.ok:
            detail = outcome.describe()
        elif status is not None:
            detail = status.describe()
        else:
            detail = ""
        return (row.name, row.group, state, applied, detail)

    def _rows(self) -> list[FleetRow]:
        return [FleetRow.of(db, None) for db in self.targets.values()]

    def _repaint(self) -> None:
        self._dirty = False
        self.view.show(self._rows(), recell=True)
        self._status_line()
        self._explain()

    def _repaint_if_dirty(self) -> None:
        if self._dirty:
            self._repaint()

    def _status_line(self) -> None:
        status = self.query_one("#fleet-health-status", Static)
        if self.problem:
            status.update(f"Fleet health · {self.problem}")
            return
        counts = status_counts(list(self.statuses.values()))
        shown = ", ".join(f"{n} {state}" for state, n in counts.items() if n) or "none read yet"
        head = f"Fleet health · {len(self.migrations)} migrations · {self.view.describe()}"
        selected = len(self.view.selection)
        tail = f" · {selected} selected" if selected else ""
        line = self.progress or shown
        status.update(f"{head}{tail} · {line}")

    def _explain(self) -> None:
        detail = self.query_one("#fleet-health-detail", Static)
        if self.has_class("-drift"):
            detail.update(self.query_one(DriftTable).detail())
            return
        key = self.view.table.cursor_key
        if key is None:
            detail.update(self.problem or "")
            return
        outcome = self.outcomes.get(key)
        status = self.statuses.get(key)
        if outcome is not None:
            detail.update(f"{key}: {outcome.result} · {outcome.describe()}")
        elif status is not None:
            detail.update(f"{key}: {status.state} · {status.describe()}")
        else:
            detail.update(key)

    @on(FleetView.Changed)
    def _view_changed(self) -> None:
        self._status_line()
        self._explain()

    @on(DataTable.RowHighlighted, "#fleet-health-drift")
    @on(FleetTable.Highlighted)
    def _highlighted(self) -> None:
        self._explain()

    # -- reading ---------------------------------------------------------------------------------------------

    def _open_sql(self, authorization: Authorization) -> AbstractAsyncContextManager[SqlOn]:
        return open_fleet_sql(self.services, authorization)

    @work(exclusive=True, group="fleet-health")
    async def load(self) -> None:
        """The folder, the databases and every ledger."""
        self.problem = ""
        if self.folder is None:
            self.problem = (
                "no migrations folder: set [tursotui] migrations_dir in config.toml "
                "(or use tursotui migrate --dir DIR)"
            )
            self._repaint()
            return
        try:
            self.migrations = load_migrations(self.folder)
            databases = await self.services.platform.list_databases()
        except (OpsError, PlatformError) as exc:
            self.problem = f"{exc} · r re-reads"
            self._repaint()
            return
        self.targets = {db.name: db for db in databases}
        self.statuses = {}
        self.live = {}
        self._repaint()

        def read(db: Database, status: LedgerStatus) -> None:
            self.statuses[db.name] = status
            self._dirty = True

        try:
            async with self._open_sql("read-only") as sql:
                await fleet_status(
                    sql, databases, self.migrations, concurrency=self.CONCURRENCY, finished=read
                )
        except (PlatformError, LibsqlError, OSError) as exc:
            self.problem = f"ledgers could not be read: {exc} · r re-reads"
        self._repaint()

    def action_reload(self) -> None:
        if self.cancel is not None:
            self.notify("An apply is running: esc cancels it first", severity="warning")
            return
        self.folder = migrations_folder(self.services)
        self.load()
        if self.has_class("-drift"):
            self.read_drift()

    # -- the operator ----------------------------------------------------------------------------------------

    def action_filter(self) -> None:
        if not self.has_class("-drift"):
            self.view.open_filter()

    def action_mark(self) -> None:
        if not self.has_class("-drift"):
            self.view.toggle_mark()

    def action_mark_all(self) -> None:
        if not self.has_class("-drift"):
            self.view.mark_all()

    def action_apply(self) -> None:
        if self.services.read_only:
            self.notify("Read-only mode: nothing is applied", severity="warning")
            return
        if self.cancel is not None:
            self.notify("An apply is already running (esc cancels it)", severity="warning")
            return
        chosen = [row.name for row in self.view.selected_rows()]
        if not chosen:
            self.notify("Select databases first: space (one) or * (every one listed)")
            return
        if not self.migrations:
            self.notify("No migrations in the folder: nothing to apply", severity="warning")
            return
        shown = {row.name for row in self.view.shown}
        hidden = sum(name not in shown for name in chosen)

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_apply(chosen)

        self.app.push_screen(ApplyConfirmScreen(chosen, len(self.migrations), hidden), answered)

    @work(group="fleet-health-apply")
    async def run_apply(self, names: list[str]) -> None:
        targets = [self.targets[n] for n in names if n in self.targets]
        self.cancel = asyncio.Event()
        self.outcomes = {k: v for k, v in self.outcomes.items() if k not in names}
        self.live.update(dict.fromkeys(names, "queued"))
        began = time.monotonic()
        done = failed = 0

        def started(db: Database) -> None:
            self.live[db.name] = "applying"
            self._dirty = True

        def finished(outcome: Outcome) -> None:
            nonlocal done, failed
            done += 1
            failed += 0 if outcome.ok else 1
            self.outcomes[outcome.database] = outcome
            self.live[outcome.database] = outcome.result
            rate = done / max(time.monotonic() - began, 1e-6)
            cancelling = (
                " · cancelling: in-flight finish" if self.cancel and self.cancel.is_set() else ""
            )
            self.progress = (
                f"applying {done} of {len(targets)} · {failed} failed · {rate:.1f}/s"
                f"{cancelling or ' · esc cancels'}"
            )
            self._dirty = True

        try:
            async with self._open_sql("full-access") as sql:
                report = await fleet_apply(
                    sql,
                    targets,
                    self.migrations,
                    concurrency=self.CONCURRENCY,
                    cancel=self.cancel,
                    started=started,
                    finished=finished,
                )
        finally:
            self.cancel = None
        for name in report.not_started:
            self.live[name] = "not started"
        counts = ", ".join(f"{n} {k}" for k, n in report.counts.items() if n)
        self.progress = f"applied to {len(report.outcomes)} of {len(targets)} in {report.seconds:.1f} s: {counts}"
        if report.stopped:
            self.progress += f" · {report.stopped}"
        self.view.clear_marks()
        self._repaint()
        self._reread([self.targets[n] for n in names if n in self.targets])

    @work(group="fleet-health-reread")
    async def _reread(self, databases: list[Database]) -> None:
        """The ledgers of the databases just worked on (their state column comes from them again)."""

        def read(db: Database, status: LedgerStatus) -> None:
            self.statuses[db.name] = status
            self.live.pop(db.name, None)
            self._dirty = True

        async with self._open_sql("read-only") as sql:
            await fleet_status(
                sql, databases, self.migrations, concurrency=self.CONCURRENCY, finished=read
            )
        self._repaint()

    def action_cancel(self) -> None:
        if self.cancel is not None and not self.cancel.is_set():
            self.cancel.set()
            self.progress += " · cancelling: in-flight finish, none new starts"
            self._status_line()
        elif self.cancel is None and len(self.view.selection):
            self.view.clear_marks()

    # -- drift -----------------------------------------------------------------------------------------------

    def action_drift(self) -> None:
        if self.has_class("-drift"):
            self.remove_class("-drift")
            self.view.table.focus()
            self._explain()
            return
        self.add_class("-drift")
        self.query_one(DriftTable).focus()
        self.read_drift()

    @work(exclusive=True, group="fleet-health-drift")
    async def read_drift(self) -> None:
        table = self.query_one(DriftTable)
        detail = self.query_one("#fleet-health-detail", Static)
        detail.update(f"reading the schema of {len(self.targets):,} databases …")
        try:
            async with self._open_sql("read-only") as sql:
                report = await fleet_drift(
                    sql, list(self.targets.values()), self.migrations, concurrency=self.CONCURRENCY
                )
        except (OpsError, PlatformError, LibsqlError) as exc:
            detail.update(f"the schemas could not be read: {exc}")
            return
        table.show(report)
        self._explain()
