"""Dumps and files with libSQL vector indexes: found, loaded with the libSQL engine, probed.

sqld's ``GET /dump`` of a database with a vector index has ``CREATE INDEX i ON t
(libsql_vector_idx(col))`` plus the index's own tables (``libsql_vector_meta_shadow``,
``i_shadow``). Stdlib sqlite3 cannot run that DDL (``no such function: libsql_vector_idx``), and on
a file holding one it counts 0 rows (``count(*)`` picks the index's empty b-tree). Such a dump is
loaded here statement by statement with the libSQL engine (:mod:`tursotui.libsql.engine`), so the
file it builds has a working index; each index is then probed with ``vector_top_k``.

Without the engine, everything but the vector index DDL is loaded with stdlib sqlite3 and checked,
and the result says which index was not (``skipped``).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from tursotui.libsql.engine import LibsqlFile, available
from tursotui.libsql.errors import LocalDatabaseError
from tursotui.libsql.local import (
    SCHEMA_OBJECTS,
    count_sql,
    internal_names,
    is_vector_index_sql,
    quote_identifier,
    user_tables,
    vector_indexes,
)
from tursotui.ops._threads import check
from tursotui.ops.errors import OpsError
from tursotui.ops.sqlscript import Statement, complete_statements, open_scratch

MARKER = b"libsql_vector_idx"
SCAN_CHUNK = 1 << 20
CHUNK_STATEMENTS = 2000
PROBE_K = 3

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?(?:\*/|$)", re.DOTALL)
_CONTROL = re.compile(
    r"^(?:(?P<begin>BEGIN(?:\s+(?:DEFERRED|IMMEDIATE|EXCLUSIVE))?(?:\s+TRANSACTION)?)"
    r"|(?P<commit>(?:COMMIT|END)(?:\s+TRANSACTION)?)|(?P<rollback>ROLLBACK(?:\s+TRANSACTION)?))$"
)
_INDEX_NAME = re.compile(
    r'^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|\[[^\]]+\]|`(?:[^`]|``)+`|[^\s(]+)'
    r"\s+ON\s+("
    r'"(?:[^"]|"")+"|\[[^\]]+\]|`(?:[^`]|``)+`|[^\s(]+)',
    re.IGNORECASE,
)
_VECTOR_COLUMN = re.compile(
    r'libsql_vector_idx\s*\(\s*("(?:[^"]|"")+"|\[[^\]]+\]|`(?:[^`]|``)+`|[^\s,()]+)',
    re.IGNORECASE,
)


def has_vector_index(path: Path) -> bool:
    """Whether ``path`` (a dump or a database file) mentions ``libsql_vector_idx`` (streamed)."""
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(SCAN_CHUNK):
            window = (tail + chunk).lower()
            if MARKER in window:
                return True
            tail = window[-len(MARKER) :]
    return False


def unquote(name: str) -> str:
    if len(name) >= 2 and name[0] in '"`[' and name[-1] in '"`]':
        inner = name[1:-1]
        return inner if name[0] == "[" else inner.replace(name[0] * 2, name[0])
    return name


def index_target(sql: str) -> tuple[str, str] | None:
    """``(index, table)`` a ``CREATE INDEX`` statement names, or None."""
    match = _INDEX_NAME.match(_COMMENTS.sub(" ", sql))
    return (unquote(match[1]), unquote(match[2])) if match else None


def vector_column(sql: str) -> str | None:
    """The column a vector index is on (``libsql_vector_idx(emb, 'metric=cosine')`` → ``emb``)."""
    match = _VECTOR_COLUMN.search(sql)
    return unquote(match[1]) if match else None


# -- statements ------------------------------------------------------------------------------------


def _split(text: str, line: int) -> Iterator[Statement]:
    """One complete chunk of text (``sqlite3.complete_statement``) as single statements: the
    libSQL engine runs only the first statement of a string and drops the rest silently."""
    if text.count(";") <= 1:
        yield Statement(text, line)
        return
    start = 0
    for pos, char in enumerate(text):
        if char == ";" and sqlite3.complete_statement(text[start : pos + 1]):
            piece = text[start : pos + 1]
            yield Statement(piece, line + text.count("\n", 0, start))
            start = pos + 1


def statements(
    fh: BinaryIO, fail: Callable[[str], OpsError], progress: Callable[[int], None] | None
) -> Iterator[Statement]:
    """Single statements of a SQL file with their first line; an unfinished tail raises ``fail``."""
    for chunk in complete_statements(fh, fail, progress):
        yield from _split(chunk.sql, chunk.line)


def _bare(sql: str) -> str:
    return " ".join(_COMMENTS.sub(" ", sql).replace(";", " ").split()).upper()


# -- loading -----------------------------------------------------------------------------------------


class Target(Protocol):
    def execute(self, sql: str) -> object: ...


class _Stdlib:
    """A stdlib sqlite3 connection as a :class:`Target` (the fallback without the engine)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str) -> object:
        try:
            return self.conn.execute(sql).fetchall()
        except (sqlite3.Error, sqlite3.Warning) as exc:
            raise LocalDatabaseError(str(exc)) from None


