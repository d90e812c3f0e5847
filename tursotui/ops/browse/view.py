"""The table browser's position, as plain values (no Textual): the keyset page request that moves from the page
shown in a direction, the next sort column and search column when the operator cycles them, and the status
line under the grid (table · rows and which page · order · search · rows read · read-only)."""

from __future__ import annotations

from tursotui.libsql.values import Value
from tursotui.ops.browse.query import Direction, PageRequest, Search, TableInfo
from tursotui.ops.browse.session import Page


def page_request(
    info: TableInfo,
    size: int,
    direction: Direction,
    sort: str | None,
    search: Search | None,
    page: Page | None,
) -> PageRequest | None:
    """The request for ``direction`` from ``page``; None: an empty page has no next or previous one."""
    boundary: tuple[Value, ...] = ()
    if page is not None and direction in ("next", "prev"):
        if not page.rows:
            return None
        boundary = page.boundary_last if direction == "next" else page.boundary_first
    return PageRequest(info, size, direction, sort, search, boundary)


def next_search_column(columns: tuple[str, ...], current: str) -> str:
    index = columns.index(current) if current in columns else -1
    return columns[(index + 1) % len(columns)]


def next_sort(sortable: tuple[str, ...], current: str | None) -> str | None:
    """None (the key), then each sortable column in turn."""
    options: list[str | None] = [None, *sortable]
    index = options.index(current) if current in options else 0
    return options[(index + 1) % len(options)]


def status_line(
    table_name: str,
    page: Page | None,
    search: Search | None,
    rows_read: int | None,
    read_only: bool,
) -> str:
    parts = [table_name]
    if page is not None:
        where = {"first": "first page", "last": "last page"}.get(page.request.direction, "page")
        count = len(page.rows)
        parts.append(f"{count} row{'s' if count != 1 else ''} · {where}")
        order = page.request.order_columns()
        parts.append("order " + ", ".join(order))
    if search is not None:
        parts.append(search.describe())
    read = "?" if rows_read is None else str(rows_read)
    parts.append(f"rows read {read}")
    if read_only:
        parts.append("read-only")
    return " · ".join(parts)
