"""Keep a DataTable in step with new data by row key: update changed cells, add new rows, drop gone ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.widgets import DataTable

Cells = Sequence[str]


def sync_rows(table: DataTable[str], rows: Mapping[str, Cells]) -> None:
    """Update ``table`` in place (no clear: the cursor and scroll position survive a refresh)."""
    columns = [column.key for column in table.ordered_columns]
    present = {key.value for key in table.rows}
    for key in present - rows.keys():
        if key is not None:
            table.remove_row(key)
    for key, cells in rows.items():
        if key in present:
            for column, value in zip(columns, cells, strict=True):
                if table.get_cell(key, column) != value:
                    table.update_cell(key, column, value)
        else:
            table.add_row(*cells, key=key)
