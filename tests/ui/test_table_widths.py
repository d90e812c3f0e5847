"""Refreshed tables keep their values whole: a column widens when a value outgrows it (walkthrough: the Size
column showed ``10.1 M`` and ``181.3`` after the databases grew, until the window was resized), and the footer fits
80 columns by hiding ``^r Refresh`` rather than cutting ``q Quit``."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from tursotui.ui.widgets.footer import ConsoleFooter
from tursotui.ui.widgets.tables import sync_rows


class _Table(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable[str](id="t")


async def test_a_value_that_outgrows_its_column_widens_it() -> None:
    app = _Table()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(DataTable)
        table.add_column("Name", key="name")
        table.add_column("Size", key="size")
        sync_rows(table, {"a": ["xswarm-users", "900 kB"]})
        await pilot.pause()
        sync_rows(table, {"a": ["xswarm-users", "181.3 MB"]})
        await pilot.pause()
        size = next(c for c in table.ordered_columns if c.key.value == "size")
        assert size.get_render_width(table) - 2 * table.cell_padding >= len("181.3 MB")


class _Keys(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "table", "Table"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("s", "sort", "Sort"),
        Binding("n", "insert", "Insert"),
        Binding("u", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("ctrl+r", "refresh", "Refresh", key_display="^r"),
        Binding("question_mark", "help_keys", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield ConsoleFooter()

    def action_table(self) -> None: ...
    def action_search(self) -> None: ...
    def action_sort(self) -> None: ...
    def action_insert(self) -> None: ...
    def action_edit(self) -> None: ...
    def action_delete(self) -> None: ...
    def action_help_keys(self) -> None: ...


async def test_the_footer_drops_refresh_first_at_80_columns_and_shows_all_at_120() -> None:
    for width, refresh_shown in ((80, False), (120, True)):
        app = _Keys()
        async with app.run_test(size=(width, 24)) as pilot:
            await pilot.pause()
            shown = {k.description for k in app.query(FooterKey) if k.display}
            assert {"Help", "Quit", "Delete", "Table"} <= shown
            assert ("Refresh" in shown) is refresh_shown
