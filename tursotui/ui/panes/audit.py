"""The organization's audit log (``ops/audit.py``, as ``tursotui org audit-log``): one page at a time, newest
first, paged with ] and [, filtered with / by event type or author (within the page shown). On the free (starter)
plan the server refuses audit logs: that is said as such, not as an error."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from tursotui.ops.audit import DEFAULT_PAGE_SIZE, AuditView, audit_log
from tursotui.ops.errors import OpsError
from tursotui.platform import PlatformError
from tursotui.ui.actions import bindings_for
from tursotui.ui.services import Services

COLUMNS = ("Date (UTC)", "Author", "Type", "Origin", "Message")


def matches(row: list[str], needle: str) -> bool:
    """The filter: a type (code) or an author containing ``needle``, any case."""
    wanted = needle.strip().lower()
    return not wanted or wanted in row[1].lower() or wanted in row[2].lower()


class AuditPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("audit"))
    TITLE = "Audit log"

    def __init__(self, services: Services) -> None:
        super().__init__(id="audit-pane")
        self.services = services
        self.page = 1
        self.view: AuditView | None = None
        self.unavailable = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-status", markup=False)
        yield Input(placeholder="filter by type or author (enter)", id="audit-filter")
        table: DataTable[str] = DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        table.border_title = f"Audit log of organization {self.services.organization}"
        yield table

    def on_mount(self) -> None:
        self.query_one("#audit-table", DataTable).add_columns(*COLUMNS)
        self.query_one("#audit-filter", Input).display = False
        self.load()

    @property
    def filter_text(self) -> str:
        return self.query_one("#audit-filter", Input).value

    @work(exclusive=True, group="audit")
    async def load(self) -> None:
        status = self.query_one("#audit-status", Static)
        status.update(f"Organization {self.services.organization} · loading page {self.page} …")
        try:
            self.view = await audit_log(
                self.services.platform, page=self.page, page_size=DEFAULT_PAGE_SIZE
            )
            self.unavailable = ""
        except (OpsError, PlatformError) as exc:
            self.view = None
            self.unavailable = str(exc)
        self.show()

    def show(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        org = f"Organization {self.services.organization}"
        status = self.query_one("#audit-status", Static)
        if self.view is None:
            status.update(f"{org} · audit log unavailable: {self.unavailable}")
            return
        rows = [r for r in self.view.rows() if matches(r, self.filter_text)]
        for row in rows:
            table.add_row(*row)
        shown = f" · filter {self.filter_text!r}: {len(rows)} shown" if self.filter_text else ""
        status.update(f"{org} · {self.view.summary()}{shown} · ] next · [ previous · / filter")

    def action_next_page(self) -> None:
        if self.view is not None and self.view.page.has_next:
            self.page += 1
            self.load()
        else:
            self.notify("This is the last page", timeout=2, markup=False)

    def action_prev_page(self) -> None:
        if self.page > 1:
            self.page -= 1
            self.load()
        else:
            self.notify("This is the first page", timeout=2, markup=False)

    def action_filter(self) -> None:
        field = self.query_one("#audit-filter", Input)
        field.display = True
        field.focus()

    def action_reload(self) -> None:
        self.load()

    @on(Input.Submitted, "#audit-filter")
    def _filtered(self) -> None:
        field = self.query_one("#audit-filter", Input)
        field.display = bool(field.value)
        self.show()
        self.query_one("#audit-table", DataTable).focus()
