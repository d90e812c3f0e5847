"""Inspect the selected database (the main screen's, named in the first line): its configuration, per-instance
usage with locations, and its top queries (``ops/inspect.py`` and ``ops/dbconfig.py``, as ``tursotui db inspect
--queries`` and ``db config``). Fetched when shown or asked (l), never on the refresh timer. c changes the
configuration behind a typed confirmation; refused in read-only mode. An archived database (502) says how to
unarchive it."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tursotui.ops.archived import archived_cause
from tursotui.ops.dbconfig import apply_change, config_lines
from tursotui.ops.errors import OpsError
from tursotui.ops.inspect import Inspection, inspect_database, instance_rows, query_rows
from tursotui.platform import DatabaseConfiguration, PlatformError
from tursotui.ui.actions import bindings_for
from tursotui.ui.dialogs.dbconfig import DbConfigScreen
from tursotui.ui.host import OrgView
from tursotui.ui.messages import ErrorOccurred, RefreshRequested
from tursotui.ui.panes.databases_cells import archived_hint
from tursotui.ui.services import Services

INSTANCE_COLUMNS = (
    "Location",
    "Type",
    "Rows read",
    "Rows written",
    "Storage",
    "Synced",
    "Instance",
)
QUERY_COLUMNS = ("Query", "Rows read", "Rows written", "Count", "Mean")


def config_text(config: DatabaseConfiguration) -> str:
    return " · ".join(f"{label} {value}" for label, value in config_lines(config)[:5])


class InspectPane(VerticalScroll):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("inspect"))
    TITLE = "Inspect"
    DEFAULT_CSS = """
    InspectPane #inspect-config, InspectPane #inspect-title { width: 1fr; }
    InspectPane .inspect-section { width: 1fr; color: $accent; text-style: bold; }
    InspectPane DataTable { height: auto; max-height: 12; }
    """
    can_focus = True

    def __init__(self, services: Services, org: OrgView) -> None:
        super().__init__(id="inspect-pane")
        self.services = services
        self.org = org
        self.database: str | None = None
        self.inspection: Inspection | None = None
        self.config: DatabaseConfiguration | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="inspect-title", markup=False)
        yield Static("", id="inspect-config", markup=False)
        yield Static("Instances", id="inspect-instances-title", classes="inspect-section")
        yield DataTable[str](id="inspect-instances", cursor_type="row")
        yield Static("Top queries", id="inspect-queries-title", classes="inspect-section")
        yield DataTable[str](id="inspect-queries", cursor_type="row")

    def on_mount(self) -> None:
        self.query_one("#inspect-instances", DataTable).add_columns(*INSTANCE_COLUMNS)
        self.query_one("#inspect-queries", DataTable).add_columns(*QUERY_COLUMNS)

    def database_selected(self, name: str | None) -> None:
        if name != self.database or self.inspection is None:
            self.database = name
            self.load()

    def action_reload(self) -> None:
        self.load()

    def _title(self, state: str) -> None:
        name = self.database
        head = f"Database {name}" if name else "No database selected"
        self.query_one("#inspect-title", Static).update(f"{head} · {state}")

    @work(exclusive=True, group="inspect")
    async def load(self) -> None:
        name = self.database
        for table_id in ("#inspect-instances", "#inspect-queries"):
            self.query_one(table_id, DataTable).clear()
        self.query_one("#inspect-config", Static).update("")
        self.inspection, self.config = None, None
        if name is None:
            self._title("select one in the Databases tab")
            return
        self._title("loading …")
        platform = self.services.platform
        try:
            inspection, config = await asyncio.gather(
                inspect_database(platform, name, queries=True, now=self.services.clock()),
                platform.get_database_configuration(name),
            )
        except (PlatformError, OpsError) as exc:
            archived = await archived_cause(platform, name, exc)
            if archived is not None:
                self._title(" / ".join(archived_hint(archived.database, archived.group)))
            else:
                self._title(f"unavailable: {exc}")
            return
        if name != self.database:
            return
        self.inspection, self.config = inspection, config
        self.show()

    def show(self) -> None:
        inspection, config = self.inspection, self.config
        if inspection is None or config is None:
            return
        db = inspection.database
        state = " · ARCHIVED: unarchive with u (Databases tab)" if db.archived else ""
        read_only = " (read-only mode)" if self.services.read_only else ""
        self._title(f"group {db.group or '-'}{state} · c configure{read_only} · l reload")
        self.query_one("#inspect-config", Static).update(config_text(config))
        instances = self.query_one("#inspect-instances", DataTable)
        for location, kind, name, *numbers in instance_rows(inspection):
            instances.add_row(location, kind, *numbers, name)
        queries = self.query_one("#inspect-queries", DataTable)
        rows = query_rows(inspection, width=32)
        for row in rows:
            queries.add_row(*row)
        where = f", from {inspection.queries_source}" if inspection.queries_source else ""
        none = ": none recorded" if not rows else ""
        self.query_one("#inspect-queries-title", Static).update(
            f"Top queries of {db.name} (last 24 h{where}){none}"
        )
        self.query_one("#inspect-instances-title", Static).update(
            f"Instances of {db.name}: usage this period, by location"
        )

    def action_configure(self) -> None:
        if self.services.read_only:
            self.notify(
                "Read-only mode: the database configuration cannot be changed",
                severity="warning",
                timeout=4,
                markup=False,
            )
            return
        if self.database is None or self.config is None:
            self.notify("Nothing to configure yet (l reloads)", timeout=3, markup=False)
            return
        self._configure(self.database, self.config)

    @work(group="inspect-configure", exclusive=True)
    async def _configure(self, name: str, current: DatabaseConfiguration) -> None:
        change = await self.app.push_screen_wait(DbConfigScreen(name, current))
        if change is None:
            return
        try:
            config = await apply_change(self.services.platform, name, change)
        except (PlatformError, OpsError) as exc:
            self.post_message(ErrorOccurred(f"Configure {name}", str(exc)))
            return
        lines = "; ".join(change.describe(current))
        self.notify(f"{name}: {lines}", title="Configured", timeout=6, markup=False)
        if self.database == name:  # another database selected meanwhile: its config stays
            self.config = config
            if self.inspection is not None:
                self.query_one("#inspect-config", Static).update(config_text(config))
        self.post_message(RefreshRequested())
