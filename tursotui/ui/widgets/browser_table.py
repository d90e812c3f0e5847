"""The table browser's grid, shared by the browser pane and the embedded-replica pane's offline browser: a
DataTable keeping only enter and the arrow keys of DataTable's bindings (the browser pane binds page/home/end to
keyset pages instead), and ``cell``, which shows one value as text cut to ``CELL_WIDTH`` characters."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tursotui.libsql.values import Value
from tursotui.ops.browse.query import display_value

CELL_WIDTH = 32


def cell(value: Value) -> str:
    text = display_value(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


class BrowserTable(DataTable[str], inherit_bindings=False):
    """A DataTable whose page/home/end keys move between keyset pages (the pane's bindings)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Row detail", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("left", "cursor_left", "Left", show=False),
        Binding("right", "cursor_right", "Right", show=False),
    ]
