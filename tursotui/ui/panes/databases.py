"""Databases & replicas: the org's databases, the selected one's instances with live latency, replica
locations added/removed behind a typed confirmation, the URL copied over OSC 52.

The pane is where the operator picks the database every pane acts on: moving the cursor posts
``DatabaseSelected``; the main screen owns the selection (and the snapshot) and tells the pane when it changes
from elsewhere (a restore or setup pointed config at a database), which moves the cursor there."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.css.scalar import Scalar
from textual.widgets import DataTable, Static

from tursotui.ops.archived import archived_cause, is_archived
from tursotui.ops.fleet import fleet_rows
from tursotui.ops.latency import LatencyProbe, measure_all
from tursotui.ops.snapshot import OrgSnapshot
from tursotui.ops.usage_history import UsageSample
from tursotui.platform import Database, Instance, PlatformError
from tursotui.support import humanize as fmt
from tursotui.ui.actions import bindings_for
from tursotui.ui.host import OrgView
from tursotui.ui.messages import DatabaseSelected, ErrorOccurred, RefreshRequested
from tursotui.ui.panes.databases_bulk import BulkRunner
from tursotui.ui.panes.databases_cells import (
    DATABASE_COLUMNS,
    INSTANCE_COLUMNS,
    PROBING,
    archived_hint,
    database_cells,
    instance_cells,
    table_subtitle,
)
from tursotui.ui.services import Services
from tursotui.ui.widgets.fleet_table import FleetTable
from tursotui.ui.widgets.fleet_view import FleetView
from tursotui.ui.widgets.tables import sync_rows

if TYPE_CHECKING:
    from tursotui.platform.models_local import ReplicaLag

LATENCY_NOTE = "latency: GET /health from this machine"
INSTANCES_SETTLE = 0.15
"""Seconds the cursor rests on a database before its instances are asked for: typing a filter or holding an
arrow key over 10,000 databases sends one request, not one per row passed."""


class DatabasesPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("databases"))
    TITLE = "Databases"

    def __init__(self, services: Services, probe: LatencyProbe, org: OrgView) -> None:
        super().__init__(id="databases-pane")
        self.services = services
        self.probe = probe
        self.org = org
        self.instances: dict[str, Instance] = {}
        self.instances_of: str | None = None
        self._placed: str | None = None
        """The selection the cursor was last put on (by the operator, or to follow the main screen)."""
        self._shown: OrgSnapshot | None = None
        """The snapshot the table shows (before any refresh worked: the unavailable one)."""
        self.bulk = BulkRunner(self)
        self._details = asyncio.Event()
        """Set once the instances table and the bulk status line are mounted: right after the first frame."""

    def compose(self) -> ComposeResult:
        fleet = FleetView(
            DATABASE_COLUMNS,
            database_cells,
            table_id="databases-table",
            selectable=True,
            id="databases-fleet",
        )
        yield fleet

    def on_mount(self) -> None:
        self.databases_table.border_title = "Databases"
        # The databases first: the instances table (a DataTable: ~10 ms of styles and layout) and the bulk
        # status line are mounted once that frame is on screen (benchmarks/first_frame.py).
        self.call_after_refresh(self._mount_details)

    def _mount_details(self) -> None:
        if self._details.is_set() or not self.is_attached:
            return
        bulk = Static("", id="databases-bulk", markup=False)
        bulk.display = False
        instances: DataTable[str] = DataTable(
            id="instances-table", cursor_type="row", zebra_stripes=True
        )
        instances.border_title = "Instances"
        instances.border_subtitle = LATENCY_NOTE
        self.mount(bulk, instances)
        for key, label in INSTANCE_COLUMNS:
            instances.add_column(label, key=key)
        self._details.set()

    # -- data ------------------------------------------------------------------------------------------------

    @property
    def fleet(self) -> FleetView:
        return self.query_one("#databases-fleet", FleetView)

    @property
    def databases_table(self) -> FleetTable:
        return self.query_one("#databases-table", FleetTable)

    @property
    def instances_table(self) -> DataTable[str]:
        return self.query_one("#instances-table", DataTable)

    @property
    def snapshot(self) -> OrgSnapshot | None:
        """The main screen's (the one owner of the organization's state)."""
        return self.org.snapshot

    @property
    def selected_name(self) -> str | None:
        """The database under the cursor."""
        return self.databases_table.cursor_key

    @property
    def selected_database(self) -> Database | None:
        name = self.selected_name
        return self.snapshot.database(name) if self.snapshot and name else None

    def show_snapshot(
        self, snapshot: OrgSnapshot, history: Sequence[UsageSample], now: datetime
    ) -> None:
        """Show a fresh snapshot (rows made again only where they changed, by key), keep the cursor on the
        selection, then reload the selected one's instances."""
        self._shown = snapshot
        before = self.selected_name
        archived_groups = {name for name, group in snapshot.groups.items() if group.archived}
        rows = fleet_rows(  # archived as ops.archived.is_archived says, the groups looked up once
            snapshot.databases,
            snapshot.db_usage,
            lambda db: db.sleeping or db.group in archived_groups,
        )
        with self.app.batch_update():
            self.fleet.show(rows)
        self._subtitle()
        wanted = self.org.selected
        if wanted != self._placed or self.selected_name != before:
            # the selection changed elsewhere, or rows moved under the cursor (not the operator's move)
            self._place(wanted)
        name = self.selected_name
        if name:
            self.load_instances(name)
        else:
            self.instances_of = None
            self.instances = {}
            if self._details.is_set():  # else: not mounted yet, and empty
                self.instances_table.clear()
                self.instances_table.border_title = "Instances"

    def database_selected(self, name: str | None) -> None:
        """The main screen's selection changed: the cursor follows (once the row is there)."""
        if name != self.selected_name:
            self._place(name)

    def _place(self, name: str | None) -> None:
        if name is None or name not in self.databases_table.rows:
            return  # not listed (yet, or filtered out): the next snapshot places it
        self._placed = name
        self.databases_table.move_to_key(name)

    @on(FleetTable.Highlighted, "#databases-table")
    def _database_highlighted(self, event: FleetTable.Highlighted) -> None:
        name = event.key
        if not name or name != self.selected_name:
            return  # the cursor has moved on since
        self._subtitle()
        if name != self.instances_of:
            self.load_instances(name, settle=INSTANCES_SETTLE)
        if name != self._placed:  # the operator moved: everything else follows
            self._placed = name
            self.post_message(DatabaseSelected(name))

    @on(FleetView.Changed, "#databases-fleet")
    def _fleet_changed(self) -> None:
        self._subtitle()
        self._fit_table()

    def on_resize(self) -> None:
        self._fit_table()

    def _fit_table(self) -> None:
        """The databases take at most 60% of the pane, the filter line included (main.tcss's 60% would now be
        of the fleet view, whose height follows its rows: a number of lines instead)."""
        shown = self.fleet.filter_shown
        cap = max(5, int(self.size.height * 0.6) - (1 if shown else 0))
        if self.databases_table.styles.max_height != Scalar.from_number(cap):
            self.databases_table.styles.max_height = cap

    @work(exclusive=True, group="instances")
    async def load_instances(self, name: str, settle: float = 0.0) -> None:
        """List the instances of ``name``, then time ``GET /health`` on each (stale results are dropped).
        ``settle``: wait that long first (the cursor moving on cancels this worker before any request)."""
        if settle:
            await asyncio.sleep(settle)
        try:
            await self._details.wait()  # mounted right after the first frame
            await self._load_instances(name)
        except NoMatches:
            return  # the console is closing: the pane's tables went while this waited

    async def _load_instances(self, name: str) -> None:
        if self.selected_name != name:
            return  # the cursor moved on while this waited
        try:
            instances = await self.services.platform.list_instances(name)
        except PlatformError as exc:
            archived = await archived_cause(self.services.platform, name, exc)
            if archived is not None:
                self._archived(name, archived.group)
                return
            self.post_message(ErrorOccurred(f"Instances of {name}", str(exc)))
            return
        if self.selected_name != name:
            return
        table = self.instances_table
        same = self.instances_of == name
        old = {key.value: table.get_cell(key, "latency") for key in table.rows} if same else {}
        self.instances_of = name
        self.instances = {i.uuid or i.name: i for i in instances}
        lags: dict[str, ReplicaLag] = {}
        if self.services.target == "local":
            try:
                lags = await self.services.platform.local_replication(name)
            except PlatformError:
                lags = {}
            if self.selected_name != name:
                return
        rows = {
            key: instance_cells(i, old.get(key, PROBING), lags.get(i.name))
            for key, i in self.instances.items()
        }
        with self.app.batch_update():
            sync_rows(table, rows)
        self._title(name)
        latencies = await measure_all(self.probe, [i.hostname for i in instances if i.hostname])
        if self.instances_of != name:
            return
        with self.app.batch_update():
            for key, instance in self.instances.items():
                if key in rows:
                    value = (
                        fmt.latency(latencies.get(instance.hostname)) if instance.hostname else "–"
                    )
                    table.update_cell(key, "latency", value)

    def _subtitle(self) -> None:
        table = self.databases_table
        shown = self._shown
        unavailable = shown is not None and not shown.listed
        table.border_subtitle = table_subtitle(
            self.selected_database,
            self.fleet.describe(),
            self.services.organization,
            unavailable=unavailable,
        )
        marked = len(self.fleet.selection)
        table.border_title = f"Databases · {marked:,} selected" if marked else "Databases"

    def _archived(self, name: str, group: str) -> None:
        """An archived database has no instances to show: the way back instead (title and subtitle)."""
        self.instances_of, self.instances = name, {}
        self.instances_table.clear()
        title, subtitle = archived_hint(name, group)
        self.instances_table.border_title = title
        self.instances_table.border_subtitle = subtitle

    def _title(self, name: str) -> None:
        db = self.snapshot.database(name) if self.snapshot else None
        group = self.snapshot.group_of(name) if self.snapshot else None
        if db is not None and self.snapshot is not None and is_archived(self.snapshot, db):
            self._archived(name, db.group)
            return
        self.instances_table.border_subtitle = LATENCY_NOTE
        parts = [f"Instances of {name}"]
        if db and db.group:
            parts.append(f"group {db.group}")
        if group and group.locations:
            count = len(group.locations)
            parts.append(f"{count} location{'s' if count != 1 else ''}")
        self.instances_table.border_title = " · ".join(parts)

    # -- actions ---------------------------------------------------------------------------------------------

    def action_copy_url(self) -> None:
        db = self.selected_database
        if db is None or not db.hostname:
            self.notify("No database selected", severity="warning", timeout=3, markup=False)
            return
        self.app.copy_to_clipboard(db.url)
        self.notify(f"Copied {db.url} (OSC 52)", timeout=3, markup=False)

    def action_filter(self) -> None:
        self.fleet.open_filter()

    def action_sort(self) -> None:
        self.fleet.cycle_sort()  # the count line says "by size"

    def action_top(self) -> None:
        self.fleet.cycle_top()

    def action_mark(self) -> None:
        if self.fleet.toggle_mark() is not None:
            self.databases_table.action_cursor(1)

    def action_mark_all(self) -> None:
        self.fleet.mark_all()

    def action_bulk(self) -> None:
        self.bulk.start()

    def action_cancel_bulk(self) -> None:
        if not self.bulk.cancel() and len(self.fleet.selection):
            self.fleet.clear_marks()
            self.notify("Selection cleared", timeout=2, markup=False)

    def action_switch_table(self) -> None:
        if self.databases_table.has_focus:
            self.instances_table.focus()
        else:
            self.databases_table.focus()

    def _writable(self, what: str) -> bool:
        if self.services.read_only:
            self.notify(
                f"Read-only mode: {what} is disabled", severity="warning", timeout=4, markup=False
            )
            return False
        return True

    def action_add_location(self) -> None:
        if self._writable("adding a replica location"):
            self._add_location()

    @work(exclusive=True, group="location")
    async def _add_location(self) -> None:
        # Its dialogs are imported when first used, not for the first frame.
        from tursotui.ui.panes.databases_locations import add_location

        await add_location(self)

    @work(exclusive=True, group="location")
    async def _remove_location(self, highlighted: Instance | None) -> None:
        from tursotui.ui.panes.databases_locations import remove_location

        await remove_location(self, highlighted)

    def action_remove_location(self) -> None:
        if self._writable("removing a replica location"):
            highlighted = None
            if self.instances_table.has_focus and self.instances_table.row_count:
                table = self.instances_table
                key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
                highlighted = self.instances.get(key or "")
            self._remove_location(highlighted)

    def action_branch(self) -> None:
        if self._writable("branching a database") and self._target() is not None:
            self._branch()

    @work(exclusive=True, group="branch")
    async def _branch(self) -> None:
        from tursotui.ui.dialogs.branch import branch_selected  # the dialog, when first asked for

        if (db := self.selected_database) is not None:
            await branch_selected(self, self.services, db)

    def action_unarchive(self) -> None:
        if not self._writable("unarchiving a group"):
            return
        target = self._target()
        if target is not None:
            self._unarchive(*target)

    @work(exclusive=True, group="unarchive")
    async def _unarchive(self, db: Database, group: str) -> None:
        try:
            await self.services.platform.unarchive_group(group)
        except PlatformError as exc:
            self.post_message(ErrorOccurred(f"Unarchive group {group}", str(exc)))
            return
        self.notify(f"Group {group} unarchived: {db.name} answers again", timeout=5, markup=False)
        self.post_message(RefreshRequested())

    def _target(self) -> tuple[Database, str] | None:
        db = self.selected_database
        if db is None or self.snapshot is None:
            self.notify("No database selected", severity="warning", timeout=3, markup=False)
            return None
        if not db.group:
            self.notify(
                f"{db.name} has no group: its locations cannot be changed here",
                severity="warning",
                markup=False,
            )
            return None
        return db, db.group
