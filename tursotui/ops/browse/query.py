"""SQL for the table browser, built as text plus bound values (no Textual, no I/O).

Pages are keyset pages on ``(sort column, key)``: never OFFSET, never more than one page in memory. The key is
the rowid (rowid tables: every index carries it, so ``ORDER BY col, rowid`` walks the index) or the primary key
columns (WITHOUT ROWID tables). Identifiers are always quoted; every value is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from tursotui.libsql.local import (
    SCHEMA_OBJECTS,
    internal_names,
    is_internal_table,
    quote_identifier,
)
from tursotui.libsql.values import Value

SEARCH_COLUMNS = ("email", "phone", "xswarm_phone", "stripe_customer_id")
KEY_ALIAS = "__tursotui_key"
ROWID_NAMES = frozenset({"rowid", "_rowid_", "oid"})
NULL_WORD = "NULL"
"""Typed into an editor field: bind SQL NULL (any other text is bound as text)."""

Direction = Literal["first", "next", "prev", "last"]
SearchMode = Literal["exact", "prefix"]

LIST_TABLES = SCHEMA_OBJECTS
"""Every schema object ``(type, name, tbl_name, sql)``: :func:`user_table_names` needs the indexes to
hide a vector index's ``<index>_shadow`` table."""
TABLE_COLUMNS = 'SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid'
INDEX_COLUMNS = (
    'SELECT il.name, ii.seqno, ii.name, il."unique", il.partial FROM pragma_index_list(?) AS il '
    "JOIN pragma_index_info(il.name) AS ii ORDER BY il.name, ii.seqno"
)
TABLE_SQL = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?"
IDENTIFYING_SHOWN = 3
"""At most this many identifying columns name a row in a confirmation."""
VALUE_SHOWN = 40


def hidden_table(name: str) -> bool:
    """Internal tables by name alone: sqlite_%, _litestream%, libsql_%, turso_%, __turso%."""
    lowered = name.lower()
    return is_internal_table(name) or lowered.startswith(("turso_", "__turso"))


def hidden_names(schema: Sequence[Sequence[object]]) -> frozenset[str]:
    """Lower-cased names the browser hides among ``(type, name, tbl_name, sql)`` rows: those of
    :func:`hidden_table`, and each existing vector index's ``<index>_shadow`` table and its index."""
    by_name = {str(row[1]).lower() for row in schema if hidden_table(str(row[1]))}
    return internal_names(schema) | by_name


def user_table_names(schema: Sequence[Sequence[object]]) -> list[str]:
    """The tables the browser lists, in the rows' order (:data:`LIST_TABLES`: by name)."""
    hidden = hidden_names(schema)
    return [str(r[1]) for r in schema if r[0] == "table" and str(r[1]).lower() not in hidden]


def q(name: str) -> str:
    return quote_identifier(name)


