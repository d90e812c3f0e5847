"""The local embedded replica's file, browsed read-only with no server (the guide's "offline support").

The same keyset pages as the table browser (:class:`~tursotui.ops.browse.query.PageRequest`: never OFFSET, one
page in memory), read with stdlib sqlite3 through :func:`tursotui.libsql.replica.open_offline`. Every call opens
the file and closes it again, so a sync or a reset never finds it held. Synchronous: call it in a thread.
"""

from __future__ import annotations

from pathlib import Path

from tursotui.libsql import replica
from tursotui.ops.browse.query import (
    INDEX_COLUMNS,
    LIST_TABLES,
    TABLE_COLUMNS,
    TABLE_SQL,
    PageRequest,
    TableInfo,
    table_info,
    user_table_names,
)
from tursotui.ops.browse.session import Page


class OfflineReplica:
    """``OfflineReplica(path).tables()``, ``.table_info(name)``, ``.page(request)``: reads only the local file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def tables(self) -> list[tuple[str, int]]:
        """(name, number of columns) of every user table, sorted by name."""
        with replica.open_offline(self.path) as db:
            names = user_table_names(db.execute(LIST_TABLES).rows)
            return [(name, len(db.execute(TABLE_COLUMNS, [name]).rows)) for name in names]

    def table_info(self, name: str) -> TableInfo:
        with replica.open_offline(self.path) as db:
            columns = db.execute(TABLE_COLUMNS, [name]).rows
            indexes = db.execute(INDEX_COLUMNS, [name]).rows
            ddl = db.execute(TABLE_SQL, [name]).scalar()
        if not columns:
            raise LookupError(f"no table {name!r} in the replica {self.path}")
        return table_info(name, columns, indexes, ddl)

    def page(self, request: PageRequest) -> Page:
        query = request.build()
        with replica.open_offline(self.path) as db:
            result = db.execute(query.sql, list(query.args))
        n = len(request.table.key_columns)
        keys = tuple(tuple(row[:n]) for row in result.rows)
        rows = tuple(tuple(row[n:]) for row in result.rows)
        if request.direction in ("prev", "last"):
            keys, rows = keys[::-1], rows[::-1]
        return Page(request, result.columns[n:], keys, rows, None, query.sql)
