"""A fleet of databases on screen: a filter line (``/``, as you type), a :class:`FleetTable`, the sort and "top N"
the operator chose, and (optionally) a selection by name. The rules are ``ops/fleet.py``'s; this only shows.

:meth:`FleetView.show` takes the rows of a refresh: each row's cells are made again only when the row changed
(by key), and the table repaints only the lines on screen that differ. A filter keystroke re-arranges the rows
already held (no request). ``FleetView.Changed`` tells the pane that the count or the query changed (for its
title and subtitle).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input

from tursotui.ops.errors import InputError
from tursotui.ops.fleet import (
    Arranged,
    FleetQuery,
    FleetRow,
    Selection,
    SortKey,
    arrange,
    parse_filter,
)
from tursotui.ui.widgets.fleet_table import Cells, Column, FleetTable, natural_widths

TOP_STEPS: tuple[int | None, ...] = (None, 10, 20, 50, 100)
"""What ``t`` cycles through: all rows, then the top 10, 20, 50 and 100."""
FILTER_HINT = "name, group or location · group:x loc:y -word · enter keep · esc clear"


class FilterInput(Input):
    """The one-line filter: ``esc`` clears and leaves it, ``enter`` keeps it and goes back to the table."""

    DEFAULT_CSS = """
    FilterInput {
        padding: 0 1; display: none;
        background: $boost; color: $foreground;
        &.-shown { display: block; }
        &.-invalid { color: $error; }
        &:focus { background: $primary 30%; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave(True)", "Clear filter", show=False),
        Binding("down", "leave(False)", "To the table", show=False),
    ]

    class Left(Message):
        def __init__(self, clear: bool) -> None:
            super().__init__()
            self.clear = clear

    def action_leave(self, clear: bool) -> None:
        self.post_message(self.Left(clear))


class FleetView(Vertical):
    DEFAULT_CSS = """
    FleetView { height: auto; }
    """

    class Changed(Message):
        """The rows shown, their count or the query changed."""

        def __init__(self, view: FleetView) -> None:
            super().__init__()
            self.view = view

        @property
        def control(self) -> FleetView:
            return self.view

    def __init__(
        self,
        columns: Sequence[Column],
        cells: Callable[[FleetRow], Cells],
        *,
        table_id: str,
        selectable: bool = False,
        empty: str = "no databases",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.cells = cells
        self.selection = Selection()
        self.selectable = selectable
        self.query_state = FleetQuery()
        self.problem = ""
        """Why the filter text was refused (the last good filter still applies)."""
        self._table_id = table_id
        self._empty = empty
        self._rows: list[FleetRow] = []
        self._cells: dict[str, tuple[FleetRow, Cells]] = {}
        self._widths: list[int] | None = None
        self.arranged = Arranged([], 0, 0)

    def compose(self) -> ComposeResult:
        yield FleetTable(
            self.columns,
            marks=self.selection if self.selectable else None,
            empty=self._empty,
            id=self._table_id,
        )

    @property
    def table(self) -> FleetTable:
        return self.query_one(FleetTable)

    def on_mount(self) -> None:
        # Hidden until "/": mounted once the first frame is on screen (an Input's styles are ~10 ms of it).
        self.call_after_refresh(lambda: self.filter_input)

    @property
    def filter_input(self) -> FilterInput:
        """The filter line, mounted (above the table) the first time it is asked for."""
        for field in self.query_children(FilterInput):
            return field
        field = FilterInput(placeholder=FILTER_HINT, id=f"{self._table_id}-filter", compact=True)
        self.mount(field, before=self.table)
        return field

    @property
    def filter_shown(self) -> bool:
        """The filter line is open (``/``) or keeps a filter."""
        return any(field.has_class("-shown") for field in self.query_children(FilterInput))

    @property
    def rows(self) -> list[FleetRow]:
        """Every row of the last refresh (not only those shown)."""
        return self._rows

    @property
    def shown(self) -> list[FleetRow]:
        """The rows shown, in order (filtered, sorted, cut)."""
        return self.arranged.rows

    # -- data ------------------------------------------------------------------------------------------------

    def show(self, rows: Sequence[FleetRow], *, recell: bool = False) -> None:
        """The rows of a refresh. ``recell``: the cells function's inputs changed (every row is made again)."""
        old = {} if recell else self._cells
        cells: dict[str, tuple[FleetRow, Cells]] = {}
        changed = recell or len(rows) != len(self._rows)
        for row in rows:
            hit = old.get(row.name)
            if hit is not None and hit[0] == row:
                cells[row.name] = hit
            else:
                cells[row.name] = (row, self.cells(row))
                changed = True
        self._cells = cells
        self._rows = list(rows)
        if changed or self._widths is None:
            self._widths = natural_widths(self.columns, [(k, c) for k, (_, c) in cells.items()])
        if self.selection.retain(cells):
            self.table.repaint_marks()
        self.apply(refresh=True)

    def apply(self, *, refresh: bool = False) -> None:
        """Arrange the rows with the current query and show them; when the row under the cursor is no longer
        listed the cursor goes to the first row (a new query) or stays at its place (``refresh``: it was
        deleted)."""
        self.arranged = arrange(self._rows, self.query_state)
        table = self.table
        table.keep = self._sort_column()
        cells = self._cells
        shown = [(row.name, cells[row.name][1]) for row in self.arranged.rows]
        table.set_rows(shown, self._widths, to_top=not refresh)
        self.post_message(self.Changed(self))

    def _sort_column(self) -> str | None:
        wanted = {
            SortKey.SIZE: ("size", "storage"),
            SortKey.ROWS_READ: ("rows_read", "read"),
            SortKey.ROWS_WRITTEN: ("rows_written", "written"),
            SortKey.USAGE: ("rows_read", "read"),
        }.get(self.query_state.sort or SortKey.NAME, ())
        return next((c.key for c in self.columns if c.key in wanted), None)

    def describe(self) -> str:
        """``312 of 10,000 · by size · filter eu`` (and the refusal of a bad filter)."""
        a = self.arranged
        text = self.query_state.describe(len(a.rows), a.matching, a.total)
        if self.problem:
            text += f" · {self.problem}"
        return text

    # -- the operator ----------------------------------------------------------------------------------------

    def open_filter(self) -> None:
        field = self.filter_input
        field.add_class("-shown")
        field.focus()
        self.post_message(self.Changed(self))

    @on(Input.Changed, "FilterInput")
    def _filter_typed(self, event: Input.Changed) -> None:
        event.stop()
        try:
            parsed = parse_filter(event.value)
        except InputError as exc:
            self.problem = exc.message
            self.filter_input.add_class("-invalid")
            self.post_message(self.Changed(self))
            return
        self.problem = ""
        self.filter_input.remove_class("-invalid")
        q = self.query_state
        self.query_state = FleetQuery(parsed, q.sort, q.limit)
        self.apply()

    @on(Input.Submitted, "FilterInput")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self._leave(clear=False)

    @on(FilterInput.Left)
    def _filter_left(self, event: FilterInput.Left) -> None:
        event.stop()
        self._leave(clear=event.clear)

    def _leave(self, *, clear: bool) -> None:
        field = self.filter_input
        if clear:
            field.value = ""  # Changed follows: every row again
        if clear or not field.value.strip():
            field.remove_class("-shown")
            self.post_message(self.Changed(self))
        self.table.focus()

    def cycle_sort(self) -> SortKey | None:
        """As listed, then by name, size, rows read, rows written, usage, and as listed again."""
        q = self.query_state
        sort = (
            SortKey.NAME if q.sort is None else (None if q.sort is SortKey.USAGE else q.sort.next())
        )
        self.query_state = FleetQuery(q.filter, sort, q.limit)
        self.apply()
        return sort

    def cycle_top(self) -> int | None:
        """The next "top N" step; turning it on while sorted by name sorts by usage (top N by usage)."""
        q = self.query_state
        limit = TOP_STEPS[(TOP_STEPS.index(q.limit) + 1) % len(TOP_STEPS)]
        by_name = q.sort is None or q.sort is SortKey.NAME
        sort = SortKey.USAGE if limit is not None and by_name else q.sort
        self.query_state = FleetQuery(q.filter, sort, limit)
        self.apply()
        return limit

    def toggle_mark(self) -> bool | None:
        """Select or unselect the row under the cursor (None: no row)."""
        key = self.table.cursor_key
        if key is None:
            return None
        on_ = self.selection.toggle(key)
        self.table.refresh_line(self.table.cursor_row + 1)
        self.post_message(self.Changed(self))
        return on_

    def mark_all(self) -> int:
        """Select every row shown (filtered, cut); when they all are already, unselect them. Returns how many
        are selected now."""
        keys = [row.name for row in self.arranged.rows]
        if keys and all(k in self.selection for k in keys):
            self.selection.unselect(keys)
        else:
            self.selection.select(keys)
        self.table.repaint_marks()
        self.post_message(self.Changed(self))
        return len(self.selection)

    def clear_marks(self) -> None:
        self.selection.clear()
        self.table.repaint_marks()
        self.post_message(self.Changed(self))

    def selected_rows(self) -> list[FleetRow]:
        """The selected rows, in the order shown first, then any selected but filtered out."""
        shown = self.selection.chosen(self.arranged.rows)
        seen = {row.name for row in shown}
        rest = [r for r in self.selection.chosen(self._rows) if r.name not in seen]
        return [*shown, *rest]