@dataclass(frozen=True)
class Column:
    name: str
    type: str = ""
    not_null: bool = False
    pk: int = 0


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[Column, ...]
    without_rowid: bool = False
    indexed: tuple[str, ...] = ()
    """Columns that lead an index (sortable and searchable with the index)."""
    unique: tuple[str, ...] = ()
    """Columns a unique index covers alone (``email TEXT UNIQUE``): each names one row."""

    @property
    def key_columns(self) -> tuple[str, ...]:
        """What identifies a row: ``("rowid",)`` or the primary key columns of a WITHOUT ROWID table."""
        if not self.without_rowid and not ROWID_NAMES & {c.name.lower() for c in self.columns}:
            return ("rowid",)
        pks = sorted((c for c in self.columns if c.pk), key=lambda c: c.pk)
        return tuple(c.name for c in pks) or tuple(c.name for c in self.columns[:1])

    @property
    def identifying(self) -> tuple[str, ...]:
        """What names a row to an operator: the primary key, then the unique columns (``id``, ``email``…);
        the key (``rowid``) when the table has neither."""
        pks = [c.name for c in sorted((c for c in self.columns if c.pk), key=lambda c: c.pk)]
        return tuple(dict.fromkeys([*pks, *self.unique])) or self.key_columns

    @property
    def uses_rowid(self) -> bool:
        return self.key_columns == ("rowid",)

    @property
    def sortable(self) -> tuple[str, ...]:
        """Indexed columns (and the primary key) the browser sorts on."""
        pk = [c.name for c in self.columns if c.pk == 1]
        return tuple(dict.fromkeys([*pk, *self.indexed]))

    @property
    def searchable(self) -> tuple[str, ...]:
        names = {c.name for c in self.columns}
        return tuple(c for c in SEARCH_COLUMNS if c in names)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Search:
    column: str
    text: str
    mode: SearchMode = "exact"

    @classmethod
    def parse(cls, column: str, raw: str) -> Search | None:
        """``abc`` searches exactly, ``abc*`` by prefix; empty: no search."""
        text = raw.strip()
        if not text or text == "*":
            return None
        if text.endswith("*"):
            return cls(column, text[:-1], "prefix")
        return cls(column, text, "exact")

    def describe(self) -> str:
        return f"{self.column} {'starts with' if self.mode == 'prefix' else '='} {self.text!r}"


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (BINARY collation); None:
    there is none (``prefix`` is all U+10FFFF, so every string ``>= prefix`` starts with it).

    Surrogates are skipped: they cannot be encoded, so U+D7FF is followed by U+E000."""
    chars = list(prefix)
    while chars:
        last = ord(chars[-1])
        if last < 0x10FFFF:
            chars[-1] = chr(0xE000 if last == 0xD7FF else last + 1)
            return "".join(chars)
        chars.pop()
    return None


@dataclass(frozen=True)
class Query:
    sql: str
    args: tuple[Value, ...] = ()


@dataclass(frozen=True)
class PageRequest:
    """One page: ``after``/``before`` is the boundary row's order values (sort value first, then key)."""

    table: TableInfo
    limit: int
    direction: Direction = "first"
    sort: str | None = None
    """An indexed column, or None: the key alone."""
    search: Search | None = None
    boundary: tuple[Value, ...] = field(default=())

    def order_columns(self) -> list[str]:
        sort = self.search.column if self.search else self.sort
        keys = list(self.table.key_columns)
        return ([sort] if sort and sort not in keys else []) + keys

    def build(self) -> Query:
        table = self.table
        order = self.order_columns()
        key_sql = [q(k) if k != "rowid" else "rowid" for k in table.key_columns]
        select = ", ".join(
            [f"{expr} AS {q(f'{KEY_ALIAS}{i}')}" for i, expr in enumerate(key_sql)] + ["*"]
        )
        where: list[str] = []
        args: list[Value] = []
        if self.search is not None:
            col = q(self.search.column)
            if self.search.mode == "exact":
                where.append(f"{col} = ?")
                args.append(self.search.text)
            else:
                upper = prefix_upper_bound(self.search.text)
                where.append(f"{col} >= ?" + (f" AND {col} < ?" if upper is not None else ""))
                args.extend([self.search.text] if upper is None else [self.search.text, upper])
        backwards = self.direction in ("prev", "last")
        if self.direction in ("next", "prev") and self.boundary:
            clause, values = _keyset(order, self.boundary, forward=not backwards)
            where.append(clause)
            args.extend(values)
        sql = f"SELECT {select} FROM {q(table.name)}"  # noqa: S608 (identifiers quoted, values bound)
        if where:
            sql += " WHERE " + " AND ".join(f"({w})" if " OR " in w else w for w in where)
        direction = " DESC" if backwards else ""
        sql += " ORDER BY " + ", ".join(_ident(c) + direction for c in order)
        sql += " LIMIT ?"
        args.append(self.limit)
        return Query(sql, tuple(args))


def _ident(name: str) -> str:
    return "rowid" if name == "rowid" else q(name)


def _keyset(
    order: list[str], boundary: tuple[Value, ...], *, forward: bool
) -> tuple[str, list[Value]]:
    """Rows strictly after (forward) or before ``boundary`` in ``ORDER BY order`` (NULLs sort first)."""
    cols = [_ident(c) for c in order]
    op = ">" if forward else "<"
    if len(cols) == 1:
        return f"{cols[0]} {op} ?", [boundary[0]]
    head, rest = cols[0], cols[1:]
    first, others = boundary[0], list(boundary[1:])
    rest_sql = (
        f"({', '.join(rest)}) {op} ({', '.join('?' for _ in rest)})"
        if len(rest) > 1
        else (f"{rest[0]} {op} ?")
    )
    if first is None:  # inside the NULL run of the sort column
        if forward:
            return f"({head} IS NULL AND {rest_sql}) OR {head} IS NOT NULL", others
        return f"{head} IS NULL AND {rest_sql}", others
    tuple_sql = f"({', '.join(cols)}) {op} ({', '.join('?' for _ in cols)})"
    values = [first, *others]
    if forward:
        return tuple_sql, values
    return f"{tuple_sql} OR {head} IS NULL", values


