"""SQL dumps as a seed (``seed: {type: "dump", url: "file:///….sql"}``, a local extension).

Only a regular ``.sql`` file the caller names is read (not a directory, a device, /proc or /sys,
nor any other suffix, also after symlinks are resolved). The dump is loaded by this process into
a new SQLite file, statement by statement, with ATTACH, DETACH and VACUUM refused; the file
becomes the namespace only once every statement loaded. A dump with no statement, or one that
loads only partly, is a 400 and leaves no database. Errors name the statement by its number and
never quote the file.
"""

from __future__ import annotations

import re
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tursotui.libsql.engine import LibsqlFile, available
from tursotui.libsql.errors import LocalDatabaseError
from tursotui.libsql.local import is_vector_index_sql
from tursotui.local.errors import ApiError

REFUSED_PREFIXES = ("/proc/", "/sys/", "/dev/")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def checked_dump_path(url: str) -> Path:
    """The dump file ``url`` names, or a 400 saying why it is not one."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or not parts.path:
        raise ApiError(400, "the dump url must be a file:// URL of a .sql file on this machine")
    named = Path(unquote(parts.path))
    try:
        resolved = named.resolve(strict=True)
        info = resolved.stat()
    except (OSError, RuntimeError):
        raise ApiError(400, f"dump file {named} does not exist or cannot be read") from None
    for path in (named, resolved):
        if path.suffix.lower() != ".sql":
            raise ApiError(400, f"dump file {named} is not a .sql file")
        if str(path).startswith(REFUSED_PREFIXES):
            raise ApiError(400, f"dump file {named} is not a regular file")
    if not stat.S_ISREG(info.st_mode):
        raise ApiError(400, f"dump file {named} is not a regular file")
    return resolved


def statements(text: str) -> Iterator[str]:
    """The statements of ``text``, each complete as SQLite sees it (``;`` inside strings kept)."""
    start = pos = 0
    while (end := text.find(";", pos)) >= 0:
        pos = end + 1
        candidate = text[start:pos]
        if sqlite3.complete_statement(candidate):
            start = pos
            if _COMMENTS.sub("", candidate).strip() != ";":
                yield candidate.strip()
    rest = text[start:]
    if _COMMENTS.sub("", rest).strip():
        yield rest.strip()  # no final ";": still a statement (or garbage, refused when run)


def _authorize(action: int, *_: object) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _reason(exc: sqlite3.Error) -> str:
    """What went wrong, without the SQL text sqlite's messages quote."""
    message = str(exc).lower()
    if "syntax error" in message or "incomplete input" in message:
        return "it is not valid SQL"
    if "not authorized" in message:
        return "ATTACH, DETACH and VACUUM are not allowed in a dump"
    if "no such table" in message:
        return "it uses a table the dump does not create before it"
    return f"SQLite refused it ({type(exc).__name__})"


def build_database(dump: Path, target: Path) -> int:
    """Load ``dump`` into a new SQLite file ``target``; returns the statements run. On any failure
    ``target`` is removed and a 400 names the statement by number."""
    try:
        text = dump.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, f"dump file {dump} is not UTF-8 text (is it a SQL dump?)") from None
    except OSError as exc:
        raise ApiError(400, f"dump file {dump} cannot be read ({exc.strerror})") from None
    count = 0
    vector_ddl: list[tuple[int, str]] = []
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.set_authorizer(_authorize)
        for count, sql in enumerate(statements(text), start=1):
            if sql.split(None, 1)[0].upper().rstrip(";") == "VACUUM":
                raise ApiError(400, f"statement {count} of the dump: VACUUM is not allowed")
            if is_vector_index_sql(sql):  # built by libSQL below, as Turso Cloud's sqld would
                vector_ddl.append((count, sql))
                continue
            try:
                conn.execute(sql)
            except sqlite3.Error as exc:
                raise ApiError(
                    400, f"statement {count} of the dump could not be loaded: {_reason(exc)}"
                ) from None
        if conn.in_transaction:
            conn.execute("COMMIT")
        conn.close()
        _build_vector_indexes(target, vector_ddl)
    except BaseException:
        conn.close()
        target.unlink(missing_ok=True)
        raise
    conn.close()
    if count == 0:
        target.unlink(missing_ok=True)
        raise ApiError(400, f"dump file {dump} holds no SQL statement")
    return count


def _build_vector_indexes(target: Path, statements: list[tuple[int, str]]) -> None:
    """The dump's ``CREATE INDEX … libsql_vector_idx(…)``, which plain SQLite cannot run, with the
    libSQL engine (it reuses the index tables the dump loaded)."""
    if not statements:
        return
    if not available():
        raise ApiError(400, "the dump has libSQL vector indexes, which need the libsql package")
    try:
        with LibsqlFile(target) as db:
            for number, sql in statements:
                try:
                    db.execute(sql)
                except LocalDatabaseError:
                    raise ApiError(
                        400, f"statement {number} of the dump (a vector index) could not be built"
                    ) from None
    except LocalDatabaseError as exc:
        raise ApiError(400, f"the loaded dump cannot be opened with libSQL: {exc}") from None
