"""What an import reads from: a SQLite file, or a ``.sql`` dump loaded into a scratch SQLite.

``open_source`` checks the file (a SQLite file must pass ``integrity_check``; a dump must load),
then lists its user tables with row counts, its indexes, views and triggers: the preview shown
before anything is written. ``prepare_upload_copy`` makes the file Turso's upload accepts (a
consistent copy with 4096-byte pages, no auto-vacuum, UTF-8, WAL mode).

A source with libSQL vector indexes (``libsql_vector_idx``) is checked and, for a dump, loaded with
the libSQL engine (:mod:`tursotui.ops.vectors`); its indexes' own tables (``<index>_shadow``,
``libsql_vector_meta_shadow``) are never imported as tables: the index itself is, and the target
builds it again from the rows.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tursotui.libsql.engine import LibsqlFile, available
from tursotui.libsql.errors import LocalDatabaseError
from tursotui.libsql.local import (
    SCHEMA_OBJECTS,
    count_sql,
    internal_names,
    is_vector_index_sql,
    vector_indexes,
)
from tursotui.ops import leftovers
from tursotui.ops._threads import check, run_cancellable, threadsafe
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.sqlscript import integrity_problems, load_sql_file, open_scratch
from tursotui.ops.vectors import has_vector_index, load

SQLITE_MAGIC = b"SQLite format 3\x00"
UPLOAD_PAGE_SIZE = 4096

SourceKind = Literal["sqlite", "sql"]


@dataclass(frozen=True)
class SourceTable:
    name: str
    rows: int
    sql: str
    columns: tuple[str, ...]
    """Columns an INSERT can set (generated and hidden columns left out)."""
    virtual: bool = False
    """A virtual table (FTS5, R*Tree...) or one of its shadow tables."""


@dataclass(frozen=True)
class SchemaObject:
    type: str
    """``index``, ``view`` or ``trigger``."""
    name: str
    table: str
    sql: str

    @property
    def vector(self) -> bool:
        """A libSQL vector index (``libsql_vector_idx``): the target builds it from the rows."""
        return self.type == "index" and is_vector_index_sql(self.sql)


@dataclass
class ImportSource:
    path: Path
    kind: SourceKind
    database: Path
    """The SQLite file rows are read from: ``path`` itself, or the scratch built from a dump."""
    size_bytes: int
    tables: list[SourceTable] = field(default_factory=list)
    objects: list[SchemaObject] = field(default_factory=list)
    _scratch: Path | None = None

    @property
    def vector_indexes(self) -> list[str]:
        """libSQL vector indexes among the objects (rebuilt by the target from the rows)."""
        return [o.name for o in self.objects if o.vector]

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def table(self, name: str) -> SourceTable:
        return next(t for t in self.tables if t.name == name)

    def close(self) -> None:
        """Remove the scratch database of a dump (a SQLite source is never touched)."""
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> ImportSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "size_bytes": self.size_bytes,
            "tables": {t.name: t.rows for t in self.tables},
            "rows": self.total_rows,
            "objects": [{"type": o.type, "name": o.name, "table": o.table} for o in self.objects],
            "vector_indexes": self.vector_indexes,
        }


def connect_read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    conn.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
    return conn


def _kinds(conn: sqlite3.Connection) -> dict[str, str]:
    """``{name: table|virtual|shadow}`` (``PRAGMA table_list``, SQLite 3.37+; else by SQL)."""
    try:
        rows = conn.execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main'")
        return {str(name): str(kind) for name, kind in rows}
    except sqlite3.OperationalError:
        found: dict[str, str] = {}
        schema = conn.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'table'").fetchall()
        virtual = [
            str(n) for n, sql in schema if str(sql or "").upper().startswith("CREATE VIRTUAL")
        ]
        for name, _sql in schema:
            text = str(name)
            if text in virtual:
                found[text] = "virtual"
            elif any(text.startswith(f"{v}_") for v in virtual):
                found[text] = "shadow"
            else:
                found[text] = "table"
        return found


def describe(
    conn: sqlite3.Connection, cancel: threading.Event
) -> tuple[list[SourceTable], list[SchemaObject]]:
    """User tables (schema order) with row counts, and their indexes, views and triggers.

    Internal tables are left out, vector indexes' shadow tables too (see
    :func:`tursotui.libsql.local.internal_names`); a vector-indexed table is counted ``NOT INDEXED``
    (plain SQLite would count the index's empty b-tree)."""
    kinds = _kinds(conn)
    tables: list[SourceTable] = []
    objects: list[SchemaObject] = []
    schema = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    hidden = internal_names(schema)
    indexed = {t.lower() for t in vector_indexes(schema).values()}
    for kind, name, table, sql in schema:
        name, table, sql = str(name), str(table), str(sql)
        if name.lower() in hidden or table.lower() in hidden:
            continue
        if kind != "table":
            objects.append(SchemaObject(str(kind), name, table, sql))
            continue
        check(cancel)
        info = conn.execute("SELECT name, hidden FROM pragma_table_xinfo(?)", (name,))
        columns = tuple(str(col) for col, hidden in info if not hidden)
        count = conn.execute(count_sql(name, name.lower() in indexed)).fetchone()[0]
        virtual = kinds.get(name, "table") in ("virtual", "shadow")
        tables.append(SourceTable(name, int(count), sql, columns, virtual))
    return tables, objects


def _inspect_sqlite(
    path: Path, cancel: threading.Event
) -> tuple[list[SourceTable], list[SchemaObject]]:
    try:
        conn = connect_read_only(path)
    except sqlite3.Error as exc:
        raise InputError(f"{path} cannot be opened as a SQLite database: {exc}") from None
    try:
        problems = _integrity(path, conn)
        if problems:
            raise InputError(f"{path} fails integrity_check: {'; '.join(problems[:3])}")
        return describe(conn, cancel)
    except sqlite3.Error as exc:
        raise InputError(f"{path} cannot be read as a SQLite database: {exc}") from None
    finally:
        conn.close()


def _has_vector_index(conn: sqlite3.Connection) -> bool:
    return bool(vector_indexes(conn.execute(SCHEMA_OBJECTS).fetchall()))


def needs_engine(path: Path) -> InputError:
    return InputError(
        f"{path} has libSQL vector indexes: reading it needs the libSQL engine (Python package "
        "libsql), which is not installed here"
    )


def _integrity(path: Path, conn: sqlite3.Connection) -> list[str]:
    """``integrity_check`` problems; with vector indexes, checked by the libSQL engine (plain
    SQLite stops at ``libsql_vector_idx``)."""
    if not _has_vector_index(conn):
        return integrity_problems(conn)
    if not available():
        raise needs_engine(path)
    try:
        with LibsqlFile(path, read_only=True) as db:
            messages = [str(row[0]) for row in db.execute("PRAGMA integrity_check(20)")]
    except LocalDatabaseError as exc:
        raise InputError(f"{path} cannot be read with libSQL: {exc}") from None
    return [] if messages == ["ok"] else messages


def _check_path(path: Path) -> tuple[bool, int]:
    """Whether ``path`` is a SQLite file, and its size; bad paths are :class:`InputError`."""
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path} is empty")
    return head == SQLITE_MAGIC, size


