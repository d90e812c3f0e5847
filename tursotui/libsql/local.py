"""Plain local database files (SQLite / libSQL format) through stdlib ``sqlite3``.

Results use the same :class:`ResultSet` as the Hrana client, so screens do not care where rows
come from. The API is synchronous and thread-safe (one lock per database): call it from a
worker thread (``asyncio.to_thread``), never on the event loop with big tables.

Never open a file here that pyturso has open in the same process (its locks do not protect
against sqlite3 within one process).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from tursotui.libsql.errors import LocalDatabaseError
from tursotui.libsql.result import ResultSet
from tursotui.libsql.values import Args, local_args

INTERNAL_TABLE_PREFIXES = ("sqlite_", "_litestream", "libsql_", "__turso_internal_")
INTERNAL_TABLE_NAMES = frozenset({"turso_cdc", "turso_sync_last_change_id", "turso_cdc_version"})
VECTOR_META_TABLE = "libsql_vector_meta_shadow"
"""libSQL's table of vector index settings (hidden by the ``libsql_`` prefix)."""
SCHEMA_OBJECTS = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name"
"""Every schema object, for :func:`user_tables` / :func:`internal_names` (the vector rule needs the
indexes' SQL, not only the table names)."""

_VECTOR_FUNCTION = re.compile(r"\blibsql_vector_idx\s*\(", re.IGNORECASE)


def is_internal_table(name: str) -> bool:
    """Tables SQLite, libSQL, Litestream and Turso sync keep for themselves, by name alone.

    A vector index's own tables (``<index>_shadow``) are internal only when that index exists:
    see :func:`internal_names`, which every user-table listing goes through."""
    lowered = name.lower()
    return lowered in INTERNAL_TABLE_NAMES or lowered.startswith(INTERNAL_TABLE_PREFIXES)


def is_vector_index_sql(sql: object) -> bool:
    """``CREATE INDEX … (libsql_vector_idx(col …))``: a libSQL vector (DiskANN) index."""
    return (
        isinstance(sql, str)
        and sql.lstrip()[:6].upper() == "CREATE"
        and bool(_VECTOR_FUNCTION.search(sql))
    )


def vector_shadow_names(index: str) -> tuple[str, str]:
    """The table libSQL keeps a vector index in, and that table's own index."""
    return f"{index}_shadow", f"{index}_shadow_idx"


def vector_indexes(schema: Iterable[Sequence[object]]) -> dict[str, str]:
    """``{index: table}`` of the vector indexes among ``(type, name, tbl_name, sql)`` rows."""
    return {
        str(row[1]): str(row[2])
        for row in schema
        if row[0] == "index" and is_vector_index_sql(row[3])
    }


def internal_names(schema: Iterable[Sequence[object]]) -> frozenset[str]:
    """Lower-cased names of the internal objects among ``(type, name, tbl_name, sql)`` rows:
    :func:`is_internal_table` names, and for each existing vector index exactly
    ``<index>_shadow`` (table) and ``<index>_shadow_idx`` (its index). A user table that merely
    looks similar (``notes_shadowbox``, ``x_shadow`` with no vector index ``x``) stays visible."""
    rows = list(schema)
    hidden = {str(row[1]).lower() for row in rows if is_internal_table(str(row[1]))}
    for index in vector_indexes(rows):
        hidden.update(name.lower() for name in vector_shadow_names(index))
    return frozenset(hidden)


def user_tables(schema: Iterable[Sequence[object]]) -> list[str]:
    """The user tables among ``(type, name, tbl_name, sql)`` rows (:data:`SCHEMA_OBJECTS`), in
    their order: internal tables and vector indexes' shadow tables left out."""
    rows = list(schema)
    hidden = internal_names(rows)
    return [str(r[1]) for r in rows if r[0] == "table" and str(r[1]).lower() not in hidden]


def count_sql(table: str, vector_indexed: bool = False) -> str:
    """``SELECT count(*)`` of ``table``. With ``vector_indexed`` it reads the table itself
    (``NOT INDEXED``): plain SQLite would count a vector index's empty b-tree and say 0."""
    hint = " NOT INDEXED" if vector_indexed else ""
    return f"SELECT count(*) FROM {quote_identifier(table)}{hint}"  # noqa: S608 (quoted name)


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))*", re.DOTALL)