@dataclass
class Loaded:
    """What loading a dump did and found."""

    statements: int = 0
    bytes_read: int = 0
    began: bool = False
    committed: bool = False
    skipped: dict[str, str] = field(default_factory=dict)
    """``{index: CREATE INDEX sql}`` of the vector indexes not built (no libSQL engine)."""


def load(
    source: Path,
    target: Target,
    *,
    cancel: threading.Event,
    fail: Callable[[str], OpsError],
    progress: Callable[[int], None] | None = None,
    skip_vector_ddl: bool = False,
) -> Loaded:
    """Run every statement of ``source`` on ``target`` (autocommit), in transactions of
    :data:`CHUNK_STATEMENTS` statements; the dump's own ``BEGIN``/``COMMIT`` are noted, a top-level
    ``ROLLBACK`` fails the load (as :func:`tursotui.ops.sqlscript.load_sql_file`)."""
    loaded = Loaded(bytes_read=source.stat().st_size)
    pending = 0

    def run(sql: str) -> None:
        target.execute(sql)

    # Statements run one by one (never a script): the engine's executescript hides errors.
    with source.open("rb") as fh:
        for statement in statements(fh, fail, progress):
            loaded.statements += 1
            short = len(statement.sql) < 200 and statement.sql.lstrip()[:1].upper() in "BCER-/;"
            bare = _bare(statement.sql) if short else "-"  # long rows never need the regexes
            if not bare:
                continue
            control = _CONTROL.match(bare) if len(bare) < 40 else None
            if control is not None:
                if control["rollback"]:
                    raise fail(
                        f"line {statement.line} rolls the dump back: it was written after an error"
                    )
                loaded.began = loaded.began or (
                    control["begin"] is not None and loaded.statements <= 3
                )
                loaded.committed = control["commit"] is not None
                continue
            loaded.committed = False
            if skip_vector_ddl and is_vector_index_sql(statement.sql):
                named = index_target(statement.sql)
                loaded.skipped[named[0] if named else statement.sql[:60]] = statement.sql
                continue
            if pending == 0:
                run("BEGIN")
            try:
                run(statement.sql)
            except LocalDatabaseError as exc:
                with contextlib.suppress(LocalDatabaseError):
                    run("ROLLBACK")
                snippet = " ".join(statement.sql.split())[:80]
                raise fail(
                    f"the statement at line {statement.line} fails ({exc}): {snippet}"
                ) from None
            pending += 1
            if pending >= CHUNK_STATEMENTS:
                run("COMMIT")
                pending = 0
                check(cancel)
        if pending:
            run("COMMIT")
    check(cancel)
    return loaded


# -- checking ---------------------------------------------------------------------------------------


@dataclass
class Checked:
    """A loaded vector database, checked: integrity, user tables' rows, each index probed."""

    integrity: list[str]
    tables: dict[str, int]
    objects: list[tuple[str, str]]
    """``(type, name)`` of every user object (vector indexes included, their tables not)."""
    indexes: list[str]
    """The vector indexes found and probed."""
    notes: list[str] = field(default_factory=list)