def table_info(
    name: str,
    columns: Sequence[Sequence[Value]],
    indexes: Sequence[Sequence[Value]],
    ddl: object,
) -> TableInfo:
    """A table from the rows of :data:`TABLE_COLUMNS`, :data:`INDEX_COLUMNS` and :data:`TABLE_SQL`."""
    if not columns:
        raise LookupError(f"no table {name!r}")
    cols = tuple(
        Column(str(r[0]), str(r[1] or ""), bool(r[2]), int(str(r[3] or 0))) for r in columns
    )
    leading = [str(r[2]) for r in indexes if r[1] == 0 and r[2] is not None]
    by_index: dict[str, list[str]] = {}
    for row in indexes:
        if row[3] and not row[4] and row[2] is not None:  # unique, not partial
            by_index.setdefault(str(row[0]), []).append(str(row[2]))
    unique = [names[0] for names in by_index.values() if len(names) == 1]
    without_rowid = "without rowid" in " ".join(str(ddl or "").lower().split())
    return TableInfo(
        name, cols, without_rowid, tuple(dict.fromkeys(leading)), tuple(dict.fromkeys(unique))
    )


def describe_row(table: TableInfo, key: tuple[Value, ...], values: dict[str, Value]) -> str:
    """The row as an operator knows it: ``id = 'test-123' · email = 'test@example.com'`` (its identifying
    columns), then the key the SQL uses when that is something else (``rowid = 8``)."""
    keys = dict(zip(table.key_columns, key, strict=False))
    known = {**keys, **values}
    named = [c for c in table.identifying if c in known][:IDENTIFYING_SHOWN]
    parts = [f"{c} = {sql_literal(known[c], VALUE_SHOWN)}" for c in named]
    parts += [f"{c} = {sql_literal(v, VALUE_SHOWN)}" for c, v in keys.items() if c not in named]
    return " · ".join(parts)


def sql_literal(value: Value, width: int | None = None) -> str:
    """A value as SQL would show it (for the operator only: values are always bound); cut to ``width``."""
    if value is None:
        text = "NULL"
    elif isinstance(value, bytes):
        text = "x'" + value.hex() + "'"
    elif isinstance(value, str):
        text = "'" + value.replace("'", "''") + "'"
    else:
        text = repr(value)
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def split_row(
    columns: tuple[str, ...], row: tuple[Value, ...], keys: int
) -> tuple[tuple[Value, ...], dict[str, Value]]:
    """A page row -> (key values, {column: value}) (the key aliases come first)."""
    return tuple(row[:keys]), dict(zip(columns[keys:], row[keys:], strict=True))


def row_where(table: TableInfo, key: tuple[Value, ...]) -> tuple[str, list[Value]]:
    return " AND ".join(f"{_ident(k)} = ?" for k in table.key_columns), list(key)


def bind_text(text: str) -> Value:
    return None if text == NULL_WORD else text


def insert_query(table: TableInfo, values: dict[str, str]) -> Query:
    """Only the filled-in fields (the others take their defaults); ``NULL`` binds NULL."""
    filled = {k: v for k, v in values.items() if v != ""}
    if not filled:
        return Query(f"INSERT INTO {q(table.name)} DEFAULT VALUES")
    cols = ", ".join(q(c) for c in filled)
    marks = ", ".join("?" for _ in filled)
    return Query(
        f"INSERT INTO {q(table.name)} ({cols}) VALUES ({marks})",  # noqa: S608
        tuple(bind_text(v) for v in filled.values()),
    )


def update_query(
    table: TableInfo, key: tuple[Value, ...], old: dict[str, Value], new: dict[str, str]
) -> Query | None:
    """Only the changed columns; None when nothing changed."""
    changed = {k: v for k, v in new.items() if v != display_value(old.get(k))}
    if not changed:
        return None
    where, key_args = row_where(table, key)
    sets = ", ".join(f"{q(c)} = ?" for c in changed)
    return Query(
        f"UPDATE {q(table.name)} SET {sets} WHERE {where}",  # noqa: S608
        (*(bind_text(v) for v in changed.values()), *key_args),
    )


def delete_query(table: TableInfo, key: tuple[Value, ...]) -> Query:
    where, key_args = row_where(table, key)
    return Query(f"DELETE FROM {q(table.name)} WHERE {where}", tuple(key_args))  # noqa: S608


def display_value(value: Value) -> str:
    """How a value is shown and edited: NULL as ``NULL``, blobs as hex."""
    if value is None:
        return NULL_WORD
    if isinstance(value, bytes):
        return "x'" + value.hex() + "'"
    return str(value)


def count_query(table: str) -> Query:
    return Query(f"SELECT count(*) FROM {q(table)}")  # noqa: S608
