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
from pathlib import Path
from types import TracebackType
from typing import Self

from tursotui.libsql.errors import LocalDatabaseError
from tursotui.libsql.result import ResultSet
from tursotui.libsql.values import Args, local_args

INTERNAL_TABLE_PREFIXES = ("sqlite_", "_litestream", "libsql_", "__turso_internal_")
INTERNAL_TABLE_NAMES = frozenset({"turso_cdc", "turso_sync_last_change_id", "turso_cdc_version"})


def is_internal_table(name: str) -> bool:
    """Tables SQLite, libSQL, Litestream and Turso sync keep for themselves: hide them."""
    lowered = name.lower()
    return lowered in INTERNAL_TABLE_NAMES or lowered.startswith(INTERNAL_TABLE_PREFIXES)


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
        """User tables, sorted; internal ones (``sqlite_%``, ``libsql_%``, Turso sync...) hidden."""
        result = self.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        return [str(row[0]) for row in result.rows if not is_internal_table(str(row[0]))]

    def integrity_check(self, max_errors: int = 100) -> list[str]:
        """Problems ``PRAGMA integrity_check`` finds; an empty list means the file is intact."""
        result = self.execute(f"PRAGMA integrity_check({int(max_errors)})")
        messages = [str(row[0]) for row in result.rows]
        return [] if messages == ["ok"] else messages

    def row_counts(self) -> dict[str, int]:
        """``{table: rows}`` for every user table."""
        counts: dict[str, int] = {}
        for table in self.tables():
            sql = f"SELECT count(*) FROM {quote_identifier(table)}"  # noqa: S608 (quoted name)
            value = self.execute(sql).scalar()
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