def _rows(target: Any, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(target, sqlite3.Connection):
        return [tuple(r) for r in target.execute(sql, args).fetchall()]
    return list(target.execute(sql, args))


def check_database(
    target: LibsqlFile | sqlite3.Connection,
    cancel: threading.Event,
    *,
    skipped: dict[str, str] | None = None,
    max_errors: int = 20,
) -> Checked:
    """Integrity, row counts (``NOT INDEXED`` where plain SQLite would misread a vector index)
    and a ``vector_top_k`` probe of each vector index (libSQL engine only). ``skipped`` vector
    indexes (not built) still hide their shadow tables and are named in the notes."""
    schema = _rows(target, SCHEMA_OBJECTS)
    extra = [
        ("index", name, (index_target(sql) or ("", ""))[1], sql)
        for name, sql in (skipped or {}).items()
    ]
    every = [*schema, *extra]
    hidden = internal_names(every)
    indexed = {t.lower() for t in vector_indexes(every).values()}
    messages = [str(r[0]) for r in _rows(target, f"PRAGMA integrity_check({int(max_errors)})")]
    integrity = [] if messages == ["ok"] else messages
    tables: dict[str, int] = {}
    for table in user_tables(every):
        check(cancel)
        (count,) = _rows(target, count_sql(table, table.lower() in indexed))[0]
        tables[table] = int(count)
    objects = [
        (str(r[0]), str(r[1]))
        for r in every
        if r[3] is not None and str(r[1]).lower() not in hidden
    ]
    found = vector_indexes(schema)
    notes: list[str] = []
    for index, table in found.items():
        check(cancel)
        notes += probe(target, index, table, _sql_of(schema, index))
    for index in skipped or {}:
        notes.append(
            f"vector index {index} not verified: the libSQL engine (Python package libsql) is "
            "not available, so everything else was checked with plain SQLite"
        )
    return Checked(integrity, tables, sorted(objects), sorted(found), notes)


def _sql_of(schema: list[tuple[Any, ...]], name: str) -> str:
    return next(str(r[3]) for r in schema if str(r[1]) == name)


def probe(target: Any, index: str, table: str, sql: str) -> list[str]:
    """Ask ``index`` for the neighbours of a stored vector; problems raise, notes are returned."""
    column = vector_column(sql)
    if column is None:
        raise LocalDatabaseError(f"cannot tell the column of vector index {index}: {sql}")
    col, tab = quote_identifier(column), quote_identifier(table)
    sample = _rows(target, f"SELECT {col} FROM {tab} WHERE {col} IS NOT NULL LIMIT 1")  # noqa: S608
    if not sample:
        return [f"vector index {index}: {table} has no vectors yet, nothing to probe"]
    found = _rows(target, "SELECT id FROM vector_top_k(?, ?, ?)", (index, sample[0][0], PROBE_K))
    if not found:
        raise LocalDatabaseError(f"vector index {index} answers no rows for a vector of {table}")
    ids = [row[0] for row in found]
    marks = ", ".join("?" for _ in ids)
    known = _rows(target, f"SELECT count(*) FROM {tab} WHERE rowid IN ({marks})", tuple(ids))  # noqa: S608
    if int(known[0][0]) != len(set(ids)):
        raise LocalDatabaseError(f"vector index {index} answers rows that are not in {table}")
    return []


def load_and_check(
    dump: Path,
    path: Path,
    *,
    cancel: threading.Event,
    fail: Callable[[str], OpsError],
    progress: Callable[[int], None] | None = None,
    keep: bool = False,
) -> tuple[Loaded, Checked]:
    """Load ``dump`` into the new file ``path`` and check it (:func:`check_database`).

    With the libSQL engine the file gets working vector indexes (``keep``: left in journal mode
    DELETE, as a ``.db`` backup); without it, with plain SQLite and the vector DDL skipped
    (``keep`` is then refused: the file would lack its indexes). Errors of the database itself
    are :class:`LocalDatabaseError`; a dump that does not load raises ``fail``.
    """
    if available():
        with LibsqlFile(path) as db:
            db.execute("PRAGMA journal_mode=MEMORY")
            db.execute("PRAGMA synchronous=OFF")
            loaded = load(dump, db, cancel=cancel, fail=fail, progress=progress)
            checked = check_database(db, cancel)
            if keep:
                db.execute("PRAGMA journal_mode=DELETE")
        return loaded, checked
    if keep:
        raise LocalDatabaseError("the libSQL engine is not installed: cannot build vector indexes")
    conn = open_scratch(path)
    try:
        target = _Stdlib(conn)
        loaded = load(
            dump, target, cancel=cancel, fail=fail, progress=progress, skip_vector_ddl=True
        )
        checked = check_database(conn, cancel, skipped=loaded.skipped)
    except (sqlite3.Error, sqlite3.Warning) as exc:
        raise LocalDatabaseError(str(exc)) from None
    finally:
        conn.close()
    return loaded, checked
