"""A virtualised table for a fleet: rows are ``(key, cells)`` tuples in a list, and only the lines on screen are
rendered (Textual's Line API), so 10,000 rows cost a list, not 10,000 rows of widgets or measured cells.

Why not ``DataTable``: with 10,000 rows it measures every cell when rows are added (1.1 s before the first
paint on this machine), ``clear()`` + ``add_rows`` per filter keystroke takes 0.5 s for 3,000 rows, and
``remove_row`` renumbers every row (1.3 s for 200 removals); benchmarks/fleet_console.py.

:meth:`FleetTable.set_rows` replaces the list; the cursor stays on its key, and only the lines on screen whose
text changed are repainted. Column widths come from the cells (or are given); when they do not fit, columns
with a ``drop`` rank are left out (lowest first, never the one ``keep`` names), then the flexible column is
cut with "…". It offers the few ``DataTable`` reads the console uses (``row_count``, ``rows``, ``get_row``,
``get_row_at``, ``get_cell``, ``get_row_index``, ``move_cursor``, ``cursor_row``).
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cells = tuple[str, ...]
Row = tuple[str, Cells]
MARK = "●"
GAP = 2
"""Blank cells between two columns (one each side, as DataTable pads)."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    right: bool = False
    """Right-aligned (numbers)."""
    flex: bool = False
    """Cut with "…" (down to ``min_width``) when the columns do not fit."""
    min_width: int = 6
    drop: int | None = None
    """Left out when the columns do not fit: the lowest rank first (None: always shown)."""


def natural_widths(columns: Sequence[Column], rows: Sequence[Row]) -> list[int]:
    """Each column's widest cell (or its label)."""
    widths = [cell_len(c.label) for c in columns]
    for index in range(len(columns)):
        values = {cells[index] for _, cells in rows}
        if values:
            widths[index] = max(widths[index], max(map(cell_len, values)))
    return widths


def fit(
    columns: Sequence[Column], widths: Sequence[int], room: int, keep: str | None = None
) -> list[tuple[int, int]]:
    """The columns shown in ``room`` cells, as ``(column index, width)``."""
    shown = list(range(len(columns)))

    def total() -> int:
        return sum(widths[i] + GAP for i in shown)

    droppable = sorted(
        (c.drop, i) for i, c in enumerate(columns) if c.drop is not None and c.key != keep
    )
    for _, index in droppable:
        if total() <= room:
            break
        shown.remove(index)
    sized = {i: widths[i] for i in shown}
    over = total() - room
    if over > 0:
        for i in shown:
            column = columns[i]
            if column.flex and sized[i] > column.min_width:
                cut = min(over, sized[i] - column.min_width)
                sized[i] -= cut
                over -= cut
    return [(i, sized[i]) for i in shown]


def _cell(text: str, width: int, right: bool) -> str:
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else text[:width]
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


