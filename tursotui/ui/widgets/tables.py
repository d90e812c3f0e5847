"""Keep a DataTable in step with new data by row key: update changed cells, add new rows, drop gone ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.widgets import DataTable

Cells = Sequence[str]
RENDER_CACHE_LIMITS = (
    ("_cell_render_cache", 2_000),
    ("_row_render_cache", 200),
    ("_row_renderable_cache", 200),
    ("_line_cache", 400),
)
"""DataTable keys its render caches by its update count, so a table updated on every refresh adds new
entries each time until the caches are full (10,000 cells: ~10 MiB per table, reached after ~450 refreshes;
1,000 rows of cell texts; see benchmarks/README.md, soak). A screenful needs far fewer: these caps keep memory
flat sooner."""


def bound_render_caches(table: DataTable[str]) -> None:
    for name, limit in RENDER_CACHE_LIMITS:
        cache = getattr(table, name, None)  # Textual 8.2's LRUCache; left alone if that changes
        if cache is not None and getattr(cache, "maxsize", 0) > limit:
            cache.maxsize = limit


def sync_rows(table: DataTable[str], rows: Mapping[str, Cells]) -> None:
    """Update ``table`` in place (no clear: the cursor and scroll position survive a refresh); a column widens
    when a value outgrows it (a size going from ``900 kB`` to ``10.1 MB`` is not cut to ``10.1 M``)."""
    bound_render_caches(table)
    columns = [column.key for column in table.ordered_columns]
    present = {key.value for key in table.rows}
    for key in present - rows.keys():
        if key is not None:
            table.remove_row(key)
    for key, cells in rows.items():
        if key in present:
            for column, value in zip(columns, cells, strict=True):
                if table.get_cell(key, column) != value:
                    table.update_cell(key, column, value, update_width=True)
        else:
            table.add_row(*cells, key=key)
