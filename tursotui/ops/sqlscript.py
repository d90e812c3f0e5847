"""SQL dump text into a SQLite file, statement by statement, never holding the dump in memory.

Used to verify backups (a ``.sql`` from ``GET /dump`` loaded into a scratch SQLite) and to read
``.sql`` files to import. Statements are found with ``sqlite3.complete_statement`` (strings with
newlines and trigger bodies are handled) and run in ~1 MB chunks, each in its own transaction on a
scratch connection (journal in memory, no fsync): fast, and an error is pinned to its statement.
The dump's own top-level ``BEGIN``/``COMMIT`` are noted (a backup must end with ``COMMIT``).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tursotui.libsql.local import is_internal_table, quote_identifier
from tursotui.ops._threads import check
from tursotui.ops.errors import OpsError

CHUNK_BYTES = 1 << 20
PROGRESS_EVERY = 1 << 20

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_BEGIN = re.compile(r"^BEGIN(?:\s+(?:DEFERRED|IMMEDIATE|EXCLUSIVE))?(?:\s+TRANSACTION)?$")
_COMMIT = re.compile(r"^(?:COMMIT|END)(?:\s+TRANSACTION)?$")
_ROLLBACK = re.compile(r"^ROLLBACK(?:\s+TRANSACTION)?$")
_CONTROL_STARTS = frozenset("BCER-/")


@dataclass(frozen=True)
class LoadStats:
    statements: int
    bytes_read: int
    began: bool
    """The dump opened a top-level transaction (``BEGIN TRANSACTION``)."""
    committed: bool
    """Its last statement was ``COMMIT``: a complete dump from sqld or ``sqlite3 .dump``."""


@dataclass(frozen=True)
class Statement:
    sql: str
    line: int


def _control(sql: str) -> str | None:
    """``begin``, ``commit`` or ``rollback`` for a top-level transaction statement, else None."""
    if len(sql) > 200 or sql.lstrip()[:1].upper() not in _CONTROL_STARTS:
        return None
    bare = " ".join(_COMMENTS.sub(" ", sql).replace(";", " ").split()).upper()
    if _BEGIN.match(bare):
        return "begin"
    if _COMMIT.match(bare):
        return "commit"
    if _ROLLBACK.match(bare):
        return "rollback"
    return None


def complete_statements(
    fh: BinaryIO,
    fail: Callable[[str], OpsError],
    progress: Callable[[int], None] | None,
) -> Iterator[Statement]:
    """Complete statements; an unfinished tail raises ``fail``."""
    parts: list[str] = []
    start_line = 1
    line_no = 0
    done = 0
    reported = 0
    for raw in fh:
        line_no += 1
        done += len(raw)
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise fail(f"line {line_no} is not UTF-8 text") from None
        if not parts:
            start_line = line_no
            if not line.strip():
                continue
        parts.append(line)
        text = line if len(parts) == 1 else "".join(parts)
        if sqlite3.complete_statement(text):
            parts = []
            yield Statement(text, start_line)
        if progress is not None and done - reported >= PROGRESS_EVERY:
            reported = done
            progress(done)
    rest = "".join(parts)
    if _COMMENTS.sub("", rest).strip():
        raise fail(
            f"it ends in the middle of a statement (line {start_line}): the file is truncated"
        )
    if progress is not None:
        progress(done)


def _run_chunk(
    conn: sqlite3.Connection, chunk: list[Statement], fail: Callable[[str], OpsError]
) -> None:
    if not chunk:
        return
    try:
        conn.executescript("BEGIN;\n" + "".join(s.sql for s in chunk) + "\nCOMMIT;")
        return
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    # Find the statement that fails, for a message that points at it (the scratch file is
    # thrown away after a failure, so autocommit is fine here).
    for statement in chunk:
        try:
            conn.executescript(statement.sql)
        except sqlite3.Error as exc:
            snippet = " ".join(statement.sql.split())[:80]
            raise fail(f"the statement at line {statement.line} fails ({exc}): {snippet}") from None
    raise fail(f"statements at lines {chunk[0].line}-{chunk[-1].line} fail together")


def open_scratch(path: Path) -> sqlite3.Connection:
    """A new SQLite file for loading: autocommit, journal in memory, no fsync (rebuilt on failure)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=MEMORY")
    conn.execute("PRAGMA synchronous=OFF")
    return conn


def load_sql_file(
    source: Path,
    conn: sqlite3.Connection,
    *,
    cancel: threading.Event,
    fail: Callable[[str], OpsError],
    progress: Callable[[int], None] | None = None,
) -> LoadStats:
    """Run every statement of ``source`` on ``conn``; ``fail(message)`` builds the error to raise.

    A ``ROLLBACK`` at the top level (``sqlite3 .dump`` writes one after errors) fails the load;
    statements after a final ``COMMIT`` make the dump not end with ``COMMIT``.
    """
    began = committed = False
    count = 0
    chunk: list[Statement] = []
    size = 0
    with source.open("rb") as fh:
        for statement in complete_statements(fh, fail, progress):
            count += 1
            kind = _control(statement.sql)
            if kind == "rollback":
                raise fail(
                    f"line {statement.line} rolls the dump back: it was written after an error"
                )
            if kind is not None:
                began = began or (kind == "begin" and count <= 3)
                committed = kind == "commit"
                continue
            committed = False
            chunk.append(statement)
            size += len(statement.sql)
            if size >= CHUNK_BYTES:
                check(cancel)
                _run_chunk(conn, chunk, fail)
                chunk, size = [], 0
        check(cancel)
        _run_chunk(conn, chunk, fail)
    return LoadStats(
        statements=count, bytes_read=source.stat().st_size, began=began, committed=committed
    )


def user_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    return [str(row[0]) for row in rows if not is_internal_table(str(row[0]))]


def row_counts(conn: sqlite3.Connection, cancel: threading.Event | None = None) -> dict[str, int]:
    """``{table: rows}`` of every user table (internal ones hidden)."""
    counts: dict[str, int] = {}
    for table in user_tables(conn):
        if cancel is not None:
            check(cancel)
        sql = f"SELECT count(*) FROM {quote_identifier(table)}"  # noqa: S608 (quoted name)
        counts[table] = int(conn.execute(sql).fetchone()[0])
    return counts


def integrity_problems(conn: sqlite3.Connection, max_errors: int = 20) -> list[str]:
    """What ``PRAGMA integrity_check`` reports; empty when it says ``ok``."""
    messages = [str(row[0]) for row in conn.execute(f"PRAGMA integrity_check({int(max_errors)})")]
    return [] if messages == ["ok"] else messages