def check_source_path(path: Path) -> tuple[SourceKind, int]:
    """``(kind, size)`` of ``path`` from its first 16 bytes only (a form checks it as you type):
    a missing, unreadable or empty file is :class:`InputError`. Anything that is not a SQLite file
    is taken for a SQL dump, which :func:`open_source` then has to load."""
    is_sqlite, size = _check_path(path)
    return ("sqlite" if is_sqlite else "sql"), size


async def open_source(
    path: Path,
    *,
    scratch_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSource:
    """Inspect ``path`` (a SQLite file or a SQL dump); close the result to drop its scratch."""
    is_sqlite, size = _check_path(path)
    if is_sqlite:
        tables, objects = await run_cancellable(lambda cancel: _inspect_sqlite(path, cancel))
        return ImportSource(path, "sqlite", path, size, tables, objects)

    scratch = leftovers.scratch_dir("import", scratch_dir)
    database = scratch / "source.db"
    report = threadsafe(progress)

    def fail(message: str) -> InputError:
        return InputError(
            f"{path} is neither a SQLite database nor a SQL dump that loads: {message}"
        )

    def work(cancel: threading.Event) -> tuple[list[SourceTable], list[SchemaObject]]:
        if has_vector_index(path):
            return _load_vector_dump(path, database, cancel, fail, report)
        conn = open_scratch(database)
        try:
            load_sql_file(path, conn, cancel=cancel, fail=fail, progress=report)
            conn.execute("PRAGMA journal_mode=DELETE")
            return describe(conn, cancel)
        except sqlite3.Error as exc:
            raise OpsError(f"the scratch database for {path} failed: {exc}") from None
        finally:
            conn.close()

    try:
        tables, objects = await run_cancellable(work)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    if not tables:
        shutil.rmtree(scratch, ignore_errors=True)
        raise InputError(f"{path} has no tables to import")
    return ImportSource(path, "sql", database, size, tables, objects, scratch)


def _load_vector_dump(
    path: Path,
    database: Path,
    cancel: threading.Event,
    fail: Callable[[str], InputError],
    progress: Callable[[int], None] | None,
) -> tuple[list[SourceTable], list[SchemaObject]]:
    """A dump with vector indexes, loaded into ``database`` by the libSQL engine."""
    if not available():
        raise needs_engine(path)
    try:
        with LibsqlFile(database) as db:
            db.execute("PRAGMA journal_mode=MEMORY")
            db.execute("PRAGMA synchronous=OFF")
            load(path, db, cancel=cancel, fail=fail, progress=progress)
            db.execute("PRAGMA journal_mode=DELETE")
    except LocalDatabaseError as exc:
        raise OpsError(f"the scratch database for {path} failed: {exc}") from None
    conn = connect_read_only(database)
    try:
        return describe(conn, cancel)
    except sqlite3.Error as exc:
        raise OpsError(f"the scratch database for {path} failed: {exc}") from None
    finally:
        conn.close()


def prepare_upload_copy(source: Path, directory: Path) -> Path:
    """A consistent copy of ``source`` in the format Turso's upload takes (blocking: use a thread)."""
    out = directory / "upload.db"
    with contextlib.suppress(FileNotFoundError):
        out.unlink()
    src = connect_read_only(source)
    try:
        if _has_vector_index(src):
            # VACUUM INTO cannot copy them: plain SQLite lacks libsql_vector_idx, and libSQL's
            # copy duplicates libsql_vector_meta_shadow's rows. A page copy keeps them intact.
            return _page_copy(source, src, out)
        src.execute("VACUUM INTO ?", (str(out),))
    except sqlite3.Error as exc:
        raise OpsError(f"cannot copy {source} for upload: {exc}") from None
    finally:
        src.close()
    conn = sqlite3.connect(out, isolation_level=None)
    try:
        encoding = conn.execute("PRAGMA encoding").fetchone()[0]
        if encoding != "UTF-8":
            raise InputError(
                f"{source} uses {encoding} text; Turso takes UTF-8 databases only "
                "(import it into an existing database instead, which converts the text)"
            )
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        auto_vacuum = conn.execute("PRAGMA auto_vacuum").fetchone()[0]
        if page_size != UPLOAD_PAGE_SIZE or auto_vacuum != 0:
            conn.execute(f"PRAGMA page_size={UPLOAD_PAGE_SIZE}")
            conn.execute("PRAGMA auto_vacuum=0")
            conn.execute("VACUUM")
        conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise OpsError(f"cannot prepare {source} for upload: {exc}") from None
    finally:
        conn.close()
    return out


def _page_copy(source: Path, src: sqlite3.Connection, out: Path) -> Path:
    """``source`` (with vector indexes) copied page by page, in the upload's format or refused."""
    encoding, page_size, auto_vacuum = (
        src.execute(f"PRAGMA {pragma}").fetchone()[0]
        for pragma in ("encoding", "page_size", "auto_vacuum")
    )
    if encoding != "UTF-8" or page_size != UPLOAD_PAGE_SIZE or auto_vacuum != 0:
        raise InputError(
            f"{source} has libSQL vector indexes and {encoding} text, {page_size}-byte pages, "
            f"auto_vacuum {auto_vacuum}: Turso's upload takes UTF-8, {UPLOAD_PAGE_SIZE}-byte pages "
            "and no auto-vacuum, and such a file cannot be rewritten without breaking its indexes "
            "(import a .sql dump of it instead)"
        )
    dst = sqlite3.connect(out, isolation_level=None)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
    return out
