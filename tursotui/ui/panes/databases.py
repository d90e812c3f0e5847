"""Databases & replicas: the org's databases, the selected one's instances with live latency, replica
locations added/removed behind a typed confirmation, the URL copied over OSC 52.

The pane is where the operator picks the database every pane acts on: moving the cursor posts
``DatabaseSelected``; the main screen owns the selection (and the snapshot) and tells the pane when it changes
from elsewhere (a restore or setup pointed config at a database), which moves the cursor there."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable

from tursotui.ops.archived import archived_cause, is_archived
from tursotui.ops.errors import InputError
from tursotui.ops.latency import LatencyProbe, measure_all
from tursotui.ops.locations import (
    EDGE_REPLICAS_DEPRECATED,
    add_replica_locations,
    replica_refusal,
    snapshot_location_warning,
)
from tursotui.ops.snapshot import OrgSnapshot, is_primary, primary_locations
from tursotui.ops.usage_history import UsageSample
from tursotui.platform import Database, Instance, PlatformError
from tursotui.platform.models_local import ReplicaLag
from tursotui.support import humanize as fmt
from tursotui.ui.actions import bindings_for
from tursotui.ui.dialogs.confirm import ConfirmLocationScreen
from tursotui.ui.dialogs.picker import LocationChoice, LocationPickerScreen
from tursotui.ui.host import OrgView
from tursotui.ui.messages import DatabaseSelected, ErrorOccurred, RefreshRequested
from tursotui.ui.panes.databases_cells import (
    DATABASE_COLUMNS,
    INSTANCE_COLUMNS,
    PROBING,
    archived_cells,
    archived_hint,
    database_cells,
    instance_cells,
    table_subtitle,
)
from tursotui.ui.services import Services
from tursotui.ui.widgets.tables import sync_rows

LATENCY_NOTE = "latency: GET /health from this machine"


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

    def compose(self) -> ComposeResult:
        databases: DataTable[str] = DataTable(
            id="databases-table", cursor_type="row", zebra_stripes=True
        )
        databases.border_title = "Databases"
        yield databases
        instances: DataTable[str] = DataTable(
            id="instances-table", cursor_type="row", zebra_stripes=True
        )
        instances.border_title = "Instances"
        instances.border_subtitle = LATENCY_NOTE
        yield instances

    def on_mount(self) -> None:
        databases = self.query_one("#databases-table", DataTable)
        for key, label in DATABASE_COLUMNS:
            databases.add_column(label, key=key)
        instances = self.query_one("#instances-table", DataTable)
        for key, label in INSTANCE_COLUMNS:
            instances.add_column(label, key=key)

    # -- data ------------------------------------------------------------------------------------------------

    @property
    def databases_table(self) -> DataTable[str]:
        return self.query_one("#databases-table", DataTable)

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
        table = self.databases_table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key

    @property
    def selected_database(self) -> Database | None:
        name = self.selected_name
        return self.snapshot.database(name) if self.snapshot and name else None

    def show_snapshot(
        self, snapshot: OrgSnapshot, history: Sequence[UsageSample], now: datetime
    ) -> None:
        """Show a fresh snapshot (rows updated in place by key), keep the cursor on the selection, then reload
        the selected one's instances."""
        self._shown = snapshot
        table = self.databases_table
        rows = {
            db.name: archived_cells(
                database_cells(db, snapshot.db_usage.get(db.name)), is_archived(snapshot, db)
            )
            for db in snapshot.databases
        }
        before = self.selected_name
        with self.app.batch_update():
            sync_rows(table, rows)
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
            self.instances_table.clear()
            self.instances_table.border_title = "Instances"

    def database_selected(self, name: str | None) -> None:
        """The main screen's selection changed: the cursor follows (once the row is there)."""
        if name != self.selected_name:
            self._place(name)

    def _place(self, name: str | None) -> None:
        table = self.databases_table
        if name is None or name not in table.rows:
            return  # not listed yet: the next snapshot places it
        self._placed = name
        if self.selected_name != name:
            table.move_cursor(row=table.get_row_index(name))

    @on(DataTable.RowHighlighted, "#databases-table")
    def _database_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = event.row_key.value
        if not name or name != self.selected_name:
            return  # the cursor has moved on since
        self._subtitle()
        if name != self.instances_of:
            self.load_instances(name)
        if name != self._placed:  # the operator moved: everything else follows
            self._placed = name
            self.post_message(DatabaseSelected(name))

    @work(exclusive=True, group="instances")
    async def load_instances(self, name: str) -> None:
        """List the instances of ``name``, then time ``GET /health`` on each (stale results are dropped)."""
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
        count = len(shown.databases) if shown else table.row_count
        unavailable = shown is not None and not shown.listed
        table.border_subtitle = table_subtitle(
            self.selected_database, count, self.services.organization, unavailable=unavailable
        )

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

    @work(exclusive=True, group="location")
    async def _add_location(self) -> None:
        target = self._target()
        if target is None or self.snapshot is None:
            return
        db, group_name = target
        group = self.snapshot.groups.get(group_name)
        refusal = replica_refusal(group) if group is not None else None
        if refusal is not None:  # the cloud's reason, before any request (D10)
            self.post_message(ErrorOccurred("No replica location here", refusal, modal=True))
            return
        present = set(group.locations if group else (db.primary_region,))
        try:
            locations = await self.services.platform.list_locations()
        except PlatformError as exc:
            self.post_message(ErrorOccurred("Could not list locations", str(exc), modal=True))
            return
        choices = [
            LocationChoice(code, desc)
            for code, desc in sorted(locations.items())
            if code not in present
        ]
        if not choices:
            self.notify(f"Group {group_name} is already in every location", timeout=4, markup=False)
            return
        cloud = self.services.target == "cloud"
        code = await self.app.push_screen_wait(
            LocationPickerScreen(
                f"Add a replica location to group {group_name}",
                choices,
                hint=f"{EDGE_REPLICAS_DEPRECATED}\nenter pick · esc cancel" if cloud else "",
            )
        )
        if not code:
            return
        confirmed = await self.app.push_screen_wait(
            ConfirmLocationScreen(
                "add",
                code,
                group_name,
                self.snapshot.databases_in_group(group_name),
                description=locations.get(code, ""),
                cloud=cloud,
                warning=snapshot_location_warning(self.snapshot, [code]) or "",
            )
        )
        if not confirmed:
            self.notify("Nothing changed", timeout=3, markup=False)
            return
        try:
            await add_replica_locations(self.services.platform, group or group_name, [code])
        except (PlatformError, InputError) as exc:
            self.post_message(ErrorOccurred(f"Could not add {code}", str(exc), modal=True))
            return
        self.notify(f"Added replica location {code} to group {group_name}", timeout=4, markup=False)
        self.post_message(RefreshRequested())

    @work(exclusive=True, group="location")
    async def _remove_location(self, highlighted: Instance | None) -> None:
        target = self._target()
        if target is None or self.snapshot is None:
            return
        db, group_name = target
        group = self.snapshot.groups.get(group_name)
        primaries = primary_locations(self.snapshot, group) if group else {db.primary_region}
        if highlighted is not None:
            code: str | None = highlighted.region
            if highlighted.is_primary:
                primaries.add(highlighted.region)
        else:
            locations = group.locations if group else ()
            choices = [
                LocationChoice(loc, disabled_reason="primary" if is_primary(loc, primaries) else "")
                for loc in locations
            ]
            if not any(not c.disabled_reason for c in choices):
                self.notify(f"Group {group_name} has no replica locations", timeout=4, markup=False)
                return
            code = await self.app.push_screen_wait(
                LocationPickerScreen(f"Remove a replica location from group {group_name}", choices)
            )
        if not code:
            return
        if is_primary(code, primaries):
            self.notify(
                f"Refusing to remove {code}: it is the primary location of group {group_name}",
                title="Primary location",
                severity="error",
                timeout=6,
                markup=False,
            )
            return
        confirmed = await self.app.push_screen_wait(
            ConfirmLocationScreen(
                "remove",
                code,
                group_name,
                self.snapshot.databases_in_group(group_name),
                cloud=self.services.target == "cloud",
            )
        )
        if not confirmed:
            self.notify("Nothing changed", timeout=3, markup=False)
            return
        try:
            await self.services.platform.remove_location(group_name, code)
        except PlatformError as exc:
            self.post_message(ErrorOccurred(f"Could not remove {code}", str(exc), modal=True))
            return
        self.notify(
            f"Removed replica location {code} from group {group_name}", timeout=4, markup=False
        )
        self.post_message(RefreshRequested())
