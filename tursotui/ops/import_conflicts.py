"""Conflicts between an import's source and an existing database, found by reading only.

A conflict is anything that would make the load fail or mix data silently: a table name taken by
a view or index, columns the existing table lacks, a virtual table (FTS5...), an index/view/
trigger name already in use, and rows whose primary key or (non-partial) unique key already
exists. Keys are looked up in chunks (``(a, b) IN (VALUES (?, ?), ...)``): about one row read
per source row on Turso Cloud.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from tursotui.libsql import HranaClient, quote_identifier
from tursotui.ops._threads import uninterrupted
from tursotui.ops.import_source import ImportSource, SourceTable, connect_read_only

KEY_CHUNK = 200
STATEMENTS_PER_REQUEST = 10
EXAMPLES = 3


@dataclass(frozen=True)
class TargetTable:
    name: str
    rows: int
    columns: tuple[str, ...]
    keys: tuple[tuple[str, ...], ...]
    """The primary key (if declared) and every non-partial unique index without expressions."""


@dataclass
class TargetSchema:
    tables: dict[str, TargetTable] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    """``{name: table|index|view|trigger}`` of everything in the database."""

    @property
    def names(self) -> set[str]:
        return set(self.kinds)


async def read_target_schema(client: HranaClient, wanted: list[str]) -> TargetSchema:
    """The existing database's names, and details of the tables the import would touch."""
    schema = TargetSchema()
    listing = await client.execute("SELECT type, name FROM sqlite_schema")
    schema.kinds = {str(name): str(kind) for kind, name in listing.rows}
    existing = [n for n in wanted if schema.kinds.get(n) == "table"]
    if not existing:
        return schema
    statements: list[tuple[str, list[Any]]] = []
    for name in existing:
        statements += [
            (f"SELECT count(*) FROM {quote_identifier(name)}", []),  # noqa: S608 (quoted)
            ("SELECT name, pk, hidden FROM pragma_table_xinfo(?)", [name]),
            ('SELECT name, "unique", origin, partial FROM pragma_index_list(?)', [name]),
        ]
    results = await client.batch(statements, transactional=False)
    unique: dict[str, list[str]] = {}
    details: dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = {}
    for i, name in enumerate(existing):
        count, info, indexes = results[3 * i : 3 * i + 3]
        columns = tuple(str(row[0]) for row in info.rows if not row[2])
        pk = tuple(str(row[0]) for row in sorted(info.rows, key=lambda r: int(r[1] or 0)) if row[1])
        details[name] = (int(count.scalar() or 0), columns, pk)
        unique[name] = [
            str(row[0]) for row in indexes.rows if row[1] and row[2] != "pk" and not row[3]
        ]
    index_names = [(t, i) for t, names in unique.items() for i in names]
    index_columns: dict[str, tuple[str, ...] | None] = {}
    if index_names:
        infos = await client.batch(
            [("SELECT name FROM pragma_index_info(?)", [i]) for _, i in index_names],
            transactional=False,
        )
        for (_, index), info in zip(index_names, infos, strict=True):
            names = [row[0] for row in info.rows]
            index_columns[index] = None if any(n is None for n in names) else tuple(map(str, names))
    for name in existing:
        rows, columns, pk = details[name]
        keys = [pk] if pk else []
        for index in unique[name]:
            cols = index_columns.get(index)
            if cols and cols not in keys:
                keys.append(cols)
        schema.tables[name] = TargetTable(name, rows, columns, tuple(keys))
    return schema


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return f"x'{value[:8].hex()}…'" if len(value) > 8 else f"x'{value.hex()}'"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


async def _key_conflicts(
    client: HranaClient, conn: sqlite3.Connection, table: str, key: tuple[str, ...]
) -> tuple[int, list[str]]:
    """How many source rows have ``key`` values already in the target, and a few examples."""
    cols = ", ".join(quote_identifier(c) for c in key)
    not_null = " AND ".join(f"{quote_identifier(c)} IS NOT NULL" for c in key)
    cursor = conn.execute(
        f"SELECT {cols} FROM {quote_identifier(table)} WHERE {not_null}"  # noqa: S608 (quoted)
    )
    group = "(" + ", ".join("?" for _ in key) + ")"
    found = 0
    examples: list[str] = []
    while True:
        pending: list[tuple[str, list[Any]]] = []
        for _ in range(STATEMENTS_PER_REQUEST):
            rows = await uninterrupted(asyncio.to_thread(cursor.fetchmany, KEY_CHUNK))
            if not rows:
                break
            values = ", ".join(group for _ in rows)
            sql = (
                f"SELECT {cols} FROM {quote_identifier(table)} WHERE ({cols}) IN (VALUES {values})"  # noqa: S608
            )
            pending.append((sql, [v for row in rows for v in row]))
        if not pending:
            break
        for result in await client.batch(pending, transactional=False):
            found += len(result.rows)
            for row in result.rows[: EXAMPLES - len(examples)]:
                examples.append(
                    _show(row[0]) if len(row) == 1 else "(" + ", ".join(map(_show, row)) + ")"
                )
    return found, examples


async def _table_conflicts(
    client: HranaClient, conn: sqlite3.Connection, table: SourceTable, target: TargetTable
) -> list[str]:
    missing = [c for c in table.columns if c not in target.columns]
    if missing:
        return [f"table {table.name}: the database's table has no column(s) {', '.join(missing)}"]
    conflicts = []
    for key in target.keys:
        if not set(key) <= set(table.columns):
            continue
        count, examples = await _key_conflicts(client, conn, table.name, key)
        if count:
            what = "primary key" if key == target.keys[0] else "unique key"
            conflicts.append(
                f"table {table.name}: {count} row(s) already exist with the same {what} "
                f"({', '.join(key)}), e.g. {', '.join(examples)}"
            )
    return conflicts


async def find_conflicts(
    client: HranaClient, source: ImportSource, schema: TargetSchema
) -> tuple[list[str], list[str]]:
    """``(conflicts, notes)`` of importing ``source`` into the database of ``schema``."""
    conflicts: list[str] = []
    notes: list[str] = []
    creating = set()
    conn = await uninterrupted(asyncio.to_thread(connect_read_only, source.database))
    try:
        for table in source.tables:
            kind = schema.kinds.get(table.name)
            if table.virtual:
                conflicts.append(
                    f"table {table.name} belongs to a virtual table (FTS5, R*Tree...): import "
                    "into a new database instead"
                )
            elif kind is None:
                creating.add(table.name)
            elif kind != "table":
                conflicts.append(
                    f"table {table.name}: the name is taken by a {kind} in the database"
                )
            else:
                conflicts += await _table_conflicts(client, conn, table, schema.tables[table.name])
    finally:
        conn.close()
    for obj in source.objects:
        if obj.table not in creating and obj.type != "view":
            if obj.name not in schema.kinds:
                notes.append(f"{obj.type} {obj.name} of existing table {obj.table} is not copied")
        elif obj.name in schema.kinds:
            conflicts.append(
                f"{obj.type} {obj.name}: the name is taken by a {schema.kinds[obj.name]} in the database"
            )
    return conflicts, notes
