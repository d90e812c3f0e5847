"""Table browser: keyset pages of one table (never OFFSET, one page in memory), exact/prefix search on the
indexed contact columns, sort by indexed columns, row detail, and insert/edit/delete behind a confirmation that
shows the exact SQL. Read-only mode browses with a read-only token, so the server itself refuses writes.
The grid is ``BrowserTable`` (browser_table.py), the insert/edit/delete dialogs are in browser_edit.py, and
the page requests, sort/search cycles and status line are plain functions in browse/view.py.

It browses the selected database (the main screen's): when the selection changes it reopens on the new one, at
once if the tab is shown, else when it is next shown; a page or an edit of the previous database is dropped."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static

from tursotui.libsql import LibsqlError
from tursotui.ops.browse.query import Direction, PageRequest, Search, TableInfo
from tursotui.ops.browse.session import Page, SqlSession
from tursotui.ops.browse.view import next_search_column, next_sort, page_request, status_line
from tursotui.platform import PlatformError
from tursotui.ui.actions import bindings_for
from tursotui.ui.dialogs.picker import LocationChoice, LocationPickerScreen
from tursotui.ui.dialogs.row import RowDetailScreen
from tursotui.ui.host import OrgView
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.panes.browser_edit import Row, confirmed_change, confirmed_search
from tursotui.ui.panes.browser_source import BrowserSource
from tursotui.ui.services import Services
from tursotui.ui.widgets.browser_table import BrowserTable, cell

DEFAULT_TABLE = "users"
DEFAULT_PAGE = 20


class BrowserPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("browser"))
    TITLE = "Browser"
    DEFAULT_CSS = """
    BrowserPane { height: 1fr; }
    BrowserPane #browser-bar { height: 1; }
    BrowserPane #browser-title { width: 1fr; color: $accent; text-style: bold; padding: 0 1; }
    BrowserPane #browser-badge { background: $warning; color: $text; padding: 0 1; margin-right: 1; }
    BrowserPane #browser-search { width: 40; height: 1; border: none; padding: 0 1; }
    BrowserPane #browser-table { height: 1fr; border: round $primary 50%; }
    BrowserPane #browser-table:focus { border: round $accent; }
    BrowserPane #browser-status { height: 1; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, services: Services, org: OrgView) -> None:
        super().__init__(id="browser-pane")
        self.services = services
        self.source = BrowserSource(services, org)
        """The database browsed (the selected one) and its SQL session."""
        self.table_name = DEFAULT_TABLE
        self.info: TableInfo | None = None
        self.page: Page | None = None
        self.sort: str | None = None
        self.search: Search | None = None
        self.search_column = ""
        self.started = False
        self.generation = 0
        self.last_rows_read: int | None = None
        self.last_sql = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="browser-bar"):
            yield Label("", id="browser-title", markup=False)
            yield Label("read-only", id="browser-badge", markup=False)
            yield Input(placeholder="search: exact, or prefix*", id="browser-search")
        table = BrowserTable(id="browser-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="browser-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#browser-badge").display = self.services.read_only
        self.query_one("#browser-search", Input).cursor_blink = False
        self._show_title()

    def on_show(self) -> None:
        if not self.started:
            self.started = True
            self.open_table(self.table_name)

    def database_selected(self, name: str | None) -> None:
        """Browse ``name`` from now on: reopened at once if the tab is shown, else when it is next shown."""
        if not self.source.select(name):
            return
        self.generation += 1  # a page or table of the previous database still in flight is dropped
        self.info = None
        self.page = None
        self.sort = None
        self.search = None
        self.last_rows_read = None
        if self.is_mounted:
            self.table.clear(columns=True)
            self._show_title()
            self._status(f"{name}: opening when shown…")
        if self.started and self._tab_shown():
            self.open_table(self.table_name)
        else:
            self.started = False

    def _tab_shown(self) -> bool:
        return self.is_mounted and all(
            node.display for node in self.ancestors_with_self if isinstance(node, Widget)
        )

    async def on_unmount(self) -> None:
        await self.source.aclose()

    # -- state -----------------------------------------------------------------------------------------------

    @property
    def database(self) -> str | None:
        return self.source.database

    @property
    def session(self) -> SqlSession | None:
        return self.source.session

    @property
    def table(self) -> BrowserTable:
        return self.query_one("#browser-table", BrowserTable)

    @property
    def page_size(self) -> int:
        height = self.table.size.height
        return max(5, height - 2) if height > 4 else DEFAULT_PAGE  # header + horizontal scrollbar

    def _show_title(self) -> None:
        parts = [f"{self.database or 'no database selected'} · {self.table_name}"]
        if self.search_column:
            parts.append(f"search {self.search_column}")
        self.query_one("#browser-title", Label).update(" · ".join(parts))

    def _status(self, text: str) -> None:
        self.query_one("#browser-status", Static).update(text)

    def highlighted(self) -> Row | None:
        page = self.page
        if page is None or not page.rows or not self.table.row_count:
            return None
        index = self.table.cursor_row
        if not 0 <= index < len(page.rows):
            return None
        return page.keys[index], dict(zip(page.columns, page.rows[index], strict=True))

    # -- loading ---------------------------------------------------------------------------------------------

    async def _session(self) -> SqlSession:
        """A session on the database browsed (:class:`BrowserSource`)."""
        known = self.source.database
        session = await self.source.open()
        if known is None:  # the organization's first, now that it is listed
            self._show_title()
        return session

    def open_table(self, name: str) -> None:
        self.generation += 1
        self._open(name, self.generation)

    @work(exclusive=True, group="browser", exit_on_error=False)
    async def _open(self, name: str, generation: int) -> None:
        self._status(f"opening {name}…")
        try:
            session = await self._session()
            tables = await session.tables()
            if name not in tables:
                if not tables:
                    self._status(f"{session.database} has no tables")
                    return
                name = tables[0]
            info = await session.table_info(name)
        except LookupError as exc:  # no database to browse (yet): the selection opens it
            self._status(str(exc))
            return
        except (PlatformError, LibsqlError) as exc:
            self._status(f"could not open {name}")
            self.post_message(ErrorOccurred(f"Browser: {name}", str(exc)))
            return
        if generation != self.generation:
            return
        self.table_name = name
        self.info = info
        self.sort = None
        self.search = None
        self.search_column = info.searchable[0] if info.searchable else ""
        self.page = None
        table = self.table
        table.clear(columns=True)
        for column in info.columns:
            table.add_column(column.name, key=column.name)
        self._show_title()
        await self._load(PageRequest(info, self.page_size), generation)

    def load(self, direction: Direction) -> None:
        if self.info is None:
            return
        request = page_request(
            self.info, self.page_size, direction, self.sort, self.search, self.page
        )
        if request is None:
            return
        self.generation += 1
        self._load_worker(request, self.generation)

    def reload(self) -> None:
        if self.page is None:
            self.load("first")
            return
        self.generation += 1
        self._load_worker(self.page.request, self.generation)

    @work(exclusive=True, group="browser", exit_on_error=False)
    async def _load_worker(self, request: PageRequest, generation: int) -> None:
        await self._load(request, generation)

    async def _load(self, request: PageRequest, generation: int) -> None:
        try:
            session = await self._session()
            page = await session.page(request)
        except (PlatformError, LibsqlError, LookupError) as exc:
            self.post_message(ErrorOccurred(f"Browser: {request.table.name}", str(exc)))
            return
        if generation != self.generation:  # a newer request was made: drop this one
            return
        if not page.rows and request.direction in ("next", "prev") and self.page is not None:
            self.notify(
                "No more rows" if request.direction == "next" else "Already at the first page",
                timeout=2,
                markup=False,
            )
            self.last_rows_read = page.rows_read
            self._status_line()
            return
        self.page = page
        self.last_rows_read = page.rows_read
        self.last_sql = page.sql
        table = self.table
        with self.app.batch_update():
            table.clear()
            for i, row in enumerate(page.rows):
                table.add_row(*(cell(v) for v in row), key=str(i))
        if request.direction == "last" and page.rows:
            table.move_cursor(row=len(page.rows) - 1)
        self._status_line()

    def _status_line(self) -> None:
        read_only = self.services.read_only
        line = status_line(self.table_name, self.page, self.search, self.last_rows_read, read_only)
        self._status(line)

    # -- actions ---------------------------------------------------------------------------------------------

    def action_next_page(self) -> None:
        self.load("next")

    def action_prev_page(self) -> None:
        self.load("prev")

    def action_first_page(self) -> None:
        self.load("first")

    def action_last_page(self) -> None:
        self.load("last")

    def action_search(self) -> None:
        if self.info is not None and not self.info.searchable:
            self.notify(
                f"{self.table_name} has none of the searchable columns "
                "(email, phone, xswarm_phone, stripe_customer_id)",
                severity="warning",
                timeout=4,
                markup=False,
            )
            return
        self.query_one("#browser-search", Input).focus()

    def action_cycle_search_column(self) -> None:
        if self.info is None or not self.info.searchable:
            return
        self.search_column = next_search_column(self.info.searchable, self.search_column)
        self._show_title()
        self.notify(f"Search column: {self.search_column}", timeout=2, markup=False)

    @on(Input.Submitted, "#browser-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.info is None:
            return
        search = Search.parse(self.search_column, event.value) if self.search_column else None
        self.table.focus()
        self._search(self.info, search)

    @work(exclusive=True, group="browser-modal", exit_on_error=False)
    async def _search(self, info: TableInfo, search: Search | None) -> None:
        """Search (None: stop searching); one that would read the whole table asks first (browser_edit.py)."""
        request = PageRequest(info, self.page_size, "first", self.sort, search)
        if search is not None:
            try:
                go_on = await confirmed_search(self.app, await self._session(), request)
            except (PlatformError, LibsqlError, LookupError) as exc:
                self.post_message(ErrorOccurred(f"Browser: search {info.name}", str(exc)))
                return
            if not go_on or self.info is not info:  # cancelled, or the browser moved meanwhile
                return
        self.search = search
        self.generation += 1
        await self._load(request, self.generation)

    def action_cycle_sort(self) -> None:
        if self.info is None:
            return
        if self.search is not None:
            self.notify("Searching: sorted by the searched column", timeout=2, markup=False)
            return
        self.sort = next_sort(self.info.sortable, self.sort)
        self.notify(f"Sort: {self.sort or 'key'}", timeout=2, markup=False)
        self.load("first")

    def action_pick_table(self) -> None:
        self._pick_table()

    @work(exclusive=True, group="browser-modal", exit_on_error=False)
    async def _pick_table(self) -> None:
        try:
            session = await self._session()
            tables = await session.tables()
        except (PlatformError, LibsqlError, LookupError) as exc:
            self.post_message(ErrorOccurred("Browser: tables", str(exc)))
            return
        if not tables:
            self.notify("No tables", timeout=2, markup=False)
            return
        chosen = await self.app.push_screen_wait(
            LocationPickerScreen(
                f"Browse a table of {session.database}", [LocationChoice(t) for t in tables]
            )
        )
        if chosen:
            self.open_table(chosen)

    @on(DataTable.RowSelected, "#browser-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.highlighted()
        if row is not None:
            self.app.push_screen(RowDetailScreen(self.table_name, row[1]))

    def _writable(self, what: str) -> bool:
        if self.services.read_only:
            self.notify(
                f"Read-only mode: {what} is disabled (the token is read-only: the server refuses writes)",
                severity="warning",
                timeout=4,
                markup=False,
            )
            return False
        return self.info is not None

    def action_insert_row(self) -> None:
        if self._writable("inserting rows"):
            self._change("insert")

    def action_edit_row(self) -> None:
        if self._writable("editing rows"):
            self._change("edit")

    def action_delete_row(self) -> None:
        if self._writable("deleting rows"):
            self._change("delete")

    @work(exclusive=True, group="browser-modal", exit_on_error=False)
    async def _change(self, kind: str) -> None:
        info = self.info
        if info is None:
            return
        change = await confirmed_change(self.app, info, kind, self.highlighted())
        if change is None:
            return
        if self.info is not info:  # the browser moved to another database or table meanwhile
            self.notify(
                f"Nothing changed: the browser left {info.name} before you confirmed",
                severity="warning",
                timeout=5,
                markup=False,
            )
            return
        verb, query = change
        try:
            session = await self._session()
            result = await session.execute(query)
        except (PlatformError, LibsqlError, LookupError) as exc:
            self.post_message(ErrorOccurred(f"{verb} failed", str(exc), modal=True))
            return
        self.last_rows_read = result.rows_read
        self.notify(
            f"{result.affected_row_count} row(s) changed · rows written {result.rows_written}",
            timeout=4,
            markup=False,
        )
        self.reload()
