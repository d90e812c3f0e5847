"""The Replica tab's offline browse: the replica file's tables read with no server (the guide's "offline
support"), a page at a time, read-only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual import work

from tursotui.libsql import LibsqlError
from tursotui.ops.browse.offline import OfflineReplica
from tursotui.ops.browse.query import PageRequest, TableInfo
from tursotui.ops.browse.session import Page
from tursotui.ui.dialogs.picker import LocationChoice, LocationPickerScreen
from tursotui.ui.messages import ErrorOccurred
from tursotui.ui.widgets.browser_table import BrowserTable, cell

TABLE_HINT = "o picks a table · pgdn/pgup pages"


class OfflineTable(BrowserTable):
    """A page of one of the replica file's tables; the pane says which file."""

    PAGE_ROWS: ClassVar[int] = 50

    def __init__(self) -> None:
        super().__init__(id="replica-table", cursor_type="row", zebra_stripes=True)
        self.page: Page | None = None
        self.border_title = "Offline browse"
        self.border_subtitle = TABLE_HINT

    @work(exclusive=True, group="replica-browse", exit_on_error=False)
    async def browse(self, path: Path) -> None:
        """Pick one of ``path``'s tables and show its first page."""
        offline = OfflineReplica(path)
        try:
            tables = await asyncio.to_thread(offline.tables)
        except (LibsqlError, OSError) as exc:
            self.post_message(ErrorOccurred("Replica file unreadable", str(exc)))
            return
        if not tables:
            self.notify("The replica has no tables yet", timeout=3, markup=False)
            return
        choices = [LocationChoice(name, f"{n} columns") for name, n in tables]
        picked = await self.app.push_screen_wait(
            LocationPickerScreen(
                "Browse the replica offline (read-only)",
                choices,
                "enter browse · esc cancel · reads the local file, no server",
            )
        )
        if picked is None:
            return
        try:
            info = await asyncio.to_thread(offline.table_info, picked)
        except (LibsqlError, OSError, LookupError) as exc:
            self.post_message(ErrorOccurred("Replica file unreadable", str(exc)))
            return
        self.load(path, PageRequest(info, self.PAGE_ROWS, "first"))

    def turn(self, path: Path, direction: str) -> None:
        """The next or previous page of the table shown (keyset, from the page's first or last row)."""
        page = self.page
        if page is None or not page.rows:
            return
        forward = direction == "next"
        self.load(
            path,
            PageRequest(
                page.request.table,
                self.PAGE_ROWS,
                "next" if forward else "prev",
                boundary=page.boundary_last if forward else page.boundary_first,
            ),
        )

    def reread(self, path: Path) -> None:
        """The table shown from its first page again (the file was synced)."""
        if self.page is not None:
            self.load(path, PageRequest(self.page.request.table, self.PAGE_ROWS, "first"))

    @work(exclusive=True, group="replica-page", exit_on_error=False)
    async def load(self, path: Path, request: PageRequest) -> None:
        try:
            page = await asyncio.to_thread(OfflineReplica(path).page, request)
        except (LibsqlError, OSError) as exc:
            self.post_message(ErrorOccurred("Replica file unreadable", str(exc)))
            return
        if not page.rows and request.direction in ("next", "prev"):
            self.notify("No more rows that way", timeout=2, markup=False)
            return
        self._show(request.table, page)

    def _show(self, info: TableInfo, page: Page) -> None:
        self.page = page
        self.clear(columns=True)
        for name in page.columns:
            self.add_column(name, key=name)
        for i, row in enumerate(page.rows):
            self.add_row(*(cell(v) for v in row), key=str(i))
        self.border_title = f"{info.name} · offline, read-only"
        count = len(page.rows)
        self.border_subtitle = f"{count} row{'s' if count != 1 else ''} · {TABLE_HINT}"

    def forget(self) -> None:
        """Empty again (the file is being reset)."""
        self.page = None
        self.clear(columns=True)
        self.border_title = "Offline browse"
        self.border_subtitle = TABLE_HINT