class FleetTable(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows by key, rendered line by line; a cursor row; optional marks (a selection) in a gutter."""

    DEFAULT_CSS = """
    FleetTable {
        background: $surface;
        color: $foreground;
        width: 100%;
        height: auto;
        max-height: 100%;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        &:focus {
            background-tint: $foreground 5%;
            & > .fleet-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .fleet-table--header { background-tint: $foreground 5%; }
        }
        &:dark > .fleet-table--even-row { background: $surface-darken-1 40%; }
        & > .fleet-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .fleet-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .fleet-table--even-row { background: $surface-lighten-1 50%; }
        & > .fleet-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .fleet-table--marked { color: $accent; text-style: bold; }
        & > .fleet-table--empty { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fleet-table--header",
        "fleet-table--even-row",
        "fleet-table--cursor",
        "fleet-table--marked",
        "fleet-table--empty",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Cursor up", show=False),
        Binding("down", "cursor(1)", "Cursor down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "edge(0)", "First row", show=False),
        Binding("end,ctrl+end", "edge(1)", "Last row", show=False),
    ]

    class Highlighted(Message):
        """The cursor is on another key (None: the table is empty)."""

        def __init__(self, table: FleetTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> FleetTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        marks: Container[str] | None = None,
        empty: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.marks = marks
        """Keys shown with a mark in the gutter (a selection); None: no gutter."""
        self.empty = empty
        """What the table says with no rows."""
        self.keep: str | None = None
        """The column never left out when they do not fit (the sort column)."""
        self._rows: list[Row] = []
        self._index: dict[str, int] = {}
        self._widths: list[int] = [cell_len(c.label) for c in self.columns]
        self._cursor = 0
        self._cursor_key: str | None = None
        self._fitted: tuple[tuple[int, str | None, tuple[int, ...]], list[tuple[int, int]]] | None
        self._fitted = None

    # -- data ------------------------------------------------------------------------------------------------

    def set_rows(
        self, rows: Sequence[Row], widths: Sequence[int] | None = None, *, to_top: bool = False
    ) -> None:
        """Show ``rows`` (keys unique). The cursor stays on its key when it is still listed, else on the same
        index, clamped (a database deleted), or on the first row with ``to_top`` (a new filter); only lines
        whose text changed are repainted."""
        old = self._rows
        top = round(self.scroll_offset.y)
        visible = max(self.size.height - 1, 0)
        self._rows = list(rows)
        self._index = {key: i for i, (key, _) in enumerate(self._rows)}
        new_widths = list(widths) if widths is not None else natural_widths(self.columns, rows)
        resized = new_widths != self._widths
        self._widths = new_widths
        height = len(self._rows) + 1
        if self.virtual_size.height != height:
            self.virtual_size = Size(self.virtual_size.width, height)
            self.refresh(layout=True)
        key = self._cursor_key
        gone = 0 if to_top else self._cursor
        index = self._index.get(key, gone) if key is not None else gone
        self._set_cursor(index, scroll=False)
        if resized or len(old) != len(self._rows):
            self.refresh()
            return
        for line in range(top, min(top + visible, len(self._rows))):
            if old[line] != self._rows[line]:
                self.refresh_line(line + 1)

    def repaint_marks(self) -> None:
        """The marks changed (a selection): repaint the lines on screen."""
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> Mapping[str, int]:
        """Key -> index."""
        return self._index

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self._rows]

    def get_row(self, key: str) -> list[str]:
        return list(self._rows[self._index[key]][1])

    def get_row_at(self, index: int) -> list[str]:
        return list(self._rows[index][1])

    def get_cell(self, key: str, column: str) -> str:
        position = next(i for i, c in enumerate(self.columns) if c.key == column)
        return self._rows[self._index[key]][1][position]

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    # -- the cursor ------------------------------------------------------------------------------------------

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key

    def move_cursor(self, *, row: int) -> None:
        self._set_cursor(row)

    def move_to_key(self, key: str) -> bool:
        """Put the cursor on ``key``; False if it is not listed."""
        index = self._index.get(key)
        if index is None:
            return False
        self._set_cursor(index)
        return True

    def _set_cursor(self, index: int, *, scroll: bool = True) -> None:
        count = len(self._rows)
        index = max(0, min(index, count - 1)) if count else 0
        before, before_key = self._cursor, self._cursor_key
        self._cursor = index
        self._cursor_key = self._rows[index][0] if count else None
        if before != index:
            self.refresh_line(before + 1)  # virtual lines: the header is line 0
            self.refresh_line(index + 1)
        if scroll or before != index:
            self._scroll_to_cursor()
        if self._cursor_key != before_key:
            # Made in this table's own turn: a message made while the fleet view (its parent) runs a handler
            # would name the view as its sender, and Textual stops such a message at the sender.
            self.call_next(self._post_highlighted, self._cursor_key)

    def _post_highlighted(self, key: str | None) -> None:
        self.post_message(self.Highlighted(self, key))

    def _scroll_to_cursor(self) -> None:
        visible = self.scrollable_content_region.height - 1
        if visible <= 0:
            return
        top = round(self.scroll_offset.y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self._set_cursor(self._cursor + step)

    def action_page(self, direction: int) -> None:
        page = max(self.scrollable_content_region.height - 2, 1)
        self._set_cursor(self._cursor + direction * page)

    def action_edge(self, end: int) -> None:
        self._set_cursor(len(self._rows) - 1 if end else 0)

    async def _on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            index = round(self.scroll_offset.y) + event.y - 1
            if index < len(self._rows):
                self._set_cursor(index)

    def on_resize(self) -> None:
        self._fitted = None
        self.virtual_size = Size(self.virtual_size.width, len(self._rows) + 1)

    # -- rendering -------------------------------------------------------------------------------------------

    def _layout(self, room: int) -> list[tuple[int, int]]:
        gutter = 2 if self.marks is not None else 0
        widths = tuple(self._widths)
        key = (room, self.keep, widths)
        if self._fitted is None or self._fitted[0] != key:
            self._fitted = (key, fit(self.columns, widths, room - gutter, self.keep))
        return self._fitted[1]

    def _text(self, cells: Sequence[str], room: int) -> str:
        parts = [
            " " + _cell(cells[i], width, self.columns[i].right) + " "
            for i, width in self._layout(room)
        ]
        return "".join(parts)

    def render_line(self, y: int) -> Strip:
        room = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("fleet-table--header")
            labels = [c.label for c in self.columns]
            gutter = "  " if self.marks is not None else ""
            return self._strip(gutter + self._text(labels, room), room, style)
        index = round(self.scroll_offset.y) + y - 1
        if index >= len(self._rows):
            if index == 0 and self.empty:
                style = base + self.get_component_rich_style("fleet-table--empty")
                return self._strip(" " + self.empty, room, style)
            return Strip.blank(room, base)
        key, cells = self._rows[index]
        style = base
        if index % 2:
            style += self.get_component_rich_style("fleet-table--even-row")
        if index == self._cursor:
            style += self.get_component_rich_style("fleet-table--cursor")
        text = self._text(cells, room)
        if self.marks is None:
            return self._strip(text, room, style)
        marked = key in self.marks
        mark_style = style + self.get_component_rich_style("fleet-table--marked")
        mark = Segment(MARK + " " if marked else "  ", mark_style if marked else style)
        return Strip([mark, *self._strip(text, room - 2, style)], room).crop(0, room)

    @staticmethod
    def _strip(text: str, room: int, style: Style) -> Strip:
        return Strip([Segment(set_cell_size(text, max(room, 0)), style)], max(room, 0))