def _is_insert(sql: str) -> bool:
    """INSERT/REPLACE statements: like sqld, only they report ``last_insert_rowid``."""
    start = _LEADING_NOISE.match(sql)
    head = sql[start.end() if start else 0 :][:8].upper()
    return head.startswith(("INSERT", "REPLACE"))


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


class LocalDatabase:
    """One local database file.

    ``read_only=True`` opens it with ``mode=ro`` and never creates it: a missing file raises
    :class:`LocalDatabaseError`. Writable databases are created when missing unless
    ``create=False``. Statements run in autocommit mode; ``BEGIN``/``COMMIT`` work as typed.
    """

    def __init__(self, path: str | Path, read_only: bool = False, *, create: bool = True) -> None:
        self.path = Path(path).expanduser()
        self.read_only = read_only
        self._lock = threading.Lock()
        if self.path.is_dir():
            raise LocalDatabaseError(f"{self.path} is a directory, not a database file")
        if not self.path.exists() and (read_only or not create):
            why = "opened read-only, so it was not created" if read_only else "create=False"
            raise LocalDatabaseError(f"database file {self.path} does not exist ({why})")
        try:
            if read_only:
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.text_factory = _text
            # Fail now, not at the first query, when the file is not a database.
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc, f"cannot open {self.path}") from None
        self._conn: sqlite3.Connection | None = conn

    def __repr__(self) -> str:
        mode = "ro" if self.read_only else "rw"
        state = "closed" if self._conn is None else "open"
        return f"LocalDatabase({str(self.path)!r}, {mode}, {state})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def closed(self) -> bool:
        return self._conn is None

    def execute(self, sql: str, args: Args | None = None) -> ResultSet:
        """Run one statement; positional (sequence) or named (mapping, prefix optional) args."""
        params = local_args(args)
        with self._lock:
            conn = self._connection()
            started = time.perf_counter()
            try:
                cursor = conn.execute(sql, params)
                rows = tuple(tuple(row) for row in cursor.fetchall())
            except (sqlite3.Error, sqlite3.Warning) as exc:
                raise self._error(exc) from None
            elapsed = (time.perf_counter() - started) * 1000
            description = cursor.description or ()
            columns = tuple(str(col[0]) for col in description)
            affected = cursor.rowcount if cursor.rowcount > 0 else 0
            rowid = cursor.lastrowid if _is_insert(sql) else None
            cursor.close()
        return ResultSet(
            columns=columns,
            decltypes=tuple(None for _ in columns),
            rows=rows,
            affected_row_count=affected,
            last_insert_rowid=rowid,
            query_duration_ms=elapsed,
        )

    def executescript(self, sql: str) -> None:
        """Run several ``;``-separated statements (no arguments, no rows back)."""
        with self._lock:
            try:
                self._connection().executescript(sql)
            except (sqlite3.Error, sqlite3.Warning) as exc:
                raise self._error(exc) from None

    def tables(self) -> list[str]:
        """User tables, sorted; internal ones (``sqlite_%``, ``libsql_%``, Turso sync, vector
        indexes' ``<index>_shadow``...) hidden."""
        return user_tables(self.execute(SCHEMA_OBJECTS).rows)

    def integrity_check(self, max_errors: int = 100) -> list[str]:
        """Problems ``PRAGMA integrity_check`` finds; an empty list means the file is intact."""
        result = self.execute(f"PRAGMA integrity_check({int(max_errors)})")
        messages = [str(row[0]) for row in result.rows]
        return [] if messages == ["ok"] else messages

    def row_counts(self) -> dict[str, int]:
        """``{table: rows}`` for every user table."""
        schema = self.execute(SCHEMA_OBJECTS).rows
        indexed = {t.lower() for t in vector_indexes(schema).values()}
        counts: dict[str, int] = {}
        for table in user_tables(schema):
            value = self.execute(count_sql(table, table.lower() in indexed)).scalar()
            counts[table] = int(value) if isinstance(value, int) else 0
        return counts

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise LocalDatabaseError(f"database {self.path} is closed")
        return self._conn

    def _error(self, exc: sqlite3.Error | sqlite3.Warning, context: str = "") -> LocalDatabaseError:
        code = getattr(exc, "sqlite_errorname", None)
        message = f"{context}: {exc}" if context else str(exc)
        if self.read_only and "readonly" in str(exc).lower().replace("-", "").replace(" ", ""):
            message += " (the database was opened read-only)"
        return LocalDatabaseError(message, code)
