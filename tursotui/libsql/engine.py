"""Local database files opened with the libSQL engine itself (the PyPI ``libsql`` package).

Stdlib ``sqlite3`` cannot build or check a libSQL vector index (``libsql_vector_idx``,
``F32_BLOB``, ``vector_top_k``): files and dumps that have one are loaded and checked here.
Written against ``libsql`` 0.1.8 and 0.1.11, whose Python API is sqlite3-like with differences
this wrapper absorbs:

- errors are plain ``ValueError`` (no error code): they become :class:`LocalDatabaseError`;
- ``execute`` runs only the FIRST statement of its text and ignores the rest, silently;
- ``executescript`` stops at the first failing statement WITHOUT raising: never used here;
- there is no ``iterdump`` nor ``backup``, empty SQL raises "not an error", and ``fetchall``
  gives None after a statement without rows.

So :meth:`LibsqlFile.execute` takes exactly one statement. A connection is used from the thread
that opened it only (the package checks it); open, use and close it inside one worker thread.
"""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Self

from tursotui.libsql.errors import LocalDatabaseError

Row = tuple[Any, ...]


def engine() -> ModuleType | None:
    """The ``libsql`` package, or None where it cannot be imported (no wheel for the platform)."""
    try:
        return importlib.import_module("libsql")
    except ImportError:
        return None


def available() -> bool:
    return engine() is not None


class LibsqlFile:
    """One local file through the libSQL engine, in autocommit mode (``BEGIN``/``COMMIT`` as typed).

    ``read_only`` opens it ``mode=ro`` and never creates it. Raises :class:`LocalDatabaseError`
    when the engine is missing or the file cannot be opened as a database.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        module = engine()
        if module is None:
            raise LocalDatabaseError(
                "the libSQL engine (Python package libsql) is not installed: "
                "files with vector indexes need it"
            )
        if read_only and not self.path.is_file():
            raise LocalDatabaseError(f"database file {self.path} does not exist")
        try:
            if read_only:
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                conn = module.connect(uri, isolation_level=None, _uri=True)
            else:
                conn = module.connect(str(self.path), isolation_level=None)
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
        except ValueError as exc:
            raise LocalDatabaseError(f"cannot open {self.path} with libSQL: {exc}") from None
        self._conn: Any = conn

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
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def in_transaction(self) -> bool:
        return bool(self._connection().in_transaction)

    def execute(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[Row]:
        """Run ONE statement and return its rows (see the module docs: the rest would be lost)."""
        try:
            cursor = self._connection().execute(sql, tuple(args))
            rows = cursor.fetchall()  # None, not [], after a statement without rows
        except ValueError as exc:
            raise LocalDatabaseError(str(exc)) from None
        return [tuple(row) for row in rows or ()]

    def rollback_quietly(self) -> None:
        """End an open transaction after a failure (nothing to roll back is fine)."""
        conn = self._connection()
        if conn.in_transaction:
            with contextlib.suppress(ValueError):
                conn.execute("ROLLBACK")

    def _connection(self) -> Any:
        if self._conn is None:
            raise LocalDatabaseError(f"database {self.path} is closed")
        return self._conn
